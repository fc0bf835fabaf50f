"""Pusher: copies a blessed model into a TF Serving layout, atomically, as a new version."""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from pathlib import Path

from pipelines import Input, Output, Parameter, component
from pipelines.artifacts import Model, ModelBlessing, PushedModel

SERVING_MODEL_DIR = "Format-Serving"
_VERSION = re.compile(r"^\d+$")


def existing_versions(model_base: str) -> list[int]:
    """The numeric version directories under `<serving_base>/<model_name>/`, ascending."""
    if not os.path.isdir(model_base):
        return []
    return sorted(int(name) for name in os.listdir(model_base) if _VERSION.match(name))


def push_saved_model(saved_model_dir: str, model_base: str, attempts: int = 5) -> tuple[int, str]:
    """Copies a SavedModel to `<model_base>/<next version>/` via a temporary sibling and a rename.

    A version directory appears whole or not at all, and an existing version is never
    overwritten (if another pusher takes the version first, the next one is tried).

    Returns:
        (version, destination directory).
    """
    os.makedirs(model_base, exist_ok=True)
    staging = os.path.join(model_base, f".pushing-{uuid.uuid4().hex}")
    shutil.copytree(saved_model_dir, staging)
    try:
        for _ in range(attempts):
            version = max(existing_versions(model_base), default=0) + 1
            destination = os.path.join(model_base, str(version))
            try:
                os.rename(staging, destination)  # fails if the version appeared meanwhile
            except OSError:
                continue
            return version, destination
        raise RuntimeError(f"could not claim a new version under {model_base} after {attempts} tries")
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@component(name="Pusher")
def pusher(model: Input[Model], model_blessing: Input[ModelBlessing], pushed_model: Output[PushedModel],
           serving_base: Parameter[str], model_name: Parameter[str] = "model"):
    """Pushes the model only if blessed; records `pushed` 1/0 and the destination.

    Args:
        model: The candidate Model (its `Format-Serving/` SavedModel is pushed).
        model_blessing: The Evaluator's verdict on it.
        pushed_model: Records `pushed`, `destination`, `pushed_version` and `model_name`.
        serving_base: The serving directory; models go to `<serving_base>/<model_name>/<version>/`.
        model_name: The served model's name.
    """
    record = {"model_id": model.id, "blessing_id": model_blessing.id, "model_name": model_name,
              "pushed": 0}
    if int(model_blessing.blessed or 0) == 1:
        saved_model = os.path.join(model.uri, SERVING_MODEL_DIR)
        if not os.path.isdir(saved_model):
            raise FileNotFoundError(f"Model artifact {model.id} has no {SERVING_MODEL_DIR}/ SavedModel "
                                    f"at {saved_model}")
        version, destination = push_saved_model(saved_model, os.path.join(serving_base, model_name))
        record.update(pushed=1, destination=os.path.abspath(destination), pushed_version=version)
    pushed_model.pushed = record["pushed"]
    for key in ("destination", "pushed_version", "model_name"):
        if key in record:
            pushed_model.properties[key] = record[key]
    Path(pushed_model.path("push.json")).write_text(json.dumps(record, indent=2))


Pusher = pusher
