"""Loading the user function a component is given, by `module_file=` or by reference.

The lookup itself (dotted `package.module.function`, `package.module:function`, `.py` paths,
isolation per project) lives in `pipelines.dsl.module_reference`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pipelines.dsl import module_reference


def load_function(module_file: str | None, reference: str | None, default_name: str,
                  component: str) -> Callable[..., Any]:
    """The user's function from `module_file` (a .py path) or `reference`.

    `reference` may be `package.module.function` (TFX's templates), `package.module:function` or
    a path; `module_file` uses `default_name` (e.g. `run_fn`, `preprocessing_fn`, `tuner_fn`).

    Raises:
        ValueError: neither or both given.
        ModuleReferenceError: the module or function is not found (names what was tried).

    Example:
        >>> fn = load_function(None, "models.model.run_fn", "run_fn", "Trainer")  # doctest: +SKIP
    """
    if bool(module_file) == bool(reference):
        raise ValueError(f"{component}: give exactly one of module_file=... or "
                         f"{default_name}='package.module.{default_name}'")
    try:
        return module_reference.load_function(module_file or reference or "", default_name)
    except module_reference.ModuleReferenceError as error:
        raise module_reference.ModuleReferenceError(f"{component}: {error}") from None

