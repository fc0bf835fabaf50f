"""Resolver nodes: inputs found in ML Metadata rather than produced in this run.

They feed warm-starting (`latest_model`), baselines (`latest_blessed_model`) and drift checks
(`previous_span`). A resolver's output is empty (None downstream) when nothing matches, so the
consuming input must be optional.

A resolver pinned to a channel (`pinned_to=examples`) resolves once per distinct pinned artifact:
a rerun over the same data reuses the earlier answer, so a fully cached run stays cached. An
unpinned resolver resolves afresh on every run.
"""

from __future__ import annotations

import abc
import hashlib
import os
from collections.abc import Sequence

from pipelines.artifacts import Artifact, Model, ModelBlessing
from pipelines.dsl.annotations import ArtifactPort, Signature
from pipelines.dsl.node import Channel, Node
from pipelines.errors import PipelineDefinitionError
from pipelines.metadata.store import MetadataStore, quoted


class ResolverComponent(abc.ABC):
    """A component that reads MLMD instead of running user code."""

    is_resolver = True
    driver = None  # resolvers read MLMD only

    def __init__(self, name: str, artifact_type: type[Artifact], output_name: str,
                 input_ports: dict[str, ArtifactPort], description: str):
        self.name = name
        self.artifact_type = artifact_type
        self.output_name = output_name
        self.description = description
        self.signature = Signature(
            inputs=input_ports,
            outputs={output_name: ArtifactPort(output_name, artifact_type, optional=True)},
            parameters={})
        self.code_parts = {"resolver": hashlib.sha256(f"{name}:{description}".encode()).hexdigest()[:16]}

    @abc.abstractmethod
    def resolve(self, store: MetadataStore, pipeline_name: str,
                inputs: dict[str, Artifact | None], node: Node) -> Artifact | None:
        """Finds the artifact this resolver stands for, or None."""

    def __repr__(self) -> str:
        return f"<resolver {self.name}: {self.description}>"


def _live_in_pipeline(type_name: str, pipeline_name: str) -> str:
    return (f"type = {quoted(type_name)} AND state = LIVE AND contexts_a.type = 'pipeline' AND "
            f"contexts_a.name = {quoted(pipeline_name)}")


def _on_disk(artifact: Artifact) -> bool:
    return bool(artifact.uri) and os.path.exists(artifact.uri)


class _LatestArtifact(ResolverComponent):
    def __init__(self, artifact_type: type[Artifact], output_name: str, producer: str | None,
                 pins: dict[str, ArtifactPort]):
        self.producer = producer
        where = f" from node '{producer}'" if producer else ""
        super().__init__(f"latest_{output_name}", artifact_type, output_name, pins,
                         f"latest LIVE {artifact_type.TYPE_NAME}{where} of this pipeline")

    def resolve(self, store: MetadataStore, pipeline_name: str, inputs: dict[str, Artifact | None],
                node: Node) -> Artifact | None:
        query = _live_in_pipeline(self.artifact_type.TYPE_NAME, pipeline_name)
        if self.producer:
            query += f" AND custom_properties.producer_node.string_value = {quoted(self.producer)}"
        return next((a for a in store.query_artifacts(query, limit=20) if _on_disk(a)), None)


class _LatestBlessedModel(ResolverComponent):
    def __init__(self, pins: dict[str, ArtifactPort]):
        super().__init__("latest_blessed_model", Model, "model", pins,
                         "latest Model of this pipeline whose ModelBlessing has blessed=1")

    def resolve(self, store: MetadataStore, pipeline_name: str, inputs: dict[str, Artifact | None],
                node: Node) -> Artifact | None:
        query = (_live_in_pipeline(ModelBlessing.TYPE_NAME, pipeline_name)
                 + " AND properties.blessed.int_value = 1")
        for blessing in store.query_artifacts(query, limit=50):
            model = _blessed_model_of(store, blessing)
            if model is not None and model.state == "LIVE" and _on_disk(model):
                return model
        return None


def _blessed_model_of(store: MetadataStore, blessing: Artifact) -> Artifact | None:
    """The Model input (port 'model') of the execution that produced a blessing."""
    from ml_metadata.proto import metadata_store_pb2

    if blessing.id is None:
        return None
    producers = [event.execution_id for event in store.events_of_artifacts([blessing.id])
                 if event.type == metadata_store_pb2.Event.OUTPUT]
    for execution in store.executions_by_id(producers):
        if execution.state == "COMPLETE":
            model = store.execution_artifacts(execution.id, "INPUT").get("model")
            if model is not None:
                return model
    return None


