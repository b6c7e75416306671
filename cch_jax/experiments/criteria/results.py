"""The criteria benchmark's report.json dict from its stages' outputs (pure: no I/O).

Keys: views, splits, seeds, reference {lam, temperature}, pairs (one per ordered pair:
teacher, student, gain (summary over the per-split means of splits × seeds), per_split,
sign_stable, baseline, recommended {lam, temperature, val_gain, best_val_gain, test_gain},
criteria {name: mean over splits}, criteria_per_split, gap_ci, verdict and uncalibrated
(the CCH verdict pooled over splits: label, reason, outcome), pilot (label, gain,
outcome), verdicts_per_split, calibration, exact_rule), ranking (`pipeline.rank_criteria`
rows), track_record {cch_gap, cch_gap_uncalibrated, pilot: per-pair outcome counts},
pilot {step, steps, compute_share}, primary_gap, analysis_rows, calibration (per pair),
and the header's keys (experiment, source, n_classes, n, config, versions).
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
  """One ordered pair over its S splits: the analysis (calibrated verdicts), the same
  without the bias correction, and every criterion's value per split."""
  analysis: PairAnalysis
  uncalibrated: PairAnalysis
  criteria: list[dict[str, Any]]


@dataclasses.dataclass(frozen=True)
class StudentRuns:
  """The students of one student view: members (`kd.paired_grid`, teacher index into
  `teachers`), validation and test score per member (M,; accuracy, or −MAE in y's
  units), the pilot (each member's validation score (M,) after `pilot_step` of its
  steps), the students' wall seconds and the pilot variants' short runs {spec: {'score'
  (M,), 'seconds'}}."""
  members: kd.Members
  val_score: np.ndarray
  test_score: np.ndarray
  teachers: list[str]
  pilot_score: np.ndarray
  pilot_step: int
  seconds: float = float("nan")
  variants: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)


def collect(header: Mapping[str, Any], analysis_block: ml_collections.ConfigDict,
            kd_block: ml_collections.ConfigDict, views: Sequence[str],
            findings: Mapping[tuple[str, str], PairFindings],
            runs: Mapping[str, StudentRuns]) -> dict[str, Any]:
  """The results dict (see the module docstring): findings[(t, s)] is the pair t -> s over
  its splits, runs[s] the students of view s."""
  names = estimator_names(analysis_block)
  labels = known_names("analysis.label_estimators", analysis_block.label_estimators)
  known = pipeline.criteria_of(names, labels, header.get("task", "classification"))
  ref = (float(kd_block.reference_lam), float(kd_block.reference_temperature))
  pairs = [pair_entry(t, s, findings[(t, s)], runs[s], ref, known)
           for t in views for s in views if s != t]
  ranking = pipeline.rank_criteria(
      {c: np.asarray([p["criteria_per_split"][c] for p in pairs]) for c in known},
      np.asarray([p["per_split"] for p in pairs]), [p["gain"] for p in pairs], known)
  first = findings[(views[0], views[1])].analysis
  run = runs[views[0]]
  steps = int(header["config"]["student"]["train"]["steps"])
  records = {
      "cch_gap": track_record(pairs, "verdict", first.verdict.criterion),
      "cch_gap_uncalibrated": track_record(pairs, "uncalibrated",
                                           f"{first.verdict.criterion}, uncalibrated"),
      "pilot": track_record(pairs, "pilot", f"pilot: paired validation gain after "
                            f"{run.pilot_step} of {steps} student steps")}
  full = sum(r.seconds for r in runs.values())
  variants = {}
  for spec in run.variants:
    records[f"pilot[{spec}]"] = track_record(
        [{**p, "pilot": p["pilot_variants"][spec]} for p in pairs], "pilot",
        f"pilot {spec}: a {run.pilot_step}-step run")
    variants[spec] = {"seconds": sum(r.variants[spec]["seconds"] for r in runs.values()),
                      "compute_share": sum(r.variants[spec]["seconds"]
                                           for r in runs.values()) / full}
  return {**header, "views": list(views), "splits": len(first.terms),
          "seeds": kd_block.seeds, "analysis_rows": first.terms[0].n,
          "reference": {"lam": ref[0], "temperature": ref[1]}, "pairs": pairs,
          "ranking": ranking, "track_record": records,
          "pilot": {"step": run.pilot_step, "steps": steps,
                    "compute_share": run.pilot_step / steps, "students_seconds": full,
                    "variants": variants},
          "primary_gap": f"gap:{names[0]}-{labels[0]}",
          "calibration": {f"{p['teacher']} -> {p['student']}": p["calibration"]
                          for p in pairs}}


