"""Uncertainty for any jittable estimator fn(x, y) -> (): half-sampling CIs and a
permutation null, both evaluated through the same kernel with lax.map (bounded memory).

Half-sampling: for a mean-like statistic, estimates on random halves (drawn without
replacement) spread as much as the full-sample estimate does (the without-replacement
variance σ²/m·(1 − m/n) equals σ²/n at m = n/2), so their standard deviation is a standard
error for the full-sample value. Unlike the bootstrap it never duplicates points, which
would break kNN estimators (a duplicate is a neighbour at distance 0).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax
import numpy as np
from jax import Array, lax

Options = tuple[tuple[str, Any], ...]  # hashable keyword options of the kernel


@functools.partial(jax.jit, static_argnames=("fn", "options", "n_resamples"))
def half_sample_values(fn: Callable[..., Array], options: Options, x: Array, y: Array,
                       key: Array, n_resamples: int) -> Array:
  """fn(x, y, **options) on `n_resamples` random halves of the pairs -> (n_resamples,).

  `fn` and `options` are static, so repeated calls with the same shapes reuse one program.
  """
  n = x.shape[0]

  def one(k):
    idx = jax.random.permutation(k, n)[: n // 2]
    return fn(x[idx], y[idx], **dict(options))

  return lax.map(one, jax.random.split(key, n_resamples))


@functools.partial(jax.jit, static_argnames=("fn", "options", "n_permutations"))
def permutation_null(fn: Callable[..., Array], options: Options, x: Array, y: Array,
                     key: Array, n_permutations: int) -> Array:
  """fn(x, y shuffled, **options), `n_permutations` times -> (n_permutations,)."""
  n = x.shape[0]
  return lax.map(lambda k: fn(x, y[jax.random.permutation(k, n)], **dict(options)),
                 jax.random.split(key, n_permutations))


def null_summary(value: float, null: np.ndarray) -> dict[str, float]:
  """Null mean and sd, z-score, one-sided permutation p-value, null-corrected estimate."""
  sd = float(np.std(null, ddof=1)) if len(null) > 1 else float("nan")
  return {
      "null_mean": float(np.mean(null)), "null_sd": sd,
      "z_score": (value - float(np.mean(null))) / sd if sd > 0 else float("nan"),
      "p_value": float((1 + np.sum(null >= value)) / (1 + len(null))),
      "null_corrected": value - float(np.mean(null)),
  }
