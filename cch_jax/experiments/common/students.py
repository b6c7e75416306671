"""Student populations: the members of a `kd` block, their training, and the pilot.

  members = student_members(config.kd, n_teachers=3, splits=5)
  result = fit_students(config.student, n_classes, train, members, workdir, seed, val, test)
  pilot_accuracy(result, pilot_step(config.student.train, 0.2))   # (M,) validation accuracy
  pilot_student_block(config.student, "width:0.5", 120)           # a short, narrower run
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


def pilot_step(train: ml_collections.ConfigDict, fraction: Any) -> int:
  """The step at which the pilot reads the students: `fraction` of train.steps, which
  must be an evaluation step (a multiple of train.eval_every)."""
  if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) \
      or not 0 < fraction <= 1:
    raise ValueError(f"pilot.fraction: expected a number in (0, 1], got {fraction!r}")
  step = round(fraction * train.steps)
  if step < 1 or (step % train.eval_every and step != train.steps):
    raise ValueError(
        f"pilot.fraction: {fraction:g} of student.train.steps = {train.steps} is step "
        f"{step}, not an evaluation step; expected a multiple of student.train.eval_every "
        f"= {train.eval_every}")
  return step


def pilot_accuracy(result: kd.PopulationResult, step: int) -> np.ndarray:
  """(M,) each member's validation accuracy at `step` (an evaluation step of the run)."""
  return np.asarray(result.curves[kd.VAL_CURVE][:, step - 1])


PILOT_VARIANTS = ("rows", "width")
"""Cheaper pilots (`pilot_variants`): 'rows:r' trains on the first r of each split's
training rows, 'width:w' a student whose layer widths are scaled by w."""


def pilot_variants(text: str) -> dict[str, float]:
  """pilot.variants ('rows:0.5,width:0.5', or '') as {spec: fraction}, each checked."""
  out = {}
  for spec in (s.strip() for s in text.split(",") if s.strip()):
    kind, _, value = spec.partition(":")
    try:
      fraction = float(value)
    except ValueError:
      fraction = float("nan")
    if kind not in PILOT_VARIANTS or not 0 < fraction <= 1:
      raise ValueError(f"pilot.variants: expected comma-separated 'rows:r' or 'width:w' "
                       f"with 0 < r, w <= 1, got {spec!r}")
    out[spec] = fraction
  return out


def pilot_student_block(student: ml_collections.ConfigDict, spec: str, step: int
                        ) -> ml_collections.ConfigDict:
  """The student block of a short pilot run: `step` steps on its own schedule (warm-up
  scaled alike, one evaluation at the end), widths scaled for 'width:w'."""
  block = ml_collections.ConfigDict(student.to_dict())
  kind, _, value = spec.partition(":")
  if kind == "width":
    scale = lambda widths: tuple(max(1, round(float(value) * w)) for w in widths)
    block.model.widths, block.model.features = scale(block.model.widths), scale(
        block.model.features)
    block.model.hidden = max(1, round(float(value) * block.model.hidden))
  share = step / student.train.steps
  block.train.update(steps=step, warmup_steps=round(student.train.warmup_steps * share),
                     eval_every=step, checkpoint_every=step)
  return block
