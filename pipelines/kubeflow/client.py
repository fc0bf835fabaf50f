"""Running compiled pipelines: on a Kubeflow cluster (`kfp.Client`) or locally with `kfp.local`."""

from __future__ import annotations

import os
from typing import Any

from pipelines.errors import StarlingError


def submit(package_path: str, host: str, *, experiment: str = "Default",
           arguments: dict[str, Any] | None = None, run_name: str | None = None,
           schedule: str | None = None) -> str:
    """Uploads a compiled pipeline to a Kubeflow Pipelines host and starts a run; returns its id.

    Args:
        package_path: The compiled YAML.
        host: The KFP API URL.
        experiment: The KFP experiment.
        arguments: Pipeline parameter values.
        run_name: The run's (or recurring run's) display name.
        schedule: A cron expression (`M H DoM Mon DoW`, or KFP's six fields with seconds
            first): create a recurring run instead, e.g. `"0 6 * * *"` for each day at 06:00.
            With the ctr template's default span (the newest day), each run trains on the day
            that arrived last.

    Returns:
        The run id, or the recurring run's id with `schedule`.

    Raises:
        StarlingError: the package is missing, the schedule is not a cron expression, or the host
            cannot be reached or refuses the run (the message names the host).
    """
    if not os.path.isfile(package_path):
        raise StarlingError(f"compiled pipeline not found: {package_path} (run `starling compile` first)")
    if not host.startswith(("http://", "https://")):
        raise StarlingError(f"--host {host!r}: expected an http:// or https:// URL of the KFP API")
    cron = kfp_cron(schedule) if schedule is not None else None
    import warnings

    import kfp

    verb = "schedule on" if cron else "submit to"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            client = kfp.Client(host=host)
        if cron is None:
            return client.create_run_from_pipeline_package(
                package_path, arguments=arguments or {}, experiment_name=experiment,
                run_name=run_name).run_id
        experiment_id = client.create_experiment(experiment).experiment_id
        job_name = run_name or os.path.splitext(os.path.basename(package_path))[0]
        recurring = client.create_recurring_run(
            experiment_id, job_name, cron_expression=cron, pipeline_package_path=package_path,
            params=arguments or {}, max_concurrency=1)
        return recurring.recurring_run_id
    except Exception as error:  # kfp raises urllib3/ApiException/MaxRetryError variants
        reason = str(error).splitlines()[0][:300]
        raise StarlingError(f"cannot {verb} Kubeflow Pipelines at {host}: {reason}") from error


def kfp_cron(schedule: str) -> str:
    """KFP's six-field cron (seconds first) from a five- or six-field expression.

    Raises:
        StarlingError: not five or six fields of cron characters.
    """
    fields = schedule.split()
    allowed = set("0123456789*/,-?LW#ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    if len(fields) not in (5, 6) or any(not set(field.upper()) <= allowed for field in fields):
        raise StarlingError(f"--schedule {schedule!r}: expected a cron expression such as "
                            "'0 6 * * *' (minute hour day month weekday)")
    return " ".join(["0", *fields] if len(fields) == 5 else fields)


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
