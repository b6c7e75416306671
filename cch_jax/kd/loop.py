"""The training loops at the edge: sharded steps, periodic evaluation, metrics.jsonl,
progress lines with ETA, and orbax checkpoints with resume.

  result = fit(model, config, train, workdir, key=jax.random.key(0), seed=0, val=val)
  out = fit_population(model, config, train, members, workdir, key, val=val, test=test)

`train`/`val` are host (NumPy) dicts as in `step` ({'x', 'y'} plus, for KD,
'teacher_logits' and 'teacher_features'); every process passes the same arrays and feeds
only the rows of each global batch that its devices hold. Batches are a pure function of
(key, seed, step) (`batching.batch_indices`), so a run resumed from its latest checkpoint
(step counter, params, optimiser state) sees the same batches and ends with the same
params and metric lines as an uninterrupted one. Files in `workdir`: `checkpoints/<step>/`
and `metrics.jsonl` (process 0; one line per evaluation: step, windowed train means,
validation accuracy and cross-entropy).

`fit_population` is `population.train_population` in checkpointed segments of
config.checkpoint_every steps (`init_population`, then `advance_population` per segment,
then `evaluate_population`): after each segment it saves the stacked member states and
the curves so far, logs a progress line and (process 0) appends a metrics.jsonl line
(step, train means over members and the segment's steps). A killed run resumes from its
latest segment and returns the same `PopulationResult` as an uninterrupted one; a finished
workdir only restores the final states and re-runs the evaluation.
"""

from __future__ import annotations

import functools
import json
import os
import time
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import orbax.checkpoint as ocp
from absl import logging
from jax.sharding import Mesh

from cch_jax.kd import batching, distributed
from cch_jax.kd import population as pop
from cch_jax.kd import step as step_lib
from cch_jax.kd.config import TrainConfig
from cch_jax.kd.population import member_keys
from cch_jax.utils import progress, report

METRICS_FILE = "metrics.jsonl"
CHECKPOINT_DIR = "checkpoints"
MEMBERS_FILE = "members.json"


class FitResult(NamedTuple):
  """state: the final `KDState` (replicated); records: metric lines written by this call."""
  state: step_lib.KDState
  records: list[dict[str, Any]]


