"""Where the UI reads from: one MLMD store, opened read-only on first use and shared by requests."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from pipelines.errors import MetadataError, StarlingError
from pipelines.metadata import MetadataStore
from pipelines.metadata.connection import config_from_url, describe

STORE_FILE = "metadata.sqlite"
T = TypeVar("T")


class StoreUnavailable(StarlingError):
    """The metadata store is missing, cannot be opened, or cannot be read."""


def readonly_sqlite_config(path: str) -> Any:
    """An MLMD ConnectionConfig that opens an existing SQLite file without writing to it."""
    from ml_metadata.proto import metadata_store_pb2

    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = path
    config.sqlite.connection_mode = metadata_store_pb2.SqliteMetadataSourceConfig.READONLY
    return config


class StoreSource:
    """Opens the store lazily and serialises every read (MLMD's client is not shared safely).

    A store that is missing when the UI starts is looked for again on the next request, so the
    UI can be started before the first run.

    Example:
        >>> source = StoreSource.from_root("/tmp/no-such-root")
        >>> source.location
        'sqlite:/tmp/no-such-root/metadata.sqlite'
    """

    def __init__(self, config: Any, sqlite_path: str | None = None):
        self.config = config
        self.sqlite_path = sqlite_path
        self.location = describe(config)
        self._store: MetadataStore | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_root(cls, root: str) -> StoreSource:
        """The SQLite store of a pipeline root (`<root>/metadata.sqlite`)."""
        path = os.path.join(os.path.abspath(root), STORE_FILE)
        return cls(readonly_sqlite_config(path), sqlite_path=path)

    @classmethod
    def from_url(cls, url: str) -> StoreSource:
        """A store from a metadata URL (`sqlite:PATH`, `mysql://...`, `grpc://...`)."""
        if url.startswith("sqlite:"):
            path = os.path.abspath(url[len("sqlite:"):])
            return cls(readonly_sqlite_config(path), sqlite_path=path)
        return cls(config_from_url(url))

    def _open(self) -> MetadataStore:
        if self._store is None:
            if self.sqlite_path is not None and not os.path.isfile(self.sqlite_path):
                raise StoreUnavailable(
                    f"no metadata store at {self.sqlite_path}: run a pipeline with this root first, "
                    "or pass the right --root")
            try:
                self._store = MetadataStore(self.config)
            except MetadataError as error:
                raise StoreUnavailable(str(error)) from error
        return self._store

    @contextmanager
    def reading(self) -> Iterator[MetadataStore]:
        """The open store, held by this thread alone for the block.

        Raises:
            StoreUnavailable: the store cannot be opened or an MLMD read fails (e.g. corrupt file).
        """
        from ml_metadata import errors

        with self._lock:
            store = self._open()
            try:
                yield store
            except errors.StatusError as error:
                self._store = None  # reopen next time: the file may have been replaced
                raise StoreUnavailable(f"cannot read the metadata store at {self.location}: "
                                       f"{error}") from error

    def read(self, query: Callable[[MetadataStore], T]) -> T:
        """Runs one query function against the store (see `reading`)."""
        with self.reading() as store:
            return query(store)
