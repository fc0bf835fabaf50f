"""The Palmer penguins data (shipped in the `palmerpenguins` package) as the template's input CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Any

SPECIES = ["Adelie", "Chinstrap", "Gentoo"]
LABEL = "species"
FILE = "penguins.csv"


def write_penguins(data_root: str) -> Path | str:
    """Writes `<data_root>/penguins.csv` (species as 0/1/2, missing values left empty) once.

    `data_root` may be an object-store URL (`s3://bucket/penguin`); the file's URL is returned.
    """
    from palmerpenguins import load_penguins

    from pipelines import storage

    if storage.is_url(data_root):
        url = storage.join(data_root, FILE)
        if not storage.exists(url):
            storage.write_bytes(url, _frame(load_penguins()).to_csv(index=False).encode())
        return url
    target = Path(data_root) / FILE
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    _frame(load_penguins()).to_csv(target, index=False)
    return target


def _frame(penguins: Any) -> Any:
    frame = penguins.drop(columns=["year"])
    frame[LABEL] = frame[LABEL].map(SPECIES.index)
    return frame
