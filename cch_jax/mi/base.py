"""The estimator interface: `MIEstimate`, the registry, and input checks at the public edge."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from cch_jax.utils.registry import Registry


@dataclasses.dataclass(frozen=True)
class MIEstimate:
  """A mutual-information estimate in nats with its uncertainty.

  Attributes:
    value: the point estimate.
    ci_low, ci_high: a 95% confidence interval (how it was made: diagnostics['ci']).
    method: the estimator's registry name.
    n: the number of samples used.
    diagnostics: method-specific extras (null distribution, warnings, per-k values, ...).
  """
  value: float
  ci_low: float
  ci_high: float
  method: str
  n: int
  diagnostics: dict[str, Any] = dataclasses.field(default_factory=dict)

  def __str__(self) -> str:
    return (f"{self.method}: {self.value:.4f} nats "
            f"[{self.ci_low:.4f}, {self.ci_high:.4f}] (n={self.n})")


@dataclasses.dataclass(frozen=True)
class Estimator:
  """A registered estimator.

  Attributes:
    fn: jittable (x (n, dx), y (n, dy) or labels (n,), **options) -> () MI in nats; the
      options must be hashable (they are static under jit).
    labels: True if y must be integer class labels, False if continuous.
    min_samples: a function of the options giving the smallest usable n.
    randomized: True for trained estimators: fn(x, y, key, **options) returns
      (per-seed values (S,), training curves (S, steps)), each seed on its own random split;
      the CI then comes from the spread over seeds, not from half-sampling. They
      standardise their inputs, so constant columns (e.g. dead ReLU units) are allowed and
      become 0, which keeps a representation's width (and the compiled program) fixed.
    symmetric: the estimate of I(X; Y) equals that of I(Y; X) on swapped inputs (False for
      a probe that predicts y from x).
  """
  fn: Callable[..., Any]
  labels: bool = False
  min_samples: Callable[..., int] = lambda **_: 2
  randomized: bool = False
  symmetric: bool = True


ESTIMATORS: Registry[Estimator] = Registry("MI estimator")


def as_samples(name: str, value: Any, allow_constant: bool = False) -> np.ndarray:
  """(n,) or (n, d) finite floats -> (n, d) float32; a clear error otherwise (constant
  columns too, unless `allow_constant`)."""
  array = np.asarray(value)
  if array.ndim == 1:
    array = array[:, None]
  if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
    raise ValueError(f"{name}: expected shape (n,) or (n, d) with n, d > 0, got {array.shape}")
  if not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
    raise ValueError(f"{name}: expected real numbers, got dtype {array.dtype}")
  if not np.all(np.isfinite(array)):
    raise ValueError(f"{name}: expected finite values, found NaN or inf")
  constant = np.flatnonzero(np.ptp(array, axis=0) == 0)
  if constant.size and not allow_constant:
    raise ValueError(f"{name}: columns {constant.tolist()} are constant; drop them "
                     "(a constant carries no information and breaks distance ties)")
  return array.astype(np.float32)


def as_labels(name: str, value: Any) -> np.ndarray:
  """(n,) integer class labels -> (n,) int32 codes 0..K-1; at least two classes."""
  array = np.asarray(value)
  if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
    raise ValueError(f"{name}: expected (n,) integer class labels, got shape {array.shape} "
                     f"and dtype {array.dtype}")
  classes, codes = np.unique(array, return_inverse=True)
  if len(classes) < 2:
    raise ValueError(f"{name}: expected at least two classes, got {classes.tolist()}")
  return codes.astype(np.int32)


def is_labels(value: Any) -> bool:
  """True for a 1-D integer array (treated as discrete class labels)."""
  array = np.asarray(value)
  return array.ndim == 1 and np.issubdtype(array.dtype, np.integer)