class _PreviousSpan(ResolverComponent):
    def __init__(self, channel: Channel):
        self.output_key = channel.output_name
        super().__init__(f"previous_span_{channel.output_name}", channel.artifact_type, "artifact",
                         {"current": ArtifactPort("current", channel.artifact_type)},
                         f"the {channel.artifact_type.TYPE_NAME} of the latest earlier span")

    def resolve(self, store: MetadataStore, pipeline_name: str, inputs: dict[str, Artifact | None],
                node: Node) -> Artifact | None:
        current = inputs["current"]
        if current is None or current.properties.get("span") is None:
            return None
        span = int(current.properties["span"])
        bound = node.inputs["current"]  # always bound: previous_span() takes a channel
        producer = current.properties.get("producer_node", bound.producer.id if bound is not None else "")
        query = (_live_in_pipeline(self.artifact_type.TYPE_NAME, pipeline_name)
                 + f" AND custom_properties.producer_node.string_value = {quoted(str(producer))}"
                 + f" AND custom_properties.output_key.string_value = {quoted(self.output_key)}"
                 + f" AND properties.span.int_value < {span}")
        candidates = [a for a in store.query_artifacts(query) if _on_disk(a)]
        if not candidates:
            return None
        return max(candidates, key=lambda a: (a.properties.get("span", 0),
                                              a.properties.get("version") or 0, a.id))


def _pins(pinned_to: Channel | Sequence[Channel] | None, resolver: str) -> tuple[
        dict[str, ArtifactPort], dict[str, Channel]]:
    channels = [pinned_to] if isinstance(pinned_to, Channel) else list(pinned_to or [])
    ports, bound = {}, {}
    for index, channel in enumerate(channels):
        if not isinstance(channel, Channel):
            raise PipelineDefinitionError(
                f"resolver '{resolver}': pinned_to expects channels such as "
                f"gen.outputs['examples'], got {type(channel).__name__}")
        name = f"pinned_{index}"
        ports[name] = ArtifactPort(name, channel.artifact_type)
        bound[name] = channel
    return ports, bound


def latest_artifact(artifact_type: type[Artifact], *, producer: str | None = None,
                    pinned_to: Channel | Sequence[Channel] | None = None) -> Node:
    """A node whose output 'artifact' is the newest LIVE artifact of a type in this pipeline.

    Args:
        artifact_type: The artifact class to look for.
        producer: Only artifacts produced by this node id.
        pinned_to: Channel(s) that pin the resolution (see the module docstring).
    """
    ports, bound = _pins(pinned_to, "latest_artifact")
    return Node(_LatestArtifact(artifact_type, "artifact", producer, ports), bound, {})


def latest_model(*, producer: str | None = None,
                 pinned_to: Channel | Sequence[Channel] | None = None) -> Node:
    """A node whose output 'model' is this pipeline's newest Model (for warm-starting).

    Example:
        >>> base = latest_model(pinned_to=gen.outputs["examples"])          # doctest: +SKIP
        >>> trainer = Trainer(..., base_model=base.outputs["model"])         # doctest: +SKIP
    """
    ports, bound = _pins(pinned_to, "latest_model")
    return Node(_LatestArtifact(Model, "model", producer, ports), bound, {})


def latest_blessed_model(*, pinned_to: Channel | Sequence[Channel] | None = None) -> Node:
    """A node whose output 'model' is the newest Model blessed by an evaluation (the baseline)."""
    ports, bound = _pins(pinned_to, "latest_blessed_model")
    return Node(_LatestBlessedModel(ports), bound, {})


def previous_span(channel: Channel) -> Node:
    """A node whose output 'artifact' is the same node's output for the latest earlier span.

    Example:
        >>> previous = previous_span(statistics_gen.outputs["statistics"])   # doctest: +SKIP
    """
    if not isinstance(channel, Channel):
        raise PipelineDefinitionError(
            f"resolver 'previous_span': expected a channel such as node.outputs['statistics'], "
            f"got {type(channel).__name__}")
    return Node(_PreviousSpan(channel), {"current": channel}, {})
