"""Estimator bias on tasks with known MI, at the dimensions and sample size of an analysis.

A gap of +0.05 nats means nothing if the estimator is 0.1 nats off at that dimension and
sample size. `calibrate` runs an estimator on ground-truth tasks shaped like the analysis
(same input dimensions, same n) at a few true MI levels; `Calibration.bias_at` reads the
bias off at an observed estimate; `gap_biases` combines the two terms' biases into the
gap's, which `verdict` uses to keep a gap that its bias could explain away uncertain.

Limits, stated plainly: the tasks are Gaussian, so they flatter the Gaussian estimator
(exact there) and say nothing of its error on non-Gaussian representations; the bias is
read off at the observed estimate by inverting the estimate-vs-truth curve, which is
ill-conditioned where an estimator's estimates barely move with the truth; and it is a
mean over few draws (its standard error is carried into the verdict).

  cal = calibrate("ksg", 8, 8, n=700, options={"k": 3})
  cal.bias_at(0.9)          # estimate − truth near an estimate of 0.9 nats

Tasks: I(H_t; H_s) on Gaussians whose MI is spread evenly over min(d_t, d_s, 8) canonical
pairs (the rest independent noise: representations carry class information in a few
directions); I(H_s; Y) on balanced Gaussian class mixtures with K classes in d_s
dimensions (`mi.tasks.class_mixture_task`, truth by Monte Carlo), at fractions of log K.
Results are cached per (estimator, dimensions, n, options) for the life of the process.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Mapping
from typing import Any

import jax
import numpy as np

from cch_jax import mi
from cch_jax.mi import tasks
from cch_jax.utils import stats

LEVELS = (0.25, 0.75, 1.5, 3.0)
"""True I(H_t; H_s) levels (nats) of the continuous tasks."""
LABEL_FRACTIONS = (0.2, 0.45, 0.7, 0.9)
"""True I(H_s; Y) levels of the label tasks, as fractions of log K."""
PAIRS = 8
"""The canonical pairs that carry the MI of a continuous task (at most)."""


@dataclasses.dataclass(frozen=True)
class Calibration:
  """An estimator's mean estimate at known truths (levels ascending).

  Attributes:
    method, dim_x, dim_y (K for label methods), n, seeds: the setting.
    truth: (L,) true MI in nats. estimate: (L,) mean estimate over seeds.
    estimate_se: (L,) standard error of each mean (0 with one seed).
  """
  method: str
  dim_x: int
  dim_y: int
  n: int
  seeds: int
  truth: tuple[float, ...]
  estimate: tuple[float, ...]
  estimate_se: tuple[float, ...]

  @property
  def bias(self) -> tuple[float, ...]:
    """(L,) estimate − truth."""
    return tuple(e - t for e, t in zip(self.estimate, self.truth))

  def bias_at(self, value: float) -> float:
    """The bias interpolated at an observed estimate (the nearest level's outside the
    calibrated range)."""
    return self._at(value, self.bias)

  def bias_se_at(self, value: float) -> float:
    """The standard error of `bias_at(value)` (from the seeds' spread)."""
    return self._at(value, self.estimate_se)

  def _at(self, value: float, table: tuple[float, ...]) -> float:
    order = np.argsort(self.estimate)
    return float(np.interp(value, np.asarray(self.estimate)[order], np.asarray(table)[order]))

  def to_dict(self) -> dict[str, Any]:
    return {**dataclasses.asdict(self), "bias": list(self.bias)}


def calibrate(method: str, dim_x: int, dim_y: int, n: int,
              options: Mapping[str, Any] | None = None, seeds: int = 2) -> Calibration:
  """The estimator's bias at (dim_x, dim_y, n) on ground-truth tasks (cached).

  Args:
    method: an `mi.ESTIMATORS` name; for label methods dim_y is the number of classes K.
    dim_x, dim_y: the input dimensions the estimator sees in the analysis.
    n: the analysis rows.
    options: the estimator's options, as used in the analysis.
    seeds: samples per level (each a fresh draw of n rows; fixed keys, so repeatable).

  Returns:
    `Calibration`.
  """
  frozen = tuple(sorted((options or {}).items()))
  return _calibrate(method, int(dim_x), int(dim_y), int(n), frozen, int(seeds))


@functools.lru_cache(maxsize=64)
def _calibrate(method: str, dim_x: int, dim_y: int, n: int, options: tuple, seeds: int
               ) -> Calibration:
  labels = mi.ESTIMATORS[method].labels
  if labels:
    levels = [f * math.log(dim_y) for f in LABEL_FRACTIONS]
    task_at = lambda level: _label_task(dim_x, dim_y, level)
  else:
    levels = list(LEVELS)
    task_at = lambda level: _gaussian_task(dim_x, dim_y, level)
  truth, mean, se = [], [], []
  for i, level in enumerate(levels):
    task = task_at(level)
    values = []
    for s in range(seeds):
      key = jax.random.fold_in(jax.random.key(20251013), 100 * i + s)
      x, y = task.sample(jax.random.fold_in(key, 0), n)
      values.append(mi.estimate(np.asarray(x), np.asarray(y), method,
                                key=jax.random.fold_in(key, 1), n_resamples=0,
                                **dict(options)).value)
    truth.append(float(task.mi))
    mean.append(float(np.mean(values)))
    se.append(stats.standard_error(values) if seeds > 1 else 0.0)
  return Calibration(method, dim_x, dim_y, n, seeds, tuple(truth), tuple(mean), tuple(se))


def _gaussian_task(dim_x: int, dim_y: int, level: float) -> tasks.Task:
  """MI `level` spread evenly over min(dim_x, dim_y, PAIRS) correlated pairs."""
  pairs = min(dim_x, dim_y, PAIRS)
  rho = math.sqrt(1.0 - math.exp(-2.0 * level / pairs))
  cov = tasks.sparse_covariance(dim_x, dim_y, rho, pairs)
  return tasks.gaussian_task(cov, dim_x, f"calibration-{dim_x}x{dim_y}-{level:.2f}")


def _label_task(dim_x: int, n_classes: int, level: float) -> tasks.Task:
  """A class mixture whose I(X; Y) is `level` (separation found by bisection)."""
  make = lambda sep: tasks.class_mixture_task(dim_x, n_classes, sep, "calibration",
                                              truth_samples=20_000)
  low, high = 0.0, 4.0
  while make(high).mi < level and high < 64:
    high *= 2
  for _ in range(20):
    mid = 0.5 * (low + high)
    low, high = (mid, high) if make(mid).mi < level else (low, mid)
  return make(high)


def gap_biases(terms: Any, dims: Mapping[str, tuple[int, int]], n_classes: int,
               options: Mapping[str, Mapping[str, Any]] | None = None, seeds: int = 2
               ) -> dict[str, dict[str, Any]]:
  """Per I(H_t; H_s) estimator, the bias of its gap on ground-truth tasks: the bias of
  I(H_t; H_s) at its estimate minus the bias of the label term at its estimate.

  Args:
    terms: `CCHTerms` (its per-estimator values).
    dims: {estimator: (dim_x, dim_y)} as the estimator saw the data (the label
      estimator's (d_s, ·)); `CCHTerms.dims`.
    n_classes: K.
    options: per-estimator options as used for the terms.
    seeds: draws per calibration level.

  Returns:
    {estimator: {'bias', 'bias_se', 'bias_teacher_student', 'bias_label', 'dims', 'n'}}
    in nats ('bias_se': the two calibrations' standard errors in quadrature).
  """
  options = options or {}
  label_name = next(iter(terms.i_student_label.per_estimator))
  label_cal = calibrate(label_name, dims[label_name][0], n_classes, terms.n,
                        options.get(label_name), seeds)
  value = terms.i_student_label.value
  bias_label, se_label = label_cal.bias_at(value), label_cal.bias_se_at(value)
  out = {}
  for name, est in terms.i_teacher_student.per_estimator.items():
    cal = calibrate(name, *dims[name], terms.n, options.get(name), seeds)
    bias_ts = cal.bias_at(est["value"])
    out[name] = {"bias": bias_ts - bias_label,
                 "bias_se": stats.quadrature(cal.bias_se_at(est["value"]), se_label),
                 "bias_teacher_student": bias_ts, "bias_label": bias_label,
                 "dims": list(dims[name]), "n": terms.n}
  return out
