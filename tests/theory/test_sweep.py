import functools

import jax
import jax.numpy as jnp
import numpy as np

from cch_jax import theory
from cch_jax.utils import chunked

D1, D2, N, SEEDS = 2, 3, 12, 6
LAMS = np.array([0.25, 1.0], np.float32)


def _grid():
  return theory.correlation_grid([-0.8, 0.3, 0.9], [0.2, 0.8], [0.5, 0.9], d1=D1, d2=D2)


def _sweep(grid, key, scales):
  return jax.tree.map(np.asarray, theory.sweep_cells(
      key, grid.sigma, scales, grid.valid, d1=D1, d2=D2, n=N, lambdas=jnp.asarray(LAMS),
      n_seeds=SEEDS))


def test_vmapped_sweep_equals_a_python_loop_over_cells_and_seeds():
  grid, key = _grid(), jax.random.key(3)
  scales = np.where(np.arange(grid.n_cells) % 2, 1.0, 0.5).astype(np.float32)
  out = _sweep(grid, key, scales)
  assert grid.n_invalid > 0
  assert np.isnan(out["gap"][~grid.valid]).all() and np.isnan(out["sim_gain"][~grid.valid]).all()
  for c in np.flatnonzero(grid.valid)[:3]:  # 3 of the 6 valid cells, both teacher scales
    sigma = grid.sigma[c]
    w1 = scales[c] * np.asarray(theory.teacher_weights(sigma, D1, D2))
    i_ts, i_sy = theory.mi_terms(sigma, w1, D1, D2)
    lam_star = float(theory.optimal_lambda(sigma, w1, D1, D2, N))
    lams = np.concatenate([[0.0], LAMS, [lam_star]]).astype(np.float32)
    # Seed s of every cell uses the training set drawn from fold_in(key, s).
    risks = np.array([_one_training_set(jax.random.fold_in(key, s), sigma, w1, lams)
                      for s in range(SEEDS)])
    np.testing.assert_allclose(out["gap"][c], i_ts - i_sy, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(out["gain"][c], theory.risk_gain(sigma, w1, D1, D2, LAMS, N),
                               rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(out["lam_star"][c], lam_star, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(out["margin"][c], theory.kd_margin(sigma, w1, D1, D2),
                               rtol=1e-3, atol=1e-6)
    np.testing.assert_allclose(out["sim_gain"][c], (risks[:, :1] - risks[:, 1:]).mean(0),
                               rtol=1e-3, atol=1e-5)


def _one_training_set(key, sigma, w1, lams):
  """The sweep's draw for one seed: Bartlett factor from `key`, then the public fit."""
  factor = theory.view_factor(sigma, w1, D1, D2)
  a = theory.simulate.bartlett_factor(key, D2 + 2, N)
  w_y, w_t = theory.simulate.fit_from_gram_factor(factor @ a)
  weights = w_y + lams[:, None] * (w_t - w_y)
  return np.sum((factor[D2] - weights @ factor[:D2]) ** 2, axis=-1)  # exact test risk


def test_sweep_does_not_depend_on_chunking_or_device_count():
  grid, key = _grid(), jax.random.key(4)
  scales = np.ones(grid.n_cells, np.float32)
  whole = _sweep(grid, key, scales)
  fn = functools.partial(theory.sweep_cells, key, d1=D1, d2=D2, n=N, lambdas=jnp.asarray(LAMS),
                         n_seeds=SEEDS)
  for devices, chunk in ((jax.devices()[:1], 5), (jax.devices(), 8)):
    got = chunked.map_in_chunks(fn, grid.sigma, scales, grid.valid,
                                chunk_size=chunk, mesh=chunked.cell_mesh(devices))
    for name in whole:
      np.testing.assert_allclose(got[name], whole[name], rtol=1e-5, atol=1e-7)
