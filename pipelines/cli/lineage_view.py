"""Renders a lineage tree as indented text with box-drawing branches."""

from __future__ import annotations

from typing import Any

from pipelines.artifacts import Artifact
from pipelines.cli.tables import format_ms
from pipelines.metadata import UPSTREAM, LineageTree
from pipelines.runner.launcher import recorded_facts

_SHOWN_FACTS = ("span", "version", "input_fingerprint", "fingerprint_method", "input_bytes")


def data_fingerprint(properties: dict[str, Any]) -> str | None:
    """The short form of the input-files fingerprint an ExampleGen's driver recorded."""
    fingerprint = properties.get("input_fingerprint")
    return str(fingerprint)[:12] if fingerprint else None


def describe_facts(facts: dict[str, Any]) -> str:
    """A driver's facts in a few words: `span 2, version 1, data 3fa2b1c9d0e4 (content, 1.2 MB)`."""
    parts = [f"{name} {facts[name]}" for name in ("span", "version") if facts.get(name) is not None]
    if data_fingerprint(facts):
        size = f", {facts['input_bytes'] / 1e6:.1f} MB" if facts.get("input_bytes") is not None else ""
        parts.append(f"data {data_fingerprint(facts)} ({facts.get('fingerprint_method', '?')}{size})")
    parts += [f"{name} {value}" for name, value in sorted(facts.items())
              if name not in _SHOWN_FACTS]
    return ", ".join(parts)


def describe_artifact(artifact: Artifact) -> str:
    """`Examples #3 (span 2, data 3fa2b1c9d0e4) runs/x/gen/examples/5`."""
    extras = []
    for name in ("span", "version", "blessed", "pushed", "pushed_version"):
        if artifact.properties.get(name) is not None:
            extras.append(f"{name} {artifact.properties[name]}")
    if data_fingerprint(artifact.properties):
        extras.append(f"data {data_fingerprint(artifact.properties)}")
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
        facts = recorded_facts(step.execution.properties)
        seen = f"; saw {describe_facts(facts)}" if facts else ""
        lines.append(f"{indent}{'└─' if last_step else '├─'} {verb} {step.execution.node_id} "
                     f"(execution {step.execution.id}, {format_ms(step.execution.created_at_ms)}"
                     f"{seen})")
        step_indent = indent + ("   " if last_step else "│  ")
        for index, (port, subtree) in enumerate(step.artifacts):
            last = index == len(step.artifacts) - 1
            note = "  (shown above)" if subtree.repeated else ""
            lines.append(f"{step_indent}{'└─' if last else '├─'} {port}: "
                         f"{describe_artifact(subtree.artifact)}{note}")
            _render_steps(subtree, step_indent + ("   " if last else "│  "), verb, lines)
