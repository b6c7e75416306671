"""Knowledge-distillation engine: encoders, KD losses, sharded / vmapped training, loop.

Works on plain arrays (no import of the data, mi or theory engines).

Models (`models`):
  ENCODERS                      'mlp' (MLPEncoder(widths, dropout)), 'cnn'
                                (CNNEncoder(features, hidden, kernel_size, dropout))
  make_model(encoder, n_classes, **kw) -> Classifier   encoder -> H (B, d_h) -> logits
  Classifier.apply(v, x) -> logits (B, K); method='represent' -> H (B, d_h);
    method='logits_and_features' -> (logits, H)
Losses (`losses`):
  kd_loss(student_logits, teacher_logits, labels, lam, temperature) -> scalar
    (1-λ)·CE + λ·T²·KL(softmax(t/T) ‖ softmax(s/T)), batch mean, teacher stop-gradient
  cross_entropy, distillation_kl (per example), feature_mse(h_s, proj, h_t)
Config and optimisers:
  TrainConfig (frozen dataclass: steps, batch_size, optimizer, learning_rate, schedule,
    lam, temperature, beta, eval/log/checkpoint intervals ...; .from_mapping(cfg))
  OPTIMIZERS ('adam', 'adamw'), SCHEDULES ('constant', 'warmup_cosine'),
  make_optimizer(config)
Steps (`step`): a batch is {'x', 'y'[, 'teacher_logits', 'teacher_features', 'mask']}
  KDState (TrainState + lam, temperature, beta), create_state(model, config, key, x, ...)
  train_step(state, batch, key) -> (state, metrics); eval_sums(state, batch)
Data parallel (`distributed`): data_mesh(), sharded_train_step(mesh), global_batch(...)
Populations (`population`): one compiled program per teacher × λ × T × seed grid
  paired_grid(lams, temperatures, seeds, beta, teachers=1) -> members (G teachers: their
    targets stacked as 'teacher_logits' (G, n, K); members['teacher'] picks one)
  train_population(model, config, train, members, key, val=None, test=None)
    -> PopulationResult(params, curves, val_accuracy, val_ce, test_logits, test_accuracy)
  = its jitted pieces (member axis M; batches and dropout pure in (member key, step)):
  init_population(model, config, train, members, key) -> states (KDState, leaves (M, ...))
  advance_population(config, train, states, members, key, start, n_steps)
    -> (states, curves {'loss', ...} (M, n_steps)); start traced, n_steps static
  evaluate_population(model, config, states, val=None, test=None)
    -> (val_accuracy, val_ce, test_logits, test_accuracy)
  train_teacher(model, config, train, key, seed, val) -> (params, result)
  teacher_targets(model, params, x_teacher) -> {'teacher_logits', 'teacher_features'}
Batching: batch_indices(key, step, n, batch_size), predict(model, params, x)
Loop (`loop`): fit(model, config, train, workdir, key, seed, val, mesh) -> FitResult
  (sharded steps, metrics.jsonl, progress/ETA, orbax checkpoints, resume).
  fit_population(model, config, train, members, workdir, key, val=None, test=None)
    -> PopulationResult: train_population in segments of config.checkpoint_every steps
    (stacked states + curves checkpointed per segment, metrics.jsonl, progress/ETA,
    resume; a finished workdir only re-evaluates; on_segment(step, states) hooks in).
"""

from cch_jax.kd.batching import batch_indices, predict
from cch_jax.kd.config import TrainConfig
from cch_jax.kd.distributed import data_mesh, global_batch, sharded_train_step
from cch_jax.kd.loop import FitResult, fit, fit_population, read_metrics
from cch_jax.kd.losses import cross_entropy, distillation_kl, feature_mse, kd_loss
from cch_jax.kd.models import ENCODERS, Classifier, CNNEncoder, MLPEncoder, make_model
from cch_jax.kd.optim import OPTIMIZERS, SCHEDULES, make_optimizer
from cch_jax.kd.population import (PopulationResult, advance_population,
                                   evaluate_population, init_population, paired_grid,
                                   teacher_targets, train_population, train_teacher)
from cch_jax.kd.step import KDState, create_state, eval_sums, train_step

__all__ = [
    "ENCODERS", "OPTIMIZERS", "SCHEDULES", "CNNEncoder", "Classifier", "FitResult",
    "KDState", "MLPEncoder", "PopulationResult", "TrainConfig", "advance_population",
    "batch_indices", "create_state", "cross_entropy", "data_mesh", "distillation_kl",
    "eval_sums", "evaluate_population", "feature_mse", "fit", "fit_population",
    "global_batch", "init_population", "kd_loss", "make_model", "make_optimizer",
    "paired_grid", "predict", "read_metrics", "sharded_train_step", "teacher_targets",
    "train_population", "train_step", "train_teacher",
]
