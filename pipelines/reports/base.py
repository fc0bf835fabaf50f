"""What every report shares: a title, sections of HTML, and three renderings."""

from __future__ import annotations

import abc

from pipelines.reports import html


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
