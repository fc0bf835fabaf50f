"""No client's input fails another client's request, even when their examples share a model call.

Against a real `starling serve` process that batches (a 100 ms window; concurrent requests share
a model call while the model is busy): rounds of 2 bad and 6 good clients at once, over REST and
gRPC. Bad inputs caught before batching (not a tf.Example, a wrong dtype, a string that is not
UTF-8) and inputs only the model rejects (a model without a feature spec; a value count the spec
leaves open) must fail alone, with 400 naming the field; every good request is answered.
"""

from __future__ import annotations

import concurrent.futures
import shutil
import threading
from collections.abc import Callable, Iterator

import pytest

from tests.serving.fixture_model import install
from tests.serving.hostile import GARBAGE, GOOD_ROW, NOT_UTF8, Clients, b64_body, example, served_with_clients
from tests.serving.serve_process import ServeProcess

pytestmark = pytest.mark.e2e
ROUNDS = 8


@pytest.fixture(scope="module")
def served(saved_model, tmp_path_factory) -> Iterator[tuple[ServeProcess, Clients]]:
    base = tmp_path_factory.mktemp("isolation")
    install(saved_model, base, "ctr", 1)
    shutil.rmtree(install(saved_model, base, "nospec", 1) / "assets.extra")
    with served_with_clients(base, "--batch-timeout-ms", "100") as pair:
        yield pair


def rest_error(clients: Clients, body: dict, model: str = "ctr") -> tuple[int, str]:
    response = clients.http.post(f"{clients.url}/v1/models/{model}:predict", json=body)
    return response.status_code, response.json().get("error", "")


def grpc_error(clients: Clients, examples: list[bytes], model: str = "ctr") -> tuple[str, str]:
    import grpc

    try:
        clients.stub.Predict(clients.predict_request(examples, model), timeout=30)
    except grpc.RpcError as error:
        return str(error.code().name), str(error.details())
    return "OK", ""


def hour_as_float() -> bytes:
    from tensorflow.core.example import example_pb2

    wrong = example_pb2.Example.FromString(example())
    del wrong.features.feature["hour"]
    wrong.features.feature["hour"].float_list.value.append(3.0)
    return wrong.SerializeToString()


def two_delays() -> bytes:
    """`delay_ms` is optional in the spec (any count passes the check); the model takes one."""
    from tensorflow.core.example import example_pb2

    wrong = example_pb2.Example.FromString(example())
    wrong.features.feature["delay_ms"].int64_list.value.extend([0, 0])
    return wrong.SerializeToString()


BAD: dict[str, Callable[[Clients], tuple[object, str]]] = {
    "rest not UTF-8": lambda c: rest_error(c, b64_body(NOT_UTF8)),
    "rest not a tf.Example": lambda c: rest_error(c, b64_body(GARBAGE)),
    "grpc not UTF-8": lambda c: grpc_error(c, [example(), NOT_UTF8]),
    "grpc wrong dtype": lambda c: grpc_error(c, [hour_as_float()]),
    "rest not UTF-8, no spec": lambda c: rest_error(c, b64_body(NOT_UTF8), "nospec"),
    "grpc not UTF-8, no spec": lambda c: grpc_error(c, [NOT_UTF8], "nospec"),
    "rest two values, no check": lambda c: rest_error(c, b64_body(two_delays())),
}
NAMED = {"rest not UTF-8": "instances[0]['examples']: feature 'platform' is not UTF-8 text",
         "rest not a tf.Example": "instances[0]['examples']: not a serialized tf.Example",
         "grpc not UTF-8": "inputs['examples'][1]: feature 'platform' is not UTF-8 text",
         "grpc wrong dtype": "inputs['examples'][0]: feature 'hour' holds float_list values where the "
                             "model expects int64_list",
         "rest not UTF-8, no spec": "model 'nospec' rejected the input",
         "grpc not UTF-8, no spec": "model 'nospec' rejected the input",
         "rest two values, no check": "model 'ctr' rejected the input"}


def good(clients: Clients, index: int) -> object:
    model = "nospec" if index % 3 == 0 else "ctr"
    if index % 2:
        return clients.rest({"instances": [GOOD_ROW, GOOD_ROW]}, model) if model == "ctr" else (
            clients.rest(b64_body(example()), model))
    return clients.grpc(clients.predict_request([example()] * 2, model))


@pytest.mark.parametrize("bad", sorted(BAD))
def test_bad_examples_fail_alone_with_400_naming_the_field(served, bad):
    _, clients = served
    start = threading.Barrier(8)

    def bad_client(_: int) -> tuple[object, str]:
        start.wait()
        return BAD[bad](clients)

    def good_client(index: int) -> object:
        start.wait()
        return good(clients, index)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        for _ in range(ROUNDS):
            bads = [pool.submit(bad_client, i) for i in range(2)]
            goods = [pool.submit(good_client, i) for i in range(6)]
            answers = [g.result() for g in goods]
            assert answers.count(200) + answers.count("OK") == 6, answers
            for answer in bads:
                code, message = answer.result()
                assert code in (400, "INVALID_ARGUMENT") and NAMED[bad] in message, (code, message)
