"""Estimator bias on ground-truth tasks shaped like an analysis, read through the curve.

A gap of +0.05 nats means nothing if the estimator is 0.1 nats off at that dimension,
sample size and dependence structure. `calibrate` runs an estimator on tasks shaped like
the representations (`shaping`), at the analysis's n, at true MI levels from a ladder, in
one of three families:

  'classes'   I(H_t; H_s) of a classification task: class mixtures of (z_t, z_s) with the
              observed class means, shares and within-class covariances and a
              within-class cross-covariance scaled by c >= 0 (`shaping.class_pair_task`);
              the ladder starts at the class-only MI (c = 0), then LADDER's levels above
  'gaussian'  I(H_t; H_s) of a regression task (and I(H_s; Y) of a regression target):
              Gaussians with the observed covariances and canonical-correlation shape
  'labels'    I(H_s; Y) of class labels: class mixtures of z_s (`shaping.label_task`)

Levels are added until the mean estimate at the top level exceeds the largest estimate
asked about and the bottom one lies below the smallest (or the ladder ends).
`Calibration.read` inverts the estimate-vs-truth curve at an observed estimate: linear
between the two levels whose mean estimates bracket it, its corrected value the truth
there and its slope m = d(mean estimate)/d(truth), so that an estimate's sampling error
maps to the truth's as 1/m, as does the curve's own error (the bias SE). An estimate
past an end level by no more than t·(one draw's spread there) is read on the end
segment (it is what a draw at that level gives); farther out, on a flat or falling
segment, or with fewer than two levels, the bias is unknown, never clamped.

`gap_biases` calibrates one family per term and estimator of a pair (the splits' shapes
pooled), reads each split's terms, and checks that the I(H_t; H_s) estimators' corrected
values agree within their errors (`disagreement`); where they do not, or any reading is
unknown, the split's bias is unknown (the verdict is then 'uncertain').

  biases = gap_biases([terms_split0, terms_split1], n_classes=10)    # list per split
  biases[0]["ksg"]  # {'bias', 'bias_se', 'dof', 'bias_known', 'slope_teacher_student',
                    #  'truth_teacher_student', ..., 'unknown_reason'}

Limits, stated plainly: the tasks are Gaussian within each class (or Gaussian), so they
say nothing of an estimator's error on other shapes of data; on the Gaussian family the
Gaussian and copula estimators are exact by construction; the curve is linear between
levels (its curvature and its slope's own error are not in bias_se); bias_se is the
spread of `draws` draws per level (Student t, draws − 1 dof) mapped by 1/slope, plus the
Monte Carlo error of a truth (`Task.mi_se`). Results are cached per (estimator, family,
shape, n, options, draws, level) for the life of the process, so pairs sharing a family
share the work.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import jax
import numpy as np

from cch_jax import mi
from cch_jax.mi import tasks
from cch_jax.pipeline import shaping
from cch_jax.pipeline.verdict import sampling_se
from cch_jax.utils import stats

LADDER = (0.0, 0.125, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)
"""True I(H_t; H_s) levels (nats) the continuous tasks may take; 8 nats is the cap."""
LABEL_LADDER = (0.0, 0.05, 0.1, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 0.95, 0.98, 0.995, 1.0)
"""True I(H_s; Y) levels as fractions of the classes' entropy H(Y) (its ceiling, reached
by classes too far apart to overlap: a label estimator at its clip H(Y) is read there)."""
MIN_STEP = 0.1
"""The class family's ladder: LADDER's levels at least this far (nats) above its floor."""
DRAWS = 10
"""Draws (fresh n-row samples; fixed keys) per level."""
FAMILIES = ("classes", "gaussian", "labels")
SEED = 20251013


@dataclasses.dataclass(frozen=True)
class Reading:
  """The calibration curve at one observed estimate (nats).

  Attributes:
    estimate: the observed value. truth: the corrected value (the truth whose mean
      estimate it is). bias: estimate − truth. slope: d(mean estimate)/d(truth) there.
    bias_se: the standard error of `truth` from the calibration (the draws' spread / slope,
      and the truth's Monte Carlo error); dof: its degrees of freedom.
    known: False (truth, bias, bias_se NaN) where the curve cannot be read; why: the
      reason then ('' when known).
  """
  estimate: float
  truth: float
  bias: float
  slope: float
  bias_se: float
  dof: float
  known: bool
  why: str = ""


@dataclasses.dataclass(frozen=True)
class Calibration:
  """An estimator's mean estimate at known truths (levels ascending in truth).

  Attributes:
    method, term ('teacher_student' or 'label'), n, dims (the inputs' widths; the label
      term's (d_s, K)), draws: the setting.
    truth: (L,) true MI in nats. estimate: (L,) mean estimate over the draws.
    estimate_se: (L,) the standard error of each mean estimate (the draws' spread / √draws).
    truth_se: (L,) each truth's Monte Carlo standard error (() or 0: closed form).
    estimate_sd: (L,) one draw's standard deviation at each level (() : unknown; then no
      estimate beyond an end level is read).
    family: the task family ('classes', 'gaussian' or 'labels').
  """
  method: str
  term: str
  n: int
  dims: tuple[int, int]
  draws: int
  truth: tuple[float, ...]
  estimate: tuple[float, ...]
  estimate_se: tuple[float, ...]
  truth_se: tuple[float, ...] = ()
  estimate_sd: tuple[float, ...] = ()
  family: str = "gaussian"

  @property
  def bias(self) -> tuple[float, ...]:
    """(L,) estimate − truth."""
    return tuple(e - t for e, t in zip(self.estimate, self.truth))

  @property
  def range(self) -> tuple[float, float]:
    """(lowest, highest) mean estimate; (NaN, NaN) without levels."""
    return (min(self.estimate), max(self.estimate)) if self.estimate else (math.nan,) * 2

  def read(self, value: float) -> Reading:
    """The curve at an observed estimate `value` (see the module docstring)."""
    e, t = np.asarray(self.estimate, np.float64), np.asarray(self.truth, np.float64)
    if len(e) < 2:
      return self._unknown(value, f"{len(e)} calibrated level(s); reading needs two")
    k = self._segment(value)
    if k is None:
      return self._unknown(value, f"{self.method}'s estimate {value:.3f} lies outside its "
                           f"calibrated range [{e.min():.3f}, {e.max():.3f}]")
    slope = (e[k + 1] - e[k]) / (t[k + 1] - t[k]) if t[k + 1] > t[k] else math.nan
    if not slope > 0:
      return self._unknown(value, f"{self.method}'s mean estimate does not rise with the "
                           f"truth between {t[k]:.3f} and {t[k + 1]:.3f} nats")
    truth = t[k] + (value - e[k]) / slope
    w = min(max((value - e[k]) / (e[k + 1] - e[k]), 0.0), 1.0)  # SEs: not extrapolated
    at = lambda v: (1 - w) * self._level(v, k) + w * self._level(v, k + 1)
    return Reading(float(value), float(truth), float(value - truth), float(slope),
                   stats.quadrature(at(self.estimate_se) / slope, at(self.truth_se)),
                   self.draws - 1, True)

  def _segment(self, value: float) -> int | None:
    """The first k whose levels' mean estimates bracket `value`; an end segment within
    t·(one draw's spread) of its end level; else None."""
    e = self.estimate
    for k in range(len(e) - 1):
      if min(e[k], e[k + 1]) <= value <= max(e[k], e[k + 1]):
        return k
    reach = lambda i: stats.t_quantile(self.draws - 1) * self._level(self.estimate_sd, i)
    if value < e[0] and e[0] - value <= reach(0):
      return 0
    if value > e[-1] and value - e[-1] <= reach(len(e) - 1):
      return len(e) - 2
    return None

  @staticmethod
  def _level(values: Sequence[float], i: int) -> float:
    """values[i], 0 where the per-level column was not recorded."""
    return float(values[i]) if len(values) > i else 0.0

  def _unknown(self, value: float, why: str) -> Reading:
    return Reading(float(value), math.nan, math.nan, math.nan, math.nan, self.draws - 1,
                   False, why)

  def to_dict(self) -> dict[str, Any]:
    return {**dataclasses.asdict(self), "bias": list(self.bias), "range": list(self.range)}


def family_of(method: str, shape: Mapping[str, Any]) -> str:
  """The task family a method calibrates on for a shape: 'labels' for a label method,
  'classes' for a continuous one on a shape with both views' class structure
  (`shaping.has_classes`), else 'gaussian'."""
  if mi.ESTIMATORS[method].labels:
    return "labels"
  return "classes" if shaping.has_classes(shape) else "gaussian"


def ladder(family: str, shape: Mapping[str, Any]) -> list[float]:
  """The true levels (nats, ascending) a family's tasks may take for a shape."""
  if family == "labels":
    p = np.asarray(shape["class_shares"])
    return [f * float(-np.sum(p * np.log(p))) for f in LABEL_LADDER]
  if family == "classes":
    floor = shaping.class_floor(shape)[0]
    return [floor] + [level for level in LADDER if level >= floor + MIN_STEP]
  if family == "gaussian":
    return list(LADDER)
  raise ValueError(f"family: expected one of {FAMILIES}, got {family!r}")


def calibrate(method: str, shape: Mapping[str, Any], observed: Sequence[float],
              options: Mapping[str, Any] | None = None, draws: int = DRAWS,
              term: str | None = None, family: str | None = None) -> Calibration:
  """The estimator's bias on tasks of `shape`, at levels bracketing the `observed` values.

  Args:
    method: an `mi.ESTIMATORS` name.
    shape: `CCHTerms.shape` (or `shaping.pooled` of several); for a regression target's
      I(H_s; Y), its 'label_pair'.
    observed: (m,) the estimates the bias will be read at (nats); non-finite ones are
      ignored (none finite: an empty calibration, which reads 'unknown').
    options: the estimator's options, as used in the analysis.
    draws: samples per level (>= 2).
    term: the `Calibration.term` to record ('teacher_student' or 'label'; default: by
      the method's kind).
    family: 'classes', 'gaussian' or 'labels' (default `family_of(method, shape)`).

  Returns:
    `Calibration` over the chosen levels (those whose truth and estimates are finite);
    its range covers `observed` unless the ladder ended first.
  """
  if draws < 2:
    raise ValueError(f"draws: expected at least 2 (a standard error needs two), got {draws}")
  family = family or family_of(method, shape)
  label = family == "labels"
  dims = (shape["dim_s"], shape["n_classes"]) if label else (shape["dim_t"], shape["dim_s"])
  term = term or ("label" if mi.ESTIMATORS[method].labels else "teacher_student")
  seen = np.asarray(observed, np.float64)
  seen = seen[np.isfinite(seen)]
  rows: list[_Rung] = []
  if len(seen):
    levels = ladder(family, shape)
    frozen = json.dumps(sorted((options or {}).items()))
    run = lambda i: _rung(method, family, shape, frozen, draws, levels[i], i)
    rows = [r for r in map(run, _chosen(run, levels, seen.min(), seen.max()))
            if np.isfinite(r).all()]  # drop overflow
  columns = {f: tuple(float(getattr(r, f)) for r in rows) for f in _Rung._fields}
  return Calibration(method, term, int(shape["n"]), dims, draws, columns["truth"],
                     columns["estimate"], columns["estimate_se"], columns["truth_se"],
                     columns["estimate_sd"], family)


def _chosen(run, levels: Sequence[float], lo: float, hi: float) -> list[int]:
  """Ladder indices: from the first level >= hi, up until the mean estimate exceeds hi
  and down until it lies below lo (or the ladder ends); at least two with finite
  estimates where the ladder has them (a curve needs a slope)."""
  top = next((i for i, level in enumerate(levels) if level >= hi), len(levels) - 1)
  chosen = {top}
  usable = lambda: sum(bool(np.isfinite(run(i).estimate)) for i in chosen)
  while run(max(chosen)).estimate <= hi and max(chosen) + 1 < len(levels):
    chosen.add(max(chosen) + 1)
  bottom = top
  while (run(bottom).estimate >= lo or usable() < 2) and bottom > 0:
    bottom -= 1
    chosen.add(bottom)
  for extra in range(max(chosen) + 1, len(levels)):
    if usable() >= 2:
      break
    chosen.add(extra)
  return sorted(chosen)


class _Rung(NamedTuple):
  """One level: truth, its Monte Carlo SE, the mean estimate, its SE, one draw's sd."""
  truth: float
  truth_se: float
  estimate: float
  estimate_se: float
  estimate_sd: float


_RUNGS: dict[tuple[Any, ...], _Rung] = {}


def family_task(family: str, shape: Mapping[str, Any], level: float) -> tasks.Task:
  """The family's task at a true level (nats)."""
  make = {"classes": shaping.class_pair_task, "gaussian": shaping.teacher_student_task,
          "labels": shaping.label_task}
  if family not in make:
    raise ValueError(f"family: expected one of {FAMILIES}, got {family!r}")
  return make[family](shape, level)


def _rung(method: str, family: str, shape: Mapping[str, Any], options: str, draws: int,
          level: float, index: int) -> _Rung:
  """`draws` draws at one level (cached)."""
  memo = (method, family, shaping.key(shape), options, draws, index, level)
  if memo not in _RUNGS:
    task = family_task(family, shape, level)
    base = jax.random.fold_in(jax.random.key(SEED), index)
    values = []
    for d in range(draws):
      k = jax.random.fold_in(base, d)
      x, y = task.sample(jax.random.fold_in(k, 0), int(shape["n"]))
      values.append(mi.estimate(np.asarray(x), np.asarray(y), method,
                                key=jax.random.fold_in(k, 1), n_resamples=0,
                                **dict(json.loads(options))).value)
    _RUNGS[memo] = _Rung(float(task.mi), float(task.mi_se), float(np.mean(values)),
                         stats.standard_error(values), float(np.std(values, ddof=1)))
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
  estimator), on the splits' pooled shape, covering every split's estimates; I(H_t; H_s)
  of class labels on the 'classes' family, of a regression target on 'gaussian'.

  Args:
    terms_per_split: (S,) `CCHTerms` of one pair, one per split (made by `cch_terms`).
    options: per-estimator options as used for the terms.
    draws: samples per level.
    families: optional {estimator: shape} replacing the pair's shape for that I(H_t;
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
  """Per split, per I(H_t; H_s) estimator, the bias of its gap (`gap_calibrations`, read
  by `read_gap_biases`).

  Args:
    terms_per_split: (S,) `CCHTerms` of one pair. n_classes: K (checked against the
      classes the shapes saw). options, draws, families: as `gap_calibrations`.

  Returns:
    As `read_gap_biases`.
  """
  if any(t.shape.get("n_classes", 0) > n_classes for t in terms_per_split):
    raise ValueError(f"n_classes: {n_classes} is fewer than the classes in the shapes")
  return read_gap_biases(terms_per_split,
                         gap_calibrations(terms_per_split, options, draws, families))


def read_gap_biases(terms_per_split: Sequence[Any], cals: GapCalibrations
                    ) -> list[dict[str, dict[str, Any]]]:
  """Each split's terms read through a pair's calibrations, with the consistency check.

  Returns:
    (S,) list of {estimator: {'bias' (raw gap − corrected gap), 'bias_se' (the corrected
    gap's calibration SE), 'dof' (Welch–Satterthwaite of the two terms'), 'bias_known',
    'bias_teacher_student', 'bias_label', 'bias_se_teacher_student', 'bias_se_label',
    'truth_teacher_student', 'truth_label' (the corrected terms), 'slope_teacher_student',
    'slope_label' (the curves' slopes there), 'unknown_reason' ('' when known), 'family',
    'range': {'teacher_student': [lo, hi], 'label': [lo, hi]}, 'dims', 'n', 'draws'}} in
    nats; bias and bias_se NaN where bias_known is False.
  """
  out = []
  for terms in terms_per_split:
    lab = cals.label.read(terms.i_student_label.value)
    reads = {name: cal.read(_ts(terms, name)["value"])
             for name, cal in cals.teacher_student.items()}
    why = _pair_reason(terms, reads, lab)
    out.append({name: _combine(cal, reads[name], cals.label, lab, why)
                for name, cal in cals.teacher_student.items()})
  return out


def _pair_reason(terms: Any, reads: Mapping[str, Reading], lab: Reading) -> str:
  """Why the split's bias is unknown for every estimator ('' when it is not)."""
  if not lab.known:
    return f"the label term's bias is unknown: {lab.why}"
  unknown = [f"{name}: {r.why}" for name, r in reads.items() if not r.known]
  if unknown:
    return "; ".join(unknown)
  return disagreement({name: corrected_term(_ts(terms, name), r)
                       for name, r in reads.items()})


def _combine(cal: Calibration, ts: Reading, label_cal: Calibration, lab: Reading,
             why: str) -> dict[str, Any]:
  """The gap's bias from its two terms' readings (unknown when `why` is set)."""
  known = not why
  se = stats.quadrature(ts.bias_se, lab.bias_se) if known else math.nan
  dof = (stats.welch_dof(ts.bias_se, ts.dof, lab.bias_se, lab.dof) if known
         else float(cal.draws - 1))
  return {"bias": ts.bias - lab.bias if known else math.nan, "bias_se": se,
          "dof": dof, "bias_known": known, "bias_teacher_student": ts.bias,
          "bias_label": lab.bias, "bias_se_teacher_student": ts.bias_se,
          "bias_se_label": lab.bias_se, "truth_teacher_student": ts.truth,
          "truth_label": lab.truth, "slope_teacher_student": ts.slope,
          "slope_label": lab.slope, "unknown_reason": why, "family": cal.family,
          "range": {"teacher_student": list(cal.range), "label": list(label_cal.range)},
          "dims": list(cal.dims), "n": cal.n, "draws": cal.draws}


@dataclasses.dataclass(frozen=True)
class CorrectedTerm:
  """One estimator's term read through its calibration (nats): value (the corrected
  value), sampling_se (the estimate's sampling SE / slope) with sampling_dof, bias_se
  (the calibration's) with bias_dof."""
  value: float
  sampling_se: float
  sampling_dof: float
  bias_se: float
  bias_dof: float

  @property
  def se(self) -> float:
    return stats.quadrature(self.sampling_se, self.bias_se)


def corrected_term(entry: Mapping[str, Any], reading: Reading) -> CorrectedTerm:
  """A term's `CorrectedTerm` from its per-estimator entry {'value', 'ci_low', 'ci_high',
  'ci'} (`sampling_se`) and its `Reading`."""
  se, dof = sampling_se(entry)
  return CorrectedTerm(reading.truth, se / reading.slope, dof, reading.bias_se, reading.dof)


def disagreement(corrected: Mapping[str, CorrectedTerm]) -> str:
  """'' when every two estimators' corrected values agree, |a − b| <= t·√(se_a² + se_b²)
  (sampling and bias SEs; t the 0.975 quantile at the Welch–Satterthwaite dof of the four
  errors); else a sentence naming the first pair that does not. A pair with a
  non-finite SE is not judged."""
  for (a, ra), (b, rb) in itertools.combinations(corrected.items(), 2):
    parts = [(ra.sampling_se, ra.sampling_dof), (ra.bias_se, ra.bias_dof),
             (rb.sampling_se, rb.sampling_dof), (rb.bias_se, rb.bias_dof)]
    se = stats.quadrature(ra.se, rb.se)
    if not np.isfinite(se):
      continue
    allowed = stats.t_quantile(_welch(parts)) * se
    if abs(ra.value - rb.value) > allowed:
      return (f"the estimators' corrected I(H_t; H_s) disagree: {a} {ra.value:.3f} ± "
              f"{ra.se:.3f} vs {b} {rb.value:.3f} ± {rb.se:.3f} nats (|difference| "
              f"{abs(ra.value - rb.value):.3f} > {allowed:.3f}, t times their combined SE)")
  return ""


def _welch(parts: Sequence[tuple[float, float]]) -> float:
  """Welch–Satterthwaite dof of √(Σ se²) over (se, dof) parts; inf when all se are 0."""
  num = sum(se**2 for se, _ in parts) ** 2
  den = sum(se**4 / dof for se, dof in parts if se and math.isfinite(dof))
  return float(num / den) if den > 0 else math.inf
