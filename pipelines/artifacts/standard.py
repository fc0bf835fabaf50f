"""The standard artifact types, named as TFX names them in MLMD so TFX and KFP tooling recognise them.

Each type's LAYOUT documents what its directory holds (TFX's on-disk layout).
"""

from __future__ import annotations

from pipelines.artifacts.base import Artifact
from pipelines.artifacts.properties import IntProperty, StringListProperty

# The directory inside a Model artifact that holds its serving SavedModel (TFX's name).
SERVING_MODEL_DIR = "Format-Serving"


class SpannedArtifact(Artifact):
    """An artifact that belongs to one data span (and version), split into named splits."""

    span = IntProperty()
    version = IntProperty()
    split_names = StringListProperty()

    def split_uri(self, split: str) -> str:
        """The directory of one split, TFX-style `Split-<name>`."""
        return self.path(f"Split-{split}")


class Examples(SpannedArtifact):
    """Training data as gzipped tf.Example TFRecords."""

    TYPE_NAME = "Examples"
    BASE_TYPE = "DATASET"
    LAYOUT = "Split-<split>/data_tfrecord-*.gz (gzipped TFRecords of tf.Example)"


class ExampleStatistics(SpannedArtifact):
    """TFDV statistics of each split."""

    TYPE_NAME = "ExampleStatistics"
    BASE_TYPE = "STATISTICS"
    LAYOUT = "Split-<split>/FeatureStats.pb (DatasetFeatureStatisticsList) and report.html"


class ExampleAnomalies(SpannedArtifact):
    """TFDV anomalies of each split against a schema (and drift/skew comparisons)."""

    TYPE_NAME = "ExampleAnomalies"
    LAYOUT = "Split-<split>/SchemaDiff.pb (tensorflow_metadata Anomalies) and report.html"


class Schema(Artifact):
    """A tensorflow_metadata Schema."""

    TYPE_NAME = "Schema"
    LAYOUT = "schema.pbtxt"


class TransformGraph(Artifact):
    """A TFTransformOutput directory: the featurization graph shared by training and serving."""

    TYPE_NAME = "TransformGraph"
    LAYOUT = "transform_fn/, transformed_metadata/"


class TransformCache(Artifact):
    """TFT analyzer cache, reused across spans."""

    TYPE_NAME = "TransformCache"


class Model(Artifact):
    """A trained model; its serving SavedModel applies the transform graph to raw tf.Examples."""

    TYPE_NAME = "Model"
    BASE_TYPE = "MODEL"
    LAYOUT = f"{SERVING_MODEL_DIR}/ (SavedModel), optionally Format-TFMA/"


class ModelRun(Artifact):
    """Training logs (e.g. TensorBoard) of one Trainer run."""

    TYPE_NAME = "ModelRun"


class ModelEvaluation(Artifact):
    """TFMA evaluation output."""

    TYPE_NAME = "ModelEvaluation"
    BASE_TYPE = "METRICS"
    LAYOUT = "TFMA output files (metrics, plots, validations) and report.html"


class ModelBlessing(Artifact):
    """The Evaluator's verdict on a model: a BLESSED or NOT_BLESSED file, `blessed` 1 or 0."""

    TYPE_NAME = "ModelBlessing"
    blessed = IntProperty()
    LAYOUT = "BLESSED or NOT_BLESSED (empty marker file)"


class InfraBlessing(Artifact):
    """InfraValidator's verdict: the model loads (and answers) in a sandboxed model server."""

    TYPE_NAME = "InfraBlessing"
    blessed = IntProperty()
    LAYOUT = "INFRA_BLESSED or INFRA_NOT_BLESSED (marker file; the latter holds the reason)"


class PushedModel(Artifact):
    """A record of a push: `pushed` 1/0 and the serving `destination`."""

    TYPE_NAME = "PushedModel"
    pushed = IntProperty()
    LAYOUT = "a record of the push; the model itself lives at the `destination` property"


class HyperParameters(Artifact):
    """Hyperparameters as JSON (a Tuner's: the best KerasTuner HyperParameters config)."""

    TYPE_NAME = "HyperParameters"
    LAYOUT = ("hyperparameters.json (a dict), or a Tuner's best_hyperparameters.txt (KerasTuner "
              "HyperParameters config as JSON, as TFX writes it); the Trainer hands either to run_fn")


class TunerResults(Artifact):
    """Every completed trial of a Tuner: id, score and hyperparameter values, best first."""

    TYPE_NAME = "TunerResults"
    LAYOUT = "tuner_results.json (a list of {trial_id, score, <hyperparameter>: value})"


class InferenceResult(Artifact):
    """Batch inference results: PredictionLog records (TFX's BulkInferrer layout)."""

    TYPE_NAME = "InferenceResult"
    LAYOUT = "prediction_logs-*.gz (gzipped TFRecords of tensorflow_serving PredictionLog)"


STANDARD_TYPES: tuple[type[Artifact], ...] = (
    Examples,
    ExampleStatistics,
    ExampleAnomalies,
    Schema,
    TransformGraph,
    TransformCache,
    Model,
    ModelRun,
    ModelEvaluation,
    ModelBlessing,
    InfraBlessing,
    PushedModel,
    HyperParameters,
    TunerResults,
    InferenceResult,
)
