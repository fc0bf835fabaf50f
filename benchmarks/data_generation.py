"""A generated CSV with 20 mixed columns (ints, floats, categories, missing values), written in chunks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

CHUNK_ROWS = 200_000


def write_mixed_csv(path: str | Path, rows: int, seed: int = 0) -> Path:
    """Writes `rows` rows: 8 int, 7 float and 5 categorical columns, ~2% missing; deterministic."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    sizes = (5, 20, 100, 1000, 3)
    categories = [np.array([f"c{c}_{v}" for v in range(size)]) for c, size in enumerate(sizes)]
    written = 0
    with open(path, "w") as target:
        while written < rows:
            count = min(CHUNK_ROWS, rows - written)
            frame = {f"int_{i}": rng.integers(0, 10 ** (i % 5 + 1), count) for i in range(8)}
            frame.update({f"float_{i}": np.round(rng.normal(i, 1 + i, count), 4) for i in range(7)})
            frame.update({f"cat_{i}": values[rng.integers(0, len(values), count)]
                          for i, values in enumerate(categories)})
            chunk = pd.DataFrame(frame)
            for column in ("float_3", "cat_2"):
                chunk.loc[rng.random(count) < 0.02, column] = None
            chunk.to_csv(target, index=False, header=written == 0)
            written += count
    return path
