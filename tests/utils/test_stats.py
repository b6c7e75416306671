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