def fit(model: nn.Module, config: TrainConfig, train: Mapping[str, np.ndarray],
        workdir: str, key: jax.Array | None = None, seed: int = 0,
        val: Mapping[str, np.ndarray] | None = None, mesh: Mesh | None = None,
        on_step: Callable[[int], None] | None = None) -> FitResult:
  """Trains `model` for config.steps steps, resuming from `workdir` if it has checkpoints.

  Args:
    model: a `Classifier`.
    config: steps, batch size, optimiser, λ/T/β, eval/log/checkpoint intervals.
    train: {'x' (n, ...), 'y' (n,)[, 'teacher_logits' (n, K), 'teacher_features'
      (n, d_t)]} host arrays, identical on every process.
    workdir: directory for checkpoints/ and metrics.jsonl (created if missing).
    key, seed: the run uses fold_in(key, seed) (default key: jax.random.key(0)), like
      member `seed` of `population.train_population`.
    val: optional {'x', 'y'} evaluated every config.eval_every steps.
    mesh: 1-D ('data',) mesh (default `distributed.data_mesh()`, all devices).
    on_step: called with the number of completed steps after each step (hooks, tests).

  Returns:
    `FitResult(state, records)`.
  """
  mesh = distributed.data_mesh() if mesh is None else mesh
  train = {k: np.asarray(v) for k, v in train.items()}
  n, batch_size = batching.check_data("train", train, config.batch_size), config.batch_size
  if batching.split_axes(train):
    raise ValueError("train: stacked splits ('y' (S, n)) train as a population "
                     "(`fit_population` with members['split']), not with `fit`")
  if val is not None:
    batching.check_data("val", dict(val))
  rows = distributed.process_rows(mesh, batch_size)
  key = jax.random.key(0) if key is None else key
  init_key, data_key, dropout_key = member_keys(jax.random.fold_in(key, seed))

  feature_dim = train["teacher_features"].shape[-1] if "teacher_features" in train else None
  init = functools.partial(step_lib.create_state, model, config,
                           x_example=jnp.asarray(train["x"][:1]), feature_dim=feature_dim)
  state = jax.jit(init, out_shardings=distributed.replicated(mesh))(
      distributed.replicated_key(init_key, mesh))

  os.makedirs(workdir, exist_ok=True)
  manager = ocp.CheckpointManager(
      os.path.join(os.path.abspath(workdir), CHECKPOINT_DIR),
      options=ocp.CheckpointManagerOptions(max_to_keep=config.max_to_keep, create=True))
  state = restore_latest(manager, state)
  start = int(state.step)
  metrics_path = os.path.join(workdir, METRICS_FILE)
  if jax.process_index() == 0:
    _truncate_metrics(metrics_path, start)
  if start:
    logging.info("resumed from checkpoint at step %d of %d", start, config.steps)

  train_step = distributed.sharded_train_step(mesh)
  eval_sums = distributed.sharded_eval_sums(mesh)
  indices = jax.jit(batching.batch_indices, static_argnames=("n", "batch_size"))
  window, records = [], []
  t0, last = time.perf_counter(), {}
  for i in range(start, config.steps):
    idx = np.asarray(indices(data_key, i, n=n, batch_size=batch_size))[rows]
    batch = distributed.global_batch({k: v[idx] for k, v in train.items()}, mesh,
                                     batch_size)
    step_key = distributed.replicated_key(jax.random.fold_in(dropout_key, i), mesh)
    state, metrics = train_step(state, batch, step_key)
    window.append(metrics)
    done = i + 1
    if done % config.eval_every == 0 or done == config.steps:
      last = {"step": done}
      last.update({f"train_{k}": float(np.mean([float(m[k]) for m in window]))
                   for k in window[0]})
      if val is not None:
        last.update(evaluate(eval_sums, state, val, mesh, config.eval_batch_size))
      window = []
      records.append(last)
      if jax.process_index() == 0:
        with open(metrics_path, "a") as f:
          f.write(json.dumps(report.to_jsonable(last)) + "\n")
    if done % config.log_every == 0 or done == config.steps:
      _log_progress(done, config.steps, start, t0, metrics, last)
    if done % config.checkpoint_every == 0 or done == config.steps:
      manager.save(done, args=ocp.args.StandardSave(state))
    if on_step is not None:
      on_step(done)
  manager.wait_until_finished()
  manager.close()
  return FitResult(state, records)


