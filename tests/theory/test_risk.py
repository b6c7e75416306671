"""Exact risk formula against Monte Carlo. Tolerances: |exact − simulated mean| <= 4 standard
errors of the mean over 4,000 simulated training sets, with fixed seeds (deterministic)."""

import jax
import numpy as np
import pytest

from cch_jax import theory

D1, D2 = 3, 4
SEEDS = 4000
LAMS = np.array([0.0, 0.3, 0.7, 1.0], np.float32)


def _simulated(sigma, w1, n, seed, lam=LAMS):
  keys = jax.random.split(jax.random.key(seed), SEEDS)
  risks = jax.vmap(lambda k: theory.simulate_risk(k, sigma, w1, D1, D2, lam, n))(keys)
  return np.asarray(risks.mean(0)), np.asarray(risks.std(0, ddof=1)) / np.sqrt(SEEDS)


@pytest.mark.parametrize("seed, n, random_teacher", [(0, 10, False), (1, 24, False),
                                                     (2, 12, True), (3, 40, True)])
def test_exact_risk_matches_simulation_within_its_ci(random_sigma, seed, n, random_teacher):
  sigma = random_sigma(seed, D1 + D2 + 1)
  w1 = (np.random.default_rng(seed).normal(size=D1).astype(np.float32)
        if random_teacher else None)
  exact = np.asarray(theory.expected_risk(sigma, w1, D1, D2, LAMS, n))
  mean, se = _simulated(sigma, w1, n, seed)
  assert np.all(np.abs(exact - mean) <= 4 * se), (exact, mean, se)


def test_optimal_lambda_minimises_exact_and_simulated_risk(random_sigma):
  sigma, n = random_sigma(7, D1 + D2 + 1), 12
  lam_star = float(theory.optimal_lambda(sigma, None, D1, D2, n))
  assert 0.05 < lam_star < 0.95  # an interior optimum, so the check has teeth
  grid = np.linspace(0, 1, 51, dtype=np.float32)
  exact = np.asarray(theory.expected_risk(sigma, None, D1, D2, grid, n))
  assert float(theory.expected_risk(sigma, None, D1, D2, lam_star, n)) <= exact.min() + 1e-6
  mean, _ = _simulated(sigma, None, n, seed=11, lam=grid)  # paired across λ
  assert abs(grid[np.argmin(mean)] - lam_star) <= 0.1


@pytest.mark.parametrize("seed", range(6))
def test_exact_rule_margin_decides_whether_any_lambda_helps(random_sigma, seed):
  sigma = random_sigma(seed, D1 + D2 + 1)
  w1 = np.random.default_rng(seed).normal(size=D1).astype(np.float32)  # often a bad teacher
  grid = np.linspace(0.0, 1.0, 101, dtype=np.float32)[1:]
  margin = float(theory.kd_margin(sigma, w1, D1, D2))
  for n in (8, 30, 200):
    gain = np.asarray(theory.risk_gain(sigma, w1, D1, D2, grid, n))
    r0, r = (np.asarray(theory.expected_risk(sigma, w1, D1, D2, lam, n)) for lam in (0.0, grid))
    np.testing.assert_allclose(gain, r0 - r, rtol=1e-4, atol=1e-6)
    lam_star = float(theory.optimal_lambda(sigma, w1, D1, D2, n))
    if margin > 1e-4:  # some λ helps: in particular every λ in (0, 2B/A), e.g. λ*/2
      assert lam_star > 0 and float(theory.risk_gain(sigma, w1, D1, D2, lam_star / 2, n)) > 0
    elif margin < -1e-4:  # no λ in (0, 1] helps
      assert lam_star == 0 and gain.max() < 0


def test_invalid_n_raises_when_concrete_and_gives_nan_when_traced(random_sigma):
  sigma = random_sigma(0, D1 + D2 + 1)
  with pytest.raises(ValueError, match=r"n: the exact risk needs n > d2 \+ 1 = 5"):
    theory.expected_risk(sigma, None, D1, D2, 0.5, 5)
  risks = jax.vmap(lambda n: theory.expected_risk(sigma, None, D1, D2, 0.5, n))(
      np.array([5, 20]))
  assert np.isnan(risks[0]) and np.isfinite(risks[1])


def test_bad_sigma_raises(random_sigma):
  sigma = random_sigma(0, D1 + D2 + 1)
  sigma[0, 0] = np.nan
  with pytest.raises(ValueError, match="sigma: expected finite"):
    theory.expected_risk(sigma, None, D1, D2, 0.5, 20)
  with pytest.raises(ValueError, match="sigma: expected a positive semi-definite"):
    theory.optimal_lambda(-np.eye(D1 + D2 + 1), None, D1, D2, 20)
