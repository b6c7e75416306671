"""The criteria benchmark's report.json dict from its stages' outputs (pure: no I/O).

Keys: sources (one `SourceHeader` dict each), splits, seeds, reference {lam, temperature},
pairs (one per ordered pair of each source: source, teacher, student, gain and val_gain
at the reference (λ, T) (Nadeau–Bengio CIs over splits × seeds), per_split, baseline,
recommended (chosen on half of the seeds, reported on the other), criteria (mean over
splits), criteria_per_split, and one dict with a 'label' per verdict: verdict (the
calibrated CCH gap), uncalibrated, pilot (and pilot[<spec>] per further pilot run),
always_distil, never_distil and rule:<criterion> per criterion; each with its outcome),
headline (the key of the headline verdict), track_record {verdict key: `VerdictScore`},
criteria_scores {criterion: `CriterionScore`}, ranking (`pipeline.rank_criteria` rows on
gains standardised within each source), recommendation (the held-out recommendation's
gains over pairs), pilot, primary_gap, config and versions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import ml_collections
import numpy as np

from cch_jax import kd, pipeline
from cch_jax.experiments.common.analysis import (LABEL_ESTIMATORS, PairAnalysis,
                                                 estimator_names, known_names)
from cch_jax.pipeline import scoring
from cch_jax.utils import stats

CONSTANTS = {"always_distil": pipeline.DISTIL, "never_distil": pipeline.DO_NOT_DISTIL}
"""The constant rules every verdict is scored beside."""


@dataclasses.dataclass(frozen=True)
class PairFindings:
  """One ordered pair over its S splits: the analysis (calibrated verdicts), the same
  without the bias correction, and every criterion's value per split."""
  analysis: PairAnalysis
  uncalibrated: PairAnalysis
  criteria: list[dict[str, Any]]


@dataclasses.dataclass(frozen=True)
class PilotRun:
  """A pilot's own short run of a student population: (M,) validation scores, seconds."""
  score: np.ndarray
  seconds: float


@dataclasses.dataclass(frozen=True)
class StudentRuns:
  """The students of one student view: members (`kd.paired_grid`, teacher index into
  `teachers`), validation and test score per member (M,; accuracy, or −MAE in y's units),
  the pilots' step count, the students' wall seconds, the pilot runs {spec: PilotRun} and
  the rows of a split (train, validation, test) for the resampled-t correction."""
  members: kd.Members
  val_score: np.ndarray
  test_score: np.ndarray
  teachers: list[str]
  pilot_step: int
  seconds: float
  pilots: dict[str, PilotRun]
  rows: tuple[int, int, int]


@dataclasses.dataclass(frozen=True)
class SourceHeader:
  """One data source of the benchmark: its name in the report, the data source, classes,
  task, metric, score scale, split sizes, analysis rows per split and views."""
  name: str
  source: str
  n_classes: int
  task: str
  metric: str
  score_scale: float
  n: dict[str, int]
  analysis_rows: int
  views: list[str]


@dataclasses.dataclass(frozen=True)
class SourceResults:
  """One source's stages: header, findings[(t, s)] per ordered pair, runs[s] per student,
  and early[f][(t, s)]: the pair's analysis on encoders trained a fraction f of their
  steps."""
  header: SourceHeader
  findings: Mapping[tuple[str, str], PairFindings]
  runs: Mapping[str, StudentRuns]
  early: Mapping[float, Mapping[tuple[str, str], PairAnalysis]] = dataclasses.field(
      default_factory=dict)


def early_key(fraction: float) -> str:
  """The verdict key of the CCH verdict on encoders after `fraction` of their steps."""
  return f"verdict@{fraction:.0%}"


def pilot_keys(specs: Sequence[str]) -> list[str]:
  """The verdict keys of the pilot runs: the first is 'pilot', the others pilot[spec]."""
  return ["pilot"] + [f"pilot[{spec}]" for spec in specs[1:]]


