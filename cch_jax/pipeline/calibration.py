"""Estimator bias on ground-truth tasks shaped like an analysis, and the gap's bias.

A gap of +0.05 nats means nothing if the estimator is 0.1 nats off at that dimension,
sample size and dependence structure. `calibrate` runs an estimator on tasks shaped like
the representations (`shaping`: the observed covariances and canonical-correlation
spectrum of the PCA scores for I(H_t; H_s); z_s's class means and within-class covariance
for I(H_s; Y)), at the analysis's n, at true MI levels taken from a fixed ladder: levels
are added until the mean estimate at the top level exceeds the largest estimate asked
about and the bottom one lies below the smallest (or the ladder ends). `Calibration.read`
interpolates the bias (estimate − truth) at an observed estimate between the two levels
whose mean estimates bracket it; outside the calibrated range it says the bias is
unknown, never clamps. `gap_biases` calibrates one task family per pair (the splits'
shapes pooled) and gives every split the bias of its gap, which `verdict` subtracts.

  biases = gap_biases([terms_split0, terms_split1], n_classes=10)    # list per split
  biases[0]["ksg"]  # {'bias', 'bias_se', 'dof', 'bias_known', 'bias_teacher_student', ...}

Limits, stated plainly: the tasks are Gaussian (Gaussian within each class for the label
term), so they flatter the Gaussian and copula estimators (exact there) and say nothing of
an estimator's error on non-Gaussian representations; the bias is read off by inverting
the estimate-vs-truth curve, which is ill-conditioned where the estimates barely move with
the truth, and linear between levels (its curvature between levels is not in bias_se);
bias_se is the spread of `draws` draws per level (Student t, draws − 1 dof) plus the label
truth's Monte Carlo error. Results are cached per (estimator, task family, n, options,
draws, level) for the life of the process, so pairs sharing a family share the work.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import jax
import numpy as np

from cch_jax import mi
from cch_jax.pipeline import shaping
from cch_jax.utils import stats

LADDER = (0.0, 0.125, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)
"""True I(H_t; H_s) levels (nats) the continuous tasks may take; 8 nats is the cap."""
LABEL_LADDER = (0.0, 0.05, 0.1, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 0.95, 0.98)
"""True I(H_s; Y) levels as fractions of the classes' entropy H(Y) (its ceiling)."""
DRAWS = 10
"""Draws (fresh n-row samples; fixed keys) per level."""
LABEL_TRUTH_SE = 0.005
"""Standard error (nats) of a label task's Monte Carlo truth (`shaping.TRUTH_SAMPLES`)."""
SEED = 20251013

_RUNGS: dict[tuple[Any, ...], tuple[float, float, float]] = {}


@dataclasses.dataclass(frozen=True)
class Calibration:
  """An estimator's mean estimate at known truths (levels ascending in truth).

  Attributes:
    method, term ('teacher_student' or 'label'), n, dims (the inputs' widths; the label
      term's (d_s, K)), draws: the setting.
    truth: (L,) true MI in nats. estimate: (L,) mean estimate over the draws.
    estimate_se: (L,) the bias's standard error at each level (draws' spread, plus the
      truth's Monte Carlo error for label tasks).
  """
  method: str
  term: str
  n: int
  dims: tuple[int, int]
  draws: int
  truth: tuple[float, ...]
  estimate: tuple[float, ...]
  estimate_se: tuple[float, ...]

  @property
  def bias(self) -> tuple[float, ...]:
    """(L,) estimate − truth."""
    return tuple(e - t for e, t in zip(self.estimate, self.truth))

  @property
  def range(self) -> tuple[float, float]:
    """(lowest, highest) mean estimate: the estimates whose bias can be read off."""
    return min(self.estimate), max(self.estimate)

  def read(self, value: float) -> dict[str, Any]:
    """The bias at an observed estimate: {'bias', 'bias_se', 'dof', 'known'}; bias and
    bias_se NaN with known False outside `range` (no clamping). Linear between the two
    adjacent levels (by truth) whose mean estimates bracket `value` (the lowest such)."""
    e, b, se = (np.asarray(v) for v in (self.estimate, self.bias, self.estimate_se))
    for k in range(len(e)):
      j = min(k + 1, len(e) - 1)
      if min(e[k], e[j]) <= value <= max(e[k], e[j]):
        w = (value - e[k]) / (e[j] - e[k]) if e[j] != e[k] else 0.0
        return {"bias": float((1 - w) * b[k] + w * b[j]),
                "bias_se": float((1 - w) * se[k] + w * se[j]),
                "dof": self.draws - 1, "known": True}
    return {"bias": math.nan, "bias_se": math.nan, "dof": self.draws - 1, "known": False}

  def to_dict(self) -> dict[str, Any]:
    return {**dataclasses.asdict(self), "bias": list(self.bias), "range": list(self.range)}


