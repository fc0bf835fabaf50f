"""What a run page shows that MLMD does not record directly: the run's log, its missing nodes.

All inferred, and the page says so: the log is the file `starling run` named after the process
that ran the run; skipped nodes (which never get an execution) are taken from the newest earlier
run of the same pipeline that ran exactly that many nodes this run lacks; while a run is RUNNING,
the nodes it has not reached yet are those the previous run had and this one lacks so far.
"""

from __future__ import annotations

import datetime
import os
import re
from typing import Any

from pipelines.runner.run_log import LOG_DIR

_LOG_NAME = re.compile(r"^run-(\d{8}-\d{6})-(\d+)\.log$")
# The CLI names the log before it loads the pipeline file, so the name may predate the run.
_LOG_LEAD_S = 600


def run_log_path(properties: dict[str, Any]) -> str | None:
    """The library-output log `starling run` wrote for this run, if it is still on disk."""
    root, pid, started_ms = (properties.get("root"), properties.get("pid"),
                             properties.get("started_at_ms"))
    if not isinstance(root, str) or pid is None or not isinstance(started_ms, int | float):
        return None
    directory = os.path.join(root, LOG_DIR)
    try:
        names = os.listdir(directory)
    except OSError:
        return None
    started = started_ms / 1000
    best: tuple[float, str] | None = None
    for name in names:
        match = _LOG_NAME.match(name)
        if not match or int(match.group(2)) != int(pid):
            continue
        stamp = datetime.datetime.strptime(match.group(1), "%Y%m%d-%H%M%S").timestamp()
        if started - _LOG_LEAD_S <= stamp <= started + 1 and (best is None or stamp > best[0]):
            best = (stamp, name)
    return os.path.join(directory, best[1]) if best else None


def missing_nodes(present: set[str], earlier_runs: list[Any], count: int | None = None,
                  ) -> tuple[list[str], list[tuple[str, str, str]], str | None]:
    """(node ids, edges into them, the run they were taken from) for nodes a run lacks.

    Args:
        present: Node ids that have an execution in this run.
        earlier_runs: RunDetail objects of earlier runs of the pipeline, newest first.
        count: How many are missing (e.g. the run's skipped count); None takes whatever the
            newest earlier run that had more nodes lacks.
    """
    if count is not None and count <= 0:
        return [], [], None
    for earlier in earlier_runs:
        missing = [node.node_id for node in earlier.nodes if node.node_id not in present]
        if (count is None and missing) or len(missing) == count:
            edges = [edge for edge in earlier.edges if edge[1] in missing]
            return missing, edges, earlier.summary.name
    return [], [], None
