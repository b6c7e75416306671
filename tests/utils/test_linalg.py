import jax
import numpy as np
import pytest

from cch_jax.utils import linalg


def _spd(rng, batch, d):
  a = rng.normal(size=batch + (d, d + 3))
  return (a @ np.swapaxes(a, -1, -2)).astype(np.float32)


def test_cholesky_matches_numpy_on_a_batch():
  a = _spd(np.random.default_rng(0), (2, 5), 6)
  np.testing.assert_allclose(linalg.cholesky(a), np.linalg.cholesky(a.astype(np.float64)),
                             rtol=1e-4, atol=1e-4)


def test_cholesky_of_rank_deficient_psd_reconstructs_it():
  v = np.random.default_rng(1).normal(size=(5, 2))
  a = (v @ v.T).astype(np.float32)
  l = np.asarray(linalg.cholesky(a))
  assert np.all(np.isfinite(l))
  np.testing.assert_allclose(l @ l.T, a, atol=1e-5)


def test_cholesky_of_indefinite_matrix_is_nan():
  l = linalg.cholesky(np.diag([1.0, -1.0, 2.0]).astype(np.float32))
  assert np.isnan(l[:, 1:]).all() and l[0, 0] == 1.0


@pytest.mark.parametrize("rhs_shape", [(4, 6), (4, 6, 3)])
def test_cho_solve_matches_numpy(rhs_shape):
  rng = np.random.default_rng(2)
  a = _spd(rng, (4,), 6)
  b = rng.normal(size=rhs_shape).astype(np.float32)
  expected = np.linalg.solve(a.astype(np.float64), b[..., None] if b.ndim == 2 else b)
  x = linalg.cho_solve(linalg.cholesky(a), b)
  np.testing.assert_allclose(x, expected[..., 0] if b.ndim == 2 else expected, rtol=1e-3,
                             atol=1e-4)


def test_logdet_matches_slogdet_under_jit_and_vmap():
  a = _spd(np.random.default_rng(3), (7,), 5)
  got = jax.jit(jax.vmap(linalg.logdet))(a)
  np.testing.assert_allclose(got, np.linalg.slogdet(a.astype(np.float64))[1], atol=1e-4)



def test_block_gaussian_mi_of_correlated_pairs_is_minus_half_log_one_minus_rho_squared():
  rho = np.array([0.6, -0.3, 1.0])  # ρ = 1: a deterministic relation, infinite MI
  pairs = np.stack([[[1.0, r], [r, 1.0]] for r in rho]).astype(np.float32)  # (3, 2, 2)
  got = jax.jit(linalg.block_gaussian_mi, static_argnums=1)(pairs, 1)
  np.testing.assert_allclose(got[:2], -0.5 * np.log1p(-rho[:2] ** 2), atol=1e-6)  # 0.22314
  assert np.isposinf(got[2])


def test_block_gaussian_mi_of_independent_pairs_adds_up():
  cov = np.eye(4, dtype=np.float32)  # x = (x1, x2), y = (y1, y2); x_i, y_i correlated
  cov[0, 2] = cov[2, 0] = 0.6
  cov[1, 3] = cov[3, 1] = -0.3
  got = jax.jit(linalg.block_gaussian_mi, static_argnums=1)(cov, 2)
  np.testing.assert_allclose(got, -0.5 * np.log1p(-np.array([0.36, 0.09])).sum(), atol=1e-6)


def test_logdet_is_relative_to_each_variables_own_scale():
  """Variances 1e6, 1 and 1e-6 with correlation 0.9 between the last two: the pivot of the
  smallest is 1e-6·(1 − 0.81) of the largest variance, below the pivot tolerance, yet the
  log-det is finite and exact (log 1e6 + log 1e-6 + log 0.19)."""
  a = np.diag([1e6, 1.0, 1e-6]).astype(np.float32)
  a[1, 2] = a[2, 1] = 0.9 * 1e-3
  np.testing.assert_allclose(linalg.logdet(a), np.log(0.19), atol=1e-4)


def test_residual_is_orthogonal_to_x_and_precise_when_small():
  """y = x·b + 1e-4·noise: the residual is the noise part, accurate to rounding relative
  to |y| (its covariance is not a difference of two nearly equal covariances)."""
  rng = np.random.default_rng(4)
  x = rng.normal(size=(500, 3)).astype(np.float32)
  noise = 1e-4 * rng.normal(size=(500, 2))
  y = (x @ rng.normal(size=(3, 2)) + noise).astype(np.float32)
  r = np.asarray(linalg.residual(y, x), np.float64)
  x64 = x.astype(np.float64)
  want = y - x64 @ np.linalg.lstsq(x64, y.astype(np.float64), rcond=None)[0]
  assert np.abs(x64.T @ r).max() < 1e-4
  np.testing.assert_allclose(r, want, atol=5e-6)
