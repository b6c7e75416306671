"""Student populations: the members of a `kd` block and their training.

  members = student_members(config.kd, n_teachers=3, splits=5)
  result = fit_students(config.student, n_classes, train, members, workdir, seed, val, test)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jax
import ml_collections
import numpy as np

from cch_jax import kd
from cch_jax.experiments.common import encoders


def student_members(block: ml_collections.ConfigDict, n_teachers: int, splits: int = 1
                    ) -> kd.Members:
  """The population of a kd block: per split and seed a baseline, and per teacher the
  sweep grid lams × temperatures joined to the reference (λ, T) (`kd.paired_grid`)."""
  lams = sorted({float(block.reference_lam), *map(float, block.lams)})
  temps = sorted({float(block.reference_temperature), *map(float, block.temperatures)})
  if any(not 0 <= lam <= 1 for lam in lams):
    raise ValueError(f"kd.reference_lam, kd.lams: expected values in [0, 1], got "
                     f"{', '.join(f'{lam:g}' for lam in lams)}")
  if not isinstance(block.seeds, int) or block.seeds < 1:
    raise ValueError(f"kd.seeds: expected an integer >= 1, got {block.seeds!r}")
  members = kd.paired_grid(lams, temps, range(block.seeds), block.beta, n_teachers, splits)
  kd.check_members(members)
  return members


def fit_students(block: ml_collections.ConfigDict, n_classes: int,
                 train: Mapping[str, np.ndarray], members: kd.Members,
                 workdir: str, seed: int, val: Mapping[str, np.ndarray],
                 test: Mapping[str, np.ndarray],
                 on_segment: Callable[[int, Any], None] | None = None) -> kd.PopulationResult:
  """block.model trained as the population `members` with block.train (checkpointed and
  resumable in `workdir`; key seed + 1, so students never share the encoders' key).

  train: {'x', 'y', 'teacher_logits'[, 'teacher_features']} (a leading split axis when
  the members have several splits); val, test: {'x', 'y'}.
  """
  model = encoders.build_model(block.model, n_classes)
  return kd.fit_population(model, kd.TrainConfig.from_mapping(block.train), train,
                           members, workdir, key=jax.random.key(seed + 1), val=val,
                           test=test, on_segment=on_segment)
