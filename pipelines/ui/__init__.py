"""`starling ui`: a read-only web UI over the ML Metadata store (runs, graphs, artifacts, lineage).

Example:
    >>> from pipelines.ui import StoreSource, create_app
    >>> app = create_app(StoreSource.from_root("runs/demo"))   # serve with uvicorn.run(app)
"""

from pipelines.ui.app import create_app
from pipelines.ui.source import StoreSource, StoreUnavailable

__all__ = ["StoreSource", "StoreUnavailable", "create_app"]
