"""Interpretable parametrisation of the joint Gaussian by three correlations.

Coordinates. x1[0] = a is the teacher modality's signal feature, x2[0] = b the student
modality's, and y the label, with unit variances and

  corr(a, b) = rho_ts   (teacher–student),
  corr(b, y) = rho_sy   (student–label),
  corr(a, y) = rho_ty   (teacher–label).

The other d1 − 1 and d2 − 1 features are independent N(0, 1) nuisance features: they carry
no information but cost the least-squares student variance (κ = d2 / (n − d2 − 1)).
Least squares is rotation-equivariant, so placing the signal on the first axis loses no
generality for the student's risk.

For the Bayes teacher t ∝ a and student w*ᵀx2 ∝ b, so the CCH terms are simply
I(t; w*ᵀx2) = −½log(1 − rho_ts²) and I(w*ᵀx2; y) = −½log(1 − rho_sy²).

A triple is valid iff its 3×3 correlation matrix is positive definite; invalid cells are
kept, flagged in `valid` and counted, never clipped.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array

from cch_jax.utils import checks

# A cell is valid when the smallest eigenvalue of its 3x3 correlation matrix exceeds this.
MIN_EIGENVALUE = 1e-4


def correlation_sigma(rho_ts: Array, rho_sy: Array, rho_ty: Array, d1: int, d2: int
                      ) -> Array:
  """Covariance of [x1, x2, y] for one correlation triple; (d1 + d2 + 1, d1 + d2 + 1).

  Jittable and vmappable over the three correlations; d1, d2 are static.
  """
  dim = d1 + d2 + 1
  a, b, y = 0, d1, dim - 1
  sigma = jnp.eye(dim, dtype=jnp.result_type(rho_ts, float))
  for (i, j), rho in (((a, b), rho_ts), ((b, y), rho_sy), ((a, y), rho_ty)):
    sigma = sigma.at[i, j].set(rho).at[j, i].set(rho)
  return sigma


def correlation_valid(rho_ts: np.ndarray, rho_sy: np.ndarray, rho_ty: np.ndarray
                      ) -> np.ndarray:
  """True where the 3×3 correlation matrix is positive definite (margin MIN_EIGENVALUE).

  Host-side NumPy (grid construction is set-up, not a hot path); inputs broadcast.
  """
  ts, sy, ty = np.broadcast_arrays(*(np.asarray(x, np.float64) for x in (rho_ts, rho_sy,
                                                                         rho_ty)))
  corr = np.broadcast_to(np.eye(3), ts.shape + (3, 3)).copy()
  for (i, j), rho in (((0, 1), ts), ((1, 2), sy), ((0, 2), ty)):
    corr[..., i, j] = corr[..., j, i] = rho
  return np.linalg.eigvalsh(corr)[..., 0] > MIN_EIGENVALUE


@dataclasses.dataclass(frozen=True)
class CorrelationGrid:
  """The Cartesian product of correlation values, flattened to C cells.

  Attributes:
    sigma: (C, D, D) covariances of [x1, x2, y], D = d1 + d2 + 1 (invalid cells included).
    rho_ts, rho_sy, rho_ty: (C,) the correlations of each cell.
    valid: (C,) bool, False where the correlations admit no positive definite covariance.
    d1, d2: block sizes.
  """
  sigma: np.ndarray
  rho_ts: np.ndarray
  rho_sy: np.ndarray
  rho_ty: np.ndarray
  valid: np.ndarray
  d1: int
  d2: int

  @property
  def n_cells(self) -> int:
    return len(self.valid)

  @property
  def n_invalid(self) -> int:
    return int(np.sum(~self.valid))


def correlation_grid(rho_ts: Sequence[float], rho_sy: Sequence[float],
                     rho_ty: Sequence[float], d1: int = 1, d2: int = 1) -> CorrelationGrid:
  """Builds every combination of the given correlation values (row-major: rho_ts slowest).

  Args:
    rho_ts, rho_sy, rho_ty: 1-D sequences of correlations in (−1, 1).
    d1, d2: teacher and student modality dimensions.

  Returns:
    A CorrelationGrid with C = len(rho_ts)·len(rho_sy)·len(rho_ty) cells.
  """
  d1, d2 = checks.check_positive_int("d1", d1), checks.check_positive_int("d2", d2)
  axes = {}
  for name, values in (("rho_ts", rho_ts), ("rho_sy", rho_sy), ("rho_ty", rho_ty)):
    values = checks.check_array(name, values, shape=(None,))
    if values.size == 0 or np.any(np.abs(values) >= 1):
      raise ValueError(f"{name}: expected a non-empty list of correlations in (-1, 1), "
                       f"got {values.tolist()}")
    axes[name] = values
  cells = np.array(list(itertools.product(*axes.values())), dtype=np.float32)
  ts, sy, ty = (jnp.asarray(cells[:, i]) for i in range(3))
  sigma = jax.vmap(correlation_sigma, in_axes=(0, 0, 0, None, None))(ts, sy, ty, d1, d2)
  valid = correlation_valid(cells[:, 0], cells[:, 1], cells[:, 2])
  return CorrelationGrid(sigma=np.asarray(sigma), rho_ts=cells[:, 0], rho_sy=cells[:, 1],
                         rho_ty=cells[:, 2], valid=valid, d1=d1, d2=d2)
