"""The CCH studies end to end in tiny mode, as a user runs them, and their input checks
(which must fail before any training starts)."""

import importlib.util
import json
import os
import subprocess
import sys

import ml_collections
import numpy as np
import pytest

from cch_jax.experiments.study import config as study_config
from cch_jax.experiments.study import run as study
from tests.experiments.conftest import ROOT

PAIR_KEYS = ("i_teacher_student", "i_student_label", "gap", "verdict", "student_baseline",
             "student_kd", "kd_gain", "outcome", "pilot", "p_sign_sampling")


def _report(workdir):
  return json.loads((workdir / "report.json").read_text())


# Closed-form and kNN estimators: no latent-MI training (test_cch_blur runs the default).
# The shipped diabetes data: a regression target (test_cch_blur covers classification).
PAIR = ("--config=configs/cch_pair.py:tiny", "--config.analysis.estimators=ksg,gaussian",
        "--config.data.name=diabetes")


def test_cch_pair_on_a_regression_target_reports_mae_gains_and_one_line(tmp_path, launch):
  run = launch(*PAIR, workdir=tmp_path)
  assert run.returncode == 0, run.stderr[-3000:]
  last = run.stdout.strip().splitlines()[-1]
  assert last.startswith("cch_pair: teacher 'body' -> student 'serum': ")
  assert f"report: {tmp_path}/report.md" in last
  report = _report(tmp_path)
  for key in PAIR_KEYS + ("r_squared",):
    assert key in report, key
  assert (report["task"], report["metric"]) == ("regression", "mae")
  assert report["score_scale"] > 50  # MAE in y's units (the target's sd is about 77)
  assert report["student_baseline"]["mean"] < 0  # scores are −MAE
  for term in ("i_teacher_student", "i_student_label", "gap"):
    t = report[term]
    assert t["ci_low"] <= t["value"] <= t["ci_high"]
    assert set(t["per_estimator"]) == ({"ksg"} if term == "i_student_label"
                                       else {"ksg", "gaussian"})
  assert report["verdict"] in ("distil", "do not distil", "uncertain")
  assert len(report["kd_gain"]["per_split"]) == 2 == report["splits"]  # 2 splits × 2 seeds
  assert len(report["gap"]["per_split"]) == 2
  assert report["kd_gain"]["mean"] == pytest.approx(
      report["student_kd"]["mean"] - report["student_baseline"]["mean"], abs=1e-9)
  assert report["pilot"]["label"] in ("distil", "do not distil", "uncertain")
  assert report["pilot_step"] == {"step": 20, "steps": 40, "compute_share": 0.5}
  assert report["monitor"]["steps"] == [20, 40]
  for name in ("report.md", "terms.png", "gain_vs_gap.png", "monitor.png"):
    assert (tmp_path / name).stat().st_size > 0, name
  text = (tmp_path / "report.md").read_text()
  assert "## Teachers, ranked by gap" in text and "test MAE reduction, baseline − KD" in text
  assert "Test R²: baseline" in text
  assert {"lam", "temperature", "val_gain", "test_gain"} <= set(report["recommended"])
  # Everything restored; the analysis again, with verdicts of untrained encoders beside.
  again = launch(*PAIR, "--config.analysis.a_priori_steps=0", workdir=tmp_path)
  assert again.returncode == 0, again.stderr[-3000:]
  assert "resumed" in again.stderr
  rerun = _report(tmp_path)
  for key in ("gap", "kd_gain", "outcome", "pilot", "monitor"):
    assert rerun[key] == report[key], key
  assert [p["steps"] for p in rerun["a_priori"]] == [0]
  assert "A-priori verdicts" in (tmp_path / "report.md").read_text()


