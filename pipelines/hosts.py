"""The Host-header check of the model server's REST API and of the web UI (DNS rebinding).

A web page on another site can make a browser send requests to a server on 127.0.0.1 by
pointing its own name at 127.0.0.1 (DNS rebinding); the Host header then carries that name. So
a request is served only when its Host is a loopback name (`localhost`, `*.localhost`), an IP
address (which no DNS answer can rebind), or a name the operator allowed: `--allowed-host NAME`
(repeatable; `*.example.com` for a domain's subdomains, `*` for any name), or the
`STARLING_ALLOWED_HOSTS` environment variable (comma-separated). Anything else is answered 400
naming the host and the flag. A request without a Host header (HTTP/1.0) comes from no browser
and is served.
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Iterable
from typing import Any

ENVIRONMENT_VARIABLE = "STARLING_ALLOWED_HOSTS"
LOOPBACK_NAMES = ("localhost", "*.localhost")


class AllowedHosts:
    """Which Host names a server answers to (see the module's docstring)."""

    def __init__(self, extra: Iterable[str] = (), environment: bool = True):
        names = [*LOOPBACK_NAMES, *extra]
        if environment:
            names += os.environ.get(ENVIRONMENT_VARIABLE, "").split(",")
        cleaned = [name.strip().lower().rstrip(".") for name in names if name.strip()]
        self.any = "*" in cleaned
        self.names = frozenset(name for name in cleaned if not name.startswith("*."))
        self.suffixes = tuple(name[1:] for name in cleaned if name.startswith("*."))

    def allows(self, host_header: str | None) -> bool:
        """Whether a request with this Host header (name, optional port) may be served."""
        if host_header is None or self.any:
            return True
        host = _host_name(host_header)
        if host in self.names or host.endswith(self.suffixes):
            return True
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return False
        return True


def _host_name(header: str) -> str:
    """The name of a Host header, lower case, without port, brackets or a final dot."""
    host = header.strip().lower()
    if host.startswith("["):  # [::1]:8501
        return host[1:].split("]", 1)[0]
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


class HostCheck:
    """ASGI middleware answering 400 to HTTP requests whose Host is not allowed."""

    def __init__(self, app: Any, allowed: AllowedHosts, flag: str | None = "--allowed-host"):
        self.app = app
        self.allowed = allowed
        self.flag = flag  # the command-line flag that allows more names, if the server has one

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Refuses the request, or passes it on."""
        if scope["type"] == "http":
            host = next((value.decode("latin-1") for name, value in scope["headers"] if name == b"host"),
                        None)
            if not self.allowed.allows(host):
                name = _host_name(host or "")
                how = f"start the server with {self.flag} {name} or " if self.flag else ""
                body = json.dumps({"error": f"Host '{host}' is not allowed (a DNS rebinding guard); to "
                                            f"serve it, {how}set {ENVIRONMENT_VARIABLE}={name}"}).encode()
                await send({"type": "http.response.start", "status": 400,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
