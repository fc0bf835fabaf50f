"""Messages between a warm worker and its callers: length-prefixed JSON over a Unix socket.

A request carries file descriptors (the caller's stdin, stdout and stderr) beside its first bytes.
"""

from __future__ import annotations

import json
import os
import socket
import struct
from typing import Any

_LENGTH = struct.Struct("!I")
MAX_MESSAGE_BYTES = 4 * 1024 * 1024


class WorkerGone(ConnectionError):
    """The other side closed the connection before a whole message arrived."""


def send_message(connection: socket.socket, message: dict[str, Any], fds: list[int] | None = None) -> None:
    """Sends one message, with `fds` attached when given."""
    payload = json.dumps(message).encode()
    data = _LENGTH.pack(len(payload)) + payload
    if fds:
        sent = socket.send_fds(connection, [data], fds)
        data = data[sent:]
    if data:  # an empty send to a peer that has already answered and closed would fail
        connection.sendall(data)


def _receive_exactly(connection: socket.socket, size: int, start: bytes = b"") -> bytes:
    data = bytearray(start)
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            raise WorkerGone("the connection closed in the middle of a message")
        data += chunk
    return bytes(data)


def receive_message(connection: socket.socket, max_fds: int = 0) -> tuple[dict[str, Any], list[int]]:
    """One message and the descriptors that came with it (at most `max_fds`); reads nothing beyond it.

    Raises:
        WorkerGone: the connection closed first.
        ValueError: the message is too long or not a JSON object.
    """
    if max_fds:
        first, fds, _, _ = socket.recv_fds(connection, _LENGTH.size, max_fds)
    else:
        first, fds = connection.recv(_LENGTH.size), []
    if not first:
        for fd in fds:
            os.close(fd)
        raise WorkerGone("the connection closed")
    (length,) = _LENGTH.unpack(_receive_exactly(connection, _LENGTH.size, first))
    if length > MAX_MESSAGE_BYTES:
        raise ValueError(f"a message of {length} bytes is over the {MAX_MESSAGE_BYTES} allowed")
    message = json.loads(_receive_exactly(connection, length))
    if not isinstance(message, dict):
        raise ValueError("a message must be a JSON object")
    return message, list(fds)
