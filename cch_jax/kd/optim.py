"""Optimisers and learning-rate schedules chosen by name (`OPTIMIZERS`, `SCHEDULES`)."""

from __future__ import annotations

from collections.abc import Callable

import optax

from cch_jax.kd.config import TrainConfig
from cch_jax.utils.registry import Registry

ScheduleFn = Callable[[TrainConfig], optax.Schedule]
OptimizerFn = Callable[[optax.Schedule, TrainConfig], optax.GradientTransformation]
SCHEDULES: Registry[ScheduleFn] = Registry("schedule")
OPTIMIZERS: Registry[OptimizerFn] = Registry("optimizer")


@SCHEDULES.register("constant")
def constant(config: TrainConfig) -> optax.Schedule:
  """learning_rate at every step."""
  return optax.constant_schedule(config.learning_rate)


@SCHEDULES.register("warmup_cosine")
def warmup_cosine(config: TrainConfig) -> optax.Schedule:
  """Linear warm-up from 0 over warmup_steps, then cosine decay to
  learning_rate * final_lr_fraction at `steps`."""
  return optax.warmup_cosine_decay_schedule(
      init_value=0.0, peak_value=config.learning_rate,
      warmup_steps=min(config.warmup_steps, config.steps - 1),
      decay_steps=config.steps, end_value=config.learning_rate * config.final_lr_fraction)


@OPTIMIZERS.register("adam")
def adam(schedule: optax.Schedule, config: TrainConfig) -> optax.GradientTransformation:
  """Adam (no weight decay)."""
  del config
  return optax.adam(schedule)


@OPTIMIZERS.register("adamw")
def adamw(schedule: optax.Schedule, config: TrainConfig) -> optax.GradientTransformation:
  """AdamW with decoupled weight decay config.weight_decay."""
  return optax.adamw(schedule, weight_decay=config.weight_decay)


def make_optimizer(config: TrainConfig) -> optax.GradientTransformation:
  """config.optimizer with config.schedule, after global-norm clipping if grad_clip > 0."""
  tx = OPTIMIZERS[config.optimizer](SCHEDULES[config.schedule](config), config)
  if config.grad_clip > 0:
    tx = optax.chain(optax.clip_by_global_norm(config.grad_clip), tx)
  return tx
