"""The CCH analysis of a pair, with the settings of an `analysis` config block.

  held = analysis_rows(ds, "validation+test")           # rows no encoder trained on
  found = analyse_pair(config.analysis, h_t, h_s, held.labels, key)
  found.terms.gap.value, found.verdict.label, found.biases
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import ml_collections
import numpy as np

from cch_jax import data, mi, pipeline

ANALYSIS_SPLITS = ("validation", "test", "validation+test")


@dataclasses.dataclass(frozen=True)
class PairAnalysis:
  """The analysis of one (teacher, student) pair: the terms, the gap's bias on
  ground-truth tasks per estimator ({} when not calibrated) and the verdict."""
  terms: pipeline.CCHTerms
  biases: dict[str, dict[str, Any]]
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
    mi.ESTIMATORS[name]  # raises naming the known estimators
  return found


def estimator_names(block: ml_collections.ConfigDict) -> tuple[str, ...]:
  """block.estimators as names: the I(H_t; H_s) estimators, the first one primary."""
  return known_names("analysis.estimators", block.estimators)


def estimator_options(block: ml_collections.ConfigDict) -> dict[str, dict[str, Any]]:
  """block.options as plain dicts: {estimator: {option: value}}."""
  return {k: dict(v) for k, v in block.options.items()}


def check_rows(block: ml_collections.ConfigDict, label_estimators: tuple[str, ...],
               n_rows: int) -> None:
  """The estimators' settings are valid and `n_rows` held-out rows are enough for them."""
  estimators = estimator_names(block)
  options = estimator_options(block)
  for label in label_estimators:
    pipeline.check_settings(estimators, label, block.reduce_dim, options)
  need = max(pipeline.required_samples(estimators, label, options, block.n_resamples)
             for label in label_estimators)
  if n_rows < need:
    raise ValueError(
        f"analysis.split: the {block.split!r} rows number {n_rows}, but the estimators "
        f"{list(estimators)} and {list(label_estimators)} need at least {need}; use more "
        "examples, a larger held-out share (data.split) or smaller estimator batches "
        "(analysis.options.latent.batch)")


def gap_biases(block: ml_collections.ConfigDict, terms: pipeline.CCHTerms, n_classes: int
               ) -> dict[str, dict[str, Any]]:
  """`pipeline.gap_biases` with the block's settings ({} unless block.calibrate)."""
  if not block.calibrate:
    return {}
  return pipeline.gap_biases(terms, terms.dims, n_classes, estimator_options(block),
                             block.calibration_seeds)


def analyse_pair(block: ml_collections.ConfigDict, h_t: np.ndarray, h_s: np.ndarray,
                 labels: np.ndarray, key: jax.Array, label_estimator: str,
                 estimate: Callable[..., mi.MIEstimate] = mi.estimate) -> PairAnalysis:
  """Terms, biases and verdict of one pair from H_t (n, d_t), H_s (n, d_s), labels (n,).

  `estimate` (e.g. `pipeline.symmetric_memo()`) lets pairs share I(H_a; H_b).
  """
  terms = pipeline.cch_terms(
      h_t, h_s, labels, key, estimators=estimator_names(block),
      label_estimator=label_estimator, reduce_dim=block.reduce_dim,
      n_resamples=block.n_resamples, options=estimator_options(block), estimate=estimate)
  biases = gap_biases(block, terms, int(labels.max()) + 1)
  return PairAnalysis(terms, biases, pipeline.verdict(terms, biases))