def fit_population(model: nn.Module, config: TrainConfig, train: Mapping[str, Any],
                   members: Mapping[str, Any], workdir: str, key: jax.Array,
                   val: Mapping[str, Any] | None = None,
                   test: Mapping[str, Any] | None = None,
                   on_segment: Callable[[int, step_lib.KDState], None] | None = None
                   ) -> pop.PopulationResult:
  """`population.train_population` in checkpointed, resumable segments.

  Segments are config.checkpoint_every steps (the last one may be shorter); at most two
  segment lengths are compiled. The population runs on this process's first device.

  Args:
    model: the members' `Classifier`.
    config: as for `train_population`, plus checkpoint_every (segment length),
      max_to_keep (checkpoints kept).
    train: {'x' (n, ...), 'y' (n,)[, 'teacher_logits' (n, K) or (G, n, K),
      'teacher_features' (n, d_t) or (G, n, d_t)]} (host or device arrays).
    members: {'lam', 'temperature', 'beta' (M,) floats, 'seed' (M,) and optional
      'teacher', 'split' (M,) ints} (extra keys ignored); checked against workdir/members.json
      when resuming.
    workdir: directory for checkpoints/, metrics.jsonl and members.json (created).
    key: base PRNG key; member m uses fold_in(key, seed[m]).
    val, test: optional {'x', 'y'} scored at the end, as in `train_population`.
    on_segment: called with (completed steps, member states) after each segment's
      checkpoint is saved (monitoring, tests).

  Returns:
    `PopulationResult` equal (up to float reassociation) to `train_population`'s.
  """
  batching.check_data("train", train, config.batch_size)
  for name, data in (("val", val), ("test", test)):
    if data is not None:
      batching.check_data(name, data)
      pop.check_members(members, data)
  members = pop.check_members(members, train)
  if jax.process_count() > 1:
    raise NotImplementedError(
        "fit_population: populations train on one device of one process; sharding members "
        "over a multi-host mesh is not implemented yet (run this stage single-host)")
  # Committed to one device, like restored states, so both hit one compiled segment.
  device = jax.local_devices()[0]
  states = jax.device_put(pop.init_population(model, config, train, members, key), device)
  train = jax.device_put(dict(train), device)  # once: every segment reads it
  n_members = len(np.asarray(members["seed"]))
  curve_spec = jax.eval_shape(
      lambda s: pop.advance_population(config, train, s, members, key, 0, 1)[1], states)

  os.makedirs(workdir, exist_ok=True)
  metrics_path = os.path.join(workdir, METRICS_FILE)
  manager = ocp.CheckpointManager(
      os.path.join(os.path.abspath(workdir), CHECKPOINT_DIR),
      options=ocp.CheckpointManagerOptions(max_to_keep=config.max_to_keep, create=True))
  try:
    start = manager.latest_step() or 0
    if start > config.steps:
      raise ValueError(f"{workdir}: checkpoint at step {start} is past config.steps = "
                       f"{config.steps}")
    curves = {k: np.zeros((n_members, 0), v.dtype) for k, v in curve_spec.items()}
    _check_members_file(os.path.join(workdir, MEMBERS_FILE), members, resuming=start > 0)
    if start:
      states, curves = _restore_population(manager, start, states, curves)
      logging.info("resumed population from checkpoint at step %d of %d", start,
                   config.steps)
    if jax.process_index() == 0:
      _truncate_metrics(metrics_path, start)
    t0 = time.perf_counter()
    for begin in range(start, config.steps, config.checkpoint_every):
      done = min(begin + config.checkpoint_every, config.steps)
      states, segment = pop.advance_population(config, train, states, members, key, begin,
                                               done - begin)
      segment = {k: np.asarray(v) for k, v in segment.items()}
      curves = {k: np.concatenate([curves[k], segment[k]], axis=1) for k in curves}
      manager.save(done, args=ocp.args.StandardSave({"states": states, "curves": curves}))
      line = {"step": done, **{f"train_{k}": float(np.mean(v)) for k, v in segment.items()}}
      if jax.process_index() == 0:
        with open(metrics_path, "a") as f:
          f.write(json.dumps(report.to_jsonable(line)) + "\n")
      _log_population_progress(done, config.steps, start, n_members, t0, line)
      if on_segment is not None:
        on_segment(done, states)
    manager.wait_until_finished()
  finally:
    manager.close()
  evaluation = pop.evaluate_population(model, config, states, val, test, members)
  return pop.PopulationResult(states.params, {k: jnp.asarray(v) for k, v in curves.items()},
                              *evaluation)


def _restore_population(manager: ocp.CheckpointManager, step: int,
                        states: step_lib.KDState, curves: dict[str, np.ndarray]
                        ) -> tuple[step_lib.KDState, dict[str, np.ndarray]]:
  """(states, curves (M, step)) of checkpoint `step`; `states` and `curves` give the
  structure, dtypes and shardings (curves' step axis is resized to `step`)."""
  abstract = {"states": jax.tree.map(ocp.utils.to_shape_dtype_struct, states),
              "curves": {k: np.zeros((len(v), step), v.dtype) for k, v in curves.items()}}
  restored = manager.restore(step, args=ocp.args.StandardRestore(abstract))
  return restored["states"], {k: np.asarray(v) for k, v in restored["curves"].items()}


def _check_members_file(path: str, members: Mapping[str, Any], resuming: bool) -> None:
  """Resuming: checks that `members` equal those saved at `path`; else writes them."""
  mine = {k: np.asarray(v).tolist() for k, v in members.items()}
  if resuming and os.path.exists(path):
    with open(path) as f:
      saved = json.load(f)
    same = lambda a, b: len(a) == len(b) and np.allclose(a, b)
    saved.setdefault("split", [0] * len(mine["split"]))  # written before splits existed
    if not all(same(saved.get(k, []), v) for k, v in mine.items()):
      raise ValueError(f"{path}: this workdir holds a different population ({saved}); "
                       f"got members {mine}")
  elif jax.process_index() == 0:
    with open(path + ".tmp", "w") as f:
      json.dump(mine, f)
    os.replace(path + ".tmp", path)


