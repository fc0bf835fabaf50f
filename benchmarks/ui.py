"""Page load times of `starling ui`: on a demo-like store and on a generated 10,000-execution store.

The UI is served by uvicorn on a loopback port and each page is fetched over HTTP (server time
plus loopback; no browser rendering). The large store is written through `MetadataStore`, the way
the runner records runs: ten-node chains, every other run fully CACHED, each new chain starting
from the previous one's last output (as a warm start does), so lineage reaches back to day one.

    .venv/bin/python benchmarks/ui.py [--executions 10000] [--repeats 5] [--update-readme]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.measure import markdown_table
from benchmarks.readme_tables import update_readme

NODES_PER_RUN = 10


def generate_store(root: Path, executions: int) -> float:
    """Writes `executions` executions as runs of ten chained nodes; returns seconds taken."""
    from pipelines.artifacts import Examples
    from pipelines.metadata import MetadataStore, sqlite_config
    from pipelines.metadata.store import now_ms

    started = time.perf_counter()
    store = MetadataStore(sqlite_config(root / "metadata.sqlite"))
    pipeline = store.pipeline_context("generated")
    previous_outputs: list[Examples] = []
    for run_index in range(executions // NODES_PER_RUN):
        run = store.create_run_context(f"generated-{run_index:05d}", {
            "pipeline_name": "generated", "status": "RUNNING", "started_at_ms": now_ms(),
            "n_nodes": NODES_PER_RUN})
        cached = run_index % 2 == 1
        outputs = (_cached_run(store, [pipeline, run], previous_outputs) if cached
                   else _fresh_run(store, [pipeline, run], root, run_index,
                                   previous_outputs[-1] if previous_outputs else None))
        previous_outputs = outputs
        store.update_context(run, {
            "status": "COMPLETE", "finished_at_ms": now_ms(), "duration_s": 1.0,
            "n_complete": 0 if cached else NODES_PER_RUN, "n_cached": NODES_PER_RUN if cached else 0,
            "n_failed": 0, "n_skipped": 0})
    return time.perf_counter() - started


def _properties(node: int, run_index: int) -> dict:
    return {"node_id": f"step_{node}", "pipeline_name": "generated",
            "run_id": f"generated-{run_index:05d}", "cache_key": f"{run_index // 2:08d}{node:056d}"}


def _fresh_run(store, contexts, root: Path, run_index: int, warm_start) -> list:
    """Ten new executions; the first reads the previous fresh run's last output (a warm start)."""
    from pipelines.artifacts import Examples

    outputs, upstream = [], warm_start
    for node in range(NODES_PER_RUN):
        inputs = {"examples": upstream} if upstream is not None else {}
        execution_id = store.start_execution(f"step_{node}", _properties(node, run_index), inputs,
                                             contexts)
        output = Examples(uri=str(root / f"step_{node}" / str(execution_id)), state="LIVE",
                          producer_node=f"step_{node}", pipeline_name="generated",
                          span=run_index // 2 + 1)
        store.finish_execution(execution_id, f"step_{node}", "COMPLETE",
                               _properties(node, run_index), {"examples": output}, contexts)
        outputs.append(output)
        upstream = output
    return outputs


def _cached_run(store, contexts, previous: list) -> list:
    run_index = int(contexts[1].name.rsplit("-", 1)[1])
    for node, output in enumerate(previous):
        inputs = {"examples": previous[node - 1]} if node else {}
        store.record_cached_execution(f"step_{node}", _properties(node, run_index), inputs,
                                      {"examples": output}, contexts)
    return previous


def _fetch_ms(url: str, repeats: int) -> tuple[float, float]:
    """(first fetch, median of the next `repeats`) in milliseconds."""
    samples = []
    for _ in range(repeats + 1):
        started = time.perf_counter()
        with urllib.request.urlopen(url, timeout=60) as response:
            response.read()
            assert response.status == 200, url
        samples.append((time.perf_counter() - started) * 1000)
    return samples[0], statistics.median(samples[1:])


def _json(url: str) -> dict:
    import json

    with urllib.request.urlopen(url, timeout=60) as response:
        return dict(json.loads(response.read()))


def page_set(base: str) -> dict[str, str]:
    """The pages to time: runs (plain, filtered, with picked columns, a deep page), the newest
    run, its node log, artifacts (with files and lineage), compare and models."""
    runs = _json(f"{base}/api/runs?limit=500")["runs"]
    newest, oldest = runs[0]["name"], runs[-1]["name"]
    artifact = _json(f"{base}/api/artifacts?limit=1")["artifacts"][0]["id"]
    first_output = _json(f"{base}/api/runs/{oldest}")["nodes"][0]["outputs"][0]["id"]
    first_node = _json(f"{base}/api/runs/{newest}")["nodes"][0]["execution_id"]
    return {
        "Runs (first page)": "/runs", "Runs (a deep page)": f"/runs?before={runs[len(runs) // 2]['id']}",
        "Runs (status and date filters)": "/runs?status=COMPLETE&since=2000-01-01",
        "Runs (+ span and auc columns)": "/runs?columns=span,auc",
        "Run (graph, timeline, parameters, panels)": f"/runs/{newest}",
        "Run node log": f"/runs/{newest}/log?node={first_node}", "Artifacts": "/artifacts",
        "Newest artifact (+ files, lineage graph)": f"/artifacts/{artifact}",
        "Oldest run's first artifact (+ lineage graph)": f"/artifacts/{first_output}",
        "Compare 2 runs (+ curves)": f"/compare?runs={oldest},{newest}", "Models": "/models",
        "/api/runs": "/api/runs",
    }


def measure_pages(root: Path, repeats: int) -> dict[str, tuple[float, float]]:
    """Serves the UI over `root` and times each page of `page_set`."""
    from pipelines.ui import StoreSource, create_app
    from tests.ui.browser import serving

    with serving(create_app(StoreSource.from_root(str(root)))) as base:
        return {name: _fetch_ms(base + path, repeats) for name, path in page_set(base).items()}


def demo_root(given: str | None, scratch: Path) -> tuple[Path, str]:
    """The demo store to time: the given root, `runs/ctr` from `make demo`, or the UI tests' store."""
    if given:
        return Path(given), given
    ctr = Path(__file__).resolve().parent.parent / "runs" / "ctr"
    if (ctr / "metadata.sqlite").is_file():
        return ctr, "runs/ctr (make demo)"
    from tests.ui.demo_store import build_demo_store

    root, _ = build_demo_store(scratch / "demo")
    return root, "7-node two-day store (tests/ui/demo_store.py)"


def measure(executions: int, repeats: int, given_demo: str | None,
            demo_label: str | None = None) -> str:
    """Both stores' page times as a Markdown table."""
    with tempfile.TemporaryDirectory(prefix="starling-ui-bench-") as scratch:
        demo, found_label = demo_root(given_demo, Path(scratch))
        demo_times = measure_pages(demo, repeats)
        big_root = Path(scratch) / "generated"
        big_root.mkdir()
        generated_s = generate_store(big_root, executions)
        big_times = measure_pages(big_root, repeats)
    rows = []
    for (name, demo_ms), big_ms in zip(demo_times.items(), big_times.values(), strict=True):
        rows.append([name, f"{demo_ms[1]:.0f} ms", f"{big_ms[1]:.0f} ms (first {big_ms[0]:.0f} ms)"])
    table = markdown_table(["page", f"demo store: {demo_label or found_label}",
                            f"generated: {executions:,} executions, {executions // NODES_PER_RUN:,} runs"],
                           rows)
    return table + (f"\n\nMedian of {repeats} fetches after one warm-up, over loopback HTTP. "
                    f"Writing the generated store took {generated_s:.0f} s.")


def main() -> None:
    """Measures, prints, and with --update-readme writes the README table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--demo-root", help="a pipeline root to time as the demo store")
    parser.add_argument("--demo-label", help="how the table names that store")
    parser.add_argument("--update-readme", action="store_true")
    args = parser.parse_args()
    table = measure(args.executions, args.repeats, args.demo_root, args.demo_label)
    print(table)
    if args.update_readme and not update_readme("ui", table):
        print("README.md has no <!-- bench:ui --> markers; not updated", file=sys.stderr)


if __name__ == "__main__":
    main()
