"""Verdict rules, paired gains, recommendations and agreement statistics."""

import numpy as np
import pytest

from cch_jax import kd, pipeline


def _terms(gaps, primary="a"):
  per = {name: {"value": v, "ci_low": lo, "ci_high": hi, "ci": ""}
         for name, (v, lo, hi) in gaps.items()}
  head = per[primary]
  term = pipeline.Term(head["value"], head["ci_low"], head["ci_high"], per)
  return pipeline.CCHTerms(term, term, term, 2.3, 100, primary)


@pytest.mark.parametrize("gaps, label, disagree", [
    ({"a": (0.3, 0.1, 0.5), "b": (0.2, -0.1, 0.5)}, pipeline.DISTIL, False),
    ({"a": (-0.3, -0.5, -0.1)}, pipeline.DO_NOT_DISTIL, False),
    ({"a": (0.1, -0.1, 0.3), "b": (0.5, 0.4, 0.6)}, pipeline.UNCERTAIN, False),
    # The primary is decisive but another estimator's gap has the opposite sign.
    ({"a": (0.3, 0.1, 0.5), "b": (-0.2, -0.4, 0.0)}, pipeline.UNCERTAIN, True),
])
def test_verdict_rule(gaps, label, disagree):
  v = pipeline.verdict(_terms(gaps))
  assert v.label == label and v.disagreement == disagree
  assert ("disagree" in v.reason) == disagree
  assert v.per_estimator["a"] == pipeline.ci_label(*gaps["a"][1:])


def test_paired_gains_pair_each_kd_student_with_its_own_baseline():
  members = kd.paired_grid(lams=(0.5, 1.0), temperatures=(2.0,), seeds=(0, 1, 2))
  # rows per seed: baseline, λ=0.5, λ=1.0
  acc = np.array([0.80, 0.85, 0.70, 0.60, 0.70, 0.65, 0.90, 0.90, 0.80])
  rows = {r["lam"]: r for r in pipeline.paired_gains(members, acc)}
  np.testing.assert_allclose(rows[0.5]["gain"]["per_seed"], [0.05, 0.10, 0.0], atol=1e-12)
  np.testing.assert_allclose(rows[1.0]["gain"]["per_seed"], [-0.10, 0.05, -0.10], atol=1e-12)
  assert rows[0.5]["baseline"]["mean"] == pytest.approx(np.mean([0.80, 0.60, 0.90]))
  assert rows[1.0]["kd"]["std"] == pytest.approx(np.std([0.70, 0.65, 0.80], ddof=1))
  # 95% Student-t CI with 2 dof: t = 4.303.
  gain = rows[0.5]["gain"]
  assert gain["ci_high"] - gain["mean"] == pytest.approx(4.3027 * gain["se"], rel=1e-4)


def test_paired_gains_over_splits_pair_by_split_and_seed_and_report_stability():
  members = kd.paired_grid(lams=(0.5,), temperatures=(2.0,), seeds=(0, 1), splits=3)
  # per (split, seed): baseline, KD. Split 2's gains are negative.
  acc = np.array([0.5, 0.6, 0.4, 0.6,  0.7, 0.72, 0.6, 0.64,  0.8, 0.78, 0.7, 0.69])
  row, = pipeline.paired_gains(members, acc)
  np.testing.assert_allclose(row["per_split"], [0.15, 0.03, -0.015], atol=1e-12)
  assert row["splits"] == 3 and row["seeds"] == [0, 1]
  assert row["sign_stable"] is False
  # The gain's summary is over the split means (split-to-split spread in its SE).
  assert row["gain"]["mean"] == pytest.approx(np.mean([0.15, 0.03, -0.015]))
  assert row["gain"]["se"] == pytest.approx(np.std([0.15, 0.03, -0.015], ddof=1) / np.sqrt(3))
  np.testing.assert_allclose(row["gain"]["per_split"], row["per_split"])
  assert row["baseline"]["per_split"] == pytest.approx([0.45, 0.65, 0.75])
  stable, = pipeline.paired_gains(members, acc + 0.1 * ~members.baseline)
  assert stable["sign_stable"] is True


def test_paired_gains_over_several_teachers_and_the_recommendation():
  members = kd.paired_grid(lams=(0.5,), temperatures=(1.0, 4.0), seeds=(0, 1), teachers=2)
  # per seed: baseline, t0 T=1, t0 T=4, t1 T=1, t1 T=4
  acc = np.array([0.5, 0.6, 0.7, 0.4, 0.45, 0.5, 0.62, 0.72, 0.42, 0.44])
  rows = pipeline.paired_gains(members, acc)
  assert [(r["teacher"], r["temperature"]) for r in rows] == [(0, 1), (0, 4), (1, 1), (1, 4)]
  rec = pipeline.recommend(rows)
  assert rec[0] == {"lam": 0.5, "temperature": 4.0, "val_gain": pytest.approx(0.21),
                    "best_val_gain": pytest.approx(0.21)}
  assert rec[1]["lam"] == 0.0  # no setting beats the baseline: do not distil
  assert rec[1]["val_gain"] == 0.0 and rec[1]["best_val_gain"] == pytest.approx(-0.055)
  assert pipeline.find(rows, 1, 0.5, 4.0)["gain"]["mean"] == pytest.approx(-0.055)


def test_prediction_held_and_agreement():
  assert pipeline.prediction_held(pipeline.DISTIL, 0.02) is True
  assert pipeline.prediction_held(pipeline.DO_NOT_DISTIL, 0.02) is False
  assert pipeline.prediction_held(pipeline.UNCERTAIN, 0.02) is None
  gain = lambda m, half: {"mean": m, "ci_low": m - half, "ci_high": m + half}
  gains = [gain(0.05, 0.01), gain(0.02, 0.03), gain(-0.03, 0.01), gain(0.03, 0.005)]
  labels = [pipeline.DISTIL, pipeline.UNCERTAIN, pipeline.DO_NOT_DISTIL,
            pipeline.DO_NOT_DISTIL]
  a = pipeline.agreement([0.4, 0.1, -0.5, -0.2], gains, labels)
  assert a["sign_match_rate"] == 0.75 and a["n"] == 4
  assert a["decisive_held_rate"] == pytest.approx(2 / 3) and a["n_decisive"] == 3
  assert a["n_significant"] == 3 and a["significant_sign_match_rate"] == pytest.approx(2 / 3)
  assert a["spearman"] == pytest.approx(0.8)
  assert a["top_ranked"] == a["best"] == 0 and a["top_ranked_is_best"]
