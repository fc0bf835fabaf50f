"""The quickstart pipeline runs, caches, and gates on its error threshold."""

import sys
from pathlib import Path

from pipelines import LocalRunner

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline import create_pipeline


def test_runs_then_hits_the_cache(tmp_path):
    first = LocalRunner().run(create_pipeline(root=str(tmp_path)))
    assert first.status == "COMPLETE"
    assert first.output("JudgeModel", "blessing").blessed == 1
    second = LocalRunner().run(create_pipeline(root=str(tmp_path)))
    assert {node.status for node in second.nodes.values()} == {"CACHED"}


def test_noisy_data_is_not_blessed(tmp_path):
    result = LocalRunner().run(create_pipeline(root=str(tmp_path), noise=1.0))
    assert result.output("JudgeModel", "blessing").blessed == 0
