"""Continuous training: poll the pipeline's drivers and start a run when they see new data.

`starling run PIPELINE --watch` uses this. A poll runs every driver (e.g. each ExampleGen's
look at its input files) and compares its facts with those its node recorded last time; any
difference (a new span, a new version, a file changed in place) starts one run. Runs never
overlap: the next poll waits for the run to end.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pipelines.dsl.node import Node
from pipelines.dsl.pipeline import Pipeline
from pipelines.metadata.store import MetadataStore
from pipelines.runner.launcher import recorded_facts, run_driver
from pipelines.runner.signals import sigterm_as_interrupt

_SEEN_STATES = ("COMPLETE", "CACHED")


def driver_nodes(pipeline: Pipeline) -> list[Node]:
    """The pipeline's nodes whose component has a driver."""
    return [node for node in pipeline.ordered_nodes
            if getattr(node.component, "driver", None) is not None]


def last_seen_facts(store: MetadataStore, pipeline_name: str, node: Node) -> dict[str, Any] | None:
    """The driver facts of the node's newest COMPLETE or CACHED execution (None if it never ran)."""
    for execution in store.latest_executions(pipeline_name, node.id):
        if execution.state in _SEEN_STATES:
            return recorded_facts(execution.properties)
    return None


def describe_arrival(node_id: str, facts: dict[str, Any], seen: dict[str, Any] | None) -> str:
    """`span 5 arrived`, `span 4 changed`, `version 2 of span 4 arrived`, with the node id."""
    span = facts.get("span")
    if seen is None:
        return f"{node_id}: span {span} found"
    if span != seen.get("span"):
        return f"{node_id}: span {span} arrived"
    if facts.get("version") != seen.get("version"):
        return f"{node_id}: version {facts.get('version')} of span {span} arrived"
    return f"{node_id}: span {span} changed"


def new_data(pipeline: Pipeline, store: MetadataStore) -> list[str]:
    """One line per driver node whose facts differ from what it saw last; [] when nothing is new.

    A driver that finds no input at all (nothing delivered yet) counts as nothing new.
    """
    arrivals = []
    for node in driver_nodes(pipeline):
        try:
            facts = run_driver(node)
        except FileNotFoundError:
            continue
        seen = last_seen_facts(store, pipeline.name, node)
        if facts != seen:
            arrivals.append(describe_arrival(node.id, facts, seen))
    return arrivals


def watch(pipeline: Pipeline, store: MetadataStore, run: Callable[[], object], *,
          interval_s: float, say: Callable[[str], None], max_polls: int | None = None) -> None:
    """Polls every `interval_s` seconds; runs the pipeline (`run()`) when a driver sees new data.

    Prints one line per poll through `say` ("no new data" or "span 5 arrived: running"). Ctrl-C
    or SIGTERM ends the watch: a run in progress is cleaned up (its node FAILED, the run
    CANCELLED) and the watch returns normally.

    Raises:
        PipelineDefinitionError: the pipeline has no node with a driver (nothing to watch).
    """
    from pipelines.errors import PipelineDefinitionError

    if not driver_nodes(pipeline):
        raise PipelineDefinitionError(
            f"pipeline '{pipeline.name}' has no node with a driver (such as an ExampleGen): "
            "--watch has nothing to poll")
    polls = 0
    with sigterm_as_interrupt():
        try:
            while max_polls is None or polls < max_polls:
                polls += 1
                arrivals = new_data(pipeline, store)
                if arrivals:
                    say(f"{'; '.join(arrivals)}: running")
                    run()
                else:
                    say("no new data")
                time.sleep(interval_s)
        except KeyboardInterrupt:
            say("watch stopped")
