"""`load_views(config) -> MultiViewData`: the one entry point, and `default_config()`."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Mapping
from typing import Any

import ml_collections
import numpy as np

from cch_jax.data import (sklearn_sets, sources, splits, synthetic, synthetic_sequence,
                          tfds_source, transforms)
from cch_jax.utils.registry import Registry

SOURCES: Registry[Callable[[Mapping[str, Any]], sources.Pool]] = Registry("data source")


def _synthetic_defaults(make: Callable[..., Any] = synthetic.make_synthetic
                        ) -> dict[str, Any]:
  params = inspect.signature(make).parameters.values()
  return {p.name: p.default for p in params if p.name != "seed"}


def default_config() -> ml_collections.ConfigDict:
  """The `data` block of an experiment config, with every key `load_views` reads.

  Keys:
    name: 'digits' | 'diabetes' | 'breast_cancer' | 'sequence' | 'synthetic' | 'npz' |
      'csv' | any TFDS image classification name.
    task: 'auto' (the source's; for npz/csv whole-number labels are classes, other real
      values regression targets) | 'classification' | 'regression'.
    path: the .npz file (name='npz') or the folder of CSVs (name='csv').
    data_dir: TFDS data_dir ('' = TFDS's default); tfds_split: TFDS split(s) to pool,
      e.g. 'train' or 'train+test' ('' = all of them).
    download: let TFDS prepare a missing dataset (needs TensorFlow).
    teacher: a view name (named-view sources) or a transform spec (image data); a
      comma-separated list gives several teacher views (teacher selection); '' = the
      source's default teacher (`DEFAULT_VIEWS`; npz/csv have none).
    student: one view name or transform spec; '' = the source's default student.
    split: (train, validation, test) fractions; seed: seeds the subsample, the split and
      the transforms; split_seed: seeds the split alone when >= 0 (repeated splits of the
      same views; -1 = seed).
    standardize: standardise vector views with train statistics; standardize_images:
      the same (per channel) for image views, which otherwise stay in [0, 1].
    max_examples: a seeded random subset of the source before splitting (0 = all).
    synthetic: the keyword arguments of `make_synthetic` (name='synthetic'; views 'a', 'b').
    sequence: the keyword arguments of `synthetic_sequence.make_sequence` (name='sequence';
      views 'sequence' (n, L, d + 1, the mask last) and 'vector').
  """
  config = ml_collections.ConfigDict()
  config.name = "digits"
  config.path = ""
  config.data_dir = ""
  config.tfds_split = ""
  config.download = False
  config.task = "auto"
  config.teacher = ""
  config.student = ""
  config.split = (0.6, 0.2, 0.2)
  config.seed = 0
  config.split_seed = -1
  config.standardize = True
  config.standardize_images = False
  config.max_examples = 0
  config.synthetic = ml_collections.ConfigDict(_synthetic_defaults())
  config.sequence = ml_collections.ConfigDict(
      _synthetic_defaults(synthetic_sequence.make_sequence))
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
      if key in ("synthetic", "sequence"):  # generator knobs: merged key by key
        value = dict(value.to_dict() if isinstance(value, ml_collections.ConfigDict)
                     else value)
        unknown = sorted(set(value) - set(merged[key]))
        if unknown:
          raise ValueError(f"config: unknown data.{key} option(s) {unknown}; known: "
                           f"{', '.join(sorted(merged[key]))}")
        value = {**merged[key], **value}
      merged[key] = value
  return merged


@SOURCES.register("digits")
def _digits(cfg: Mapping[str, Any]) -> sources.Pool:
  del cfg
  return sources.load_digits()


@SOURCES.register("npz")
def _npz(cfg: Mapping[str, Any]) -> sources.Pool:
  return sources.load_npz(cfg["path"], cfg["task"])


@SOURCES.register("csv")
def _csv(cfg: Mapping[str, Any]) -> sources.Pool:
  return sources.load_csv_dir(cfg["path"], cfg["task"])


def _generated(out: Any) -> sources.Pool:
  """The Pool of a generator's output (views, labels 0..K-1)."""
  return sources.Pool(out.labels, tuple(range(int(out.labels.max()) + 1)), views=out.views)


@SOURCES.register("synthetic")
def _synthetic(cfg: Mapping[str, Any]) -> sources.Pool:
  return _generated(synthetic.make_synthetic(**cfg["synthetic"], seed=cfg["seed"]))


@SOURCES.register("sequence")
def _sequence(cfg: Mapping[str, Any]) -> sources.Pool:
  return _generated(synthetic_sequence.make_sequence(**cfg["sequence"], seed=cfg["seed"]))


@SOURCES.register("diabetes")
def _diabetes(cfg: Mapping[str, Any]) -> sources.Pool:
  del cfg
  return sklearn_sets.load_diabetes()


@SOURCES.register("breast_cancer")
def _breast_cancer(cfg: Mapping[str, Any]) -> sources.Pool:
  del cfg
  return sklearn_sets.load_breast_cancer()


@dataclasses.dataclass(frozen=True)
class DefaultViews:
  """A source's default teacher and student views, and every view worth comparing (the
  criteria benchmark's default pairs)."""
  teacher: str
  student: str
  views: tuple[str, ...]


IMAGE_VIEWS = DefaultViews("clean", "mnistm", ("clean", "mnistm", "blur:sigma=2",
                                               "noise:std=0.5"))
DEFAULT_VIEWS: dict[str, DefaultViews] = {
    "digits": IMAGE_VIEWS,
    "diabetes": DefaultViews("body", "serum", ("body", "serum")),
    "breast_cancer": DefaultViews("worst", "se", sklearn_sets.BREAST_CANCER_VIEWS),
    "sequence": DefaultViews("sequence", "vector", ("sequence", "vector")),
    "synthetic": DefaultViews("a", "b", ("a", "b")),
}
"""Per built-in source; other names are TFDS image datasets (IMAGE_VIEWS); npz and csv
files name their own views."""


def default_views(name: str) -> DefaultViews | None:
  """The default views of data source `name` (None for npz/csv files)."""
  return None if name in ("npz", "csv") else DEFAULT_VIEWS.get(name, IMAGE_VIEWS)


def _tfds(cfg: Mapping[str, Any]) -> sources.Pool:
  return tfds_source.load_tfds(cfg["name"], cfg["data_dir"], cfg["tfds_split"],
                               bool(cfg["download"]), cfg["max_examples"], cfg["seed"])


def _roles(cfg: Mapping[str, Any]) -> tuple[tuple[str, ...], str]:
  """(teacher views, student view): the config's, or the source's defaults where ''."""
  defaults = default_views(cfg["name"])
  named = {}
  for role in ("teacher", "student"):
    if not isinstance(cfg[role], str):
      raise TypeError(f"data.{role}: expected a string (view names or transform specs), "
                      f"got {cfg[role]!r}")
    named[role] = cfg[role]
    if not cfg[role].strip():
      if defaults is None:
        raise ValueError(f"data.{role}: expected a view name of the {cfg['name']} file "
                         "(its sources have no default views)")
      named[role] = getattr(defaults, role)
  teacher = transforms.split_view_list(named["teacher"])
  student = transforms.split_view_list(named["student"])
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
  fractions, seed, split_seed = _check_settings(cfg)
  name = cfg["name"]
  pool = SOURCES.get(name, _tfds)(cfg)  # names that are not built in go to TFDS
  if cfg["task"] not in ("auto", pool.task):
    raise ValueError(f"data.task: data.name={name!r} is a {pool.task} set; got "
                     f"{cfg['task']!r} (use 'auto')")
  teacher, student = _roles(cfg)
  wanted = tuple(dict.fromkeys(teacher + (student,)))
  parts = tuple(dict.fromkeys(p for view in wanted for p in fused_parts(view)))
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
  regression = pool.task == "regression"
  strata = splits.regression_strata(pool.labels) if regression else pool.labels
  rows_per_split = splits.stratified_split(
      strata, fractions, seed if split_seed < 0 else split_seed, pool.classes or None)
  held = {part: splits.Split({k: v[rows] for k, v in views.items()}, pool.labels[rows],
                             rows.astype(np.int64))
          for part, rows in zip(splits.SPLIT_NAMES, rows_per_split)}
  stats = splits.fit_standardization(held["train"].views, vectors=bool(cfg["standardize"]),
                                     images=bool(cfg["standardize_images"]))
  targets = splits.fit_targets(held["train"].labels) if regression else None
  held = {part: splits.apply_standardization(split, stats, targets)
          for part, split in held.items()}
  return splits.MultiViewData(**held, n_classes=len(pool.classes), teacher=teacher,
                              student=student, view_names=wanted, classes=pool.classes,
                              source=name, standardization=stats, task=pool.task,
                              target_standardization=targets)


def _check_settings(cfg: Mapping[str, Any]) -> tuple[np.ndarray, int, int]:
  """(split fractions, seed, split_seed) of a merged data config, checked with the task."""
  fractions = splits.check_fractions(cfg["split"])
  seed = cfg["seed"]
  if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
    raise ValueError(f"data.seed: expected an integer >= 0, got {seed!r}")
  split_seed = cfg["split_seed"]
  if isinstance(split_seed, bool) or not isinstance(split_seed, (int, np.integer)) \
      or split_seed < -1:
    raise ValueError(f"data.split_seed: expected an integer >= 0 or -1 (use data.seed), "
                     f"got {split_seed!r}")
  if cfg["task"] not in ("auto", *splits.TASKS):
    raise ValueError(f"data.task: expected 'auto', 'classification' or 'regression', got "
                     f"{cfg['task']!r}")
  return fractions, seed, split_seed


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
  if any(a.ndim == 3 for a in arrays):
    raise ValueError(f"data view {view!r}: sequence views (n, L, d + 1) cannot be fused "
                     "(each carries its own padding mask); fuse vector or image views")
  shapes = [a.shape[:-1] for a in arrays]
  if len(set(shapes)) != 1:
    raise ValueError(f"data view {view!r}: parts must agree on every axis but the last to "
                     f"be fused, got shapes {[a.shape for a in arrays]}")
  return np.concatenate(arrays, axis=-1)
