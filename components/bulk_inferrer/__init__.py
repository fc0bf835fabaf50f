"""BulkInferrer: batch predictions of a (blessed) model over Examples, on Beam with RunInference."""

from components.bulk_inferrer.executor import BulkInferrer
from components.bulk_inferrer.output_examples import OutputExampleSpecError

__all__ = ["BulkInferrer", "OutputExampleSpecError"]
