"""Experiments: each module registers a `run(config, workdir)` under its name.

The launcher looks up `config.experiment` in `EXPERIMENTS`.
"""

from cch_jax.experiments import gaussian_sweep  # noqa: F401  (registers itself)
from cch_jax.experiments.registry import EXPERIMENTS

__all__ = ["EXPERIMENTS"]
