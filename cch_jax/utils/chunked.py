"""Map a jitted function over the leading axis of large arrays in fixed-size chunks.

Chunks keep peak memory bounded as a grid grows; each chunk is split over a 1-D
('cells',) device mesh with NamedSharding, so a sweep uses every local accelerator (or
every fake CPU device under --xla_force_host_platform_device_count). The last chunk is
padded so the function compiles once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

PyTree = Any


def cell_mesh(devices: list[jax.Device] | None = None) -> Mesh:
  """A 1-D mesh named 'cells' over `devices` (default: this process's local devices)."""
  devices = jax.local_devices() if devices is None else devices
  return Mesh(np.asarray(devices), ("cells",))


def map_in_chunks(fn: Callable[..., PyTree], *arrays: np.ndarray, chunk_size: int,
                  mesh: Mesh | None = None,
                  on_chunk: Callable[[int, int], None] | None = None) -> PyTree:
  """Applies `fn` to consecutive chunks of `arrays` along axis 0 and concatenates results.

  Args:
    fn: a jitted function of chunks (chunk_size, ...) -> pytree of arrays with leading
      axis chunk_size. It must treat rows independently (e.g. a vmap).
    *arrays: host arrays with a common leading size C.
    chunk_size: rows per call; rounded up to a multiple of the mesh size.
    mesh: 1-D device mesh to shard each chunk over (default: `cell_mesh()`).
    on_chunk: called as on_chunk(rows_done, C) after each chunk (progress reporting).

  Returns:
    The pytree of NumPy arrays with leading axis C.
  """
  mesh = cell_mesh() if mesh is None else mesh
  total = len(arrays[0])
  if any(len(a) != total for a in arrays):
    raise ValueError(f"arrays: expected a common leading size, got {[len(a) for a in arrays]}")
  n_dev = mesh.devices.size
  chunk_size = -(-max(1, chunk_size) // n_dev) * n_dev
  sharding = NamedSharding(mesh, PartitionSpec("cells"))
  pieces = []
  for start in range(0, total, chunk_size):
    stop = min(start + chunk_size, total)
    chunk = [_pad_rows(np.asarray(a[start:stop]), chunk_size) for a in arrays]
    out = fn(*(jax.device_put(c, sharding) for c in chunk))
    pieces.append(jax.tree.map(lambda x, k=stop - start: np.asarray(x)[:k], out))
    if on_chunk is not None:
      on_chunk(stop, total)
  return jax.tree.map(lambda *xs: np.concatenate(xs, axis=0), *pieces)


def _pad_rows(array: np.ndarray, rows: int) -> np.ndarray:
  """Pads axis 0 to `rows` by repeating the last row (keeps padded cells numerically valid)."""
  missing = rows - len(array)
  if missing == 0:
    return array
  return np.concatenate([array, np.repeat(array[-1:], missing, axis=0)], axis=0)