def verdict_keys(config: ml_collections.ConfigDict, task: str) -> list[str]:
  """The verdict keys every pair of a source with this task carries."""
  specs = [s.strip() for s in config.pilot.variants.split(",") if s.strip()]
  early = [early_key(f) for f in config.analysis.encoder_fractions]
  rules = [f"rule:{c}" for c in pipeline.criteria_of(
      estimator_names(config.analysis), _labels(config, task), task)]
  return ["verdict", "uncalibrated", *early, *pilot_keys(specs), *CONSTANTS, *rules]


def collect(config: ml_collections.ConfigDict, sources: Sequence[SourceResults],
            versions: Mapping[str, Any]) -> dict[str, Any]:
  """The results dict (see the module docstring)."""
  ref = (float(config.kd.reference_lam), float(config.kd.reference_temperature))
  known = _criteria(config, sources)
  pairs = [pair_entry(src.header, t, s, src.findings[(t, s)], src.runs[s], ref, known)
           for src in sources for t in src.header.views for s in src.header.views if s != t]
  outcomes = scoring.Outcomes.of([p["gain"] for p in pairs], [p["val_gain"] for p in pairs],
                                 [f"{p['source']}/{p['student']}" for p in pairs])
  first = sources[0]
  runs = first.runs[first.header.views[0]]
  specs = list(runs.pilots)
  cch = first.findings[tuple(first.header.views[:2])].analysis.verdict.criterion
  texts = {"verdict": cch, "uncalibrated": f"{cch}, uncalibrated"}
  for fraction in first.early:
    texts[early_key(fraction)] = (f"{cch}, on encoders after {fraction:.0%} of their "
                                  "steps")
  _label_early(pairs, sources)
  for key, spec in zip(pilot_keys(specs), specs):
    texts[key] = (f"pilot {spec}: its own {runs.pilot_step}-step run, validation gain vs a "
                  "threshold fitted on the other pairs")
    _label_pilot(pairs, key, spec, outcomes)
  for key, label in CONSTANTS.items():
    texts[key] = f"always '{label}'"
    for p in pairs:
      p[key] = {"label": label, "outcome": pipeline.prediction_outcome(label, p["gain"])}
  criteria_scores = _score_criteria(pairs, known, outcomes)
  records = {key: scoring.score_verdict(key, texts[key], [p[key]["label"] for p in pairs],
                                        outcomes).to_dict() for key in texts}
  records.update({f"rule:{n}": s["rule"] for n, s in criteria_scores.items()})
  return {
      "experiment": config.experiment,
      "sources": [dataclasses.asdict(src.header) for src in sources],
      "splits": int(config.splits), "seeds": int(config.kd.seeds),
      "reference": {"lam": ref[0], "temperature": ref[1]}, "pairs": pairs,
      "headline": headline(config.headline, records),
      "track_record": records, "criteria_scores": criteria_scores,
      "ranking": _ranking(pairs, known),
      "recommendation": recommendation_summary(pairs),
      "pilot": _pilot_compute(sources, runs.pilot_step, int(config.student.train.steps)),
      "primary_gap": f"gap:{estimator_names(config.analysis)[0]}",
      "config": config.to_dict(), "versions": dict(versions)}


def _score_criteria(pairs: list[dict[str, Any]], known: Mapping[str, Any],
                    outcomes: scoring.Outcomes) -> dict[str, dict[str, Any]]:
  """Each criterion's `CriterionScore` dict; each pair gets its rule's verdict
  (rule:<criterion>: a threshold fitted on the other pairs' validation gains)."""
  out = {}
  for name, c in known.items():
    values = np.asarray([p["criteria"].get(name, np.nan) for p in pairs], np.float64)
    labels, taus = scoring.threshold_labels(values, outcomes.val_side)
    for p, label, tau in zip(pairs, labels, taus):
      p[f"rule:{name}"] = {"label": label, "threshold": tau,
                           "outcome": pipeline.prediction_outcome(label, p["gain"])}
    out[name] = scoring.score_criterion(name, c.text, c.signed, values, outcomes,
                                        labels).to_dict()
  return out


