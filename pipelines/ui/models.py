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
    return dict(sorted(by_name.items()))


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
