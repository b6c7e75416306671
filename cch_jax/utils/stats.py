"""The statistical formulas of the package, each written once (NumPy and SciPy, no JAX).

  lo, hi = z_interval(value, se)              # value ± Z95·se
  ci = t_interval(per_seed)                   # mean, std, se, ci_low, ci_high (Student t)
  lo, hi = quadrature_interval(d, (lo_a, hi_a), (lo_b, hi_b))   # independent errors
  ci_side(lo, hi)                             # +1 above 0, −1 below 0, 0 covers 0
  rho, p = spearman(a, b)                     # (None, None) when undefined
  t_quantile(9)                               # 2.262: the 95% two-sided t multiplier
  holm([0.01, 0.04, None])                    # Holm-adjusted p-values, None kept

Every interval is two-sided at 95%.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import scipy.stats

# The 0.975 quantile of the standard normal: the half-width of a 95% z interval in se.
Z95 = float(scipy.stats.norm.ppf(0.975))  # 1.959963984540054

Interval = tuple[float, float]


class MeanInterval(NamedTuple):
  """The mean of a few values with its Student-t 95% CI (see `t_interval`)."""
  mean: float
  std: float
  se: float
  ci_low: float
  ci_high: float


def z_interval(value: Any, se: Any) -> tuple[Any, Any]:
  """(value − Z95·se, value + Z95·se); floats or broadcastable arrays."""
  return value - Z95 * se, value + Z95 * se


def standard_error(values: Any) -> float:
  """Standard error of the mean of (n,) values: std (ddof 1) / √n; NaN for n < 2."""
  v = np.asarray(values, np.float64)
  return float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else float("nan")


def t_interval(values: Any) -> MeanInterval:
  """Mean of (n,) values with a 95% Student-t CI (n − 1 degrees of freedom).

  std is the ddof-1 standard deviation, 0.0 for one value; se and the CI are NaN for one
  value (no spread to measure).
  """
  v = np.asarray(values, np.float64)
  if v.ndim != 1 or len(v) == 0:
    raise ValueError(f"values: expected a non-empty 1-D sequence, got shape {v.shape}")
  mean, se = float(v.mean()), standard_error(v)
  std = float(v.std(ddof=1)) if len(v) > 1 else 0.0
  half = float(scipy.stats.t.ppf(0.975, len(v) - 1) * se) if len(v) > 1 else float("nan")
  return MeanInterval(mean, std, se, mean - half, mean + half)


def t_quantile(dof: float, q: float = 0.975) -> float:
  """The q quantile of Student's t with `dof` degrees of freedom (the normal's for
  dof = inf; NaN for dof <= 0 or NaN). q = 0.975 gives a 95% two-sided half-width in SEs."""
  if not dof > 0:
    return float("nan")
  return float(scipy.stats.norm.ppf(q) if math.isinf(dof) else scipy.stats.t.ppf(q, dof))


def welch_dof(se_a: float, dof_a: float, se_b: float, dof_b: float) -> float:
  """Welch–Satterthwaite degrees of freedom of √(se_a² + se_b²); inf when both are 0."""
  num = (se_a**2 + se_b**2) ** 2
  den = (se_a**4 / dof_a if se_a else 0.0) + (se_b**4 / dof_b if se_b else 0.0)
  return float(num / den) if den > 0 else math.inf


def quadrature(*widths: float) -> float:
  """√(Σ wᵢ²): the combined half-width (or standard error) of independent errors."""
  return math.hypot(*widths)


def quadrature_interval(value: float, *intervals: Interval) -> Interval:
  """value ± the quadrature of the intervals' half-widths: the CI of a sum or difference
  of independent estimates, given each one's (low, high)."""
  half = quadrature(*((high - low) / 2 for low, high in intervals))
  return value - half, value + half


def ci_side(low: Any, high: Any) -> Any:
  """Which side of 0 an interval lies on: +1 above (low > 0), −1 below (high < 0), 0 when
  it covers 0 or is NaN. Scalars give an int; arrays an int array of their shape."""
  side = np.where(np.asarray(low) > 0, 1, np.where(np.asarray(high) < 0, -1, 0))
  return int(side) if side.ndim == 0 else side


def spearman(a: Sequence[float], b: Sequence[float]
             ) -> tuple[float, float] | tuple[None, None]:
  """Spearman's (rho, two-sided p) of paired (n,) values; (None, None) when it is
  undefined: n < 3, or either side constant (or NaN)."""
  a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
  if a.shape != b.shape or a.ndim != 1:
    raise ValueError(f"a, b: expected two 1-D sequences of one length, got shapes "
                     f"{a.shape} and {b.shape}")
  if len(a) < 3 or not np.ptp(a) > 0 or not np.ptp(b) > 0:
    return None, None
  rho, p = scipy.stats.spearmanr(a, b)
  return float(rho), float(p)


def holm(p_values: Sequence[float | None]) -> list[float | None]:
  """Holm–Bonferroni adjusted p-values of (m,) tests, in the input order.

  With the m' p-values present sorted ascending, p_(1) ≤ … ≤ p_(m'), the adjusted
  p_(i) is min(1, max_{j ≤ i} (m' − j + 1)·p_(j)): the step-down is monotone, so
  rejecting where the adjusted p ≤ α controls the family-wise error rate at α. Entries
  that are None (or NaN) are no test: they are not counted in m' and come back None.
  Example: [0.01, 0.04, 0.03, 0.2] -> [0.04, 0.09, 0.09, 0.2].
  """
  present = [i for i, p in enumerate(p_values) if p is not None and not math.isnan(p)]
  out: list[float | None] = [None] * len(p_values)
  running = 0.0
  for rank, i in enumerate(sorted(present, key=lambda i: p_values[i])):
    running = max(running, min(1.0, (len(present) - rank) * float(p_values[i])))
    out[i] = running
  return out