def pair_entry(t: str, s: str, found: PairFindings, runs: StudentRuns,
               ref: tuple[float, float], known: Sequence[str]) -> dict[str, Any]:
  """One ordered pair over its splits: the gain at the reference (λ, T) over splits ×
  seeds; the CCH verdict (pooled over splits; calibrated and not), the pilot verdict and
  each one's outcome; the (λ, T) recommended on validation with its test gain; criteria
  per split and their means."""
  g = runs.teachers.index(t)
  test_rows = pipeline.paired_gains(runs.members, runs.test_score)
  at_ref = pipeline.find(test_rows, g, *ref)
  gain = at_ref["gain"]
  pilot_gain = pipeline.find(pipeline.paired_gains(runs.members, runs.pilot_score),
                             g, *ref)["gain"]
  per_split = {c: [f[c] for f in found.criteria] for c in known}
  judged = lambda verdict: {"label": verdict.label, "reason": verdict.reason,
                            "outcome": pipeline.prediction_outcome(verdict.label, gain)}
  pilot = pipeline.gain_verdict(pilot_gain)
  variants = {}
  for spec, short in runs.variants.items():
    short_gain = pipeline.find(pipeline.paired_gains(runs.members, short["score"]),
                               g, *ref)["gain"]
    label = pipeline.gain_verdict(short_gain)
    variants[spec] = {"label": label, "gain": short_gain,
                      "outcome": pipeline.prediction_outcome(label, gain)}
  return {
      "teacher": t, "student": s, "gain": gain, "per_split": at_ref["per_split"],
      "sign_stable": at_ref["sign_stable"], "baseline": at_ref["baseline"]["mean"],
      "recommended": recommended(runs, g, test_rows),
      "criteria": {c: float(np.mean(v)) for c, v in per_split.items()},
      "criteria_per_split": per_split, "gap_ci": [f["ci"] for f in found.criteria],
      "verdict": judged(found.analysis.verdict),
      "uncalibrated": judged(found.uncalibrated.verdict),
      "pilot": {"label": pilot, "gain": pilot_gain,
                "outcome": pipeline.prediction_outcome(pilot, gain)},
      "pilot_variants": variants,
      "verdicts_per_split": [v.label for v in found.analysis.verdicts],
      "calibration": found.analysis.biases[0] if found.analysis.biases else {},
      "exact_rule": [f["exact_rule_detail"] for f in found.criteria]}


def recommended(runs: StudentRuns, teacher: int, test_rows: Sequence[Mapping[str, Any]]
                ) -> dict[str, Any]:
  """The (λ, T) with the best mean paired validation gain (λ = 0 when none beats the
  baseline) and its test gain `summary` over splits × seeds (None for λ = 0)."""
  best = pipeline.recommend(pipeline.paired_gains(runs.members, runs.val_score))[teacher]
  test = (None if best["lam"] == 0 else
          pipeline.find(test_rows, teacher, best["lam"], best["temperature"])["gain"])
  return {**best, "test_gain": test}


def track_record(pairs: Sequence[Mapping[str, Any]], kind: str, criterion: str
                 ) -> dict[str, Any]:
  """How the verdicts pairs[i][kind] (one per pair, pooled over its splits) fared against
  the pair's gain CI over splits × seeds: `pipeline.outcome_counts` per pair, plus
  n_pairs, n_pairs_significant (the gain's CI excludes 0) and, among those, the decisive
  and held counts."""
  outcomes = [p[kind]["outcome"] for p in pairs]
  significant = [stats.ci_side(p["gain"]["ci_low"], p["gain"]["ci_high"]) != 0
                 for p in pairs]
  on_significant = [o for o, sig in zip(outcomes, significant) if sig]
  counts = pipeline.outcome_counts(outcomes)
  return {"criterion": criterion, **counts, "n_pairs": len(pairs),
          "n_pairs_significant": int(sum(significant)),
          "decisive_significant": sum(o is not None for o in on_significant),
          "held_significant": on_significant.count(pipeline.HELD),
          "held_rate": (counts["held"] / (counts["held"] + counts["contradicted"])
                        if counts["held"] + counts["contradicted"] else None)}
