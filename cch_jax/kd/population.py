"""Populations: M models trained at once as compiled programs, their member axis laid
over a ('members', 'data') device mesh. A single model is a population of one.

  grid = paired_grid(lams=(0.5, 0.9), temperatures=(1., 4.), seeds=range(3))
  out = train_population(student, config, train, grid, key, val=val, test=test)

Member m uses fold_in(key, seed[m]) for its initialisation, batch order and dropout, so
members with the same seed (a λ = 0 baseline and its KD twins) start from the same
parameters and see the same batches: their differences are paired. Repeated data splits
stack on a leading axis of the data ('y' (S, n)); members.split picks each member's.

Batches are drawn per stream, not per member: a stream is a seed, whose shuffle of the
row positions is drawn once per epoch on the device, inside the scanned steps, and shared
by every member with that seed (every split, teacher and (λ, T)); each member gathers its
own (B, ·) rows of its split. (The shuffle depends on the seed alone, as it always has, so
one stream per seed rather than per (split, seed) keeps every batch of earlier runs.) On
CPU a device trains its members in chunks of up to 32 (`member_chunk`), one after
another, each through the whole segment; the batch draws are then per chunk.

`train_population` is one jitted program; `loop.fit_population` runs the same pieces in
checkpointed segments with the same results:

  population = prepare(model, config, train, members, key, val, test)   # checks, layout
  states = init_population(population)              # leaves (padded M, ...), sharded
  states, curves = advance_population(population, states, start, n_steps)
  val_score, val_loss, test_outputs, test_score = evaluate_population(population, states)
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from typing import Any, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from jax import Array
from jax.sharding import Mesh
from jax.sharding import PartitionSpec as P

from cch_jax.kd import batching, tasks
from cch_jax.kd import mesh as mesh_lib
from cch_jax.kd import step as step_lib
from cch_jax.kd.config import TrainConfig
from cch_jax.kd.members import Members, check_members
from cch_jax.kd.mesh import DATA, MEMBERS
from cch_jax.utils import checks

Batch = dict[str, Array]
CPU_CHUNK = 32
"""Members vmapped together on a CPU device (625 MLP students on a 2-core CPU, an ad-hoc
timing noted in benchmarks/RESULTS.md: chunks of 25 ran 1.25× all 625 at once)."""


class PopulationResult(NamedTuple):
  """Per-member outputs on the host, leading axis M (members).

  Attributes:
    params: final params pytree ({'model': ...[, 'proj': ...]}), leaves (M, ...).
    curves: training metrics per step {'loss', 'supervised', 'distill', 'feature', 'score'}
      (score: accuracy, or −MAE for regression; and from
      `loop.fit_population` with validation data, 'val_score', NaN between evaluations),
      each (M, steps).
    val_score, val_loss: (M,) at the end of training (NaN without validation data).
    test_outputs: (M, n_test, K) or None. test_score: (M,) or None.
  """
  params: Any
  curves: dict[str, np.ndarray]
  val_score: np.ndarray
  val_loss: np.ndarray
  test_outputs: np.ndarray | None
  test_score: np.ndarray | None


@dataclasses.dataclass(frozen=True)
class Population:
  """A population laid out on the devices: what its compiled pieces read besides states.

  Attributes:
    model, config: every member's `Classifier` and training config.
    layout: the mesh and the member count, real and padded.
    members: the `Members` as (padded M,) global arrays split over 'members'.
    streams: (padded M,) each member's batch stream (index into stream_seeds), split
      over 'members'. stream_seeds: (Q,) the seed of each stream (replicated).
    key: the base key's data (replicated).
    train, val, test: the data dicts as replicated global arrays (val, test optional).
  """
  model: nn.Module
  config: TrainConfig
  layout: mesh_lib.Layout
  members: Members
  streams: Array
  stream_seeds: Array
  key: Array
  train: Batch
  val: Batch | None
  test: Batch | None


def prepare(model: nn.Module, config: TrainConfig, train: Batch, members: Members,
            key: Array, val: Batch | None = None, test: Batch | None = None,
            devices: Sequence[jax.Device] | None = None) -> Population:
  """Checks the data and members, then lays the population over `devices` (default: all
  devices of all processes) and places everything there. Every check runs here, before
  any training; every process passes the same host arrays.

  Args:
    model: the `Classifier` every member uses.
    config: steps, batch size, optimiser, schedule, data_shards.
    train: {'x' (n, ...), 'y' (n,)} and for KD 'teacher_outputs' (n, K) and optionally
      'teacher_features' (n, d_t) (adds the β-weighted projected-feature term); several
      teachers stack their targets, (G, n, K) and (G, n, d_t), and member m distils from
      teacher members.teacher[m]. S equal-sized splits may be stacked on a leading
      axis of every entry ('y' (S, n), 'x' (S, n, ...), targets (S, G, n, ·)): member m
      trains on split members.split[m].
    members: the `Members` (e.g. `paired_grid`), teacher indices in [0, G), split
      indices in [0, S).
    key: base PRNG key (default implementation); member m uses fold_in(key, seed[m]).
    val, test: optional {'x', 'y'}, stacked like `train` when it stacks splits.
    devices: the devices to use.
  """
  batching.check_data("train", train, config.batch_size)
  if batching.target_axes(np.asarray(train["y"])) != (config.task == "regression"):
    raise ValueError(f"config.task: {config.task!r} does not match train['y'] of dtype "
                     f"{np.asarray(train['y']).dtype} (regression targets are floats (n, k), "
                     "class labels integers (n,))")
  check_members(members, train)
  for name, data in (("val", val), ("test", test)):
    if data is not None:
      batching.check_data(name, data)
      check_members(members, data)
  seeds, streams = np.unique(np.asarray(members.seed), return_inverse=True)
  layout = mesh_lib.population_layout(len(members), config.batch_size, config.data_shards,
                                      devices)
  spread = lambda tree: mesh_lib.shard_members(mesh_lib.pad_rows(tree, layout.padded),
                                               layout.mesh)
  if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
    key = jax.random.key_data(key)
  data = mesh_lib.replicate((dict(train), val and dict(val), test and dict(test)),
                            layout.mesh)
  return Population(model, config, layout, spread(members),
                    spread(streams.astype(np.int32)),
                    mesh_lib.replicate(seeds.astype(np.int32), layout.mesh),
                    mesh_lib.replicate(np.asarray(key), layout.mesh), *data)


def init_population(population: Population) -> step_lib.KDState:
  """The members' initial states (`step.create_state` per member; jitted).

  Returns:
    `KDState` whose leaves have leading axis padded M, split over 'members'.
  """
  p = population
  return _init(p.model, p.config, p.layout.mesh, _feature_dim(p.train),
               {"x": p.train["x"], "y": p.train["y"]}, p.members, p.key)


def advance_population(population: Population, states: step_lib.KDState, n_steps: int
                       ) -> tuple[step_lib.KDState, dict[str, Array]]:
  """`n_steps` more steps of every member, from the step its state holds (a `lax.scan`
  over steps of the vmapped members, per device; jitted, the states donated).

  The batch and dropout key of member m at global step i are pure functions of
  (fold_in(key, seed[m]), i), so advancing in segments equals one scan over all steps.

  Returns:
    (states, curves {'loss', 'supervised', 'distill', 'feature', 'score'} each (padded M,
    n_steps), split over 'members').
  """
  checks.check_positive_int("n_steps", n_steps)
  p = population
  return _advance(p.config, p.layout.mesh, n_steps, p.train, states, p.members,
                  p.streams, p.stream_seeds, p.key)


def evaluate_population(population: Population, states: step_lib.KDState,
                        test: bool = True
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None,
                                   np.ndarray | None]:
  """Scores every member's model params on its split of the validation and (if `test`)
  test data (jitted; inference in config.eval_batch_size rows).

  Returns:
    Host arrays without the padding: (val_score (M,), val_loss (M,) (NaN without
    validation data), test_outputs (M, n_test, K) or None, test_score (M,) or None).
  """
  p = population
  out = _evaluate(p.model, p.config, p.layout.mesh, states.params["model"],
                  p.members.split, p.val, p.test if test else None)
  return mesh_lib.to_host(out, p.layout.n_members)


def place_states(population: Population, states: Any) -> step_lib.KDState:
  """Host states of the M members (e.g. from a checkpoint), padded and laid out."""
  padded = mesh_lib.pad_rows(states, population.layout.padded)
  return mesh_lib.shard_members(padded, population.layout.mesh)


def train_population(model: nn.Module, config: TrainConfig, train: Batch,
                     members: Members, key: Array, val: Batch | None = None,
                     test: Batch | None = None,
                     devices: Sequence[jax.Device] | None = None) -> PopulationResult:
  """Trains M members (students, teachers, encoders) at once, as one compiled program:
  `init_population`, `advance_population` over config.steps, `evaluate_population`.

  `loop.fit_population` runs the same pieces in checkpointed segments (same results).
  Arguments as for `prepare`.

  Returns:
    `PopulationResult` (host arrays, leading axis M).
  """
  p = prepare(model, config, train, members, key, val, test, devices)
  params, curves, evaluation = _population(
      model, config, p.layout.mesh, _feature_dim(p.train), p.train, p.members,
      p.streams, p.stream_seeds, p.key, p.val, p.test)
  params, curves, evaluation = mesh_lib.to_host((params, curves, evaluation),
                                                p.layout.n_members)
  return PopulationResult(params, curves, *evaluation)


def _feature_dim(train: Batch) -> int | None:
  return train["teacher_features"].shape[-1] if "teacher_features" in train else None


def _member_key(key_data: Array, seed: Array, use: int) -> Array:
  """Member key of `seed` for `use` (0: initialisation, 1: batch order, 2: dropout)."""
  key = jax.random.wrap_key_data(key_data)
  return jax.random.fold_in(jax.random.fold_in(key, seed), use)


@functools.partial(jax.jit, static_argnames=("model", "config", "mesh", "feature_dim"))
def _init(model: nn.Module, config: TrainConfig, mesh: Mesh, feature_dim: int | None,
          data: Batch, members: Members, key: Array) -> step_lib.KDState:

  def local(data, members, key):
    x_example = data["x"][(0,) * batching.split_axes(data)][:1]  # first split's first row

    def one(seed, lam, temperature, beta):
      return step_lib.create_state(model, config, _member_key(key, seed, 0), x_example,
                                   feature_dim, lam, temperature, beta)

    states = jax.vmap(one)(members.seed, members.lam, members.temperature, members.beta)
    # A strong int32 step, like a restored checkpoint's: both hit one compiled advance.
    return states.replace(step=states.step.astype(jnp.int32))

  return jax.shard_map(local, mesh=mesh, in_specs=(P(), P(MEMBERS), P()),
                       out_specs=P(MEMBERS))(data, members, key)


@functools.partial(jax.jit, static_argnames=("config", "mesh", "n_steps"),
                   donate_argnames=("states",))
def _advance(config: TrainConfig, mesh: Mesh, n_steps: int, train: Batch,
             states: step_lib.KDState, members: Members, streams: Array,
             stream_seeds: Array, key: Array
             ) -> tuple[step_lib.KDState, dict[str, Array]]:
  n, batch_size, shards = batching.n_rows(train), config.batch_size, mesh.shape[DATA]
  step = functools.partial(step_lib.train_step, axis_name=DATA if shards > 1 else None,
                           task=config.task)

  def local(train, states, members, streams, stream_seeds, key):
    stream_keys = jax.vmap(lambda s: _member_key(key, s, 1))(stream_seeds)

    def run(states, members, streams):  # the scan over steps of some members (vmapped)
      dropout_keys = jax.vmap(lambda s: _member_key(key, s, 2))(members.seed)
      start = states.step[0]  # every member is at the same step
      perms = batching.epoch_permutations(stream_keys, start, n, batch_size)
      steps = start + jnp.arange(n_steps, dtype=jnp.int32)
      (states, _), curves = jax.lax.scan(
          functools.partial(body, members, streams, dropout_keys), (states, perms), steps)
      return states, {k: v.T for k, v in curves.items()}

    def body(members, streams, dropout_keys, carry, i):
      states, perms = carry
      perms, rows = batching.next_rows(perms, stream_keys, i, n, batch_size)
      keys = jax.vmap(lambda k: jax.random.fold_in(k, i))(dropout_keys)
      if shards > 1:  # this device's rows of every batch, and its own dropout draws
        shard = jax.lax.axis_index(DATA)
        rows = jax.lax.dynamic_slice_in_dim(rows, shard * (batch_size // shards),
                                            batch_size // shards, axis=1)
        keys = jax.vmap(lambda k: jax.random.fold_in(k, shard))(keys)
      batches = jax.vmap(member_batch, (None, 0, 0, 0))(
          train, members.teacher, members.split, rows[streams])
      states, metrics = jax.vmap(step)(states, batches, keys)
      return (states, perms), metrics

    m = streams.shape[0]
    chunk = member_chunk(m, config.member_chunk, mesh.devices.flat[0].platform)
    if chunk == m:
      return run(states, members, streams)
    fold = lambda a: a.reshape((m // chunk, chunk) + a.shape[1:])
    out = jax.lax.map(lambda chunk_args: run(*chunk_args),
                      jax.tree.map(fold, (states, members, streams)))
    return jax.tree.map(lambda a: a.reshape((m,) + a.shape[2:]), out)

  return jax.shard_map(
      local, mesh=mesh, in_specs=(P(), P(MEMBERS), P(MEMBERS), P(MEMBERS), P(), P()),
      out_specs=(P(MEMBERS), P(MEMBERS)))(train, states, members, streams, stream_seeds, key)


def member_chunk(m: int, setting: int, platform: str) -> int:
  """How many of a device's m members train vmapped together; chunks run one after
  another (`lax.map`), each its whole segment. `setting` > 0: its largest divisor of m
  <= setting; 0 (auto): all m on accelerators, at most `CPU_CHUNK` on CPU, where a
  chunk's states then stay in cache across steps."""
  limit = setting or (m if platform != "cpu" else CPU_CHUNK)
  return max(d for d in range(1, min(m, limit) + 1) if m % d == 0)


