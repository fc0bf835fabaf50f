"""`output_example_spec`: which prediction outputs become which features of the output Examples.

The spec is TFX's `OutputExampleSpec` in its JSON/dict form, predict outputs only::

    {"output_columns_spec": [{"predict_output": {"output_columns": [
        {"output_key": "outputs", "output_column": "score"}]}}]}
"""

from __future__ import annotations

from typing import Any


class OutputExampleSpecError(ValueError):
    """The output_example_spec is malformed; the message names the field."""


def output_columns(spec: dict[str, Any]) -> dict[str, str]:
    """The spec's {prediction output key: feature name to write}.

    Raises:
        OutputExampleSpecError: a field is missing or not a predict_output (names it).
    """
    columns: dict[str, str] = {}
    specs = spec.get("output_columns_spec") if isinstance(spec, dict) else None
    if not specs:
        raise OutputExampleSpecError(
            "BulkInferrer: output_example_spec needs 'output_columns_spec': [{'predict_output': "
            "{'output_columns': [{'output_key': ..., 'output_column': ...}]}}]")
    for index, entry in enumerate(specs):
        if set(entry) - {"predict_output", "signature_name"}:
            raise OutputExampleSpecError(
                f"BulkInferrer: output_example_spec.output_columns_spec[{index}] has "
                f"{sorted(set(entry) - {'predict_output', 'signature_name'})}; only predict_output "
                "is supported (serving signatures here are predict signatures)")
        for position, column in enumerate(entry.get("predict_output", {}).get("output_columns", [])):
            if not column.get("output_key") or not column.get("output_column"):
                raise OutputExampleSpecError(
                    f"BulkInferrer: output_example_spec.output_columns_spec[{index}].predict_output"
                    f".output_columns[{position}] needs output_key and output_column")
            columns[column["output_key"]] = column["output_column"]
    if not columns:
        raise OutputExampleSpecError("BulkInferrer: output_example_spec names no output_columns")
    return columns


def example_with_predictions(prediction_log: Any, columns: dict[str, str]) -> Any:
    """The input tf.Example of a predict PredictionLog, with the chosen outputs added as float features.

    Raises:
        KeyError: the model has no output named in the spec (names the outputs it has).
    """
    import tensorflow as tf

    request, response = prediction_log.predict_log.request, prediction_log.predict_log.response
    [serialized] = list(request.inputs.values())
    example = tf.train.Example.FromString(serialized.string_val[0])
    for key, feature in columns.items():
        if key not in response.outputs:
            raise KeyError(f"BulkInferrer: the model has no output '{key}' (it has "
                           f"{sorted(response.outputs)}); fix output_example_spec")
        values = tf.make_ndarray(response.outputs[key]).reshape(-1).tolist()
        example.features.feature[feature].float_list.value[:] = values
    return example