def calibrate(method: str, shape: Mapping[str, Any], observed: Sequence[float],
              options: Mapping[str, Any] | None = None, draws: int = DRAWS,
              term: str | None = None) -> Calibration:
  """The estimator's bias on tasks of `shape`, at levels bracketing the `observed` values.

  Args:
    method: an `mi.ESTIMATORS` name (a label method calibrates I(H_s; Y) on class
      mixtures; a continuous one calibrates on Gaussian tasks of the shape's pair).
    shape: `CCHTerms.shape` (or `shaping.pooled` of several); for a regression target's
      I(H_s; Y), its 'label_pair'.
    observed: (m,) the estimates the bias will be read at (nats).
    options: the estimator's options, as used in the analysis.
    draws: samples per level (>= 2).
    term: the `Calibration.term` to record ('teacher_student' or 'label'; default: by
      the method's kind).

  Returns:
    `Calibration` over the chosen levels; its range covers `observed` unless the ladder
    ended first (then `read` says unknown there).
  """
  if draws < 2:
    raise ValueError(f"draws: expected at least 2 (a standard error needs two), got {draws}")
  label = mi.ESTIMATORS[method].labels
  ladder = ([f * _entropy(shape) for f in LABEL_LADDER] if label else list(LADDER))
  frozen = json.dumps(sorted((options or {}).items()))
  lo, hi = float(np.min(observed)), float(np.max(observed))
  run = lambda i: _rung(method, shape, frozen, draws, ladder[i], i)
  top = next((i for i, level in enumerate(ladder) if level >= hi), len(ladder) - 1)
  chosen = {top}
  while run(max(chosen))[1] <= hi and max(chosen) + 1 < len(ladder):
    chosen.add(max(chosen) + 1)
  bottom = top
  while run(bottom)[1] >= lo and bottom > 0:
    bottom -= 1
    chosen.add(bottom)
  rows = [r for r in map(run, sorted(chosen)) if np.isfinite(r[1:]).all()]  # drop overflow
  dims = (shape["dim_s"], shape["n_classes"]) if label else (shape["dim_t"], shape["dim_s"])
  term = term or ("label" if label else "teacher_student")
  return Calibration(method, term, int(shape["n"]),
                     dims, draws, *(tuple(float(r[c]) for r in rows) for c in range(3)))


def _entropy(shape: Mapping[str, Any]) -> float:
  p = np.asarray(shape["class_shares"])
  return float(-np.sum(p * np.log(p)))


def _rung(method: str, shape: Mapping[str, Any], options: str, draws: int, level: float,
          index: int) -> tuple[float, float, float]:
  """(truth, mean estimate, se of the bias) of `draws` draws at one level (cached)."""
  memo = (method, shaping.key(shape), options, draws, index, level)
  if memo not in _RUNGS:
    label = mi.ESTIMATORS[method].labels
    task = (shaping.label_task if label else shaping.teacher_student_task)(shape, level)
    base = jax.random.fold_in(jax.random.key(SEED), index)
    values = []
    for d in range(draws):
      k = jax.random.fold_in(base, d)
      x, y = task.sample(jax.random.fold_in(k, 0), int(shape["n"]))
      values.append(mi.estimate(np.asarray(x), np.asarray(y), method,
                                key=jax.random.fold_in(k, 1), n_resamples=0,
                                **dict(json.loads(options))).value)
    se = stats.quadrature(stats.standard_error(values), LABEL_TRUTH_SE if label else 0.0)
    _RUNGS[memo] = (float(task.mi), float(np.mean(values)), se)
  return _RUNGS[memo]


@dataclasses.dataclass(frozen=True)
class GapCalibrations:
  """The calibrations of one pair's terms: teacher_student {estimator: Calibration} of
  its I(H_t; H_s) estimators, and label, its I(H_s; Y) estimator's."""
  teacher_student: dict[str, Calibration]
  label: Calibration


