"""Writes a benchmark's Markdown table into README.md between its markers."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def update_readme(name: str, table: str, readme: Path = README) -> bool:
    """Replaces the text between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->`.

    Returns False (and changes nothing) when the README has no such markers.
    """
    text = readme.read_text()
    pattern = re.compile(rf"(<!-- bench:{name} -->\n).*?(<!-- /bench:{name} -->)", re.S)
    if not pattern.search(text):
        return False
    readme.write_text(pattern.sub(lambda m: m.group(1) + table.rstrip() + "\n" + m.group(2), text))
    return True
