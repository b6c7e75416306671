"""The joint-Gaussian model of cross-modal KD and its CCH mutual-information terms.

Layout. z = [x1 (d1), x2 (d2), y (1)] ~ N(0, sigma): x1 is the teacher modality, x2 the
student modality, y the label. The teacher predicts t = w1ᵀx1 (by default the population
regression of y on x1); w* = Σ22⁻¹Σ2y is the population regression of y on x2.

Everything the student ever sees is the (d2 + 2)-dimensional Gaussian v = [x2, y, t]. Its
lower Cholesky factor L (the "view factor") holds every quantity the theory needs, with no
further solves:
  L[:d2, :d2]   = chol(Σ22),
  L[d2, :d2]    = (L22⁻¹Σ2y)ᵀ, so w*ᵀx2 has variance |L[d2, :d2]|²,
  L[d2+1, :d2]  = (L22⁻¹Σ2t)ᵀ,
  L[d2:, d2:]   = chol(Cov([y, t] | x2)).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from jax import Array

from cch_jax.theory import gaussian
from cch_jax.utils import checks, linalg


def teacher_weights(sigma: Array, d1: int, d2: int) -> Array:
  """Population regression of y on x1, shape (d1,): the Bayes linear teacher."""
  return gaussian.regression(sigma, np.arange(d1), np.array([d1 + d2]))[:, 0]


def student_view_covariance(sigma: Array, w1: Array | None, d1: int, d2: int) -> Array:
  """Covariance of v = [x2, y, t] with t = w1ᵀx1; (D, D) -> (d2 + 2, d2 + 2).

  Args:
    sigma: (d1 + d2 + 1, d1 + d2 + 1) covariance of [x1, x2, y].
    w1: (d1,) teacher weights, or None for the population regression of y on x1.
    d1, d2: block sizes (static).
  """
  sigma = jnp.asarray(sigma)
  w1 = teacher_weights(sigma, d1, d2) if w1 is None else jnp.asarray(w1, sigma.dtype)
  dim = d1 + d2 + 1
  keep = jnp.eye(dim, dtype=sigma.dtype)[d1:]  # rows selecting [x2, y]
  teacher_row = jnp.zeros((1, dim), sigma.dtype).at[0, :d1].set(w1)
  proj = jnp.concatenate([keep, teacher_row], axis=0)
  return proj @ sigma @ proj.T


def view_factor(sigma: Array, w1: Array | None, d1: int, d2: int) -> Array:
  """Lower Cholesky factor of Cov([x2, y, t]), (d2 + 2, d2 + 2); semi-definite allowed."""
  return linalg.cholesky(student_view_covariance(sigma, w1, d1, d2))


def factor_mi_terms(factor: Array) -> tuple[Array, Array]:
  """`mi_terms` from the view factor (d2 + 2, d2 + 2); unchecked."""
  d2 = factor.shape[-1] - 2
  ly, lt = factor[d2], factor[d2 + 1]  # rows: y and t as combinations of N(0, I)
  s = ly[:d2]  # w*ᵀx2 = projection of y on x2's coordinates
  var_s = s @ s
  i_ts = gaussian.correlation_mi(s @ lt[:d2], lt @ lt, var_s)
  i_sy = gaussian.correlation_mi(var_s, var_s, ly @ ly)
  return i_ts, i_sy


def mi_terms(sigma: Array, w1: Array | None, d1: int, d2: int) -> tuple[Array, Array]:
  """The two CCH quantities in nats: (I(w1ᵀx1; w*ᵀx2), I(w*ᵀx2; y)).

  The CCH predicts that KD helps when the first exceeds the second. A zero teacher
  (or student) direction has zero MI.

  Args:
    sigma: (d1 + d2 + 1, d1 + d2 + 1) covariance of [x1, x2, y].
    w1: (d1,) teacher weights, or None for the population regression of y on x1.
    d1, d2: block sizes (static).

  Returns:
    (i_teacher_student, i_student_label), each of shape ().
  """
  validate_model(sigma, w1, d1, d2)
  return factor_mi_terms(view_factor(sigma, w1, d1, d2))


def validate_model(sigma: Array, w1: Array | None, d1: int, d2: int) -> None:
  """Raises a clear error for bad model inputs (no-op on traced values)."""
  checks.check_positive_int("d1", d1)
  checks.check_positive_int("d2", d2)
  if not checks.is_concrete(sigma, w1):
    return
  s = checks.check_covariance("sigma", sigma, dim=d1 + d2 + 1)
  checks.check_positive_definite("sigma[x2, x2] (student block)", s[d1:d1 + d2, d1:d1 + d2])
  if w1 is None:
    checks.check_positive_definite("sigma[x1, x1] (teacher block)", s[:d1, :d1])
  else:
    checks.check_array("w1", w1, shape=(d1,))
