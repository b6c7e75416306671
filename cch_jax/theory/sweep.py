"""Vectorised sweep: exact and simulated KD gains with the CCH terms, per cell × seed.

`sweep_cell` handles one covariance; `sweep_cells` vmaps it over a batch of cells inside one
jitted program. Seed s draws one training set per cell from the same random numbers in
every cell (common random numbers: each cell's seeds are still i.i.d., comparisons across
cells are less noisy, and results do not depend on chunking or sharding). Chunking over
large grids lives with the caller (`cch_jax.utils.chunked.map_in_chunks`).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax import Array

from cch_jax.theory import model, risk, simulate


def sweep_cell(sigma: Array, teacher_scale: Array, seed_keys: Array, bartlett: Array, *,
               d1: int, d2: int, n: int, lambdas: Array, alpha: float = 0.0,
               n_test: int | None = None) -> dict[str, Array]:
  """Every quantity of the sweep for one covariance.

  The teacher is `teacher_scale` × the population regression of y on x1. Simulated gains
  are paired: each seed's training set is shared by λ = 0 and every λ > 0.

  Args:
    sigma: (d1 + d2 + 1, d1 + d2 + 1) covariance of [x1, x2, y].
    teacher_scale: () multiplier of the Bayes teacher's weights (1 = calibrated).
    seed_keys: (S,) PRNG keys, used only when n_test is set (test samples).
    bartlett: (S, d2 + 2, d2 + 2) Bartlett factors, one training set per seed.
    d1, d2, n: dimensions and training-set size (static).
    lambdas: (L,) KD weights.
    alpha, n_test: as `simulate.simulate_risk` (static).

  Returns:
    Dict of arrays: 'i_ts', 'i_sy', 'gap', 'margin', 'r0', 'lam_star', 'gain_star',
    'sim_r0' of shape (); 'gain' (L,) exact ΔR(λ); 'sim_gain', 'sim_gain_se' (L + 1,)
    simulated mean ΔR and its standard error at [*lambdas, λ*].
  """
  w1 = teacher_scale * model.teacher_weights(sigma, d1, d2)
  factor = model.view_factor(sigma, w1, d1, d2)
  i_ts, i_sy = model.factor_mi_terms(factor)
  q = risk.factor_risk_quadratic(factor, n)
  lam_star = q.best_lambda()

  all_lam = jnp.concatenate([jnp.zeros(1), lambdas, lam_star[None]]).astype(factor.dtype)
  if n_test is None:  # exact test risk of each fitted student: a quadratic in λ per seed
    gram_factors = jnp.einsum("ij,sjk->sik", factor, bartlett)  # (S, d2 + 2, d2 + 2)
    fit = lambda m: simulate.fitted_risk_quadratic(
        factor, *simulate.fit_from_gram_factor(m, alpha))
    c0, c1, c2 = (c[:, None] for c in jax.vmap(fit)(gram_factors))  # each (S, 1)
    risks = c0 + 2.0 * all_lam * c1 + all_lam**2 * c2  # (S, L + 2)
  else:
    risks = jax.vmap(simulate.simulate_factor_risk, in_axes=(0, None, None, None, None, None))(
        seed_keys, factor, all_lam, n, alpha, n_test)
  sim_gain = risks[:, :1] - risks[:, 1:]  # paired: same training set for λ = 0 and λ
  n_seeds = bartlett.shape[0]
  return {
      "i_ts": i_ts, "i_sy": i_sy, "gap": i_ts - i_sy,
      "margin": q.b / (d2 / (n - d2 - 1.0)),  # Cov(y, y − t | x2): the exact rule
      "r0": q.r0, "lam_star": lam_star, "gain_star": q.gain(lam_star),
      "gain": q.gain(lambdas),
      "sim_r0": jnp.mean(risks[:, 0]),
      "sim_gain": jnp.mean(sim_gain, axis=0),
      "sim_gain_se": jnp.std(sim_gain, axis=0, ddof=1) / jnp.sqrt(n_seeds),
  }


@functools.partial(jax.jit, static_argnames=("d1", "d2", "n", "n_seeds", "alpha", "n_test"))
def sweep_cells(key: Array, sigma: Array, teacher_scale: Array, valid: Array, *, d1: int,
                d2: int, n: int, lambdas: Array, n_seeds: int, alpha: float = 0.0,
                n_test: int | None = None) -> dict[str, Array]:
  """`sweep_cell` vmapped over C cells; invalid cells come back as NaN.

  Args:
    key: PRNG key; seed s uses fold_in(key, s) in every cell (common random numbers).
    sigma: (C, D, D) covariances.
    teacher_scale: (C,) teacher weight multipliers.
    valid: (C,) bool mask.
    n_seeds: simulated training sets per cell (static).
    Remaining arguments as `sweep_cell`.

  Returns:
    Dict of arrays with a leading axis C (see `sweep_cell`).
  """
  seed_keys = jax.vmap(lambda s: jax.random.fold_in(key, s))(jnp.arange(n_seeds))
  bartlett = jax.vmap(lambda k: simulate.bartlett_factor(k, d2 + 2, n, sigma.dtype))(seed_keys)
  eye = jnp.eye(sigma.shape[-1], dtype=sigma.dtype)
  safe_sigma = jnp.where(valid[:, None, None], sigma, eye)  # keep invalid cells finite
  cell = functools.partial(sweep_cell, seed_keys=seed_keys, bartlett=bartlett, d1=d1, d2=d2,
                           n=n, lambdas=lambdas, alpha=alpha, n_test=n_test)
  out = jax.vmap(cell)(safe_sigma, teacher_scale)
  return jax.tree.map(
      lambda x: jnp.where(valid.reshape((-1,) + (1,) * (x.ndim - 1)), x, jnp.nan), out)
