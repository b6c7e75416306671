"""Encoders on views: build a model from its block, train it on views as a population,
score it.

  [teacher] = train_on_views(config.teacher, parts, ["blur:sigma=1"], workdir, seed)
  teacher[k].model, teacher[k].params, teacher[k].score["test"]   # split k
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from typing import Any

import jax
import ml_collections
import numpy as np

from cch_jax import data, kd


@dataclasses.dataclass(frozen=True)
class TrainedEncoder:
  """One trained (or freshly initialised) encoder: the model, one member's params and its
  score per split ({'train', 'validation', 'test'}; empty when not scored): accuracy, or
  −MAE in y's units for regression (`scores`)."""
  model: kd.Classifier
  params: Any
  score: Mapping[str, float] = dataclasses.field(default_factory=dict)


def build_model(block: ml_collections.ConfigDict, n_outputs: int) -> kd.Classifier:
  """The `Classifier` a model block describes (the encoder's own knobs only), with
  n_outputs outputs (K classes, or k regression targets: `MultiViewData.n_outputs`)."""
  encoder = kd.ENCODERS[block.encoder]
  knobs = {f.name for f in dataclasses.fields(encoder)} - {"parent", "name"}
  return kd.make_model(block.encoder, n_outputs,
                       **{k: v for k, v in block.items() if k in knobs})


def train_config(block: ml_collections.ConfigDict | Mapping[str, Any], task: str
                 ) -> kd.TrainConfig:
  """The `kd.TrainConfig` of a train block for the data's task."""
  values = block.to_dict() if isinstance(block, ml_collections.ConfigDict) else dict(block)
  return kd.TrainConfig.from_mapping({**values, "task": task})


def member(params: Any, index: int) -> Any:
  """Member `index` of a population's params (leaves (M, ...) -> (...))."""
  return jax.tree.map(lambda a: a[index], params)


def train_on_views(block: ml_collections.ConfigDict, parts: Sequence[data.MultiViewData],
                   views: Sequence[str], workdir: str, seed: int
                   ) -> list[list[TrainedEncoder]]:
  """Trains block.model on each of `views` under each of the S splits `parts` with
  block.train, as populations (`kd.fit_population`, resumable in `workdir`): the (view,
  split) combinations of views of one input shape are stacked on the split axis and train
  together, one member each (in workdir, or workdir/<k>/ for the k-th shape when the
  views have several). Each member has seed `seed`, so it trains exactly as it would
  alone. Returns per view, per split, a `TrainedEncoder` scored on that split's rows.
  """
  model = build_model(block.model, parts[0].n_outputs)
  config = train_config(block.train, parts[0].task)
  groups: dict[tuple[int, ...], list[str]] = {}
  for view in views:
    groups.setdefault(parts[0].train.views[view].shape, []).append(view)
  params = {}
  for k, group in enumerate(groups.values()):
    combos = [(v, s) for v in group for s in range(len(parts))]
    stack = lambda split: {
        "x": np.stack([getattr(parts[s], split).views[v] for v, s in combos]),
        "y": np.stack([getattr(parts[s], split).labels for _, s in combos])}
    members = kd.paired_grid((), (), [seed], splits=len(combos))
    where = workdir if len(groups) == 1 else os.path.join(workdir, str(k))
    result = kd.fit_population(model, config, stack("train"), members, where,
                               key=jax.random.key(seed), val=stack("validation"))
    params.update({c: member(result.params["model"], i) for i, c in enumerate(combos)})
  return [[TrainedEncoder(model, params[(v, s)], scores(model, params[(v, s)], p, v))
           for s, p in enumerate(parts)] for v in views]


def quick_encoder(block: ml_collections.ConfigDict, ds: data.MultiViewData, view: str,
                  steps: int, seed: int) -> TrainedEncoder:
  """block.model trained `steps` steps on `view` in memory (0: freshly initialised), with
  block.train's schedule shortened to `steps`; not scored."""
  model = build_model(block.model, ds.n_outputs)
  x, y = ds.train.views[view], ds.train.labels
  if steps == 0:
    return TrainedEncoder(model, model.init(jax.random.key(seed), x[:1])["params"])
  config = dict(block.train.to_dict(), steps=steps, eval_every=steps, checkpoint_every=steps,
                warmup_steps=min(block.train.warmup_steps, steps // 2))
  result = kd.train_population(model, train_config(config, ds.task), {"x": x, "y": y},
                               kd.paired_grid((), (), [seed]), jax.random.key(seed))
  return TrainedEncoder(model, member(result.params["model"], 0))


def mean_score(trained: Sequence[TrainedEncoder]) -> dict[str, float]:
  """An encoder's score per split name, averaged over its S data splits."""
  return {name: float(np.mean([t.score[name] for t in trained]))
          for name in trained[0].score}


def scores(model: kd.Classifier, params: Any, ds: data.MultiViewData, view: str
           ) -> dict[str, float]:
  """The score (accuracy, or −MAE in y's units: `MultiViewData.score_scale`) of (model,
  params) on `view` of every split."""
  task = kd.TASKS[ds.task]
  return {name: ds.score_scale * float(task.score(
      kd.predict(model, params, split.views[view])[0], split.labels))
          for name, split in ds.splits().items()}


def check_population(stage: str, block: ml_collections.ConfigDict, n_members: int) -> None:
  """Fails before any training when the devices cannot hold a stage's population of
  `n_members` trained with block.train (`kd.population_layout`), naming the stage."""
  try:
    kd.population_layout(n_members, block.train.batch_size, block.train.data_shards)
  except ValueError as e:
    raise ValueError(f"{stage}: {e}") from None
