"""Model server throughput and latency against the in-process ceiling of the same SavedModel.

A load generator in a second process sends single-instance predict requests over loopback at
concurrency 1, 8 and 64, with server-side batching on and off. The ceiling is the same
SavedModel called in-process on batches of the same size, measured in the same run.

    .venv/bin/python benchmarks/serving.py [--seconds 5] [--update-readme]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.readme_tables import update_readme

INSTANCE = {"country": "US", "platform": "ios", "hour": 14, "ad_category": "gaming",
            "user_ctr_30d": 0.031, "user_past_impressions_7d": 40}
FEATURES = {"country": "string", "platform": "string", "hour": "int64", "ad_category": "string",
            "user_ctr_30d": "float32", "user_past_impressions_7d": "int64"}

LOAD_GENERATOR = '''
# A minimal HTTP/1.1 keep-alive client on raw asyncio streams: httpx's async pool, not the
# server, was the bottleneck beyond a few dozen connections.
import asyncio, json, sys, time

async def main(host, port, path, concurrency, seconds, body):
    latencies, errors = [], 0
    request = (f"POST {path} HTTP/1.1\\r\\nHost: {host}\\r\\nContent-Type: application/json\\r\\n"
               f"Content-Length: {len(body)}\\r\\n\\r\\n").encode() + body
    deadline = time.perf_counter() + seconds

    async def worker():
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, port)
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(request)
            await writer.drain()
            head = await reader.readuntil(b"\\r\\n\\r\\n")
            length = next(int(line.split(b":")[1]) for line in head.split(b"\\r\\n")
                          if line.lower().startswith(b"content-length"))
            await reader.readexactly(length)
            if head.startswith(b"HTTP/1.1 200"):
                latencies.append(time.perf_counter() - started)
            else:
                errors += 1
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    print(json.dumps({"count": len(latencies), "errors": errors,
                      "elapsed": time.perf_counter() - started, "latencies": sorted(latencies)}))

asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5]),
                 sys.argv[6].encode()))
'''


def export_benchmark_model(directory: str) -> None:
    """A CTR-shaped model: string lookups and embeddings over raw tf.Example features."""
    import numpy as np
    import tensorflow as tf
    import tf_keras as keras

    vocabularies = {"country": ["US", "IN", "BR", "GB"], "platform": ["android", "ios", "web"],
                    "ad_category": ["retail", "travel", "gaming", "finance"]}
    lookups = {name: keras.layers.StringLookup(vocabulary=v) for name, v in vocabularies.items()}
    inputs = {name: keras.Input(shape=(1,), dtype=tf.string, name=name) for name in vocabularies}
    numeric = keras.Input(shape=(3,), name="numeric")
    embedded = [keras.layers.Flatten()(keras.layers.Embedding(8, 4)(lookups[n](inputs[n])))
                for n in vocabularies]
    hidden = keras.layers.Dense(32, activation="relu")(keras.layers.Concatenate()([*embedded, numeric]))
    model = keras.Model([*inputs.values(), numeric], keras.layers.Dense(1, activation="sigmoid")(hidden))
    spec = {name: tf.io.FixedLenFeature([1], tf.string) for name in vocabularies}
    spec.update(hour=tf.io.FixedLenFeature([1], tf.int64),
                user_ctr_30d=tf.io.FixedLenFeature([1], tf.float32),
                user_past_impressions_7d=tf.io.FixedLenFeature([1], tf.int64))

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
    def serve(serialized):
        parsed = tf.io.parse_example(serialized, spec)
        numbers = tf.concat([tf.cast(parsed["hour"], tf.float32) / 24.0, parsed["user_ctr_30d"],
                             tf.cast(parsed["user_past_impressions_7d"], tf.float32) / 100.0], axis=1)
        return {"probability": model([*(parsed[n] for n in vocabularies), numbers])}

    model.save(directory, signatures={"serving_default": serve}, save_format="tf")
    Path(directory, "assets.extra").mkdir(exist_ok=True)
    Path(directory, "assets.extra", "feature_spec.json").write_text(
        json.dumps({name: {"dtype": dtype} for name, dtype in FEATURES.items()}))
    del np


def ceiling(version_dir: str, batch_size: int, seconds: float) -> float:
    """Examples per second of the SavedModel called in-process on batches of `batch_size`."""
    from serving.loaded_model import load_version

    model = load_version("bench", 1, version_dir)
    example = model.feature_spec.to_example_bytes(INSTANCE, "bench")
    batch = [example] * batch_size
    model.predict(batch)
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        model.predict(batch)
        done += batch_size
    return done / (time.perf_counter() - started)


def load(url: str, concurrency: int, seconds: float) -> dict:
    """Runs the load generator in a second process against a predict URL."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    body = json.dumps({"instances": [INSTANCE]})
    output = subprocess.run([sys.executable, "-c", LOAD_GENERATOR, parts.hostname, str(parts.port),
                             parts.path, str(concurrency), str(seconds), body],
                            check=True, capture_output=True, text=True)
    return json.loads(output.stdout)


def percentile(sorted_values: list[float], share: float) -> float:
    """The value at a share (0..1) of a sorted list."""
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(share * len(sorted_values)))]


def measure(seconds: float) -> str:
    """Runs every configuration and returns the Markdown table."""
    from serving.batcher import BatchingOptions
    from serving.server import BackgroundServer, ServerOptions

    lines = ["| batching | concurrency | requests/s | p50 ms | p99 ms | errors | in-process ceiling "
             "(examples/s) | server / ceiling |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    with tempfile.TemporaryDirectory() as base:
        version_dir = os.path.join(base, "ctr", "1")
        export_benchmark_model(version_dir)
        for batching in (True, False):
            options = ServerOptions(base, port=0, batching=BatchingOptions(
                enabled=batching, max_batch_size=64, max_wait_ms=2.0))
            with BackgroundServer(options) as server:
                url = f"{server.url}/v1/models/ctr:predict"
                load(url, 4, 1.0)  # warm up
                for concurrency in (1, 8, 64):
                    result = load(url, concurrency, seconds)
                    rate = result["count"] / result["elapsed"]
                    top = ceiling(version_dir, min(concurrency, 64) if batching else 1, min(seconds, 3))
                    lines.append(
                        f"| {'on' if batching else 'off'} | {concurrency} | {rate:,.0f} | "
                        f"{percentile(result['latencies'], 0.5) * 1000:.1f} | "
                        f"{percentile(result['latencies'], 0.99) * 1000:.1f} | {result['errors']} | "
                        f"{top:,.0f} | {rate / top:.2f} |")
    return "\n".join(lines)


def main() -> None:
    """Measures, prints and optionally writes the README table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--update-readme", action="store_true")
    args = parser.parse_args()
    table = measure(args.seconds)
    print(table)
    if args.update_readme and not update_readme("serving", table):
        print("README.md has no <!-- bench:serving --> markers; not updated", file=sys.stderr)


if __name__ == "__main__":
    main()
