"""The criteria benchmark end to end in tiny mode (3 views, 6 ordered pairs, 2 splits ×
2 seeds), resumed, and its input checks."""

import json

import numpy as np
import pytest

from cch_jax.experiments.common import splits
from cch_jax.experiments.criteria import config as criteria_config
from cch_jax.experiments.criteria import run as criteria
from tests.experiments.conftest import launch_process

TINY = "--config=configs/criteria_benchmark.py:tiny"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
  """(workdir, CompletedProcess) of the tiny benchmark on one device."""
  workdir = tmp_path_factory.mktemp("tiny")
  run = launch_process(TINY, workdir=workdir)
  assert run.returncode == 0, run.stderr[-3000:]
  return workdir, run


def test_criteria_benchmark_scores_every_verdict_and_criterion_over_every_pair(tiny):
  tmp_path, run = tiny
  last = run.stdout.strip().splitlines()[-1]
  assert last.startswith("criteria_benchmark: 6 pairs from 1 source(s) × 2 splits × 2 seeds")
  report = json.loads((tmp_path / "report.json").read_text())
  pairs = report["pairs"]
  assert [(p["teacher"], p["student"]) for p in pairs][:2] == [
      ("clean", "mnistm"), ("clean", "blur:sigma=2")]
  names = {"gap:ksg", "gap:ksg-label_probe", "gap:gaussian", "gap:gaussian-label_probe",
           "relative_gap:ksg", "relative_gap:gaussian",
           "exact_rule", "teacher_minus_student", "teacher_score", "agreement", "cka",
           "logme", "logme_kd", "h_score", "knn_probe"}
  assert set(report["criteria_scores"]) == names
  verdicts = ["verdict", "uncalibrated", "verdict@0%", "pilot",
              "always_distil", "never_distil"]
  assert list(report["track_record"])[:len(verdicts)] == verdicts
  assert report["headline"] == "rule:teacher_minus_student"  # the config's default
  for p in pairs:
    assert len(p["per_split"]) == 2 and len(p["verdicts_per_split"]) == 2
    assert p["gain"]["mean"] == pytest.approx(np.mean(p["per_split"]))
    assert set(p["criteria"]) == names
    for kind in verdicts + [f"rule:{n}" for n in names]:
      gain, outcome = p["gain"], p[kind]["outcome"]
      side = 1 if gain["ci_low"] > 0 else -1 if gain["ci_high"] < 0 else 0
      if outcome == "held":  # never 'held' unless the CI lies on the predicted side
        assert side == (1 if p[kind]["label"] == "distil" else -1)
      assert (outcome is None) == (p[kind]["label"] == "uncertain")
    rec = p["recommended"]
    assert (rec["selection_seeds"], rec["report_seeds"]) == ([0], [1])
  for v in report["track_record"].values():
    assert v["pairs"] == 6
    assert v["held"] + v["contradicted"] + v["inconclusive"] == v["decisive"] <= 6
  assert report["track_record"]["verdict"]["text"] == "CCH gap (ksg − label_knn)"
  assert (report["pilot"]["step"], report["pilot"]["steps"]) == (20, 40)
  assert 0 < report["pilot"]["runs"]["rows:1"]["compute_share"]
  for name in ("report.md", "criteria.png", "pairs.png"):
    assert (tmp_path / name).stat().st_size > 0, name
  assert "## Verdicts beside constant rules" in (tmp_path / "report.md").read_text()


def test_four_devices_give_the_pairs_of_one(tmp_path, tiny, launch):
  """The same tiny benchmark with its populations laid over 4 fake CPU devices gives the
  same pairs: gains, best settings and the criteria that need no MI estimator (numbers
  to 2e-3). Member results differ only by float rounding (a device's vmap holds fewer
  members). This run estimates MI by the closed forms only and skips the calibration:
  the device count changes the training, not the estimators."""
  run = launch(TINY, "--config.analysis.estimators=gaussian",
               "--config.analysis.label_estimators=label_knn",
               "--config.analysis.calibrate=False", workdir=tmp_path, devices=4)
  assert run.returncode == 0, run.stderr[-3000:]
  assert "4 local / 4 global devices" in run.stderr
  criteria = ("exact_rule", "teacher_minus_student", "teacher_score", "agreement", "cka")
  reports = [_numbers([{"gain": p["gain"], "per_split": p["per_split"],
                        "recommended": p["recommended"], "pilot": p["pilot_gains"],
                        "baseline": p["baseline"], "sign_stable": p["sign_stable"],
                        **{c: p["criteria_per_split"][c] for c in criteria}}
                       for p in json.loads((w / "report.json").read_text())["pairs"]])
             for w in (tiny[0], tmp_path)]
  assert reports[0].keys() == reports[1].keys()
  for key, value in reports[0].items():
    if isinstance(value, float):
      assert reports[1][key] == pytest.approx(value, rel=1e-3, abs=2e-3, nan_ok=True), key
    else:
      assert reports[1][key] == value, key


def _numbers(tree, path="") -> dict:
  """{path: value} of every number and string in a report, timings and versions aside."""
  if isinstance(tree, dict):
    return {k: v for key, sub in tree.items() if key not in ("seconds", "versions")
            for k, v in _numbers(sub, f"{path}/{key}").items()}
  if isinstance(tree, list):
    return {k: v for i, sub in enumerate(tree) for k, v in _numbers(sub, f"{path}/{i}").items()}
  return {path: tree}


@pytest.mark.parametrize("setting, value, message", [
    ("views", "clean", "views: expected at least two distinct views"),
    ("splits", 0, "splits: expected an integer >= 1"),
    ("pilot.fraction", 0.3, "pilot.fraction: 0.3 of student.train.steps = 40 is step 12"),
    ("pilot.variants", "", "pilot.variants: expected at least one short run"),
    ("kd.seeds", 1, "kd.seeds: expected at least 2"),
    ("headline", "oracle", "headline: expected 'auto' or one of"),
    ("suite", "digits,imagenet", "suite: unknown source 'imagenet'"),
    ("analysis.label_estimators", "ksg", "label_estimator: expected a label estimator"),
    ("kd.reference_lam", 1.5, "kd.reference_lam, kd.lams: expected values in"),
])
def test_bad_settings_fail_before_training(tmp_path, setting, value, message):
  config = criteria_config.tiny(criteria_config.benchmark_config())
  config.update_from_flattened_dict({setting: value})
  with pytest.raises(ValueError, match=message):
    criteria.run(config, str(tmp_path))
  assert not (tmp_path / "encoders").exists()


def test_stack_puts_splits_first():
  config = criteria_config.benchmark_config()
  parts = splits.load_splits(config.data, 2, teacher="clean", student="mnistm")
  train = splits.stack(parts, "train", "mnistm")
  assert train["x"].shape[:2] == train["y"].shape == (2, parts[0].train.n)
  assert not np.array_equal(parts[0].train.indices, parts[1].train.indices)
  np.testing.assert_array_equal(np.bincount(train["y"][0]), np.bincount(train["y"][1]))
