"""Knowledge-distillation engine: encoders, KD losses, populations of models trained as
compiled programs sharded over devices and hosts, and the checkpointed loop.

Works on plain arrays (no import of the data, mi or theory engines).

Models (`models`):
  ENCODERS                      'mlp' (MLPEncoder(widths, dropout)), 'cnn'
                                (CNNEncoder(features, hidden, kernel_size, dropout)), and
                                for sequences (B, L, d + 1), the last channel the padding
                                mask: 'cnn1d' (features, hidden, kernel_size), 'transformer'
                                (width, depth, heads, hidden)
  make_model(encoder, n_classes, **kw) -> Classifier   encoder -> H (B, d_h) -> logits
  Classifier.apply(v, x) -> logits (B, K); method='represent' -> H (B, d_h);
    method='logits_and_features' -> (logits, H)
Losses (`losses`):
  kd_loss(student_logits, teacher_outputs, labels, lam, temperature) -> scalar
    (1-λ)·CE + λ·T²·KL(softmax(t/T) ‖ softmax(s/T)), batch mean, teacher stop-gradient
  cross_entropy, distillation_kl (per example), feature_mse(h_s, proj, h_t)
Tasks (`tasks`): TASKS 'classification' | 'regression' (TrainConfig.task): each Task's
  supervised and distillation losses and score (accuracy; −MAE, so higher is better)
  regression: (1-λ)·MSE(y) + λ·MSE(teacher's prediction), y (n, k) floats
Config and optimisers:
  TrainConfig (frozen dataclass: steps, batch_size, optimizer, learning_rate, schedule,
    data_shards, eval/checkpoint intervals ...; .from_mapping(cfg)); λ, T and β are the
    members', not the config's
  OPTIMIZERS ('adam', 'adamw'), SCHEDULES ('constant', 'warmup_cosine'),
  make_optimizer(config)
Steps (`step`): a batch is {'x', 'y'[, 'teacher_outputs', 'teacher_features']}
  KDState (TrainState + lam, temperature, beta), create_state(model, config, key, x, ...)
  train_step(state, batch, key, axis_name=None, task='classification') -> (state, metrics)
Members (`members`): who is in a population, a pytree of (M,) arrays
  Members(lam, temperature, beta, seed, teacher, split, baseline); len(members), to_dict()
  paired_grid(lams, temperatures, seeds, beta, teachers=1, splits=1) -> Members
  make_members(lam, temperature, beta, seed, teacher=None, split=None) -> Members
  check_members(members, data=None)
Populations (`population`): members differ in (split, seed, teacher, λ, T, β); a single
  model is a population of one (`paired_grid((), (), [seed])`)
  train_population(model, config, train, members, key, val=None, test=None, devices=None)
    -> PopulationResult(params, curves, val_score, val_loss, test_outputs, test_score)
  = its jitted pieces, per device a `lax.scan` over steps of the vmapped members:
  prepare(...) -> Population (checks, mesh layout, padding, data placed on the devices)
  init_population(population) -> states; advance_population(population, states, n_steps)
    -> (states, curves); evaluate_population(population, states) -> host scores
  teacher_targets(model, params, x_teacher) -> {'teacher_outputs', 'teacher_features'}
Mesh (`mesh`): population_layout(n_members, batch_size, data_shards, devices) -> Layout
  (a ('members', 'data') mesh over the devices of every process), MEMBERS, DATA
Batching: batch_indices(key, step, n, batch_size) (the batch order), predict(model, params, x)
Loop (`loop`): fit_population(model, config, train, members, workdir, key, val, test)
  -> PopulationResult: the population in segments of config.eval_every steps, metrics.jsonl
  (`metrics.read_metrics`), progress/ETA, orbax checkpoints every checkpoint_every steps,
  resume; on_segment(step, host states) hooks in.
"""

from cch_jax.kd.batching import batch_indices, predict
from cch_jax.kd.config import TrainConfig
from cch_jax.kd.loop import VAL_CURVE, fit_population
from cch_jax.kd.members import Members, check_members, make_members, paired_grid
from cch_jax.kd.losses import cross_entropy, distillation_kl, feature_mse, kd_loss
from cch_jax.kd.mesh import DATA, MEMBERS, Layout, population_layout
from cch_jax.kd.metrics import read_metrics
from cch_jax.kd.models import ENCODERS, Classifier, CNNEncoder, MLPEncoder, make_model
from cch_jax.kd.optim import OPTIMIZERS, SCHEDULES, make_optimizer
from cch_jax.kd.population import (Population, PopulationResult, advance_population,
                                   evaluate_population, init_population, prepare,
                                   teacher_targets, train_population)
from cch_jax.kd.step import KDState, create_state, train_step
from cch_jax.kd.tasks import TASKS, Task

__all__ = [
    "DATA", "ENCODERS", "MEMBERS", "OPTIMIZERS", "SCHEDULES", "CNNEncoder", "Classifier",
    "KDState", "Layout", "MLPEncoder", "Members", "Population", "PopulationResult", "TASKS",
    "Task",
    "TrainConfig", "advance_population", "batch_indices", "check_members", "create_state",
    "cross_entropy", "distillation_kl", "evaluate_population", "feature_mse",
    "VAL_CURVE", "fit_population", "init_population", "kd_loss", "make_members", "make_model",
    "make_optimizer", "paired_grid", "population_layout", "predict", "prepare", "read_metrics",
    "teacher_targets", "train_population", "train_step",
]
