import jax
import numpy as np
import pytest

from cch_jax import theory


def _logdet_mi(sigma, a, b):
  ld = lambda idx: np.linalg.slogdet(sigma[np.ix_(idx, idx)].astype(np.float64))[1]
  return 0.5 * (ld(a) + ld(b) - ld(np.concatenate([a, b])))


@pytest.mark.parametrize("rho", [-0.9, -0.3, 0.0, 0.5, 0.99])
def test_scalar_gaussian_mi_is_minus_half_log_one_minus_rho_squared(rho):
  sigma = np.array([[1.0, rho], [rho, 1.0]], np.float32)
  np.testing.assert_allclose(theory.gaussian_mi(sigma, [0], [1]),
                             -0.5 * np.log(1 - rho**2), rtol=1e-4, atol=1e-6)


def test_block_mi_equals_the_log_det_formula(random_sigma):
  sigma = random_sigma(0, 7)
  a, b = np.array([0, 3]), np.array([1, 5, 6])
  np.testing.assert_allclose(theory.gaussian_mi(sigma, a, b), _logdet_mi(sigma, a, b),
                             rtol=1e-4)


def test_independent_pairs_add_up_and_jit_vmap_agree():
  rhos = np.array([0.3, 0.6, 0.8])
  sigma = np.eye(6, dtype=np.float32)
  for i, r in enumerate(rhos):
    sigma[i, 3 + i] = sigma[3 + i, i] = r
  expected = -0.5 * np.sum(np.log(1 - rhos**2))
  np.testing.assert_allclose(theory.gaussian_mi(sigma, [0, 1, 2], [3, 4, 5]), expected,
                             rtol=1e-5)
  batch = np.stack([sigma, np.eye(6, dtype=np.float32)])
  got = jax.jit(jax.vmap(lambda s: theory.gaussian_mi(s, np.arange(3), np.arange(3, 6))))(
      batch)
  np.testing.assert_allclose(got, [expected, 0.0], atol=1e-5)


@pytest.mark.parametrize("sigma, idx_a, idx_b, message", [
    (np.array([[1.0, 2.0], [2.0, 1.0]]), [0], [1], "sigma: expected a positive semi-def"),
    (np.array([[1.0, np.nan], [np.nan, 1.0]]), [0], [1], "sigma: expected finite"),
    (np.ones((2, 3)), [0], [1], "sigma: expected a square covariance"),
    (np.eye(3), [0, 1], [1, 2], "expected disjoint blocks"),
    (np.eye(3), [0], [3], r"idx_b: indices must lie in \[0, 3\)"),
    (np.eye(3), [], [1], "idx_a: expected a non-empty"),
    (np.diag([1.0, 0.0, 1.0]), [1], [2], r"sigma\[idx_a, idx_a\]: expected a non-singular"),
])
def test_bad_input_raises_a_clear_error(sigma, idx_a, idx_b, message):
  with pytest.raises(ValueError, match=message):
    theory.gaussian_mi(sigma, idx_a, idx_b)