def _pilot_compute(sources: Sequence[SourceResults], step: int, steps: int
                   ) -> dict[str, Any]:
  """The pilots' steps and their wall seconds, also as a share of the students'."""
  runs = [r for src in sources for r in src.runs.values()]
  full = sum(r.seconds for r in runs)
  spent = {spec: sum(r.pilots[spec].seconds for r in runs) for spec in runs[0].pilots}
  return {"step": step, "steps": steps, "students_seconds": full,
          "runs": {spec: {"seconds": t, "compute_share": t / full}
                   for spec, t in spent.items()}}


def _labels(config: ml_collections.ConfigDict, task: str) -> tuple[str, ...]:
  text = config.analysis.label_estimators
  if text == "auto":
    return LABEL_ESTIMATORS[task]
  return known_names("analysis.label_estimators", text)


def _criteria(config: ml_collections.ConfigDict, sources: Sequence[SourceResults]
              ) -> dict[str, pipeline.criteria.Criterion]:
  """Every criterion of any source (a pair lacking one has NaN there)."""
  out: dict[str, Any] = {}
  for src in sources:
    task = src.header.task
    out.update(pipeline.criteria_of(estimator_names(config.analysis), _labels(config, task),
                                    task))
  return out


def _label_early(pairs: list[dict[str, Any]], sources: Sequence[SourceResults]) -> None:
  """Each pair's CCH verdicts on the early encoders, with their outcomes."""
  by_name = {src.header.name: src for src in sources}
  for p in pairs:
    for f, found in by_name[p["source"]].early.items():
      v = found[(p["teacher"], p["student"])].verdict
      p[early_key(f)] = {"label": v.label, "reason": v.reason,
                         "outcome": pipeline.prediction_outcome(v.label, p["gain"])}


def _label_pilot(pairs: list[dict[str, Any]], key: str, spec: str,
                 outcomes: scoring.Outcomes) -> None:
  """Each pair's verdict from pilot run `spec`: its paired validation gain's CI against a
  threshold fitted on the other pairs' full-run validation gains."""
  gains = [p["pilot_gains"][spec] for p in pairs]
  labels, taus = scoring.threshold_labels(
      [g["mean"] for g in gains], outcomes.val_side,
      ci=([g["ci_low"] for g in gains], [g["ci_high"] for g in gains]))
  for p, g, label, tau in zip(pairs, gains, labels, taus):
    p[key] = {"label": label, "gain": g, "threshold": tau,
              "outcome": pipeline.prediction_outcome(label, p["gain"])}


def pair_entry(header: SourceHeader, t: str, s: str, found: PairFindings, runs: StudentRuns,
               ref: tuple[float, float], known: Mapping[str, Any]) -> dict[str, Any]:
  """One ordered pair over its splits: the gains at the reference (λ, T) (test and
  validation, resampled-t CIs over splits × seeds), the CCH verdicts (pooled over splits;
  calibrated and not), the pilots' gains, the recommendation, the criteria."""
  g = runs.teachers.index(t)
  n_train, n_val, n_test = runs.rows
  test = pipeline.find(pipeline.paired_gains(runs.members, runs.test_score,
                                             (n_train, n_test)), g, *ref)
  val = pipeline.find(pipeline.paired_gains(runs.members, runs.val_score, (n_train, n_val)),
                      g, *ref)
  pilots = {spec: pipeline.find(pipeline.paired_gains(runs.members, run.score,
                                                      (n_train, n_val)), g, *ref)["gain"]
            for spec, run in runs.pilots.items()}
  per_split = {c: [f[c] for f in found.criteria] for c in known if c in found.criteria[0]}
  judged = lambda v: {"label": v.label, "reason": v.reason,
                      "outcome": pipeline.prediction_outcome(v.label, test["gain"])}
  return {
      "source": header.name, "metric": header.metric, "teacher": t, "student": s,
      "gain": test["gain"],
      "val_gain": val["gain"], "per_split": test["per_split"],
      "sign_stable": test["sign_stable"], "baseline": test["baseline"]["mean"],
      "recommended": pipeline.recommend_held_out(
          runs.members, runs.val_score, runs.test_score, ref, (n_train, n_test))[g],
      "criteria": {c: float(np.mean(v)) for c, v in per_split.items()},
      "criteria_per_split": per_split, "gap_ci": [f["ci"] for f in found.criteria],
      "verdict": judged(found.analysis.verdict),
      "uncalibrated": judged(found.uncalibrated.verdict), "pilot_gains": pilots,
      "verdicts_per_split": [v.label for v in found.analysis.verdicts],
      "calibration": found.analysis.biases[0] if found.analysis.biases else {},
      "exact_rule": [f["exact_rule_detail"] for f in found.criteria]}


