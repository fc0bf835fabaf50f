"""Running compiled pipelines: on a Kubeflow cluster (`kfp.Client`) or locally with `kfp.local`."""

from __future__ import annotations

import os
from typing import Any

from pipelines.errors import StarlingError


def submit(package_path: str, host: str, *, experiment: str = "Default",
           arguments: dict[str, Any] | None = None, run_name: str | None = None,
           timeout_s: float = 20.0) -> str:
    """Uploads a compiled pipeline to a Kubeflow Pipelines host and starts a run; returns its id.

    Raises:
        StarlingError: the package is missing, or the host cannot be reached or refuses the run
            (the message names the host).
    """
    if not os.path.isfile(package_path):
        raise StarlingError(f"compiled pipeline not found: {package_path} (run `starling compile` first)")
    if not host.startswith(("http://", "https://")):
        raise StarlingError(f"--host {host!r}: expected an http:// or https:// URL of the KFP API")
    import warnings

    import kfp

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            client = kfp.Client(host=host)
        run = client.create_run_from_pipeline_package(
            package_path, arguments=arguments or {}, experiment_name=experiment, run_name=run_name)
    except Exception as error:  # kfp raises urllib3/ApiException/MaxRetryError variants
        reason = str(error).splitlines()[0][:300]
        raise StarlingError(f"cannot submit to Kubeflow Pipelines at {host}: {reason}") from error
    return run.run_id


def run_locally(package_path: str, pipeline_root: str, arguments: dict[str, Any] | None = None) -> Any:
    """Runs a compiled pipeline YAML on this machine with kfp.local's SubprocessRunner.

    Each step runs in a subprocess with this interpreter (no container), exactly as the KFP
    executor runs it in the image. Raises RuntimeError (from kfp) when a step fails.
    """
    import warnings

    from kfp import components, local

    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=pipeline_root,
               raise_on_error=True)
    pipeline = components.load_component_from_file(package_path)
    with warnings.catch_warnings():  # kfp warns that the image's packages are not checked here
        warnings.filterwarnings("ignore", message=".*non-Python base image.*")
        return pipeline(**(arguments or {}))
