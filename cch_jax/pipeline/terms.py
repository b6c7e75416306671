"""The CCH terms with uncertainty: I(H_t; H_s), I(H_s; Y) and their gap, per estimator.

  terms = cch_terms(h_t, h_s, labels, key, estimators=("latent", "ksg"))
  terms.gap.value, terms.gap.ci_low, terms.gap.per_estimator["ksg"]

Each I(H_t; H_s) estimator is paired with the one label estimator, giving one gap per
estimator; the first estimator is the primary one (the headline value). Every estimator
sees PCA scores to `reduce_dim` dimensions of the varying columns: both terms of a gap are
measured on the same reduced H_s, every teacher's term on inputs of one width (one
compiled program per trained estimator), and the bias of each estimator at that width and
n can be measured on ground-truth tasks (`calibration`); kNN and latent estimators lose
much more of the MI at 128 dimensions than at 8 for n in the hundreds.

The gap's 95% CI comes from joint resampling of both terms: R replicates of the gap, each
with both terms measured on the same random half of the rows, so the CI keeps the terms'
correlation (they share the rows and H_s) and covers the sampling of rows (half-sampling,
`mi.api`: the spread of half-sample estimates is the full estimate's standard error).
Both terms deterministic: the R = n_resamples random halves of `mi.estimate` (one key
draws the same halves), value ± t(R − 1)·sd. A trained term (latent MI, a critic bound,
the label probe): its seeds are the replicates (each trains on a random half and is
scored on the other); the other term is measured on each seed's held-out rows (a trained
label probe refit on the seed's training half). A trained estimator runs at least
MIN_REPLICATES seeds (vmapped: the extra seeds cost little next to compiling), but its
value stays the mean of its configured `seeds`; the others only measure the spread.
The CI is value ± t(R − 1)·se with se² = var of the R gap replicates + var(seeds)/S for
each trained term whose value averages S seeds (their Monte Carlo error, which the
other term does not cancel). The terms' own CIs are made the same way. Quadrature of
the two CIs is left only for estimators that expose neither halves nor seed rows; each
CI's 'ci' text says how it was made.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import numpy as np

from cch_jax import mi
from cch_jax.pipeline import representations, shaping
from cch_jax.utils import stats


@dataclasses.dataclass(frozen=True)
class Term:
  """One quantity in nats: the primary estimate, its 95% CI, and every estimator's.

  Attributes:
    value, ci_low, ci_high: the primary estimator's value and CI.
    per_estimator: {estimator: {'value', 'ci_low', 'ci_high', 'ci'}} (how each CI was made).
  """
  value: float
  ci_low: float
  ci_high: float
  per_estimator: dict[str, dict[str, Any]]

  def to_dict(self) -> dict[str, Any]:
    return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class CCHTerms:
  """The CCH terms of one teacher/student pair on n held-out rows.

  Attributes:
    i_teacher_student: I(H_t; H_s). i_student_label: I(H_s; Y) (ceiling H(Y) for classes).
    gap: I(H_t; H_s) − I(H_s; Y); per_estimator keys are the I(H_t; H_s) estimators.
    label_entropy: H(Y) of the rows (nats; NaN for a continuous Y, whose differential
      entropy is no ceiling). n: rows. primary: the headline estimator.
    warnings: the estimators' diagnostics warnings, prefixed by the estimator.
    dims: {estimator: (dim_x, dim_y)} of the inputs each estimator saw (PCA scores; the
      label estimator's dim_y is the number of classes K).
    shape: what ground-truth calibration tasks copy, measured on the PCA scores z_t, z_s
      the estimators saw (`shaping.measure`: canonical correlations, joint covariance,
      z_s's class means, shares and within-class covariance, n, dims); {} if not made
      by `cch_terms`.
  """
  i_teacher_student: Term
  i_student_label: Term
  gap: Term
  label_entropy: float
  n: int
  primary: str
  warnings: tuple[str, ...] = ()
  dims: dict[str, tuple[int, int]] = dataclasses.field(default_factory=dict)
  shape: dict[str, Any] = dataclasses.field(default_factory=dict)


def required_samples(estimators: Sequence[str], label_estimator: str,
                     options: Mapping[str, Mapping[str, Any]], n_resamples: int) -> int:
  """The fewest analysis rows the estimators accept (halves included for CIs)."""
  need = 2
  for name in (*estimators, label_estimator):
    est = mi.ESTIMATORS[name]
    floor = est.min_samples(**dict(options.get(name, {})))
    need = max(need, floor if est.randomized or not n_resamples else 2 * floor + 1)
  return need


def check_settings(estimators: Sequence[str], label_estimator: str, reduce_dim: int,
                   options: Mapping[str, Mapping[str, Any]], regression: bool = False
                   ) -> None:
  """Checks the estimator settings of `cch_terms` (cheap; call it before any training).

  Raises:
    ValueError / KeyError naming the setting: no estimator, an unknown one, a label
    estimator for I(H_t; H_s) or for a continuous target, a continuous estimator for
    class labels, reduce_dim < 0, unknown options.
  """
  if not estimators:
    raise ValueError("estimators: expected at least one I(H_t; H_s) estimator")
  for name in estimators:
    if mi.ESTIMATORS[name].labels:
      raise ValueError(f"estimators: {name!r} is a label estimator; I(H_t; H_s) needs a "
                       "continuous one (e.g. 'latent', 'ksg', 'gaussian', 'infonce')")
  if mi.ESTIMATORS[label_estimator].labels == regression:
    expected = ("a continuous estimator for a regression target (e.g. 'ksg', "
                "'gaussian_probe')" if regression else
                "a label estimator ('label_knn', 'label_probe')")
    raise ValueError(f"label_estimator: expected {expected}, got {label_estimator!r}")
  if not isinstance(reduce_dim, int) or reduce_dim < 0:
    raise ValueError(f"reduce_dim: expected an integer >= 0, got {reduce_dim!r}")
  for name in (*estimators, label_estimator):
    mi.check_options(name, dict(options.get(name, {})))


def cch_terms(h_t: Any, h_s: Any, labels: Any, key: jax.Array, *,
              estimators: Sequence[str] = ("latent", "ksg"),
              label_estimator: str = "label_knn", reduce_dim: int = 8,
              n_resamples: int = 20,
              options: Mapping[str, Mapping[str, Any]] | None = None,
              estimate: Callable[..., mi.MIEstimate] = mi.estimate) -> CCHTerms:
  """Estimates the CCH terms and the gap with 95% CIs.

  Args:
    h_t: teacher representations (n, d_t). h_s: student representations (n, d_s).
    labels: (n,) integer class labels (at least two classes), or (n,) / (n, k) float
      regression targets (then label_estimator is a continuous one, e.g. 'ksg').
    key: PRNG key (halves, estimator seeds); every term uses the same one.
    estimators: I(H_t; H_s) estimators (registry names, continuous); the first is primary.
    label_estimator: the I(H_s; Y) estimator: for class labels 'label_knn' or
      'label_probe', for regression targets a continuous one ('ksg', 'gaussian_probe').
    reduce_dim: PCA dimensions of every estimator's inputs (0 = none).
    n_resamples: random halves for deterministic estimators' CIs.
    options: per estimator name, its keyword options (e.g. {'ksg': {'k': 3}}).
    estimate: `mi.estimate` or a stand-in with its signature (e.g. `symmetric_memo`).

  Returns:
    `CCHTerms`.

  Raises:
    ValueError naming the argument: mismatched rows, bad labels, too few rows, an empty
    estimator list or a label estimator used for I(H_t; H_s) (or the reverse).
  """
  options = {k: dict(v) for k, v in (options or {}).items()}
  regression = np.issubdtype(np.asarray(labels).dtype, np.floating)
  check_settings(estimators, label_estimator, reduce_dim, options, regression)
  y = (mi.base.as_samples("labels", labels) if regression
       else mi.base.as_labels("labels", labels))
  h_t, h_s = representations.check("h_t", h_t), representations.check("h_s", h_s)
  if not len(h_t) == len(h_s) == len(y):
    raise ValueError(f"h_t, h_s, labels: expected the same number of rows, got "
                     f"{len(h_t)}, {len(h_s)} and {len(y)}")
  need = required_samples(estimators, label_estimator, options, n_resamples)
  if len(y) < need:
    raise ValueError(f"h_t, h_s, labels: the estimators {list(estimators)} and "
                     f"{label_estimator!r} need at least {need} rows, got {len(y)}")
  z_t, z_s = (representations.pca(representations.clean(k, v), reduce_dim)
              for k, v in (("h_t", h_t), ("h_s", h_s)))
  run = lambda x, yy, name: _run(estimate, x, yy, name, key, n_resamples,
                                 options.get(name, {}))

  label = run(z_s, y, label_estimator)
  ts = {name: run(z_t, z_s, name) for name in estimators}
  paired = lambda trained, name: _on_rows(
      trained, name, (z_s, y) if name == label_estimator else (z_t, z_s), key,
      options.get(name, {}))
  gaps = {name: _gap(est, label, paired) for name, est in ts.items()}
  warnings = tuple(f"{e.method}: {w}" for e in (label, *ts.values())
                   for w in e.diagnostics.get("warnings", ()))
  primary = estimators[0]
  dims = {name: (z_t.shape[1], z_s.shape[1]) for name in estimators}
  dims[label_estimator] = (z_s.shape[1], _label_width(y))
  return CCHTerms(_term(ts, primary), _term({label_estimator: label}, label_estimator),
                  _term(gaps, primary), _label_entropy(y), len(y), primary, warnings, dims,
                  shaping.measure(z_t, z_s, y))


def _label_width(y: np.ndarray) -> int:
  """K of class labels (n,), or k of regression targets (n, k)."""
  return y.shape[1] if y.ndim == 2 else int(y.max()) + 1


def _label_entropy(y: np.ndarray) -> float:
  """H(Y) of class labels in nats; NaN for regression targets (no ceiling)."""
  return math.nan if y.ndim == 2 else float(mi.label_entropy(y, _label_width(y)))


def symmetric_memo() -> Callable[..., mi.MIEstimate]:
  """`mi.estimate` that remembers its continuous estimates, so that I(Y; X) on the arrays
  of an earlier I(X; Y) (same estimator, key, resamples and options) is not estimated
  again: the pairs (a, b) and (b, a) of an analysis share I(H_a; H_b)."""
  cache: dict[tuple[Any, ...], mi.MIEstimate] = {}
  digest = lambda a: hashlib.sha1(np.ascontiguousarray(a).tobytes()).hexdigest()

  def estimate(x, y, name, key=None, **kwargs):
    if mi.ESTIMATORS[name].labels or not mi.ESTIMATORS[name].symmetric:
      return mi.estimate(x, y, name, key=key, **kwargs)
    seed = None if key is None else digest(jax.random.key_data(key))
    memo = (name, frozenset((digest(x), digest(y))), seed, repr(sorted(kwargs.items())))
    if memo not in cache:
      cache[memo] = mi.estimate(x, y, name, key=key, **kwargs)
    return cache[memo]

  return estimate


# Fewest seeds a trained estimator runs in `cch_terms`: the replicates of its CIs.
MIN_REPLICATES = 10


def _run(estimate: Callable[..., mi.MIEstimate], x: np.ndarray, y: np.ndarray, name: str,
         key: jax.Array, n_resamples: int, options: Mapping[str, Any]) -> mi.MIEstimate:
  """`estimate` of I(x; y) by `name`; a trained estimator with S configured seeds runs
  max(S, MIN_REPLICATES) vmapped seeds, its value the mean of the first S (seeds 0..S−1:
  the value of S seeds alone, to float rounding), its CI from all of them
  (`mi.api.replicate_interval`).

  Args:
    x: (n, dx); y: (n, dy) or labels (n,). options: the estimator's own options.

  Returns:
    The estimate; a trained one's diagnostics add 'value_seeds' (S).
  """
  est = mi.ESTIMATORS[name]
  if not est.randomized:
    return estimate(x, y, name, key=key, n_resamples=n_resamples, **options)
  seeds = options.get("seeds", inspect.signature(est.fn).parameters["seeds"].default)
  runs = max(seeds, MIN_REPLICATES)
  out = estimate(x, y, name, key=key, n_resamples=n_resamples, **{**options, "seeds": runs})
  per_seed = np.asarray(out.diagnostics["per_seed"], np.float64)
  value = float(per_seed[:seeds].mean())
  low, high = mi.api.replicate_interval(value, per_seed,
                                        mi.api.monte_carlo_variance(per_seed, seeds))
  how = (f"repeated splits, {runs} seeds, each scored on a random half; value: mean of the "
         f"first {seeds}; ± t({runs - 1})·√(var(seeds)·(1 + 1/{seeds})) (half-sampling)")
  diagnostics = out.diagnostics | {"ci": how, "value_seeds": seeds}
  return dataclasses.replace(out, value=value, ci_low=low, ci_high=high,
                             diagnostics=diagnostics)


def _gap(ts: mi.MIEstimate, label: mi.MIEstimate,
         paired: Callable[[mi.MIEstimate, str], np.ndarray]) -> mi.MIEstimate:
  """I(H_t; H_s) − I(H_s; Y) with a 95% CI from joint resampling of both terms.

  value ± t(R − 1)·se, se² = var of the R gap replicates + each trained term's Monte
  Carlo variance (var of its seeds / the S seeds its value averages).

  Args:
    ts, label: the two terms' estimates on the same n rows (the same key).
    paired: (a trained estimate, an estimator name) -> (R,) that estimator's values on the
      rows of the estimate's R seeds (`_on_rows`).

  Returns:
    An MIEstimate; diagnostics: 'ci' (how the CI was made) and 'replicates' (R,), the
    gap on each joint replicate (empty when there were none and the CI is a quadrature).
  """
  value = ts.value - label.value
  replicates, how = _joint_replicates(ts, label, paired)
  if replicates is None:
    low, high = stats.quadrature_interval(value, (ts.ci_low, ts.ci_high),
                                          (label.ci_low, label.ci_high))
    how = f"quadrature of the two terms' CIs, taken as independent ({how})"
    replicates = np.zeros(0)
  else:
    extra = sum(mi.api.monte_carlo_variance(
        e.diagnostics["per_seed"], e.diagnostics.get("value_seeds",
                                                     len(e.diagnostics["per_seed"])))
                for e in (ts, label) if "per_seed" in e.diagnostics)
    low, high = mi.api.replicate_interval(value, replicates, extra)
  return mi.MIEstimate(value, float(low), float(high), f"{ts.method}-{label.method}",
                       ts.n, {"ci": how, "replicates": replicates.tolist()})


def _joint_replicates(ts: mi.MIEstimate, label: mi.MIEstimate,
                      paired: Callable[[mi.MIEstimate, str], np.ndarray]
                      ) -> tuple[np.ndarray | None, str]:
  """The gap on R replicates, both terms measured on the same rows in each.

  Both terms deterministic: `mi.estimate`'s random halves (one key, so the same halves).
  A trained term (I(H_t; H_s) first): its seeds, each trained on a random half and scored
  on the rest; the other term is measured on those held-out rows (a trained label probe
  is refit on the seed's training half).

  Returns:
    (gap replicates (R,) or None when none can be made, how they were made).
  """
  halves_ts, halves_label = (e.diagnostics.get("half_samples") for e in (ts, label))
  if halves_ts is not None and halves_label is not None:
    r = len(halves_ts)
    return (np.subtract(halves_ts, halves_label),
            f"joint half-sampling, {r} halves: {r} random halves of the rows, the same for "
            f"both terms; value ± t({r - 1})·sd of the per-half gap")
  for trained, other in ((ts, label), (label, ts)):
    if "splits" not in trained.diagnostics:
      continue
    try:
      values = paired(trained, other.method)
    except ValueError as error:
      return None, f"no joint replicates: {error}"
    seeds = np.asarray(trained.diagnostics["per_seed"], np.float64)
    r, refit = len(seeds), mi.ESTIMATORS[other.method].randomized
    return (seeds - values if trained is ts else values - seeds,
            f"joint resampling, {r} replicates: the {r} seeds of {trained.method} (each "
            f"trained on a random half of the rows, scored on the other) with "
            f"{other.method} on the same held-out rows"
            f"{' (refit on the same training half)' if refit else ''}; value ± "
            f"t({r - 1})·√(var(per-replicate gap) + the trained terms' var(seeds)/seeds "
            f"averaged)")
  return None, "no joint replicates: neither half-samples nor seed splits"


def _on_rows(trained: mi.MIEstimate, name: str, inputs: tuple[np.ndarray, np.ndarray],
             key: jax.Array, options: Mapping[str, Any]) -> np.ndarray:
  """`name` on the inputs (x (n, dx), y (n, dy) or labels (n,)) of the rows of each seed
  of the `trained` estimate -> (S,) values (`mi.api.replicate_values`)."""
  return mi.api.replicate_values(*inputs, name, trained.diagnostics["splits"],
                                 trained.diagnostics["held_out"], key=key, **options)


def _term(estimates: Mapping[str, mi.MIEstimate], primary: str) -> Term:
  per = {name: {"value": e.value, "ci_low": e.ci_low, "ci_high": e.ci_high,
                "ci": e.diagnostics.get("ci", "")} for name, e in estimates.items()}
  head = estimates[primary]
  return Term(head.value, head.ci_low, head.ci_high, per)
