"""Atomic publish: components write into staging directories that move into place on success."""

from __future__ import annotations

import os
import shutil

from pipelines.artifacts import Artifact

STAGING_PREFIX = ".staging-"


def final_uri(root: str, node_id: str, output_name: str, execution_id: int) -> str:
    """Where an output lives once published: `<root>/<node_id>/<output>/<execution_id>`."""
    return os.path.join(root, node_id, output_name, str(execution_id))


def staging_uri(root: str, node_id: str, output_name: str, execution_id: int) -> str:
    """The private directory a component writes an output into while it runs."""
    return os.path.join(root, node_id, output_name, f"{STAGING_PREFIX}{execution_id}")


def prepare_staging(outputs: dict[str, Artifact]) -> None:
    """Creates each output's (empty) staging directory."""
    for artifact in outputs.values():
        if os.path.exists(artifact.uri):
            shutil.rmtree(artifact.uri)
        os.makedirs(artifact.uri)


def discard_staging(outputs: dict[str, Artifact]) -> None:
    """Removes staging directories after a failure, leaving nothing half-written."""
    for artifact in outputs.values():
        shutil.rmtree(artifact.uri, ignore_errors=True)


def publish(outputs: dict[str, Artifact], destinations: dict[str, str]) -> None:
    """Renames each staging directory to its final uri; on any error undoes what moved.

    Raises:
        OSError: a rename failed (nothing stays published then).
    """
    moved: list[tuple[Artifact, str]] = []
    try:
        for name, artifact in outputs.items():
            destination = destinations[name]
            if os.path.exists(destination):
                raise FileExistsError(f"refusing to overwrite existing artifact at {destination}")
            os.rename(artifact.uri, destination)
            moved.append((artifact, artifact.uri))
            artifact.uri = destination
    except BaseException:
        for artifact, staging in moved:
            os.rename(artifact.uri, staging)
            artifact.uri = staging
        raise
