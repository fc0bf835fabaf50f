"""Model quality of the ctr template, day after day, against baselines and the Bayes limit.

For each seed, days 1..N of generated click data go through the template's own Transform and
Trainer (its `preprocessing.py` and `model.py`, the pipeline's default steps and learning
rates): day 1 from scratch, each later day warm-started from the day before, as in production.
Every day's model is scored on one large fresh day it never saw, beside a logistic regression on
`user_ctr_30d` and a gradient-boosted model on all features (scikit-learn, a benchmark-only
dependency: requirements-bench.txt), both trained on all days so far, and the AUC of the
generator's true click probabilities: the Bayes limit, the best AUC any model can reach.

    .venv/bin/uv pip install --python .venv/bin/python --no-deps -r requirements-bench.txt
    .venv/bin/python benchmarks/model_quality.py [--seeds 3] [--days 3] [--rows 20000]
        [--test_rows 100000] [--update-readme]
"""

from __future__ import annotations

import inspect
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.measure import REPO, benchmark_main, markdown_table

TEMPLATE = REPO / "templates" / "ctr"
SCHEMA = REPO / "schemas" / "ctr.pbtxt"


def _template_defaults() -> dict[str, Any]:
    sys.path.insert(0, str(TEMPLATE))
    from pipeline import create_pipeline

    parameters = inspect.signature(create_pipeline).parameters
    return {name: parameter.default for name, parameter in parameters.items()}


def _train_day(root: str, data: str, span: int, defaults: dict[str, Any], seed: int) -> str:
    """The template's Transform and Trainer on one day, warm-started from the latest model."""
    from components import CsvExampleGen, ImportSchemaGen, Trainer, Transform
    from pipelines import LocalRunner, Pipeline, latest_model

    schema = ImportSchemaGen(schema_file=str(SCHEMA))
    examples = CsvExampleGen(input_base=data, pattern="day-{SPAN}/*.csv", span=span,
                             schema=schema.outputs["schema"])
    transform = Transform(examples=examples.outputs["examples"], schema=schema.outputs["schema"],
                          module_file=str(TEMPLATE / "preprocessing.py"))
    base = latest_model(pinned_to=examples.outputs["examples"])
    trainer = Trainer(examples=transform.outputs["transformed_examples"], schema=schema.outputs["schema"],
                      transform_graph=transform.outputs["transform_graph"],
                      module_file=str(TEMPLATE / "model.py"), base_model=base.outputs["model"],
                      train_steps=defaults["train_steps"], eval_steps=defaults["eval_steps"],
                      hyperparameters={"learning_rate": defaults["learning_rate"],
                                       "warm_learning_rate": defaults["warm_learning_rate"], "seed": seed},
                      random_seed=seed)
    result = LocalRunner().run(Pipeline("model_quality", root, [schema, examples, transform, base, trainer]))
    result.raise_for_status()
    return os.path.join(result.output("Trainer", "model").uri, "Format-Serving")


def _serialized(frame: Any) -> list[bytes]:
    import tensorflow as tf

    def feature(value: Any) -> Any:
        if isinstance(value, str):
            return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value.encode()]))
        if isinstance(value, float | np.floating):
            return tf.train.Feature(float_list=tf.train.FloatList(value=[float(value)]))
        return tf.train.Feature(int64_list=tf.train.Int64List(value=[int(value)]))

    columns = [column for column in frame.columns if column != "clicked"]
    return [tf.train.Example(features=tf.train.Features(feature={
        column: feature(value) for column, value in zip(columns, row, strict=True)})).SerializeToString()
        for row in frame[columns].itertuples(index=False)]


def _score(saved_model: str, serialized: list[bytes]) -> np.ndarray:
    import tensorflow as tf

    signature = tf.saved_model.load(saved_model).signatures["serving_default"]
    parts = [np.asarray(signature(examples=tf.constant(serialized[i:i + 8192]))["outputs"]).ravel()
             for i in range(0, len(serialized), 8192)]
    return np.concatenate(parts)


def _tabular(frame: Any) -> Any:
    table = frame.drop(columns=["clicked"]).copy()
    for column in ("country", "platform", "ad_category"):
        table[column] = table[column].astype("category")
    table["advertiser_id"] = table["advertiser_id"].str[4:].astype(int)
    return table


