"""Reports: self-contained HTML pages, notebook views and terminal tables of artifacts."""
