"""Training configuration of the KD engine: one frozen (hashable) dataclass.

It is hashable so that jitted engine functions can take it as a static argument; an
experiment's `ml_collections` block converts with `TrainConfig.from_mapping(cfg)`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from cch_jax.utils import checks


@dataclasses.dataclass(frozen=True)
class TrainConfig:
  """How one model (teacher or student) is trained.

  Attributes:
    steps: optimiser updates.
    batch_size: each member's batch size (a multiple of data_shards).
    optimizer: name in `OPTIMIZERS` ('adam', 'adamw').
    learning_rate: peak learning rate.
    weight_decay: decoupled weight decay (adamw only).
    schedule: name in `SCHEDULES` ('constant', 'warmup_cosine').
    warmup_steps: linear warm-up steps of 'warmup_cosine'.
    final_lr_fraction: 'warmup_cosine' decays to learning_rate * final_lr_fraction.
    grad_clip: global-norm gradient clipping (0 = off).
    data_shards: devices that share one member's batch (the mesh's 'data' axis; 1 =
      each member on one device). The KD weights λ, T and β are not here: they are the
      members' (`members.paired_grid`).
    member_chunk: members vmapped together on a device; several chunks train one after
      another (0 = automatic: all of them on accelerators, up to 32 on CPU).
    eval_batch_size: rows per evaluation call.
    eval_every: the loop runs this many steps per compiled segment, then evaluates,
      writes a metrics line and logs a progress line.
    checkpoint_every: the loop saves a checkpoint every this many steps (a multiple of
      eval_every, so a resumed run writes the same metric lines).
    max_to_keep: checkpoints kept by the loop.
    task: name in `tasks.TASKS`: 'classification' (integer labels, CE, accuracy) or
      'regression' (float targets (n, k), MSE, MAE); experiments set it from the data.
  """
  steps: int = 500
  batch_size: int = 128
  optimizer: str = "adam"
  learning_rate: float = 1e-3
  weight_decay: float = 0.0
  schedule: str = "constant"
  warmup_steps: int = 0
  final_lr_fraction: float = 0.0
  grad_clip: float = 0.0
  data_shards: int = 1
  member_chunk: int = 0
  eval_batch_size: int = 1024
  eval_every: int = 100
  checkpoint_every: int = 100
  max_to_keep: int = 2
  task: str = "classification"

  def __post_init__(self):
    for name in ("steps", "batch_size", "eval_batch_size", "eval_every",
                 "checkpoint_every", "max_to_keep", "data_shards"):
      checks.check_positive_int(f"config.{name}", getattr(self, name))
    checks.check_positive_int("config.warmup_steps", self.warmup_steps, minimum=0)
    checks.check_positive_int("config.member_chunk", self.member_chunk, minimum=0)
    if self.learning_rate <= 0 or self.grad_clip < 0:
      raise ValueError("config.grad_clip: expected >= 0; config.learning_rate: expected > 0")
    if self.task not in ("classification", "regression"):
      raise ValueError(f"config.task: expected 'classification' or 'regression', got "
                       f"{self.task!r}")
    if self.checkpoint_every % self.eval_every:
      raise ValueError(f"config.checkpoint_every ({self.checkpoint_every}) must be a "
                       f"multiple of config.eval_every ({self.eval_every})")

  @classmethod
  def from_mapping(cls, values: Mapping[str, Any]) -> TrainConfig:
    """Builds a config from a dict or ConfigDict; unknown keys raise a KeyError."""
    values = dict(values)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
      raise KeyError(f"TrainConfig: unknown fields {unknown}; known: {sorted(known)}")
    return cls(**values)

  def replace(self, **changes: Any) -> TrainConfig:
    """A copy with `changes` applied (and checked)."""
    return dataclasses.replace(self, **changes)
