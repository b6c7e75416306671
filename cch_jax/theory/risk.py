"""Exact expected test risk of the least-squares KD student under Gaussian design.

Derivation (see README, "The theory"). The student fits ŵ = (X2ᵀX2)⁻¹X2ᵀu by least
squares on n samples of the target u = (1−λ)y + λt. With v = [x2, y, t] Gaussian, write
u = x2ᵀβ_λ + ε_λ where ε_λ is independent of x2 with variance σ²_λ = Var(u | x2). Then
E[ŵ | X2] = β_λ, Cov(ŵ | X2) = σ²_λ (X2ᵀX2)⁻¹ and E[(X2ᵀX2)⁻¹] = Σ22⁻¹ / (n − d2 − 1), so

  R(λ) = E[(y − ŵᵀx2)²] = Var(y|x2) + (β_λ − w*)ᵀΣ22(β_λ − w*) + κ·Var(u|x2),
  κ = d2 / (n − d2 − 1),  valid for n > d2 + 1.

With β_λ − w* = λ·Σ22⁻¹(Σ2t − Σ2y), the risk is a quadratic in λ:

  R(λ) = R0 − 2λB + λ²A,
  R0 = (1 + κ)·Var(y|x2),
  B  = κ·(Var(y|x2) − Cov(y, t|x2)) = κ·Cov(y, y − t | x2),
  A  = D + κ·Var(y − t | x2),  D = (Σ2t − Σ2y)ᵀΣ22⁻¹(Σ2t − Σ2y).

Hence ΔR(λ) = R0 − R(λ) = λ(2B − λA), the optimal λ* = clip(B/A, 0, 1), and the exact
rule: some λ ∈ (0, 1] lowers the risk iff Cov(y, y − t | x2) > 0, for every n > d2 + 1.
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
from jax import Array

from cch_jax.theory import model
from cch_jax.utils import checks


class RiskQuadratic(NamedTuple):
  """R(λ) = r0 − 2λ·b + λ²·a; each field has shape (), or a common batch shape."""
  r0: Array
  a: Array
  b: Array

  def risk(self, lam: Array | float) -> Array:
    """R(λ), broadcast over `lam`."""
    return self.r0 - self.gain(lam)

  def gain(self, lam: Array | float) -> Array:
    """ΔR(λ) = R0 − R(λ) = λ(2B − λA), broadcast over `lam`; positive when KD helps."""
    lam = jnp.asarray(lam)
    return lam * (2.0 * self.b - lam * self.a)

  def best_lambda(self) -> Array:
    """argmin of R over [0, 1] = clip(B/A, 0, 1); 0 when R is flat (A = 0)."""
    positive = self.a > 0
    return jnp.where(positive, jnp.clip(self.b / jnp.where(positive, self.a, 1.0), 0, 1), 0.0)


def conditional_terms(factor: Array) -> tuple[Array, Array, Array, Array]:
  """(Var(y|x2), Var(t|x2), Cov(y,t|x2), D) from the view factor; each ().

  With the view factor L of [x2, y, t]: Cov([y, t] | x2) = L[d2:, d2:] L[d2:, d2:]ᵀ and
  D = |L22⁻¹(Σ2t − Σ2y)|² = |L[d2+1, :d2] − L[d2, :d2]|².
  """
  d2 = factor.shape[-1] - 2
  tail = factor[d2:, d2:]
  cond = tail @ tail.T
  delta = factor[d2 + 1, :d2] - factor[d2, :d2]
  return cond[0, 0], cond[1, 1], cond[0, 1], delta @ delta


def factor_risk_quadratic(factor: Array, n: Array | int) -> RiskQuadratic:
  """`risk_quadratic` from the view factor (d2 + 2, d2 + 2); unchecked."""
  d2 = factor.shape[-1] - 2
  var_y, var_t, cov_yt, d = conditional_terms(factor)
  n = jnp.asarray(n, dtype=factor.dtype)
  kappa = jnp.where(n > d2 + 1, d2 / jnp.where(n > d2 + 1, n - d2 - 1, 1.0), jnp.nan)
  return RiskQuadratic(r0=(1.0 + kappa) * var_y,
                       a=d + kappa * (var_y + var_t - 2.0 * cov_yt),
                       b=kappa * (var_y - cov_yt))


def risk_quadratic(sigma: Array, w1: Array | None, d1: int, d2: int, n: Array | int
                   ) -> RiskQuadratic:
  """Coefficients of the exact risk R(λ) = r0 − 2λb + λ²a of the least-squares student.

  Args:
    sigma: (d1 + d2 + 1, d1 + d2 + 1) covariance of [x1, x2, y].
    w1: (d1,) teacher weights, or None for the population regression of y on x1.
    d1, d2: block sizes (static).
    n: training-set size, () int; must exceed d2 + 1 (NaN when traced and invalid).
  """
  _validate(sigma, w1, d1, d2, n)
  return factor_risk_quadratic(model.view_factor(sigma, w1, d1, d2), n)


def expected_risk(sigma: Array, w1: Array | None, d1: int, d2: int, lam: Array | float,
                  n: Array | int) -> Array:
  """Exact E[(y − ŵ_λᵀx2)²] of the least-squares KD student; broadcasts over `lam`.

  Args: as `risk_quadratic`, plus lam: KD weight(s), any shape.

  Returns:
    Risk with the shape of `lam`.
  """
  return risk_quadratic(sigma, w1, d1, d2, n).risk(lam)


def risk_gain(sigma: Array, w1: Array | None, d1: int, d2: int, lam: Array | float,
              n: Array | int) -> Array:
  """ΔR(λ) = R0 − R(λ) = λ(2B − λA): positive when distilling at weight λ helps."""
  return risk_quadratic(sigma, w1, d1, d2, n).gain(lam)


def optimal_lambda(sigma: Array, w1: Array | None, d1: int, d2: int, n: Array | int
                   ) -> Array:
  """λ* = argmin over [0, 1] of the exact risk = clip(B/A, 0, 1); 0 when R is flat."""
  return risk_quadratic(sigma, w1, d1, d2, n).best_lambda()


def kd_margin(sigma: Array, w1: Array | None, d1: int, d2: int) -> Array:
  """Cov(y, y − t | x2) = Var(y|x2) − Cov(y, t|x2), shape ().

  The exact rule of the theory: some λ ∈ (0, 1] lowers the least-squares student's risk
  iff this margin is positive, whatever n > d2 + 1 (n only scales the gain).
  """
  model.validate_model(sigma, w1, d1, d2)
  var_y, _, cov_yt, _ = conditional_terms(model.view_factor(sigma, w1, d1, d2))
  return var_y - cov_yt


def _validate(sigma, w1, d1, d2, n) -> None:
  model.validate_model(sigma, w1, d1, d2)
  if checks.is_concrete(n):
    n_arr = checks.check_array("n", n)
    if (n_arr <= d2 + 1).any():
      raise ValueError(f"n: the exact risk needs n > d2 + 1 = {d2 + 1} training samples, "
                       f"got {n_arr.tolist()}")
