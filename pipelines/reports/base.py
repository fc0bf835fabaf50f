"""What every report shares: a title, sections of HTML, and three renderings."""

from __future__ import annotations

import abc
import glob
import os
from typing import Any

from pipelines.reports import html


def load_split_protos(uri: str, file_name: str, proto_class: Any) -> dict[str, Any]:
    """Split name -> the proto in `<uri>/Split-<split>/<file_name>` for every split present."""
    found = {}
    for path in sorted(glob.glob(os.path.join(uri, "Split-*", file_name))):
        split = os.path.basename(os.path.dirname(path))[len("Split-"):]
        with open(path, "rb") as source:
            found[split] = proto_class.FromString(source.read())
    return found


class Report(abc.ABC):
    """A report renders as a self-contained page, inside Jupyter, and as terminal text."""

    title: str

    @abc.abstractmethod
    def _sections(self) -> list[str]:
        """The report's HTML sections."""

    @abc.abstractmethod
    def text(self) -> str:
        """The terminal rendering."""

    def html(self) -> str:
        """The full self-contained HTML page."""
        return html.page(self.title, *self._sections())

    def _repr_html_(self) -> str:
        return html.fragment(*self._sections())

    def save(self, path: str) -> str:
        """Writes the page; returns the path."""
        with open(path, "w") as target:
            target.write(self.html())
        return path
