"""`estimate(x, y, method, key, **options) -> MIEstimate`: the one public entry point.

Checks the input once, runs the registered estimator, and attaches a 95% CI and, on
request, a permutation null. Both kinds of CI rest on half-sampling (`uncertainty`): an
estimate on a random half of the n rows spreads about as much as the full-sample estimate
does, so the standard deviation sd of R half-estimates is its standard error.
Deterministic estimators: the value on all rows ± Z95·sd over random halves. Trained
estimators: each of S seeds trains on a random half and is scored on the other half, so
the seeds are S half-estimates sharing the rows, not S independent samples; their mean
(the value) has standard error sd·√(1 + 1/S) (the half-sampling spread plus the Monte
Carlo error of averaging S halves), not sd/√S, and the CI is mean ± t(S − 1)·that
(`replicate_interval`, `monte_carlo_variance`). `replicate_values` measures another
estimator on the same rows, for CIs of differences of two terms (the CCH gap).
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
from typing import Any

import jax
import numpy as np

from cch_jax.mi import base, gaussian_probe, latent, neural, probe, uncertainty
from cch_jax.utils import stats

# Each trained estimator's rows per seed: (key, n, seeds) -> (row permutations (S, n),
# held-out rows (S, m)); seed s trains on permutation[s, :n // 2] and is scored on
# held_out[s]. Keyed by the estimator's function (a registered partial's `func`).
SEED_SPLITS: dict[Callable[..., Any], Callable[..., tuple[jax.Array, jax.Array]]] = {
    latent.latent_mi: latent.seed_splits, neural.neural_mi: neural.seed_splits,
    probe.probe_label_mi: probe.seed_splits,
    gaussian_probe.gaussian_probe_mi: probe.seed_splits}


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
  """Mean over seeds (each its own split); CI mean ± t(S − 1)·sd·√(1 + 1/S) (module doc).

  diagnostics gain 'per_seed' (S,) and, for the estimators in SEED_SPLITS, 'splits'
  (S, n) row permutations and 'held_out' (S, m) rows each seed was scored on.
  """
  values, curves = est.fn(xs, ys, key, **options)
  values = np.asarray(values, np.float64)
  mean = float(values.mean())
  low, high = replicate_interval(mean, values, monte_carlo_variance(values, len(values)))
  if len(values) > 1:
    diagnostics["ci"] = (f"repeated splits, {len(values)} seeds, each scored on a random "
                         f"half: mean ± t({len(values) - 1})·sd·√(1 + 1/S) (half-sampling)")
  else:
    diagnostics["ci"] = "none"
    diagnostics["warnings"].append("no CI from a single seed")
  diagnostics["per_seed"] = values.tolist()
  rule = SEED_SPLITS.get(getattr(est.fn, "func", est.fn))
  if rule is not None:
    splits, held_out = rule(key, len(xs), len(values))
    diagnostics.update(splits=np.asarray(splits), held_out=np.asarray(held_out))
  diagnostics["warnings"] += neural.training_warnings(
      curves, mean, method, options.get("batch", 512))
  return base.MIEstimate(mean, low, high, method, len(xs), diagnostics)


def replicate_interval(value: float, replicates: Any, extra_variance: float = 0.0
                       ) -> tuple[float, float]:
  """95% CI of `value` from R half-sample replicates of it: value ± t(R − 1)·se.

  se² = var of the (R,) replicates (ddof 1; half-sampling: the spread of half-estimates is
  the full estimate's standard error) + `extra_variance` (the Monte Carlo error of values
  that average half-estimates: `monte_carlo_variance`). NaN for R < 2 or non-finite ones.
  """
  r = np.asarray(replicates, np.float64)
  if r.ndim != 1 or len(r) < 2 or not np.all(np.isfinite(r)):
    return float("nan"), float("nan")
  se = math.sqrt(float(np.var(r, ddof=1)) + extra_variance)
  half = stats.t_quantile(len(r) - 1) * se
  return value - half, value + half


def monte_carlo_variance(per_seed: Any, averaged: int) -> float:
  """var(per_seed) / averaged: the variance a trained estimate's value (the mean of
  `averaged` seeds, each on its own random half) adds by averaging finitely many halves;
  per_seed (S,) may hold extra seeds run only to measure the spread. 0 for S < 2."""
  v = np.asarray(per_seed, np.float64)
  return float(np.var(v, ddof=1)) / averaged if len(v) > 1 else 0.0


def replicate_values(x: Any, y: Any, method: str, splits: Any, held_out: Any,
                     key: jax.Array | None = None, **options: Any) -> np.ndarray:
  """The estimator `method` on given rows: one value per replicate, paired with another
  estimate's seeds (its diagnostics 'splits' and 'held_out').

  Args:
    x, y: as for `estimate` (all n rows).
    splits: (R, n) row permutations; held_out: (R, m) rows of each replicate.
    key: PRNG key of a trained estimator's initialisation (default key 0).
    **options: the method's options.

  Returns:
    (R,) values: a deterministic estimator on each replicate's held-out rows; a trained
    one that takes `splits` (the probe) fitted on splits[r, :n // 2], scored on the rest.

  Raises:
    ValueError: fewer held-out rows than the method needs, or a trained method that
    cannot be given its rows.
  """
  est = base.ESTIMATORS[method]
  check_options(method, options)
  xs, ys, options = _checked_samples(method, est, x, y, options)
  rows = np.asarray(held_out, np.int32)
  if rows.shape[1] < est.min_samples(**options):
    raise ValueError(f"held_out: method {method!r} needs at least "
                     f"{est.min_samples(**options)} rows, got {rows.shape[1]}")
  if not est.randomized:
    return np.asarray(_on_rows(est.fn, tuple(sorted(options.items())), xs, ys, rows),
                      np.float64)
  if "splits" not in inspect.signature(est.fn).parameters:
    raise ValueError(f"method: {method!r} trains on its own splits and cannot be given "
                     "another estimate's rows")
  key = jax.random.key(0) if key is None else key
  values, _ = est.fn(xs, ys, key, splits=np.asarray(splits, np.int32), **options)
  return np.asarray(values, np.float64)


@functools.partial(jax.jit, static_argnames=("fn", "options"))
def _on_rows(fn: Callable[..., jax.Array], options: uncertainty.Options, x: jax.Array,
             y: jax.Array, rows: jax.Array) -> jax.Array:
  """fn(x[rows[r]], y[rows[r]], **options) for each of the (R, m) row sets -> (R,)."""
  return jax.lax.map(lambda idx: fn(x[idx], y[idx], **dict(options)), rows)


def check_options(method: str, options: dict[str, Any]) -> None:
  """Raises a ValueError naming any option `method` does not take (and the known ones)."""
  params = inspect.signature(base.ESTIMATORS[method].fn).parameters
  known = [p for p in params
           if p not in ("x", "y", "labels", "n_classes", "key", "bound", "splits")]
  unknown = sorted(set(options) - set(known))
  if unknown:
    raise ValueError(f"options: unknown option(s) {unknown} for method {method!r}; "
                     f"known: {known}")
