"""Which versions of which models to serve: version policies, labels and TF Serving's config file.

A config file is TF Serving's own `ModelServerConfig` text format, so an existing
`--model_config_file` works unchanged:

    model_config_list {
      config {
        name: "ctr"  base_path: "/srv/models/ctr"
        model_version_policy { latest { num_versions: 2 } }
        version_labels { key: "stable" value: 3 }
      }
    }
"""

from __future__ import annotations

import dataclasses
import os
from typing import TYPE_CHECKING

from serving.errors import ClientError

if TYPE_CHECKING:
    from tensorflow_serving.config import model_server_config_pb2


class ConfigError(ValueError):
    """A bad --model-version-policy, --version-label or config file; the message names it."""


@dataclasses.dataclass(frozen=True)
class VersionPolicy:
    """TF Serving's model_version_policy: the newest N versions, all of them, or specific ones."""

    kind: str = "latest"
    count: int = 1
    versions: tuple[int, ...] = ()

    @classmethod
    def parse(cls, text: str) -> VersionPolicy:
        """`latest:N`, `all` or `specific:V,V,...`.

        Raises:
            ConfigError: any other text.
        """
        kind, _, value = text.strip().partition(":")
        try:
            if kind == "latest":
                count = int(value or 1)
                if count < 1:
                    raise ValueError
                return cls("latest", count)
            if kind == "all" and not value:
                return cls("all")
            if kind == "specific":
                versions = tuple(sorted(int(v) for v in value.split(",")))
                if versions:
                    return cls("specific", versions=versions)
        except ValueError:
            pass
        raise ConfigError(f"--model-version-policy '{text}': expected latest:N (N >= 1), all, "
                          "or specific:V,V,...")

    def wanted(self, on_disk: list[int]) -> list[int]:
        """The versions (ascending) of those on disk that should be loaded."""
        ordered = sorted(on_disk)
        if self.kind == "latest":
            return ordered[-self.count:]
        if self.kind == "specific":
            return [v for v in ordered if v in self.versions]
        return ordered


@dataclasses.dataclass
class ModelConfig:
    """One served model: its name, directory of versions, policy and version labels."""

    name: str
    base_path: str
    policy: VersionPolicy = dataclasses.field(default_factory=VersionPolicy)
    labels: dict[str, int] = dataclasses.field(default_factory=dict)


def parse_labels(entries: list[str]) -> dict[str | None, dict[str, int]]:
    """`--version-label [model:]label=version` entries, grouped by model (None: every model).

    Raises:
        ConfigError: an entry of another form.
    """
    grouped: dict[str | None, dict[str, int]] = {}
    for entry in entries:
        target, _, assignment = entry.rpartition(":") if ":" in entry else ("", "", entry)
        label, _, version = assignment.partition("=")
        if not label or not version.isdigit():
            raise ConfigError(f"--version-label '{entry}': expected [model:]label=version, e.g. stable=3")
        grouped.setdefault(target or None, {})[label] = int(version)
    return grouped


def read_config_file(path: str) -> list[ModelConfig]:
    """The models of a TF Serving `ModelServerConfig` text file.

    Raises:
        ConfigError: the file is missing or not a model_config_list (names the file and why).
    """
    from google.protobuf import text_format
    from tensorflow_serving.config import model_server_config_pb2

    if not os.path.isfile(path):
        raise ConfigError(f"model config file {path} does not exist")
    config = model_server_config_pb2.ModelServerConfig()
    try:
        with open(path) as source:
            text_format.Parse(source.read(), config)
    except text_format.ParseError as error:
        raise ConfigError(f"model config file {path}: {error}") from None
    if not config.model_config_list.config:
        raise ConfigError(f"model config file {path} has no model_config_list entries")
    base = os.path.dirname(os.path.abspath(path))
    return [ModelConfig(entry.name, os.path.join(base, entry.base_path), _policy_of(entry),
                        dict(entry.version_labels)) for entry in config.model_config_list.config]


def _policy_of(entry: model_server_config_pb2.ModelConfig) -> VersionPolicy:
    policy = entry.model_version_policy
    chosen = policy.WhichOneof("policy_choice")
    if chosen == "all":
        return VersionPolicy("all")
    if chosen == "specific":
        return VersionPolicy("specific", versions=tuple(sorted(policy.specific.versions)))
    if chosen == "latest" and policy.latest.num_versions:
        return VersionPolicy("latest", policy.latest.num_versions)
    return VersionPolicy()


def parse_version(text: str | None) -> int | None:
    """A version from a URL or request: None when absent.

    Raises:
        ClientError: not a number.
    """
    if text is None or text == "":
        return None
    if not text.isdigit():
        raise ClientError(f"version '{text}' is not a number")
    return int(text)
