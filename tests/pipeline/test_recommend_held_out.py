"""Paired gains with the resampled-t correction, and (λ, T) chosen on half of the seeds
and reported on the other half, on hand-made scores."""

import numpy as np
import pytest

from cch_jax import kd, pipeline
from cch_jax.utils import stats

# One teacher, λ ∈ {0.5, 0.9} at T = 3, 2 splits × 4 seeds: per (split, seed) a baseline,
# then λ = 0.5, then λ = 0.9 (kd.paired_grid's order).
MEMBERS = kd.paired_grid([0.5, 0.9], [3.0], range(4), 0.0, 1, 2)


def _scores(gain_05, gain_09):
  """Scores with baseline 0.5 and the given gains per (split, seed) (2, 4) arrays."""
  out = np.zeros(len(MEMBERS))
  lam, split, seed = (np.asarray(x) for x in (MEMBERS.lam, MEMBERS.split, MEMBERS.seed))
  for i in range(len(MEMBERS)):
    g = 0.0 if lam[i] == 0 else (gain_05 if lam[i] == 0.5 else gain_09)[split[i], seed[i]]
    out[i] = 0.5 + g
  return out


def test_the_resampled_t_widens_the_split_interval():
  g05 = np.array([[0.01, 0.03, 0.01, 0.03], [0.03, 0.05, 0.03, 0.05]])
  rows = pipeline.paired_gains(MEMBERS, _scores(g05, g05), resampled=(60, 20))
  gain = pipeline.find(rows, 0, 0.5, 3.0)["gain"]
  per_split = [0.02, 0.04]
  expected = stats.resampled_t_interval(per_split, 60, 20)
  assert gain["mean"] == pytest.approx(0.03)
  assert (gain["ci_low"], gain["ci_high"]) == pytest.approx((expected.ci_low,
                                                             expected.ci_high))
  plain = pipeline.find(pipeline.paired_gains(MEMBERS, _scores(g05, g05)), 0, 0.5, 3.0)
  factor = np.sqrt(1 / 2 + 20 / 60) / np.sqrt(1 / 2)
  assert gain["ci_high"] - gain["mean"] == pytest.approx(
      factor * (plain["gain"]["ci_high"] - plain["gain"]["mean"]))


def test_the_selection_half_picks_and_the_report_half_reports():
  # Seeds 0, 2 select; 1, 3 report. λ = 0.9 wins on selection, λ = 0.5 on report.
  g05 = np.array([[0.01, 0.05, 0.01, 0.05], [0.012, 0.05, 0.012, 0.05]])
  g09 = np.array([[0.03, -0.01, 0.03, -0.01], [0.032, -0.01, 0.032, -0.01]])
  scores = _scores(g05, g09)
  (rec,) = pipeline.recommend_held_out(MEMBERS, scores, scores, (0.5, 3.0)).values()
  assert (rec["selection_seeds"], rec["report_seeds"]) == ([0, 2], [1, 3])
  assert (rec["lam"], rec["temperature"]) == pytest.approx((0.9, 3.0))
  assert rec["selection_gain"]["mean"] == pytest.approx(0.031)
  assert rec["test_gain"]["mean"] == pytest.approx(-0.01)  # no winner's curse
  assert rec["reference_test_gain"]["mean"] == pytest.approx(0.05)


def test_no_distillation_unless_the_selection_ci_lies_above_zero():
  g = np.array([[0.03, 0.0, 0.01, 0.0], [-0.04, 0.0, 0.0, 0.0]])  # selection CI covers 0
  scores = _scores(g, g)
  (rec,) = pipeline.recommend_held_out(MEMBERS, scores, scores, (0.5, 3.0)).values()
  assert rec["lam"] == 0.0
  assert rec["test_gain"] == {"mean": 0.0, "ci_low": 0.0, "ci_high": 0.0}


def test_one_seed_cannot_be_halved():
  members = kd.paired_grid([0.5], [3.0], range(1), 0.0, 1, 2)
  with pytest.raises(ValueError, match="kd.seeds: expected at least 2"):
    pipeline.recommend_held_out(members, np.zeros(len(members)), np.zeros(len(members)),
                                (0.5, 3.0))
