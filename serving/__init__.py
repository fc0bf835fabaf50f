"""A TF Serving-compatible REST model server for the models Starling pushes."""
