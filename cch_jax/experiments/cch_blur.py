"""The controlled-degradation study (the paper's Table 1): the student view is fixed, the
teacher view is the clean image blurred with σ = γ over a grid (σ = 0: the clean image),
plus, as a variant, noised with std over a second grid. One `study` run over all of them:
the terms and verdict per γ, one student population (baseline + KD from every teacher),
the gain against the gap and how often the verdict's sign matched the gain's.
"""

from __future__ import annotations

from typing import Any

import ml_collections

from cch_jax.experiments import study
from cch_jax.experiments.registry import EXPERIMENTS


def teacher_views(config: ml_collections.ConfigDict) -> list[str]:
  """'clean' for σ = 0, 'blur:sigma=γ' for each γ > 0, then 'noise:std=s' per std."""
  views = ["clean" if g == 0 else f"blur:sigma={g:g}" for g in config.blur.sigmas]
  views += [f"noise:std={s:g}" for s in config.blur.noise_stds]
  if not views:
    raise ValueError("blur.sigmas, blur.noise_stds: expected at least one teacher view")
  if any(g < 0 for g in config.blur.sigmas) or any(s <= 0 for s in config.blur.noise_stds):
    raise ValueError(f"blur: expected sigmas >= 0 and noise_stds > 0, got "
                     f"{tuple(config.blur.sigmas)} and {tuple(config.blur.noise_stds)}")
  return views


@EXPERIMENTS.register("cch_blur")
def run(config: ml_collections.ConfigDict, workdir: str) -> dict[str, Any]:
  return study.run_study(config, workdir, teachers=teacher_views(config))
