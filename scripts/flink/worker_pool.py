"""A Beam Python SDK worker pool bound to 127.0.0.1, for Flink's EXTERNAL environment.

Beam's own `python -m apache_beam.runners.worker.worker_pool_main` listens on every interface
and starts each SDK worker as a new `python` process from PATH, which then spends 8-20 s
importing Beam, TensorFlow, TFDV, TFT and TFMA before it does any work, once per stage of every
job. This runs the same servicer on loopback only, in Starling's venv (so the workers import
Starling's components), and by default runs each SDK worker as a thread of this process, whose
heavy imports were done once at start. `--processes` starts one process per worker instead.

Usage: .venv/bin/python scripts/flink/worker_pool.py --port 50000 [--processes]
"""

import argparse
import importlib
import logging
import os
import sys
import time

import grpc
from apache_beam.portability.api import beam_fn_api_pb2_grpc
from apache_beam.runners.worker.worker_pool_main import BeamFnExternalWorkerPoolServicer
from apache_beam.utils import thread_pool_executor

PRELOADED_MODULES = ("pipelines", "apache_beam", "tensorflow", "tfx_bsl.public.tfxio",
                     "tensorflow_transform.beam", "tensorflow_data_validation", "tensorflow_model_analysis")


def serve(host: str, port: int, use_processes: bool) -> None:
    """Serves StartWorker/StopWorker until killed; workers are threads here, or processes of this venv."""
    venv_bin = os.path.dirname(sys.executable)
    os.environ["PATH"] = venv_bin + os.pathsep + os.environ.get("PATH", "")  # `python` = this one
    server = grpc.server(thread_pool_executor.shared_unbounded_instance(),
                         options=[("grpc.http2.max_pings_without_data", 0),
                                  ("grpc.http2.max_ping_strikes", 0)])
    bound = server.add_insecure_port(f"{host}:{port}")
    if not bound:
        raise SystemExit(f"worker pool: cannot listen on {host}:{port}")
    beam_fn_api_pb2_grpc.add_BeamFnExternalWorkerPoolServicer_to_server(
        BeamFnExternalWorkerPoolServicer(use_process=use_processes), server)
    if not use_processes:
        for module in PRELOADED_MODULES:
            importlib.import_module(module)
    server.start()
    logging.info("Beam SDK worker pool listening on %s:%d (python: %s, workers as %s)", host, bound,
                 sys.executable, "processes" if use_processes else "threads")
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--processes", action="store_true", help="one process per SDK worker")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    serve(args.host, args.port, args.processes)
