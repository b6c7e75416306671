"""Exact k-nearest-neighbour primitives for the kNN estimators, blocked over query rows.

Memory is O(block × n): distances from one block of queries to all n points. On XLA:CPU,
`lax.top_k` over whole rows is much slower than a few passes of a row minimum, so
`kth_smallest` does those, after one pass has narrowed each row down to the few groups of
columns that can hold the answer (`top_k` only picks those groups among the group minima).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax import Array, lax

NORMS = ("euclidean", "max")
GROUP = 32  # columns per group in kth_smallest's first pass
# On CPUs with AVX-512, 512-bit vectors made max-norm KSG 1.2x faster (n = 20,000, 16 + 16
# dims; benchmarks/mi_ksg.py). Other CPUs and backends ignore the option.
COMPILER_OPTIONS = {"xla_cpu_prefer_vector_width": 512}


def jit_kernel(static_argnames: tuple[str, ...]) -> Callable[[Callable], Callable]:
  """jax.jit for a kNN kernel, compiled with COMPILER_OPTIONS when called at top level.

  JAX takes compiler options only on a top-level jit, so a call from inside an outer trace
  (jit, vmap, grad) goes through a plain jit and the outer compilation's options apply.
  """

  def wrap(fn: Callable) -> Callable:
    plain = jax.jit(fn, static_argnames=static_argnames)
    tuned = jax.jit(fn, static_argnames=static_argnames, compiler_options=COMPILER_OPTIONS)

    @functools.wraps(fn)
    def call(*args, **kwargs):
      traced = any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree.leaves((args, kwargs)))
      return (plain if traced else tuned)(*args, **kwargs)

    return call

  return wrap


def _coordinate_distances(pairs: list[tuple[Array, Array]], norm: str) -> list[Array]:
  """Max-norm or Euclidean distances by looping over coordinates, all pairs in one loop.

  Exact coordinate differences, a few dimensions per loop step over contiguous rows of
  points.T: measured 2x faster on XLA:CPU than reducing a (b, n, d) difference, and 20%
  faster with both variables of a KSG pair in the same loop. The shorter variable is padded
  with zero columns, which add nothing to either norm.
  """
  dim = max(q.shape[1] for q, _ in pairs)
  pad = lambda a: jnp.pad(a, ((0, 0), (0, dim - a.shape[1])))
  queries = [pad(q) for q, _ in pairs]
  columns = [pad(p).T for _, p in pairs]  # (dim, n): one contiguous row per coordinate

  def add(j, accs):
    out = []
    for q, c, acc in zip(queries, columns, accs):
      diff = jnp.abs(lax.dynamic_index_in_dim(q, j, 1) - lax.dynamic_index_in_dim(c, j, 0))
      out.append(jnp.maximum(acc, diff) if norm == "max" else acc + diff**2)
    return tuple(out)

  init = tuple(jnp.zeros((q.shape[0], p.shape[0]), p.dtype) for q, p in pairs)
  accs = lax.fori_loop(0, dim, add, init, unroll=min(dim, 4))
  return [acc if norm == "max" else jnp.sqrt(acc) for acc in accs]


def _gram_distances(queries: Array, points: Array) -> Array:
  """Euclidean distances from |q|² + |p|² − 2 q·p after centring (less cancellation)."""
  centre = jnp.mean(points, axis=0)
  q, p = queries - centre, points - centre
  sq = (jnp.sum(q**2, axis=1)[:, None] + jnp.sum(p**2, axis=1)[None, :]
        - 2.0 * jnp.matmul(q, p.T, precision=lax.Precision.HIGHEST))
  return jnp.sqrt(jnp.maximum(sq, 0.0))


def distances(pairs: list[tuple[Array, Array]], norm: str) -> list[Array]:
  """Distances (b, n) from queries (b, d) to points (n, d), for each (queries, points) pair.

  Args:
    pairs: (queries, points) per variable; every variable has the same b and n.
    norm: 'euclidean' or 'max'.

  Returns:
    One (b, n) array per pair, in order.
  """
  if norm not in NORMS:
    raise ValueError(f"norm: expected one of {NORMS}, got {norm!r}")
  if norm == "max":
    return _coordinate_distances(pairs, norm)
  # Euclidean: a matmul beats the coordinate loop from 3 dimensions on.
  looped = [pair for pair in pairs if pair[0].shape[1] <= 2]
  looped_out = iter(_coordinate_distances(looped, norm) if looped else [])
  return [next(looped_out) if q.shape[1] <= 2 else _gram_distances(q, p) for q, p in pairs]


def _kth_by_passes(d: Array, ks: tuple[int, ...]) -> Array:
  """kth_smallest by max(ks) passes of a masked row minimum, ties counted."""
  ks_arr = jnp.asarray(ks)

  def step(_, carry):
    prev, found, out = carry
    m = jnp.min(jnp.where(d > prev[:, None], d, jnp.inf), axis=1)
    count = jnp.sum(d == m[:, None], axis=1)
    reached = ((found[None, :] < ks_arr[:, None])
               & ((found + count)[None, :] >= ks_arr[:, None]))
    return m, found + count, jnp.where(reached, m[None, :], out)

  init = (jnp.full(d.shape[0], -jnp.inf, d.dtype), jnp.zeros(d.shape[0], jnp.int32),
          jnp.full((len(ks), d.shape[0]), jnp.inf, d.dtype))
  return lax.fori_loop(0, ks[-1], step, init)[2]


def kth_smallest(d: Array, ks: tuple[int, ...]) -> Array:
  """Row-wise k-th smallest values of d (b, n) for each k in ks (ascending) -> (len(ks), b).

  Ties count with multiplicity (the k-th smallest of [1, 1, 2] for k = 2 is 1). Rows with
  fewer than k finite values give +inf.

  The columns are cut into groups of GROUP; the k smallest values of a row lie in the k
  groups with the smallest minima (ties broken by position: any group outside them has k
  groups ahead of it, each with a smaller element). One pass finds the group minima, and the
  passes for the k-th value run over those k groups only.
  """
  b, n = d.shape
  kmax = ks[-1]
  if n < 4 * kmax * GROUP:
    return _kth_by_passes(d, ks)
  groups = jnp.pad(d, ((0, 0), (0, -n % GROUP)), constant_values=jnp.inf
                   ).reshape(b, -1, GROUP)
  minima = jnp.min(groups, axis=2)  # (b, n_groups)
  _, chosen = lax.top_k(-minima, kmax)  # (b, kmax) distinct groups; small, so top_k is cheap
  # Gather the chosen groups' columns from d itself: gathering from the padded copy made
  # XLA:CPU recompute the padding per element (7x slower at n = 5,000).
  columns = (chosen[:, :, None] * GROUP + jnp.arange(GROUP)).reshape(b, kmax * GROUP)
  candidates = jnp.where(columns < n,
                         jnp.take_along_axis(d, jnp.minimum(columns, n - 1), axis=1), jnp.inf)
  return _kth_by_passes(candidates, ks)


def count_below(d: Array, radii: Array) -> Array:
  """Per row, the entries of d (b, n) strictly below radii (..., b) -> (..., b) float counts.

  Summed as float32 ones (exact below 2^24 points): measured faster on XLA:CPU than summing a
  boolean mask.
  """
  return jnp.sum(jnp.where(d < radii[..., None], 1.0, 0.0), axis=-1)


def map_query_blocks(fn: Callable[[Array, Array], Array], n: int, block: int) -> Array:
  """Applies fn(rows (b,), valid (b,)) -> (..., b) over row blocks; returns (..., n).

  Rows past n in the last block are clamped to n − 1 and flagged invalid.
  """
  n_blocks = -(-n // block)
  starts = jnp.arange(n_blocks) * block

  def one(start):
    rows = start + jnp.arange(block)
    return fn(jnp.minimum(rows, n - 1), rows < n)

  out = lax.map(one, starts)  # (n_blocks, ..., b)
  out = jnp.moveaxis(out, 0, -2)  # (..., n_blocks, b)
  return out.reshape(out.shape[:-2] + (n_blocks * block,))[..., :n]


def exclude_self(d: Array, rows: Array) -> Array:
  """Sets d[i, rows[i]] to +inf (a point is not its own neighbour)."""
  return jnp.where(jnp.arange(d.shape[1])[None, :] == rows[:, None], jnp.inf, d)
