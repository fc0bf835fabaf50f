"""Connection configs for the ML Metadata store: SQLite (embedded default) or MySQL (shared)."""

from __future__ import annotations

import os
from typing import Any

from pipelines.errors import MetadataError


def sqlite_config(path: str | os.PathLike) -> Any:
    """An MLMD ConnectionConfig for a SQLite file, created if missing.

    Example:
        >>> sqlite_config("/tmp/metadata.sqlite").sqlite.filename_uri
        '/tmp/metadata.sqlite'
    """
    from ml_metadata.proto import metadata_store_pb2

    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = os.fspath(path)
    config.sqlite.connection_mode = metadata_store_pb2.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    return config


def mysql_config(
    host: str, database: str, user: str, password: str = "", port: int = 3306,
) -> Any:
    """An MLMD ConnectionConfig for a MySQL database shared by a team.

    Example:
        >>> mysql_config("db.internal", "mlmd", "starling").mysql.database
        'mlmd'
    """
    from ml_metadata.proto import metadata_store_pb2

    config = metadata_store_pb2.ConnectionConfig()
    config.mysql.host = host
    config.mysql.port = port
    config.mysql.database = database
    config.mysql.user = user
    config.mysql.password = password
    return config


def describe(config: Any) -> str:
    """A one-line description of where a config points (no password)."""
    if config.HasField("mysql"):
        mysql = config.mysql
        return f"mysql://{mysql.user}@{mysql.host}:{mysql.port}/{mysql.database}"
    return f"sqlite:{config.sqlite.filename_uri}"


def connect(config: Any) -> Any:
    """Opens the MLMD store a config points at.

    Raises:
        MetadataError: the store cannot be opened; the message says where it pointed.
    """
    from ml_metadata.metadata_store import metadata_store

    try:
        if config.HasField("sqlite"):
            os.makedirs(os.path.dirname(config.sqlite.filename_uri) or ".", exist_ok=True)
        return metadata_store.MetadataStore(config)
    except Exception as error:  # MLMD raises its own status errors
        raise MetadataError(f"cannot open the metadata store at {describe(config)}: {error}") from error
