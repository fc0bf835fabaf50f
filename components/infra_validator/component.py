"""InfraValidator: does the candidate model load, and answer, in a real model server?"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from components.infra_validator.prepared import prepared_sandbox
from components.infra_validator.queries import (
    QueryError,
    query_grpc,
    query_rest,
    read_examples,
    signature_inputs,
)
from components.infra_validator.sandbox import SandboxError, SandboxServer
from pipelines import Input, Output, Parameter, component
from pipelines.artifacts import SERVING_MODEL_DIR, Examples, InfraBlessing, Model

log = logging.getLogger("starling.components")
BLESSED_FILE = "INFRA_BLESSED"
NOT_BLESSED_FILE = "INFRA_NOT_BLESSED"


def _one_try(saved_model: str, examples: list[bytes] | None, signatures: list[str],
             max_loading_time_seconds: int, query_timeout_seconds: float) -> None:
    with SandboxServer(saved_model) as sandbox:
        sandbox.wait_until_loaded(max_loading_time_seconds)
        if examples is None:
            return
        for name, input_name in signature_inputs(sandbox, signatures, query_timeout_seconds).items():
            query_rest(sandbox, name, examples, query_timeout_seconds)
            query_grpc(sandbox, name, examples, input_name, query_timeout_seconds)


def validate(saved_model: str, examples: list[bytes] | None, signatures: list[str],
             max_loading_time_seconds: int, num_tries: int, query_timeout_seconds: float) -> str | None:
    """Loads (and queries) the model up to `num_tries` times; None when a try succeeds, else why not."""
    reason = "no try was made"
    for attempt in range(1, max(num_tries, 1) + 1):
        try:
            _one_try(saved_model, examples, signatures, max_loading_time_seconds, query_timeout_seconds)
            return None
        except (SandboxError, QueryError) as error:
            reason = str(error)
            log.warning("infra validation try %d of %d failed: %s", attempt, num_tries, reason)
    return reason


@component(name="InfraValidator", prepare=prepared_sandbox)
def infra_validator(model: Input[Model], blessing: Output[InfraBlessing],
                    examples: Input[Examples] | None = None,
                    max_loading_time_seconds: Parameter[int] = 300, num_tries: Parameter[int] = 3,
                    num_examples: Parameter[int] = 1, split_name: Parameter[str] = "eval",
                    signature_names: Parameter[str] = "serving_default",
                    query_timeout_seconds: Parameter[float] = 30.0) -> None:
    """Serves the candidate in a sandboxed `starling serve` and blesses it if it loads and answers.

    LOAD_ONLY without `examples`; LOAD_AND_QUERY with them: `num_examples` examples of
    `split_name` are sent to each of `signature_names` (comma-separated) over REST and over
    gRPC. Writes INFRA_BLESSED, or INFRA_NOT_BLESSED holding the reason; `blessed` is 1 or 0.

    Args:
        model: The candidate (its `Format-Serving/` SavedModel).
        blessing: The verdict.
        examples: Requests are built from these (optional).
        max_loading_time_seconds: How long the model may take to load, per try.
        num_tries: Tries before giving up (each in a fresh server).
        num_examples: Examples per request.
        split_name: The split the examples come from.
        signature_names: Signatures to query, comma-separated.
        query_timeout_seconds: Deadline of each request.

    Example:
        >>> infra = InfraValidator(model=trainer.outputs["model"],   # doctest: +SKIP
        ...                        examples=gen.outputs["examples"])
        >>> Pusher(model=..., infra_blessing=infra.outputs["blessing"], ...)  # doctest: +SKIP
    """
    saved_model = os.path.join(model.uri, SERVING_MODEL_DIR)
    reason: str | None
    if not os.path.isdir(saved_model):
        reason = f"Model artifact {model.id} has no {SERVING_MODEL_DIR}/ SavedModel at {saved_model}"
    else:
        requests = (read_examples(examples.split_uri(split_name), num_examples)
                    if examples is not None else None)
        signatures = [name.strip() for name in signature_names.split(",") if name.strip()]
        reason = validate(saved_model, requests, signatures, max_loading_time_seconds, num_tries,
                          query_timeout_seconds)
    blessing.blessed = 1 if reason is None else 0
    blessing.properties["validation_mode"] = "LOAD_ONLY" if examples is None else "LOAD_AND_QUERY"
    if reason is None:
        Path(blessing.path(BLESSED_FILE)).write_text("")
    else:
        Path(blessing.path(NOT_BLESSED_FILE)).write_text(reason + "\n")


InfraValidator = infra_validator
