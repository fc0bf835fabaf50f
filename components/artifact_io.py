"""Reading and writing the on-disk layouts of standard artifacts (TFX-compatible)."""

from __future__ import annotations

import glob
import os
from typing import Any

from pipelines.artifacts import Artifact, Schema, SpannedArtifact

SCHEMA_FILE = "schema.pbtxt"
EXAMPLES_FILE_PREFIX = "data_tfrecord"


def split_names(artifact: SpannedArtifact) -> list[str]:
    """The artifact's split names: its `split_names` property, else the Split-* directories."""
    if artifact.split_names:
        return list(artifact.split_names)
    found = glob.glob(os.path.join(artifact.uri, "Split-*"))
    return sorted(os.path.basename(path)[len("Split-"):] for path in found)


def examples_file_pattern(examples: SpannedArtifact, split: str) -> str:
    """Glob of an Examples split's gzipped TFRecord files."""
    return os.path.join(examples.split_uri(split), "*.gz")


def examples_files(examples: SpannedArtifact, split: str) -> list[str]:
    """The TFRecord files of one split.

    Raises:
        FileNotFoundError: the split has no files (names the artifact and split).
    """
    files = sorted(glob.glob(examples_file_pattern(examples, split)))
    if not files:
        raise FileNotFoundError(
            f"{examples.TYPE_NAME} artifact {examples.id} has no files for split '{split}' under "
            f"{examples.split_uri(split)}")
    return files


def schema_path(schema: Artifact) -> str:
    """The schema.pbtxt of a Schema artifact."""
    return os.path.join(schema.uri, SCHEMA_FILE)


def read_schema(schema: Schema | str) -> Any:
    """Loads a tensorflow_metadata Schema from a Schema artifact or a .pbtxt path."""
    from google.protobuf import text_format
    from tensorflow_metadata.proto.v0 import schema_pb2

    path = schema if isinstance(schema, str) else schema_path(schema)
    with open(path) as source:
        return text_format.Parse(source.read(), schema_pb2.Schema())


def write_schema(schema_proto: Any, schema: Schema) -> str:
    """Writes a tensorflow_metadata Schema as the artifact's schema.pbtxt; returns the path."""
    from google.protobuf import text_format

    path = schema_path(schema)
    with open(path, "w") as target:
        target.write(text_format.MessageToString(schema_proto))
    return path
