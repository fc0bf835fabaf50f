"""Clients good and bad, for the tests that try to wedge a real `starling serve` process.

Each client sends one request and returns what it got: an HTTP status, a gRPC status code's
name, or `"gone"` when it hung up before any answer (so no answer exists).
"""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import grpc
import httpx

from tests.serving.fixture_model import ROWS

GOOD_ROW = ROWS[0]


def example(platform: bytes = b"ios", hour: int = 3, x: float = 0.5, delay_ms: int = 0) -> bytes:
    """A serialized tf.Example of the fixture model's raw features."""
    from tensorflow.core.example import example_pb2

    built = example_pb2.Example()
    built.features.feature["x"].float_list.value.append(x)
    built.features.feature["platform"].bytes_list.value.append(platform)
    built.features.feature["hour"].int64_list.value.append(hour)
    if delay_ms:
        built.features.feature["delay_ms"].int64_list.value.append(delay_ms)
    return built.SerializeToString()


NOT_UTF8 = example(platform=b"\xff\xfeios")
GARBAGE = b"garbage\xff\x00not a tf.Example"


def b64_body(*serialized: bytes) -> dict[str, Any]:
    """A REST predict body of serialized tf.Examples."""
    return {"instances": [{"examples": {"b64": base64.b64encode(s).decode()}} for s in serialized]}


class Clients:
    """Requests to one server, over REST (httpx, raw sockets) and gRPC (TF Serving's stubs)."""

    def __init__(self, url: str, grpc_target: str):
        from tensorflow_serving.apis import prediction_service_pb2_grpc

        self.url = url
        self.http = httpx.Client(timeout=30)
        self.host, self.port = urlsplit(url).hostname or "", urlsplit(url).port or 80
        self.grpc_target = grpc_target
        self.channel = grpc.insecure_channel(grpc_target)
        self.stub = prediction_service_pb2_grpc.PredictionServiceStub(self.channel)

    def close(self) -> None:
        """Closes the HTTP client and the gRPC channel."""
        self.http.close()
        self.channel.close()

    def rest(self, body: dict[str, Any], model: str = "ctr", timeout: float = 30.0) -> int:
        """POST :predict; the HTTP status."""
        return self.http.post(f"{self.url}/v1/models/{model}:predict", json=body, timeout=timeout).status_code

    def predict_request(self, examples: list[bytes], model: str = "ctr", signature: str = "") -> Any:
        """A gRPC PredictRequest over serialized tf.Examples."""
        import tensorflow as tf
        from tensorflow_serving.apis import predict_pb2

        request = predict_pb2.PredictRequest()
        request.model_spec.name = model
        request.model_spec.signature_name = signature
        request.inputs["examples"].CopyFrom(tf.make_tensor_proto(examples))
        return request

    def grpc(self, request: Any, timeout: float = 30.0) -> str:
        """Predict; the status code's name."""
        try:
            self.stub.Predict(request, timeout=timeout)
        except grpc.RpcError as error:
            return str(error.code().name)
        return "OK"

    def grpc_cancelled(self, request: Any, after: float = 0.05) -> str:
        """Predict, cancelled by the client after `after` seconds."""
        call = self.stub.Predict.future(request, timeout=30)
        time.sleep(after)
        call.cancel()
        return "gone"

    def hang_up(self, body: bytes, send_share: float = 1.0) -> str:
        """A raw HTTP request (all of it, or a share of its body), then the socket closed unread."""
        head = (f"POST /v1/models/ctr:predict HTTP/1.1\r\nHost: {self.host}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
        with socket.create_connection((self.host, self.port), timeout=10) as sock:
            sock.sendall(head + body[:int(len(body) * send_share)])
        return "gone"


def mixed_clients(clients: Clients) -> dict[str, tuple[Callable[[], object], set[object]]]:
    """Every kind of client the admission tests mix: name -> (send one, outcomes allowed).

    A request that reaches the model may meet 504 when it queued behind slow ones (a model call
    takes as long as its slowest example); one refused before (a bad input) may not. Nothing
    may be a 500 except the signature that is broken whatever the input.
    """
    good_rest = {"instances": [GOOD_ROW]}
    many = clients.predict_request([example()] * 3000)
    slow = {"instances": [dict(GOOD_ROW, delay_ms=2500)]}
    hung = json.dumps({"instances": [dict(GOOD_ROW, delay_ms=300)]}).encode()
    return {
        "rest ok": (lambda: clients.rest(good_rest), {200, 504}),
        "rest bad value": (lambda: clients.rest({"instances": [dict(GOOD_ROW, x="high")]}), {400}),
        "rest garbage b64": (lambda: clients.rest(b64_body(GARBAGE)), {400}),
        "rest not UTF-8": (lambda: clients.rest(b64_body(NOT_UTF8)), {400}),
        "rest model error (no spec)": (lambda: clients.rest(b64_body(NOT_UTF8), model="nospec"),
                                       {400, 504}),
        "rest broken signature": (lambda: clients.rest({"signature_name": "batch_total",
                                                        "instances": [GOOD_ROW]}), {500, 504}),
        "rest past deadline": (lambda: clients.rest(slow), {504}),
        "rest hang up after request": (lambda: clients.hang_up(hung), {"gone"}),
        "rest hang up mid-body": (lambda: clients.hang_up(hung, 0.5), {"gone"}),
        "grpc ok": (lambda: clients.grpc(clients.predict_request([example()])), {"OK", "DEADLINE_EXCEEDED"}),
        "grpc garbage": (lambda: clients.grpc(clients.predict_request([GARBAGE])), {"INVALID_ARGUMENT"}),
        "grpc deadline": (lambda: clients.grpc(many, timeout=0.02), {"DEADLINE_EXCEEDED"}),
        "grpc cancel": (lambda: clients.grpc_cancelled(clients.predict_request([example(delay_ms=500)])),
                        {"gone"}),
    }


@contextlib.contextmanager
def served_with_clients(base: Any, *flags: str) -> Iterator[tuple[Any, Clients]]:
    """`starling serve` over `base` with `flags`, and clients of it; both closed after the block."""
    from tests.serving.serve_process import serve

    process = serve(base, *flags)
    clients = Clients(process.url, process.grpc_target)
    try:
        yield process, clients
    finally:
        clients.close()
        process.stop()
