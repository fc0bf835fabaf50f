"""What `starling compile` refuses for the Kubeflow target: secrets in the package, paths that die.

A compiled package is a document people share, upload and keep: a password written into it
leaks. And a step's working directory lives only as long as its pod: a model pushed under a
relative `serving` is gone when the pod is. So:

- a metadata URL with an inline password, or a Beam argument carrying a secret, is refused
  unless the caller insists (`allow_inline_secrets`); the password belongs in a Kubernetes
  Secret (`--metadata-secret NAME`), read by each step from an environment variable;
- `root`, `data_root`, `serving_base` (and any other `*_root` / `*_base` parameter) must be an
  object-store URL (`s3://`, `gs://`) or a path under a mounted volume (`--volume PVC:/mnt/x`).
  A relative path is always refused; an absolute local path only with `allow_local_paths`
  (for `starling kfp-local` on this machine).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

import pipelines.storage as storage
from pipelines.errors import StarlingError

PERSISTENT_PARAMETERS = ("root", "data_root", "serving_base")
_SECRET_WORDS = ("secret", "password", "token", "credential")


def check_no_inline_secrets(metadata_url: str, beam_args: Sequence[str] | None,
                            allow_inline_secrets: bool) -> None:
    """Refuses a password in the metadata URL and secret-bearing Beam arguments.

    Raises:
        StarlingError: naming what would have been written into the package.
    """
    if allow_inline_secrets:
        return
    if metadata_url and not metadata_url.startswith("sqlite:") and urlsplit(metadata_url).password:
        raise StarlingError(
            "--metadata has a password in it, which would be written into every step of the "
            "package; give the URL without it (mysql://USER@HOST:PORT/DB) and the password "
            "through a Kubernetes Secret: --metadata-secret NAME (key 'password'); "
            "--allow-inline-secrets insists")
    for argument in beam_args or ():
        name = argument.split("=", 1)[0].lower()
        if "=" in argument and any(word in name for word in _SECRET_WORDS):
            raise StarlingError(
                f"Beam argument {argument.split('=', 1)[0]} carries a secret, which would be "
                "written into the package; pass credentials through a Kubernetes Secret "
                "(--storage-secret NAME); --allow-inline-secrets insists")


def persistent_path_values(pipeline_root: str, parameters: Iterable[tuple[str, Any]]) -> dict[str, str]:
    """The path-like values to check: the pipeline's root and the parameters that name storage."""
    values = {"root": os.fspath(pipeline_root)}
    for name, value in parameters:
        if isinstance(value, str) and value and (
                name in PERSISTENT_PARAMETERS or name.endswith(("_root", "_base"))):
            values[name] = value
    return values


def check_persistent_paths(values: dict[str, str], mount_paths: Sequence[str],
                           allow_local_paths: bool) -> None:
    """Refuses a path a Kubeflow step would lose with its pod.

    Raises:
        StarlingError: naming the parameter and saying what would work instead.
    """
    for name, value in values.items():
        if storage.is_url(value) or any(_is_under(value, mount) for mount in mount_paths):
            continue
        if "://" in value:
            raise StarlingError(f"parameter '{name}' = {value!r}: only {', '.join(storage.URL_SCHEMES)} "
                                "URLs are supported")
        if os.path.isabs(value) and allow_local_paths:
            continue
        kind = "an absolute local path" if os.path.isabs(value) else "a relative local path"
        raise StarlingError(
            f"parameter '{name}' = {value!r} is {kind}: on Kubeflow it would live in the step's "
            "pod and vanish with it; use an object-store URL (--param "
            f"{name}=s3://BUCKET/...) or a path under a mounted volume (--volume PVC:/mnt/DIR, "
            f"--param {name}=/mnt/DIR/...)"
            + ("; --allow-local-paths accepts absolute paths for kfp-local runs on this machine"
               if os.path.isabs(value) else ""))


def _is_under(path: str, mount_path: str) -> bool:
    mount = mount_path.rstrip("/") + "/"
    return path == mount_path.rstrip("/") or path.startswith(mount)


def parse_volume(text: str) -> tuple[str, str]:
    """`PVC_NAME:/MOUNT/PATH` as (name, path).

    Raises:
        StarlingError: not in that form, or the mount path is not absolute.
    """
    name, _, mount_path = text.partition(":")
    if not name or not mount_path.startswith("/"):
        raise StarlingError(f"--volume {text!r}: expected PVC_NAME:/MOUNT/PATH, e.g. starling-data:/mnt/data")
    return name, mount_path.rstrip("/") or "/"
