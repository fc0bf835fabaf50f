"""The `starling` command line."""
