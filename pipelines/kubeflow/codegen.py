"""Generates the Python source of a KFP pipeline: one lightweight component per Starling node.

Each generated component declares the node's connected inputs, its outputs (plus HTML, Markdown
and Metrics outputs for reports) and every pipeline parameter; its body calls
`pipelines.kubeflow.step.run_step`, the same executor code the local runner uses.
"""

from __future__ import annotations

import dataclasses
import keyword
import re
from typing import Any

from pipelines.dsl.node import Node
from pipelines.dsl.pipeline import Pipeline
from pipelines.kubeflow import artifact_types as kinds

_KFP_PARAMETER_TYPES = {int: "int", float: "float", bool: "bool", str: "str"}


@dataclasses.dataclass(frozen=True)
class PipelineParameter:
    """A runtime parameter of the compiled pipeline (an argument of `create_pipeline`)."""

    name: str
    kfp_type: str
    default: Any


@dataclasses.dataclass(frozen=True)
class CompileSettings:
    """What the generated code bakes in."""

    pipeline_file: str
    image: str
    metadata_url: str
    beam_args: tuple[str, ...] | None = None  # replace the pipeline's own when given


def python_name(text: str, prefix: str) -> str:
    """A valid identifier made from `text`."""
    name = re.sub(r"\W", "_", text)
    if not name or name[0].isdigit() or keyword.iskeyword(name):
        name = f"{prefix}_{name}"
    return name


def kfp_parameter_type(annotation: Any) -> str:
    """The KFP parameter type for a Python annotation (other types travel as JSON text)."""
    return _KFP_PARAMETER_TYPES.get(annotation, "str")


def generate_module(pipeline: Pipeline, parameters: list[PipelineParameter],
                    settings: CompileSettings) -> str:
    """The full source of a module defining the components and the `@dsl.pipeline` function."""
    lines = [
        "from kfp import dsl",
        "from kfp.dsl import HTML, Artifact, Dataset, Input, Markdown, Metrics, Model, Output",
        "",
    ]
    for node in pipeline.ordered_nodes:
        lines += _component_source(node, parameters, settings)
    lines += _pipeline_source(pipeline, parameters)
    return "\n".join(lines) + "\n"


def _component_source(node: Node, parameters: list[PipelineParameter],
                      settings: CompileSettings) -> list[str]:
    signature = node.component.signature
    arguments, inputs, outputs, reports, summaries, metrics = [], [], [], [], [], []
    for port, channel in node.inputs.items():
        if channel is not None:
            argument = f"in_{port}"
            arguments.append(f"{argument}: Input[{kinds.kfp_class_name(channel.artifact_type)}]")
            inputs.append(f"{port!r}: {argument}")
    for name, output in signature.outputs.items():
        argument = f"out_{name}"
        arguments.append(f"{argument}: Output[{kinds.kfp_class_name(output.artifact_type)}]")
        outputs.append(f"{name!r}: {argument}")
        if output.artifact_type.TYPE_NAME in kinds.REPORTING_TYPES:
            arguments.append(f"{kinds.report_output(name)}: Output[HTML]")
            arguments.append(f"{kinds.summary_output(name)}: Output[Markdown]")
            reports.append(f"{name!r}: {kinds.report_output(name)}")
            summaries.append(f"{name!r}: {kinds.summary_output(name)}")
        if output.artifact_type.TYPE_NAME in kinds.METRICS_TYPES:
            arguments.append(f"{kinds.metrics_output(name)}: Output[Metrics]")
            metrics.append(f"{name!r}: {kinds.metrics_output(name)}")
    for parameter in parameters:
        arguments.append(f"param_{parameter.name}: {parameter.kfp_type}")
    arguments.append("run_id: str")
    params = ", ".join(f"{p.name!r}: param_{p.name}" for p in parameters)
    function = python_name(f"node_{node.id}", "node")
    return [
        f"@dsl.component(base_image={settings.image!r}, install_kfp_package=False)",
        f"def {function}(",
        *[f"    {argument}," for argument in arguments],
        "):",
        f'    """Runs Starling node {node.id!r} ({node.component.name})."""',
        "    from pipelines.kubeflow.step import run_step",
        "    run_step(",
        f"        pipeline_file={settings.pipeline_file!r}, node_id={node.id!r},",
        f"        metadata_url={settings.metadata_url!r}, run_id=run_id,",
        *([f"        beam_args={list(settings.beam_args)!r},"] if settings.beam_args is not None else []),
        f"        params={{{params}}},",
        f"        inputs={{{', '.join(inputs)}}},",
        f"        outputs={{{', '.join(outputs)}}},",
        f"        reports={{{', '.join(reports)}}},",
        f"        summaries={{{', '.join(summaries)}}},",
        f"        metrics={{{', '.join(metrics)}}},",
        "    )",
        "",
        "",
    ]


def _pipeline_source(pipeline: Pipeline, parameters: list[PipelineParameter]) -> list[str]:
    signature = ", ".join(f"{p.name}: {p.kfp_type} = {p.default!r}" for p in parameters)
    lines = [
        f"@dsl.pipeline(name={python_name(pipeline.name, 'p').replace('_', '-')!r}, "
        f"description={(pipeline.description or 'Starling pipeline ' + pipeline.name)!r})",
        f"def starling_pipeline({signature}):",
        "    run_id = dsl.PIPELINE_JOB_NAME_PLACEHOLDER",
    ]
    task_names = {}
    for node in pipeline.ordered_nodes:
        task = python_name(f"task_{node.id}", "task")
        task_names[node.id] = task
        arguments = [f"in_{port}={task_names[channel.producer.id]}.outputs['out_{channel.output_name}']"
                     for port, channel in node.inputs.items() if channel is not None]
        arguments += [f"param_{p.name}={p.name}" for p in parameters] + ["run_id=run_id"]
        function = python_name(f"node_{node.id}", "node")
        lines.append(f"    {task} = {function}({', '.join(arguments)})")
        lines.append(f"    {task}.set_display_name({node.id!r})")
        for upstream in node.extra_upstream:
            lines.append(f"    {task}.after({task_names[upstream.id]})")
        if node.enable_cache is False or not pipeline.enable_cache:
            lines.append(f"    {task}.set_caching_options(False)")
    return lines