def test_cch_blur_ranks_teachers_and_checks_the_predictions(tmp_path, launch):
  run = launch("--config=configs/cch_blur.py:tiny", workdir=tmp_path)
  assert run.returncode == 0, run.stderr[-3000:]
  report = _report(tmp_path)
  assert report["teacher_views"] == ["clean", "blur:sigma=3"]
  assert sorted(t["rank"] for t in report["teachers"]) == [1, 2]
  gaps = {t["teacher_view"]: t["gap"]["value"] for t in report["teachers"]}
  assert report["ranking"] == sorted(gaps, key=lambda v: -gaps[v])
  agreement = report["agreement"]
  assert agreement["n"] == 2 and 0 <= agreement["sign_match_rate"] <= 1
  assert "pilot" in run.stdout.strip().splitlines()[-1]
  assert {r["name"] for r in report["gain_ranking"]} == {"clean", "blur:sigma=3"}
  # One population: 2 splits × 2 seeds × (1 baseline + 2 teachers).
  assert len(report["members"]["seed"]) == 12
  assert "Did the CCH predict the gains?" in (tmp_path / "report.md").read_text()


def _config(name, arg="tiny"):
  spec = importlib.util.spec_from_file_location(name, f"configs/{name}.py")
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module.get_config(arg)


def test_study_configs_differ_only_where_they_say():
  assert _config("fusion_kd").data.student == "blur:sigma=1.5&noise:std=0.5"
  sweep = _config("temperature_sweep")
  # λ ∈ {0.5, 1} × T ∈ {1, 3 (the reference), 4} per teacher, plus a baseline, per seed.
  assert len(study.students.student_members(sweep.kd, 2)) == 2 * (1 + 2 * 2 * 3)
  assert _config("teacher_selection").data.teacher == "clean,blur:sigma=3"
  assert len(_config("teacher_selection", None).data.teacher.split(",")) == 6
  assert "teacher" not in _config("cch_blur").data


def test_configs_load_without_jax():
  """Every file in configs/ builds its config (every argument) importing no jax, flax or
  matplotlib: a config is cheap to read, print and override."""
  code = ("import glob, importlib.util, sys\n"
          "for path in sorted(glob.glob('configs/*.py')):\n"
          "  spec = importlib.util.spec_from_file_location('c', path)\n"
          "  m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
          "  for arg in (None, 'tiny'): m.get_config(arg)\n"
          "print(sorted(k for k in ('jax', 'flax', 'matplotlib', 'optax') if k in sys.modules))")
  out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       cwd=ROOT, check=True)
  assert out.stdout.strip() == "[]", out.stderr


def _npz(path, n=300, classes=3):
  rng = np.random.default_rng(0)
  np.savez(path, a=rng.normal(size=(n, 4)), b=rng.normal(size=(n, 3)),
           y=np.arange(n) % classes)
  return str(path)


# More bad input, through launch.py: tests/test_launch_errors.py.
@pytest.mark.parametrize("overrides, error, match", [
    ({"teacher": "a", "student": "a&b"}, ValueError, r"\['a'\] is part of the fused student"),
    ({"teacher": "a", "student": "b", "max_examples": 120}, ValueError,
     "analysis.split: the 'validation' rows number 25, but .* need at least 192"),
])
def test_bad_input_fails_before_any_training(tmp_path, overrides, error, match):
  config = study_config.tiny(study_config.study_config("cch_pair"))
  config.analysis.estimators = "latent,copula"  # latent's batches need the most rows
  config.data.update({"name": "npz", "path": _npz(tmp_path / "views.npz"), **overrides})
  workdir = tmp_path / "run"
  with pytest.raises(error, match=match):
    study.run(config, str(workdir))
  assert not workdir.exists()


def test_bad_data_shards_and_blur_grids_fail_before_training(tmp_path):
  config = study_config.tiny(study_config.study_config("cch_pair"))
  config.student.train.data_shards = 3  # the mesh cannot hold it: 8 devices per process
  with pytest.raises(ValueError, match="student: config.data_shards: expected a divisor of "
                                       "the 8 devices per process, got 3"):
    study.run(config, str(tmp_path / "run"))
  assert not os.path.exists(tmp_path / "run")
  blur = ml_collections.ConfigDict({"sigmas": (), "noise_stds": ()})
  with pytest.raises(ValueError, match="blur.sigmas, blur.noise_stds"):
    study.blur_teachers(blur)
  blur.sigmas = (0.0, 2.0)
  assert study.blur_teachers(blur) == ["clean", "blur:sigma=2"]
