"""Config blocks and training stages shared by the experiments.

  model = build_model(model_config("cnn"), n_classes)
  [(model, params, accuracy)] = train_on_views(block, ds, ["blur:sigma=1"], workdir, seed)

`train_on_views` trains one encoder per view as a population (`kd.fit_population`,
checkpointed, resumable); `quick_encoder` trains an encoder briefly in memory (or not at
all), for the a-priori analysis.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Sequence
from typing import Any

import jax
import ml_collections
import numpy as np

from cch_jax import data, kd
from cch_jax.kd.batching import predict_jit
from cch_jax.utils import report


def model_config(encoder: str, **overrides: Any) -> ml_collections.ConfigDict:
  """A model block: the encoder's name and every encoder knob (unused ones are ignored)."""
  config = ml_collections.ConfigDict({
      "encoder": encoder, "widths": (128, 128), "features": (32, 64), "hidden": 128,
      "kernel_size": 3, "dropout": 0.0})
  config.update(overrides)
  return config


def train_config(steps: int, batch_size: int = 128, lr: float = 1e-3,
                 evaluations: int = 10) -> ml_collections.ConfigDict:
  """A `kd.TrainConfig` block (every field, so any can be set from the command line);
  `evaluations` evaluations and checkpoints over the run."""
  every = max(steps // evaluations, 1)
  return ml_collections.ConfigDict({
      "steps": steps, "batch_size": batch_size, "optimizer": "adam", "learning_rate": lr,
      "weight_decay": 0.0, "schedule": "warmup_cosine", "warmup_steps": steps // 20,
      "final_lr_fraction": 0.05, "grad_clip": 0.0, "data_shards": 1, "member_chunk": 0,
      "eval_batch_size": 1024, "eval_every": every, "checkpoint_every": every,
      "max_to_keep": 2})


def build_model(config: ml_collections.ConfigDict, n_classes: int) -> kd.Classifier:
  """The `Classifier` a model block describes (the encoder's own knobs only)."""
  encoder = kd.ENCODERS[config.encoder]
  knobs = {f.name for f in dataclasses.fields(encoder)} - {"parent", "name"}
  return kd.make_model(config.encoder, n_classes,
                       **{k: v for k, v in config.items() if k in knobs})


def train_on_views(block: ml_collections.ConfigDict, ds: data.MultiViewData,
                   views: Sequence[str], workdir: str, seed: int
                   ) -> list[tuple[kd.Classifier, Any, dict[str, float]]]:
  """Trains block.model on each of `views` with block.train, as populations
  (`kd.fit_population`, resumable in `workdir`): views of one input shape are stacked on
  the split axis and train together, one member each (in workdir, or workdir/<k>/ for
  the k-th shape when the views have several).
  Each member has seed `seed`, so it trains exactly as it would alone.

  Returns:
    Per view: (model, params, {'train', 'validation', 'test'} accuracies).
  """
  model = build_model(block.model, ds.n_classes)
  config = kd.TrainConfig.from_mapping(block.train)
  groups: dict[tuple[int, ...], list[str]] = {}
  for view in views:
    groups.setdefault(ds.train.views[view].shape, []).append(view)
  params = {}
  for k, group in enumerate(groups.values()):
    stack = lambda s: {"x": np.stack([s.views[v] for v in group]),
                       "y": np.stack([s.labels] * len(group))}
    members = kd.paired_grid((), (), [seed], splits=len(group))
    where = workdir if len(groups) == 1 else os.path.join(workdir, str(k))
    result = kd.fit_population(model, config, stack(ds.train), members, where,
                               key=jax.random.key(seed), val=stack(ds.validation))
    params.update({v: jax.tree.map(lambda a, i=i: a[i], result.params["model"])
                   for i, v in enumerate(group)})
  return [(model, params[v], accuracies(model, params[v], ds, v)) for v in views]


def check_population(stage: str, block: ml_collections.ConfigDict, n_members: int) -> None:
  """Fails before any training when the devices cannot hold a stage's population of
  `n_members` trained with block.train (`kd.population_layout`), naming the stage."""
  try:
    kd.population_layout(n_members, block.train.batch_size, block.train.data_shards)
  except ValueError as e:
    raise ValueError(f"{stage}: {e}") from None


def quick_encoder(block: ml_collections.ConfigDict, ds: data.MultiViewData, view: str,
                  steps: int, seed: int) -> tuple[kd.Classifier, Any]:
  """block.model trained `steps` steps on `view` in memory (0: freshly initialised).

  The schedule is block.train's, shortened to `steps`. Returns (model, params).
  """
  model = build_model(block.model, ds.n_classes)
  x, y = ds.train.views[view], ds.train.labels
  if steps == 0:
    return model, model.init(jax.random.key(seed), x[:1])["params"]
  cfg = dict(block.train.to_dict(), steps=steps, warmup_steps=min(
      block.train.warmup_steps, steps // 2), eval_every=steps,
             checkpoint_every=steps)
  result = kd.train_population(model, kd.TrainConfig.from_mapping(cfg), {"x": x, "y": y},
                               kd.paired_grid((), (), [seed]), jax.random.key(seed))
  return model, jax.tree.map(lambda a: a[0], result.params["model"])


def accuracies(model: kd.Classifier, params: Any, ds: data.MultiViewData, view: str
               ) -> dict[str, float]:
  """Accuracy of (model, params) on `view` of every split."""
  out = {}
  for name, split in ds.splits().items():
    logits, _ = predict_jit(model, params, split.views[view])
    out[name] = float(np.mean(np.argmax(np.asarray(logits), -1) == split.labels))
  return out


def slug(view: str) -> str:
  """A directory name for a view spec: 'blur:sigma=1.5' -> 'blur_sigma_1.5',
  'a&b' -> 'a-and-b'."""
  view = view.replace("&", "-and-")
  return "".join(c if c.isalnum() or c in ".-" else "_" for c in view) or "view"


def guard_workdir(workdir: str, spec: dict[str, Any]) -> None:
  """Refuses to resume a workdir whose checkpoints come from other training settings.

  Writes workdir/run.json with `spec` (everything that decides what the checkpoints
  hold: data, views, models, training, seeds) on the first run; later runs must match it,
  so a changed data seed or model never silently resumes from stale encoders.
  """
  path = os.path.join(workdir, "run.json")
  spec = json.loads(json.dumps(report.to_jsonable(spec)))
  if os.path.exists(path):
    with open(path) as f:
      saved = json.load(f)
    changed = sorted(k for k in set(saved) | set(spec) if saved.get(k) != spec.get(k))
    if changed:
      raise ValueError(f"{workdir}: holds a run with other training settings (they differ "
                       f"in {changed}); use a fresh --workdir, or delete this one")
  elif jax.process_index() == 0:
    os.makedirs(workdir, exist_ok=True)
    report.write_json(path, spec)



class Clock:
  """Wall-clock seconds per stage: clock('name') closes the stage that just ended."""

  def __init__(self):
    self.seconds: dict[str, float] = {}
    self._last = time.perf_counter()

  def __call__(self, stage: str) -> None:
    now = time.perf_counter()
    self.seconds[stage] = round(now - self._last, 2)
    self._last = now
