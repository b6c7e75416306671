"""Monte Carlo test risk of the KD student (least squares or ridge), for checking the
exact formula and for the ridge case, which has no closed form here.

A fitted student depends on its n training samples of v = [x2, y, t] only through their
Gram matrix VᵀV ~ Wishart(n, Σv). We draw its Cholesky factor directly as L·A (L the view
factor, A a Bartlett factor): exact in law, (d2 + 2)(d2 + 3)/2 random numbers instead of
n(d2 + 2), and no factorisation. Sweeps share the Bartlett factors of a seed across
cells (common random numbers), which makes the random draws nearly free."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax import Array

from cch_jax.theory import model
from cch_jax.utils import checks, linalg


def bartlett_factor(key: Array, p: int, n: int, dtype=jnp.float32) -> Array:
  """Lower-triangular A with A Aᵀ ~ Wishart_p(n, I) (Bartlett decomposition); (p, p).

  A[i, i] = sqrt(χ²(n − i)), A[i, j] ~ N(0, 1) for i > j. For a view factor L, L·A is then
  exactly distributed as the Cholesky factor of the Gram matrix VᵀV of n samples of
  v ~ N(0, L Lᵀ). Degrees of freedom below 1 (rows i >= n, which never enter a fit with
  n >= d2) are clamped to 1.
  """
  diag_key, below_key = jax.random.split(key)
  dof = jnp.maximum(n - jnp.arange(p), 1).astype(dtype)
  diag = jnp.sqrt(jax.random.chisquare(diag_key, dof, dtype=dtype))
  below = jnp.tril(jax.random.normal(below_key, (p, p), dtype), k=-1)
  return below + jnp.diag(diag)


def fit_from_gram_factor(gram_factor: Array, alpha: float = 0.0) -> tuple[Array, Array]:
  """Student weights fitted to y and to t from the Cholesky factor of the Gram matrix.

  With M = chol(VᵀV) (lower, ordered [x2, y, t]): X2ᵀX2 = M22 M22ᵀ and
  X2ᵀ[y, t] = M22 M[d2:, :d2]ᵀ, so least squares is one back-substitution,
  ŵ = M22⁻ᵀ M[d2:, :d2]ᵀ; ridge solves (M22 M22ᵀ + αI) ŵ = M22 M[d2:, :d2]ᵀ. The fit is
  linear in the target, so the KD student is ŵ_λ = ŵ_y + λ(ŵ_t − ŵ_y).

  Args:
    gram_factor: (d2 + 2, d2 + 2) lower-triangular M.
    alpha: ridge strength on the sum of squares (static); 0 = least squares.

  Returns:
    (ŵ_y, ŵ_t), each (d2,).
  """
  d2 = gram_factor.shape[-1] - 2
  m22, m_targets = gram_factor[:d2, :d2], gram_factor[d2:, :d2].T  # (d2, d2), (d2, 2)
  if alpha == 0.0:
    w = linalg.solve_lower(m22, m_targets, transpose=True)
  else:
    gram = m22 @ m22.T + alpha * jnp.eye(d2, dtype=m22.dtype)
    w = linalg.cho_solve(linalg.cholesky(gram), m22 @ m_targets)
  return w[:, 0], w[:, 1]


def fitted_risk_quadratic(factor: Array, w_y: Array, w_t: Array) -> tuple[Array, Array, Array]:
  """Exact test risk of ŵ_λ = ŵ_y + λ(ŵ_t − ŵ_y) as c0 + 2λ·c1 + λ²·c2; each ().

  With the view factor L, y − ŵᵀx2 = (L[y] − ŵᵀL[x2])·z for z ~ N(0, I), so the risk is
  |r_y + λ(r_t − r_y)|² with r = L[y] − ŵᵀL[x2].
  """
  d2 = factor.shape[-1] - 2
  r_y = factor[d2] - w_y @ factor[:d2]
  delta = (w_y - w_t) @ factor[:d2]  # r_t − r_y
  return r_y @ r_y, r_y @ delta, delta @ delta


@functools.partial(jax.jit, static_argnames=("n", "alpha", "n_test"))
def simulate_factor_risk(key: Array, factor: Array, lam: Array, n: int, alpha: float = 0.0,
                         n_test: int | None = None) -> Array:
  """`simulate_risk` from the view factor (d2 + 2, d2 + 2); unchecked."""
  d2 = factor.shape[-1] - 2
  fit_key, test_key = jax.random.split(key)
  w_y, w_t = fit_from_gram_factor(factor @ bartlett_factor(fit_key, d2 + 2, n, factor.dtype),
                                  alpha)
  if n_test is None:
    c0, c1, c2 = fitted_risk_quadratic(factor, w_y, w_t)
    return c0 + 2.0 * lam * c1 + lam**2 * c2
  v = jax.random.normal(test_key, (n_test, d2 + 2), factor.dtype) @ factor.T
  weights = w_y + lam.reshape(-1)[:, None] * (w_t - w_y)
  risk = jnp.mean((v[:, d2][None, :] - weights @ v[:, :d2].T) ** 2, axis=1)
  return risk.reshape(lam.shape)


def simulate_risk(key: Array, sigma: Array, w1: Array | None, d1: int, d2: int,
                  lam: Array | float, n: int, alpha: float = 0.0, n_test: int | None = None
                  ) -> Array:
  """Test risk E[(y − ŵ_λᵀx2)²] of a student fitted on one random training set.

  One key is one training set; average over keys (e.g. `jax.vmap` over
  `jax.random.split(key, seeds)`) for the Monte Carlo estimate of the expected risk.

  Args:
    key: PRNG key.
    sigma: (d1 + d2 + 1, d1 + d2 + 1) covariance of [x1, x2, y].
    w1: (d1,) teacher weights, or None for the population regression of y on x1.
    d1, d2: block sizes (static).
    lam: KD weight(s), any shape; all share the same training set.
    n: training-set size (static), n >= d2. The training set enters only through its
      Gram matrix, drawn exactly from its Wishart law, so the cost does not grow with n.
    alpha: ridge strength (sum-of-squares convention, as scikit-learn); 0 = least squares.
    n_test: None to evaluate the fitted weights' exact test risk (no test noise), or the
      number of fresh test samples to average the squared error over.

  Returns:
    Risk with the shape of `lam`.
  """
  model.validate_model(sigma, w1, d1, d2)
  n = checks.check_positive_int("n", n, minimum=d2)
  if n_test is not None:
    n_test = checks.check_positive_int("n_test", n_test)
  if not isinstance(alpha, (int, float)) or not alpha >= 0:
    raise ValueError(f"alpha: expected a ridge strength >= 0 (a Python float), got {alpha!r}")
  if checks.is_concrete(lam):
    checks.check_array("lam", lam)
  factor = model.view_factor(sigma, w1, d1, d2)
  return simulate_factor_risk(key, factor, jnp.asarray(lam, factor.dtype), n, float(alpha),
                              n_test)
