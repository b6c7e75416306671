"""The experiment registry: config.experiment -> 'module:function' of its run(config,
workdir) -> results dict. The module is imported only when the experiment runs, so a config
file (which imports its package's jax-free config module) loads without jax.

  run = load_run(config.experiment)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import ml_collections

from cch_jax.utils.registry import Registry

Run = Callable[[ml_collections.ConfigDict, str], dict[str, Any]]

EXPERIMENTS: Registry[str] = Registry("experiment")
for _name, _target in (
    ("cch_pair", "study.run:run"), ("teacher_selection", "study.run:run"),
    ("cross_architecture", "study.run:run"),
    ("fusion_kd", "study.run:run"), ("temperature_sweep", "study.run:run"),
    ("cch_blur", "study.run:run_blur"), ("criteria_benchmark", "criteria.run:run"),
    ("kd_pair", "kd_pair.run:run"), ("gaussian_sweep", "gaussian_sweep.run:run")):
  EXPERIMENTS.register(_name)(_target)


def load_run(name: str) -> Run:
  """The run function of experiment `name` (a KeyError lists the known names)."""
  module, function = EXPERIMENTS[name].split(":")
  return getattr(importlib.import_module(f"cch_jax.experiments.{module}"), function)
