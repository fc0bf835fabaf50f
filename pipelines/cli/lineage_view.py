"""Renders a lineage tree as indented text with box-drawing branches."""

from __future__ import annotations

from pipelines.artifacts import Artifact
from pipelines.cli.tables import format_ms
from pipelines.metadata import UPSTREAM, LineageTree


def describe_artifact(artifact: Artifact) -> str:
    """`Examples #3 (span 2) runs/x/gen/examples/5`."""
    extras = []
    for name in ("span", "version", "blessed", "pushed"):
        if artifact.properties.get(name) is not None:
            extras.append(f"{name} {artifact.properties[name]}")
    shown = f" ({', '.join(extras)})" if extras else ""
    return f"{artifact.type_name} #{artifact.id}{shown}  {artifact.uri}"


def render_lineage(tree: LineageTree, direction: str = UPSTREAM) -> str:
    """The tree as lines: artifact, then the executions that made (or used) it, and so on.

    Example output::

        Model #4  runs/demo/train/model/7
        └─ made by train (execution 7, 2026-11-22 09:40:01)
           └─ examples: Examples #1 (span 1)  runs/demo/make/examples/1
              └─ made by make (execution 1, 2026-11-22 09:40:00)
    """
    verb = "made by" if direction == UPSTREAM else "used by"
    lines = [describe_artifact(tree.artifact)]
    _render_steps(tree, "", verb, lines)
    return "\n".join(lines)


def _render_steps(tree: LineageTree, indent: str, verb: str, lines: list[str]) -> None:
    for step_index, step in enumerate(tree.steps):
        last_step = step_index == len(tree.steps) - 1
        lines.append(f"{indent}{'└─' if last_step else '├─'} {verb} {step.execution.node_id} "
                     f"(execution {step.execution.id}, {format_ms(step.execution.created_at_ms)})")
        step_indent = indent + ("   " if last_step else "│  ")
        for index, (port, subtree) in enumerate(step.artifacts):
            last = index == len(step.artifacts) - 1
            note = "  (shown above)" if subtree.repeated else ""
            lines.append(f"{step_indent}{'└─' if last else '├─'} {port}: "
                         f"{describe_artifact(subtree.artifact)}{note}")
            _render_steps(subtree, step_indent + ("   " if last else "│  "), verb, lines)
