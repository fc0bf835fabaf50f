"""The Models page's data: pushed versions per model name, their blessing, and what serving reports."""

from __future__ import annotations

import dataclasses
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from pipelines.metadata import MetadataStore
from pipelines.ui.queries import event_port

SERVING_TIMEOUT_S = 2.0


@dataclasses.dataclass
class PushedVersion:
    """One push the Pusher recorded (pushed or refused)."""

    model_name: str
    version: int | None
    pushed: bool
    pushed_model_id: int
    destination: str | None
    created_at_ms: int
    model_id: int | None
    blessing_id: int | None
    blessed: bool | None
    serving_state: str | None = None
    span: int | None = None  # of the examples the model was evaluated on
    metrics: dict[str, Any] = dataclasses.field(default_factory=dict)  # overall, candidate
    evaluation_id: int | None = None

    @property
    def serves(self) -> bool:
        """True when the model server reports this version AVAILABLE."""
        return self.serving_state == "AVAILABLE"


def pushed_versions(store: MetadataStore) -> dict[str, list[PushedVersion]]:
    """Model name -> its pushes, newest first (refused pushes included, `pushed` False)."""
    from ml_metadata.proto import metadata_store_pb2

    records = store.query_artifacts("type = 'PushedModel'")
    events = store.events_of_artifacts([int(r.id or 0) for r in records])
    producer_of = {e.artifact_id: e.execution_id for e in events
                   if e.type == metadata_store_pb2.Event.OUTPUT}
    pusher_inputs = _inputs_by_execution(store, set(producer_of.values()))
    blessings = {int(a.id or 0): a for a in store.artifacts_by_id(
        {ids["model_blessing"] for ids in pusher_inputs.values() if "model_blessing" in ids})}
    by_name: dict[str, list[PushedVersion]] = {}
    for record in records:
        inputs = pusher_inputs.get(producer_of.get(int(record.id or 0), -1), {})
        blessing = blessings.get(inputs.get("model_blessing", -1))
        props = record.properties
        version = props.get("pushed_version")
        name = str(props.get("model_name") or "model")
        by_name.setdefault(name, []).append(PushedVersion(
            name, int(version) if version is not None else None, bool(props.get("pushed")),
            int(record.id or 0), props.get("destination"), int(record.created_at_ms or 0),
            inputs.get("model"), inputs.get("model_blessing"),
            None if blessing is None else bool(blessing.properties.get("blessed"))))
    _add_evaluations(store, [push for pushes in by_name.values() for push in pushes])
    return dict(sorted(by_name.items()))


def metric_names(pushes: list[PushedVersion]) -> list[str]:
    """The overall metrics any of these versions has, in first-seen order."""
    return list(dict.fromkeys(name for push in pushes for name in push.metrics))


def _add_evaluations(store: MetadataStore, pushes: list[PushedVersion]) -> None:
    """Fills each push's overall metrics and span from the evaluation that produced its blessing."""
    from ml_metadata.proto import metadata_store_pb2

    from pipelines.ui.run_columns import overall_metrics

    blessing_ids = {push.blessing_id for push in pushes if push.blessing_id is not None}
    evaluator_of = {e.artifact_id: e.execution_id for e in store.events_of_artifacts(sorted(blessing_ids))
                    if e.type == metadata_store_pb2.Event.OUTPUT}
    events = store.events_of_executions(sorted(set(evaluator_of.values())))
    artifacts = {int(a.id or 0): a for a in store.artifacts_by_id({e.artifact_id for e in events})}
    found: dict[int, dict[str, Any]] = {}
    for event in events:
        artifact = artifacts.get(event.artifact_id)
        if artifact is None:
            continue
        facts = found.setdefault(event.execution_id, {})
        if artifact.type_name == "ModelEvaluation":
            facts.update(evaluation_id=int(artifact.id or 0), metrics=overall_metrics(artifact.uri))
        elif event_port(event) == "examples" and isinstance(artifact.properties.get("span"), int):
            facts["span"] = artifact.properties["span"]
    for push in pushes:
        facts = found.get(evaluator_of.get(push.blessing_id or -1, -1), {})
        push.span, push.evaluation_id = facts.get("span"), facts.get("evaluation_id")
        push.metrics = facts.get("metrics", {})


def _inputs_by_execution(store: MetadataStore, execution_ids: set[int]) -> dict[int, dict[str, int]]:
    from ml_metadata.proto import metadata_store_pb2

    inputs: dict[int, dict[str, int]] = {}
    for event in store.events_of_executions(sorted(execution_ids)):
        if event.type == metadata_store_pb2.Event.INPUT:
            inputs.setdefault(event.execution_id, {})[event_port(event)] = event.artifact_id
    return inputs


def serving_states(serving_url: str, model_name: str) -> dict[int, str]:
    """Version -> state (e.g. AVAILABLE) from TF Serving's REST status `GET /v1/models/NAME`.

    Raises:
        ConnectionError: the server cannot be reached or answers something else; says which URL.
    """
    url = f"{serving_url.rstrip('/')}/v1/models/{urllib.parse.quote(model_name)}"
    try:
        with urllib.request.urlopen(url, timeout=SERVING_TIMEOUT_S) as response:
            body: Any = json.loads(response.read())
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return {}
        raise ConnectionError(f"{url} answered HTTP {error.code}") from error
    except (OSError, ValueError) as error:
        raise ConnectionError(f"cannot read {url}: {error}") from error
    return {int(entry["version"]): str(entry.get("state", "?"))
            for entry in body.get("model_version_status", [])}


def with_serving_states(versions: dict[str, list[PushedVersion]], serving_url: str | None,
                        ) -> dict[str, str]:
    """Fills `serving_state` of each pushed version from the server; returns errors by model name."""
    errors: dict[str, str] = {}
    if not serving_url:
        return errors
    for name, pushes in versions.items():
        try:
            states = serving_states(serving_url, name)
        except ConnectionError as error:
            errors[name] = str(error)
            continue
        for push in pushes:
            if push.version is not None:
                push.serving_state = states.get(push.version, "not loaded")
    return errors