@functools.partial(jax.jit, static_argnames=("model", "config", "mesh"))
def _evaluate(model: nn.Module, config: TrainConfig, mesh: Mesh, params: Any,
              splits: Array, val: Batch | None, test: Batch | None
              ) -> tuple[Array, Array, Array | None, Array | None]:

  task = tasks.TASKS[config.task]

  def local(params, splits, val, test):
    val_score = val_loss = jnp.full(splits.shape, jnp.nan, jnp.float32)
    test_outputs = test_score = None
    if val is not None:
      val_outputs, val_y = _member_outputs(model, config, params, val, splits)
      val_score = jax.vmap(task.score)(val_outputs, val_y)
      val_loss = jnp.mean(jax.vmap(task.supervised)(val_outputs, val_y), -1)
    if test is not None:
      test_outputs, test_y = _member_outputs(model, config, params, test, splits)
      test_score = jax.vmap(task.score)(test_outputs, test_y)
    return val_score, val_loss, test_outputs, test_score

  return jax.shard_map(local, mesh=mesh, in_specs=(P(MEMBERS), P(MEMBERS), P(), P()),
                       out_specs=P(MEMBERS))(params, splits, val, test)


@functools.partial(jax.jit, static_argnames=("model", "config", "mesh", "feature_dim"))
def _population(model, config, mesh, feature_dim, train, members, streams, stream_seeds,
                key, val, test):
  states = _init(model, config, mesh, feature_dim, {"x": train["x"], "y": train["y"]},
                 members, key)
  states, curves = _advance(config, mesh, config.steps, train, states, members, streams,
                            stream_seeds, key)
  return states.params, curves, _evaluate(model, config, mesh, states.params["model"],
                                          members.split, val, test)