def gap_calibrations(terms_per_split: Sequence[Any],
                     options: Mapping[str, Mapping[str, Any]] | None = None,
                     draws: int = DRAWS,
                     families: Mapping[str, Mapping[str, Any]] | None = None
                     ) -> GapCalibrations:
  """One `Calibration` per estimator of a pair (its I(H_t; H_s) estimators and its label
  estimator), on the splits' pooled shape, covering every split's estimates.

  Args:
    terms_per_split: (S,) `CCHTerms` of one pair, one per split (made by `cch_terms`).
    options: per-estimator options as used for the terms.
    draws: samples per level.
    families: optional {estimator: shape} replacing the pair's family for that I(H_t;
      H_s) estimator (e.g. `shaping.pooled` over every pair's shapes, to calibrate a
      costly trained estimator once for all pairs of one width).
  """
  if not terms_per_split or any(not t.shape for t in terms_per_split):
    raise ValueError("terms_per_split: expected CCHTerms made by cch_terms (with .shape)")
  options, families = options or {}, families or {}
  family = shaping.pooled([t.shape for t in terms_per_split])
  label_name = next(iter(terms_per_split[0].i_student_label.per_estimator))
  label = calibrate(label_name, family.get("label_pair", family),
                    [t.i_student_label.value for t in terms_per_split],
                    options.get(label_name), draws, term="label")
  return GapCalibrations(
      {name: calibrate(name, families.get(name, family),
                       [_ts(t, name)["value"] for t in terms_per_split], options.get(name),
                       draws) for name in terms_per_split[0].gap.per_estimator}, label)


def _ts(terms: Any, name: str) -> dict[str, Any]:
  return terms.i_teacher_student.per_estimator[name]


def gap_biases(terms_per_split: Sequence[Any], n_classes: int,
               options: Mapping[str, Mapping[str, Any]] | None = None, draws: int = DRAWS,
               families: Mapping[str, Mapping[str, Any]] | None = None
               ) -> list[dict[str, dict[str, Any]]]:
  """Per split, per I(H_t; H_s) estimator, the bias of its gap: the bias of I(H_t; H_s)
  at its estimate minus the label estimator's at its estimate (`gap_calibrations`).

  Args:
    terms_per_split: (S,) `CCHTerms` of one pair. n_classes: K (checked against the
      classes the shapes saw). options, draws, families: as `gap_calibrations`.

  Returns:
    (S,) list of {estimator: {'bias', 'bias_se', 'dof' (Welch–Satterthwaite of the two
    terms'), 'bias_known', 'bias_teacher_student', 'bias_label', 'bias_se_teacher_student',
    'bias_se_label', 'range': {'teacher_student': [lo, hi], 'label': [lo, hi]}, 'dims',
    'n', 'draws'}} in nats; bias and bias_se NaN where bias_known is False.
  """
  if any(t.shape.get("n_classes", 0) > n_classes for t in terms_per_split):
    raise ValueError(f"n_classes: {n_classes} is fewer than the classes in the shapes")
  cals = gap_calibrations(terms_per_split, options, draws, families)
  out = []
  for terms in terms_per_split:
    lab = cals.label.read(terms.i_student_label.value)
    out.append({name: _combine(cal, cal.read(_ts(terms, name)["value"]), cals.label, lab)
                for name, cal in cals.teacher_student.items()})
  return out


def _combine(cal: Calibration, ts: Mapping[str, Any], label_cal: Calibration,
             lab: Mapping[str, Any]) -> dict[str, Any]:
  """The gap's bias from its two terms' readings."""
  known = bool(ts["known"] and lab["known"])
  se = stats.quadrature(ts["bias_se"], lab["bias_se"]) if known else math.nan
  dof = (stats.welch_dof(ts["bias_se"], ts["dof"], lab["bias_se"], lab["dof"]) if known
         else float(cal.draws - 1))
  return {"bias": ts["bias"] - lab["bias"] if known else math.nan, "bias_se": se,
          "dof": dof, "bias_known": known, "bias_teacher_student": ts["bias"],
          "bias_label": lab["bias"], "bias_se_teacher_student": ts["bias_se"],
          "bias_se_label": lab["bias_se"],
          "range": {"teacher_student": list(cal.range), "label": list(label_cal.range)},
          "dims": list(cal.dims), "n": cal.n, "draws": cal.draws}
