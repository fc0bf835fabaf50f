"""LocalRunner: runs a pipeline in this process, in dependency order, recording everything in MLMD."""

from __future__ import annotations

import datetime
import os
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from pipelines.dsl.node import Node
from pipelines.dsl.pipeline import Pipeline
from pipelines.errors import MetadataError, StarlingError
from pipelines.metadata.connection import sqlite_config
from pipelines.metadata.store import MetadataStore
from pipelines.runner.launcher import RunEnvironment, process_identity
from pipelines.runner.node_execution import run_node
from pipelines.runner.preparation import Preparations
from pipelines.runner.progress import RunListener
from pipelines.runner.recovery import exclusive_run, mark_run_failed
from pipelines.runner.results import CANCELLED, FAILED, NodeResult, RunResult
from pipelines.runner.root_mirror import mirrored_root
from pipelines.runner.run_lifecycle import finish_run, run_status, start_run
from pipelines.runner.signals import sigterm_as_interrupt


class LocalRunner:
    """Runs pipelines on this machine; Beam-using components get the pipeline's `beam_args`.

    Args:
        max_parallel_nodes: How many independent nodes may run at once (threads); 1 runs them
            one after another in the calling thread.
        listener: Receives progress events (e.g. `ConsoleProgress()`); silent by default.

    Example:
        >>> result = LocalRunner().run(pipeline)                        # doctest: +SKIP
        >>> result.status                                               # doctest: +SKIP
        'COMPLETE'
    """

    def __init__(self, max_parallel_nodes: int = 1, listener: RunListener | None = None):
        if max_parallel_nodes < 1:
            raise StarlingError(f"max_parallel_nodes must be at least 1, got {max_parallel_nodes}")
        self.max_parallel_nodes = max_parallel_nodes
        self.listener = listener or RunListener()

    def run(self, pipeline: Pipeline, *, enable_cache: bool | None = None,
            wait_for_other_runs: bool = True) -> RunResult:
        """Runs every node once; a failed node's dependents are SKIPPED, others go on.

        One run of a pipeline on a root goes at a time: the run first takes the pipeline's run
        lock, then marks FAILED what crashed runs left RUNNING (`recovery.exclusive_run`). A root
        in an object store (`s3://...`) is run on a local mirror written back at the end
        (`root_mirror`).

        Args:
            pipeline: The pipeline to run.
            enable_cache: Overrides the pipeline's own setting (e.g. False for `--no-cache`).
            wait_for_other_runs: Wait while another run of this pipeline and root holds the
                lock (saying so once through the listener); False raises instead.

        Returns:
            The RunResult; its `status` is FAILED if any node failed.

        Raises:
            KeyboardInterrupt: on SIGINT or SIGTERM (`signals.Terminated`), after the running
                node is marked FAILED and the run CANCELLED.
            RunInProgressError: another run holds the lock and `wait_for_other_runs` is False.
        """
        with mirrored_root(pipeline), exclusive_run(pipeline, wait_for_other_runs, self.listener.notice):
            return self._run_exclusively(pipeline, enable_cache)

    def _run_exclusively(self, pipeline: Pipeline, enable_cache: bool | None) -> RunResult:
        started = time.time()
        env = self._environment(pipeline, enable_cache)
        self.listener.run_started(pipeline.name, env.run_id, len(pipeline.ordered_nodes),
                                  env.store.location)
        results: dict[str, NodeResult] = {}
        status = FAILED
        try:
            with sigterm_as_interrupt(), Preparations(pipeline) as preparations:
                if self.max_parallel_nodes == 1:
                    self._run_in_order(pipeline, env, results, preparations)
                else:
                    self._run_concurrently(pipeline, env, results, preparations)
            status = run_status(results)
        except KeyboardInterrupt:
            status = CANCELLED
            raise
        finally:  # the run's record is final whatever happened (SIGINT, SIGTERM, a bug)
            result = self._finish(pipeline, env, results, status, started)
        return result

    def _finish(self, pipeline: Pipeline, env: RunEnvironment, results: dict[str, NodeResult],
                status: str, started: float) -> RunResult:
        ordered = {node.id: results[node.id] for node in pipeline.ordered_nodes
                   if node.id in results}
        result = RunResult(env.run_id, pipeline.name, status, ordered, time.time() - started,
                           env.store.location)
        try:
            finish_run(env.store, env.contexts[1], result)
        except MetadataError as error:  # e.g. a full disk: FAILED, recorded if the store allows it
            result.status = FAILED
            mark_run_failed(env.store, env.contexts[1].id, f"the run's record could not be written: {error}")
            self.listener.notice(f"run {env.run_id} FAILED: its record could not be written: {error}")
        self.listener.run_finished(result)
        return result

    def _environment(self, pipeline: Pipeline, enable_cache: bool | None) -> RunEnvironment:
        os.makedirs(pipeline.root, exist_ok=True)
        store = MetadataStore(pipeline.metadata or sqlite_config(pipeline.metadata_path()),
                              root=pipeline.root)
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        run_id = f"{pipeline.name}-{stamp}-{uuid.uuid4().hex[:6]}"
        contexts = start_run(store, pipeline, run_id, orchestrator="local",
                             root=os.path.abspath(pipeline.root), identity=process_identity())
        use_cache = pipeline.enable_cache if enable_cache is None else enable_cache
        return RunEnvironment(pipeline.name, os.path.abspath(pipeline.root), run_id, store,
                              contexts, tuple(pipeline.beam_args), use_cache,
                              project_dir=pipeline.project_dir)

    def _run_one(self, node: Node, env: RunEnvironment, results: dict[str, NodeResult],
                 preparations: Preparations) -> NodeResult:
        self.listener.node_started(node.id, node.component.name)
        result = run_node(node, env, results)
        preparations.after(result)
        self.listener.node_finished(result)
        return result

    def _run_in_order(self, pipeline: Pipeline, env: RunEnvironment,
                      results: dict[str, NodeResult], preparations: Preparations) -> None:
        for node in pipeline.ordered_nodes:
            results[node.id] = self._run_one(node, env, results, preparations)

    def _run_concurrently(self, pipeline: Pipeline, env: RunEnvironment,
                          results: dict[str, NodeResult], preparations: Preparations) -> None:
        """Runs ready nodes on threads; on interrupt, running nodes finish and no new one starts."""
        waiting = {node.id: {up.id for up in node.upstream_nodes()} for node in pipeline.nodes}
        ready = [node for node in pipeline.ordered_nodes if not waiting[node.id]]
        running: dict[Future, Node] = {}
        with ThreadPoolExecutor(self.max_parallel_nodes, thread_name_prefix="starling") as pool:
            while ready or running:
                while ready and len(running) < self.max_parallel_nodes:
                    node = ready.pop(0)
                    running[pool.submit(self._run_one, node, env, dict(results), preparations)] = node
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    node = running.pop(future)
                    results[node.id] = future.result()
                    for other in pipeline.ordered_nodes:
                        if node.id in waiting[other.id]:
                            waiting[other.id].discard(node.id)
                            if not waiting[other.id]:
                                ready.append(other)
