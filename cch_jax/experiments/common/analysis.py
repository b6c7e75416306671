"""The CCH analysis of a pair, with the settings of an `analysis` config block.

  held = analysis_rows(ds, "validation")                # rows no encoder trained on
  terms = [pair_terms(config.analysis, h_t[k], h_s[k], held[k].labels, key, "label_knn")
           for k in range(S)]                           # one per split
  found = judge(config.analysis, terms, n_classes)      # calibrated once for the pair
  found.verdict.label, found.verdicts[k].label, found.biases[k]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import ml_collections
import numpy as np

from cch_jax import data, mi, pipeline
from cch_jax.pipeline import shaping

ANALYSIS_SPLITS = ("validation", "test", "validation+test")


@dataclasses.dataclass(frozen=True)
class PairAnalysis:
  """The analysis of one (teacher, student) pair over S data splits: per split the terms,
  the gap's bias on ground-truth tasks per estimator ({} when not calibrated) and the
  verdict; and the verdict pooled over the splits (the pair's prediction)."""
  terms: list[pipeline.CCHTerms]
  biases: list[dict[str, dict[str, Any]]]
  verdicts: list[pipeline.Verdict]
  verdict: pipeline.Verdict


def analysis_rows(ds: data.MultiViewData, which: str) -> data.Split:
  """The held-out rows the analysis uses: 'validation', 'test' or both concatenated."""
  if which not in ANALYSIS_SPLITS:
    raise ValueError(f"analysis.split: expected one of {ANALYSIS_SPLITS}, got {which!r}")
  parts = [ds.splits()[name] for name in which.split("+")]
  return data.Split({v: np.concatenate([p.views[v] for p in parts]) for v in ds.view_names},
                    np.concatenate([p.labels for p in parts]),
                    np.concatenate([p.indices for p in parts]))


def known_names(setting: str, text: str) -> tuple[str, ...]:
  """A comma-separated list of estimator names, each known ('latent,ksg' -> ('latent',
  'ksg')); `setting` names the config key in errors."""
  found = tuple(n.strip() for n in text.split(",") if n.strip())
  if not found:
    raise ValueError(f"{setting}: expected at least one estimator name, e.g. 'ksg'")
  for name in found:
    if name not in mi.ESTIMATORS:
      raise ValueError(f"{setting}: unknown MI estimator {name!r}; known: "
                       f"{', '.join(sorted(mi.ESTIMATORS))}")
  return found


LABEL_ESTIMATORS = {"classification": ("label_knn", "label_probe"),
                    "regression": ("ksg", "gaussian_probe")}
"""What 'auto' label estimators stand for, by the data's task: class labels take the kNN
estimate and the logistic-probe bound, regression targets KSG and the Gaussian-probe
bound. A study's `label_estimator` 'auto' is the first."""


def with_label_estimators(config: ml_collections.ConfigDict, task: str
                          ) -> ml_collections.ConfigDict:
  """A copy of an experiment config whose 'auto' analysis.label_estimator (the first of
  `LABEL_ESTIMATORS[task]`) and analysis.label_estimators (all of them) are resolved."""
  config = ml_collections.ConfigDict(config.to_dict())
  names = LABEL_ESTIMATORS[task]
  if config.analysis.get("label_estimator") == "auto":
    config.analysis.label_estimator = names[0]
  if config.analysis.get("label_estimators") == "auto":
    config.analysis.label_estimators = ",".join(names)
  return config


def estimator_names(block: ml_collections.ConfigDict) -> tuple[str, ...]:
  """block.estimators as names: the I(H_t; H_s) estimators, the first one primary."""
  return known_names("analysis.estimators", block.estimators)


def estimator_options(block: ml_collections.ConfigDict) -> dict[str, dict[str, Any]]:
  """block.options as plain dicts: {estimator: {option: value}}."""
  return {k: dict(v) for k, v in block.options.items()}


def check_rows(block: ml_collections.ConfigDict, label_estimators: tuple[str, ...],
               n_rows: int, regression: bool = False) -> None:
  """The estimators' settings are valid (label estimators for class labels, or continuous
  ones for a `regression` target) and `n_rows` held-out rows are enough for them."""
  estimators = estimator_names(block)
  options = estimator_options(block)
  for label in label_estimators:
    pipeline.check_settings(estimators, label, block.reduce_dim, options, regression)
  need = max(pipeline.required_samples(estimators, label, options, block.n_resamples)
             for label in label_estimators)
  if n_rows < need:
    raise ValueError(
        f"analysis.split: the {block.split!r} rows number {n_rows}, but the estimators "
        f"{list(estimators)} and {list(label_estimators)} need at least {need}; use more "
        "examples, a larger held-out share (data.split) or smaller estimator batches "
        "(analysis.options.latent.batch)")


def pair_terms(block: ml_collections.ConfigDict, h_t: np.ndarray, h_s: np.ndarray,
               labels: np.ndarray, key: jax.Array, label_estimator: str,
               estimate: Callable[..., mi.MIEstimate] = mi.estimate) -> pipeline.CCHTerms:
  """The CCH terms of one pair on one split from H_t (n, d_t), H_s (n, d_s), labels (n,),
  with the block's settings; `estimate` (e.g. `pipeline.symmetric_memo()`) lets pairs
  share I(H_a; H_b)."""
  return pipeline.cch_terms(
      h_t, h_s, labels, key, estimators=estimator_names(block),
      label_estimator=label_estimator, reduce_dim=block.reduce_dim,
      n_resamples=block.n_resamples, options=estimator_options(block), estimate=estimate)


def shared_families(block: ml_collections.ConfigDict,
                    terms_by_pair: Sequence[Sequence[pipeline.CCHTerms]]
                    ) -> dict[tuple[int, int], dict[str, Any]]:
  """One calibration family per input width (d_t, d_s), pooled over every pair's splits
  (`pipeline.shaping.pooled`), for the trained I(H_t; H_s) estimators: their
  ground-truth runs take seconds each, so a run calibrates them once per width rather
  than once per pair ({} when not calibrating)."""
  if not block.calibrate:
    return {}
  by_width: dict[tuple[int, int], list[dict[str, Any]]] = {}
  for terms in terms_by_pair:
    for t in terms:
      by_width.setdefault((t.shape["dim_t"], t.shape["dim_s"]), []).append(t.shape)
  return {width: shaping.pooled(shapes) for width, shapes in by_width.items()}


def judge(block: ml_collections.ConfigDict, terms: Sequence[pipeline.CCHTerms],
          n_classes: int, calibrate: bool | None = None,
          families: Mapping[tuple[int, int], dict[str, Any]] | None = None) -> PairAnalysis:
  """Biases (one calibration for the pair, covering every split's estimates, when
  block.calibrate or `calibrate`; trained estimators on the `shared_families` of their
  width when given), per-split verdicts and the pooled verdict."""
  calibrate = block.calibrate if calibrate is None else calibrate
  shape = terms[0].shape
  family = (families or {}).get((shape.get("dim_t"), shape.get("dim_s")))
  trained = {name: family for name in estimator_names(block)
             if family is not None and mi.ESTIMATORS[name].randomized}
  biases = (pipeline.gap_biases(terms, n_classes, estimator_options(block),
                                block.calibration_draws, trained)
            if calibrate else [{} for _ in terms])
  return PairAnalysis(list(terms), list(biases),
                      [pipeline.verdict(t, b) for t, b in zip(terms, biases)],
                      pipeline.pooled_verdict(terms, biases))
