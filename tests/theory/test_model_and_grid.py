import jax
import numpy as np
import pytest

from cch_jax import theory


def test_grid_masks_and_counts_cells_that_are_not_positive_definite():
  grid = theory.correlation_grid([-0.9, 0.0, 0.9], [0.1, 0.9], [0.1, 0.9], d1=2, d2=3)
  assert grid.sigma.shape == (12, 6, 6) and grid.n_cells == 12
  corr = np.array([[[1, t, y], [t, 1, s], [y, s, 1]] for t, s, y in
                   zip(grid.rho_ts, grid.rho_sy, grid.rho_ty)], np.float64)
  expected = np.linalg.eigvalsh(corr)[:, 0] > theory.grid.MIN_EIGENVALUE
  np.testing.assert_array_equal(grid.valid, expected)
  assert grid.n_invalid == int((~expected).sum()) > 0
  # rho_ts=-0.9 with rho_sy=rho_ty=0.9 is impossible; kept (not clipped) and flagged.
  bad = (grid.rho_ts == -0.9) & (grid.rho_sy == np.float32(0.9)) & (grid.rho_ty == np.float32(0.9))
  assert not grid.valid[bad].any() and grid.sigma[bad][0, 0, 2] == np.float32(-0.9)


def test_cch_terms_of_the_grid_are_the_closed_form_correlations():
  grid = theory.correlation_grid([-0.6, 0.2, 0.8], [0.3, 0.7], [0.4], d1=3, d2=4)
  for c in np.flatnonzero(grid.valid):
    i_ts, i_sy = theory.mi_terms(grid.sigma[c], None, 3, 4)
    np.testing.assert_allclose(i_ts, -0.5 * np.log(1 - grid.rho_ts[c] ** 2), rtol=1e-4)
    np.testing.assert_allclose(i_sy, -0.5 * np.log(1 - grid.rho_sy[c] ** 2), rtol=1e-4)


def test_mi_terms_equal_gaussian_mi_of_the_projected_variables(random_sigma):
  d1, d2 = 3, 4
  sigma = random_sigma(5, d1 + d2 + 1)
  w1 = np.array([0.5, -1.0, 2.0], np.float32)
  w_star = np.linalg.solve(sigma[d1:-1, d1:-1], sigma[d1:-1, -1])
  proj = np.zeros((3, d1 + d2 + 1), np.float32)
  proj[0, :d1], proj[1, d1:-1], proj[2, -1] = w1, w_star, 1.0
  projected = proj @ sigma @ proj.T
  i_ts, i_sy = theory.mi_terms(sigma, w1, d1, d2)
  np.testing.assert_allclose(i_ts, theory.gaussian_mi(projected, [0], [1]), rtol=1e-3)
  np.testing.assert_allclose(i_sy, theory.gaussian_mi(projected, [1], [2]), rtol=1e-3)
  # Scale invariance: the CCH cannot see a miscalibrated teacher.
  np.testing.assert_allclose(theory.mi_terms(sigma, 3.0 * w1, d1, d2)[0], i_ts, rtol=1e-4)


def test_zero_teacher_has_zero_mi_and_vmap_matches_loop():
  grid = theory.correlation_grid([0.2, 0.5], [0.4], [0.3, 0.6], d1=2, d2=2)
  assert float(theory.mi_terms(grid.sigma[0], np.zeros(2, np.float32), 2, 2)[0]) == 0.0
  batched = jax.vmap(lambda s: theory.mi_terms(s, None, 2, 2))(grid.sigma)
  looped = np.array([theory.mi_terms(s, None, 2, 2) for s in grid.sigma]).T
  np.testing.assert_allclose(np.array(batched), looped, rtol=1e-5)


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(rho_ts=[1.0], rho_sy=[0.5], rho_ty=[0.5]), ValueError, r"rho_ts: expected .* \(-1, 1\)"),
    (dict(rho_ts=[0.1], rho_sy=[], rho_ty=[0.5]), ValueError, "rho_sy: expected"),
    (dict(rho_ts=[0.1], rho_sy=[0.5], rho_ty=[np.nan]), ValueError, "rho_ty: expected finite"),
    (dict(rho_ts=[0.1], rho_sy=[0.5], rho_ty=[0.5], d2=0), ValueError, "d2: expected an integer"),
])
def test_grid_rejects_bad_input(kwargs, error, message):
  with pytest.raises(error, match=message):
    theory.correlation_grid(**kwargs)


def test_model_rejects_bad_shapes_and_singular_student_block(random_sigma):
  sigma = random_sigma(1, 6)
  with pytest.raises(ValueError, match=r"sigma: expected shape \(7, 7\)"):
    theory.mi_terms(sigma, None, 2, 4)
  with pytest.raises(ValueError, match=r"w1: expected shape \(2,\)"):
    theory.mi_terms(sigma, np.ones(3), 2, 3)
  singular = np.eye(4, dtype=np.float32)
  singular[2, 2] = 0.0
  with pytest.raises(ValueError, match="student block"):
    theory.mi_terms(singular, None, 1, 2)
