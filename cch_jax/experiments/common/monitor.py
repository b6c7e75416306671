"""The gap monitor: the CCH gap on chosen students' representations at every training
segment, kept in a JSON file ({step: {name: gap}}) so a resumed run keeps its history.

  watched = watched_members(members, lam=0.5, temperature=3.0, n_teachers=2)
  records = load_records(path, last_step=1500)
  for flip in add_record(records, step, {name: gap, ...}): logging.warning(flip)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from cch_jax import kd, pipeline
from cch_jax.experiments.common import workdir as workdir_lib


def watched_members(members: kd.Members, lam: float, temperature: float,
                    n_teachers: int) -> dict[str, tuple[int, int]]:
  """The first split's seed-0 KD student at (lam, temperature) per teacher g ('kd:g'), and
  its seed-0 baseline against each teacher ('baseline:g'): {name: (member index, teacher
  index)}."""
  first = (members.seed == 0) & (members.split == 0)
  base = int(np.flatnonzero(first & members.baseline)[0])
  at_ref = (first & ~members.baseline & np.isclose(members.lam, lam)
            & np.isclose(members.temperature, temperature))
  out = {}
  for g in range(n_teachers):
    out[f"kd:{g}"] = (int(np.flatnonzero(at_ref & (members.teacher == g))[0]), g)
    out[f"baseline:{g}"] = (base, g)
  return out


def load_records(path: str, last_step: int) -> dict[str, dict[str, float]]:
  """The records saved in `path` up to `last_step` ({} when there is no file)."""
  saved = workdir_lib.load_json(path) or {}
  return {k: v for k, v in saved.items() if int(k) <= last_step}


def add_record(records: dict[str, dict[str, float]], step: int, gaps: dict[str, float]
               ) -> list[str]:
  """Adds {name: gap} at `step` to `records`; returns a message per gap whose sign
  changed since the previous record."""
  earlier = [int(k) for k in records if int(k) < step]
  previous = records[str(max(earlier))] if earlier else {}
  records[str(step)] = gaps
  return [f"monitor: the gap of {name} changed sign at step {step} "
          f"({previous[name]:+.3f} -> {gap:+.3f})" for name, gap in gaps.items()
          if name in previous and pipeline.sign_flips([0, step], [previous[name], gap])]


def summarise(records: Mapping[str, Mapping[str, float]], views: list[str], estimators: str
              ) -> dict[str, Any]:
  """The records as series per teacher view: {'steps', 'estimators', 'kd': {view: gaps},
  'baseline': {view: gaps}, 'sign_flips': {view: steps where the KD gap changed sign}}."""
  steps = sorted(int(s) for s in records)
  series = lambda kind, g: [records[str(s)].get(f"{kind}:{g}") for s in steps]
  kd_gaps = {v: series("kd", g) for g, v in enumerate(views)}
  return {"steps": steps, "estimators": estimators, "kd": kd_gaps,
          "baseline": {v: series("baseline", g) for g, v in enumerate(views)},
          "sign_flips": {v: pipeline.sign_flips(steps, gaps) for v, gaps in kd_gaps.items()
                         if None not in gaps}}
