"""Gaussian-copula MI: the bias-corrected Gaussian estimator on per-coordinate normal scores.

Each coordinate of x and of y is replaced by its normal score Φ⁻¹(rank / (n + 1)) (tied values
share their average rank), then `gaussian.gaussian_mi` runs on the scores. The estimate is
therefore invariant to any strictly increasing map of each coordinate (ranks are), and it is
the exact MI whenever some such maps make (x, y) jointly Gaussian (a Gaussian copula). For
other copulas it sees only the normal-score correlations, so like the Gaussian estimator it
tends to under-read (e.g. the tail dependence of a Student-t is invisible to it).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax import Array
from jax.scipy.special import ndtri
from jax.scipy.stats import rankdata

from cch_jax.mi import gaussian


def average_ranks(v: Array) -> Array:
  """Ranks 1..n of each column of v (n, d) -> (n, d) float; ties get their mean rank."""
  return rankdata(v, method="average", axis=0)


def normal_scores(v: Array) -> Array:
  """Per-column normal scores Φ⁻¹(rank / (n + 1)) of v (n, d) -> (n, d) float32."""
  n = v.shape[0]
  return ndtri(average_ranks(v) / (n + 1.0)).astype(jnp.float32)


@functools.partial(jax.jit, static_argnames=("bias_correction",))
def copula_mi(x: Array, y: Array, bias_correction: bool = True) -> Array:
  """Gaussian-copula MI estimate in nats; x (n, dx), y (n, dy) -> (). Jittable; needs
  n > dx + dy."""
  return gaussian.gaussian_mi(normal_scores(x), normal_scores(y),
                              bias_correction=bias_correction)
