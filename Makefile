# Quick start: `make demo` runs the main job, `make test` runs the tests. Both create a
# local virtual environment (.venv) from the pinned requirements on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
WORKDIR ?= workdir/cch_blur

.PHONY: demo test bench peers clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

demo: $(VENV)/.installed
	$(PY) launch.py --config=configs/cch_blur.py:small --workdir=$(WORKDIR)

test: $(VENV)/.installed
	$(PY) -m pytest tests -n auto --maxprocesses=4 --dist loadfile

bench: $(VENV)/.installed
	$(PY) benchmarks/theory_sweep.py

# Peer MI estimators (benchmark-mi, latentmi) in their own venvs under benchmarks/.peer_venvs;
# then `$(PY) benchmarks/mi_peers.py` compares them with ours.
peers:
	PYTHON=$(PYTHON) bash benchmarks/peers/setup.sh

clean:
	rm -rf $(VENV) workdir .pytest_cache
