"""The Palmer penguins data (shipped in the `palmerpenguins` package) as the template's input CSV."""

from __future__ import annotations

from pathlib import Path

SPECIES = ["Adelie", "Chinstrap", "Gentoo"]
LABEL = "species"
FILE = "penguins.csv"


def write_penguins(data_root: str) -> Path:
    """Writes `<data_root>/penguins.csv` (species as 0/1/2, missing values left empty) once."""
    from palmerpenguins import load_penguins

    target = Path(data_root) / FILE
    if target.is_file():
        return target
    frame = load_penguins().drop(columns=["year"])
    frame[LABEL] = frame[LABEL].map(SPECIES.index)
    target.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(target, index=False)
    return target
