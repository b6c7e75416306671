"""What a model predicts, chosen by name (`TrainConfig.task`): its supervised loss, its
distillation loss and its score.

  task = TASKS["regression"]
  loss = task.kd_loss(student_outputs, teacher_outputs, y, lam, temperature)

Scores are higher-is-better everywhere in the engine (accuracy; −MAE for regression), so
a gain read as `score(KD) − score(baseline)` is positive when distillation helps for
either task; `Task.metric` names what a report should show (−score for MAE).

  classification  outputs: logits (B, K); y (B,) ints
                  kd_loss = (1-λ)·CE + λ·T²·KL(softmax(teacher/T) ‖ softmax(student/T))
  regression      outputs: predictions (B, k); y (B, k) floats (standardised targets)
                  kd_loss = (1-λ)·MSE(y) + λ·MSE(teacher's prediction); T is not used
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax import Array

from cch_jax.kd import losses
from cch_jax.utils.registry import Registry

PerExample = Callable[..., Array]


@dataclasses.dataclass(frozen=True)
class Task:
  """A prediction task.

  Attributes:
    name: the registry name.
    supervised: (outputs (B, K), y) -> (B,) loss against the labels (nats for CE).
    distill: (student (B, K), teacher (B, K), temperature) -> (B,) loss against the
      teacher's outputs (no gradient flows into the teacher).
    correct: (outputs (B, K), y) -> (B,) the per-example score (1/0 for a correct class;
      −mean |error| over the k outputs).
    metric: the reported metric ('accuracy' or 'mae'); higher_is_better: its direction
      (the score is the metric, or its negative).
    temperature_scale: multiply the distillation term by T² (classification).
  """
  name: str
  supervised: PerExample
  distill: PerExample
  correct: PerExample
  metric: str
  higher_is_better: bool
  temperature_scale: bool

  def kd_loss(self, student: Array, teacher: Array, y: Array, lam: Array,
              temperature: Array) -> Array:
    """(1-λ)·supervised + λ·[T²·]distill, averaged over the batch."""
    soft = jnp.mean(self.distill(student, teacher, temperature))
    if self.temperature_scale:
      soft = temperature**2 * soft
    return (1.0 - lam) * jnp.mean(self.supervised(student, y)) + lam * soft

  def score(self, outputs: Array, y: Array) -> Array:
    """The batch's mean score (higher is better)."""
    return jnp.mean(self.correct(outputs, y))

  def metric_value(self, score: float) -> float:
    """The reported metric of a score: accuracy as is, MAE = −score."""
    return score if self.higher_is_better else -score


TASKS: Registry[Task] = Registry("task")


def _accurate(logits: Array, labels: Array) -> Array:
  return (jnp.argmax(logits, -1) == labels).astype(jnp.float32)


def _squared_error(outputs: Array, y: Array) -> Array:
  return jnp.mean((outputs - y) ** 2, axis=-1)


def _teacher_squared_error(student: Array, teacher: Array, temperature: Array) -> Array:
  del temperature
  return _squared_error(student, jax.lax.stop_gradient(teacher))


def _negative_abs_error(outputs: Array, y: Array) -> Array:
  return -jnp.mean(jnp.abs(outputs - y), axis=-1)


TASKS.register("classification")(Task(
    "classification", losses.cross_entropy, losses.distillation_kl, _accurate,
    metric="accuracy", higher_is_better=True, temperature_scale=True))
TASKS.register("regression")(Task(
    "regression", _squared_error, _teacher_squared_error, _negative_abs_error,
    metric="mae", higher_is_better=False, temperature_scale=False))
