"""Runs one Starling node inside a Kubeflow Pipelines step (the generated component's body).

Inputs and outputs arrive as KFP artifacts whose `.path` is a local directory; Starling's
properties and type name travel in their metadata. With a metadata URL, the step records its
execution and artifacts in that MLMD store exactly as the local runner does, which is what lets
resolvers (warm-start, baselines, previous spans) work on Kubeflow.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from typing import Any

from pipelines.artifacts import Artifact, artifact_class
from pipelines.cli.loader import load_pipeline
from pipelines.dsl.node import Node
from pipelines.errors import StarlingError
from pipelines.kubeflow import artifact_types as kinds
from pipelines.metadata import MetadataStore, config_from_url
from pipelines.runner.context import ExecutionContext
from pipelines.runner.node_execution import describe_error, invoke_component, new_output_artifacts


def run_step(*, pipeline_file: str, node_id: str, metadata_url: str, run_id: str,
             params: dict[str, Any], inputs: dict[str, Any], outputs: dict[str, Any],
             reports: dict[str, Any], summaries: dict[str, Any], metrics: dict[str, Any]) -> None:
    """Runs the node `node_id` of the pipeline file with KFP artifacts as its inputs and outputs.

    Raises:
        Exception: whatever the component raised, after recording the failure; KFP then marks
            the step (and the run) failed with this message.
    """
    pipeline = load_pipeline(pipeline_file, params)
    node = pipeline.node(node_id)
    store = MetadataStore(config_from_url(metadata_url)) if metadata_url else None
    contexts = _contexts(store, pipeline.name, run_id)
    starling_inputs = {port: to_starling(artifact) for port, artifact in inputs.items()}
    _check_required_inputs(node, starling_inputs)
    if node.is_resolver:
        _resolve(node, pipeline.name, store, contexts, starling_inputs, outputs)
        return
    produced = _execute(node, pipeline, store, contexts, run_id, starling_inputs, outputs)
    for name, artifact in produced.items():
        write_metadata(outputs[name], artifact)
        _publish_reports(name, artifact, reports, summaries, metrics)


def to_starling(kfp_artifact: Any) -> Artifact | None:
    """The Starling artifact a KFP input artifact stands for (None for an empty resolution)."""
    metadata = dict(kfp_artifact.metadata or {})
    if metadata.get(kinds.EMPTY_KEY):
        return None
    cls = artifact_class(metadata.get(kinds.TYPE_KEY, "Artifact"))
    uri = metadata.get(kinds.REFERENCE_URI_KEY) or kfp_artifact.path
    artifact = cls(uri=uri, state="LIVE")
    declared = cls.declared_properties()
    for key, value in metadata.items():
        if key in kinds.INTERNAL_KEYS or value is None:
            continue
        artifact.properties[key] = declared[key].decode(value) if key in declared else value
    if metadata.get(kinds.ID_KEY) is not None:
        artifact.id = int(metadata[kinds.ID_KEY])
    return artifact


def write_metadata(kfp_artifact: Any, artifact: Artifact | None, reference: bool = False) -> None:
    """Puts a Starling artifact's type, id and properties into a KFP artifact's metadata."""
    if artifact is None:
        kfp_artifact.metadata[kinds.EMPTY_KEY] = True
        return
    declared = artifact.declared_properties()
    for key, value in artifact.properties.items():
        if value is not None:
            kfp_artifact.metadata[key] = declared[key].encode(value) if key in declared else value
    kfp_artifact.metadata[kinds.TYPE_KEY] = artifact.type_name
    if artifact.id is not None:
        kfp_artifact.metadata[kinds.ID_KEY] = artifact.id
    if reference:
        kfp_artifact.metadata[kinds.REFERENCE_URI_KEY] = artifact.uri


def _contexts(store: MetadataStore | None, pipeline_name: str, run_id: str) -> list[Any]:
    if store is None:
        return []
    return [store.pipeline_context(pipeline_name),
            store.create_run_context(run_id, {"pipeline_name": pipeline_name, "orchestrator": "kubeflow"})]


def _check_required_inputs(node: Node, inputs: dict[str, Artifact | None]) -> None:
    for port, artifact in inputs.items():
        if artifact is None and not node.component.signature.inputs[port].optional:
            raise StarlingError(f"node '{node.id}' input '{port}' is empty: its resolver found no artifact")


def _resolve(node: Node, pipeline_name: str, store: MetadataStore | None, contexts: list[Any],
             inputs: dict[str, Artifact | None], outputs: dict[str, Any]) -> None:
    component = node.component
    resolved = component.resolve(store, pipeline_name, inputs, node) if store is not None else None
    if store is not None:
        present = {port: a for port, a in inputs.items() if a is not None and a.id is not None}
        store.record_resolution(component.name, {"node_id": node.id, "pipeline_name": pipeline_name},
                                present, {component.output_name: resolved} if resolved else {},
                                contexts)
    target = outputs[component.output_name]
    os.makedirs(target.path, exist_ok=True)
    write_metadata(target, resolved, reference=True)


def _execute(node: Node, pipeline: Any, store: MetadataStore | None, contexts: list[Any],
             run_id: str, inputs: dict[str, Artifact | None],
             outputs: dict[str, Any]) -> dict[str, Artifact]:
    produced = new_output_artifacts(node, pipeline.name, inputs,
                                    {name: kfp.path for name, kfp in outputs.items()})
    for artifact in produced.values():
        os.makedirs(artifact.uri, exist_ok=True)
    recorded_inputs = {p: a for p, a in inputs.items() if a is not None and a.id is not None}
    properties = {"node_id": node.id, "pipeline_name": pipeline.name, "run_id": run_id}
    execution_id = (store.start_execution(node.component.name, properties, recorded_inputs, contexts)
                    if store is not None else 0)
    context = ExecutionContext(pipeline.name, pipeline.root, run_id, node.id, execution_id,
                               tuple(pipeline.beam_args), tempfile.mkdtemp(prefix="starling-"))
    try:
        invoke_component(node, inputs, produced, context)
    except BaseException as error:
        if store is not None:
            store.finish_execution(execution_id, node.component.name, "FAILED",
                                   {**properties, "error_message": describe_error(error)[:4000]}, {},
                                   contexts)
        raise
    for artifact in produced.values():
        artifact.state = "LIVE"
    if store is not None:
        store.finish_execution(execution_id, node.component.name, "COMPLETE", properties, produced,
                               contexts)
    return produced


def _publish_reports(name: str, artifact: Artifact, reports: dict[str, Any],
                     summaries: dict[str, Any], metrics: dict[str, Any]) -> None:
    report_file = os.path.join(artifact.uri, kinds.REPORT_FILE)
    if name in reports:
        if os.path.isfile(report_file):
            shutil.copyfile(report_file, reports[name].path)
        else:
            with open(reports[name].path, "w") as target:
                target.write(f"<p>{artifact.type_name} {name}: no report was written.</p>")
    if name in summaries:
        with open(summaries[name].path, "w") as target:
            target.write(properties_markdown(name, artifact))
    metrics_file = os.path.join(artifact.uri, kinds.METRICS_FILE)
    if name in metrics and os.path.isfile(metrics_file):
        with open(metrics_file) as source:
            for metric, value in json.load(source).items():
                if isinstance(value, int | float) and not isinstance(value, bool):
                    metrics[name].log_metric(metric, float(value))


def properties_markdown(name: str, artifact: Artifact) -> str:
    """A short Markdown table of an artifact's properties, for the KFP run page."""
    lines = [f"### {artifact.type_name} `{name}`", "", "| property | value |", "|---|---|"]
    for key, value in sorted(artifact.properties.items()):
        lines.append(f"| {key} | {json.dumps(value) if not isinstance(value, str) else value} |")
    return "\n".join(lines) + "\n"
