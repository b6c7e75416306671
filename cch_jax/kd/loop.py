"""The one training loop, at the edge: a population (of one model or of thousands) in
compiled segments, with metrics.jsonl, a progress line with ETA and orbax checkpoints.

  out = fit_population(model, config, train, members, workdir, key, val=val, test=test)

Segments are config.eval_every steps (`population.advance_population`); after each, the
loop scores the validation score (accuracy, or −MAE) and loss, appends a metrics.jsonl line (step,
train means over the members and the segment's steps, validation means over the members)
and logs a progress line; every config.checkpoint_every steps it saves the members'
states and curves. Batches and dropout are pure functions of (key, seed, step), so a
killed run resumed from its latest checkpoint returns the same `PopulationResult` and
writes the same metric lines as an uninterrupted one; a finished workdir only restores
the final states and re-runs the evaluation. Every process calls it with the same host
arrays; process 0 writes the files.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import flax.linen as nn
import jax
import numpy as np
from absl import logging

from cch_jax.kd import checkpoints, metrics
from cch_jax.kd import mesh as mesh_lib
from cch_jax.kd import population as pop
from cch_jax.kd import step as step_lib
from cch_jax.kd.config import TrainConfig
from cch_jax.kd.members import Members

OnSegment = Callable[[int, step_lib.KDState], None]
VAL_CURVE = "val_score"
"""The curve of each member's validation score (M, steps; accuracy, or −MAE): the value at
the end of each segment, NaN between (pilots read a member's score part-way through)."""


def fit_population(model: nn.Module, config: TrainConfig, train: Mapping[str, Any],
                   members: Members, workdir: str, key: jax.Array,
                   val: Mapping[str, Any] | None = None,
                   test: Mapping[str, Any] | None = None,
                   on_segment: OnSegment | None = None,
                   devices: Sequence[jax.Device] | None = None) -> pop.PopulationResult:
  """`population.train_population` in checkpointed, resumable segments.

  Args:
    model, config, train, members, key, val, test, devices: as for
      `population.prepare` (a single model: members = `paired_grid((), (), [seed])`).
    workdir: directory for checkpoints/, metrics.jsonl and members.json (created);
      members are checked against workdir/members.json when resuming.
    on_segment: called with (completed steps, the members' host states, leaves (M, ...))
      after each checkpoint is saved (monitoring, tests).

  Returns:
    `PopulationResult` equal (up to float reassociation) to `train_population`'s.
  """
  population = pop.prepare(model, config, dict(train), members, key, val, test, devices)
  states = pop.init_population(population)
  m = population.layout.n_members
  manager = checkpoints.manager(workdir, config.max_to_keep)
  try:
    start = manager.latest_step() or 0
    if start > config.steps:
      raise ValueError(f"{workdir}: checkpoint at step {start} is past config.steps = "
                       f"{config.steps}")
    checkpoints.check_members_file(workdir, members.to_dict(), resuming=start > 0)
    curves = _empty_curves(population, states, m)
    if population.val is not None:
      curves[VAL_CURVE] = np.zeros((m, 0), np.float32)
    if start:
      host, curves = checkpoints.restore(manager, start, mesh_lib.to_host(states, m), curves)
      states = pop.place_states(population, host)
      logging.info("resumed from checkpoint at step %d of %d", start, config.steps)
    metrics.truncate_metrics(workdir, start)
    states, curves = _train_segments(population, states, curves, start, workdir, manager,
                                     on_segment)
    manager.wait_until_finished()
  finally:
    manager.close()
  return pop.PopulationResult(mesh_lib.to_host(states.params, m), curves,
                              *pop.evaluate_population(population, states))


def _empty_curves(population: pop.Population, states: step_lib.KDState, m: int
                  ) -> dict[str, np.ndarray]:
  """{'loss', ...}: (M, 0) arrays of the curves' dtypes."""
  spec = jax.eval_shape(lambda s: pop.advance_population(population, s, 1)[1], states)
  return {k: np.zeros((m, 0), v.dtype) for k, v in spec.items()}


def _train_segments(population: pop.Population, states: step_lib.KDState,
                    curves: dict[str, np.ndarray], start: int, workdir: str,
                    manager: Any, on_segment: OnSegment | None
                    ) -> tuple[step_lib.KDState, dict[str, np.ndarray]]:
  """Steps start .. config.steps in segments of eval_every: a metrics line and a progress
  line after each, a checkpoint every checkpoint_every. Returns (states, curves)."""
  config, m = population.config, population.layout.n_members
  progress = metrics.Progress(start, config.steps, m, config.task)
  for begin in range(start, config.steps, config.eval_every):
    done = min(begin + config.eval_every, config.steps)
    states, segment = pop.advance_population(population, states, done - begin)
    segment = mesh_lib.to_host(segment, m)
    line = {"step": done, **{f"train_{k}": float(np.mean(v)) for k, v in segment.items()}}
    if population.val is not None:
      val_score, val_loss, _, _ = pop.evaluate_population(population, states, test=False)
      line.update(val_score=float(np.mean(val_score)), val_loss=float(np.mean(val_loss)))
      segment[VAL_CURVE] = np.full((m, done - begin), np.nan, np.float32)
      segment[VAL_CURVE][:, -1] = val_score
    curves = {k: np.concatenate([curves[k], segment[k]], axis=1) for k in curves}
    metrics.append_metrics(workdir, line)
    progress.log(done, line)
    if done % config.checkpoint_every == 0 or done == config.steps:
      host = mesh_lib.to_host(states, m)
      checkpoints.save(manager, done, host, curves)
      if on_segment is not None:
        on_segment(done, host)
  return states, curves
