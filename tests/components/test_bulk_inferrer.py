"""BulkInferrer: PredictionLogs equal the SavedModel's own predictions; Examples with predictions;
a NOT_BLESSED model is refused."""

import glob

import numpy as np
import pytest

from components import BulkInferrer
from components.bulk_inferrer import OutputExampleSpecError
from pipelines import LocalRunner, Pipeline
from tests.components.examples_fixture import synthetic_examples
from tests.components.model_fixture import tiny_model, verdict

SPEC = {"output_columns_spec": [{"predict_output": {"output_columns": [
    {"output_key": "outputs", "output_column": "score"}]}}]}


def _run(tmp_path, blessed=1, **options):
    examples = synthetic_examples(rows=50)
    model = tiny_model()
    blessing = verdict(blessed=blessed)
    infer = BulkInferrer(examples=examples.outputs["examples"], model=model.outputs["model"],
                         model_blessing=blessing.outputs["blessing"], splits=["eval"], **options)
    result = LocalRunner().run(Pipeline("infer", str(tmp_path / "root"), [examples, model, blessing, infer]))
    assert result.status == "COMPLETE", result.nodes[infer.id].error
    return result, infer.id


def _savedmodel_predictions(model, serialized):
    import tensorflow as tf

    serve = tf.saved_model.load(model.path("Format-Serving")).signatures["serving_default"]
    return serve(examples=tf.constant(serialized))["outputs"].numpy().reshape(-1)


def test_prediction_logs_match_the_savedmodel_on_the_same_examples(tmp_path):
    import tensorflow as tf
    from tensorflow_serving.apis import prediction_log_pb2

    result, node = _run(tmp_path)
    inference = result.output(node, "inference_result")
    files = sorted(glob.glob(inference.path("prediction_logs-*.gz")))
    logs = [prediction_log_pb2.PredictionLog.FromString(record.numpy())
            for record in tf.data.TFRecordDataset(files, compression_type="GZIP")]
    assert len(logs) == 50  # the eval split only
    serialized = [next(iter(log.predict_log.request.inputs.values())).string_val[0] for log in logs]
    served = np.array([tf.make_ndarray(log.predict_log.response.outputs["outputs"]).item() for log in logs])
    own = _savedmodel_predictions(result.output("tiny_model", "model"), serialized)
    np.testing.assert_allclose(served, own, rtol=1e-5)
    eval_files = glob.glob(result.output("synthetic_examples", "examples").split_uri("eval") + "/*.gz")
    originals = {record.numpy() for record in tf.data.TFRecordDataset(eval_files, compression_type="GZIP")}
    assert set(serialized) == originals


def test_output_examples_carry_the_predictions(tmp_path):
    import tensorflow as tf

    result, node = _run(tmp_path, output_example_spec=SPEC)
    output = result.output(node, "output_examples")
    assert output.split_names == ["eval"]
    records = [record.numpy() for record in tf.data.TFRecordDataset(
        glob.glob(output.split_uri("eval") + "/data_tfrecord-*.gz"), compression_type="GZIP")]
    examples = [tf.train.Example.FromString(record) for record in records]
    scores = np.array([example.features.feature["score"].float_list.value[0] for example in examples])
    for example in examples:
        del example.features.feature["score"]
    own = _savedmodel_predictions(result.output("tiny_model", "model"),
                                  [example.SerializeToString() for example in examples])
    np.testing.assert_allclose(scores, own, rtol=1e-5)
    assert {"age", "income", "clicked"} <= set(examples[0].features.feature)


def test_not_blessed_model_is_refused(tmp_path):
    result, node = _run(tmp_path, blessed=0)
    inference = result.output(node, "inference_result")
    assert inference.properties["inferred"] == 0
    assert "NOT_BLESSED" in inference.properties["refused"]
    assert not glob.glob(inference.path("prediction_logs-*"))


def test_malformed_output_example_spec_fails_when_the_pipeline_is_built():
    examples = synthetic_examples(rows=5)
    model = tiny_model()
    bad = {"output_columns_spec": [{"classify_output": {"label_column": "c"}}]}
    with pytest.raises(OutputExampleSpecError, match=r"output_columns_spec\[0\] has \['classify_output'\]"):
        BulkInferrer(examples=examples.outputs["examples"], model=model.outputs["model"],
                     output_example_spec=bad)
