"""Orchestration overhead: a 20-node chain of no-op components, cold and fully cached.

Prints a Markdown table (and with --update-readme writes it into README.md). Every number is
measured in this run; ratios compare against baselines measured alongside (a bare Python start,
and the same 20 functions called directly).

    .venv/bin/python benchmarks/orchestration.py [--nodes 20] [--repeats 5] [--update-readme]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.readme_tables import update_readme

CHAIN_FILE = '''
from pathlib import Path
from pipelines import Input, Output, Pipeline, component
from pipelines.artifacts import Examples

@component
def first(out: Output[Examples]):
    Path(out.path("x")).write_text("0")

@component
def step(inp: Input[Examples], out: Output[Examples]):
    Path(out.path("x")).write_text(Path(inp.path("x")).read_text())

def create_pipeline(root: str, nodes: int = 20):
    chain = [first()]
    for _ in range(nodes - 1):
        chain.append(step(inp=chain[-1].outputs["out"]))
    return Pipeline("chain", root, chain)
'''


def _wall(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def _median(samples: list[float]) -> float:
    return statistics.median(samples)


def measure(nodes: int, repeats: int) -> list[tuple[str, float, str, str]]:
    """Returns rows of (metric, seconds, target, ratio-or-note)."""
    python = sys.executable
    starling = str(Path(python).parent / "starling")
    bare = _median([_wall([python, "-c", "pass"]) for _ in range(repeats)])
    import_time = _median([_wall([python, "-c", "import pipelines"]) for _ in range(repeats)]) - bare
    with tempfile.TemporaryDirectory() as workdir:
        pipeline_file = Path(workdir) / "chain.py"
        pipeline_file.write_text(textwrap.dedent(CHAIN_FILE))
        cold_in_process, cached_in_process, direct = [], [], []
        for index in range(repeats):
            root = str(Path(workdir) / f"root{index}")
            cold_in_process.append(_in_process_run(pipeline_file, root, nodes))
            cached_in_process.append(_in_process_run(pipeline_file, root, nodes))
            direct.append(_direct_calls(Path(workdir) / f"direct{index}", nodes))
        root = str(Path(workdir) / "cli")
        command = [starling, "run", str(pipeline_file), "--param", f"root={root}",
                   "--param", f"nodes={nodes}"]
        cold_cli = _wall(command)
        cached_cli = _median([_wall(command) for _ in range(repeats)])
        plan = [starling, "plan", *command[2:]]
        cached_plan = _median([_wall(plan) for _ in range(repeats)])
        fingerprints = [_fingerprint_costs(pipeline_file) for _ in range(repeats)]
    mlmd_import = _median([sample[0] for sample in cold_in_process])
    cold = _median([sample[1] for sample in cold_in_process])
    cached = _median([sample[1] for sample in cached_in_process])
    plain = _median(direct)
    per_node_cold = (cold - plain) / nodes
    per_node_cached = cached / nodes
    return [
        ("`import pipelines` (beyond bare Python start)", import_time, "-",
         f"bare start {bare * 1000:.0f} ms"),
        ("ML Metadata import (once per process)", mlmd_import, "-", "grpc, absl, protobuf"),
        (f"cold run, {nodes} nodes, in process", cold, "-", f"{cold / plain:.0f}x direct calls "
         f"({plain * 1000:.1f} ms)"),
        ("orchestration overhead per node, cold", per_node_cold, "< 20 ms", _verdict(per_node_cold, 0.020)),
        ("orchestration overhead per node, cached", per_node_cached, "< 20 ms",
         _verdict(per_node_cached, 0.020)),
        (f"`starling run`, cold, {nodes} nodes (process start included)", cold_cli, "-",
         f"{cold_cli / bare:.0f}x bare Python start"),
        (f"`starling run`, fully cached, {nodes} nodes (process start included)", cached_cli,
         "< 1 s", _verdict(cached_cli, 1.0)),
        (f"`starling plan`, fully cached, {nodes} nodes (process start included)", cached_plan,
         "< 1 s", _verdict(cached_plan, 1.0)),
        ("code fingerprint of a standard component, first in a process", _median(
            [sample[0] for sample in fingerprints]), "-",
         f"{int(fingerprints[0][2])} Starling files read and hashed"),
        ("... again in the same process (remembered by size and mtime)", _median(
            [sample[1] for sample in fingerprints]), "-", "a stat per file"),
        (f"code fingerprints of the chain's {nodes} nodes (one function each)", _median(
            [sample[3] for sample in fingerprints]), "-", "source of each function"),
    ]


def _verdict(value: float, target: float) -> str:
    return f"{'meets' if value < target else 'misses'} target ({value / target:.2f} of it)"


def _in_process_run(pipeline_file: Path, root: str, nodes: int) -> tuple[float, float]:
    """(seconds to import ML Metadata, seconds of the run itself) in a fresh process."""
    code = textwrap.dedent(f'''
        import time
        from pipelines.cli.loader import load_pipeline
        from pipelines import LocalRunner
        pipeline = load_pipeline({str(pipeline_file)!r}, {{"root": {root!r}, "nodes": {nodes}}})
        started = time.perf_counter()
        from ml_metadata.metadata_store import metadata_store  # the fixed per-process cost
        imported = time.perf_counter()
        result = LocalRunner().run(pipeline)
        assert result.status == "COMPLETE", result.status
        print(imported - started, time.perf_counter() - imported)
    ''')
    output = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    mlmd_import, run = output.stdout.strip().splitlines()[-1].split()
    return float(mlmd_import), float(run)


def _fingerprint_costs(pipeline_file: Path) -> tuple[float, float, float, float]:
    """(first, repeated) seconds for CsvExampleGen's code fingerprint, its file count, and the
    seconds for the chain's user components, in a fresh process."""
    code = textwrap.dedent(f'''
        import time
        from components import CsvExampleGen
        from pipelines.cli.loader import load_pipeline
        gen = CsvExampleGen(input_base=".", pattern="*.csv")
        started = time.perf_counter()
        files = len(gen.component.code_parts)
        first = time.perf_counter() - started
        started = time.perf_counter()
        gen.component.code_parts
        again = time.perf_counter() - started
        pipeline = load_pipeline({str(pipeline_file)!r}, {{"root": "unused"}})
        started = time.perf_counter()
        for node in pipeline.nodes:
            node.component.code_parts
        print(first, again, files, time.perf_counter() - started)
    ''')
    output = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    first, again, files, chain = output.stdout.strip().splitlines()[-1].split()
    return float(first), float(again), float(files), float(chain)


def _direct_calls(directory: Path, nodes: int) -> float:
    """The same work without the framework: 20 functions writing and reading one small file each."""
    directory.mkdir()
    started = time.perf_counter()
    previous = None
    for index in range(nodes):
        target = directory / str(index)
        target.mkdir()
        text = "0" if previous is None else (previous / "x").read_text()
        (target / "x").write_text(text)
        previous = target
    return time.perf_counter() - started


def render(rows: list[tuple[str, float, str, str]]) -> str:
    """The Markdown table."""
    lines = ["| measure | time | target | comparison |", "|---|---:|---|---|"]
    for metric, seconds, target, note in rows:
        shown = f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"
        lines.append(f"| {metric} | {shown} | {target} | {note} |")
    return "\n".join(lines)


def main() -> None:
    """Measures, prints, and optionally writes the README table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--update-readme", action="store_true")
    args = parser.parse_args()
    table = render(measure(args.nodes, args.repeats))
    print(table)
    if args.update_readme and not update_readme("orchestration", table):
        print("README.md has no <!-- bench:orchestration --> markers; not updated", file=sys.stderr)


if __name__ == "__main__":
    main()
