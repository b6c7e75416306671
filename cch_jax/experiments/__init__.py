"""Experiments: each module registers a `run(config, workdir)` under its name.

The launcher looks up `config.experiment` in `EXPERIMENTS`. `study` registers cch_pair,
teacher_selection, fusion_kd and temperature_sweep (one study, different configs);
`cch_blur` builds its teachers from a blur grid; `kd_pair` trains without the analysis;
`gaussian_sweep` is the theory engine's sweep.
"""

from cch_jax.experiments import (cch_blur, criteria_benchmark, gaussian_sweep,  # noqa: F401
                                 kd_pair, study)
from cch_jax.experiments.registry import EXPERIMENTS

__all__ = ["EXPERIMENTS"]