def headline(setting: str, records: Mapping[str, Mapping[str, Any]]) -> str:
  """The headline verdict: `setting`, or for 'auto' the verdict with the highest balanced
  accuracy on the significant pairs (ties: the higher lower CI end, then the first)."""
  if setting != "auto":
    return setting
  score = lambda key: (records[key]["balanced_accuracy"] or 0.0,
                       (records[key]["balanced_accuracy_ci"] or (0.0, 0.0))[0])
  return max(records, key=score)


def _ranking(pairs: Sequence[Mapping[str, Any]], known: Mapping[str, Any]
             ) -> list[dict[str, Any]]:
  """`pipeline.rank_criteria` on criteria and gains standardised within each source
  (sources measure gains in different units), criteria every pair has."""
  names = [c for c in known if all(np.isfinite(p["criteria"].get(c, np.nan)) for p in pairs)]
  gains = _standardised(pairs, np.asarray([p["per_split"] for p in pairs], np.float64))
  values = {c: _standardised(pairs, np.asarray([p["criteria_per_split"][c] for p in pairs],
                                               np.float64)) for c in names}
  return pipeline.rank_criteria(values, gains, [p["gain"] for p in pairs],
                                {c: known[c] for c in names})


def _standardised(pairs: Sequence[Mapping[str, Any]], per_split: np.ndarray) -> np.ndarray:
  """(P, S) values centred and scaled by their per-pair means' spread within each source
  (unchanged scale where a source's spread is 0)."""
  out = per_split.copy()
  for source in {p["source"] for p in pairs}:
    mine = np.asarray([p["source"] == source for p in pairs])
    means = per_split[mine].mean(1)
    spread = means.std() if len(means) > 1 and means.std() > 0 else 1.0
    out[mine] = (per_split[mine] - means.mean()) / spread
  return out


def recommendation_summary(pairs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
  """Per metric (gains in accuracy and in MAE do not mix), over its pairs, on the report
  half of the seeds: the recommended (λ, T)'s mean test gain, the reference's, their
  paired difference (95% Student-t CI over pairs, NaN for one pair), and how often λ > 0
  was recommended and its test-gain CI lay below 0 (worse than not distilling)."""
  out = {}
  for metric in dict.fromkeys(p["metric"] for p in pairs):
    mine = [p["recommended"] for p in pairs if p["metric"] == metric]
    rec = np.asarray([r["test_gain"]["mean"] for r in mine], np.float64)
    ref = np.asarray([r["reference_test_gain"]["mean"] for r in mine], np.float64)
    out[metric] = {"pairs": len(mine), "recommended_mean": float(rec.mean()),
                   "reference_mean": float(ref.mean()),
                   "difference": stats.t_interval(rec - ref)._asdict(),
                   "distil_recommended": sum(r["lam"] > 0 for r in mine),
                   "worse_than_no_kd": sum(r["test_gain"]["ci_high"] < 0 for r in mine)}
  return out
