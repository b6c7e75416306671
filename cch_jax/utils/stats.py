"""The statistical formulas of the package, each written once (NumPy and SciPy, no JAX).

  lo, hi = z_interval(value, se)              # value ± Z95·se
  ci = t_interval(per_seed)                   # mean, std, se, ci_low, ci_high (Student t)
  lo, hi = quadrature_interval(d, (lo_a, hi_a), (lo_b, hi_b))   # independent errors
  ci_side(lo, hi)                             # +1 above 0, −1 below 0, 0 covers 0
  rho, p = spearman(a, b)                     # (None, None) when undefined
  t_quantile(9)                               # 2.262: the 95% two-sided t multiplier
  holm([0.01, 0.04, None])                    # Holm-adjusted p-values, None kept
  lo, hi = clopper_pearson(4, 5)              # exact binomial CI of 4 successes in 5
  balanced_accuracy(pred, actual)             # ±1 predictions (0 abstains) vs ±1 truth
  lo, hi = bootstrap_interval(stat, n, groups=g)  # percentile bootstrap, items or clusters
  auroc(scores, positive)                     # Mann–Whitney U / (n_pos·n_neg), ties ½
  ci = resampled_t_interval(per_split, n_train, n_test)  # Nadeau–Bengio corrected t

Every interval is two-sided at 95% (`clopper_pearson` and `bootstrap_interval` take
another `level`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
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


def clopper_pearson(k: int, n: int, level: float = 0.95) -> Interval:
  """Exact (Clopper–Pearson) two-sided CI of a binomial proportion, k successes of n:
  Beta quantiles, low 0 when k = 0 and high 1 when k = n; (NaN, NaN) for n = 0."""
  if not 0 <= k <= n:
    raise ValueError(f"k, n: expected 0 <= k <= n, got k = {k}, n = {n}")
  if not 0 < level < 1:
    raise ValueError(f"level: expected a value in (0, 1), got {level}")
  if n == 0:
    return float("nan"), float("nan")
  tail = (1 - level) / 2
  low = float(scipy.stats.beta.ppf(tail, k, n - k + 1)) if k > 0 else 0.0
  high = float(scipy.stats.beta.ppf(1 - tail, k + 1, n - k)) if k < n else 1.0
  return low, high


def balanced_accuracy(predicted: Any, actual: Any) -> float:
  """Mean over the classes present in `actual` ((n,) in {+1, −1}) of the share of that
  class's items that `predicted` ((n,) in {+1, −1, 0}; 0 abstains, a miss) gets right.

  A constant rule scores 0.5 when both classes are present; NaN for n = 0.
  """
  p, a = np.asarray(predicted, np.float64), np.asarray(actual, np.float64)
  if p.ndim != 1 or p.shape != a.shape:
    raise ValueError(f"predicted, actual: expected two 1-D sequences of one length, got "
                     f"shapes {p.shape} and {a.shape}")
  if not np.isin(p, (-1.0, 0.0, 1.0)).all():
    raise ValueError(f"predicted: expected values in {{+1, -1, 0}}, got {np.unique(p)}")
  if not np.isin(a, (-1.0, 1.0)).all():
    raise ValueError(f"actual: expected values in {{+1, -1}}, got {np.unique(a)}")
  if len(a) == 0:
    return float("nan")
  return float(np.mean([np.mean(p[a == c] == c) for c in np.unique(a)]))


def bootstrap_interval(statistic: Callable[[np.ndarray], float], n: int,
                       n_boot: int = 2000, seed: int = 0, groups: Any = None,
                       level: float = 0.95) -> Interval:
  """Percentile bootstrap CI of `statistic(indices)`, indices into n items.

  Each of the n_boot replicates draws n item indices with replacement, or, with `groups`
  ((n,) labels), a cluster bootstrap: as many groups as there are, with replacement, each
  bringing all its items. NaN replicates are dropped; (NaN, NaN) when none is finite.
  Deterministic for a seed.
  """
  if n < 1 or n_boot < 1:
    raise ValueError(f"n, n_boot: expected both >= 1, got n = {n}, n_boot = {n_boot}")
  if not 0 < level < 1:
    raise ValueError(f"level: expected a value in (0, 1), got {level}")
  rng = np.random.default_rng(seed)
  members = None
  if groups is not None:
    g = np.asarray(groups)
    if g.shape != (n,):
      raise ValueError(f"groups: expected shape ({n},), got {g.shape}")
    _, label = np.unique(g, return_inverse=True)
    order = np.argsort(label, kind="stable")
    members = np.split(order, np.cumsum(np.bincount(label))[:-1])
  reps = np.empty(n_boot)
  for b in range(n_boot):
    if members is None:
      idx = rng.integers(0, n, n)
    else:
      drawn = rng.integers(0, len(members), len(members))
      idx = np.concatenate([members[j] for j in drawn])
    reps[b] = statistic(idx)
  reps = reps[np.isfinite(reps)]
  if len(reps) == 0:
    return float("nan"), float("nan")
  low, high = np.quantile(reps, [(1 - level) / 2, (1 + level) / 2])
  return float(low), float(high)


def auroc(scores: Any, positive: Any) -> float:
  """Area under the ROC curve of (n,) real scores for (n,) boolean labels: the
  Mann–Whitney U / (n_pos·n_neg), ties counted ½ (average ranks). NaN when either class
  is empty or any score is NaN."""
  s, y = np.asarray(scores, np.float64), np.asarray(positive)
  if s.ndim != 1 or s.shape != y.shape:
    raise ValueError(f"scores, positive: expected two 1-D sequences of one length, got "
                     f"shapes {s.shape} and {y.shape}")
  if y.dtype != bool:
    if not np.isin(y, (0, 1)).all():
      raise ValueError(f"positive: expected booleans (or 0/1), got {np.unique(y)}")
    y = y.astype(bool)
  n_pos, n_neg = int(y.sum()), int((~y).sum())
  if n_pos == 0 or n_neg == 0 or np.isnan(s).any():
    return float("nan")
  u = scipy.stats.rankdata(s)[y].sum() - n_pos * (n_pos + 1) / 2
  return float(u / (n_pos * n_neg))


def resampled_t_interval(values: Any, n_train: int, n_test: int) -> MeanInterval:
  """Mean of (J,) values measured on J random train/test re-splits of one data set, with
  the corrected resampled t CI of Nadeau & Bengio (2003): se = std (ddof 1) ·
  √(1/J + n_test/n_train), Student t with J − 1 dof. Edge rules as `t_interval`."""
  v = np.asarray(values, np.float64)
  if v.ndim != 1 or len(v) == 0:
    raise ValueError(f"values: expected a non-empty 1-D sequence, got shape {v.shape}")
  if not n_train > 0 or not n_test >= 0:
    raise ValueError(f"n_train, n_test: expected n_train > 0 and n_test >= 0, got "
                     f"{n_train} and {n_test}")
  mean, j = float(v.mean()), len(v)
  if j == 1:
    return MeanInterval(mean, 0.0, float("nan"), float("nan"), float("nan"))
  std = float(v.std(ddof=1))
  se = std * math.sqrt(1 / j + n_test / n_train)
  half = float(scipy.stats.t.ppf(0.975, j - 1) * se)
  return MeanInterval(mean, std, se, mean - half, mean + half)
