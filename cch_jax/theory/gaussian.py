"""Closed-form algebra of a zero-mean Gaussian: log-determinants, block MI, regressions.

All functions are jittable and vmappable; MI is in nats.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax.numpy as jnp
import numpy as np
from jax import Array

from cch_jax.utils import checks, linalg

Index = Sequence[int] | Array | np.ndarray


def submatrix(sigma: Array, rows: Index, cols: Index | None = None) -> Array:
  """sigma[rows][:, cols] for integer index vectors (works with traced indices)."""
  rows = jnp.asarray(rows)
  cols = rows if cols is None else jnp.asarray(cols)
  return sigma[rows[:, None], cols[None, :]]


def gaussian_mi(sigma: Array, idx_a: Index, idx_b: Index) -> Array:
  """I(A; B) in nats between two blocks of a zero-mean Gaussian with covariance `sigma`.

  I(A; B) = ½ [log det Σ_AA + log det Σ_BB − log det Σ_(A∪B)].
  The result is +inf when A and B are deterministically related.

  Args:
    sigma: (D, D) covariance.
    idx_a: (a,) integer indices of block A.
    idx_b: (b,) integer indices of block B, disjoint from A.

  Returns:
    () mutual information in nats.
  """
  if checks.is_concrete(sigma, idx_a, idx_b):
    s = checks.check_covariance("sigma", sigma)
    a, b = _check_index("idx_a", idx_a, len(s)), _check_index("idx_b", idx_b, len(s))
    if np.intersect1d(a, b).size:
      raise ValueError(f"idx_a, idx_b: expected disjoint blocks, both contain "
                       f"{np.intersect1d(a, b).tolist()}")
    checks.check_positive_definite("sigma[idx_a, idx_a]", s[np.ix_(a, a)])
    checks.check_positive_definite("sigma[idx_b, idx_b]", s[np.ix_(b, b)])
  idx_a = jnp.asarray(idx_a)
  joint = jnp.concatenate([idx_a, jnp.asarray(idx_b)])
  return linalg.block_gaussian_mi(submatrix(jnp.asarray(sigma), joint), idx_a.shape[0])


def correlation_mi(cov_ab: Array, var_a: Array, var_b: Array) -> Array:
  """I(a; b) = −½ log(1 − ρ²) of two scalar Gaussians; 0 when either variance is 0."""
  denom = var_a * var_b
  rho2 = jnp.where(denom > 0, cov_ab**2 / jnp.where(denom > 0, denom, 1.0), 0.0)
  return -0.5 * jnp.log1p(-jnp.minimum(rho2, 1.0))


def regression(sigma: Array, idx_x: Index, idx_y: Index) -> Array:
  """Population least-squares coefficients of y on x: Σ_xx⁻¹ Σ_xy, shape (|x|, |y|)."""
  return linalg.cho_solve(linalg.cholesky(submatrix(sigma, idx_x)),
                          submatrix(sigma, idx_x, idx_y))


def _check_index(name: str, idx: Index, dim: int) -> np.ndarray:
  idx = np.asarray(idx)
  if idx.ndim != 1 or idx.size == 0 or not np.issubdtype(idx.dtype, np.integer):
    raise ValueError(f"{name}: expected a non-empty 1-D sequence of integers, got {idx!r}")
  if idx.min() < 0 or idx.max() >= dim:
    raise ValueError(f"{name}: indices must lie in [0, {dim}), got {idx.tolist()}")
  if len(np.unique(idx)) != len(idx):
    raise ValueError(f"{name}: indices must be distinct, got {idx.tolist()}")
  return idx
