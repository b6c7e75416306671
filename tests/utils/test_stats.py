"""Known answers for the statistical formulas in `cch_jax.utils.stats`."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cch_jax.utils import stats

# Student t with 2 dof has the closed-form quantile (2p − 1) / √(2p(1 − p)).
T975_2DOF = 0.95 / math.sqrt(2 * 0.975 * 0.025)  # 4.302652729749464


def test_z95_is_the_exact_normal_quantile():
  assert stats.Z95 == pytest.approx(1.959963984540054, abs=1e-15)


def test_z_interval_on_floats_and_arrays():
  low, high = stats.z_interval(1.0, 0.5)
  assert low == pytest.approx(1.0 - 0.9799819922700270, abs=1e-12)
  assert high == pytest.approx(1.9799819922700270, abs=1e-12)
  lows, highs = stats.z_interval(np.zeros(2), np.array([1.0, 2.0]))
  np.testing.assert_allclose(highs, [stats.Z95, 2 * stats.Z95], atol=1e-12)
  np.testing.assert_allclose(lows, -highs, atol=1e-12)


def test_t_interval_of_one_two_three():
  ci = stats.t_interval([1.0, 2.0, 3.0])
  se = 1.0 / math.sqrt(3.0)
  assert (ci.mean, ci.std) == (2.0, 1.0)
  assert ci.se == pytest.approx(se, abs=1e-12)
  assert stats.standard_error([1.0, 2.0, 3.0]) == pytest.approx(se, abs=1e-12)
  assert ci.ci_low == pytest.approx(2.0 - T975_2DOF * se, abs=1e-12)
  assert ci.ci_high == pytest.approx(2.0 + T975_2DOF * se, abs=1e-12)


def test_t_interval_of_one_value_has_no_ci_and_of_none_raises():
  ci = stats.t_interval([5.0])
  assert (ci.mean, ci.std) == (5.0, 0.0)
  assert all(math.isnan(v) for v in (ci.se, ci.ci_low, ci.ci_high))
  assert math.isnan(stats.standard_error([5.0]))
  with pytest.raises(ValueError, match="values"):
    stats.t_interval([])


def test_quadrature_of_three_and_four_is_five():
  assert stats.quadrature(3.0, 4.0) == 5.0
  # half-widths 3 and 4 around a difference of 1
  assert stats.quadrature_interval(1.0, (0.0, 6.0), (-3.0, 5.0)) == (-4.0, 6.0)


@pytest.mark.parametrize("low, high, side", [
    (-1.0, 2.0, 0), (0.1, 0.3, 1), (-0.3, -0.1, -1), (0.0, 1.0, 0), (-1.0, 0.0, 0),
    (float("nan"), float("nan"), 0),
])
def test_ci_side(low, high, side):
  got = stats.ci_side(low, high)
  assert got == side and isinstance(got, int)


def test_ci_side_on_arrays():
  np.testing.assert_array_equal(
      stats.ci_side(np.array([-1.0, 0.1, -0.3]), np.array([2.0, 0.3, -0.1])), [0, 1, -1])


def test_spearman_known_answer():
  # d = (0, −1, 1, 0): rho = 1 − 6·2 / (4·15) = 0.8; with 2 dof, p = 1 − t / √(t² + 2).
  rho, p = stats.spearman([1, 2, 3, 4], [1, 3, 2, 4])
  t = 0.8 * math.sqrt(2 / (1 - 0.8**2))
  assert rho == pytest.approx(0.8, abs=1e-12)
  assert p == pytest.approx(1 - t / math.sqrt(t * t + 2), abs=1e-12)  # 0.2


@pytest.mark.parametrize("a, b", [
    ([1.0, 2.0], [2.0, 1.0]),                  # fewer than 3 points
    ([], []),
    ([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]),        # constant a
    ([1.0, 2.0, 3.0], [4.0, 4.0, 4.0]),        # constant b
    ([1.0, float("nan"), 3.0], [1.0, 2.0, 3.0]),
])
def test_spearman_is_none_when_undefined(a, b):
  assert stats.spearman(a, b) == (None, None)


def test_spearman_rejects_unpaired_inputs():
  with pytest.raises(ValueError, match="a, b"):
    stats.spearman([1.0, 2.0, 3.0], [1.0, 2.0])


@pytest.mark.parametrize("k, n, low, high", [
    (4, 5, 0.2836, 0.9949),     # Beta(4, 2) 0.025 quantile; 0.975^(1/5)
    (0, 10, 0.0, 0.3085),       # 1 − 0.025^(1/10)
    (10, 10, 0.6915, 1.0),      # 0.025^(1/10)
])
def test_clopper_pearson_known_answers(k, n, low, high):
  got = stats.clopper_pearson(k, n)
  assert got == (pytest.approx(low, abs=5e-5), pytest.approx(high, abs=5e-5))


def test_clopper_pearson_edges():
  assert stats.clopper_pearson(0, 10)[0] == 0.0 and stats.clopper_pearson(10, 10)[1] == 1.0
  assert all(math.isnan(v) for v in stats.clopper_pearson(0, 0))
  low99, high99 = stats.clopper_pearson(4, 5, level=0.99)
  assert low99 < 0.2836 and high99 > 0.9949
  for k, n in ((-1, 5), (6, 5)):
    with pytest.raises(ValueError, match="k, n"):
      stats.clopper_pearson(k, n)


def test_balanced_accuracy_hand_cases():
  # class +1: 1 of 3 right (an abstention and a miss); class −1: 1 of 2 (an abstention).
  got = stats.balanced_accuracy([1, 0, -1, -1, 0], [1, 1, 1, -1, -1])
  assert got == pytest.approx(5 / 12)
  assert stats.balanced_accuracy([1, 1, 1, 1, 1], [1, 1, 1, -1, -1]) == 0.5
  assert stats.balanced_accuracy([-1, -1, 1], [-1, -1, 1]) == 1.0
  assert stats.balanced_accuracy([0, 0, 0], [-1, -1, 1]) == 0.0
  assert stats.balanced_accuracy([1, 0], [1, 1]) == 0.5   # only the classes present
  assert math.isnan(stats.balanced_accuracy([], []))


def test_balanced_accuracy_rejects_bad_inputs():
  with pytest.raises(ValueError, match="predicted: "):
    stats.balanced_accuracy([2, 1], [1, -1])
  with pytest.raises(ValueError, match="actual: "):
    stats.balanced_accuracy([1, 1], [1, 0])
  with pytest.raises(ValueError, match="predicted, actual"):
    stats.balanced_accuracy([1, 1, 1], [1, -1])


def test_auroc_known_answers():
  assert stats.auroc([0.1, 0.2, 0.8, 0.9], [False, False, True, True]) == 1.0
  assert stats.auroc([0.9, 0.8, 0.2, 0.1], [False, False, True, True]) == 0.0
  assert stats.auroc([0.5] * 4, [False, True, False, True]) == 0.5
  # pos {0.4, 0.8} vs neg {0.1, 0.4}: 1 + ½ + 1 + 1 = 3.5 of 4 pairs.
  assert stats.auroc([0.1, 0.4, 0.4, 0.8], [0, 1, 0, 1]) == pytest.approx(0.875)


def test_auroc_is_nan_when_undefined_and_rejects_bad_labels():
  assert math.isnan(stats.auroc([0.1, 0.2], [True, True]))
  assert math.isnan(stats.auroc([0.1, float("nan")], [True, False]))
  with pytest.raises(ValueError, match="positive"):
    stats.auroc([0.1, 0.2], [2, 0])
  with pytest.raises(ValueError, match="scores, positive"):
    stats.auroc([0.1, 0.2, 0.3], [True, False])


def test_resampled_t_interval_hand_computed():
  # values 1, 2, 3: std 1; se = √(1/3 + 2/8) = √(7/12); t with 2 dof.
  ci = stats.resampled_t_interval([1.0, 2.0, 3.0], n_train=8, n_test=2)
  se = math.sqrt(7 / 12)
  assert (ci.mean, ci.std) == (2.0, 1.0)
  assert ci.se == pytest.approx(se, abs=1e-12)
  assert ci.ci_low == pytest.approx(2.0 - T975_2DOF * se, abs=1e-12)
  assert ci.ci_high == pytest.approx(2.0 + T975_2DOF * se, abs=1e-12)


def test_resampled_t_interval_without_test_rows_is_the_t_interval():
  values = [0.3, 0.1, 0.45, 0.2, 0.33]
  np.testing.assert_allclose(stats.resampled_t_interval(values, 100, 0),
                             stats.t_interval(values), atol=1e-12)
  one = stats.resampled_t_interval([5.0], 10, 5)
  assert (one.mean, one.std) == (5.0, 0.0)
  assert all(math.isnan(v) for v in (one.se, one.ci_low, one.ci_high))
  with pytest.raises(ValueError, match="values"):
    stats.resampled_t_interval([], 10, 5)
  with pytest.raises(ValueError, match="n_train"):
    stats.resampled_t_interval([1.0, 2.0], 0, 5)


def test_bootstrap_interval_is_deterministic_and_covers_the_mean():
  """n = 200 standard normals: the interval holds the sample mean and its width is near
  2·Z95·sd/√n."""
  x = np.random.default_rng(0).normal(size=200)
  mean = lambda idx: float(x[idx].mean())
  low, high = stats.bootstrap_interval(mean, len(x), n_boot=1000, seed=3)
  assert (low, high) == stats.bootstrap_interval(mean, len(x), n_boot=1000, seed=3)
  assert (low, high) != stats.bootstrap_interval(mean, len(x), n_boot=1000, seed=4)
  assert low < x.mean() < high
  assert high - low == pytest.approx(2 * stats.Z95 * x.std() / np.sqrt(len(x)), rel=0.15)


def test_bootstrap_interval_drops_nan_replicates():
  calls = iter(range(10_000))
  half_nan = lambda idx: float("nan") if next(calls) % 2 else float(len(idx))
  assert stats.bootstrap_interval(half_nan, 7, n_boot=50) == (7.0, 7.0)
  assert all(math.isnan(v) for v in
             stats.bootstrap_interval(lambda idx: float("nan"), 7, n_boot=50))


def test_cluster_bootstrap_draws_whole_groups():
  """Groups of sizes 1..5: every replicate takes each drawn group whole (equal counts of
  its items), as many groups as there are, so the distinct-group count is at most 5."""
  groups = np.repeat(np.array(["a", "b", "c", "d", "e"]), [1, 2, 3, 4, 5])
  sizes = {g: int((groups == g).sum()) for g in np.unique(groups)}
  seen = []

  def distinct_groups(idx):
    counts = np.bincount(idx, minlength=len(groups))
    for g in np.unique(groups[idx]):
      assert len(set(counts[groups == g])) == 1   # all its items, equally often
    drawn = {g: counts[groups == g][0] for g in sizes}
    assert sum(drawn.values()) == len(sizes)      # 5 groups drawn with replacement
    seen.append(len(np.unique(groups[idx])))
    return float(seen[-1])

  low, high = stats.bootstrap_interval(distinct_groups, len(groups), n_boot=300,
                                       groups=groups)
  assert 1 <= low <= high <= 5 and len(seen) == 300 and max(seen) <= 5
  # Item resampling of the same 15 rows does not keep groups whole.
  with pytest.raises(AssertionError):
    stats.bootstrap_interval(distinct_groups, len(groups), n_boot=50)
  with pytest.raises(ValueError, match="groups"):
    stats.bootstrap_interval(distinct_groups, len(groups), groups=groups[:-1])