def member_batch(train: Batch, teacher: Array, split: Array, idx: Array) -> Batch:
  """Rows `idx` (B,) of the training dict for a member on `split` distilling from
  `teacher`. Stacked splits ('y' (S, n)) are indexed at [split, ...]; stacked teachers'
  targets ('teacher_outputs' (·, G, n, K), 'teacher_features' (·, G, n, d_t)) at
  [..., teacher, idx]: one gather of (B, ·) rows, so no member copies a whole split or a
  whole teacher's targets."""
  lead = (split,) * batching.split_axes(train)
  stacked = lambda k, v: (k in ("teacher_outputs", "teacher_features")
                          and v.ndim == len(lead) + 3)
  return {k: v[(*lead, teacher, idx)] if stacked(k, v) else v[(*lead, idx)]
          for k, v in train.items()}


def _member_outputs(model: nn.Module, config: TrainConfig, params: Any, data: Batch,
                    splits: Array) -> tuple[Array, Array]:
  """Each member's outputs (M, n, K) and labels (M, n) (targets (M, n, k)) on its own
  split of `data`.

  Stacked splits are scored whole and the member's rows kept: S times the (cheap)
  inference, but no (M, n, ...) copy of the inputs."""
  logits = lambda p, x: batching.apply_in_batches(
      lambda xb: model.apply({"params": p}, xb), x, config.eval_batch_size)
  m = jax.tree.leaves(params)[0].shape[0]
  if not batching.split_axes(data):
    return (jax.vmap(logits, (0, None))(params, data["x"]),
            jnp.broadcast_to(data["y"], (m,) + data["y"].shape))
  s, n = data["y"].shape[:2]
  flat = jax.vmap(logits, (0, None))(params, data["x"].reshape((s * n,) + data["x"].shape[2:]))
  own = flat.reshape((m, s, n, -1))[jnp.arange(m), splits]
  return own, data["y"][splits]


def teacher_targets(model: nn.Module, params: Any, x: Array, batch_size: int = 1024,
                    features: bool = True) -> Batch:
  """Stage 2 input: the frozen teacher's outputs on its own modality, computed once.

  Args:
    model, params: the teacher `Classifier` and its params (one member of a trained
      population, e.g. `jax.tree.map(lambda a: a[0], result.params["model"])`).
    x: the teacher-modality inputs of the training rows (n, ...).
    batch_size: rows per inference call.
    features: also return the representations (for the β feature term).

  Returns:
    {'teacher_outputs' (n, K)[, 'teacher_features' (n, d_t)]}: merge into the student's
    training dict, {'x': x_student, 'y': y, **teacher_targets(...)}.
  """
  logits, h = batching.predict(model, params, x, batch_size)
  return {"teacher_outputs": logits, "teacher_features": h} if features else {
      "teacher_outputs": logits}
