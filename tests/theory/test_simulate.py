import jax
import numpy as np
import pytest

from cch_jax import theory
from cch_jax.utils import linalg

D1, D2 = 2, 3


def test_risk_keeps_the_shape_of_lam_and_shares_one_training_set(random_sigma):
  sigma = random_sigma(0, D1 + D2 + 1)
  lam = np.array([[0.0, 0.5, 1.0], [1.0, 0.5, 0.0]], np.float32)
  risk = np.asarray(theory.simulate_risk(jax.random.key(0), sigma, None, D1, D2, lam, 10))
  assert risk.shape == (2, 3)
  np.testing.assert_allclose(risk[0], risk[1, ::-1], rtol=1e-6)


def test_huge_ridge_predicts_zero_so_risk_is_var_y(random_sigma):
  sigma = random_sigma(1, D1 + D2 + 1)
  risk = theory.simulate_risk(jax.random.key(1), sigma, None, D1, D2, 0.5, 10, alpha=1e9)
  np.testing.assert_allclose(risk, sigma[-1, -1], rtol=1e-4)


def test_test_sample_risk_agrees_with_exact_test_risk_on_average(random_sigma):
  """Tolerance: 4 standard errors over 3,000 seeds of the difference."""
  sigma = random_sigma(2, D1 + D2 + 1)
  keys = jax.random.split(jax.random.key(2), 3000)
  run = lambda n_test: jax.vmap(lambda k: theory.simulate_risk(
      k, sigma, None, D1, D2, 0.5, 12, alpha=0.5, n_test=n_test))(keys)
  diff = np.asarray(run(200) - run(None))
  assert abs(diff.mean()) <= 4 * diff.std(ddof=1) / np.sqrt(len(diff))


@pytest.mark.parametrize("kwargs, message", [
    (dict(n=2), "n: expected an integer >= 3"),
    (dict(n=10, alpha=-1.0), "alpha: expected a ridge strength >= 0"),
    (dict(n=10, alpha=np.float32(1.0)), "alpha: expected a ridge strength >= 0"),
    (dict(n=10, n_test=0), "n_test: expected an integer >= 1"),
    (dict(n=10, lam=np.nan), "lam: expected finite"),
])
def test_bad_arguments_raise(random_sigma, kwargs, message):
  args = dict(lam=0.5) | kwargs
  with pytest.raises((ValueError, TypeError), match=message):
    theory.simulate_risk(jax.random.key(0), random_sigma(0, D1 + D2 + 1), None, D1, D2,
                         **args)


@pytest.mark.parametrize("alpha", [0.0, 2.0])
def test_bartlett_gram_sampler_matches_fitting_raw_samples(random_sigma, alpha):
  """The Wishart shortcut vs drawing n raw samples and fitting them: same law of the risk.
  Tolerances over 4,000 seeds: means within 4 standard errors; quartiles and 90th
  percentile within 5% (the risk is heavy-tailed, so quantiles, not standard deviations)."""
  sigma, n, lam = random_sigma(3, D1 + D2 + 1), 20, np.array([0.0, 0.6], np.float32)
  factor = theory.view_factor(sigma, None, D1, D2)

  keys = jax.random.split(jax.random.key(5), 4000)

  def raw_fit(key):
    v = jax.random.normal(key, (n, D2 + 2)) @ factor.T
    x2, targets = v[:, :D2], v[:, D2:]
    gram = x2.T @ x2 + alpha * jax.numpy.eye(D2)
    w = linalg.cho_solve(linalg.cholesky(gram), x2.T @ targets)
    weights = w[:, 0][None] + lam[:, None] * (w[:, 1] - w[:, 0])[None]
    return jax.numpy.sum((factor[D2] - weights @ factor[:D2]) ** 2, axis=-1)

  ours = np.asarray(jax.vmap(lambda k: theory.simulate_risk(
      k, sigma, None, D1, D2, lam, n, alpha=alpha))(keys))
  reference = np.asarray(jax.vmap(raw_fit)(keys))
  se = np.sqrt(ours.var(0) / len(keys) + reference.var(0) / len(keys))
  assert np.all(np.abs(ours.mean(0) - reference.mean(0)) <= 4 * se)
  q = [25, 50, 75, 90]
  np.testing.assert_allclose(np.percentile(ours, q, axis=0), np.percentile(reference, q, axis=0),
                             rtol=0.05)
