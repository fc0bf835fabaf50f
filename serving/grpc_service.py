"""TF Serving's gRPC API: PredictionService and ModelService, over the same Inference as REST.

Predict takes the signature's string tensor of serialized tf.Examples as is (no JSON, no
re-encoding); Classify and Regress take TF Serving's `Input` (an ExampleList, optionally with
a context merged into each example). Errors carry TF Serving's status codes.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import grpc
import numpy as np
from tensorflow.core.example import example_pb2
from tensorflow.core.framework import tensor_pb2, tensor_shape_pb2, types_pb2
from tensorflow_serving.apis import (
    classification_pb2,
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
    regression_pb2,
)

from serving import status
from serving.errors import ClientError, ServingError
from serving.inference import OFFLOAD_BYTES, Answer, Inference, Target
from serving.loaded_model import LoadedModel, Signature
from serving.rest_bodies import classify_results, regress_results

log = logging.getLogger("starling.serving")
Reply = TypeVar("Reply")
ExamplesReply = TypeVar("ExamplesReply", classification_pb2.ClassificationResponse,
                        regression_pb2.RegressionResponse)
_NUMPY_TO_DT = {np.dtype(np.float32): types_pb2.DT_FLOAT, np.dtype(np.float64): types_pb2.DT_DOUBLE,
                np.dtype(np.int32): types_pb2.DT_INT32, np.dtype(np.int64): types_pb2.DT_INT64,
                np.dtype(np.bool_): types_pb2.DT_BOOL}


def tensor_proto(array: np.ndarray) -> tensor_pb2.TensorProto:
    """A TensorProto of a numpy array (numbers as raw tensor_content, strings as string_val)."""
    shape = tensor_shape_pb2.TensorShapeProto(dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=d)
                                                   for d in array.shape])
    if array.dtype.kind in "OSU":
        values = [v if isinstance(v, bytes) else str(v).encode() for v in array.reshape(-1).tolist()]
        return tensor_pb2.TensorProto(dtype=types_pb2.DT_STRING, tensor_shape=shape, string_val=values)
    if array.dtype not in _NUMPY_TO_DT:
        array = array.astype(np.float32)
    return tensor_pb2.TensorProto(dtype=_NUMPY_TO_DT[array.dtype], tensor_shape=shape,
                                  tensor_content=np.ascontiguousarray(array).tobytes())


def target_of(model_spec: Any) -> Target:
    """The Target a ModelSpec names (version, or version_label, and signature)."""
    version = model_spec.version.value if model_spec.HasField("version") else None
    return Target(model_spec.name, version, model_spec.version_label or None,
                  model_spec.signature_name or None)


def _examples_of_input(request_input: Any, model: LoadedModel) -> list[bytes]:
    """Serialized examples of a TF Serving `Input`, checked against the model's feature spec.

    Each example is merged with the context, if there is one.
    """
    kind = request_input.WhichOneof("kind")
    if kind == "example_list":
        examples = list(request_input.example_list.examples)
    elif kind == "example_list_with_context":
        context = request_input.example_list_with_context.context
        examples = []
        for example in request_input.example_list_with_context.examples:
            combined = example_pb2.Example()
            combined.CopyFrom(context)
            combined.MergeFrom(example)
            examples.append(combined)
    else:
        raise ClientError("input: expected an example_list or example_list_with_context")
    for index, example in enumerate(examples):
        model.feature_spec.check_example(example, f"input: {kind}.examples[{index}]")
    return [example.SerializeToString() for example in examples]


def _predict_examples(request: predict_pb2.PredictRequest, model: LoadedModel,
                      signature: Signature) -> list[bytes]:
    name = signature.input_name
    unknown = sorted(set(request.inputs) - {name})
    if unknown:
        raise ClientError(f"input '{unknown[0]}' is not an input of signature '{signature.name}' "
                          f"(inputs: {name})")
    if name not in request.inputs:
        raise ClientError(f"input '{name}' of signature '{signature.name}' is missing")
    tensor = request.inputs[name]
    if tensor.dtype != types_pb2.DT_STRING:
        raise ClientError(f"input '{name}' must be a DT_STRING tensor of serialized tf.Examples, got "
                          f"{types_pb2.DataType.Name(tensor.dtype)}")
    if not tensor.string_val:
        raise ClientError(f"input '{name}' holds no serialized tf.Examples")
    check = model.feature_spec.check_serialized
    return [check(example, f"inputs['{name}'][{index}]") for index, example in enumerate(tensor.string_val)]


class PredictionService(prediction_service_pb2_grpc.PredictionServiceServicer):
    """tensorflow.serving.PredictionService."""

    def __init__(self, inference: Inference):
        self.inference = inference

    async def Predict(self, request: predict_pb2.PredictRequest, context: grpc.aio.ServicerContext
                      ) -> predict_pb2.PredictResponse:
        """Runs a signature on the request's tensor of serialized tf.Examples."""
        async def answer() -> predict_pb2.PredictResponse:
            result = await self.inference.run(
                "grpc_predict", target_of(request.model_spec), "predict",
                lambda model, signature: _predict_examples(request, model, signature),
                context.time_remaining(), heavy=request.ByteSize() > OFFLOAD_BYTES)
            wanted = set(request.output_filter) or set(result.outputs)
            missing = sorted(wanted - set(result.outputs))
            if missing:
                raise ClientError(f"output_filter: '{missing[0]}' is not an output "
                                  f"(outputs: {', '.join(sorted(result.outputs))})")
            response = predict_pb2.PredictResponse()
            _fill_spec(response.model_spec, result.model, result.signature)
            for name in sorted(wanted):
                response.outputs[name].CopyFrom(tensor_proto(result.outputs[name]))
            return response
        return await _answer(context, answer)

    async def Classify(self, request: classification_pb2.ClassificationRequest,
                       context: grpc.aio.ServicerContext) -> classification_pb2.ClassificationResponse:
        """Classes and scores per example."""
        def fill(response: classification_pb2.ClassificationResponse, answer: Answer) -> None:
            for pairs in classify_results(answer.outputs):
                classification = response.result.classifications.add()
                for label, score in pairs:
                    classification.classes.add(label=label, score=score)
        return await self._on_examples("classify", request, classification_pb2.ClassificationResponse(),
                                       fill, context)

    async def Regress(self, request: regression_pb2.RegressionRequest,
                      context: grpc.aio.ServicerContext) -> regression_pb2.RegressionResponse:
        """One value per example."""
        def fill(response: regression_pb2.RegressionResponse, answer: Answer) -> None:
            for value in regress_results(answer.outputs):
                response.result.regressions.add(value=value)
        return await self._on_examples("regress", request, regression_pb2.RegressionResponse(), fill, context)

    async def _on_examples(self, method: str, request: Any, response: ExamplesReply,
                           fill: Callable[[ExamplesReply, Answer], None],
                           context: grpc.aio.ServicerContext) -> ExamplesReply:
        """Classify and Regress: TF Serving's `Input` of examples in, `fill` writes the result."""
        async def answer() -> ExamplesReply:
            result = await self.inference.run(f"grpc_{method}", target_of(request.model_spec), method,
                                              lambda model, _: _examples_of_input(request.input, model),
                                              context.time_remaining(),
                                              heavy=request.ByteSize() > OFFLOAD_BYTES)
            _fill_spec(response.model_spec, result.model, result.signature)
            fill(response, result)
            return response
        return await _answer(context, answer)

    async def GetModelMetadata(self, request: get_model_metadata_pb2.GetModelMetadataRequest,
                               context: grpc.aio.ServicerContext
                               ) -> get_model_metadata_pb2.GetModelMetadataResponse:
        """The signature defs (the only metadata field TF Serving offers)."""
        async def answer() -> get_model_metadata_pb2.GetModelMetadataResponse:
            fields = set(request.metadata_field)
            if fields != {"signature_def"}:
                raise ClientError(f"metadata_field: only 'signature_def' is available, got "
                                  f"{sorted(fields) or 'none'}")
            target = target_of(request.model_spec)
            model = self.inference.repository.model(target.model).get(target.version, target.label)
            response = get_model_metadata_pb2.GetModelMetadataResponse()
            response.model_spec.name = model.name
            response.model_spec.version.value = model.version
            response.metadata["signature_def"].Pack(status.signature_def_map(model))
            return response
        return await _answer(context, answer)


