"""The data-parallel form of the step: a 1-D ('data',) mesh, batches sharded on their
leading axis, params and optimiser state replicated, the state donated.

Works the same on one process (no `jax.distributed.initialize` needed) and on several:
each process feeds only the rows of a global batch that its own devices hold
(`process_rows`), and `global_batch` assembles them with
`jax.make_array_from_process_local_data`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import numpy as np
from jax.sharding import AxisType, Mesh, NamedSharding, PartitionSpec

from cch_jax.kd import step as step_lib

DATA_AXIS = "data"


def data_mesh(devices: Sequence[jax.Device] | None = None) -> Mesh:
  """A 1-D ('data',) mesh over `devices` (default: all devices of all processes).

  The axis is `AxisType.Auto` (classic sharding propagation under jit with explicit
  in/out shardings); `jax.make_mesh` would otherwise default to Explicit axes.
  """
  devices = jax.devices() if devices is None else list(devices)
  return jax.make_mesh((len(devices),), (DATA_AXIS,), axis_types=(AxisType.Auto,),
                       devices=devices)


def replicated(mesh: Mesh) -> NamedSharding:
  """Every device holds the whole array (params, optimiser state, metrics, keys)."""
  return NamedSharding(mesh, PartitionSpec())


def batch_sharding(mesh: Mesh) -> NamedSharding:
  """Leading (batch) axis split over 'data'."""
  return NamedSharding(mesh, PartitionSpec(DATA_AXIS))


def process_rows(mesh: Mesh, global_rows: int) -> slice:
  """The contiguous rows of a (global_rows, ...) batch held by this process's devices."""
  sharding = batch_sharding(mesh)
  if global_rows % mesh.devices.size:
    raise ValueError(f"batch of {global_rows} rows: expected a multiple of the "
                     f"{mesh.devices.size} devices on the '{DATA_AXIS}' axis")
  index = sharding.addressable_devices_indices_map((global_rows,))
  starts = sorted({idx[0].start or 0 for idx in index.values()})
  per_device = global_rows // mesh.devices.size
  if starts != list(range(starts[0], starts[0] + per_device * len(starts), per_device)):
    raise ValueError("this process's devices do not hold a contiguous block of the batch")
  return slice(starts[0], starts[-1] + per_device)


def global_batch(local: Mapping[str, np.ndarray], mesh: Mesh, global_rows: int
                 ) -> dict[str, jax.Array]:
  """Assembles the global batch from this process's rows `local[k]` (its
  `process_rows`) into arrays sharded over 'data'."""
  sharding = batch_sharding(mesh)
  return {k: jax.make_array_from_process_local_data(
      sharding, np.asarray(v), (global_rows,) + np.shape(v)[1:]) for k, v in local.items()}


def sharded_train_step(mesh: Mesh) -> Callable[..., Any]:
  """`step.train_step` jitted over `mesh`: (state, batch, key) -> (state, metrics).

  In: state replicated (and donated), batch sharded on its leading axis, key replicated.
  Out: state and scalar metrics replicated.
  """
  repl = replicated(mesh)
  return jax.jit(step_lib.train_step, in_shardings=(repl, batch_sharding(mesh), repl),
                 out_shardings=(repl, repl), donate_argnums=(0,))


def sharded_eval_sums(mesh: Mesh) -> Callable[..., Any]:
  """`step.eval_sums` jitted over `mesh`: (state, batch) -> replicated sums."""
  repl = replicated(mesh)
  return jax.jit(step_lib.eval_sums, in_shardings=(repl, batch_sharding(mesh)),
                 out_shardings=repl)


def replicated_key(key: jax.Array, mesh: Mesh) -> jax.Array:
  """A PRNG key made identically on every process, as a replicated global array."""
  data = jax.make_array_from_process_local_data(
      replicated(mesh), np.asarray(jax.random.key_data(key)))
  return jax.jit(jax.random.wrap_key_data, out_shardings=replicated(mesh))(data)
