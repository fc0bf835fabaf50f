"""FnArgs: what a TFX-style `run_fn(fn_args)` receives, with TFX's field names."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any


def tf_dataset_factory(file_pattern: str | list[str], dataset_options: Any, schema: Any = None) -> Any:
    """A tf.data.Dataset of (features, label) batches from tf.Example files, via tfx-bsl's TFXIO."""
    from tfx_bsl.public import tfxio

    patterns = [file_pattern] if isinstance(file_pattern, str) else list(file_pattern)
    source = tfxio.TFExampleRecord(file_pattern=patterns, schema=schema,
                                   telemetry_descriptors=["Starling", "Trainer"])
    return source.TensorFlowDataset(dataset_options)


def record_batch_factory(file_pattern: str | list[str], options: Any, schema: Any = None) -> Iterator[Any]:
    """Arrow RecordBatches from tf.Example files, via tfx-bsl's TFXIO."""
    from tfx_bsl.public import tfxio

    patterns = [file_pattern] if isinstance(file_pattern, str) else list(file_pattern)
    source = tfxio.TFExampleRecord(file_pattern=patterns, schema=schema,
                                   telemetry_descriptors=["Starling", "Trainer"])
    return source.RecordBatches(options)


@dataclasses.dataclass(frozen=True)
class DataAccessor:
    """TFX's data accessor: factories reading the examples the Trainer was given."""

    tf_dataset_factory: Callable[..., Any] = tf_dataset_factory
    record_batch_factory: Callable[..., Any] = record_batch_factory
    data_view_decode_fn: Callable[..., Any] | None = None


@dataclasses.dataclass
class FnArgs:
    """The argument of `run_fn`, field for field as TFX names them.

    Attributes:
        train_files: File patterns of the training split.
        eval_files: File patterns of the evaluation split.
        transform_output: The TransformGraph directory (TFTransformOutput), or None.
        transform_graph_path: The same path (TFX's older name).
        schema_path: The schema.pbtxt path; `schema_file` is the same.
        serving_model_dir: Where run_fn saves the serving SavedModel.
        model_run_dir: Where run_fn may write logs (TensorBoard) and checkpoints.
        train_steps: Training steps asked for.
        eval_steps: Evaluation steps asked for.
        base_model: The base model's SavedModel directory, for warm-starting, or None.
        hyperparameters: A dict of hyperparameters (empty if none).
        custom_config: A free-form dict (empty if none).
        data_accessor: `tf_dataset_factory` and `record_batch_factory`.
    """

    train_files: list[str]
    eval_files: list[str]
    transform_output: str | None
    schema_path: str
    serving_model_dir: str
    model_run_dir: str
    train_steps: int
    eval_steps: int
    base_model: str | None
    hyperparameters: dict[str, Any]
    custom_config: dict[str, Any]
    data_accessor: DataAccessor = dataclasses.field(default_factory=DataAccessor)

    @property
    def transform_graph_path(self) -> str | None:
        """TFX's older name for transform_output."""
        return self.transform_output

    @property
    def schema_file(self) -> str:
        """TFX's other name for schema_path."""
        return self.schema_path

    @property
    def working_dir(self) -> str:
        """TFX's name for where intermediate files may go."""
        return self.model_run_dir

    @property
    def model_serve_dir(self) -> str:
        """TFX's older name for serving_model_dir."""
        return self.serving_model_dir
