"""The criteria benchmark's results and report builders on hand-made inputs with known
answers: views a and b, 2 splits × 2 seeds."""

import numpy as np
import pytest

from cch_jax import kd, pipeline
from cch_jax.experiments.common import config as blocks
from cch_jax.experiments.criteria import config as criteria_config
from cch_jax.experiments.criteria import report, results
from tests.experiments.fakes import analysis

# kd.paired_grid([0.5], [3.0], range(2), 0.0, 1, 2): (split, seed) = (0,0) (0,1) (1,0) (1,1),
# each a baseline then a KD student.
MEMBERS = kd.paired_grid([0.5], [3.0], range(2), 0.0, 1, 2)
# Student b (teacher a): gains +0.04 +0.02 | +0.03 +0.01 -> per split +0.03, +0.02.
TO_B = np.array([0.80, 0.84, 0.80, 0.82, 0.70, 0.73, 0.70, 0.71])
# Student a (teacher b): gains -0.02 -0.04 | -0.03 -0.03 -> per split -0.03, -0.03.
TO_A = np.array([0.90, 0.88, 0.90, 0.86, 0.90, 0.87, 0.90, 0.87])
# The pilot: +0.01 for every KD student of b, -0.01 for every one of a.
PILOT_B = np.array([0.50, 0.51] * 4)
PILOT_A = np.array([0.50, 0.49] * 4)
T_975_1 = 12.706204736174698
GAPS = {("a", "b"): [(0.2, 0.1, 0.3), (0.2, 0.15, 0.25)],  # distil, distil: pooled distil
        ("b", "a"): [(-0.2, -0.3, -0.1), (-0.1, -0.3, 0.1)]}  # pooled: uncertain


def _findings(t, s):
  found = analysis(*GAPS[(t, s)])
  names = pipeline.criteria_of(["ksg"], ["label_knn"])
  per_split = []
  for k in range(2):
    values = {name: 0.1 * (i + 1) for i, name in enumerate(names)}
    values.update({"gap:ksg-label_knn": found.terms[k].gap.value, "ci": [0.0, 1.0],
                   "exact_rule_detail": {}})
    per_split.append(values)
  return results.PairFindings(found, found, per_split)


def _results():
  config = criteria_config.tiny(criteria_config.benchmark_config())
  config.analysis.estimators = "ksg"
  config.analysis.label_estimators = "label_knn"
  runs = {"b": results.StudentRuns(MEMBERS, TO_B, TO_B, ["a"], PILOT_B, 20),
          "a": results.StudentRuns(MEMBERS, TO_A, TO_A, ["b"], PILOT_A, 20)}
  header = {"experiment": "criteria_benchmark", "source": "fake", "n_classes": 10,
            "n": {"train": 60}, "config": {"student": {"train": {"steps": 40}}}}
  return results.collect(header, config.analysis, blocks.kd_block(seeds=2), ["a", "b"],
                         {pair: _findings(*pair) for pair in GAPS}, runs)


def test_pairs_carry_gains_over_splits_and_pooled_verdicts_with_outcomes():
  ab, ba = _results()["pairs"]
  assert (ab["teacher"], ab["student"], ba["teacher"], ba["student"]) == ("a", "b", "b", "a")
  assert ab["per_split"] == pytest.approx([0.03, 0.02])
  assert ab["gain"]["mean"] == pytest.approx(0.025)
  assert ab["gain"]["ci_high"] == pytest.approx(0.025 + T_975_1 * 0.005)
  assert ab["sign_stable"] is True
  assert ab["verdicts_per_split"] == ["distil", "distil"]
  assert ab["verdict"]["label"] == "distil"
  assert ab["verdict"]["outcome"] == "inconclusive"  # the gain's CI covers 0
  assert ab["pilot"]["label"] == "distil" and ab["pilot"]["outcome"] == "inconclusive"
  assert ab["recommended"]["lam"] == 0.5
  assert ab["recommended"]["test_gain"]["mean"] == pytest.approx(0.025)
  assert ba["verdicts_per_split"] == ["do not distil", "uncertain"]
  assert ba["verdict"] == {"label": "uncertain", "reason": ba["verdict"]["reason"],
                           "outcome": None}
  assert ba["gain"]["ci_high"] == pytest.approx(-0.03)  # no spread: significant
  assert ba["pilot"]["label"] == "do not distil" and ba["pilot"]["outcome"] == "held"
  assert ba["recommended"]["lam"] == 0.0 and ba["recommended"]["test_gain"] is None
  assert ab["criteria"]["gap:ksg-label_knn"] == pytest.approx(0.2)


def test_track_records_count_outcomes_per_pair():
  out = _results()
  assert out["track_record"]["cch_gap"] == {
      "criterion": "CCH gap (ksg − label_knn)", "verdicts": 2, "decisive": 1, "held": 0,
      "contradicted": 0, "inconclusive": 1, "n_pairs": 2, "n_pairs_significant": 1,
      "decisive_significant": 0, "held_significant": 0, "held_rate": None}
  pilot = out["track_record"]["pilot"]
  assert (pilot["decisive"], pilot["held"], pilot["inconclusive"]) == (2, 1, 1)
  assert (pilot["decisive_significant"], pilot["held_significant"], pilot["held_rate"]) \
      == (1, 1, 1.0)
  assert {k: out["pilot"][k] for k in ("step", "steps", "compute_share", "variants")} == {
      "step": 20, "steps": 40, "compute_share": 0.5, "variants": {}}
  assert out["primary_gap"] == "gap:ksg-label_knn" and out["splits"] == 2


def test_report_rows_and_one_line():
  out = _results()
  assert all(r["spearman"] is None for r in out["ranking"])  # 2 pairs: no Spearman
  assert report.one_line(out, "R") == (
      "criteria_benchmark: 2 pairs × 2 splits × 2 seeds; best-ranked criterion "
      "gap:ksg-label_knn (Spearman – [–, –]); CCH verdict: held 0, contradicted 0, "
      "inconclusive 1 of 1 decisive (2 pairs); pilot (50% of the students' steps): held 1, "
      "contradicted 0, inconclusive 1 of 2 decisive (2 pairs); report: R")
  text = report.markdown(out)
  assert ("| a → b | +0.025 [-0.039, +0.089] | +0.030 +0.020 | +0.200 | "
          "distil (inconclusive) | distil (inconclusive) | λ=0.5, T=3: +0.025 [-0.039, "
          "+0.089] | 0.500 |") in text
  assert ("| b → a | -0.030 [-0.030, -0.030] | -0.030 -0.030 | -0.150 | uncertain (–) | "
          "do not distil (held) | λ=0, T=1: no KD |") in text
  assert "| pilot | 2/2 | 1 | 0 | 1 | 1.00 | 1/1 | 1 |" in text
