"""The criteria benchmark's results and report builders on hand-made inputs with known
answers: views a and b, 2 splits × 2 seeds."""

import numpy as np
import pytest

from cch_jax import kd, pipeline
from cch_jax.experiments.criteria import config as criteria_config
from cch_jax.experiments.criteria import report, results
from cch_jax.utils import stats
from tests.experiments.fakes import analysis

# kd.paired_grid([0.5], [3.0], range(2), 0.0, 1, 2): (split, seed) = (0,0) (0,1) (1,0) (1,1),
# each a baseline then a KD student.
MEMBERS = kd.paired_grid([0.5], [3.0], range(2), 0.0, 1, 2)
# Student b (teacher a): gains +0.04 +0.02 | +0.03 +0.01 -> per split +0.03, +0.02.
TO_B = np.array([0.80, 0.84, 0.80, 0.82, 0.70, 0.73, 0.70, 0.71])
# Student a (teacher b): gains -0.02 -0.04 | -0.03 -0.03 -> per split -0.03, -0.03.
TO_A = np.array([0.90, 0.88, 0.90, 0.86, 0.90, 0.87, 0.90, 0.87])
# The pilot runs: +0.01 for every KD student of b, -0.01 for every one of a.
PILOT_B = np.array([0.50, 0.51] * 4)
PILOT_A = np.array([0.50, 0.49] * 4)
ROWS = (60, 20, 20)
GAPS = {("a", "b"): [(0.2, 0.1, 0.3), (0.2, 0.15, 0.25)],  # distil, distil: pooled distil
        ("b", "a"): [(-0.2, -0.3, -0.1), (-0.1, -0.3, 0.1)]}  # pooled: uncertain


def _findings(t, s):
  found = analysis(*GAPS[(t, s)])
  names = pipeline.criteria_of(["ksg"], ["label_knn"])
  per_split = []
  for k in range(2):
    values = {name: 0.1 * (i + 1) for i, name in enumerate(names)}
    values.update({"gap:ksg": found.terms[k].gap.value, "ci": [0.0, 1.0],
                   "exact_rule_detail": {}})
    per_split.append(values)
  return results.PairFindings(found, found, per_split)


def _results(headline="auto"):
  config = criteria_config.tiny(criteria_config.benchmark_config())
  config.headline = headline
  config.analysis.estimators = "ksg"
  config.analysis.label_estimators = "label_knn"
  run = lambda score, pilot, teacher: results.StudentRuns(
      MEMBERS, score, score, [teacher], 20, 2.0, {"rows:1": results.PilotRun(pilot, 1.0)},
      ROWS)
  header = results.SourceHeader("fake", "fake", 10, "classification", "accuracy", 1.0,
                                {"train": 60, "validation": 20, "test": 20}, 40, ["a", "b"])
  source = results.SourceResults(header, {pair: _findings(*pair) for pair in GAPS},
                                 {"b": run(TO_B, PILOT_B, "a"), "a": run(TO_A, PILOT_A, "b")})
  return results.collect(config, [source], {"jax": "test"})


def test_pairs_carry_resampled_t_gains_and_every_verdict_with_its_outcome():
  ab, ba = _results()["pairs"]
  assert (ab["teacher"], ab["student"], ba["teacher"], ba["student"]) == ("a", "b", "b", "a")
  assert ab["per_split"] == pytest.approx([0.03, 0.02])
  expected = stats.resampled_t_interval([0.03, 0.02], 60, 20)
  assert (ab["gain"]["mean"], ab["gain"]["ci_high"]) == pytest.approx(
      (0.025, expected.ci_high))
  assert ab["verdict"]["label"] == "distil" and ab["verdict"]["outcome"] == "inconclusive"
  assert ba["verdict"]["label"] == "uncertain" and ba["verdict"]["outcome"] is None
  assert ba["gain"]["ci_high"] == pytest.approx(-0.03)  # no spread: significant
  # 2 pairs: too few others to fit a threshold, so the pilot's is 0
  assert ab["pilot"]["threshold"] == 0.0 and ab["pilot"]["label"] == "distil"
  assert ba["pilot"]["label"] == "do not distil" and ba["pilot"]["outcome"] == "held"
  assert ab["always_distil"] == {"label": "distil", "outcome": "inconclusive"}
  assert ba["always_distil"]["outcome"] == "contradicted"
  assert ba["never_distil"]["outcome"] == "held"
  assert ab["rule:teacher_score"]["label"] == "distil"  # 0.1·k > τ = 0
  # selection seed 0: +0.04, +0.03 per split, a CI covering 0 -> no KD recommended
  assert ab["recommended"]["lam"] == 0.0 and ab["recommended"]["test_gain"]["mean"] == 0
  assert ab["recommended"]["reference_test_gain"]["mean"] == pytest.approx(0.015)


