"""InfraValidator (TFX's contract): load, and optionally query, a candidate in a sandboxed server."""

from components.infra_validator.component import InfraValidator, infra_validator

__all__ = ["InfraValidator", "infra_validator"]
