"""The experiments' shared pieces: registry, config blocks, monitor records, formatting,
workdir guard."""

import json

import numpy as np
import pytest

from cch_jax import kd
from cch_jax.experiments import registry
from cch_jax.experiments.common import config as blocks
from cch_jax.experiments.common import formatting, monitor, workdir


def test_every_experiment_name_loads_its_run_function():
  runs = {name: registry.load_run(name) for name in registry.EXPERIMENTS}
  assert runs["cch_pair"] is runs["teacher_selection"]
  assert runs["cch_blur"].__name__ == "run_blur"
  assert {f.__module__ for f in runs.values()} == {
      "cch_jax.experiments.study.run", "cch_jax.experiments.criteria.run",
      "cch_jax.experiments.kd_pair.run", "cch_jax.experiments.gaussian_sweep.run"}
  with pytest.raises(KeyError, match="unknown experiment 'cch_par'; known: cch_blur, "):
    registry.load_run("cch_par")


def test_blocks_have_every_key_and_drop_views_on_request():
  assert blocks.train_block(1000)["eval_every"] == 100
  assert blocks.train_block(1000, evaluations=4)["checkpoint_every"] == 250
  assert "teacher" in blocks.data_block() and "teacher" not in blocks.data_block(views=False)
  assert blocks.kd_block().reference_lam == 0.5


def test_monitor_watches_seed_zero_and_reports_sign_changes():
  members = kd.paired_grid([0.5, 1.0], [3.0], range(2), 0.0, 2)
  # Seed 0: baseline 0, teacher 0 at λ 0.5 and 1, teacher 1 at λ 0.5 and 1.
  assert monitor.watched_members(members, 0.5, 3.0, 2) == {
      "kd:0": (1, 0), "baseline:0": (0, 0), "kd:1": (3, 1), "baseline:1": (0, 1)}
  records = {}
  assert monitor.add_record(records, 10, {"kd:0": 0.2}) == []
  assert monitor.add_record(records, 20, {"kd:0": -0.1}) == [
      "monitor: the gap of kd:0 changed sign at step 20 (+0.200 -> -0.100)"]
  summary = monitor.summarise(records, ["a"], "ksg − label_knn")
  assert summary["steps"] == [10, 20] and summary["kd"] == {"a": [0.2, -0.1]}
  assert summary["sign_flips"] == {"a": [20]}


def test_formatting():
  assert formatting.with_ci({"value": 0.1234, "ci_low": -0.05, "ci_high": 0.3}) == \
      "+0.123 [-0.050, +0.300]"
  assert formatting.gain(None) == "–"
  assert formatting.rate(3, 4) == "3/4 (75%)" and formatting.rate(0, 0) == "–"
  assert formatting.number_set([2.0, -0.0, 8]) == "{2, 0, 8}"
  assert formatting.markdown_table(("a", "b"), [(1, 0.5), ("x", float("nan"))]) == (
      "| a | b |\n|---|---|\n| 1 | 0.500 |\n| x | – |\n")


def test_guard_refuses_a_workdir_of_other_settings(tmp_path):
  workdir.guard_workdir(str(tmp_path), {"seed": 0, "data": {"name": "digits"}})
  workdir.guard_workdir(str(tmp_path), {"seed": np.int64(0), "data": {"name": "digits"}})
  with pytest.raises(ValueError, match=r"differ in \['seed'\]"):
    workdir.guard_workdir(str(tmp_path), {"seed": 1, "data": {"name": "digits"}})
  assert json.loads((tmp_path / "run.json").read_text())["seed"] == 0
  assert workdir.slug("blur:sigma=1.5&noise:std=0.5") == "blur_sigma_1.5-and-noise_std_0.5"


def test_experiment_packages_never_import_each_other():
  """Each experiment package imports common/ and the engines only; common/ imports no
  experiment (a scan of every import statement)."""
  import ast
  import pathlib
  root = pathlib.Path(registry.__file__).parent
  packages = {p.name for p in root.iterdir() if (p / "__init__.py").exists()}
  for package in packages:
    for path in (root / package).glob("*.py"):
      for node in ast.walk(ast.parse(path.read_text())):
        names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                 [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
        for name in names:
          parts = name.split(".")
          if parts[:2] == ["cch_jax", "experiments"] and len(parts) > 2:
            assert parts[2] in (package, "common"), f"{path.name} imports {name}"
