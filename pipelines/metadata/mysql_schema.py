"""MySQL / MariaDB stores: a direct SQL session, and integer properties wide enough for Starling.

ML Metadata 1.16 creates its property tables with `int_value INT`, which is 64-bit in SQLite
but 32-bit in MySQL and MariaDB: a run's `started_at_ms` (about 1.8e12) or a file's size in a
driver's fingerprint is then refused ("Out of range value for column 'int_value'"). After
MLMD has created its schema, `widen_integer_properties` turns those three columns into
`BIGINT` (once; later calls only look). MLMD reads and writes them as 64-bit integers
already, so nothing else changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pipelines.errors import MetadataError

if TYPE_CHECKING:
    from ml_metadata.proto.metadata_store_pb2 import MySQLDatabaseConfig
    from pymysql.connections import Connection

PROPERTY_TABLES = ("ArtifactProperty", "ExecutionProperty", "ContextProperty")


def open_session(mysql: MySQLDatabaseConfig) -> Connection:
    """A pymysql connection (autocommit) to the database of an MLMD `MySQLDatabaseConfig`.

    Raises:
        MetadataError: the server cannot be reached or refuses the login.
    """
    import pymysql

    options: dict[str, Any] = {"user": mysql.user, "password": mysql.password,
                               "database": mysql.database, "autocommit": True,
                               "connect_timeout": 10}
    if mysql.socket:
        options["unix_socket"] = mysql.socket
    else:
        options.update(host=mysql.host or "127.0.0.1", port=mysql.port or 3306)
    try:
        return pymysql.connect(**options)
    except pymysql.MySQLError as error:
        raise MetadataError(f"cannot connect to mysql://{mysql.user}@{mysql.host}:{mysql.port}/"
                            f"{mysql.database}: {error}") from error


def widen_integer_properties(mysql: MySQLDatabaseConfig) -> list[str]:
    """Makes MLMD's `int_value` columns BIGINT where they are still INT; returns those tables."""
    session = open_session(mysql)
    try:
        with session.cursor() as cursor:
            cursor.execute(
                "SELECT TABLE_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s AND "
                "COLUMN_NAME = 'int_value' AND DATA_TYPE = 'int'", (mysql.database,))
            narrow = [table for (table,) in cursor.fetchall() if table in PROPERTY_TABLES]
            for table in narrow:
                cursor.execute(f"ALTER TABLE `{table}` MODIFY COLUMN int_value BIGINT")
    finally:
        session.close()
    return narrow
