"""A Beam Python SDK worker pool bound to 127.0.0.1, for Flink's EXTERNAL environment.

Beam's own `python -m apache_beam.runners.worker.worker_pool_main` listens on every interface
and starts each SDK worker as `python` from PATH; this runs the same servicer, but on loopback
only and with this interpreter (Starling's venv), so the workers import Starling's components
and the user modules they reference.

Usage: .venv/bin/python scripts/flink/worker_pool.py --port 50000
"""

import argparse
import logging
import os
import sys
import time

import grpc
from apache_beam.portability.api import beam_fn_api_pb2_grpc
from apache_beam.runners.worker.worker_pool_main import BeamFnExternalWorkerPoolServicer
from apache_beam.utils import thread_pool_executor


def serve(host: str, port: int) -> None:
    """Serves StartWorker/StopWorker until killed; each worker is a process of this venv."""
    venv_bin = os.path.dirname(sys.executable)
    os.environ["PATH"] = venv_bin + os.pathsep + os.environ.get("PATH", "")  # `python` = this one
    server = grpc.server(thread_pool_executor.shared_unbounded_instance(),
                         options=[("grpc.http2.max_pings_without_data", 0),
                                  ("grpc.http2.max_ping_strikes", 0)])
    bound = server.add_insecure_port(f"{host}:{port}")
    if not bound:
        raise SystemExit(f"worker pool: cannot listen on {host}:{port}")
    beam_fn_api_pb2_grpc.add_BeamFnExternalWorkerPoolServicer_to_server(
        BeamFnExternalWorkerPoolServicer(use_process=True), server)
    server.start()
    logging.info("Beam SDK worker pool listening on %s:%d (python: %s)", host, bound, sys.executable)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    serve(args.host, args.port)
