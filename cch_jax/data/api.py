"""`load_views(config) -> MultiViewData`: the one entry point, and `default_config()`."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

import ml_collections
import numpy as np

from cch_jax.data import sources, splits, synthetic, tfds_source, transforms
from cch_jax.utils.registry import Registry

SOURCES: Registry[Callable[[Mapping[str, Any]], sources.Pool]] = Registry("data source")


def _synthetic_defaults() -> dict[str, Any]:
  params = inspect.signature(synthetic.make_synthetic).parameters.values()
  return {p.name: p.default for p in params if p.name != "seed"}


def default_config() -> ml_collections.ConfigDict:
  """The `data` block of an experiment config, with every key `load_views` reads.

  Keys:
    name: 'digits' | 'npz' | 'csv' | 'synthetic' | any TFDS image classification name.
    path: the .npz file (name='npz') or the folder of CSVs (name='csv').
    data_dir: TFDS data_dir ('' = TFDS's default); tfds_split: TFDS split(s) to pool,
      e.g. 'train' or 'train+test' ('' = all of them).
    download: let TFDS prepare a missing dataset (needs TensorFlow).
    teacher: a view name (npz/csv/synthetic) or a transform spec (image data); a
      comma-separated list gives several teacher views (teacher selection).
    student: one view name or transform spec.
    split: (train, validation, test) fractions; seed: seeds the subsample, the split and
      the transforms; split_seed: seeds the split alone when >= 0 (repeated splits of the
      same views; -1 = seed).
    standardize: standardise vector views with train statistics; standardize_images:
      the same (per channel) for image views, which otherwise stay in [0, 1].
    max_examples: a seeded random subset of the source before splitting (0 = all).
    synthetic: the keyword arguments of `make_synthetic` (name='synthetic'; views 'a', 'b').
  """
  config = ml_collections.ConfigDict()
  config.name = "digits"
  config.path = ""
  config.data_dir = ""
  config.tfds_split = ""
  config.download = False
  config.teacher = "clean"
  config.student = "mnistm"
  config.split = (0.6, 0.2, 0.2)
  config.seed = 0
  config.split_seed = -1
  config.standardize = True
  config.standardize_images = False
  config.max_examples = 0
  config.synthetic = ml_collections.ConfigDict(_synthetic_defaults())
  return config


def _merge(config: Any, overrides: Mapping[str, Any]) -> dict[str, Any]:
  """Defaults <- config <- overrides as a plain dict; unknown keys raise."""
  merged = default_config().to_dict()
  for layer in (config, overrides):
    if layer is None:
      continue
    if isinstance(layer, ml_collections.ConfigDict):
      layer = layer.to_dict()
    if not isinstance(layer, Mapping):
      raise TypeError(f"config: expected a ConfigDict or a mapping, got {type(layer).__name__}")
    for key, value in layer.items():
      if key not in merged:
        raise ValueError(f"config: unknown data option {key!r}; known: "
                         f"{', '.join(sorted(merged))}")
      if key == "synthetic":
        value = dict(value.to_dict() if isinstance(value, ml_collections.ConfigDict)
                     else value)
        unknown = sorted(set(value) - set(merged["synthetic"]))
        if unknown:
          raise ValueError(f"config: unknown data.synthetic option(s) {unknown}; known: "
                           f"{', '.join(sorted(merged['synthetic']))}")
        value = {**merged["synthetic"], **value}
      merged[key] = value
  return merged


@SOURCES.register("digits")
def _digits(cfg: Mapping[str, Any]) -> sources.Pool:
  del cfg
  return sources.load_digits()


@SOURCES.register("npz")
def _npz(cfg: Mapping[str, Any]) -> sources.Pool:
  return sources.load_npz(cfg["path"])


@SOURCES.register("csv")
def _csv(cfg: Mapping[str, Any]) -> sources.Pool:
  return sources.load_csv_dir(cfg["path"])


@SOURCES.register("synthetic")
def _synthetic(cfg: Mapping[str, Any]) -> sources.Pool:
  out = synthetic.make_synthetic(**cfg["synthetic"], seed=cfg["seed"])
  return sources.Pool(out.labels, tuple(range(int(out.labels.max()) + 1)), views=out.views)


def _tfds(cfg: Mapping[str, Any]) -> sources.Pool:
  return tfds_source.load_tfds(cfg["name"], cfg["data_dir"], cfg["tfds_split"],
                               bool(cfg["download"]), cfg["max_examples"], cfg["seed"])


def _roles(cfg: Mapping[str, Any]) -> tuple[tuple[str, ...], str]:
  for role in ("teacher", "student"):
    if not isinstance(cfg[role], str):
      raise TypeError(f"data.{role}: expected a string (view names or transform specs), "
                      f"got {cfg[role]!r}")
  teacher = transforms.split_view_list(cfg["teacher"])
  student = transforms.split_view_list(cfg["student"])
  if not teacher:
    raise ValueError(f"data.teacher: expected a view name or transform spec, got "
                     f"{cfg['teacher']!r}")
  if len(student) != 1:
    raise ValueError(f"data.student: expected one view name or transform spec, got "
                     f"{cfg['student']!r}")
  return teacher, student[0]


def load_views(config: ml_collections.ConfigDict | Mapping[str, Any] | None = None,
               **overrides: Any) -> splits.MultiViewData:
  """Loads a source, builds the teacher and student views, splits and standardises.

  Args:
    config: a `data` config (see `default_config`; missing keys take their defaults).
    **overrides: keys that replace the config's, e.g. `load_views(name="synthetic",
      teacher="a", student="b")`.

  Returns:
    MultiViewData; the splits depend only on (source, labels, split, seed, split_seed,
    max_examples),
    not on the chosen views, so runs over different teacher views share their splits.

  Raises:
    ValueError / FileNotFoundError / ImportError naming the option at fault.
  """
  cfg = _merge(config, overrides)
  fractions = splits.check_fractions(cfg["split"])
  seed = cfg["seed"]
  if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
    raise ValueError(f"data.seed: expected an integer >= 0, got {seed!r}")
  split_seed = cfg["split_seed"]
  if isinstance(split_seed, bool) or not isinstance(split_seed, (int, np.integer)) \
      or split_seed < -1:
    raise ValueError(f"data.split_seed: expected an integer >= 0 or -1 (use data.seed), "
                     f"got {split_seed!r}")
  teacher, student = _roles(cfg)
  wanted = tuple(dict.fromkeys(teacher + (student,)))
  parts = tuple(dict.fromkeys(p for view in wanted for p in fused_parts(view)))
  name = cfg["name"]
  pool = SOURCES.get(name, _tfds)(cfg)  # names that are not built in go to TFDS
  if pool.images is not None:
    for spec in parts:  # fail fast on a bad spec, before any work
      transforms.parse_spec(spec)
    pool = sources.subsample(pool, cfg["max_examples"], seed)
    base = {spec: transforms.apply_spec(spec, pool.images, transforms.spec_seed(seed, spec))
            for spec in parts}
  else:
    splits.select_views(f"data.name={name!r}", list(pool.views), parts)
    pool = sources.subsample(pool, cfg["max_examples"], seed)
    base = {view: pool.views[view] for view in parts}
  views = {view: _fuse(view, [base[p] for p in fused_parts(view)]) for view in wanted}
  rows_per_split = splits.stratified_split(
      pool.labels, fractions, seed if split_seed < 0 else split_seed, pool.classes)
  held = {part: splits.Split({k: v[rows] for k, v in views.items()}, pool.labels[rows],
                             rows.astype(np.int64))
          for part, rows in zip(splits.SPLIT_NAMES, rows_per_split)}
  stats = splits.fit_standardization(held["train"].views, vectors=bool(cfg["standardize"]),
                                     images=bool(cfg["standardize_images"]))
  held = {part: splits.apply_standardization(split, stats) for part, split in held.items()}
  return splits.MultiViewData(**held, n_classes=len(pool.classes), teacher=teacher,
                              student=student, view_names=wanted, classes=pool.classes,
                              source=name, standardization=stats)


FUSE = "&"


def fused_parts(view: str) -> tuple[str, ...]:
  """'mnistm&blur:sigma=1' -> ('mnistm', 'blur:sigma=1'); a plain view -> (view,)."""
  parts = tuple(p.strip() for p in view.split(FUSE))
  if not all(parts):
    raise ValueError(f"data view {view!r}: expected views joined by {FUSE!r}, found an "
                     "empty part")
  return parts


def _fuse(view: str, arrays: list[np.ndarray]) -> np.ndarray:
  """A fused view: its parts concatenated on the last axis (image channels or features)."""
  if len(arrays) == 1:
    return arrays[0]
  shapes = [a.shape[:-1] for a in arrays]
  if len(set(shapes)) != 1:
    raise ValueError(f"data view {view!r}: parts must agree on every axis but the last to "
                     f"be fused, got shapes {[a.shape for a in arrays]}")
  return np.concatenate(arrays, axis=-1)