def _baselines(seen: Any, test: Any) -> tuple[np.ndarray, np.ndarray]:
    """Predictions on `test` of a logistic regression on user_ctr_30d and of gradient boosting."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    logistic = LogisticRegression().fit(seen[["user_ctr_30d"]], seen["clicked"])
    boosted = HistGradientBoostingClassifier(categorical_features="from_dtype", learning_rate=0.05,
                                             max_iter=300, early_stopping=True, random_state=0)
    boosted.fit(_tabular(seen), seen["clicked"])
    return (logistic.predict_proba(test[["user_ctr_30d"]])[:, 1],
            boosted.predict_proba(_tabular(test))[:, 1])


def _one_seed(seed: int, days: int, rows: int, test_rows: int, defaults: dict[str, Any]) -> list[dict]:
    import pandas as pd
    from data_generator import CtrDataConfig, generate_day, true_click_probability, write_days
    from sklearn.metrics import log_loss, roc_auc_score

    config = CtrDataConfig(rows_per_day=rows, seed=seed)
    fresh_config = CtrDataConfig(rows_per_day=test_rows, seed=seed + 1000)
    test = generate_day(1, fresh_config)
    bayes = roc_auc_score(test["clicked"], true_click_probability(1, fresh_config))
    serialized = _serialized(test)
    found = []
    with tempfile.TemporaryDirectory() as work:
        write_days(f"{work}/data", range(1, days + 1), config)
        for day in range(1, days + 1):
            model = _score(_train_day(f"{work}/root", f"{work}/data", day, defaults, seed), serialized)
            seen = pd.concat([generate_day(d, config) for d in range(1, day + 1)])
            logistic, boosted = _baselines(seen, test)
            found.append({"day": day, "auc": roc_auc_score(test["clicked"], model),
                          "log_loss": log_loss(test["clicked"], model),
                          "logistic": roc_auc_score(test["clicked"], logistic),
                          "boosted": roc_auc_score(test["clicked"], boosted), "bayes": bayes})
    return found


def _mean_sd(values: list[float]) -> str:
    return f"{np.mean(values):.4f} ± {np.std(values):.4f}"


def measure(seeds: int, days: int, rows: int, test_rows: int) -> str:
    """Trains and scores every seed's days; returns the Markdown table."""
    started = time.perf_counter()
    defaults = _template_defaults()
    runs = [_one_seed(42 + index, days, rows, test_rows, defaults) for index in range(seeds)]
    table = []
    for day in range(days):
        per_seed = [run[day] for run in runs]
        gains = [run[day]["auc"] - run[day - 1]["auc"] for run in runs] if day else []
        table.append([
            f"{day + 1}" + (" (warm-started)" if day else " (from scratch)"),
            _mean_sd([r["auc"] for r in per_seed]), _mean_sd([r["log_loss"] for r in per_seed]),
            "-" if not gains else " / ".join(f"{gain:+.4f}" for gain in gains),
            _mean_sd([r["logistic"] for r in per_seed]), _mean_sd([r["boosted"] for r in per_seed]),
            _mean_sd([r["bayes"] for r in per_seed]),
            f"{np.mean([r['bayes'] - r['auc'] for r in per_seed]):.4f}"])
    return (f"{seeds} seeds (data seeds 42..{41 + seeds}), {rows:,} rows a day (2/3 for training), the "
            f"template's defaults ({defaults['train_steps']} steps of 128, learning rate "
            f"{defaults['learning_rate']}, warm-started days {defaults['warm_learning_rate']}); every model "
            f"scored on the same fresh {test_rows:,}-row day; mean ± sd over seeds; "
            f"{time.perf_counter() - started:.0f} s in all:\n\n"
            + markdown_table(["day", "template AUC", "template log loss", "AUC vs day before (each seed)",
                              "logistic regression on user_ctr_30d", "gradient boosting, all features",
                              "Bayes limit (true probabilities)", "template's gap to the limit"], table))


if __name__ == "__main__":
    sys.path.insert(0, str(TEMPLATE))
    import pipelines  # noqa: F401  (sets up tf_keras before TensorFlow is imported)

    try:  # imported once, up front: the baselines' library is a benchmark-only dependency
        import sklearn.ensemble
        import sklearn.linear_model
        import sklearn.metrics  # noqa: F401
    except ImportError:
        sys.exit("benchmarks/model_quality.py needs scikit-learn: .venv/bin/uv pip install "
                 "--python .venv/bin/python --no-deps -r requirements-bench.txt")

    benchmark_main(__doc__, "model_quality", measure, {"seeds": 3, "days": 3, "rows": 20_000,
                                                        "test_rows": 100_000})