class ModelService(model_service_pb2_grpc.ModelServiceServicer):
    """tensorflow.serving.ModelService (status; configuration reloads are not offered)."""

    def __init__(self, inference: Inference):
        self.inference = inference

    async def GetModelStatus(self, request: get_model_status_pb2.GetModelStatusRequest,
                             context: grpc.aio.ServicerContext
                             ) -> get_model_status_pb2.GetModelStatusResponse:
        """Every version's state, or the one asked for."""
        async def answer() -> get_model_status_pb2.GetModelStatusResponse:
            target = target_of(request.model_spec)
            served = self.inference.repository.model(target.model)
            return status.status_response(served, target.version, target.label)
        return await _answer(context, answer)


def _fill_spec(spec: Any, model: LoadedModel, signature: Signature) -> None:
    spec.name = model.name
    spec.version.value = model.version
    spec.signature_name = signature.name


async def _answer(context: grpc.aio.ServicerContext, produce: Callable[[], Awaitable[Reply]]) -> Reply:
    try:
        return await produce()
    except ServingError as error:
        await context.abort(grpc.StatusCode[error.code], str(error))
    except Exception as error:  # a bug of ours: INTERNAL with the reason, logged with its trace
        log.exception("gRPC request failed")
        await context.abort(grpc.StatusCode.INTERNAL, f"internal error: {type(error).__name__}: {error}")
    raise AssertionError("unreachable: context.abort raises")


def add_services(server: grpc.aio.Server, inference: Inference) -> None:
    """Registers both services on a gRPC server."""
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(PredictionService(inference), server)
    model_service_pb2_grpc.add_ModelServiceServicer_to_server(ModelService(inference), server)
