"""Set-up that a node starts ahead of its turn (`component(prepare=...)`), released when the run ends.

A node is prepared once per run, as soon as it is ready to run with new inputs: every node it
takes inputs from has finished, all of them successfully and at least one by executing (not
CACHED; a resolver does not count). Other ready nodes may still run before it, which is the time
the preparation has. A cached run prepares nothing. A preparation that fails is noted in the
run's log and never fails the run: the node then sets itself up at its turn, as it would
without one.
"""

from __future__ import annotations

import logging
import threading
from contextlib import ExitStack
from types import TracebackType

from pipelines.dsl.component import Preparation
from pipelines.dsl.node import Node
from pipelines.dsl.pipeline import Pipeline
from pipelines.runner.results import CACHED, COMPLETE, NodeResult

log = logging.getLogger(__name__)


def _preparation(node: Node) -> Preparation | None:
    """The node's `prepare` hook; resolvers and importers have none."""
    return getattr(node.component, "prepare", None)


class _Pending:
    """What one node with a `prepare` hook still waits for before it is prepared."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.waiting_for = {upstream.id for upstream in node.upstream_nodes()}
        self.any_executed = False
        self.all_succeeded = True

    def finished(self, upstream_id: str, result: NodeResult, is_resolver: bool) -> bool:
        """Notes an upstream node's result; True when the node is now ready with new inputs."""
        self.waiting_for.discard(upstream_id)
        self.all_succeeded &= result.status in (COMPLETE, CACHED)
        self.any_executed |= result.status == COMPLETE and not is_resolver
        return not self.waiting_for and self.all_succeeded and self.any_executed


class Preparations:
    """The preparations of one run: entered as nodes become ready, all exited at the run's end.

    Example:
        >>> with Preparations(pipeline) as preparations:     # doctest: +SKIP
        ...     preparations.after(run_node(node, env, results))
    """

    def __init__(self, pipeline: Pipeline) -> None:
        self._resolvers = {node.id for node in pipeline.nodes if node.is_resolver}
        self._pending: dict[str, list[_Pending]] = {node.id: [] for node in pipeline.nodes}
        for node in pipeline.ordered_nodes:
            if _preparation(node) is not None:
                pending = _Pending(node)
                for upstream_id in pending.waiting_for:
                    self._pending[upstream_id].append(pending)
        self._lock = threading.Lock()
        self._stack = ExitStack()

    def after(self, result: NodeResult) -> None:
        """Prepares the nodes that the result of one of their upstream nodes made ready."""
        for pending in self._pending.get(result.node_id, []):
            with self._lock:
                ready = pending.finished(result.node_id, result, result.node_id in self._resolvers)
                if ready:
                    self._enter(pending.node)

    def _enter(self, node: Node) -> None:
        prepare = _preparation(node)
        assert prepare is not None
        try:
            self._stack.enter_context(prepare())
        except Exception:  # a preparation only saves time; the node sets up itself
            log.warning("preparing node '%s' failed; it will set up at its turn", node.id, exc_info=True)

    def __enter__(self) -> Preparations:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        try:
            self._stack.close()
        except Exception:  # releasing must not mask the run's own outcome
            log.warning("releasing a node's preparation failed", exc_info=True)
