"""A study's report.json dict from its stages' outputs (pure: no I/O).

Keys: for the top-ranked teacher (the only one in a pair run) at top level
`teacher_view`, `i_teacher_student`, `i_student_label`, `gap` (each pooled over splits:
{'value', 'ci_low', 'ci_high', 'per_split', 'ci', 'per_estimator'}), `verdict` (pooled
over splits), `reason`, `criterion`, `p_sign_sampling`, and when training ran
`student_baseline`, `student_kd`, `kd_gain` (`pipeline.summary` over the per-split means
of splits × seeds), `outcome` ('held' / 'contradicted' / 'inconclusive' / None), `pilot`
({'label', 'gain', 'outcome'}), `recommended` ({'lam', 'temperature', 'val_gain',
'best_val_gain', 'test_gain'}); `teachers` (the same per teacher, plus the encoder's score, rank,
per-split verdicts, biases and the sweep), `ranking`, `gap_ranking` and `gain_ranking`
(`pipeline.rank_with_ties`: paired differences, ties, rank intervals), `agreement`
(several teachers), `monitor`, `a_priori`, `kd_reference`, `members`,
`member_test_score`, and the header's keys (experiment, views, source, n_classes, task,
metric, score_scale, n, splits, seeds, analysis, config, metadata). Scores and gains are
in accuracy, or for regression in −MAE in y's units (a gain > 0: KD lowered the MAE);
regression teachers add `r_squared` ({'baseline', 'kd', 'gain'} test R²).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ml_collections
import numpy as np

from cch_jax import kd, pipeline
from cch_jax.experiments.common.analysis import PairAnalysis
from cch_jax.utils import stats

TOP_LEVEL = ("teacher_view", "i_teacher_student", "i_student_label", "gap", "verdict",
             "reason", "criterion", "p_sign_sampling", "bias_known", "verdict_gap",
             "student_baseline", "student_kd",
             "kd_gain", "outcome", "pilot", "recommended", "r_squared")


def pooled_term(terms: Sequence[pipeline.Term]) -> dict[str, Any]:
  """One term over S splits: 'value' the mean over splits, a 95% Student-t CI over the
  splits' values (S = 1: the split's own CI), 'per_split' and 'per_estimator' (each
  estimator likewise)."""

  def pool(values: Sequence[Mapping[str, float]]) -> dict[str, Any]:
    if len(values) == 1:
      return {k: values[0][k] for k in ("value", "ci_low", "ci_high")} | {
          "per_split": [values[0]["value"]], "ci": values[0].get("ci", "")}
    t = stats.t_interval(np.asarray([v["value"] for v in values]))
    return {"value": t.mean, "ci_low": t.ci_low, "ci_high": t.ci_high,
            "per_split": [v["value"] for v in values],
            "ci": f"Student t over {len(values)} splits"}

  out = pool([{"value": t.value, "ci_low": t.ci_low, "ci_high": t.ci_high} for t in terms])
  out["per_estimator"] = {name: pool([t.per_estimator[name] for t in terms])
                          for name in terms[0].per_estimator}
  return out


def mean_biases(biases: Sequence[Mapping[str, Mapping[str, Any]]]
                ) -> dict[str, float | None]:
  """Per estimator, its gap's bias averaged over the splits (None where not calibrated
  or unknown on a split)."""
  names = {name for split in biases for name in split}
  values = {name: [split.get(name, {}).get("bias", float("nan")) for split in biases]
            for name in names}
  return {name: float(np.mean(v)) if np.isfinite(v).all() else None
          for name, v in values.items()}


def teacher_entry(index: int, view: str, score: Mapping[str, float],
                  found: PairAnalysis) -> dict[str, Any]:
  """One teacher's analysis over the splits: the terms pooled over splits, the pooled
  verdict (per estimator too), per-split verdicts, biases, warnings."""
  v = found.verdict
  terms = found.terms
  return {"index": index, "teacher_view": view, "score": dict(score),
          "i_teacher_student": pooled_term([t.i_teacher_student for t in terms]),
          "i_student_label": pooled_term([t.i_student_label for t in terms]),
          "gap": pooled_term([t.gap for t in terms]),
          "verdict": v.label, "reason": v.reason, "criterion": v.criterion,
          "p_sign_sampling": v.p_sign_sampling, "bias_known": v.bias_known,
          "verdict_gap": {"value": v.gap, "ci_low": v.ci_low, "ci_high": v.ci_high},
          "verdict_per_estimator": v.per_estimator,
          "verdicts_per_split": [x.label for x in found.verdicts],
          "gap_bias": found.biases, "gap_bias_mean": mean_biases(found.biases),
          "estimators_disagree": v.disagreement,
          "warnings": sorted({w for t in terms for w in t.warnings})}


def analysis_results(header: Mapping[str, Any], scores: Sequence[Mapping[str, float]],
                     student_score: Mapping[str, float], found: Sequence[PairAnalysis],
                     a_priori: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
  """The analysis part (stages 1-3): header['teacher_views'][g] has the encoder scores
  scores[g] (means over splits; accuracy, or −MAE) and found[g]; teachers ranked by
  pooled gap (with paired differences over splits when there are several), the
  top-ranked one's keys hoisted to the top level."""
  teachers = [teacher_entry(g, view, score, f) for g, (view, score, f) in
              enumerate(zip(header["teacher_views"], scores, found))]
  ranking = pipeline.rank_teachers({t["teacher_view"]: t["gap"]["value"] for t in teachers})
  for t in teachers:
    t["rank"] = ranking.index(t["teacher_view"]) + 1
  first = found[0].terms[0]
  results = {**header, "analysis": {
      **header["analysis"], "primary": first.primary,
      "estimators": list(first.gap.per_estimator), "label_entropy": first.label_entropy},
      "student_encoder_score": dict(student_score), "teachers": teachers,
      "ranking": ranking, "a_priori": list(a_priori)}
  if len(teachers) >= 2 and len(found[0].terms) >= 2:
    results["gap_ranking"] = pipeline.rank_with_ties(
        {t["teacher_view"]: t["gap"]["per_split"] for t in teachers})
  _hoist(results)
  return results


