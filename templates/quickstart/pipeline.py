"""Quickstart: a four-node pipeline of plain-Python components (no TensorFlow needed).

It generates a small regression dataset, computes statistics, fits a least-squares model and
judges it against a threshold. Run it twice to see the cache, then ask where the model came from:

    starling run templates/quickstart/pipeline.py
    starling run templates/quickstart/pipeline.py        # every node CACHED
    starling lineage Model --root runs/quickstart
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

from pipelines import Input, Output, Parameter, Pipeline, component
from pipelines.artifacts import Examples, ExampleStatistics, Model, ModelBlessing


@component(name="GenerateExamples")
def generate_examples(examples: Output[Examples], rows: Parameter[int] = 500,
                      noise: Parameter[float] = 0.1, seed: Parameter[int] = 7):
    """Writes y = 3x + 1 + noise as CSV train/eval splits."""
    rng = random.Random(seed)
    for split, count in (("train", rows * 2 // 3), ("eval", rows - rows * 2 // 3)):
        directory = Path(examples.split_uri(split))
        directory.mkdir(parents=True)
        with open(directory / "data.csv", "w", newline="") as target:
            writer = csv.writer(target)
            writer.writerow(["x", "y"])
            for _ in range(count):
                x = rng.uniform(-1, 1)
                writer.writerow([x, 3 * x + 1 + rng.gauss(0, noise)])
    examples.split_names = ["train", "eval"]
    examples.span = 1


def read_rows(examples: Examples, split: str) -> list[tuple[float, float]]:
    """The (x, y) rows of one split."""
    with open(Path(examples.split_uri(split)) / "data.csv") as source:
        return [(float(r["x"]), float(r["y"])) for r in csv.DictReader(source)]


@component(name="SummarizeExamples")
def summarize_examples(examples: Input[Examples], statistics: Output[ExampleStatistics]):
    """Per-split count, mean and range of y."""
    summary = {}
    for split in examples.split_names:
        ys = [y for _, y in read_rows(examples, split)]
        summary[split] = {"count": len(ys), "mean_y": sum(ys) / len(ys), "min_y": min(ys),
                          "max_y": max(ys)}
    Path(statistics.path("summary.json")).write_text(json.dumps(summary, indent=2))


@component(name="FitLine")
def fit_line(examples: Input[Examples], model: Output[Model]):
    """Least-squares slope and intercept on the train split."""
    rows = read_rows(examples, "train")
    n = len(rows)
    mean_x = sum(x for x, _ in rows) / n
    mean_y = sum(y for _, y in rows) / n
    slope = sum((x - mean_x) * (y - mean_y) for x, y in rows) / sum((x - mean_x) ** 2 for x, _ in rows)
    Path(model.path("model.json")).write_text(
        json.dumps({"slope": slope, "intercept": mean_y - slope * mean_x}))


@component(name="JudgeModel")
def judge_model(examples: Input[Examples], model: Input[Model], blessing: Output[ModelBlessing],
                max_mse: Parameter[float] = 0.05):
    """Blesses the model when its eval mean squared error is at most `max_mse`."""
    params = json.loads(Path(model.path("model.json")).read_text())
    rows = read_rows(examples, "eval")
    mse = sum((params["slope"] * x + params["intercept"] - y) ** 2 for x, y in rows) / len(rows)
    blessing.blessed = int(mse <= max_mse)
    blessing.properties["eval_mse"] = mse
    Path(blessing.path("BLESSED" if mse <= max_mse else "NOT_BLESSED")).touch()


def create_pipeline(root: str = "runs/quickstart", rows: int = 500, noise: float = 0.1,
                    max_mse: float = 0.05) -> Pipeline:
    """The quickstart pipeline; every argument can be set with `starling run --param k=v`."""
    examples = generate_examples(rows=rows, noise=noise)
    statistics = summarize_examples(examples=examples.outputs["examples"])
    model = fit_line(examples=examples.outputs["examples"])
    judge = judge_model(examples=examples.outputs["examples"], model=model.outputs["model"],
                        max_mse=max_mse)
    return Pipeline("quickstart", root, [examples, statistics, model, judge])
