"""Runs one Starling node inside a Kubeflow Pipelines step (the generated component's body).

Inputs and outputs arrive as KFP artifacts whose `.path` is a local directory; Starling's
properties and type name travel in their metadata. The node runs through the same launcher as
locally (`pipelines.runner.launcher`). With a metadata URL, the step records its execution and
artifacts in that MLMD store exactly as the local runner does, which is what lets caching and
resolvers (warm-start, baselines, previous spans) work on Kubeflow.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from typing import TYPE_CHECKING, Any

from pipelines.artifacts import Artifact, artifact_class
from pipelines.dsl.loading import load_pipeline
from pipelines.dsl.node import Node
from pipelines.dsl.pipeline import Pipeline
from pipelines.errors import StarlingError
from pipelines.kubeflow import artifact_types as kinds
from pipelines.metadata import MetadataStore, config_from_url, sqlite_config
from pipelines.runner.launcher import RunEnvironment, launch, process_identity
from pipelines.runner.results import FAILED
from pipelines.runner.signals import sigterm_as_interrupt

if TYPE_CHECKING:
    from kfp import dsl as kfp_dsl


def run_step(*, pipeline_file: str, node_id: str, metadata_url: str, run_id: str,
             params: dict[str, Any], inputs: dict[str, kfp_dsl.Artifact],
             outputs: dict[str, kfp_dsl.Artifact], reports: dict[str, kfp_dsl.HTML],
             summaries: dict[str, kfp_dsl.Markdown], metrics: dict[str, kfp_dsl.Metrics],
             beam_args: list[str] | None = None) -> None:
    """Runs the node `node_id` of the pipeline file with KFP artifacts as its inputs and outputs.

    `beam_args`, when given (`starling compile --beam-args/--runner`), replace the pipeline's own.

    The node goes through the same launcher as a local run: driver, cache key, staging next to
    the KFP output path, atomic rename into it, MLMD record. A cached result is passed on by
    reference (downstream steps read the cached artifact's uri).

    Raises:
        StarlingError: the node failed or halted (after its execution is recorded FAILED, or
            COMPLETE with `halted`); KFP then marks the step (and the run) failed.
    """
    pipeline = load_pipeline(pipeline_file, params)
    if beam_args is not None:
        pipeline.beam_args = list(beam_args)
    node = pipeline.node(node_id)
    env = _environment(pipeline, metadata_url, run_id)
    starling_inputs = {port: to_starling(artifact) for port, artifact in inputs.items()}
    if not metadata_url:  # a private scratch store: ids from other steps' stores mean nothing here
        for artifact in starling_inputs.values():
            if artifact is not None:
                artifact.id = None
    _check_required_inputs(node, starling_inputs)
    output_uris = None if node.is_resolver else {name: kfp.path for name, kfp in outputs.items()}
    for path in (output_uris or {}).values():
        _remove_if_empty(path)
    with sigterm_as_interrupt():
        result = launch(node, env, starling_inputs, output_uris)
    for name, artifact in result.outputs.items():
        target = outputs[name]
        by_reference = artifact is None or os.path.abspath(artifact.uri) != os.path.abspath(target.path)
        os.makedirs(target.path, exist_ok=True)
        write_metadata(target, artifact, reference=by_reference)
        if artifact is not None and not node.is_resolver:
            _publish_reports(name, artifact, reports, summaries, metrics)
    if result.status == FAILED:
        raise StarlingError(f"node '{node.id}' failed: {result.error}")


def to_starling(kfp_artifact: kfp_dsl.Artifact) -> Artifact | None:
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


def write_metadata(kfp_artifact: kfp_dsl.Artifact, artifact: Artifact | None,
                   reference: bool = False) -> None:
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


def _environment(pipeline: Pipeline, metadata_url: str, run_id: str) -> RunEnvironment:
    """The step's run environment: the shared store at `metadata_url`, or a private scratch one."""
    scratch = os.path.join(tempfile.gettempdir(), "starling-scratch")
    if metadata_url:
        store = MetadataStore(config_from_url(metadata_url))
    else:
        os.makedirs(scratch, exist_ok=True)
        handle, path = tempfile.mkstemp(suffix=".sqlite", dir=scratch)
        os.close(handle)
        store = MetadataStore(sqlite_config(path))
    contexts = [store.pipeline_context(pipeline.name),
                store.create_run_context(run_id, {"pipeline_name": pipeline.name,
                                                  "orchestrator": "kubeflow", **process_identity()})]
    return RunEnvironment(pipeline.name, os.path.abspath(pipeline.root), run_id, store, contexts,
                          tuple(pipeline.beam_args), pipeline.enable_cache, scratch,
                          project_dir=pipeline.project_dir)


def _remove_if_empty(path: str) -> None:
    """KFP may create an output directory in advance; the launcher renames staging into it."""
    if os.path.isdir(path) and not os.listdir(path):
        os.rmdir(path)


def _check_required_inputs(node: Node, inputs: dict[str, Artifact | None]) -> None:
    for port, artifact in inputs.items():
        if artifact is None and not node.component.signature.inputs[port].optional:
            raise StarlingError(f"node '{node.id}' input '{port}' is empty: its resolver found no artifact")


def _publish_reports(name: str, artifact: Artifact, reports: dict[str, kfp_dsl.HTML],
                     summaries: dict[str, kfp_dsl.Markdown], metrics: dict[str, kfp_dsl.Metrics]) -> None:
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
