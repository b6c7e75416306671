"""Small hand-made inputs for the experiments' results and report builders."""

from __future__ import annotations

from cch_jax import pipeline
from cch_jax.experiments.common.analysis import PairAnalysis


def term(value: float, low: float, high: float, name: str = "ksg") -> pipeline.Term:
  """A Term whose only estimator `name` has the primary values."""
  return pipeline.Term(value, low, high, {name: {"value": value, "ci_low": low,
                                                 "ci_high": high, "ci": "halves"}})


def terms(gap: float, low: float, high: float, label: float = 0.5) -> pipeline.CCHTerms:
  """A pair's terms on one split: a ksg gap (gap, [low, high]) over a label_knn I(H_s; Y)
  of `label` (CI ± 0.1), on 100 rows of 10 balanced classes."""
  return pipeline.CCHTerms(
      i_teacher_student=term(gap + label, low + label, high + label),
      i_student_label=term(label, label - 0.1, label + 0.1, "label_knn"),
      gap=term(gap, low, high), label_entropy=2.302585, n=100, primary="ksg")


def analysis(*gaps: tuple[float, float, float]) -> PairAnalysis:
  """A pair over len(gaps) splits, split k's ksg gap (gap, low, high) = gaps[k]
  (`terms`); no bias calibration."""
  found = [terms(*g) for g in gaps]
  return PairAnalysis(found, [{} for _ in found], [pipeline.verdict(t) for t in found],
                      pipeline.pooled_verdict(found, [{} for _ in found]))
