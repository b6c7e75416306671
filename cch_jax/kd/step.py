"""Train state, KD objective and the train step (pure; no device placement here).

A batch is a dict of arrays with a common leading axis B:
  'x' (B, ...) inputs, 'y' (B,) int labels (regression: (B, k) floats), and for KD
  'teacher_outputs' (B, K) (logits, or predictions for regression) and
  'teacher_features' (B, d_t) (precomputed once from the frozen teacher).
Without 'teacher_outputs' the step is plain training, which equals KD with λ = 0.
"""

from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
from flax.training import train_state
from jax import Array

from cch_jax.kd import losses, tasks
from cch_jax.kd.config import TrainConfig
from cch_jax.kd.optim import make_optimizer

Batch = dict[str, Array]
Metrics = dict[str, Array]


class KDState(train_state.TrainState):
  """`TrainState` plus the KD weights as scalar arrays.

  Attributes:
    step, params, opt_state, apply_fn, tx: as in flax `TrainState`; params is
      {'model': classifier params, 'proj': feature projection (only if feature_dim)}.
    lam, temperature, beta: KD weight λ, temperature T and feature weight β (arrays,
      so a vmapped population carries one value per member and checkpoints keep them).
  """
  lam: Array
  temperature: Array
  beta: Array


def create_state(model: nn.Module, config: TrainConfig, key: Array, x_example: Array,
                 feature_dim: int | None = None, lam: Array | float = 0.0,
                 temperature: Array | float = 1.0, beta: Array | float = 0.0) -> KDState:
  """Initialises params, optimiser state and KD weights.

  Args:
    model: a `Classifier`.
    config: training config (optimizer and schedule).
    key: PRNG key; the model uses fold_in(key, 0), the projection fold_in(key, 1), so
      students with the same key start equal whatever their λ, T, β.
    x_example: (b, ...) inputs fixing the input shape (b >= 1).
    feature_dim: teacher representation size d_t; adds the projection (d_s, d_t).
    lam, temperature, beta: the member's KD weight λ, temperature T and feature weight β
      (defaults: plain training).
  """
  variables = model.init(jax.random.fold_in(key, 0), x_example[:1])
  params = {"model": variables["params"]}
  if feature_dim:
    d_s = jax.eval_shape(lambda v: model.apply(v, x_example[:1], method="represent"),
                         variables).shape[-1]
    params["proj"] = losses.init_projection(jax.random.fold_in(key, 1), d_s, feature_dim)
  as_array = lambda value: jnp.asarray(value, jnp.float32)
  return KDState.create(apply_fn=model.apply, params=params, tx=make_optimizer(config),
                        lam=as_array(lam), temperature=as_array(temperature),
                        beta=as_array(beta))


def objective(params: dict[str, Any], state: KDState, batch: Batch, key: Array,
              task: str = "classification") -> tuple[Array, Metrics]:
  """The training loss of one batch and its metrics.

  loss = task.kd_loss(student, teacher, y, λ, T) + β·feature_mse  (terms present in
  `batch`; `tasks.TASKS[task]`).

  Returns:
    (scalar loss, metrics {'loss', 'supervised', 'distill', 'feature', 'score'} as batch
    means; 'distill' and 'feature' are reported whatever λ and β, and are 0 when the batch
    lacks teacher arrays; 'score' is accuracy, or −MAE for regression).
  """
  spec = tasks.TASKS[task]
  outputs, h = state.apply_fn({"params": params["model"]}, batch["x"], train=True,
                              rngs={"dropout": key}, method="logits_and_features")
  y = batch["y"]
  supervised = jnp.mean(spec.supervised(outputs, y))
  zero = jnp.zeros((), jnp.float32)
  distill, feature, loss = zero, zero, supervised
  if "teacher_outputs" in batch:
    teacher = batch["teacher_outputs"]
    distill = jnp.mean(spec.distill(outputs, teacher, state.temperature))
    loss = spec.kd_loss(outputs, teacher, y, state.lam, state.temperature)
  if "teacher_features" in batch and "proj" in params:
    feature = losses.feature_mse(h, params["proj"], batch["teacher_features"])
    loss = loss + state.beta * feature
  return loss, {"loss": loss, "supervised": supervised, "distill": distill,
                "feature": feature, "score": spec.score(outputs, y)}


def train_step(state: KDState, batch: Batch, key: Array, axis_name: str | None = None,
               task: str = "classification") -> tuple[KDState, Metrics]:
  """One optimiser update on `batch`; `key` drives dropout (fold it from the step).

  With `axis_name` (a mapped axis splitting the batch, e.g. the mesh's 'data' axis inside
  `shard_map`), gradients and metrics are averaged over it before the update.

  Returns:
    (new state, metrics of the batch before the update; scalars).
  """
  grads, metrics = jax.grad(objective, has_aux=True)(state.params, state, batch, key, task)
  if axis_name is not None:
    grads, metrics = jax.lax.pmean((grads, metrics), axis_name)
  return state.apply_gradients(grads=grads), metrics
