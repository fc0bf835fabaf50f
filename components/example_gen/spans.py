"""Input patterns with {SPAN}, {VERSION} and {YYYY}-{MM}-{DD}: which files make up which span."""

from __future__ import annotations

import dataclasses
import fnmatch
import glob
import os
import re
from collections.abc import Sequence

from pipelines import storage

_PLACEHOLDERS = {"{SPAN}": r"(?P<span>\d+)", "{VERSION}": r"(?P<version>\d+)",
                 "{YYYY}": r"(?P<year>\d{4})", "{MM}": r"(?P<month>\d{2})", "{DD}": r"(?P<day>\d{2})"}


@dataclasses.dataclass(frozen=True)
class SpanSelection:
    """The files chosen for one run: their spans and version.

    `span` is the newest chosen span; with a date pattern a span is the date as YYYYMMDD.
    """

    files: list[str]
    spans: list[int]
    version: int | None

    @property
    def span(self) -> int:
        """The newest span in the selection."""
        return max(self.spans)


def _pattern_regex(pattern: str) -> re.Pattern:
    parts = re.split(r"(\{SPAN\}|\{VERSION\}|\{YYYY\}|\{MM\}|\{DD\})", pattern)
    regex = "".join(_PLACEHOLDERS.get(part) or fnmatch.translate(part)[4:-3] for part in parts)
    return re.compile(f"^{regex}$")


def _glob_pattern(pattern: str) -> str:
    for placeholder in _PLACEHOLDERS:
        pattern = pattern.replace(placeholder, "*")
    return pattern


def _span_of(match: re.Match) -> int:
    groups = match.groupdict()
    if groups.get("span") is not None:
        return int(groups["span"])
    if groups.get("year") is not None:
        return int(f"{groups['year']}{groups.get('month') or '01'}{groups.get('day') or '01'}")
    return 0


def select_files(input_base: str, pattern: str, span: int | None = None,
                 span_range: Sequence[int] | None = None) -> SpanSelection:
    """The files of the chosen spans, each at its latest version.

    The latest span by default, or `span`, or every span in `span_range` (inclusive).

    Raises:
        FileNotFoundError: nothing matches; the message names input_base, the pattern and, when a
            span was asked for, the spans that do exist.
    """
    found: dict[int, dict[int | None, list[str]]] = {}
    regex = _pattern_regex(pattern)
    for path in _candidates(input_base, pattern):
        match = regex.match(_relative(path, input_base))
        if match is None:
            continue
        version = match.groupdict().get("version")
        found.setdefault(_span_of(match), {}).setdefault(
            int(version) if version is not None else None, []).append(path)
    if not found:
        raise FileNotFoundError(f"no input files match pattern '{pattern}' under {input_base}")
    wanted = _wanted_spans(sorted(found), span, span_range, input_base, pattern)
    files, version = [], None
    for chosen in wanted:
        versions = found[chosen]
        version = max(versions, key=lambda v: -1 if v is None else v)
        files.extend(versions[version])
    return SpanSelection(files, wanted, version)


def _candidates(input_base: str, pattern: str) -> list[str]:
    """The files the pattern's glob finds under input_base (a directory or an s3:// / gs:// URL)."""
    if storage.is_url(input_base):
        return [path for path, _ in storage.match(storage.join(input_base, _glob_pattern(pattern)))]
    return sorted(path for path in glob.glob(os.path.join(input_base, _glob_pattern(pattern)))
                  if os.path.isfile(path))


def _relative(path: str, input_base: str) -> str:
    if storage.is_url(input_base):
        return path[len(input_base.rstrip("/")) + 1:]
    return os.path.relpath(path, input_base)


def select_readable_files(input_base: str, pattern: str, span: int | None = None,
                          span_range: Sequence[int] | None = None) -> SpanSelection:
    """`select_files`, with files in an object store staged into the running execution's scratch."""
    from pipelines.runner.context import current_execution

    selection = select_files(input_base, pattern, span, span_range)
    return local_selection(selection, input_base, os.path.join(current_execution().temp_dir, "input"))


def local_selection(selection: SpanSelection, input_base: str, directory: str) -> SpanSelection:
    """The selection itself for local files; for a URL input_base, its files copied into `directory`.

    The readers (pyarrow, csv) read local files; files in an object store are staged into the
    execution's scratch directory first, keeping their paths relative to input_base.
    """
    if not storage.is_url(input_base):
        return selection
    staged = []
    for path in selection.files:
        target = os.path.join(directory, *_relative(path, input_base).split("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as copy:
            copy.write(storage.read_bytes(path))
        staged.append(target)
    return SpanSelection(staged, selection.spans, selection.version)


def _wanted_spans(available: list[int], span: int | None, span_range: Sequence[int] | None,
                  input_base: str, pattern: str) -> list[int]:
    if span is not None and span_range is not None:
        raise ValueError("give either span or span_range, not both")
    if span_range is not None:
        low, high = span_range
        wanted = [s for s in available if low <= s <= high]
    elif span is not None:
        wanted = [span] if span in available else []
    else:
        wanted = [available[-1]]
    if not wanted:
        asked = f"span {span}" if span_range is None else f"spans {span_range[0]}..{span_range[1]}"
        raise FileNotFoundError(f"no input files for {asked} under {input_base} (pattern '{pattern}'; "
                                f"spans found: {', '.join(map(str, available))})")
    return wanted
