"""LOAD_AND_QUERY: requests built from an Examples artifact, sent over REST and gRPC."""

from __future__ import annotations

import base64
import glob
import os

from components.infra_validator.sandbox import SANDBOX_MODEL_NAME, SandboxServer


class QueryError(Exception):
    """The model loaded but did not answer a request; the message names the API and signature."""


def read_examples(split_dir: str, count: int) -> list[bytes]:
    """The first `count` serialized tf.Examples of one split (gzipped TFRecords).

    Raises:
        QueryError: the split has no examples.
    """
    import tensorflow as tf

    files = sorted(glob.glob(os.path.join(split_dir, "*.gz")))
    if not files:
        raise QueryError(f"no example files (*.gz) in {split_dir}")
    dataset = tf.data.TFRecordDataset(files, compression_type="GZIP").take(count)
    examples = [record.numpy() for record in dataset]
    if not examples:
        raise QueryError(f"the examples in {split_dir} are empty")
    return examples


def query_rest(sandbox: SandboxServer, signature: str, examples: list[bytes], timeout: float) -> None:
    """One `:predict` with the examples as `{"b64": ...}` values of the signature's input.

    Raises:
        QueryError: any answer but 200 (the server's error message included).
    """
    import httpx

    body = {"signature_name": signature,
            "instances": [{"b64": base64.b64encode(example).decode()} for example in examples]}
    response = httpx.post(f"{sandbox.rest_url}:predict", json=body, timeout=timeout)
    if response.status_code != 200:
        raise QueryError(f"REST predict on signature '{signature}' answered {response.status_code}: "
                         f"{response.text[:500]}")


def query_grpc(sandbox: SandboxServer, signature: str, examples: list[bytes], input_name: str,
               timeout: float) -> None:
    """One PredictionService.Predict with the examples as a string tensor.

    Raises:
        QueryError: the call failed (status code and details included).
    """
    import grpc
    import tensorflow as tf
    from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

    request = predict_pb2.PredictRequest()
    request.model_spec.name = SANDBOX_MODEL_NAME
    request.model_spec.signature_name = signature
    request.inputs[input_name].CopyFrom(tf.make_tensor_proto(examples))
    with grpc.insecure_channel(sandbox.grpc_target) as channel:
        try:
            prediction_service_pb2_grpc.PredictionServiceStub(channel).Predict(request, timeout=timeout)
        except grpc.RpcError as error:
            raise QueryError(f"gRPC Predict on signature '{signature}' failed with "
                             f"{error.code().name}: {error.details()}") from None


def signature_inputs(sandbox: SandboxServer, wanted: list[str], timeout: float) -> dict[str, str]:
    """Each wanted signature's string input name, read from the server's `/metadata`.

    Raises:
        QueryError: a wanted signature does not exist or takes no string tensor.
    """
    import httpx

    metadata = httpx.get(f"{sandbox.rest_url}/metadata", timeout=timeout).json()
    signatures = metadata["metadata"]["signature_def"]["signature_def"]
    found = {}
    for name in wanted:
        if name not in signatures:
            raise QueryError(f"the model has no signature '{name}' (signatures: "
                             f"{', '.join(sorted(s for s in signatures if not s.startswith('__')))})")
        strings = [key for key, info in signatures[name].get("inputs", {}).items()
                   if info.get("dtype") == "DT_STRING"]
        if len(strings) != 1:
            raise QueryError(f"signature '{name}' does not take one string tensor of serialized tf.Examples")
        found[name] = strings[0]
    return found
