"""The regression probe bound and the KL entropy. One data shape (n = 2,000, x (n, 3),
y (n,), default options) throughout, so the probe compiles once."""

import jax
import numpy as np
import pytest

from cch_jax import mi
from cch_jax.mi import gaussian_probe

N = 2000


def _linear_gaussian(seed: int, rho: float) -> tuple[np.ndarray, np.ndarray]:
  """x (N, 3) standard normal, y (N,) = rho·(unit projection of x) + noise, unit
  variance: I(X; Y) = −½ log(1 − rho²)."""
  rng = np.random.default_rng(seed)
  x = rng.normal(size=(N, 3))
  y = rho * x @ (np.ones(3) / np.sqrt(3)) + np.sqrt(1 - rho**2) * rng.normal(size=N)
  return x.astype(np.float32), y.astype(np.float32)


@pytest.mark.parametrize("norm, d", [("euclidean", 2), ("max", 1)])
def test_kl_entropy_matches_the_gaussian_closed_form(norm, d):
  """n = 2,000, seed 0: within 0.06 nats of ½ log((2πe)^d det Σ) (measured over 5
  seeds for d = 1, 2 and both norms: |bias| <= 0.01, sd <= 0.02)."""
  cov = np.array([[1.0, 0.5], [0.5, 2.0]])[:d, :d]
  y = np.random.default_rng(0).multivariate_normal(np.zeros(d), cov, N).astype(np.float32)
  truth = 0.5 * np.log((2 * np.pi * np.e) ** d * np.linalg.det(cov))
  assert abs(float(gaussian_probe.kl_entropy(y, 3, norm)) - truth) < 0.06


def test_gaussian_probe_is_close_to_the_gaussian_mi():
  """rho = 0.6 (0.223 nats), 4 seeds: within 0.06 nats, so not above truth + 0.06
  (measured over 20 data seeds, h(Y) per seed on its held-out rows: bias −0.004, sd 0.02,
  errors in [−0.037, +0.037], CI covering the truth 20/20)."""
  x, y = _linear_gaussian(0, 0.6)
  truth = -0.5 * np.log(1 - 0.6**2)
  est = mi.estimate(x, y, "gaussian_probe", key=jax.random.key(0))
  assert abs(est.value - truth) < 0.06, est
  assert est.ci_low < est.value < est.ci_high
  assert "repeated splits" in est.diagnostics["ci"] and not est.diagnostics["warnings"]


def test_gaussian_probe_of_independent_variables_is_about_zero():
  """rho = 0, 4 seeds: in (−0.08, 0.05) (measured over 20 data seeds: bias −0.003,
  sd 0.017, values in [−0.036, +0.033])."""
  x, y = _linear_gaussian(1, 0.0)
  est = mi.estimate(x, y, "gaussian_probe", key=jax.random.key(0))
  assert -0.08 < est.value < 0.05, est


def test_gaussian_probe_on_given_splits_repeats_its_own_seeds():
  x, y = _linear_gaussian(2, 0.8)
  est = mi.estimate(x, y, "gaussian_probe", key=jax.random.key(5))
  assert est.diagnostics["splits"].shape == (4, N)
  again = mi.api.replicate_values(x, y, "gaussian_probe", est.diagnostics["splits"],
                                  est.diagnostics["held_out"])
  np.testing.assert_allclose(again, est.diagnostics["per_seed"], rtol=0, atol=1e-6)
  mi.check_options("gaussian_probe", {"seeds": 3, "l2": 1e-2, "k": 5, "norm": "max",
                                      "diagonal": True})
  with pytest.raises(ValueError, match="unknown option"):
    mi.check_options("gaussian_probe", {"steps": 10})


def test_tied_targets_give_a_finite_entropy_and_bound():
  """Whole-number targets with values repeated more than k times (as in the diabetes
  data) keep h(Y) and the bound finite: distances below the floor count as the floor."""
  rng = np.random.default_rng(0)
  y = np.round(rng.normal(size=(300, 1)) * 3.0).astype(np.float32)  # ~20 distinct values
  assert np.isfinite(float(gaussian_probe.kl_entropy(y)))
  x = (y + rng.normal(size=(300, 1))).astype(np.float32)
  assert np.isfinite(mi.estimate(x, y, "gaussian_probe", key=jax.random.key(0)).value)
