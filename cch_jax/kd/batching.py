"""Batches as pure functions of (key, step), and batched inference.

The order is epoch-wise without replacement: epoch e = step // (n // B) shuffles the n
training rows with fold_in(key, e) and step takes the next B of them (the last n mod B
rows of each shuffle are skipped). A resumed run therefore sees the same batches, and
students sharing a key (a baseline and its KD twins) see the same order. A population
draws one shuffle per epoch per batch stream (`epoch_permutations`, `next_rows`), not
one per member and step.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array

from cch_jax.utils import checks

PyTree = Any


def check_data(name: str, data: Any, batch_size: int | None = None) -> int:
  """Checks a data dict at the public edge and returns its row count n (per split).

  Expects 'x' (n, ...) and 'y': integer labels (n,) or float regression targets (n, k);
  and if present 'teacher_outputs' (n, K),
  'teacher_features' (n, d_t) (or G stacked teachers' (G, n, ·)). S equal-sized splits
  stacked on a leading axis ('y' (S, n), 'x' (S, n, ...), targets (S, n, ·) or
  (S, G, n, ·)) are accepted too (see `split_axes`). With `batch_size`, n >= batch_size.
  Skipped (returns -1) inside jit/vmap.
  """
  if not isinstance(data, dict) or "x" not in data or "y" not in data:
    raise ValueError(f"{name}: expected a dict with 'x' and 'y', got "
                     f"{sorted(data) if isinstance(data, dict) else type(data).__name__}")
  if not checks.is_concrete(data):
    return -1
  y = np.asarray(data["y"])
  regression = np.issubdtype(y.dtype, np.floating)
  if not regression and not np.issubdtype(y.dtype, np.integer):
    raise TypeError(f"{name}['y']: expected integer class labels or float regression "
                    f"targets, got {y.dtype}")
  if y.ndim - regression not in (1, 2):
    raise ValueError(f"{name}['y']: expected shape {'(n, k)' if regression else '(n,)'} "
                     f"or, for S stacked splits, (S, ...); got {y.shape}")
  lead = y.shape[:y.ndim - regression - 1]  # () or (S,)
  x_shape = np.shape(data["x"])
  if len(x_shape) <= len(lead) or x_shape[:len(lead)] != lead:
    raise ValueError(f"{name}['x']: expected shape {lead + (y.shape[len(lead)],)} + the "
                     f"input shape, got {x_shape}")
  n = x_shape[len(lead)]
  checks.check_array(f"{name}['y']", y, shape=lead + (n,) + y.shape[len(lead) + 1:])
  checks.check_array(f"{name}['x']", data["x"])
  for k in ("teacher_outputs", "teacher_features"):
    if k in data:  # one teacher (..., n, ·) or G stacked teachers (..., G, n, ·)
      stacked = np.ndim(data[k]) == len(lead) + 3
      shape = lead + ((None,) if stacked else ()) + (n, None)
      checks.check_array(f"{name}['{k}']", data[k], shape=shape)
  if batch_size is not None and n < batch_size:
    raise ValueError(f"{name}: expected at least batch_size = {batch_size} rows, got {n}")
  return n


def target_axes(y: Any) -> int:
  """Axes of one example's target: 1 for regression's float targets (k,), 0 for a class
  label."""
  return int(np.issubdtype(y.dtype, np.floating))


def split_axes(data: Any) -> int:
  """1 if `data` stacks S splits on a leading axis ('y' (S, n) labels or (S, n, k)
  targets), else 0."""
  return int(np.ndim(data["y"]) - target_axes(data["y"]) == 2)


def n_rows(data: Any) -> int:
  """The examples per split of a data dict."""
  return data["y"].shape[split_axes(data)]


def batch_indices(key: Array, step: Array | int, n: int, batch_size: int) -> Array:
  """Row indices (batch_size,) of training step `step` over n rows (n >= batch_size):
  the definition of the batch order (`StreamOrder` computes the same indices once per
  epoch for a whole population)."""
  if batch_size > n:
    raise ValueError(f"batch_size: expected at most n = {n} rows, got {batch_size}")
  per_epoch = n // batch_size
  epoch, i = jnp.divmod(jnp.asarray(step), per_epoch)
  perm = jax.random.permutation(jax.random.fold_in(key, epoch), n)
  return jax.lax.dynamic_slice_in_dim(perm, i * batch_size, batch_size)


def epoch_permutations(keys: Array, step: Array, n: int, batch_size: int) -> Array:
  """The shuffles (Q, n) of the epoch holding `step`, one per stream key in `keys` (Q,)."""
  epoch = jnp.asarray(step) // (n // batch_size)
  return jax.vmap(lambda k: jax.random.permutation(jax.random.fold_in(k, epoch), n))(keys)


def next_rows(perms: Array, keys: Array, step: Array, n: int, batch_size: int
              ) -> tuple[Array, Array]:
  """(perms, rows (Q, batch_size)) of `step`: `perms` (Q, n) is the epoch's shuffles,
  redrawn (inside a `lax.scan`, as a real branch) only when `step` starts an epoch.

  Equals `batch_indices(keys[q], step, n, batch_size)` for every stream q, given the
  shuffles of the epoch before `step` (or of its own epoch)."""
  per_epoch = n // batch_size
  perms = jax.lax.cond(step % per_epoch == 0,
                       lambda: epoch_permutations(keys, step, n, batch_size),
                       lambda: perms)
  rows = jax.lax.dynamic_slice_in_dim(perms, (step % per_epoch) * batch_size, batch_size,
                                      axis=1)
  return perms, rows


def apply_in_batches(fn: Callable[[Array], PyTree], x: Array, batch_size: int) -> PyTree:
  """fn over x (n, ...) in row batches of `batch_size` with `lax.map` (jittable).

  Args:
    fn: maps (b, ...) -> pytree of (b, ...) arrays, treating rows independently.
    x: inputs (n, ...).
    batch_size: rows per call (bounds peak memory).

  Returns:
    The pytree of (n, ...) outputs.
  """
  batch_size = max(1, min(batch_size, x.shape[0]))
  n_full = x.shape[0] // batch_size * batch_size
  blocks = x[:n_full].reshape((-1, batch_size) + x.shape[1:])
  out = jax.tree.map(lambda o: o.reshape((n_full,) + o.shape[2:]), jax.lax.map(fn, blocks))
  if n_full == x.shape[0]:
    return out
  rest = fn(x[n_full:])
  return jax.tree.map(lambda a, b: jnp.concatenate([a, b], axis=0), out, rest)


@functools.partial(jax.jit, static_argnames=("model", "batch_size"))
def predict(model: Any, params: PyTree, x: Array, batch_size: int = 1024
            ) -> tuple[Array, Array]:
  """Logits (n, K) and representations H (n, d_h) of a `Classifier` (jitted).

  Used once on the training set to precompute a frozen teacher's outputs for KD.
  """
  fn = lambda xb: model.apply({"params": params}, xb, method="logits_and_features")
  return apply_in_batches(fn, x, batch_size)

