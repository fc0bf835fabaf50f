"""Generates ad click-through data: one CSV per day (= one span), deterministic per seed and day.

Columns: user_id, country, platform, hour, ad_category, advertiser_id (high cardinality),
user_past_impressions_7d, user_past_clicks_7d, user_ctr_30d, and the label `clicked` (~3% ones).

Clicks follow a known logistic model (`click_probability`), so a model's AUC can be set beside
the best any model can reach: the AUC of the true probabilities (the Bayes limit).

Knobs: `drift_day` changes the data from that day on, as when a new app version launches: the
platform and country mix shifts, and clicks respond differently (concept drift: web users click
more and iOS users less, travel and finance ads gain while gaming and sports lose, the evening
peak moves to the morning); `serving_skew` produces what a buggy serving stack would send (hours
in UTC instead of local time, a click-rate feature computed over 7 days instead of 30).

    python templates/ctr/data_generator.py --out data/ctr --days 3 --rows 20000 [--drift-day 3]
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

COUNTRIES = ["US", "IN", "BR", "GB", "DE", "FR", "JP", "MX", "CA", "ID", "NG", "TR", "ES", "IT",
             "KR", "AR", "PH", "EG", "AU", "PL"]
PLATFORMS = ["android", "ios", "web"]
AD_CATEGORIES = ["retail", "travel", "finance", "gaming", "auto", "food", "fashion", "health",
                 "education", "tech", "sports", "music", "news", "home", "beauty"]
ADVERTISERS = 5000
USERS = 200_000
LABEL = "clicked"
FEATURES = ["user_id", "country", "platform", "hour", "ad_category", "advertiser_id",
            "user_past_impressions_7d", "user_past_clicks_7d", "user_ctr_30d"]


@dataclasses.dataclass(frozen=True)
class CtrDataConfig:
    """How to generate the data.

    Attributes:
        rows_per_day: Rows in each daily file.
        seed: Base seed; each day draws from (seed, day).
        drift_day: From this day on, the platform and country mix shifts and clicks respond
            differently (None: no drift).
        drift_strength: 0..1, how far the mix moves toward web traffic from one country.
    """

    rows_per_day: int = 20_000
    seed: int = 42
    drift_day: int | None = None
    drift_strength: float = 0.6


def _country_weights(drifted: float) -> np.ndarray:
    base = 1.0 / np.arange(1, len(COUNTRIES) + 1) ** 0.9
    base = base / base.sum()
    target = np.zeros(len(COUNTRIES))
    target[COUNTRIES.index("BR")] = 1.0
    return (1 - drifted) * base + drifted * target


def _platform_weights(drifted: float) -> np.ndarray:
    base = np.array([0.55, 0.30, 0.15])
    return (1 - drifted) * base + drifted * np.array([0.1, 0.1, 0.8])


def click_logit(true_ctr: np.ndarray, platform: np.ndarray, category_index: np.ndarray,
                local_hour: np.ndarray, advertiser: np.ndarray, concept_drifted: bool) -> np.ndarray:
    """The log-odds of a click: the user's own click rate, then platform, ad, hour and advertiser."""
    evening = (local_hour >= 18) & (local_hour <= 22)
    morning = (local_hour >= 6) & (local_hour <= 10)
    base = -5.0 + 30 * true_ctr + 0.3 * ((advertiser % 7) == 0)
    if not concept_drifted:
        return (base + 0.45 * (platform == "ios") - 0.35 * (platform == "web")
                + 0.4 * np.isin(category_index, [3, 10]) + 0.3 * evening)
    return (base - 0.5 * (platform == "ios") + 0.6 * (platform == "web")
            - 0.5 * np.isin(category_index, [3, 10]) + 0.7 * np.isin(category_index, [1, 2])
            + 0.4 * morning)


def _day_with_probability(day: int, config: CtrDataConfig,
                          serving_skew: bool) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng([config.seed, day, int(serving_skew)])
    rows = config.rows_per_day
    drifted = config.drift_day is not None and day >= config.drift_day
    mix = config.drift_strength if drifted else 0.0
    user_id = rng.integers(1, USERS, rows)
    country = rng.choice(COUNTRIES, rows, p=_country_weights(mix))
    platform = rng.choice(PLATFORMS, rows, p=_platform_weights(mix))
    local_hour = (rng.normal(15, 5, rows).round().astype(int)) % 24
    category_index = rng.integers(0, len(AD_CATEGORIES), rows)
    advertiser = (rng.zipf(1.3, rows) % ADVERTISERS).astype(int)
    impressions = rng.poisson(40, rows)
    true_ctr = rng.beta(1.2, 40, rows)
    clicks = rng.binomial(impressions, true_ctr)
    ctr_30d = np.round(np.clip(true_ctr + rng.normal(0, 0.005, rows), 0, 1), 5)
    probability = 1 / (1 + np.exp(-click_logit(true_ctr, platform, category_index, local_hour, advertiser,
                                                drifted)))
    clicked = (rng.random(rows) < probability).astype(int)
    hour = local_hour
    if serving_skew:
        hour = (local_hour + 5) % 24  # serving sends UTC hours
        ctr_30d = np.round(np.clip(clicks / np.maximum(impressions, 1) * 3.5, 0, 1), 5)
    frame = pd.DataFrame({
        "user_id": user_id, "country": country, "platform": platform, "hour": hour,
        "ad_category": np.array(AD_CATEGORIES)[category_index],
        "advertiser_id": [f"adv_{a:05d}" for a in advertiser],
        "user_past_impressions_7d": impressions, "user_past_clicks_7d": clicks,
        "user_ctr_30d": ctr_30d, LABEL: clicked,
    })
    return frame, probability


def generate_day(day: int, config: CtrDataConfig, serving_skew: bool = False) -> pd.DataFrame:
    """One day's rows; the same (config, day, serving_skew) always gives the same frame."""
    return _day_with_probability(day, config, serving_skew)[0]


def true_click_probability(day: int, config: CtrDataConfig) -> np.ndarray:
    """The probability each row of `generate_day(day, config)` had of being clicked (row by row).

    Its AUC against the labels is the Bayes limit: no model of the features can rank better.
    """
    return _day_with_probability(day, config, False)[1]


def write_days(out_dir: str | Path, days: range | list[int], config: CtrDataConfig,
               serving_skew: bool = False, with_label: bool = True) -> list[Path]:
    """Writes `<out_dir>/day-<N>/data.csv` for each day; returns the files written."""
    written = []
    for day in days:
        frame = generate_day(day, config, serving_skew)
        if not with_label:
            frame = frame.drop(columns=[LABEL])
        target = Path(out_dir) / f"day-{day}" / "data.csv"
        target.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(target, index=False)
        written.append(target)
    return written


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description="Generate daily ad click-through CSV files.")
    parser.add_argument("--out", required=True)
    parser.add_argument("--days", type=int, default=3, help="write days 1..N")
    parser.add_argument("--first-day", type=int, default=1)
    parser.add_argument("--rows", type=int, default=20_000, help="rows per day")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--drift-day", type=int, default=None)
    parser.add_argument("--serving-skew", action="store_true",
                        help="write serving-side data with the skew bugs (no label)")
    args = parser.parse_args()
    config = CtrDataConfig(rows_per_day=args.rows, seed=args.seed, drift_day=args.drift_day)
    days = range(args.first_day, args.first_day + args.days)
    for path in write_days(args.out, days, config, serving_skew=args.serving_skew,
                           with_label=not args.serving_skew):
        print(path)


if __name__ == "__main__":
    main()
