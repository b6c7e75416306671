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
# Student a (teacher b): gains -0.02 -0.04 | +0.01 -0.03 -> per split -0.03, -0.01.
TO_A = np.array([0.90, 0.88, 0.90, 0.86, 0.90, 0.91, 0.90, 0.87])
T_975_1 = 12.706204736174698
GAPS = {("a", "b"): [(0.2, 0.1, 0.3), (0.1, 0.05, 0.15)],  # distil, distil
        ("b", "a"): [(-0.2, -0.3, -0.1), (-0.1, -0.3, 0.1)]}  # do not distil, uncertain


def _findings(t, s, k):
  found = analysis(*GAPS[(t, s)][k])
  names = pipeline.criteria_of(["ksg"], ["label_knn"])
  values = {name: 0.1 * (i + 1) for i, name in enumerate(names)}
  values.update({"gap:ksg-label_knn": found.terms.gap.value, "ci": [0.0, 1.0],
                 "exact_rule_detail": {}})
  return results.PairFindings(found, pipeline.verdict(found.terms), values)


def _results():
  config = criteria_config.tiny(criteria_config.benchmark_config())
  config.analysis.estimators = "ksg"
  config.analysis.label_estimators = "label_knn"
  analyses = [{pair: _findings(*pair, k) for pair in GAPS} for k in range(2)]
  runs = {"b": results.StudentRuns(MEMBERS, TO_B, TO_B, ["a"]),
          "a": results.StudentRuns(MEMBERS, TO_A, TO_A, ["b"])}
  return results.collect({"experiment": "criteria_benchmark", "source": "fake",
                          "n_classes": 10, "n": {"train": 60}}, config.analysis,
                         blocks.kd_block(seeds=2), ["a", "b"], analyses, runs, [])


def test_pairs_carry_gains_over_splits_and_verdicts_per_split():
  ab, ba = _results()["pairs"]
  assert (ab["teacher"], ab["student"], ba["teacher"], ba["student"]) == ("a", "b", "b", "a")
  assert ab["per_split"] == pytest.approx([0.03, 0.02])
  assert ab["gain"]["mean"] == pytest.approx(0.025)
  assert ab["gain"]["ci_high"] == pytest.approx(0.025 + T_975_1 * 0.005)
  assert ab["sign_stable"] is True
  assert ab["verdicts"] == ["distil", "distil"] and ab["held"] == [True, True]
  assert ab["best"]["lam"] == 0.5 and ab["best"]["test_gain"] == pytest.approx(0.025)
  assert ba["verdicts"] == ["do not distil", "uncertain"]
  assert ba["held"] == [True, None] and ba["held_on_split"] == [True, None]
  assert ba["best"]["lam"] == 0.0 and ba["best"]["test_gain"] == 0.0
  assert ab["criteria"]["gap:ksg-label_knn"] == pytest.approx(0.15)


def test_track_record_counts_split_and_pair_verdicts():
  out = _results()
  assert out["verdicts"]["calibrated"] == {
      "verdicts": 4, "decisive": 3, "held": 3, "held_rate": 1.0, "held_vs_pair_mean": 3,
      "pairs": 2, "pairs_decisive": 1, "pairs_held": 1, "pairs_decisive_significant": 0,
      "pairs_held_significant": 0}
  assert out["prediction"]["criterion"] == "CCH gap (ksg − label_knn)"
  assert out["primary_gap"] == "gap:ksg-label_knn" and out["splits"] == 2


def test_report_rows_and_one_line():
  out = _results()
  assert all(r["spearman"] is None for r in out["ranking"])  # 2 pairs: no Spearman
  assert report.one_line(out, "R") == (
      "criteria_benchmark: 2 pairs × 2 splits × 2 seeds; best-ranked criterion "
      "gap:ksg-label_knn (Spearman –); decisive CCH verdicts held 3/3 (100%) per split, "
      "1/1 (100%) per pair; report: R")
  text = report.markdown(out)
  assert ("| a → b | +0.025 ± 0.005 | +0.030 +0.020 | yes | λ=0.5, T=3: +0.025 | +0.150 | "
          "2/0/0 | 0.500 |") in text
  assert "| b → a | -0.020 ± 0.010 | -0.030 -0.010 | yes | λ=0, T=1: +0.000 |" in text
  assert ("| ... and also once corrected by the ground-truth bias | 3/4 | 3/3 (100%) | "
          "3/3 (100%) | 1/2 | 1/1 (100%) | – |") in text
