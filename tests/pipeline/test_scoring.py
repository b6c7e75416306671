"""Verdicts and criteria scored against constructed benchmarks with known answers."""

import numpy as np
import pytest

from cch_jax.pipeline import scoring
from cch_jax.utils import stats

# Eight pairs of four students (two teachers each); every gain significant, signs known.
MEANS = np.array([0.03, -0.02, 0.01, -0.04, 0.02, 0.05, -0.01, -0.03])
STUDENTS = ["a", "a", "b", "b", "c", "c", "d", "d"]


def _outcomes(half_width=0.005, means=MEANS):
  gains = [{"mean": m, "ci_low": m - half_width, "ci_high": m + half_width} for m in means]
  return scoring.Outcomes.of(gains, gains, STUDENTS)


def _labels(signs):
  return ["distil" if s > 0 else "do not distil" if s < 0 else "uncertain" for s in signs]


def test_a_criterion_equal_to_the_true_gain_scores_perfectly():
  out = _outcomes()
  score = scoring.score_criterion("truth", "the gain", True, MEANS, out)
  assert score.auroc == 1.0 and score.n_significant == 8
  assert score.regret == 0.0 and score.students == 4
  assert score.rule.balanced_accuracy == 1.0
  assert (score.rule.held, score.rule.contradicted, score.rule.inconclusive) == (8, 0, 0)
  assert score.rule.held_rate_ci == pytest.approx(stats.clopper_pearson(8, 8))


def test_a_reversed_criterion_scores_zero_and_the_worst_regret():
  score = scoring.score_criterion("reversed", "−gain", True, -MEANS, _outcomes())
  assert score.auroc == 0.0
  # per student the worse teacher: a 0.05, b 0.05, c 0.03, d 0.02
  assert score.regret == pytest.approx(np.mean([0.05, 0.05, 0.03, 0.02]))


def test_constant_rules_score_one_half():
  out = _outcomes()
  for label in ("distil", "do not distil"):
    v = scoring.score_verdict(label, label, [label] * 8, out)
    assert v.balanced_accuracy == 0.5 and v.decisive == 8
  always = scoring.score_verdict("always", "", ["distil"] * 8, out)
  assert (always.held, always.contradicted, always.held_rate) == (4, 4, 0.5)
  assert always.held_rate_ci == pytest.approx(stats.clopper_pearson(4, 8))


def test_abstentions_count_as_misses_and_inconclusive_pairs_are_not_significant():
  means = MEANS.copy()
  out = _outcomes(half_width=np.nan, means=means)  # NaN CIs: nothing significant
  v = scoring.score_verdict("v", "", _labels(np.sign(MEANS)), out)
  assert v.significant == 0 and v.balanced_accuracy is None and v.inconclusive == 8
  out = _outcomes()
  signs = np.sign(MEANS)
  signs[:2] = 0  # two abstentions on student a's pairs (one of each sign)
  v = scoring.score_verdict("v", "", _labels(signs), out)
  # positives: 3 right of 4 (one abstained); negatives: 3 of 4 -> 0.75
  assert v.balanced_accuracy == pytest.approx(0.75)
  assert (v.decisive, v.decisive_significant) == (6, 6)
  low, high = v.balanced_accuracy_ci
  assert low <= 0.75 <= high


def test_fit_threshold_separates_the_sides_at_a_midpoint():
  values = np.array([-2.0, -1.0, 1.0, 3.0])
  assert scoring.fit_threshold(values, np.array([-1, -1, 1, 1])) == 0.0
  assert scoring.fit_threshold(values, np.array([-1, -1, -1, 1])) == 2.0
  # too few usable pairs, or one side only: the natural threshold 0
  assert scoring.fit_threshold(values, np.array([1, 1, 1, 1])) == 0.0
  assert scoring.fit_threshold(values[:2], np.array([-1, 1])) == 0.0


def test_threshold_labels_leave_the_judged_pair_out():
  values = np.array([5.0, 6.0, 7.0, 8.0, 1.0])
  sides = np.array([1, 1, 1, 1, -1])
  labels, taus = scoring.threshold_labels(values, sides)
  # pair 4's own side is not used: the others are all +1, so τ falls back to 0
  assert taus[4] == 0.0 and labels[4] == "distil"
  assert taus[0] == pytest.approx(3.5) and labels[:4] == ["distil"] * 4
  lows, highs = values - 1.0, values + 1.0
  ci_labels, _ = scoring.threshold_labels(values - 3.0, sides, ci=(lows - 3.0, highs - 3.0))
  # shifted by -3: pair 0 (2.0 ± 1) vs τ 0.5 lies above; pair 4 (-2 ± 1) vs τ 0: below
  assert ci_labels[0] == "distil" and ci_labels[4] == "do not distil"
  labels, _ = scoring.threshold_labels([np.nan, 1.0, 2.0], [1, -1, 1])
  assert labels[0] == "uncertain"


def test_outcomes_check_lengths():
  with pytest.raises(ValueError, match="test, val, students"):
    scoring.Outcomes.of([{"mean": 0, "ci_low": 0, "ci_high": 0}], [], ["a"])


def test_a_constant_rule_scores_one_half_in_every_bootstrap_replicate():
  v = scoring.score_verdict("never", "", ["do not distil"] * 8, _outcomes())
  assert v.balanced_accuracy_ci == (0.5, 0.5)
