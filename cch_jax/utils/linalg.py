"""Small dense linear algebra in plain XLA ops, for batched use inside jit/vmap on CPU.

Why not `jnp.linalg`: on CPU, jaxlib 0.10.x runs batched LAPACK kernels (potrf, getrf,
syevd, ...) by fanning the batch out into XLA's intra-op thread pool and blocking until
it finishes. When as many such kernels run concurrently as the pool has threads (2 on a
2-core machine), every thread waits on work none can run: the program hangs, silently and
intermittently. (Reported upstream; the parallel path is compiled out of open-source
jaxlib from 0.11.) These loops vectorise over any batch shape, never block, and are fast
for the small matrices (d <= ~64) the engines factorise. Revisit once jax >= 0.11 is pinned.
"""

from __future__ import annotations

import jax.numpy as jnp
from jax import Array, lax

# Pivots at or below this fraction of the matrix scale count as zero (rank-deficient PSD).
PIVOT_TOL = 1e-6
# Loops over at most this many columns are unrolled (lets XLA fuse the small steps).
UNROLL_MAX = 32


def cholesky(a: Array) -> Array:
  """Lower Cholesky factor L (L Lᵀ = a) of symmetric positive semi-definite matrices.

  Rank-deficient input is accepted: a zero pivot gives a zero column (the
  semi-definite factor). Indefinite input (a pivot below −PIVOT_TOL·scale) gives NaN.

  Args:
    a: (..., d, d) symmetric matrices.

  Returns:
    (..., d, d) lower-triangular factors.
  """
  a = jnp.asarray(a)
  d = a.shape[-1]
  rows = jnp.arange(d)
  scale = jnp.max(jnp.abs(jnp.diagonal(a, axis1=-2, axis2=-1)), axis=-1, keepdims=True)
  tol = PIVOT_TOL * jnp.where(scale > 0, scale, 1.0)

  def column(j, l):
    # Entries L[j, k] for k >= j are still zero, so this sums over k < j only.
    a_col = lax.dynamic_index_in_dim(a, j, axis=-1, keepdims=False)  # (..., d)
    l_row = lax.dynamic_index_in_dim(l, j, axis=-2, keepdims=False)  # (..., d)
    residual = a_col - jnp.einsum("...ik,...k->...i", l, l_row)
    pivot = lax.dynamic_index_in_dim(residual, j, axis=-1, keepdims=True)
    root = jnp.sqrt(jnp.where(pivot > tol, pivot, 1.0))
    col = jnp.where(rows > j, residual / root, 0.0) + jnp.where(rows == j, root, 0.0)
    col = jnp.where(pivot > tol, col, 0.0)  # zero pivot: semi-definite, zero column
    col = jnp.where((pivot < -tol) | jnp.isnan(pivot), jnp.nan, col)  # indefinite
    return l.at[..., :, j].set(col)

  return lax.fori_loop(0, d, column, jnp.zeros_like(a), unroll=d <= UNROLL_MAX)


def solve_lower(l: Array, b: Array, transpose: bool = False) -> Array:
  """Solves L x = b (or Lᵀ x = b) for lower-triangular L by substitution.

  Zero diagonal entries (from a semi-definite factor) give x = 0 in that coordinate, i.e.
  the minimum-norm solution on the factor's range.

  Args:
    l: (..., d, d) lower-triangular.
    b: (..., d) or (..., d, k) right-hand sides.
    transpose: solve with Lᵀ (backward substitution) instead of L.

  Returns:
    x with the shape of b.
  """
  l, b = jnp.asarray(l), jnp.asarray(b)
  vector = b.ndim == l.ndim - 1
  b = b[..., None] if vector else b
  d = l.shape[-1]
  m = jnp.swapaxes(l, -1, -2) if transpose else l
  diag = jnp.diagonal(l, axis1=-2, axis2=-1)[..., None]  # (..., d, 1)
  safe = jnp.where(diag != 0, diag, 1.0)

  def step(i, x):
    j = d - 1 - i if transpose else i
    row = lax.dynamic_index_in_dim(m, j, axis=-2, keepdims=False)  # (..., d)
    rhs = lax.dynamic_index_in_dim(b, j, axis=-2, keepdims=False)  # (..., k)
    piv = lax.dynamic_index_in_dim(diag, j, axis=-2, keepdims=False)
    den = lax.dynamic_index_in_dim(safe, j, axis=-2, keepdims=False)
    xj = jnp.where(piv != 0, (rhs - jnp.einsum("...d,...dk->...k", row, x)) / den, 0.0)
    return lax.dynamic_update_index_in_dim(x, xj, j, axis=-2)

  x = lax.fori_loop(0, d, step, jnp.zeros_like(b), unroll=d <= UNROLL_MAX)
  return x[..., 0] if vector else x


def cho_solve(l: Array, b: Array) -> Array:
  """Solves (L Lᵀ) x = b given the Cholesky factor L; b is (..., d) or (..., d, k)."""
  return solve_lower(l, solve_lower(l, b), transpose=True)


def logdet(a: Array) -> Array:
  """log det of symmetric positive definite matrices (..., d, d) -> (...).

  Σ log a_ii + log det of the unit-diagonal rescaling D^-½ a D^-½ (D = diag a): the same
  value, but the Cholesky pivot tolerance is then relative to each variable's own scale,
  not the largest variance, so a small-scale coordinate is never taken for a zero pivot.
  −inf for singular PSD input, NaN for indefinite input (a negative diagonal entry too).
  """
  a = jnp.asarray(a)
  diag = jnp.diagonal(a, axis1=-2, axis2=-1)
  inv = 1.0 / jnp.sqrt(jnp.where(diag > 0, diag, 1.0))
  unit = a * inv[..., :, None] * inv[..., None, :]
  pivots = jnp.diagonal(cholesky(unit), axis1=-2, axis2=-1)
  return jnp.sum(jnp.log(diag), axis=-1) + 2.0 * jnp.sum(jnp.log(pivots), axis=-1)


def residual(y: Array, x: Array) -> Array:
  """y (n, dy) minus its least-squares projection on the columns of x (n, dx).

  Orthonormalises x by its Cholesky factor (q = x L⁻ᵀ, L Lᵀ = xᵀx) and projects twice
  ("twice is enough": the second pass removes the first's rounding), so the residual is
  accurate to rounding relative to |y| even when it is a tiny part of y: its covariance
  never comes from subtracting two nearly equal covariances. Rank-deficient x is
  accepted (its zero pivots give zero columns of q). Columns of x should be on one
  scale (standardise them first).
  """
  q = solve_lower(cholesky(x.T @ x), x.T).T
  r = y - q @ (q.T @ y)
  return r - q @ (q.T @ r)


def block_gaussian_mi(cov: Array, dim_x: int) -> Array:
  """I(X; Y) in nats of a Gaussian whose first `dim_x` coordinates are X, the rest Y.

  I(X; Y) = ½ [log det Σ_xx + log det Σ_yy − log det Σ]. Jittable (dim_x static).

  Args:
    cov: (..., d, d) joint covariances of [X, Y].
    dim_x: number of X coordinates, 0 < dim_x < d.

  Returns:
    (...) mutual information; +inf when X and Y are deterministically related.
  """
  cov = jnp.asarray(cov)
  return 0.5 * (logdet(cov[..., :dim_x, :dim_x]) + logdet(cov[..., dim_x:, dim_x:])
                - logdet(cov))
