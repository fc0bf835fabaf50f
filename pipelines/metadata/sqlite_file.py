"""The SQLite file under an MLMD store: a corrupt or empty file is refused, a crash's journal rolled back.

MLMD opens whatever file it is given: random bytes come back as a confusing schema-version
error, and a zero-byte file (a store truncated by a full disk, or a crash while it was created)
is silently initialised as a new, empty store, losing the fact that the runs were lost. Both
are refused here, naming the file and leaving it as it is.

A writer killed during a commit leaves a hot journal (`metadata.sqlite-journal`). The next
connection with write access rolls it back, as SQLite is designed to; a read-only connection
cannot and fails every query with "attempt to write a readonly database". Read-only readers
(`starling ui`) therefore roll the journal back first with a short read-write connection; a
live writer still holds its lock, and then the journal is not hot and nothing is touched.
"""

from __future__ import annotations

import os
import time
import urllib.parse

from pipelines.errors import MetadataError

SQLITE_HEADER = b"SQLite format 3\x00"
CREATING_GRACE_S = 5.0  # a zero-byte file younger than this is a store another process creates now
JOURNAL_SUFFIX = "-journal"


class CorruptStoreError(MetadataError):
    """The store's file exists but is not a SQLite database (or is empty); it is left untouched."""


def check_sqlite_file(path: str) -> None:
    """Refuses a file that exists but cannot be an MLMD store; a missing file is fine (created).

    Raises:
        CorruptStoreError: the file is empty (and not being created right now) or does not start
            with SQLite's header; the message names it and says it was left as it is.
    """
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as file:
            header = file.read(len(SQLITE_HEADER))
        age_s = time.time() - os.path.getmtime(path)
    except OSError:
        return  # missing (it is created) or unreachable (opening it says why)
    if size == 0 and age_s > CREATING_GRACE_S:
        raise CorruptStoreError(
            f"the metadata store {path} is empty (0 bytes): its runs and artifacts are lost "
            "(a full disk, or a crash while it was created). It was left as it is; move it "
            "aside to start a new store, or restore it from a backup")
    if size and header != SQLITE_HEADER:
        raise CorruptStoreError(
            f"the metadata store {path} is corrupt and cannot be read: it is not a SQLite database "
            f"(it starts with {header[:8]!r}, not {SQLITE_HEADER[:15]!r}). It was left as it is; "
            "restore it from a backup, or move it aside to start a new store")


_CORRUPTION_SIGNS = ("database disk image is malformed", "file is not a database")


def corruption(path: str, error: Exception) -> CorruptStoreError | None:
    """The CorruptStoreError an opening error of SQLite means, or None if it means something else."""
    sign = next((sign for sign in _CORRUPTION_SIGNS if sign in str(error)), None)
    if sign is None:
        return None
    return CorruptStoreError(f"the metadata store {path} is corrupt and cannot be read: SQLite says "
                             f"'{sign}'. It was left as it is; restore it from a backup, or move it "
                             "aside to start a new store")


def has_hot_journal(path: str) -> bool:
    """Whether a rollback journal with content lies beside the database."""
    journal = path + JOURNAL_SUFFIX
    return os.path.isfile(journal) and os.path.getsize(journal) > 0


def roll_back_hot_journal(path: str) -> bool:
    """Lets SQLite roll back what a crashed writer left, so read-only connections can read.

    Returns:
        True if a journal was there and a read-write connection read the database (SQLite
        rolls a hot journal back on that first read); False if there was none, or there is
        no write access (then read-only queries fail until a writer opens the store).
    """
    import sqlite3

    if not has_hot_journal(path):
        return False
    uri = f"file:{urllib.parse.quote(os.path.abspath(path))}?mode=rw"
    try:
        connection = sqlite3.connect(uri, uri=True, timeout=10)
        try:
            connection.execute("PRAGMA schema_version").fetchone()
        finally:
            connection.close()
    except sqlite3.Error:
        return False
    return True
