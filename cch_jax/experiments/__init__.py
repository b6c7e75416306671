"""Experiments: each module registers a `run(config, workdir)` under its name.

The launcher looks up `config.experiment` in `EXPERIMENTS`.
"""

from cch_jax.experiments import gaussian_sweep, kd_pair  # noqa: F401  (register themselves)
from cch_jax.experiments.registry import EXPERIMENTS

__all__ = ["EXPERIMENTS"]
