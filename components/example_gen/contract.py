"""The curated schema as a contract on CSV rows: required columns, domains, ranges, finite floats.

A feature of the schema becomes a `ColumnRule` on the column of the same name. Rules are checked
on whole Arrow columns (vectorized); only the few rows that break one are turned into messages,
each naming the column, the value as written and the schema's constraint, e.g.
`column 'clicked': 2 is outside the schema's range [0, 1]`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from typing import Any

TRAINING = "TRAINING"
_NAMED_DOMAIN_VALUES = 8
_KINDS = {1: "bytes", 2: "int", 3: "float"}  # schema_pb2.BYTES, INT, FLOAT
_NOT_IN_PRODUCTION = {"PLANNED", "ALPHA", "DEBUG_ONLY", "DEPRECATED", "DISABLED"}


class BadSchemaFile(ValueError):
    """A schema file that is empty, unparsable or declares no features; the message names it."""


@dataclasses.dataclass(frozen=True)
class ColumnRule:
    """What the schema says about one column's values.

    Attributes:
        column: The column (feature) name.
        kind: "int", "float" or "bytes".
        in_every_row: The feature must have a value in every row (presence min_fraction 1).
        in_header: The column must be there at all (min_fraction 1 or min_count >= 1).
        low: Smallest value allowed (int_domain / float_domain min), or None.
        high: Largest value allowed, or None.
        domain: Allowed strings (a string_domain), or None.
        domain_name: The string domain's name, for messages.
        disallow_nan: NaN is not allowed (float_domain disallow_nan, or any bound given).
        disallow_inf: Infinities are not allowed (float_domain disallow_inf, or any bound given).
    """

    column: str
    kind: str
    in_every_row: bool = False
    in_header: bool = False
    low: float | None = None
    high: float | None = None
    domain: tuple[str, ...] | None = None
    domain_name: str = ""
    disallow_nan: bool = False
    disallow_inf: bool = False

    def violations(self, values: Any, text: Any) -> dict[int, str]:
        """{row: reason} for the rows of a typed Arrow column that break this rule.

        Args:
            values: The column cast to its kind (null where missing or unparsable).
            text: The same rows as written in the file, for the messages.
        """
        import pyarrow.compute as pc

        bad: dict[int, str] = {}
        for mask, explain in self._checks(values):
            for row in pc.indices_nonzero(pc.fill_null(mask, False)).to_pylist():
                if row not in bad:
                    bad[row] = f"column '{self.column}': {explain(text[row].as_py())}"
        return bad

    def _checks(self, values: Any) -> Iterator[tuple[Any, Any]]:
        import pyarrow as pa
        import pyarrow.compute as pc

        if self.in_every_row:
            yield values.is_null(), lambda _text: ("missing value; the schema requires one in every row "
                                                   "(presence min_fraction 1)")
        if self.kind == "float" and self.disallow_nan:
            yield pc.is_nan(values), self._not_finite
        if self.kind == "float" and self.disallow_inf:
            yield pc.is_inf(values), self._not_finite
        arrow_type = pa.int64() if self.kind == "int" else pa.float32()
        if self.low is not None and self.kind != "bytes":
            yield pc.less(values, pa.scalar(self.low, arrow_type)), self._outside
        if self.high is not None and self.kind != "bytes":
            yield pc.greater(values, pa.scalar(self.high, arrow_type)), self._outside
        if self.domain is not None and self.kind == "bytes":
            allowed = pa.array([value.encode() for value in self.domain], pa.large_binary())
            outside = pc.invert(pc.is_in(values, value_set=allowed))
            yield pc.and_(values.is_valid(), outside), self._not_in_domain

    def _outside(self, text: str) -> str:
        low = "-inf" if self.low is None else self._bound(self.low)
        high = "inf" if self.high is None else self._bound(self.high)
        return f"{text.strip()} is outside the schema's range [{low}, {high}]"

    def _bound(self, value: float) -> str:
        return str(int(value)) if self.kind == "int" else f"{value:g}"

    def _not_in_domain(self, text: str) -> str:
        assert self.domain is not None
        named = ", ".join(self.domain[:_NAMED_DOMAIN_VALUES])
        more = f", ... ({len(self.domain)} values)" if len(self.domain) > _NAMED_DOMAIN_VALUES else ""
        return f"{text!r} is not in the schema's domain '{self.domain_name}' ({named}{more})"

    def _not_finite(self, text: str) -> str:
        if self.low is not None or self.high is not None:
            return self._outside(text)
        flags = " and ".join(name for name, on in (("disallow_nan", self.disallow_nan),
                                                   ("disallow_inf", self.disallow_inf)) if on)
        return f"{text.strip()} is not allowed by the schema's float_domain ({flags})"


def load_schema_file(path: str) -> Any:
    """Parses a schema.pbtxt; an empty, unparsable or feature-less file is an error naming it.

    Raises:
        BadSchemaFile: the file is empty, does not parse as a tensorflow_metadata Schema, or
            declares no feature (it would check nothing).
    """
    from google.protobuf import text_format
    from tensorflow_metadata.proto.v0 import schema_pb2

    try:
        with open(path, encoding="utf-8") as source:
            text = source.read()
    except (OSError, UnicodeDecodeError) as error:
        raise BadSchemaFile(f"{path}: cannot read the schema file: {error}") from None
    if not text.strip():
        raise BadSchemaFile(f"{path}: the schema file is empty; a schema must declare its features")
    try:
        schema = text_format.Parse(text, schema_pb2.Schema())
    except text_format.ParseError as error:
        raise BadSchemaFile(f"{path}: not a valid Schema: {error}") from None
    if not schema.feature and not schema.sparse_feature:
        raise BadSchemaFile(f"{path}: the schema declares no features, so it would check nothing")
    return schema


def rules_from_schema(schema: Any) -> dict[str, ColumnRule]:
    """A rule per feature of a tensorflow_metadata Schema (by column name)."""
    domains = {domain.name: tuple(domain.value) for domain in schema.string_domain}
    return {feature.name: _rule(feature, domains) for feature in schema.feature}


def _rule(feature: Any, domains: dict[str, tuple[str, ...]]) -> ColumnRule:
    from tensorflow_metadata.proto.v0 import schema_pb2

    kind = _KINDS.get(feature.type, "bytes")
    stage = schema_pb2.LifecycleStage.Name(feature.lifecycle_stage)
    expected = _in_training(feature) and not feature.deprecated and stage not in _NOT_IN_PRODUCTION
    presence = feature.presence
    low, high = _bounds(feature, kind)
    finite = kind == "float" and (low is not None or high is not None)
    domain, domain_name = _string_domain(feature, domains)
    float_domain = feature.float_domain if feature.HasField("float_domain") else None
    return ColumnRule(
        column=feature.name, kind=kind,
        in_every_row=expected and presence.min_fraction >= 1.0,
        in_header=expected and (presence.min_fraction >= 1.0 or presence.min_count >= 1),
        low=low, high=high, domain=domain, domain_name=domain_name,
        disallow_nan=finite or bool(float_domain and float_domain.disallow_nan),
        disallow_inf=finite or bool(float_domain and float_domain.disallow_inf))


def _in_training(feature: Any) -> bool:
    if TRAINING in feature.not_in_environment:
        return False
    return not feature.in_environment or TRAINING in feature.in_environment


def _bounds(feature: Any, kind: str) -> tuple[float | None, float | None]:
    domain = (feature.int_domain if kind == "int" and feature.HasField("int_domain")
              else feature.float_domain if kind == "float" and feature.HasField("float_domain") else None)
    if domain is None:
        return None, None
    low = domain.min if domain.HasField("min") else None
    high = domain.max if domain.HasField("max") else None
    return (None if low is not None and math.isinf(low) else low,
            None if high is not None and math.isinf(high) else high)


def _string_domain(feature: Any, domains: dict[str, tuple[str, ...]]) -> tuple[tuple[str, ...] | None, str]:
    """The allowed values of a BYTES feature with a string domain (inline or by name)."""
    constraints = feature.distribution_constraints
    if feature.HasField("distribution_constraints") and constraints.min_domain_mass < 1.0:
        return None, ""  # values outside the domain are allowed, up to a share TFDV checks
    if feature.HasField("string_domain"):
        return tuple(feature.string_domain.value), feature.string_domain.name or feature.name
    if feature.WhichOneof("domain_info") == "domain" and feature.domain in domains:
        return domains[feature.domain], feature.domain
    return None, ""


def missing_columns(rules: dict[str, ColumnRule], columns: list[str]) -> list[str]:
    """The columns the schema requires that a header lacks, in the schema's order."""
    present = set(columns)
    return [name for name, rule in rules.items() if rule.in_header and name not in present]
