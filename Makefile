# Starling: every set-up step a fresh machine needs. `make demo` and `make test` are the two entry points.
VENV      := .venv
PY        := $(VENV)/bin/python
UV        := $(VENV)/bin/uv
PYTHON311 ?= $(shell command -v python3.11 || command -v python3)
STAMP     := $(VENV)/.installed-from-lock

.PHONY: install demo test test-unit test-e2e lint bench screenshots lock clean flink-up flink-down objectstore-up objectstore-down

install: $(STAMP)

$(STAMP): requirements.lock requirements-tfx.txt setup.cfg pyproject.toml
	@bash scripts/check_python.sh "$(PYTHON311)"
	@test -x $(PY) || $(PYTHON311) -m venv $(VENV)
	@test -x $(UV) || $(PY) -m pip install --quiet "$$(grep -E '^uv==' requirements.lock)"
	$(UV) pip sync --quiet --compile-bytecode --python $(PY) requirements.lock  # .pyc: every process imports faster
	$(UV) pip install --quiet --python $(PY) --no-deps -r requirements-tfx.txt
	$(UV) pip install --quiet --python $(PY) --no-deps -e .
	@touch $(STAMP)

demo: install
	bash scripts/demo.sh

test: install
	bash scripts/run_tests.sh

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: install
	$(PY) benchmarks/orchestration.py --update-readme
	$(PY) benchmarks/data_ingestion.py --update-readme
	$(PY) benchmarks/transform_trainer.py --update-readme
	$(PY) benchmarks/ctr_pipeline.py --update-readme
	$(PY) benchmarks/node_floor.py --update-readme
	$(PY) benchmarks/beam_imports.py --update-readme
	bash benchmarks/peer_tfx.sh  # TFX 1.16 in benchmarks/.peer/tfx-venv, the taxi benchmark's peer
	$(PY) benchmarks/taxi_peer.py --update-readme
	$(UV) pip install --quiet --python $(PY) --no-deps -r requirements-bench.txt  # the baselines' scikit-learn
	$(PY) benchmarks/model_quality.py --update-readme
	$(PY) benchmarks/training_loop.py --update-readme
	$(PY) benchmarks/serving.py --update-readme
	$(PY) benchmarks/ui.py --update-readme

flink-up: install
	bash scripts/flink/up.sh

flink-down:
	bash scripts/flink/down.sh

objectstore-up: install
	bash scripts/objectstore/up.sh

objectstore-down:
	bash scripts/objectstore/down.sh

screenshots: install
	$(PY) -m tests.ui.screenshots docs/ui

lock:
	uv pip compile requirements.in -o requirements.lock --python-version 3.11 --python-platform x86_64-manylinux_2_28

clean:
	rm -rf $(VENV) runs
