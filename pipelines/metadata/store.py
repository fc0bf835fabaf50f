"""MetadataStore: Starling's records in ML Metadata (types, contexts, executions, events)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from pipelines.artifacts import Artifact
from pipelines.errors import MetadataError
from pipelines.metadata import codec
from pipelines.metadata.connection import connect, describe
from pipelines.metadata.records import ExecutionRecord, RunRecord, now_ms, quoted, run_record

__all__ = ["PIPELINE_CONTEXT", "RUN_CONTEXT", "ExecutionRecord", "MetadataStore", "RunRecord", "now_ms",
           "quoted"]

if TYPE_CHECKING:
    from ml_metadata.metadata_store import metadata_store
    from ml_metadata.proto import metadata_store_pb2
    from ml_metadata.proto.metadata_store_pb2 import Context, Event, Execution

    from pipelines.metadata.connection import StoreConfig

PIPELINE_CONTEXT = "pipeline"
RUN_CONTEXT = "pipeline_run"


class MetadataStore:
    """Starling's view of an MLMD store; every call is serialised by a lock (safe from threads).

    Example:
        >>> from pipelines.metadata import MetadataStore, sqlite_config
        >>> store = MetadataStore(sqlite_config("/tmp/doc-example/metadata.sqlite"))
        >>> isinstance(store.list_runs(), list)
        True
    """

    def __init__(self, config: StoreConfig, root: str | None = None):
        """Opens the store.

        Args:
            config: Where MLMD lives.
            root: The pipeline root: artifact uris inside it are stored relative to it and
                resolved against it, so a root can move. Default: a SQLite store's own directory
                (`<root>/metadata.sqlite`); none for other stores (uris stay absolute).
        """
        from ml_metadata.proto import metadata_store_pb2

        self.config = config
        self.root = os.path.abspath(root) if root else _sqlite_directory(config)
        self.location = describe(config)
        self._pb = metadata_store_pb2
        self._store = connect(config)
        self._lock = threading.RLock()
        self._artifact_type_ids: dict[str, int] = {}
        self._type_names: dict[int, str] = {}
        self._execution_type_ids: dict[str, int] = {}
        self._context_type_ids: dict[str, int] = {}

    @contextmanager
    def _mlmd(self, operation: str) -> Iterator[None]:
        """Serialises a call into MLMD and turns its errors into one-line MetadataErrors."""
        with self._lock:
            try:
                yield
            except MetadataError:
                raise
            except Exception as error:  # MLMD raises its own status errors, ValueError, ...
                reason = (str(error).strip().splitlines() or [type(error).__name__])[0][:300]
                raise MetadataError(f"metadata store {operation} failed ({self.location}): "
                                    f"{reason}") from error

    @property
    def mlmd(self) -> metadata_store.MetadataStore:
        """The underlying `ml_metadata.MetadataStore`, for queries Starling does not wrap."""
        return self._store

    # -- types -----------------------------------------------------------------------------

    def artifact_type_id(self, artifact_class: type[Artifact]) -> int:
        """Registers (once) and returns the MLMD type id of an artifact class."""
        name = artifact_class.TYPE_NAME
        if name not in self._artifact_type_ids:
            pb = self._pb
            kinds = {"INT": pb.INT, "DOUBLE": pb.DOUBLE, "STRING": pb.STRING}
            artifact_type = pb.ArtifactType(name=name)
            for prop_name, prop in artifact_class.declared_properties().items():
                artifact_type.properties[prop_name] = kinds[prop.MLMD_KIND]
            if artifact_class.BASE_TYPE:
                artifact_type.base_type = pb.ArtifactType.SystemDefinedBaseType.Value(
                    artifact_class.BASE_TYPE)
            with self._mlmd("put_artifact_type"):
                type_id = self._store.put_artifact_type(artifact_type, can_add_fields=True)
            self._artifact_type_ids[name] = type_id
            self._type_names[type_id] = name
        return self._artifact_type_ids[name]

    def _type_name(self, type_id: int) -> str:
        if type_id not in self._type_names:
            with self._mlmd("get_artifact_types"):
                for artifact_type in self._store.get_artifact_types():
                    self._type_names[artifact_type.id] = artifact_type.name
        return self._type_names.get(type_id, "Artifact")

    def _execution_type_id(self, component: str) -> int:
        if component not in self._execution_type_ids:
            with self._mlmd("put_execution_type"):
                self._execution_type_ids[component] = self._store.put_execution_type(
                    self._pb.ExecutionType(name=component), can_add_fields=True)
        return self._execution_type_ids[component]

    def _context_type_id(self, name: str) -> int:
        if name not in self._context_type_ids:
            with self._mlmd("put_context_type"):
                self._context_type_ids[name] = self._store.put_context_type(
                    self._pb.ContextType(name=name), can_add_fields=True)
        return self._context_type_ids[name]

    # -- contexts --------------------------------------------------------------------------

    def pipeline_context(self, pipeline_name: str) -> Context:
        """The pipeline's context, created on first use."""
        return self._get_or_create_context(PIPELINE_CONTEXT, pipeline_name, {})

    def create_run_context(self, run_id: str, properties: dict[str, Any]) -> Context:
        """A new context for one run of a pipeline."""
        return self._get_or_create_context(RUN_CONTEXT, run_id, properties)

    def update_context(self, context: Context, properties: dict[str, Any]) -> None:
        """Sets custom properties on a context (e.g. a run's final status)."""
        for name, value in properties.items():
            codec.set_value(context.custom_properties[name], value)
        with self._mlmd("put_contexts"):
            self._store.put_contexts([context])

    def _get_or_create_context(self, type_name: str, name: str, props: dict[str, Any]) -> Context:
        type_id = self._context_type_id(type_name)
        with self._mlmd("get_context_by_type_and_name"):
            existing = self._store.get_context_by_type_and_name(type_name, name)
            if existing is not None:
                return existing
            context = self._pb.Context(type_id=type_id, name=name)
            for key, value in props.items():
                codec.set_value(context.custom_properties[key], value)
            [context.id] = self._store.put_contexts([context])
        return context

    # -- executions ------------------------------------------------------------------------

    def start_execution(
        self, component: str, properties: dict[str, Any], inputs: dict[str, Artifact],
        contexts: Sequence[Context],
    ) -> int:
        """Records a RUNNING execution with INPUT events for its input artifacts."""
        execution = self._new_execution(component, "RUNNING", properties)
        events = self._events(inputs, self._pb.Event.INPUT)
        with self._mlmd("put_execution"):
            execution_id, _, _ = self._store.put_execution(execution, events, list(contexts))
        return execution_id

    def finish_execution(
        self, execution_id: int, component: str, state: str, properties: dict[str, Any],
        outputs: dict[str, Artifact], contexts: Sequence[Context],
    ) -> None:
        """Marks an execution COMPLETE or FAILED, publishing output artifacts with OUTPUT events.

        Output artifacts get their MLMD ids in place.
        """
        execution = self._new_execution(component, state, properties)
        execution.id = execution_id
        events = self._events(outputs, self._pb.Event.OUTPUT)
        with self._mlmd("put_execution"):
            _, artifact_ids, _ = self._store.put_execution(
                execution, events, list(contexts), reuse_context_if_already_exist=True)
        for artifact, artifact_id in zip(outputs.values(), artifact_ids, strict=True):
            artifact.id = artifact_id

    def record_cached_execution(
        self, component: str, properties: dict[str, Any], inputs: dict[str, Artifact],
        outputs: dict[str, Artifact], contexts: Sequence[Context],
    ) -> int:
        """Records a CACHED execution linking the reused inputs and outputs."""
        execution = self._new_execution(component, "CACHED", properties)
        events = self._events(inputs, self._pb.Event.INPUT)
        events += self._events(outputs, self._pb.Event.OUTPUT)
        with self._mlmd("put_execution"):
            execution_id, _, _ = self._store.put_execution(execution, events, list(contexts))
        return execution_id

    def record_resolution(
        self, component: str, properties: dict[str, Any], inputs: dict[str, Artifact],
        resolved: dict[str, Artifact], contexts: Sequence[Context], state: str = "COMPLETE",
    ) -> int:
        """Records a resolver execution; resolved artifacts are linked as INTERNAL_OUTPUT."""
        execution = self._new_execution(component, state, properties)
        events = self._events(inputs, self._pb.Event.INPUT)
        events += self._events(resolved, self._pb.Event.INTERNAL_OUTPUT)
        with self._mlmd("put_execution"):
            execution_id, _, _ = self._store.put_execution(execution, events, list(contexts))
        return execution_id

    def _new_execution(self, component: str, state: str, properties: dict[str, Any]) -> Execution:
        execution = self._pb.Execution(
            type_id=self._execution_type_id(component),
            last_known_state=self._pb.Execution.State.Value(state))
        for name, value in properties.items():
            if value is not None:
                codec.set_value(execution.custom_properties[name], value)
        return execution

    def _events(self, artifacts: dict[str, Artifact], event_type: int,
                ) -> list[tuple[metadata_store_pb2.Artifact, Event]]:
        """One event per distinct artifact; an artifact on several ports names them all in its path.

        MLMD keeps one event per (artifact, execution, type), so the same artifact on two input
        ports (a candidate that is also the latest blessed model) is one event, path
        `[port_a, 0, port_b, 0]`.
        """
        ports_of: dict[int, list[str]] = {}
        by_identity: dict[int, Artifact] = {}
        for port, artifact in artifacts.items():
            identity = artifact.id if artifact.id is not None else -id(artifact)
            by_identity.setdefault(identity, artifact)
            ports_of.setdefault(identity, []).append(port)
        pairs = []
        for identity, artifact in by_identity.items():
            proto = codec.to_proto(artifact, self.artifact_type_id(type(artifact)), self.root)
            event = self._pb.Event(type=event_type)
            for port in ports_of[identity]:
                event.path.steps.add().key = port
                event.path.steps.add().index = 0
            pairs.append((proto, event))
        return pairs

    # -- queries ---------------------------------------------------------------------------

    def find_cached_outputs(self, cache_key: str, event_type: str = "OUTPUT",
                            ) -> tuple[int, dict[str, Artifact]] | None:
        """The newest COMPLETE execution with this cache key and its output artifacts by port."""
        from ml_metadata.metadata_store import metadata_store

        query = (f"custom_properties.cache_key.string_value = {quoted(cache_key)} AND "
                 "last_known_state = COMPLETE")
        options = metadata_store.ListOptions(
            limit=1, order_by=metadata_store.OrderByField.ID, is_asc=False, filter_query=query)
        with self._mlmd("get_executions"):
            executions = self._store.get_executions(list_options=options)
        if not executions:
            return None
        execution_id = executions[0].id
        return execution_id, self.execution_artifacts(execution_id, event_type)

    def execution_artifacts(self, execution_id: int, event_type: str) -> dict[str, Artifact]:
        """Artifacts linked to an execution by events of one type, keyed by port name."""
        wanted = self._pb.Event.Type.Value(event_type)
        with self._mlmd("get_events_by_execution_ids"):
            events = [e for e in self._store.get_events_by_execution_ids([execution_id])
                      if e.type == wanted]
        by_id = {a.id: a for a in self.artifacts_by_id([e.artifact_id for e in events])}
        return {port: by_id[event.artifact_id] for event in events if event.artifact_id in by_id
                for port in _ports_of(event)}

    def artifacts_by_id(self, artifact_ids: Iterable[int]) -> list[Artifact]:
        """Artifacts by MLMD id (missing ids are left out)."""
        ids = list(artifact_ids)
        if not ids:
            return []
        with self._mlmd("get_artifacts_by_id"):
            protos = self._store.get_artifacts_by_id(ids)
        return [codec.from_proto(p, self._type_name(p.type_id), self.root) for p in protos]

    def artifact(self, artifact_id: int) -> Artifact:
        """One artifact by id.

        Raises:
            MetadataError: no artifact has this id.
        """
        found = self.artifacts_by_id([artifact_id])
        if not found:
            raise MetadataError(f"no artifact with id {artifact_id} in {self.location}")
        return found[0]

    def query_artifacts(self, filter_query: str, newest_first: bool = True,
                        limit: int | None = None) -> list[Artifact]:
        """Artifacts matching an MLMD filter query, newest first by default."""
        from ml_metadata.metadata_store import metadata_store

        options = metadata_store.ListOptions(
            limit=limit, order_by=metadata_store.OrderByField.ID, is_asc=not newest_first,
            filter_query=filter_query or None)
        with self._mlmd("get_artifacts"):
            protos = self._store.get_artifacts(list_options=options)
        return [codec.from_proto(p, self._type_name(p.type_id), self.root) for p in protos]

    def latest_artifact(self, type_name: str) -> Artifact:
        """The newest LIVE artifact of a type.

        Raises:
            MetadataError: there is none.
        """
        found = self.query_artifacts(f"type = {quoted(type_name)} AND state = LIVE", limit=1)
        if not found:
            raise MetadataError(f"no {type_name} artifact in {self.location}")
        return found[0]

    def executions_by_id(self, execution_ids: Iterable[int]) -> list[ExecutionRecord]:
        """Executions by id."""
        with self._mlmd("get_executions_by_id"):
            protos = self._store.get_executions_by_id(list(execution_ids))
            types = {t.id: t.name for t in self._store.get_execution_types()}
        return [self._execution_record(p, types) for p in protos]

    def executions_of_run(self, run_context_id: int) -> list[ExecutionRecord]:
        """Every execution recorded in one run, oldest first."""
        with self._mlmd("get_executions_by_context"):
            protos = self._store.get_executions_by_context(run_context_id)
            types = {t.id: t.name for t in self._store.get_execution_types()}
        return sorted((self._execution_record(p, types) for p in protos), key=lambda e: e.id)

    def _execution_record(self, proto: Execution, type_names: dict[int, str]) -> ExecutionRecord:
        return ExecutionRecord(
            id=proto.id,
            component=type_names.get(proto.type_id, "?"),
            state=self._pb.Execution.State.Name(proto.last_known_state),
            properties={k: codec.get_value(v) for k, v in proto.custom_properties.items()},
            created_at_ms=proto.create_time_since_epoch,
            updated_at_ms=proto.last_update_time_since_epoch,
        )

    def latest_executions(self, pipeline_name: str, node_id: str, limit: int = 20,
                          ) -> list[ExecutionRecord]:
        """The newest executions of one node of a pipeline, newest first."""
        from ml_metadata.metadata_store import metadata_store

        query = (f"custom_properties.pipeline_name.string_value = {quoted(pipeline_name)} AND "
                 f"custom_properties.node_id.string_value = {quoted(node_id)}")
        options = metadata_store.ListOptions(
            limit=limit, order_by=metadata_store.OrderByField.ID, is_asc=False, filter_query=query)
        with self._mlmd("get_executions"):
            protos = self._store.get_executions(list_options=options)
            types = {t.id: t.name for t in self._store.get_execution_types()}
        return [self._execution_record(p, types) for p in protos]

    def events_of_artifacts(self, artifact_ids: Sequence[int]) -> list[Event]:
        """Raw MLMD events touching these artifacts."""
        with self._mlmd("get_events_by_artifact_ids"):
            return list(self._store.get_events_by_artifact_ids(list(artifact_ids)))

    def events_of_executions(self, execution_ids: Sequence[int]) -> list[Event]:
        """Raw MLMD events of these executions."""
        with self._mlmd("get_events_by_execution_ids"):
            return list(self._store.get_events_by_execution_ids(list(execution_ids)))

    def list_runs(self, pipeline_name: str | None = None) -> list[RunRecord]:
        """Runs, newest first, optionally of one pipeline (filtered in MLMD, not in Python)."""
        from ml_metadata.metadata_store import metadata_store

        query = f"type = {quoted(RUN_CONTEXT)}"
        if pipeline_name:
            query += f" AND custom_properties.pipeline_name.string_value = {quoted(pipeline_name)}"
        options = metadata_store.ListOptions(order_by=metadata_store.OrderByField.ID, is_asc=False,
                                             filter_query=query)
        with self._mlmd("get_contexts"):
            contexts = self._store.get_contexts(list_options=options)
        return [run_record(context) for context in contexts]

    def run(self, run_name: str) -> RunRecord:
        """One run by its name (run id).

        Raises:
            MetadataError: no such run.
        """
        with self._mlmd("get_context_by_type_and_name"):
            context = self._store.get_context_by_type_and_name(RUN_CONTEXT, run_name)
        if context is None:
            raise MetadataError(f"no run named '{run_name}' in {self.location}")
        return run_record(context)


def _sqlite_directory(config: Any) -> str | None:
    sqlite = getattr(config, "sqlite", None)
    filename = getattr(sqlite, "filename_uri", "") if sqlite is not None else ""
    return os.path.dirname(os.path.abspath(filename)) if filename else None


def _ports_of(event: Event) -> list[str]:
    return [step.key for step in event.path.steps if step.HasField("key")] or [""]
