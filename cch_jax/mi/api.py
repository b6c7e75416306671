"""`estimate(x, y, method, key, **options) -> MIEstimate`: the one public entry point.

Checks the input once, runs the registered estimator, and attaches a 95% CI (half-sampling
for deterministic estimators) and, on request, a permutation null.
"""

from __future__ import annotations

import inspect
from typing import Any

import jax
import numpy as np

from cch_jax.mi import base, neural, uncertainty
from cch_jax.utils import stats


def estimate(x: Any, y: Any, method: str = "ksg", key: jax.Array | None = None, *,
             n_resamples: int = 20, n_permutations: int = 0, **options: Any
             ) -> base.MIEstimate:
  """Estimates I(X; Y) in nats with a 95% confidence interval.

  Args:
    x: (n,) or (n, dx) real samples.
    y: (n,) or (n, dy) real samples, or (n,) integer class labels for label methods.
    method: registry name: see `cch_jax.mi.ESTIMATORS`.
    key: PRNG key for resampling and permutations (default: key 0).
    n_resamples: random halves for the CI (0: no CI).
    n_permutations: shuffles of y for a permutation null (0: none).
    **options: the method's own options (e.g. k, norm for 'ksg').

  Returns:
    An MIEstimate; diagnostics hold 'ci' (how the CI was made), 'half_samples' (the
    values on the random halves: the same halves for every call with the same key and n,
    so two terms' halves pair up) and their mean, the null summary when requested, and
    'warnings'.
  """
  est = base.ESTIMATORS[method]
  check_options(method, options)
  xs, ys, options = _checked_samples(method, est, x, y, options)
  key = jax.random.key(0) if key is None else key
  diagnostics: dict[str, Any] = {"options": options, "warnings": []}
  if est.randomized:
    if n_permutations:
      raise ValueError(f"n_permutations: not supported for {method!r} yet (each shuffle "
                       "would retrain every critic); use a kNN method for a null")
    return _randomized_estimate(method, est, xs, ys, key, options, diagnostics)
  return _deterministic_estimate(method, est, xs, ys, key, options, diagnostics,
                                 n_resamples, n_permutations)


def _checked_samples(method: str, est: base.Estimator, x: Any, y: Any,
                     options: dict[str, Any]
                     ) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
  """x (n, dx) and y (n, dy) or labels (n,) checked for `method`, and its options (label
  methods get 'n_classes'); raises a ValueError naming the argument."""
  xs = base.as_samples("x", x, allow_constant=est.randomized)
  if est.labels:
    ys = base.as_labels("y", y)
    options = {"n_classes": int(ys.max()) + 1} | options
  else:
    if base.is_labels(y):
      raise ValueError(f"y: method {method!r} expects continuous y; integer labels need a "
                       "label method ('label_knn')")
    ys = base.as_samples("y", y, allow_constant=est.randomized)
  n = len(xs)
  if len(ys) != n:
    raise ValueError(f"x, y: expected the same number of samples, got {n} and {len(ys)}")
  min_n = est.min_samples(**options)
  if n < min_n:
    raise ValueError(f"x: method {method!r} needs at least {min_n} samples with these "
                     f"options, got {n}")
  return xs, ys, options


def _deterministic_estimate(method: str, est: base.Estimator, xs: np.ndarray, ys: np.ndarray,
                            key: jax.Array, options: dict[str, Any],
                            diagnostics: dict[str, Any], n_resamples: int,
                            n_permutations: int) -> base.MIEstimate:
  """The value on all pairs; z CI from the spread over random halves; optional null."""
  key_ci, key_null = jax.random.split(key)
  static = tuple(sorted(options.items()))
  value = float(est.fn(xs, ys, **options))
  n = len(xs)
  low = high = float("nan")
  if n_resamples and n // 2 >= est.min_samples(**options):
    halves = np.asarray(uncertainty.half_sample_values(est.fn, static, xs, ys, key_ci,
                                                       n_resamples))
    low, high = stats.z_interval(value, float(np.std(halves, ddof=1)))
    diagnostics.update(ci=f"half-sampling, {n_resamples} halves",
                       half_sample_mean=float(np.mean(halves)), half_samples=halves.tolist())
  else:
    diagnostics["ci"] = "none"
    diagnostics["warnings"].append("no CI: too few samples for half-sampling or n_resamples=0")
  if n_permutations:
    null = np.asarray(uncertainty.permutation_null(est.fn, static, xs, ys, key_null,
                                                   n_permutations))
    diagnostics.update(uncertainty.null_summary(value, null))
  return base.MIEstimate(value, low, high, method, n, diagnostics)


def _randomized_estimate(method, est, xs, ys, key, options, diagnostics) -> base.MIEstimate:
  """Mean over seeds (each its own split); CI from their spread (Student t, S − 1 dof)."""
  values, curves = est.fn(xs, ys, key, **options)
  values = np.asarray(values, np.float64)
  ci = stats.t_interval(values)
  if len(values) > 1:
    diagnostics["ci"] = f"repeated splits, {len(values)} seeds (Student t)"
  else:
    diagnostics["ci"] = "none"
    diagnostics["warnings"].append("no CI from a single seed")
  diagnostics["per_seed"] = values.tolist()
  diagnostics["warnings"] += neural.training_warnings(
      curves, ci.mean, method, options.get("batch", 512))
  return base.MIEstimate(ci.mean, ci.ci_low, ci.ci_high, method, len(xs), diagnostics)


def check_options(method: str, options: dict[str, Any]) -> None:
  """Raises a ValueError naming any option `method` does not take (and the known ones)."""
  params = inspect.signature(base.ESTIMATORS[method].fn).parameters
  known = [p for p in params if p not in ("x", "y", "labels", "n_classes", "key", "bound")]
  unknown = sorted(set(options) - set(known))
  if unknown:
    raise ValueError(f"options: unknown option(s) {unknown} for method {method!r}; "
                     f"known: {known}")
