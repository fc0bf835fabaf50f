"""Errors the server turns into HTTP responses."""

from __future__ import annotations


class ClientError(Exception):
    """The request is wrong (HTTP 400); the message names the field."""

    status = 400


class NotFound(ClientError):
    """Unknown model or version (HTTP 404)."""

    status = 404


class Overloaded(Exception):
    """The request queue is full (HTTP 503 with Retry-After)."""
