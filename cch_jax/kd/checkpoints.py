"""Orbax checkpoints of a population: the M members' states and curves as host arrays
(without the device padding, so a run may resume on another device count), and
members.json, which a resumed run must match."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

import jax
import numpy as np
import orbax.checkpoint as ocp

CHECKPOINT_DIR = "checkpoints"
MEMBERS_FILE = "members.json"


def manager(workdir: str, max_to_keep: int) -> ocp.CheckpointManager:
  """The checkpoint manager of workdir/checkpoints/<step>/ (created)."""
  os.makedirs(workdir, exist_ok=True)
  return ocp.CheckpointManager(
      os.path.join(os.path.abspath(workdir), CHECKPOINT_DIR),
      options=ocp.CheckpointManagerOptions(max_to_keep=max_to_keep, create=True))


def save(checkpoints: ocp.CheckpointManager, step: int, states: Any,
         curves: Mapping[str, np.ndarray]) -> None:
  """Saves host states (leaves (M, ...)) and curves (M, step) at `step`."""
  checkpoints.save(step, args=ocp.args.StandardSave({"states": states,
                                                     "curves": dict(curves)}))


def restore(checkpoints: ocp.CheckpointManager, step: int, states: Any,
            curves: Mapping[str, np.ndarray]) -> tuple[Any, dict[str, np.ndarray]]:
  """(states, curves (M, step)) of checkpoint `step`; host `states` and `curves` give the
  structure and dtypes (curves' step axis is resized to `step`)."""
  target = {"states": states,
            "curves": {k: np.zeros((len(v), step), v.dtype) for k, v in curves.items()}}
  restored = checkpoints.restore(step, args=ocp.args.StandardRestore(target))
  to_numpy = lambda tree: jax.tree.map(np.asarray, tree)
  return to_numpy(restored["states"]), to_numpy(restored["curves"])


def check_members_file(workdir: str, mine: Mapping[str, list], resuming: bool) -> None:
  """Resuming: checks that the members ({field: list}, `Members.to_dict`) equal those
  saved in workdir; else writes them."""
  path = os.path.join(workdir, MEMBERS_FILE)
  if resuming and os.path.exists(path):
    with open(path) as f:
      saved = json.load(f)
    same = lambda a, b: len(a) == len(b) and np.allclose(a, b)
    saved.setdefault("split", [0] * len(mine["split"]))  # written before splits existed
    saved.setdefault("baseline", mine["baseline"])  # written before baselines were kept
    if not all(same(saved.get(k, []), v) for k, v in mine.items()):
      raise ValueError(f"{path}: this workdir holds a different population ({saved}); "
                       f"got members {mine}")
  elif jax.process_index() == 0:
    with open(path + ".tmp", "w") as f:
      json.dump(mine, f)
    os.replace(path + ".tmp", path)
