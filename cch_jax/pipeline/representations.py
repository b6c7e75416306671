"""Representations H for the CCH analysis: an encoder's features on held-out rows, cleaned
of constant columns, and the PCA reduction every estimator sees.

  h = represent(model, params, x)          # (n, d_h) from a `kd.Classifier`
  h = clean("h_s", h)                      # drops constant (dead) columns
  h = check("h_s", h)                      # the same checks, every column kept
  z = pca(h, 8)                            # (n, 8) principal scores of standardised h
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cch_jax import kd


def represent(model: Any, params: Any, x: np.ndarray, batch_size: int = 1024) -> np.ndarray:
  """H (n, d_h) of a `kd.Classifier` with `params` on inputs x (n, ...)."""
  _, h = kd.predict(model, params, x, batch_size)
  return np.asarray(h, np.float32)


def check(name: str, h: Any) -> np.ndarray:
  """h as (n, d) finite float32, n >= 2, at least one varying column; else a ValueError
  naming `name`."""
  return clean(name, h, drop=False)


def clean(name: str, h: Any, drop: bool = True) -> np.ndarray:
  """h (n, d) with its constant columns dropped (unless not `drop`) -> (n, d') float32.

  Constant columns (dead ReLU units, an untrained encoder's saturated features) carry no
  information and break kNN distance ties.

  Raises:
    ValueError naming `name` for a bad shape, NaN/inf, or no varying column.
  """
  h = np.asarray(h, np.float32)
  if h.ndim != 2 or h.shape[0] < 2:
    raise ValueError(f"{name}: expected representations of shape (n, d) with n >= 2, got "
                     f"{h.shape}")
  if not np.all(np.isfinite(h)):
    raise ValueError(f"{name}: expected finite representations, found NaN or inf")
  spread = np.ptp(h, axis=0)
  keep = spread > 1e-6 * max(float(np.max(np.abs(h))), 1e-30)
  if not np.any(keep):
    raise ValueError(f"{name}: every column is constant on these {h.shape[0]} rows; the "
                     "encoder's representation carries no information")
  return h[:, keep] if drop else h


def pca(h: np.ndarray, dim: int) -> np.ndarray:
  """Scores (n, min(dim, d)) on the top principal axes of column-standardised h (n, d)
  (all of them standardised when dim >= d); dim = 0 returns h unchanged. Label-free, so
  fitting it on the analysis rows leaks nothing into I(H; Y)."""
  if dim < 0:
    raise ValueError(f"reduce_dim: expected an integer >= 0, got {dim}")
  if dim == 0:
    return h
  z = (h - h.mean(0)) / (h.std(0) + 1e-8)
  if dim >= h.shape[1]:
    return z.astype(np.float32)
  _, _, vt = np.linalg.svd(z.astype(np.float64), full_matrices=False)
  return (z @ vt[:dim].T).astype(np.float32)
