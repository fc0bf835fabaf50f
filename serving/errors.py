"""Errors the server answers with: each carries TF Serving's status code and its HTTP status."""

from __future__ import annotations


class ServingError(Exception):
    """A request that cannot be served; `code` is TF Serving's (gRPC) status code name."""

    code = "INTERNAL"
    status = 500
    headers: dict[str, str] = {}


class ClientError(ServingError):
    """The request is wrong (INVALID_ARGUMENT, HTTP 400); the message names the field."""

    code = "INVALID_ARGUMENT"
    status = 400


class FailedPrecondition(ClientError):
    """The model cannot answer this kind of request, e.g. no classify signature (HTTP 400)."""

    code = "FAILED_PRECONDITION"


class NotFound(ClientError):
    """Unknown model, version or label (NOT_FOUND, HTTP 404)."""

    code = "NOT_FOUND"
    status = 404


class Overloaded(ServingError):
    """Shed before queueing: the concurrency limit is reached (UNAVAILABLE, HTTP 503)."""

    code = "UNAVAILABLE"
    status = 503
    headers = {"Retry-After": "1"}


class DeadlineExceeded(ServingError):
    """The request's deadline passed before it was answered (DEADLINE_EXCEEDED, HTTP 504)."""

    code = "DEADLINE_EXCEEDED"
    status = 504


class PredictionFailed(ServingError):
    """The model itself raised on a batch (INTERNAL, HTTP 500)."""