def restore_latest(manager: ocp.CheckpointManager, state: step_lib.KDState
                   ) -> step_lib.KDState:
  """`state` restored from the manager's latest checkpoint (same shardings), or as is."""
  latest = manager.latest_step()
  if latest is None:
    return state
  abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, state)
  return manager.restore(latest, args=ocp.args.StandardRestore(abstract))


def evaluate(eval_sums: Callable[..., Any], state: step_lib.KDState,
             data: Mapping[str, np.ndarray], mesh: Mesh, batch_size: int
             ) -> dict[str, float]:
  """Validation accuracy and mean CE over `data` in padded, sharded chunks.

  Returns:
    {'val_accuracy', 'val_ce'}.
  """
  n_dev = mesh.devices.size
  chunk = -(-batch_size // n_dev) * n_dev
  rows = distributed.process_rows(mesh, chunk)
  n = len(data["y"])
  totals = None
  for begin in range(0, n, chunk):
    idx = np.arange(begin, begin + chunk)[rows]
    local = {"x": np.asarray(data["x"])[np.minimum(idx, n - 1)],
             "y": np.asarray(data["y"])[np.minimum(idx, n - 1)],
             "mask": (idx < n).astype(np.float32)}
    sums = eval_sums(state, distributed.global_batch(local, mesh, chunk))
    totals = sums if totals is None else jax.tree.map(jnp.add, totals, sums)
  totals = {k: float(v) for k, v in totals.items()}
  return {"val_accuracy": totals["correct"] / totals["count"],
          "val_ce": totals["ce"] / totals["count"]}


def read_metrics(workdir: str) -> list[dict[str, Any]]:
  """The lines of workdir/metrics.jsonl (an empty list if there is none)."""
  path = os.path.join(workdir, METRICS_FILE)
  if not os.path.exists(path):
    return []
  with open(path) as f:
    return [json.loads(line) for line in f if line.strip()]


def _truncate_metrics(path: str, step: int) -> None:
  """Keeps only the lines up to `step` (a resumed run rewrites those after it)."""
  if not os.path.exists(path):
    return
  kept = [r for r in read_metrics(os.path.dirname(path) or ".") if r["step"] <= step]
  with open(path + ".tmp", "w") as f:
    f.writelines(json.dumps(r) + "\n" for r in kept)
  os.replace(path + ".tmp", path)


def _log_progress(done: int, total: int, start: int, t0: float,
                  metrics: Mapping[str, jax.Array], last: Mapping[str, Any]) -> None:
  elapsed = time.perf_counter() - t0
  rate = (done - start) / elapsed if elapsed > 0 else float("inf")
  eta = (total - done) / rate if rate > 0 else float("inf")
  val = f", val accuracy {last['val_accuracy']:.4f}" if "val_accuracy" in last else ""
  logging.info("step %d/%d: loss %.4f, accuracy %.4f%s | %.1f steps/s, elapsed %s, ETA %s",
               done, total, float(metrics["loss"]), float(metrics["accuracy"]), val, rate,
               progress.format_seconds(elapsed), progress.format_seconds(eta))


def _log_population_progress(done: int, total: int, start: int, n_members: int,
                             t0: float, line: Mapping[str, Any]) -> None:
  elapsed = time.perf_counter() - t0
  rate = (done - start) / elapsed if elapsed > 0 else float("inf")
  eta = (total - done) / rate if rate > 0 else float("inf")
  logging.info("population step %d/%d (%d students): loss %.4f, accuracy %.4f | "
               "%.1f students/s (%.1f steps/s), elapsed %s, ETA %s", done, total, n_members,
               line["train_loss"], line["train_accuracy"], rate * n_members / total, rate,
               progress.format_seconds(elapsed), progress.format_seconds(eta))
