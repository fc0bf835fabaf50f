"""Connection configs for the ML Metadata store: SQLite (embedded default) or MySQL (shared)."""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any, TypeAlias

from pipelines.errors import MetadataError
from pipelines.metadata.sqlite_file import check_sqlite_file, corruption, roll_back_hot_journal

PASSWORD_ENV = "STARLING_METADATA_PASSWORD"  # a MySQL store's password when its URL has none

if TYPE_CHECKING:
    from ml_metadata.metadata_store import metadata_store
    from ml_metadata.proto import metadata_store_pb2

    # Where a store lives: a database (SQLite, MySQL) or a metadata gRPC service.
    StoreConfig: TypeAlias = (metadata_store_pb2.ConnectionConfig
                              | metadata_store_pb2.MetadataStoreClientConfig)


def sqlite_config(path: str | os.PathLike) -> metadata_store_pb2.ConnectionConfig:
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
) -> metadata_store_pb2.ConnectionConfig:
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


def grpc_config(host: str, port: int = 8080) -> metadata_store_pb2.MetadataStoreClientConfig:
    """An MLMD client config for a metadata gRPC service (e.g. Kubeflow's metadata-grpc-service)."""
    from ml_metadata.proto import metadata_store_pb2

    return metadata_store_pb2.MetadataStoreClientConfig(host=host, port=port)


def config_from_url(url: str) -> StoreConfig:
    """A store config from a URL.

    Accepted: `sqlite:PATH`, `mysql://USER[:PASSWORD]@HOST[:PORT]/DATABASE`, `grpc://HOST:PORT`.
    A MySQL URL without a password takes `$STARLING_METADATA_PASSWORD` (on Kubeflow, mapped
    from a Kubernetes Secret), so no password needs to be written anywhere.

    Raises:
        MetadataError: the URL has another scheme or misses a part.

    Example:
        >>> config_from_url("grpc://metadata-grpc-service.kubeflow:8080").port
        8080
    """
    from urllib.parse import unquote, urlsplit

    if url.startswith("sqlite:"):
        return sqlite_config(url[len("sqlite:"):])
    parts = urlsplit(url)
    if parts.scheme == "mysql" and parts.hostname and parts.path.strip("/") and parts.username:
        password = unquote(parts.password or "") or os.environ.get(PASSWORD_ENV, "")
        return mysql_config(parts.hostname, parts.path.strip("/"), unquote(parts.username),
                            password, parts.port or 3306)
    if parts.scheme == "grpc" and parts.hostname:
        return grpc_config(parts.hostname, parts.port or 8080)
    raise MetadataError(
        f"metadata URL {url!r}: expected sqlite:PATH, mysql://USER:PASSWORD@HOST:PORT/DATABASE "
        "or grpc://HOST:PORT")


def describe(config: StoreConfig) -> str:
    """A one-line description of where a config points (no password)."""
    if not hasattr(config, "sqlite"):
        return f"grpc://{config.host}:{config.port}"
    if config.HasField("mysql"):
        mysql = config.mysql
        return f"mysql://{mysql.user}@{mysql.host}:{mysql.port}/{mysql.database}"
    return f"sqlite:{config.sqlite.filename_uri}"


def connect(config: StoreConfig) -> metadata_store.MetadataStore:
    """Opens the MLMD store a config points at.

    A SQLite file that is not a database (or is empty) is refused and left as it is; a read-only
    opener first lets SQLite roll back a journal a crashed writer left (`sqlite_file`). The
    store reopens its database connection after a failed call, so one failed write (a full
    disk) does not leave a transaction open that fails every later call.

    Raises:
        MetadataError: the store cannot be opened; the message says where it pointed.
        CorruptStoreError: the SQLite file is corrupt or empty.
    """
    path = _sqlite_path(config)
    if path is not None:
        check_sqlite_file(path)
        if _read_only(config):
            roll_back_hot_journal(path)
    try:
        if path is not None:
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        store = _reopening_store_class()(config)
    except Exception as error:  # MLMD raises its own status errors
        corrupt = corruption(path, error) if path is not None else None
        if corrupt is not None:
            raise corrupt from error
        raise MetadataError(f"cannot open the metadata store at {describe(config)}: {error}") from error
    if hasattr(config, "sqlite") and config.HasField("mysql"):  # MLMD's INT columns are 32-bit there
        from pipelines.metadata.mysql_schema import widen_integer_properties

        widen_integer_properties(config.mysql)
    return store


def _sqlite_path(config: StoreConfig) -> str | None:
    if hasattr(config, "sqlite") and config.HasField("sqlite"):
        return str(config.sqlite.filename_uri)
    return None


def _read_only(config: StoreConfig) -> bool:
    from ml_metadata.proto import metadata_store_pb2

    return bool(config.sqlite.connection_mode == metadata_store_pb2.SqliteMetadataSourceConfig.READONLY)


_STORAGE_ERRORS = ("disk I/O error", "database or disk is full")  # SQLite's words for EFBIG / ENOSPC


@functools.cache
def _reopening_store_class() -> type:
    """`ml_metadata.MetadataStore` whose database connection is reopened after a failed call.

    MLMD's SQLite and MySQL sources keep a transaction open when a commit fails (a full disk,
    a lost server): every later call then fails with "Transaction already open". Reopening the
    connection drops that transaction (the database rolls it back), so the next call, e.g.
    marking the run FAILED, gets its own chance. A read-only SQLite reader whose read failed
    because a writer crashed since it opened (a hot journal) rolls the journal back and reads
    again.
    """
    from ml_metadata import errors
    from ml_metadata.metadata_store import metadata_store

    answers = (errors.NotFoundError, errors.AlreadyExistsError, errors.InvalidArgumentError,
               errors.OutOfRangeError)  # replies about the request; the connection is fine

    class ReopeningMetadataStore(metadata_store.MetadataStore):
        def _call_method(self, method_name: str, request: Any, response: Any) -> None:
            try:
                super()._call_method(method_name, request, response)
            except answers:
                raise
            except errors.StatusError as error:
                if self._using_db_connection and self._reopen():  # a crashed writer's journal is gone
                    super()._call_method(method_name, request, response)
                    return
                if any(sign in error.message for sign in _STORAGE_ERRORS):
                    raise errors.make_exception(f"{error.message.rsplit(' query: ', 1)[0]}: the database "
                                                "could not be written (is its disk full?)",
                                                error.error_code) from error
                raise

        def _reopen(self) -> bool:
            """A new connection (the old one closes, with its transaction); True: read again.

            A read-only SQLite reader first lets SQLite roll back a hot journal; then the read
            that failed can succeed.
            """
            path = _sqlite_path(self._config)
            if path is not None and not os.path.isfile(path):
                return False  # deleted meanwhile: reopening would create an empty store
            recovered = path is not None and _read_only(self._config) and roll_back_hot_journal(path)
            metadata_store.MetadataStore.__init__(self, self._config)
            return recovered

    return ReopeningMetadataStore