def a_priori_entry(steps: int, views: Sequence[str], found: Sequence[PairAnalysis]
                   ) -> dict[str, Any]:
  """The verdicts of encoders trained only `steps` steps (first split)."""
  return {"steps": steps, "teachers": [
      {"view": view, "gap": f.terms[0].gap.to_dict(), "verdict": f.verdict.label}
      for view, f in zip(views, found)]}


def add_training(results: dict[str, Any], kd_block: ml_collections.ConfigDict,
                 members: kd.Members, population: kd.PopulationResult,
                 pilot_score: np.ndarray, r_squared: np.ndarray | None,
                 scales: np.ndarray | float, pilot_step: int, monitor: Mapping[str, Any]
                 ) -> None:
  """Adds stage 4 to `results`: per teacher the gains at the reference (λ, T) over splits
  × seeds and the CCH prediction's outcome; the pilot's verdict (its paired validation
  gain at the reference) and outcome; the recommended (λ, T) with its test gain; the
  sweep; over teachers the measured ranking with ties and the agreement; the gap
  monitor's summary (`common.monitor.summarise`). Scores are accuracy, or −MAE turned
  into y's units by `scales` ((M,) or one factor), so a gain > 0 means KD helped either
  way; with `r_squared` (M,) (regression) each teacher adds the students' test R² at the
  reference."""
  scale = np.asarray(scales, np.float64)
  rows = {name: pipeline.paired_gains(members, scale * np.asarray(score)) for name, score in (
      ("test", population.test_score), ("val", population.val_score),
      ("pilot", pilot_score))}
  r2_rows = None if r_squared is None else pipeline.paired_gains(members, r_squared)
  best = pipeline.recommend(rows["val"])
  lam, temp = float(kd_block.reference_lam), float(kd_block.reference_temperature)
  at_ref = [pipeline.find(rows["test"], t["index"], lam, temp) for t in results["teachers"]]
  for t, ref in zip(results["teachers"], at_ref):
    g = t["index"]
    pilot_gain = pipeline.find(rows["pilot"], g, lam, temp)["gain"]
    pilot = pipeline.gain_verdict(pilot_gain)
    if r2_rows is not None:
      r2 = pipeline.find(r2_rows, g, lam, temp)
      t["r_squared"] = {"baseline": r2["baseline"], "kd": r2["kd"], "gain": r2["gain"]}
    t.update(student_baseline=ref["baseline"], student_kd=ref["kd"], kd_gain=ref["gain"],
             outcome=pipeline.prediction_outcome(t["verdict"], ref["gain"]),
             pilot={"label": pilot, "gain": pilot_gain,
                    "outcome": pipeline.prediction_outcome(pilot, ref["gain"])})
    rec = dict(best[g])
    rec["test_gain"] = (pipeline.find(rows["test"], g, rec["lam"], rec["temperature"])["gain"]
                        if rec["lam"] > 0 else None)
    t["recommended"] = rec
    t["sweep"] = [{"lam": r["lam"], "temperature": r["temperature"],
                   "val_gain": v["gain"]["mean"], "kd": r["kd"], "gain": r["gain"]}
                  for r, v in zip(rows["test"], rows["val"]) if r["teacher"] == g]
  results["kd_reference"] = {"lam": lam, "temperature": temp, "seeds": kd_block.seeds}
  steps = int(population.curves["loss"].shape[1])
  results["pilot_step"] = {"step": pilot_step, "steps": steps,
                           "compute_share": pilot_step / steps}
  results["members"] = members.to_dict()
  results["member_test_score"] = (scale * np.asarray(population.test_score)).tolist()
  teachers = results["teachers"]
  results["track_record"] = {
      "cch_gap": pipeline.outcome_counts([t["outcome"] for t in teachers]),
      "pilot": pipeline.outcome_counts([t["pilot"]["outcome"] for t in teachers])}
  if len(teachers) >= 2:
    results["gain_ranking"] = pipeline.rank_with_ties(
        {t["teacher_view"]: pipeline.units_of(r) for t, r in zip(teachers, at_ref)})
    results["agreement"] = pipeline.agreement(
        [t["gap"]["value"] for t in teachers], at_ref, [t["verdict"] for t in teachers])
  results["monitor"] = dict(monitor)
  _hoist(results)
def _hoist(results: dict[str, Any]) -> None:
  top = next(t for t in results["teachers"] if t["rank"] == 1)
  results.update({k: top[k] for k in TOP_LEVEL if k in top})
