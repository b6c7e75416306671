"""The workdir: the resume guard, the stage clock, view slugs, outputs from process 0."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from typing import Any

import jax

from cch_jax.utils import files


def guard_workdir(workdir: str, spec: dict[str, Any]) -> None:
  """Refuses to resume a workdir whose checkpoints come from other training settings.

  Writes workdir/run.json with `spec` (everything that decides what the checkpoints
  hold: data, views, models, training, seeds) on the first run; later runs must match it,
  so a changed data seed or model never silently resumes from stale encoders.
  """
  path = os.path.join(workdir, "run.json")
  spec = json.loads(json.dumps(files.to_jsonable(spec)))
  saved = load_json(path)
  if saved is not None:
    changed = sorted(k for k in set(saved) | set(spec) if saved.get(k) != spec.get(k))
    if changed:
      raise ValueError(f"{workdir}: holds a run with other training settings (they differ "
                       f"in {changed}); use a fresh --workdir, or delete this one")
  elif jax.process_index() == 0:
    os.makedirs(workdir, exist_ok=True)
    files.write_json(path, spec)


def load_json(path: str) -> Any:
  """The JSON value in `path`, or None when there is no such file."""
  if not os.path.exists(path):
    return None
  with open(path) as f:
    return json.load(f)


def write_outputs(workdir: str, writers: dict[str, Callable[[str], None]]) -> None:
  """On process 0 only: writers[name](workdir/name) for each output, each written whole."""
  if jax.process_index() != 0:
    return
  os.makedirs(workdir, exist_ok=True)
  for name, write in writers.items():
    write(os.path.join(workdir, name))


def slug(view: str) -> str:
  """A directory name for a view spec: 'blur:sigma=1.5' -> 'blur_sigma_1.5',
  'a&b' -> 'a-and-b'."""
  view = view.replace("&", "-and-")
  return "".join(c if c.isalnum() or c in ".-" else "_" for c in view) or "view"


class Clock:
  """Wall-clock seconds per stage: clock('name') closes the stage that just ended."""

  def __init__(self):
    self.seconds: dict[str, float] = {}
    self._last = time.perf_counter()

  def __call__(self, stage: str) -> None:
    now = time.perf_counter()
    self.seconds[stage] = round(now - self._last, 2)
    self._last = now
