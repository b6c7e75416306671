"""Config blocks shared by the experiments' configs: ml_collections only, so any file in
configs/ loads without jax.

  config.teacher = ml_collections.ConfigDict(
      {"model": model_block("cnn"), "train": train_block(1500)})
"""

from __future__ import annotations

from typing import Any

import ml_collections

from cch_jax import data


def data_block(views: bool = True, **overrides: Any) -> ml_collections.ConfigDict:
  """The `data` block (every key `data.load_views` reads). views=False drops `teacher` and
  `student`, for experiments that name their views elsewhere."""
  block = data.default_config()
  if not views:
    del block["teacher"], block["student"]
  block.update(overrides)
  return block


def model_block(encoder: str, **overrides: Any) -> ml_collections.ConfigDict:
  """A model block: the encoder's name and every encoder knob (unused ones are ignored)."""
  block = ml_collections.ConfigDict({
      "encoder": encoder, "widths": (128, 128), "features": (32, 64), "hidden": 128,
      "kernel_size": 3, "dropout": 0.0, "width": 64, "depth": 2, "heads": 4})
  block.update(overrides)
  return block


def train_block(steps: int, batch_size: int = 128, lr: float = 1e-3,
                evaluations: int = 10) -> ml_collections.ConfigDict:
  """A `kd.TrainConfig` block (every field, so any can be set from the command line);
  `evaluations` evaluations and checkpoints over the run."""
  every = max(steps // evaluations, 1)
  return ml_collections.ConfigDict({
      "steps": steps, "batch_size": batch_size, "optimizer": "adam", "learning_rate": lr,
      "weight_decay": 0.0, "schedule": "warmup_cosine", "warmup_steps": steps // 20,
      "final_lr_fraction": 0.05, "grad_clip": 0.0, "data_shards": 1, "member_chunk": 0,
      "eval_batch_size": 1024, "eval_every": every, "checkpoint_every": every,
      "max_to_keep": 2})


def model_and_train(encoder: str, steps: int, **train: Any) -> ml_collections.ConfigDict:
  """{'model': model_block(encoder), 'train': train_block(steps, **train)}."""
  return ml_collections.ConfigDict({"model": model_block(encoder),
                                    "train": train_block(steps, **train)})


def tiny_model_and_train() -> ml_collections.ConfigDict:
  """The seconds-long block of tiny modes: a 32-unit MLP, 40 steps of batch 64."""
  return ml_collections.ConfigDict({
      "model": model_block("mlp", widths=(32,)),
      "train": train_block(40, batch_size=64, evaluations=2)})


def kd_block(lams=(0.5,), temperatures=(3.0,), seeds: int = 3, reference_lam: float = 0.5,
             reference_temperature: float = 3.0, beta: float = 0.0
             ) -> ml_collections.ConfigDict:
  """The student population: the sweep grid lams × temperatures over `seeds` seeds, the
  feature weight beta, and the reference (λ, T) where predictions are checked."""
  return ml_collections.ConfigDict({
      "reference_lam": reference_lam, "reference_temperature": reference_temperature,
      "lams": tuple(lams), "temperatures": tuple(temperatures), "seeds": seeds,
      "beta": beta})


def pilot_block(fraction: float = 0.2, variants: str = "") -> ml_collections.ConfigDict:
  """The pilot: the students' paired validation gain after `fraction` of their training
  steps (an evaluation step of student.train); `variants` ('rows:0.5,width:0.5') adds
  short runs of that many steps on fewer rows or narrower students (criteria benchmark)."""
  return ml_collections.ConfigDict({"fraction": fraction, "variants": variants})
