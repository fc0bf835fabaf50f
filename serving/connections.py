"""Bounded connections: what a slow or greedy client can hold, on both APIs.

REST (uvicorn's httptools protocol, extended): a request's head must arrive within
`header_timeout` of the connection opening (or of the previous request on a keep-alive
connection), its body within `body_timeout` of its head, and a client that stops reading its
answer is dropped after `body_timeout` too. Past `max_connections` open connections, a new one is
answered 503 (with Retry-After) and closed without its request being parsed. Slowloris sockets
are closed, not kept: the slots they hold are bounded by the cap and the timeouts.

gRPC (grpc core's own limits, set from the same figures): the connection handshake must finish
within `header_timeout`, at most `max_connections` connections and as many RPCs at once
(RESOURCE_EXHAUSTED beyond), idle connections closed after five minutes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("starling.serving")
_REFUSED_BODY = b'{"error": "the server has too many open connections; retry shortly"}'
_REFUSED = (b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\n"
            b"connection: close\r\ncontent-length: " + str(len(_REFUSED_BODY)).encode() + b"\r\n\r\n"
            + _REFUSED_BODY)
_TIMED_OUT_BODY = b'{"error": "the request was not received in time"}'
_TIMED_OUT = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
              b"content-length: " + str(len(_TIMED_OUT_BODY)).encode() + b"\r\n\r\n" + _TIMED_OUT_BODY)


@dataclasses.dataclass(frozen=True)
class ConnectionLimits:
    """How long a client may take and how many connections it may hold.

    Attributes:
        header_timeout: Seconds for a request's head (from the connection, or the previous
            answer on a keep-alive connection).
        body_timeout: Seconds for its body, once the head arrived; also how long a client may
            leave its answer unread.
        max_connections: Open connections beyond this are refused with 503 (per process).
    """

    header_timeout: float = 10.0
    body_timeout: float = 30.0
    max_connections: int = 1024

    def grpc_options(self) -> list[tuple[str, int]]:
        """Grpc core's channel arguments for the same bounds."""
        return [("grpc.server_handshake_timeout_ms", int(self.header_timeout * 1000)),
                ("grpc.max_allowed_incoming_connections", self.max_connections),
                ("grpc.max_connection_idle_ms", 300_000),
                ("grpc.max_concurrent_streams", 100)]


class BoundedHttpProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol with read and write timeouts and a connection cap.

    Subclassed per server by `bounded_protocol` (the limits are a class attribute, since uvicorn
    builds the protocol itself).
    """

    limits = ConnectionLimits()

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._phase: str | None = None  # "head" or "body" while a request is being received
        self._timer: asyncio.TimerHandle | None = None
        self._write_timer: asyncio.TimerHandle | None = None
        self._refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Counts the connection; refuses it past the cap, else starts the head's clock."""
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            self._refused = True  # answered once its first bytes arrive (or closed at the deadline)
            self._arm(self.limits.header_timeout, "refused")
            return
        self._arm(self.limits.header_timeout, "head")

    def data_received(self, data: bytes) -> None:
        """Feeds the parser (a refused connection gets its 503 instead)."""
        if self._refused:
            if not self.transport.is_closing():
                self.transport.write(_REFUSED)
                self.transport.close()
            return
        super().data_received(data)

    def on_message_begin(self) -> None:
        """A request starts: its head's clock runs (unless already running since the connection)."""
        super().on_message_begin()
        if self._phase is None:
            self._arm(self.limits.header_timeout, "head")

    def on_headers_complete(self) -> None:
        """The head arrived: the body's clock starts."""
        self._arm(self.limits.body_timeout, "body")
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        """The whole request arrived: no clock until the next one."""
        self._disarm()
        super().on_message_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        """Stops every clock."""
        self._disarm()
        if self._write_timer is not None:
            self._write_timer.cancel()
        super().connection_lost(exc)

    def pause_writing(self) -> None:
        """The client stopped reading: it has `body_timeout` to resume."""
        super().pause_writing()
        if self._write_timer is None:
            self._write_timer = self.loop.call_later(self.limits.body_timeout, self._write_timed_out)

    def resume_writing(self) -> None:
        """The client reads again."""
        super().resume_writing()
        if self._write_timer is not None:
            self._write_timer.cancel()
            self._write_timer = None

    def _arm(self, seconds: float, phase: str) -> None:
        self._disarm()
        self._phase = phase
        self._timer = self.loop.call_later(seconds, self._timed_out)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._phase = None, None

    def _timed_out(self) -> None:
        phase, self._timer = self._phase, None
        if self.transport.is_closing():
            return
        if phase != "refused":
            log.info("closing a connection from %s: its request %s did not arrive in time",
                     self.client[0] if self.client else "?", phase)
            if self.cycle is None or not self.cycle.response_started:
                self.transport.write(_TIMED_OUT)
        self.transport.close()

    def _write_timed_out(self) -> None:
        self._write_timer = None
        log.info("dropping a connection from %s: it left its answer unread",
                 self.client[0] if self.client else "?")
        self.transport.abort()  # close() would wait for the unread answer to be sent


def bounded_protocol(limits: ConnectionLimits) -> type[BoundedHttpProtocol]:
    """The protocol class to give uvicorn (`http=`) for these limits."""
    return type("BoundedHttpProtocol", (BoundedHttpProtocol,), {"limits": limits})
