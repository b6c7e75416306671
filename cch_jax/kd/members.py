"""Who is in a population: one entry per member, a pytree of (M,) arrays.

  members = paired_grid(lams=(0.5, 0.9), temperatures=(1., 4.), seeds=range(3))
  len(members), members.seed, members.baseline, members.to_dict()

Members with the same seed share their initialisation and batch order, so a KD member and
the λ = 0 baseline of its (split, seed) differ only by distillation: their difference is a
paired gain.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import flax.struct
import numpy as np

from cch_jax.kd import batching

FLOATS, INTS = ("lam", "temperature", "beta"), ("seed", "teacher", "split")


@flax.struct.dataclass
class Members:
  """The members of a population (M,) each: KD weight `lam` (0 for a baseline),
  `temperature`, feature weight `beta` (float32); `seed` (initialisation, batch order,
  dropout), `teacher` (index into stacked teacher targets), `split` (index into stacked
  data splits) (int32); `baseline` (bool: the λ = 0 member of its split and seed)."""
  lam: Any
  temperature: Any
  beta: Any
  seed: Any
  teacher: Any
  split: Any
  baseline: Any

  def __len__(self) -> int:
    return int(np.shape(self.seed)[0])

  def to_dict(self) -> dict[str, list]:
    """{field: list} (JSON-ready)."""
    return {k: np.asarray(getattr(self, k)).tolist() for k in self.__dataclass_fields__}


def make_members(lam: Any, temperature: Any, beta: Any, seed: Any, teacher: Any = None,
                 split: Any = None, baseline: Any = None) -> Members:
  """Host `Members` from per-member values; `teacher` and `split` default to 0,
  `baseline` to lam == 0. Raises on bad shapes or values (`check_members`)."""
  seed = np.asarray(seed)
  zeros = np.zeros(np.shape(seed), np.int32)
  members = Members(
      *(np.asarray(v, np.float32) for v in (lam, temperature, beta)),
      *(np.asarray(zeros if v is None else v) for v in (seed, teacher, split)),
      np.asarray(np.asarray(lam) == 0 if baseline is None else baseline, bool))
  check_members(members)
  return members.replace(**{k: getattr(members, k).astype(np.int32) for k in INTS})


def paired_grid(lams: Iterable[float], temperatures: Iterable[float],
                seeds: Iterable[int], beta: float = 0.0, teachers: int = 1,
                splits: int = 1) -> Members:
  """Members for a paired split × seed × teacher × λ × T study: per (split, seed) one
  baseline (λ=0, T=1, β=0), then every (teacher, λ, T) with feature weight β;
  M = splits · seeds · (1 + teachers · λs · Ts). teachers: G, the teachers stacked in the
  training dict (the baseline of a seed is shared by all of them); splits: S, the data
  splits stacked in it (1: an unstacked dict)."""
  rows = []
  lams, temperatures, seeds = tuple(lams), tuple(temperatures), tuple(seeds)
  for split in range(splits):
    for seed in seeds:
      rows.append((0.0, 1.0, 0.0, seed, 0, split, True))
      rows += [(lam, t, beta, seed, g, split, False) for g in range(teachers)
               for lam in lams for t in temperatures]
  return make_members(*zip(*rows))


def check_members(members: Members, data: Mapping[str, Any] | None = None) -> None:
  """Raises unless the fields are 1-D of one length with λ in [0, 1], T > 0, β >= 0 and
  integer seeds and indices; with `data`, unless the teacher and split indices exist in
  its stacked targets and splits."""
  sizes = {k: np.shape(v) for k, v in vars(members).items()}
  if len(set(sizes.values())) != 1 or len(sizes["lam"]) != 1:
    raise ValueError(f"members: expected 1-D arrays of one length, got shapes {sizes}")
  lam, temp, beta = (np.asarray(getattr(members, k)) for k in FLOATS)
  if np.any((lam < 0) | (lam > 1)) or np.any(temp <= 0) or np.any(beta < 0):
    raise ValueError("members: expected lam in [0, 1], temperature > 0, beta >= 0")
  for k in INTS:
    if not np.issubdtype(np.asarray(getattr(members, k)).dtype, np.integer):
      raise TypeError(f"members.{k}: expected integers")
  if data is not None:
    _check_indices(members, data)


def _check_indices(members: Members, data: Mapping[str, Any]) -> None:
  lead = batching.split_axes(data)
  n_splits = np.shape(data["y"])[0] if lead else 1
  split = np.asarray(members.split)
  if np.any((split < 0) | (split >= n_splits)):
    raise ValueError(f"members.split: expected indices in [0, {n_splits}) (the splits "
                     f"stacked in the data's 'y' (S, n)), got {np.unique(split)}")
  targets = [v for k, v in data.items() if k in ("teacher_outputs", "teacher_features")]
  stacked = [np.shape(v)[lead] for v in targets if np.ndim(v) == lead + 3]
  n_teachers = min(stacked) if stacked else (1 if targets else np.inf)
  teacher = np.asarray(members.teacher)
  if np.any((teacher < 0) | (teacher >= n_teachers)):
    raise ValueError(f"members.teacher: expected indices in [0, {n_teachers}) (the "
                     f"teachers stacked in train['teacher_outputs']), got {np.unique(teacher)}")
