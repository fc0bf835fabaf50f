"""Generated engagement data: did a user engage with a ranked item? About 12% did.

Engagement rises with the user's activity and the item's popularity, falls with the item's age
and its position on the page, with interactions, so a model has something real to learn.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

LABEL = "engaged"
FEATURES = ["user_activity", "item_popularity", "item_age_hours", "position"]
FILE = "engagement.csv"


def engagement_frame(rows: int, seed: int = 7) -> pd.DataFrame:
    """`rows` seeded impressions with their engagement label."""
    random = np.random.default_rng(seed)
    activity = random.lognormal(0.0, 0.8, rows)
    popularity = random.beta(2.0, 5.0, rows)
    age = random.exponential(24.0, rows)
    position = random.integers(1, 11, rows)
    logit = (-2.6 + 0.9 * np.log(activity) + 3.0 * popularity * (position <= 3) + 1.2 * popularity
             - 0.03 * age - 0.15 * position)
    engaged = (random.random(rows) < 1.0 / (1.0 + np.exp(-logit))).astype(int)
    return pd.DataFrame({"user_activity": activity.round(4), "item_popularity": popularity.round(4),
                         "item_age_hours": age.round(2), "position": position, LABEL: engaged})


def write_engagement(data_root: str, rows: int = 20000) -> Path:
    """Writes `<data_root>/engagement.csv` once (kept when it exists)."""
    target = Path(data_root) / FILE
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        engagement_frame(rows).to_csv(target, index=False)
    return target
