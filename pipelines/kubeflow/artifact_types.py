"""How Starling artifacts appear in Kubeflow Pipelines: KFP artifact classes and report outputs."""

from __future__ import annotations

from pipelines.artifacts import Artifact

_KFP_CLASS_BY_TYPE = {"Examples": "Dataset", "Model": "Model"}
REPORTING_TYPES = frozenset({"ExampleStatistics", "ExampleAnomalies", "ModelEvaluation"})
METRICS_TYPES = frozenset({"ModelEvaluation"})
REPORT_FILE = "report.html"
METRICS_FILE = "metrics.json"

# Keys Starling adds to a KFP artifact's metadata besides the artifact's own properties.
TYPE_KEY = "starling_type"
ID_KEY = "starling_id"
REFERENCE_URI_KEY = "starling_reference_uri"
EMPTY_KEY = "starling_empty"
INTERNAL_KEYS = (TYPE_KEY, ID_KEY, REFERENCE_URI_KEY, EMPTY_KEY)


def kfp_class_name(artifact_type: type[Artifact]) -> str:
    """The kfp.dsl artifact class for a Starling type (TFX's type name stays in metadata)."""
    return _KFP_CLASS_BY_TYPE.get(artifact_type.TYPE_NAME, "Artifact")


def report_output(output_name: str) -> str:
    """The KFP HTML output that carries an output's report.html."""
    return f"{output_name}_report"


def summary_output(output_name: str) -> str:
    """The KFP Markdown output with an output's properties."""
    return f"{output_name}_summary"


def metrics_output(output_name: str) -> str:
    """The KFP Metrics output with an evaluation's headline metrics."""
    return f"{output_name}_metrics"