def test_track_records_score_every_verdict_beside_the_constant_rules():
  out = _results()
  records = out["track_record"]
  assert list(records)[:5] == ["verdict", "uncalibrated", "pilot", "always_distil",
                               "never_distil"]
  v = records["verdict"]
  assert (v["pairs"], v["decisive"], v["held"], v["inconclusive"], v["significant"]) == (
      2, 1, 0, 1, 1)
  assert v["balanced_accuracy"] == 0.0  # it abstained on the one significant pair
  assert records["pilot"]["balanced_accuracy"] == 1.0
  assert records["pilot"]["held_rate_ci"] == pytest.approx(stats.clopper_pearson(1, 1))
  assert records["always_distil"]["balanced_accuracy"] == 0.0
  assert out["headline"] == "pilot"  # the first of the best (pilot, never_distil)
  assert _results("rule:teacher_minus_student")["headline"] == "rule:teacher_minus_student"
  rec = out["recommendation"]["accuracy"]
  assert (rec["pairs"], rec["recommended_mean"], rec["distil_recommended"]) == (2, 0.0, 0)
  assert rec["reference_mean"] == pytest.approx(-0.01)
  assert out["primary_gap"] == "gap:ksg" and out["splits"] == 2
  assert set(out["criteria_scores"]) >= {"logme", "h_score", "knn_probe", "teacher_score"}


def test_report_rows_and_one_line():
  out = _results()
  assert report.one_line(out, "R") == (
      "criteria_benchmark: 2 pairs from 1 source(s) × 2 splits × 2 seeds; headline pilot: "
      "balanced accuracy 1.00 [–] on 1 significant pairs; held 1 of 1 decided "
      "(1.00 [0.03, 1.00]); CCH gap: balanced accuracy 0.00 [–] on 1 significant "
      "pairs; held 0 of 0 decided (–); recommended λ, T: mean test gain +0.0000 vs -0.0100 "
      "at the reference; report: R")
  text = report.markdown(out)
  assert "| pilot | 2/2 | 1 | 0 | 1 | 1.00 | [0.03, 1.00] | 1.00 | [–] |" in text  # one pair
  assert ("| fake | b → a | -0.030 [-0.030, -0.030] | -0.150 | uncertain (–) | "
          "do not distil (held) | do not distil (held) | λ=0, T=1: +0.000 [+0.000, "
          "+0.000] |") in text


def test_sources_pool_their_pairs_and_keep_their_students_apart():
  config = criteria_config.tiny(criteria_config.benchmark_config())
  config.analysis.estimators = "ksg"
  config.analysis.label_estimators = "label_knn"
  run = lambda score, teacher: results.StudentRuns(
      MEMBERS, score, score, [teacher], 20, 2.0, {"rows:1": results.PilotRun(score, 1.0)},
      ROWS)
  sources = []
  for name in ("one", "two"):
    header = results.SourceHeader(name, "fake", 10, "classification", "accuracy", 1.0,
                                  {"train": 60, "validation": 20, "test": 20}, 40, ["a", "b"])
    sources.append(results.SourceResults(header, {p: _findings(*p) for p in GAPS},
                                         {"b": run(TO_B, "a"), "a": run(TO_A, "b")}))
  out = results.collect(config, sources, {})
  assert [(p["source"], p["teacher"]) for p in out["pairs"]] == [
      ("one", "a"), ("one", "b"), ("two", "a"), ("two", "b")]
  assert [s["name"] for s in out["sources"]] == ["one", "two"]
  assert out["track_record"]["never_distil"]["significant"] == 2
  # with 3 others per pair the pilot's threshold is fitted: between -0.01 and +0.01
  assert [p["pilot"]["threshold"] for p in out["pairs"]] == pytest.approx([0.0] * 4)
  assert out["criteria_scores"]["teacher_score"]["students"] == 0  # one teacher each


def test_source_config_applies_a_suite_entry():
  config = criteria_config.benchmark_config()
  synth = criteria_config.source_config(config, "synthetic_specific")
  assert (synth.data.name, synth.data.synthetic.d_private_a, synth.suite) == (
      "synthetic", 6, "")
  assert synth.data.synthetic.obs_std == config.data.synthetic.obs_std  # merged, not replaced
  assert criteria_config.source_config(config, "digits").views.count(",") == 5
  with pytest.raises(ValueError, match="suite: unknown source 'x'"):
    criteria_config.source_config(config, "x")
  assert criteria_config.embedded(config).suite.split(",") == list(criteria_config.SUITE)
