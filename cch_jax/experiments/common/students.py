"""Student populations: the members of a `kd` block, their training, and the pilot.

  members = student_members(config.kd, n_teachers=3, splits=5)
  result = fit_students(config.student, ds, train, members, workdir, seed, val, test)
  pilot_score(result, pilot_step(config.student.train, 0.2))   # (M,) validation score
  pilot_student_block(config.student, "width:0.5", 120)           # a short, narrower run
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import ml_collections
import numpy as np

from cch_jax import data, kd
from cch_jax.experiments.common import encoders


def student_members(block: ml_collections.ConfigDict, n_teachers: int, splits: int = 1,
                    task: str = "classification") -> kd.Members:
  """The population of a kd block: per split and seed a baseline, and per teacher the
  sweep grid lams × temperatures joined to the reference (λ, T) (`kd.paired_grid`). A
  regression loss does not use T, so regression sweeps λ at the reference T only."""
  lams = sorted({float(block.reference_lam), *map(float, block.lams)})
  temps = sorted({float(block.reference_temperature), *map(float, block.temperatures)})
  if task == "regression":
    temps = [float(block.reference_temperature)]
  if any(not 0 <= lam <= 1 for lam in lams):
    raise ValueError(f"kd.reference_lam, kd.lams: expected values in [0, 1], got "
                     f"{', '.join(f'{lam:g}' for lam in lams)}")
  if not isinstance(block.seeds, int) or block.seeds < 1:
    raise ValueError(f"kd.seeds: expected an integer >= 1, got {block.seeds!r}")
  members = kd.paired_grid(lams, temps, range(block.seeds), block.beta, n_teachers, splits)
  kd.check_members(members)
  return members


def fit_students(block: ml_collections.ConfigDict, ds: data.MultiViewData,
                 train: Mapping[str, np.ndarray], members: kd.Members,
                 workdir: str, seed: int, val: Mapping[str, np.ndarray],
                 test: Mapping[str, np.ndarray],
                 on_segment: Callable[[int, Any], None] | None = None) -> kd.PopulationResult:
  """block.model trained as the population `members` with block.train (checkpointed and
  resumable in `workdir`; key seed + 1, so students never share the encoders' key).

  train: {'x', 'y', 'teacher_outputs'[, 'teacher_features']} (a leading split axis when
  the members have several splits); val, test: {'x', 'y'}; ds: any of the splits' data
  (its task and output width).
  """
  model = encoders.build_model(block.model, ds.n_outputs)
  return kd.fit_population(model, encoders.train_config(block.train, ds.task), train,
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


def pilot_score(result: kd.PopulationResult, step: int) -> np.ndarray:
  """(M,) each member's validation score at `step` (an evaluation step of the run)."""
  return np.asarray(result.curves[kd.VAL_CURVE][:, step - 1])


def member_scales(parts: Sequence[data.MultiViewData], members: kd.Members) -> np.ndarray:
  """(M,) the factor that turns each member's score into y's units: its split's
  `score_scale` (each split standardises y with its own train statistics)."""
  return np.asarray([p.score_scale for p in parts])[np.asarray(members.split)]


def r_squared(result: kd.PopulationResult, members: kd.Members,
              test: Mapping[str, np.ndarray]) -> np.ndarray | None:
  """(M,) each member's test R² (1 − MSE / variance of its split's y, averaged over the k
  targets) from `result.test_outputs`; test: {'x', 'y'} with y (S, n, k) for stacked
  splits or (n, k). None for class labels."""
  y = np.asarray(test["y"])
  if not np.issubdtype(y.dtype, np.floating):
    return None
  y = y.astype(np.float64)
  y = y[np.asarray(members.split)] if y.ndim == 3 else np.broadcast_to(y, (len(members),
                                                                          *y.shape))
  error = np.mean((np.asarray(result.test_outputs, np.float64) - y) ** 2, axis=1)  # (M, k)
  return np.mean(1.0 - error / np.var(y, axis=1), axis=-1)


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
    heads = block.model.heads  # a Transformer's width stays a multiple of its heads
    block.model.width = heads * max(1, round(float(value) * block.model.width / heads))
  share = step / student.train.steps
  block.train.update(steps=step, warmup_steps=round(student.train.warmup_steps * share),
                     eval_every=step, checkpoint_every=step)
  return block
