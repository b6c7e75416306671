"""Verdict rules, paired gains, recommendations and agreement statistics."""

import math

import numpy as np
import pytest

from cch_jax import kd, pipeline
from cch_jax.pipeline import calibration


def _terms(gaps, primary="a", ci=""):
  per = {name: {"value": v, "ci_low": lo, "ci_high": hi, "ci": ci}
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


def test_the_bias_correction_is_two_sided():
  """An under-estimating bias (gap bias −0.3 nats, se 0.02, 9 dof: t = 2.262) turns an
  'uncertain' raw CI [−0.05, 0.15] into 'distil' (corrected [0.205, 0.495]) and flips a
  'do not distil' CI [−0.5, −0.1] into 'distil' under a −0.8 bias; an over-estimating
  one can make 'distil' uncertain."""
  terms = _terms({"a": (0.05, -0.05, 0.15)})
  bias = {"a": {"bias": -0.3, "bias_se": 0.02, "dof": 9, "bias_known": True}}
  assert pipeline.verdict(terms).label == pipeline.UNCERTAIN
  v = pipeline.verdict(terms, bias)
  t = 2.2621571628
  assert v.label == pipeline.DISTIL and v.bias_known and v.gap == pytest.approx(0.35)
  assert (v.ci_low, v.ci_high) == pytest.approx((0.25 - t * 0.02, 0.45 + t * 0.02))
  assert "uncorrected: 'uncertain'" in v.reason
  flip = {"a": {"bias": -0.8, "bias_se": 0.02, "dof": 9, "bias_known": True}}
  below = _terms({"a": (-0.3, -0.5, -0.1)})
  assert pipeline.verdict(below).label == pipeline.DO_NOT_DISTIL
  assert pipeline.verdict(below, flip).label == pipeline.DISTIL
  over = {"a": {"bias": 0.3, "bias_se": 0.0, "dof": 9, "bias_known": True}}
  assert pipeline.verdict(_terms({"a": (0.3, 0.1, 0.5)}), over).label == pipeline.UNCERTAIN
  assert pipeline.ci_label(-0.05, 0.15, bias=-0.3, bias_se=0.02, dof=9) == pipeline.DISTIL


def test_p_sign_sampling_by_hand():
  """Gap 0.2, CI [0.0, 0.4] (sampling SE 0.2 / 1.96 = 0.10204), bias −0.1 with SE 0.1:
  corrected 0.3, SE √(0.10204² + 0.1²) = 0.14287, P = Φ(−0.3 / 0.14287) = Φ(−2.0998)
  = 0.01787. With no bias: Φ(−0.2 / 0.10204) = Φ(−1.96) = 0.025. A t(9) CI (as the
  gap's joint half-sampling CI with 10 halves) has SE 0.2 / 2.262157 = 0.088411 and
  P = T₉(−0.2 / 0.088411) = T₉(−2.262157) = 0.025: the same t as the CI."""
  assert pipeline.p_sign_sampling(0.2, 0.0, 0.4, -0.1, 0.1) == pytest.approx(0.01787, abs=2e-5)
  assert pipeline.p_sign_sampling(0.2, 0.0, 0.4) == pytest.approx(0.025, abs=1e-6)
  assert pipeline.p_sign_sampling(0.2, 0.0, 0.4, dof=9) == pytest.approx(0.025, abs=1e-6)
  v = pipeline.verdict(_terms({"a": (0.2, 0.0, 0.4)}),
                       {"a": {"bias": -0.1, "bias_se": 0.1, "dof": 9}})
  assert v.p_sign_sampling == pytest.approx(0.01787, abs=2e-5)
  t9 = _terms({"a": (0.2, 0.0, 0.4)}, ci="joint half-sampling: value ± t(9)·sd")
  assert pipeline.verdict(t9).p_sign_sampling == pytest.approx(0.025, abs=1e-6)


def _mapped_terms(ts, sy, gap, ci_gap="joint half-sampling, 20 halves: ± t(19)·sd"):
  """CCHTerms with separate I(H_t; H_s) 'a', label 'lab' and gap 'a' (value, lo, hi);
  the terms' CIs are z intervals, the gap's a t(19) one."""
  entry = lambda v, ci: {"value": v[0], "ci_low": v[1], "ci_high": v[2], "ci": ci}
  term = lambda name, v, ci: pipeline.Term(v[0], v[1], v[2], {name: entry(v, ci)})
  return pipeline.CCHTerms(term("a", ts, "half-sampling, 20 halves"),
                           term("lab", sy, "half-sampling, 20 halves"),
                           term("a", gap, ci_gap), 1.6, 500, "a")


def test_a_calibration_of_known_slope_maps_the_ci_through_the_curve():
  """Both curves estimate = 0.5·truth + 0.1 (slope 0.5; constructed, two levels each):
  ê_ts = 1.1 reads truth 2.0, ê_sy = 0.6 reads 1.0, so the corrected gap is 1.0 (raw
  0.5) and, both slopes 0.5, every sampling error doubles: the corrected CI is
  1.0 ± 2·0.2 (the raw half-width 0.2), then widened by t(18)·bias_se with
  bias_se = √(2·(0.01 / 0.5)²) = 0.028284 (each level's SE 0.01, mapped by 1/0.5; 18:
  the Welch–Satterthwaite dof of two equal 9-dof SEs), t(18) = 2.100922."""
  curve = lambda term: pipeline.Calibration("a" if term == "teacher_student" else "lab",
                                            term, 500, (4, 4), 10, (0.0, 4.0), (0.1, 2.1),
                                            (0.01, 0.01))
  cals = calibration.GapCalibrations({"a": curve("teacher_student")}, curve("label"))
  terms = _mapped_terms((1.1, 0.9, 1.3), (0.6, 0.5, 0.7), (0.5, 0.3, 0.7))
  [bias] = pipeline.read_gap_biases([terms], cals)
  b = bias["a"]
  assert b["bias_known"] and b["truth_teacher_student"] == pytest.approx(2.0)
  assert b["truth_label"] == pytest.approx(1.0) and b["bias"] == pytest.approx(-0.5)
  assert b["slope_teacher_student"] == pytest.approx(0.5) == b["slope_label"]
  assert b["bias_se"] == pytest.approx(math.hypot(0.02, 0.02))
  value, lo, hi = pipeline.mapped_gap(*_gap_entries(terms), 0.5, 0.5, b["bias"])
  assert (value, lo, hi) == pytest.approx((1.0, 0.6, 1.4))
  v = pipeline.verdict(terms, bias)
  assert b["dof"] == pytest.approx(18.0)
  widen = 2.100922 * math.hypot(0.02, 0.02)
  assert v.gap == pytest.approx(1.0) and v.bias_known and v.label == pipeline.DISTIL
  assert (v.ci_low, v.ci_high) == pytest.approx((0.6 - widen, 1.4 + widen))


def _gap_entries(terms):
  return (terms.gap.per_estimator["a"], terms.i_teacher_student.per_estimator["a"],
          terms.i_student_label.per_estimator["lab"])


def test_the_delta_method_keeps_the_terms_correlation():
  """Terms with sampling SEs s_ts = 0.1, s_sy = 0.05 (z CIs ± 1.96·s) and a gap SE
  s_g = 0.08 (t(19) CI ± 2.093024·s_g): cov = (0.01 + 0.0025 − 0.0064) / 2 = 0.00305.
  Slopes m_ts = 0.5, m_sy = 2: var = 0.01/0.25 + 0.0025/4 − 2·0.00305/1 = 0.034525, so
  the corrected half-width is 2.093024·√0.034525 = 0.388903; slopes 1 give back the
  gap's own CI (a shift)."""
  z, t19 = 1.959964, 2.093024
  terms = _mapped_terms((1.0, 1.0 - z * 0.1, 1.0 + z * 0.1),
                        (0.5, 0.5 - z * 0.05, 0.5 + z * 0.05),
                        (0.5, 0.5 - t19 * 0.08, 0.5 + t19 * 0.08))
  value, lo, hi = pipeline.mapped_gap(*_gap_entries(terms), 0.5, 2.0, bias=0.2)
  assert value == pytest.approx(0.3) and hi - value == pytest.approx(0.388903, abs=2e-6)
  assert value - lo == pytest.approx(hi - value)
  same = pipeline.mapped_gap(*_gap_entries(terms), 1.0, 1.0, bias=0.2)
  assert same == pytest.approx((0.3, 0.5 - t19 * 0.08 - 0.2, 0.5 + t19 * 0.08 - 0.2))


def test_an_unknown_bias_makes_the_verdict_uncertain_and_says_why():
  """A decisive raw CI [0.3, 0.5] with an unknown bias (out of range, or estimators that
  disagree after correction): 'uncertain', bias_known False, the reason quoted."""
  terms = _terms({"a": (0.4, 0.3, 0.5)})
  why = "the estimators' corrected I(H_t; H_s) disagree: a 1.000 ± 0.010 vs b 2.000"
  for bias in ({"a": {"bias": float("nan"), "bias_known": False}},
               {"a": {"bias": float("nan"), "bias_known": False, "unknown_reason": why}}):
    v = pipeline.verdict(terms, bias)
    assert v.label == pipeline.UNCERTAIN and not v.bias_known
    assert "bias unknown" in v.reason and "uncertain" in v.reason
    assert (v.gap, v.ci_low, v.ci_high) == (0.4, 0.3, 0.5)
  assert why in v.reason
  assert pipeline.verdict(terms).label == pipeline.DISTIL  # no calibration: raw CI decides


def test_pooled_verdict_on_hand_made_splits():
  """Three splits, raw gaps 0.1, 0.2, 0.3 (CIs ± 0.1), each bias −0.1 (se 0.02, 9 dof):
  corrected 0.2, 0.3, 0.4 -> mean 0.3, SE 0.1 / √3 = 0.057735; half-width
  t(2)·0.057735 + t(9)·0.02 = 4.302653·0.057735 + 2.262157·0.02 = 0.248414 + 0.045243
  = 0.293657; p = T₂(−0.3 / √(0.057735² + 0.02²)) = T₂(−4.9099) = 0.019533."""
  splits = [_terms({"a": (g, g - 0.1, g + 0.1)}) for g in (0.1, 0.2, 0.3)]
  biases = [{"a": {"bias": -0.1, "bias_se": 0.02, "dof": 9, "bias_known": True}}] * 3
  v = pipeline.pooled_verdict(splits, biases)
  assert v.splits == 3 and v.bias_known and v.label == pipeline.DISTIL
  assert v.gap == pytest.approx(0.3)
  assert (v.ci_low, v.ci_high) == pytest.approx((0.3 - 0.293657, 0.3 + 0.293657), abs=1e-6)
  assert v.p_sign_sampling == pytest.approx(0.019533, abs=1e-5)
  assert "mean of 3 splits" in v.reason
  unknown = biases[:2] + [{"a": {"bias": float("nan"), "bias_known": False}}]
  u = pipeline.pooled_verdict(splits, unknown)
  assert not u.bias_known and u.gap == pytest.approx(0.2) and "bias unknown" in u.reason
  assert u.label == pipeline.UNCERTAIN
  one = pipeline.pooled_verdict(splits[:1], biases[:1])
  assert one == pipeline.verdict(splits[0], biases[0])


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


def test_outcomes_are_judged_by_the_gain_ci_not_its_mean():
  gain = lambda m, half: {"mean": m, "ci_low": m - half, "ci_high": m + half}
  outcome = pipeline.prediction_outcome
  assert outcome(pipeline.DISTIL, gain(0.02, 0.01)) == pipeline.HELD
  assert outcome(pipeline.DISTIL, gain(0.02, 0.03)) == pipeline.INCONCLUSIVE  # covers 0
  assert outcome(pipeline.DISTIL, gain(-0.02, 0.01)) == pipeline.CONTRADICTED
  assert outcome(pipeline.DO_NOT_DISTIL, gain(-0.02, 0.01)) == pipeline.HELD
  assert outcome(pipeline.DO_NOT_DISTIL, gain(0.002, 0.001)) == pipeline.CONTRADICTED
  assert outcome(pipeline.DISTIL, gain(0.02, float("nan"))) == pipeline.INCONCLUSIVE
  assert outcome(pipeline.UNCERTAIN, gain(0.02, 0.01)) is None  # nothing to check
  assert pipeline.outcome_counts(["held", None, "inconclusive", "held"]) == {
      "verdicts": 4, "decisive": 3, "held": 2, "contradicted": 0, "inconclusive": 1}
  assert pipeline.gain_verdict(gain(0.02, 0.01)) == pipeline.DISTIL
  assert pipeline.gain_verdict(gain(0.02, 0.03)) == pipeline.UNCERTAIN


def test_rank_with_ties_uses_paired_differences():
  # a − b = +0.01 on every split: a CI of width 0, strictly above 0 although the means
  # differ by less than either one's spread; c is far below both.
  units = {"a": [0.11, 0.31, 0.21], "b": [0.10, 0.30, 0.20], "c": [-0.5, -0.4, -0.6]}
  rows = {r["name"]: r for r in pipeline.rank_with_ties(units)}
  assert [rows[n]["rank"] for n in "abc"] == [1, 2, 3]
  assert (rows["a"]["rank_low"], rows["a"]["rank_high"]) == (1, 1)
  assert rows["a"]["tied_with"] == [] and rows["a"]["differences"]["b"]["mean"] == \
      pytest.approx(0.01)
  # d − e alternates sign: a tie, so each may rank first or second.
  rows = {r["name"]: r for r in pipeline.rank_with_ties({"d": [0.1, 0.3], "e": [0.2, 0.1]})}
  assert rows["d"]["tied_with"] == ["e"] and rows["e"]["tied_with"] == ["d"]
  assert (rows["d"]["rank_low"], rows["d"]["rank_high"]) == (1, 2)
  assert (rows["e"]["rank_low"], rows["e"]["rank_high"]) == (1, 2)


def test_agreement_counts_outcomes_and_ties_by_paired_differences():
  row = lambda per_seed: {"splits": 1, "gain": pipeline.summary(per_seed)}
  rows = [row([0.05, 0.06, 0.04]), row([0.02, 0.05, -0.01]), row([-0.03, -0.02, -0.04]),
          row([0.03, 0.031, 0.029])]
  labels = [pipeline.DISTIL, pipeline.UNCERTAIN, pipeline.DO_NOT_DISTIL,
            pipeline.DO_NOT_DISTIL]
  a = pipeline.agreement([0.4, 0.1, -0.5, -0.2], rows, labels)
  assert a["sign_match_rate"] == 0.75 and a["n"] == 4
  assert a["outcomes"] == {"verdicts": 4, "decisive": 3, "held": 2, "contradicted": 1,
                           "inconclusive": 0}
  assert a["n_significant"] == 3 and a["significant_sign_match_rate"] == pytest.approx(2 / 3)
  assert a["spearman"] == pytest.approx(0.8)
  assert a["top_ranked"] == a["best"] == 0 and a["top_ranked_is_best"]
  assert a["top_ranked_tied_with_best"]
