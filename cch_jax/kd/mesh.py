"""Where a population runs: a ('members', 'data') device mesh over the local devices and
processes, member padding, and the host <-> global-array edges.

  layout = population_layout(n_members=27, batch_size=128)      # all devices
  members = shard_members(pad_rows(members, layout.padded), layout.mesh)
  train = replicate(train, layout.mesh)

The members axis splits the population: each device trains its own members, so no
member's arithmetic depends on how many devices there are. The data axis (`data_shards`,
default 1) splits each member's batch for members whose batch alone fills a device; their
gradients are averaged over it (the same mean up to float reassociation; dropout masks
differ, since each shard draws its own). Works the same on one process and on several
started with `jax.distributed.initialize()`: every process passes the same host arrays.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import jax
import numpy as np
from jax.experimental import multihost_utils
from jax.sharding import AxisType, Mesh, NamedSharding, PartitionSpec

MEMBERS, DATA = "members", "data"


@dataclasses.dataclass(frozen=True)
class Layout:
  """A population's place on the devices.

  Attributes:
    mesh: ('members', 'data') mesh; devices process-major along 'members'.
    n_members: M, the real members.
    padded: M rounded up to a multiple of the 'members' axis (the extra members repeat
      the last one and are dropped from every result).
  """
  mesh: Mesh
  n_members: int
  padded: int


def population_layout(n_members: int, batch_size: int, data_shards: int = 1,
                      devices: Sequence[jax.Device] | None = None) -> Layout:
  """The mesh for M members: every process takes the same number of member groups
  (min(its devices / data_shards, M / processes)), each group `data_shards` devices.

  Raises:
    ValueError: naming the setting, when the mesh cannot hold the population (more
      processes than members, data_shards not dividing the devices or the batch).
  """
  devices = list(jax.devices() if devices is None else devices)
  by_process: dict[int, list[jax.Device]] = {}
  for d in sorted(devices, key=lambda d: (d.process_index, d.id)):
    by_process.setdefault(d.process_index, []).append(d)
  processes = len(by_process)
  per_process = min(len(v) for v in by_process.values())
  if n_members < processes:
    raise ValueError(f"population: {n_members} member(s) cannot be spread over {processes} "
                     f"processes (each process trains at least one member); train more "
                     f"members (seeds, splits) or start fewer processes")
  if data_shards < 1 or per_process % data_shards:
    raise ValueError(f"config.data_shards: expected a divisor of the {per_process} devices "
                     f"per process, got {data_shards}")
  if batch_size % data_shards:
    raise ValueError(f"config.batch_size: expected a multiple of config.data_shards = "
                     f"{data_shards}, got {batch_size}")
  groups = min(per_process // data_shards, n_members // processes)
  grid = [by_process[p][:groups * data_shards] for p in sorted(by_process)]
  mesh = Mesh(np.asarray(grid, dtype=object).reshape(processes * groups, data_shards),
              (MEMBERS, DATA), axis_types=(AxisType.Auto, AxisType.Auto))
  width = processes * groups
  return Layout(mesh, n_members, -(-n_members // width) * width)


def pad_rows(tree: Any, padded: int) -> Any:
  """Each host array (M, ...) of `tree` extended to (padded, ...) by repeating its last
  row (a valid member, trained and then dropped)."""

  def pad(a):
    a = np.asarray(a)
    return np.concatenate([a, np.repeat(a[-1:], padded - len(a), axis=0)])

  return jax.tree.map(pad, tree)


def replicated(mesh: Mesh) -> NamedSharding:
  return NamedSharding(mesh, PartitionSpec())


def member_sharded(mesh: Mesh) -> NamedSharding:
  return NamedSharding(mesh, PartitionSpec(MEMBERS))


def replicate(tree: Any, mesh: Mesh) -> Any:
  """Host arrays (identical on every process) as global arrays held whole by every
  device. None leaves stay None."""
  sharding = replicated(mesh)
  return jax.tree.map(
      lambda a: jax.make_array_from_process_local_data(sharding, np.asarray(a)), tree)


def shard_members(tree: Any, mesh: Mesh) -> Any:
  """Host arrays with a leading member axis (identical on every process) as global
  arrays split over 'members'."""
  sharding = member_sharded(mesh)

  def put(a):
    a = np.asarray(a)
    return jax.make_array_from_callback(a.shape, sharding, lambda index: a[index])

  return jax.tree.map(put, tree)


def to_host(tree: Any, n_members: int | None = None) -> Any:
  """Global arrays as host NumPy arrays on every process (all-gathered across
  processes), keeping the first `n_members` rows when given (drops the padding)."""
  if jax.process_count() > 1:
    tree = multihost_utils.process_allgather(tree, tiled=True)
  cut = (lambda a: np.asarray(a)[:n_members]) if n_members is not None else np.asarray
  return jax.tree.map(cut, tree)
