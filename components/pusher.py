"""Pusher: copies a blessed model into a TF Serving layout, atomically, as a new version."""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from pathlib import Path

from pipelines import Input, Output, Parameter, component, storage
from pipelines.artifacts import SERVING_MODEL_DIR, InfraBlessing, Model, ModelBlessing, PushedModel
from pipelines.runner.leftovers import record_directory

_VERSION = re.compile(r"^\d+$")
PUSHING_PREFIX = ".pushing-"
SAVED_MODEL_FILE = "saved_model.pb"


def existing_versions(model_base: str) -> list[int]:
    """The numeric version directories under `<serving_base>/<model_name>/`, ascending (or URL)."""
    return sorted(int(name) for name in storage.child_names(model_base) if _VERSION.match(name))


def push_saved_model_to_url(saved_model_dir: str, model_base: str) -> tuple[int, str]:
    """Uploads a SavedModel to `<model_base URL>/<next version>/`, its `saved_model.pb` last.

    An object store has no atomic rename: a version counts as complete once its
    `saved_model.pb` is there (the model server's object-store mirror waits for it), so that file
    is written after every other one. Two pushers racing for one version are not arbitrated here.

    Returns:
        (version, destination URL).
    """
    version = max(existing_versions(model_base), default=0) + 1
    destination = storage.join(model_base, str(version))
    storage.upload_tree(saved_model_dir, destination, last=SAVED_MODEL_FILE)
    return version, destination


def push_saved_model(saved_model_dir: str, model_base: str, attempts: int = 5) -> tuple[int, str]:
    """Copies a SavedModel to `<model_base>/<next version>/` via a temporary sibling and a rename.

    A version directory appears whole or not at all, and an existing version is never
    overwritten (if another pusher takes the version first, the next one is tried). The copy,
    `.pushing-<uuid>`, is removed whatever fails (a full disk included), and recorded on the
    running execution so that recovery removes it after a `kill -9`.

    Returns:
        (version, destination directory).
    """
    os.makedirs(model_base, exist_ok=True)
    staging = os.path.join(model_base, f"{PUSHING_PREFIX}{uuid.uuid4().hex}")
    record_directory(staging, "half-copied push")  # recovery removes it if this process dies
    try:
        shutil.copytree(saved_model_dir, staging)  # a full disk fails here: the finally cleans up
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


def refusal(model_blessing: ModelBlessing | None, infra_blessing: InfraBlessing | None) -> str | None:
    """Why the model must not be pushed (None: it may be)."""
    if model_blessing is None and infra_blessing is None:
        return "no blessing given (neither a model_blessing nor an infra_blessing)"
    if model_blessing is not None and int(model_blessing.blessed or 0) != 1:
        return f"model not blessed (ModelBlessing #{model_blessing.id})"
    if infra_blessing is not None and int(infra_blessing.blessed or 0) != 1:
        return f"model failed infra validation (InfraBlessing #{infra_blessing.id})"
    return None


@component(name="Pusher")
def pusher(model: Input[Model], pushed_model: Output[PushedModel], serving_base: Parameter[str],
           model_blessing: Input[ModelBlessing] | None = None,
           infra_blessing: Input[InfraBlessing] | None = None,
           model_name: Parameter[str] = "model") -> None:
    """Pushes the model only if every blessing given is blessed; records `pushed` 1/0 and why.

    Args:
        model: The candidate Model (its `Format-Serving/` SavedModel is pushed).
        pushed_model: Records `pushed`, `destination`, `pushed_version` and `model_name`.
        serving_base: The serving directory; models go to `<serving_base>/<model_name>/<version>/`.
        model_blessing: The Evaluator's verdict on it.
        infra_blessing: InfraValidator's verdict on it.
        model_name: The served model's name.
    """
    record = {"model_id": model.id, "model_name": model_name, "pushed": 0,
              "blessing_id": model_blessing.id if model_blessing is not None else None,
              "infra_blessing_id": infra_blessing.id if infra_blessing is not None else None}
    reason = refusal(model_blessing, infra_blessing)
    if reason is None:
        saved_model = os.path.join(model.uri, SERVING_MODEL_DIR)
        if not os.path.isdir(saved_model):
            raise FileNotFoundError(f"Model artifact {model.id} has no {SERVING_MODEL_DIR}/ SavedModel "
                                    f"at {saved_model}")
        push = push_saved_model_to_url if storage.is_url(serving_base) else push_saved_model
        version, destination = push(saved_model, storage.join(serving_base, model_name))
        record.update(pushed=1, destination=storage.absolute(destination), pushed_version=version)
    else:
        record["not_pushed_because"] = reason
    pushed_model.pushed = record["pushed"]
    for key in ("destination", "pushed_version", "model_name", "not_pushed_because"):
        if key in record:
            pushed_model.properties[key] = record[key]
    Path(pushed_model.path("push.json")).write_text(json.dumps(record, indent=2))

Pusher = pusher
