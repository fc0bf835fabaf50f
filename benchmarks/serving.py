"""Model server throughput and latency: Starling (REST, gRPC) against a peer, plus the ceiling.

Each server runs as its own process, as users run it: `starling serve`, and the peer (BentoML
serving the same SavedModel, in benchmarks/.peer/venv with the same TensorFlow; see
serving_peer_bentoml.py). Load comes from low-overhead native generators: `wrk` (Debian's
package, a Lua script for the body and per-status counts) for REST, and a small Go tool
(benchmarks/loadgen) for gRPC and for open-loop overload runs. Each request carries one
instance. The ceiling is the same SavedModel called in-process on batches of 64.

    .venv/bin/python benchmarks/serving.py [--seconds 20] [--saved-model DIR] [--update-readme]

Set up the peer once: `uv venv benchmarks/.peer/venv` and install `bentoml==1.4.*
tensorflow==2.16.2 tf-keras==2.16.0` into it; without it the peer rows are skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import pipelines  # noqa: E402,F401  (Starling's TensorFlow set-up, before the model is built)
from benchmarks.readme_tables import update_readme  # noqa: E402
from benchmarks.serving_model import export_benchmark_model, instance_for  # noqa: E402

PEER_DIR = HERE / ".peer"
CONCURRENCY = (1, 8, 64, 256)
_WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = %s
wrk.headers["Content-Type"] = "application/json"
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) unavailable = 0; failed = 0 end
function response(status, headers, body)
  if status == 503 then unavailable = unavailable + 1 elseif status ~= 200 then failed = failed + 1 end
end
function done(summary, latency, requests)
  local shed, other = 0, 0
  for _, thread in ipairs(threads) do
    shed = shed + thread:get("unavailable"); other = other + thread:get("failed")
  end
  local errors = summary.errors
  io.write(string.format('RESULT {"requests": %%d, "seconds": %%f, "p50_ms": %%f, "p99_ms": %%f, '
    .. '"shed": %%d, "errors": %%d}\\n', summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, shed,
    other + errors.connect + errors.read + errors.write + errors.timeout))
end
"""


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_ready(url: str, body: bytes, seconds: float = 180) -> None:
    """Polls a predict URL until it answers 200."""
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.post(url, content=body, headers={"Content-Type": "application/json"},
                          timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {seconds:.0f} s")


def wrk(url: str, body: bytes, concurrency: int, seconds: float) -> dict[str, Any]:
    """One wrk run; requests/s, p50/p99 (all answers), 503s and other errors."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_WRK_SCRIPT % json.dumps(body.decode()))
    try:
        output = subprocess.run(["wrk", f"-t{min(concurrency, 2)}", f"-c{concurrency}", f"-d{int(seconds)}s",
                                 "--timeout", "10s", "-s", script.name, url],
                                check=True, capture_output=True, text=True).stdout
    finally:
        os.unlink(script.name)
    result = json.loads(next(line for line in output.splitlines() if line.startswith("RESULT "))[7:])
    result["ok_per_s"] = (result["requests"] - result["shed"] - result["errors"]) / result["seconds"]
    return result


def loadgen(binary: Path, mode: str, target: str, body: bytes, seconds: float, concurrency: int,
            rate: float = 0.0) -> dict[str, Any]:
    """One Go load-generator run (closed loop, or open loop at `rate`)."""
    with tempfile.NamedTemporaryFile(delete=False) as body_file:
        body_file.write(body)
    try:
        output = subprocess.run([str(binary), "-mode", mode, "-target", target, "-body", body_file.name,
                                 "-c", str(concurrency), "-d", str(seconds), "-rate", str(rate)],
                                check=True, capture_output=True, text=True).stdout
    finally:
        os.unlink(body_file.name)
    result = json.loads(output)
    counts = result["counts"]
    result["ok_per_s"] = result["ok"] / result["elapsed"]
    result["shed"] = counts.get("503", 0) + counts.get("Unavailable", 0)
    result["errors"] = sum(counts.values()) - result["ok"] - result["shed"]
    return result


def build_loadgen() -> Path:
    """Builds benchmarks/loadgen with Go into the gitignored benchmarks/.peer/bin."""
    go = shutil.which("go") or "/usr/local/go/bin/go"
    target = PEER_DIR / "bin" / "loadgen"
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([go, "build", "-o", str(target), "."], cwd=HERE / "loadgen", check=True)
    return target


def grpc_body(version_dir: str) -> bytes:
    """A serialized PredictRequest: one serialized tf.Example of the benchmark instance."""
    import tensorflow as tf
    from tensorflow_serving.apis import predict_pb2

    from serving.feature_spec import FeatureSpec

    example = FeatureSpec.load(version_dir).to_example_bytes(instance_for(version_dir), "bench")
    request = predict_pb2.PredictRequest()
    request.model_spec.name = "ctr"
    request.inputs["examples"].CopyFrom(tf.make_tensor_proto([example]))
    return request.SerializeToString()


def ceiling(version_dir: str, batch_size: int, seconds: float) -> float:
    """Examples per second of the SavedModel called in-process on batches of `batch_size`."""
    from serving.loaded_model import load_version

    model = load_version("bench", 1, version_dir)
    batch = [model.feature_spec.to_example_bytes(instance_for(version_dir), "bench")] * batch_size
    model.predict(batch)
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        model.predict(batch)
        done += batch_size
    return done / (time.perf_counter() - started)


class Process:
    """A server subprocess, stopped on exit; its output goes to a log file."""

    def __init__(self, command: list[str], env: dict[str, str] | None = None, cwd: Path | None = None):
        self.log = tempfile.NamedTemporaryFile(prefix="bench-server-", suffix=".log", delete=False)  # noqa: SIM115
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT,
                                        env={**os.environ, **(env or {})}, cwd=cwd, start_new_session=True)

    def __enter__(self) -> Process:
        return self

    def __exit__(self, *exc: object) -> None:
        import signal

        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)


def row(server: str, api: str, concurrency: int | str, result: dict[str, Any]) -> str:
    """One Markdown table row."""
    return (f"| {server} | {api} | {concurrency} | {result['ok_per_s']:,.0f} | {result['p50_ms']:.1f} | "
            f"{result['p99_ms']:.1f} | {result['errors']} | {result['shed']} |")


def measure_starling(base: str, body: bytes, grpc_request: bytes, binary: Path, seconds: float,
                     workers: int = 1) -> tuple[list[str], list[str]]:
    """Starling's closed-loop rows (REST with wrk, gRPC with loadgen) and its overload rows."""
    port, grpc_port = free_port(), free_port()
    command = [sys.executable, "-c", "from pipelines.cli.main import command; command()",
               "serve", "--model-base-path", base, "--port", str(port), "--grpc-port", str(grpc_port),
               "--workers", str(workers)]
    url = f"http://127.0.0.1:{port}/v1/models/ctr:predict"
    label = "Starling" if workers == 1 else f"Starling, {workers} workers"
    rows, overload = [], []
    with Process(command):
        wait_ready(url, body)
        wrk(url, body, 8, 2)  # warm-up
        best = 0.0
        for concurrency in CONCURRENCY:
            result = wrk(url, body, concurrency, seconds)
            best = max(best, result["ok_per_s"])
            rows.append(row(label, "REST", concurrency, result))
            print(rows[-1], flush=True)
        for concurrency in CONCURRENCY:
            result = loadgen(binary, "grpc", f"127.0.0.1:{grpc_port}", grpc_request, seconds, concurrency)
            rows.append(row(label, "gRPC", concurrency, result))
            print(rows[-1], flush=True)
        for factor in (2, 4):
            result = loadgen(binary, "rest", url, body, seconds, 2048, rate=factor * best)
            overload.append(f"| {label} | {factor}x ({factor * best:,.0f} req/s offered) | "
                            f"{result['ok_per_s']:,.0f} | {result['shed'] / result['elapsed']:,.0f} | "
                            f"{result['errors']} | {result['p50_ms']:.1f} | {result['p99_ms']:.1f} |")
            print(overload[-1], flush=True)
    return rows, overload


def measure_peer(version_dir: str, body: bytes, seconds: float) -> list[str]:
    """The peer's REST rows, the better of 1 and 2 BentoML workers at each concurrency."""
    bentoml = PEER_DIR / "venv" / "bin" / "bentoml"
    if not bentoml.exists():
        print(f"no peer venv at {bentoml.parent.parent}; skipping the peer", file=sys.stderr)
        return []
    best: dict[int, tuple[int, dict[str, Any]]] = {}
    for workers in (1, 2):
        port = free_port()
        with Process([str(bentoml), "serve", "serving_peer_bentoml:CtrModel", "--port", str(port),
                      "--host", "127.0.0.1"], env={"BENCH_SAVED_MODEL": version_dir,
                                                   "BENCH_PEER_WORKERS": str(workers)}, cwd=HERE):
            url = f"http://127.0.0.1:{port}/predict"
            wait_ready(url, body)
            wrk(url, body, 8, 2)
            for concurrency in CONCURRENCY:
                result = wrk(url, body, concurrency, seconds)
                print(row(f"BentoML 1.4, {workers} worker(s)", "REST", concurrency, result), flush=True)
                if concurrency not in best or result["ok_per_s"] > best[concurrency][1]["ok_per_s"]:
                    best[concurrency] = (workers, result)
    return [row(f"BentoML 1.4 ({workers} worker{'s' if workers > 1 else ''})", "REST", concurrency, result)
            for concurrency, (workers, result) in sorted(best.items())]


def measure(seconds: float, saved_model: str | None) -> str:
    """Runs every configuration and returns the README section's tables."""
    if shutil.which("wrk") is None:
        raise SystemExit("the serving benchmark needs wrk, Debian's package: apt-get install -y wrk")
    binary = build_loadgen()
    with tempfile.TemporaryDirectory() as base:
        version_dir = os.path.join(base, "ctr", "1")
        if saved_model:
            shutil.copytree(saved_model, version_dir)
        else:
            export_benchmark_model(version_dir)
        body = json.dumps({"instances": [instance_for(version_dir)]}).encode()
        top = ceiling(version_dir, 64, 3)
        single = ceiling(version_dir, 1, 3)
        rows, overload = [], []
        for workers in (1, 2):
            more_rows, more_overload = measure_starling(base, body, grpc_body(version_dir), binary, seconds,
                                                        workers)
            rows += more_rows
            overload += more_overload
        rows += measure_peer(version_dir, body, seconds)
    return "\n".join([
        f"Model: {'the ctr SavedModel given with --saved-model' if saved_model else 'a CTR-shaped one'}; "
        f"{seconds:g} s per row; one instance per request; 2 shared cores.", "",
        "| server | API | concurrency | requests/s (200) | p50 ms | p99 ms | errors | 503s |",
        "|---|---|---:|---:|---:|---:|---:|---:|", *rows, "",
        "Overload (open loop, Starling REST, offered at 2x and 4x its best closed-loop rate):", "",
        "| server | offered | served 200/s | shed 503/s | other errors | p50 ms (200s) | p99 ms (200s) |",
        "|---|---|---:|---:|---:|---:|---:|", *overload, "",
        f"In-process ceiling of the same SavedModel: {top:,.0f} examples/s on batches of 64, "
        f"{single:,.0f} calls/s one example at a time."])


def main() -> None:
    """Measures, prints and optionally writes the README section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--saved-model", help="serve this SavedModel (default: a CTR-shaped one)")
    parser.add_argument("--update-readme", action="store_true")
    args = parser.parse_args()
    table = measure(args.seconds, args.saved_model)
    print(table)
    if args.update_readme and not update_readme("serving", table):
        print("README.md has no <!-- bench:serving --> markers; not updated", file=sys.stderr)


if __name__ == "__main__":
    main()
