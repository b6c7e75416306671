"""The criteria benchmark's report.json dict from its stages' outputs (pure: no I/O).

Keys: views, splits, seeds, reference {lam, temperature}, pairs (one per ordered pair:
teacher, student, gain (summary over splits), per_split, sign_stable, baseline, best {lam,
temperature, val_gain, best_val_gain, test_gain}, criteria {name: mean over splits},
criteria_per_split, gap_ci, verdicts (calibrated, per split), reasons, uncalibrated (per
split), held, held_on_split, exact_rule), ranking (`pipeline.rank_criteria` rows),
verdicts {calibrated, uncalibrated: track records}, prediction (the criterion the verdict
comes from and its track record), primary_gap, analysis_rows, calibration, and the
header's keys (experiment, source, n_classes, n, config, versions).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import ml_collections
import numpy as np

from cch_jax import kd, pipeline
from cch_jax.utils import stats
from cch_jax.experiments.common.analysis import PairAnalysis, estimator_names, known_names


@dataclasses.dataclass(frozen=True)
class PairFindings:
  """One ordered pair on one split: the analysis (calibrated verdict), the verdict
  without the bias correction, and every criterion's value."""
  analysis: PairAnalysis
  uncalibrated: pipeline.Verdict
  criteria: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class StudentRuns:
  """The students of one student view: members (`kd.paired_grid`, teacher index into
  `teachers`), validation and test accuracy per member (M,)."""
  members: kd.Members
  val_accuracy: np.ndarray
  test_accuracy: np.ndarray
  teachers: list[str]


def collect(header: Mapping[str, Any], analysis_block: ml_collections.ConfigDict,
            kd_block: ml_collections.ConfigDict, views: Sequence[str],
            analyses: Sequence[Mapping[tuple[str, str], PairFindings]],
            runs: Mapping[str, StudentRuns], calibration: list[dict[str, Any]]
            ) -> dict[str, Any]:
  """The results dict (see the module docstring): analyses[k][(t, s)] is split k's
  findings of the pair t -> s, runs[s] the students of view s."""
  names = estimator_names(analysis_block)
  labels = known_names("analysis.label_estimators", analysis_block.label_estimators)
  known = pipeline.criteria_of(names, labels)
  ref = (float(kd_block.reference_lam), float(kd_block.reference_temperature))
  pairs = [pair_entry(t, s, [a[(t, s)] for a in analyses], runs[s], ref, known)
           for t in views for s in views if s != t]
  ranking = pipeline.rank_criteria({c: [p["criteria"][c] for p in pairs] for c in known},
                                   [p["gain"] for p in pairs], known)
  calibrated = track_record(pairs, "verdicts")
  first = analyses[0][(views[0], views[1])].analysis
  return {**header, "views": list(views), "splits": len(analyses), "seeds": kd_block.seeds,
          "analysis_rows": first.terms.n,
          "reference": {"lam": ref[0], "temperature": ref[1]}, "pairs": pairs,
          "ranking": ranking, "verdicts": {"calibrated": calibrated,
                                           "uncalibrated": track_record(pairs, "uncalibrated")},
          "prediction": {"criterion": first.verdict.criterion, "track_record": calibrated},
          "primary_gap": f"gap:{names[0]}-{labels[0]}", "calibration": calibration}


def pair_entry(t: str, s: str, found: Sequence[PairFindings], runs: StudentRuns,
               ref: tuple[float, float], known: Sequence[str]) -> dict[str, Any]:
  """One ordered pair over its splits: gains at the reference (λ, T), the best (λ, T) on
  validation with its test gain, criteria (per split and mean), verdicts and outcomes."""
  g = runs.teachers.index(t)
  test_rows = pipeline.paired_gains(runs.members, runs.test_accuracy)
  at_ref = pipeline.find(test_rows, g, *ref)
  best = pipeline.recommend(pipeline.paired_gains(runs.members, runs.val_accuracy))[g]
  best_test = 0.0 if best["lam"] == 0 else pipeline.find(
      test_rows, g, best["lam"], best["temperature"])["gain"]["mean"]
  per_split = {c: [f.criteria[c] for f in found] for c in known}
  mean_gain = at_ref["gain"]["mean"]
  verdicts = [f.analysis.verdict.label for f in found]
  return {
      "teacher": t, "student": s, "gain": at_ref["gain"], "per_split": at_ref["per_split"],
      "sign_stable": at_ref["sign_stable"], "baseline": at_ref["baseline"]["mean"],
      "best": {**best, "test_gain": best_test},
      "criteria": {c: float(np.mean(v)) for c, v in per_split.items()},
      "criteria_per_split": per_split, "gap_ci": [f.criteria["ci"] for f in found],
      "verdicts": verdicts, "reasons": [f.analysis.verdict.reason for f in found],
      "uncalibrated": [f.uncalibrated.label for f in found],
      "held": [pipeline.prediction_held(v, mean_gain) for v in verdicts],
      "held_on_split": [pipeline.prediction_held(v, x)
                        for v, x in zip(verdicts, at_ref["per_split"])],
      "exact_rule": [f.criteria["exact_rule_detail"] for f in found]}


def track_record(pairs: Sequence[Mapping[str, Any]], kind: str) -> dict[str, Any]:
  """How the verdicts pairs[i][kind] (one per split) held, three ways.

  Per split (a user's situation: one split, one verdict): verdict k against split k's
  mean gain over seeds ('held', 'decisive'), and against the pair's mean gain over all
  splits and seeds ('held_vs_pair_mean'); the S verdicts of a pair share its teacher and
  student, so they are not independent. Per pair: the consensus verdict (decisive only
  when every split's verdict is the same decisive label) against the pair's mean gain
  ('pairs_decisive', 'pairs_held'), and how many of those pairs have a gain whose CI
  excludes 0 ('pairs_decisive_significant', 'pairs_held_significant').
  """
  held = pipeline.prediction_held
  split_level = [(held(v, x), held(v, p["gain"]["mean"]))
                 for p in pairs for v, x in zip(p[kind], p["per_split"])]
  decided = [(own, pooled) for own, pooled in split_level if own is not None]
  consensus = [(p[kind][0] if len(set(p[kind])) == 1 else pipeline.UNCERTAIN, p)
               for p in pairs]
  pair_held = [(held(v, p["gain"]["mean"]),
                stats.ci_side(p["gain"]["ci_low"], p["gain"]["ci_high"]) != 0)
               for v, p in consensus]
  pair_decided = [(h, sig) for h, sig in pair_held if h is not None]
  n_held = sum(own for own, _ in decided)
  return {"verdicts": len(split_level), "decisive": len(decided), "held": int(n_held),
          "held_rate": n_held / len(decided) if decided else None,
          "held_vs_pair_mean": int(sum(bool(pooled) for _, pooled in decided)),
          "pairs": len(pairs), "pairs_decisive": len(pair_decided),
          "pairs_held": int(sum(h for h, _ in pair_decided)),
          "pairs_decisive_significant": sum(sig for _, sig in pair_decided),
          "pairs_held_significant": int(sum(h for h, sig in pair_decided if sig))}
