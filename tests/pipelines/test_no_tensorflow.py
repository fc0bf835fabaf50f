"""The core imports no TensorFlow, and a fully cached run never imports it (checked in fresh processes)."""

import json
import subprocess
import sys
import textwrap


def _python(code, cwd):
    completed = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd,
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


PIPELINE_FILE = '''
from pathlib import Path
from components import CsvExampleGen
from pipelines import Output, Pipeline, component
from pipelines.artifacts import Model

@component
def uses_tensorflow(model: Output[Model]):
    import tensorflow as tf
    Path(model.path("value.txt")).write_text(str(int(tf.constant(41) + 1)))

gen = CsvExampleGen(input_base="DATA", pattern="day-{SPAN}/*.csv")  # its driver runs every time
pipeline = Pipeline("tf_free", "ROOT", [gen, uses_tensorflow()])
'''

RUN_AND_REPORT = '''
import json, sys
from pipelines.dsl.loading import load_pipeline
from pipelines import LocalRunner
result = LocalRunner().run(load_pipeline("pipeline.py"))
print(json.dumps({"status": sorted({node.status for node in result.nodes.values()}),
                  "tensorflow_imported": "tensorflow" in sys.modules}))
'''


def test_importing_the_framework_imports_no_tensorflow(tmp_path):
    seen = _python('''
        import json, sys
        import pipelines, pipelines.cli.main, components
        heavy = [m for m in ("tensorflow", "apache_beam", "tensorflow_data_validation",
                             "tensorflow_transform", "tensorflow_model_analysis") if m in sys.modules]
        print(json.dumps(heavy))
    ''', tmp_path)
    assert seen == []


def test_fully_cached_run_never_imports_tensorflow(tmp_path):
    (tmp_path / "data" / "day-1").mkdir(parents=True)
    (tmp_path / "data" / "day-1" / "rows.csv").write_text("a,b\n1,2\n3,4\n")
    (tmp_path / "pipeline.py").write_text(PIPELINE_FILE.replace("ROOT", str(tmp_path / "root"))
                                          .replace("DATA", str(tmp_path / "data")))
    first = _python(RUN_AND_REPORT, tmp_path)
    assert first == {"status": ["COMPLETE"], "tensorflow_imported": True}
    second = _python(RUN_AND_REPORT, tmp_path)
    assert second == {"status": ["CACHED"], "tensorflow_imported": False}


PLAN_AND_REPORT = '''
import json, sys
from pipelines.dsl.loading import load_pipeline
from pipelines.metadata import MetadataStore, sqlite_config
from pipelines.runner.plan import plan_pipeline
pipeline = load_pipeline("pipeline.py")
store = MetadataStore(sqlite_config(pipeline.metadata_path()), root=pipeline.root)
print(json.dumps({"verdicts": sorted({line.verdict for line in plan_pipeline(pipeline, store)}),
                  "tensorflow_imported": "tensorflow" in sys.modules}))
'''


def test_planning_a_cached_pipeline_never_imports_tensorflow(tmp_path):
    (tmp_path / "data" / "day-1").mkdir(parents=True)
    (tmp_path / "data" / "day-1" / "rows.csv").write_text("a,b\n1,2\n3,4\n")
    (tmp_path / "pipeline.py").write_text(PIPELINE_FILE.replace("ROOT", str(tmp_path / "root"))
                                          .replace("DATA", str(tmp_path / "data")))
    _python(RUN_AND_REPORT, tmp_path)
    assert _python(PLAN_AND_REPORT, tmp_path) == {"verdicts": ["CACHED"], "tensorflow_imported": False}
