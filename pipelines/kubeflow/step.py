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
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pipelines.storage as storage
from pipelines.artifacts import Artifact, artifact_class
from pipelines.dsl.loading import load_pipeline
from pipelines.dsl.node import Node
from pipelines.dsl.pipeline import Pipeline
from pipelines.errors import StarlingError
from pipelines.kubeflow import artifact_types as kinds
from pipelines.kubeflow import project_bundle
from pipelines.metadata import MetadataStore, config_from_url
from pipelines.runner.launcher import RunEnvironment, launch
from pipelines.runner.results import FAILED
from pipelines.runner.run_lifecycle import (
    check_required_inputs,
    finish_run,
    scratch_store,
    start_run,
    stored_run_result,
)
from pipelines.runner.signals import sigterm_as_interrupt

if TYPE_CHECKING:
    from kfp import dsl as kfp_dsl


def run_step(*, pipeline_file: str, node_id: str, metadata_url: str, run_id: str,
             params: dict[str, Any], inputs: dict[str, kfp_dsl.Artifact],
             outputs: dict[str, kfp_dsl.Artifact], reports: dict[str, kfp_dsl.HTML],
             summaries: dict[str, kfp_dsl.Markdown], metrics: dict[str, kfp_dsl.Metrics],
             beam_args: list[str] | None = None, project: kfp_dsl.Artifact | None = None,
             project_sha256: str = "") -> None:
    """Runs the node `node_id` of the pipeline file with KFP artifacts as its inputs and outputs.

    `project`, when given, is the project's code shipped in the package (`project_bundle`):
    checked against `project_sha256`, unpacked, and `pipeline_file` is found inside it; without
    it, `pipeline_file` is a path in the image. `beam_args`, when given (`starling compile
    --beam-args/--runner`), replace the pipeline's own.

    The node goes through the same launcher as a local run: driver, cache key, staging next to
    the KFP output path, atomic rename into it, MLMD record, and the run's record through
    `run_lifecycle` (RUNNING when its first step starts; FAILED as soon as a step fails; the
    exit handler's `finish_run_step` records the final status). A cached result is passed on
    by reference (downstream steps read the cached artifact's uri).

    Raises:
        StarlingError: the node failed or halted (after its execution is recorded FAILED, or
            COMPLETE with `halted`); KFP then marks the step (and the run) failed.
    """
    if project is not None:
        pipeline_file = os.path.join(project_bundle.unpack(project.path, project_sha256), pipeline_file)
    pipeline = load_pipeline(pipeline_file, params)
    if beam_args is not None:
        pipeline.beam_args = list(beam_args)
    with _store(metadata_url) as store:
        _run_node(pipeline, pipeline.node(node_id), store, run_id, private=not metadata_url,
                  io=(inputs, outputs, reports, summaries, metrics))


def finish_run_step(*, metadata_url: str, run_id: str, pipeline_name: str,
                    nodes: dict[str, str]) -> str:
    """The exit handler's body: records the run's final status from what its steps recorded.

    `nodes` maps every node id to its component name, in run order. Returns the status.
    """
    store = MetadataStore(config_from_url(metadata_url))
    run_context = store.create_run_context(run_id, {"pipeline_name": pipeline_name,
                                                    "orchestrator": "kubeflow"})
    result = stored_run_result(store, pipeline_name, nodes, run_context, ended=True)
    finish_run(store, run_context, result)
    print(f"run {run_id}: {result.shown_status} " + ", ".join(
        f"{count} {name}" for name, count in result.summary().items() if count))
    return result.status


@contextmanager
def _store(metadata_url: str) -> Iterator[MetadataStore]:
    """The shared store at `metadata_url`, or a private scratch one removed after the step."""
    if metadata_url:
        yield MetadataStore(config_from_url(metadata_url))
    else:
        with scratch_store() as store:
            yield store


_StepIO = tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]


def _run_node(pipeline: Pipeline, node: Node, store: MetadataStore, run_id: str, private: bool,
              io: _StepIO) -> None:
    inputs, outputs, reports, summaries, metrics = io
    contexts = start_run(store, pipeline, run_id, orchestrator="kubeflow",
                         root=storage.absolute(pipeline.root))
    scratch = os.path.join(tempfile.gettempdir(), "starling-scratch")
    env = RunEnvironment(pipeline.name, storage.absolute(pipeline.root), run_id, store, contexts,
                         tuple(pipeline.beam_args), pipeline.enable_cache, scratch,
                         project_dir=pipeline.project_dir)
    starling_inputs = {port: to_starling(artifact) for port, artifact in inputs.items()}
    if private:  # a private scratch store: ids from other steps' stores mean nothing here
        for artifact in starling_inputs.values():
            if artifact is not None:
                artifact.id = None
    check_required_inputs(node, starling_inputs, "its resolver found no artifact")
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
        if not private:  # the run is FAILED (or HALTED) now; the exit handler confirms it at the end
            nodes = {n.id: n.component.name for n in pipeline.ordered_nodes}
            finish_run(store, contexts[1], stored_run_result(store, pipeline.name, nodes, contexts[1],
                                                              ended=False))
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


def _remove_if_empty(path: str) -> None:
    """KFP may create an output directory in advance; the launcher renames staging into it."""
    if os.path.isdir(path) and not os.listdir(path):
        os.rmdir(path)


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
