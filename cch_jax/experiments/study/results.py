"""A study's report.json dict from its stages' outputs (pure: no I/O).

Keys: for the top-ranked teacher (the only one in a pair run) at top level
`teacher_view`, `i_teacher_student`, `i_student_label`, `gap` (each {'value', 'ci_low',
'ci_high', 'per_estimator'}), `verdict`, `reason`, `criterion`, and when training ran
`student_baseline`, `student_kd`, `kd_gain` ({'mean', 'std', 'se', 'ci_low', 'ci_high',
'per_seed'}), `prediction_held`, `recommended` ({'lam', 'temperature', 'val_gain',
'best_val_gain', 'test_gain'}); `teachers` (the same per teacher, plus accuracy, rank and
the sweep), `ranking`, `agreement` (several teachers), `monitor`, `a_priori`,
`kd_reference`, `members`, `member_test_accuracy`, and the header's keys (experiment,
views, source, n_classes, n, analysis, config, metadata).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ml_collections
import numpy as np

from cch_jax import kd, pipeline
from cch_jax.experiments.common.analysis import PairAnalysis

TOP_LEVEL = ("teacher_view", "i_teacher_student", "i_student_label", "gap", "verdict",
             "reason", "criterion", "student_baseline", "student_kd", "kd_gain",
             "prediction_held", "recommended")


def teacher_entry(index: int, view: str, accuracy: Mapping[str, float],
                  found: PairAnalysis) -> dict[str, Any]:
  """One teacher's analysis: terms, verdict (per estimator too), biases, warnings."""
  terms, v = found.terms, found.verdict
  return {"index": index, "teacher_view": view, "accuracy": dict(accuracy),
          "i_teacher_student": terms.i_teacher_student.to_dict(),
          "i_student_label": terms.i_student_label.to_dict(), "gap": terms.gap.to_dict(),
          "verdict": v.label, "reason": v.reason, "verdict_per_estimator": v.per_estimator,
          "criterion": v.criterion, "gap_bias": found.biases,
          "estimators_disagree": v.disagreement, "warnings": list(terms.warnings)}


def analysis_results(header: Mapping[str, Any], accuracies: Sequence[Mapping[str, float]],
                     student_accuracy: Mapping[str, float], found: Sequence[PairAnalysis],
                     a_priori: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
  """The analysis part (stages 1-3): header['teacher_views'][g] has accuracies[g] and
  found[g]; teachers ranked by gap, the top-ranked one's keys hoisted to the top level."""
  teachers = [teacher_entry(g, view, acc, f) for g, (view, acc, f) in
              enumerate(zip(header["teacher_views"], accuracies, found))]
  ranking = pipeline.rank_teachers({t["teacher_view"]: t["gap"]["value"] for t in teachers})
  for t in teachers:
    t["rank"] = ranking.index(t["teacher_view"]) + 1
  first = found[0].terms
  results = {**header, "analysis": {
      **header["analysis"], "primary": first.primary,
      "estimators": list(first.gap.per_estimator), "label_entropy": first.label_entropy},
      "student_encoder_accuracy": dict(student_accuracy), "teachers": teachers,
      "ranking": ranking, "a_priori": list(a_priori)}
  _hoist(results)
  return results


def a_priori_entry(steps: int, views: Sequence[str], found: Sequence[PairAnalysis]
                   ) -> dict[str, Any]:
  """The verdicts of encoders trained only `steps` steps."""
  return {"steps": steps, "teachers": [
      {"view": view, "gap": f.terms.gap.to_dict(), "verdict": f.verdict.label}
      for view, f in zip(views, found)]}


def add_training(results: dict[str, Any], kd_block: ml_collections.ConfigDict,
                 members: kd.Members, val_accuracy: Any, test_accuracy: Any,
                 monitor: Mapping[str, Any]) -> None:
  """Adds stage 4 to `results`: per teacher the gains at the reference (λ, T), whether the
  prediction held, the recommended (λ, T) and the sweep; agreement over teachers; the gap
  monitor's summary (`common.monitor.summarise`). Accuracies are per member (M,)."""
  test_rows = pipeline.paired_gains(members, np.asarray(test_accuracy))
  val_rows = pipeline.paired_gains(members, np.asarray(val_accuracy))
  best = pipeline.recommend(val_rows)
  lam, temp = float(kd_block.reference_lam), float(kd_block.reference_temperature)
  for t in results["teachers"]:
    g = t["index"]
    ref = pipeline.find(test_rows, g, lam, temp)
    t.update(student_baseline=ref["baseline"], student_kd=ref["kd"], kd_gain=ref["gain"],
             prediction_held=pipeline.prediction_held(t["verdict"], ref["gain"]["mean"]))
    rec = dict(best[g])
    rec["test_gain"] = (pipeline.find(test_rows, g, rec["lam"], rec["temperature"])["gain"]
                        if rec["lam"] > 0 else None)
    t["recommended"] = rec
    t["sweep"] = [{"lam": r["lam"], "temperature": r["temperature"],
                   "val_gain": v["gain"]["mean"], "kd": r["kd"], "gain": r["gain"]}
                  for r, v in zip(test_rows, val_rows) if r["teacher"] == g]
  results["kd_reference"] = {"lam": lam, "temperature": temp, "seeds": kd_block.seeds}
  results["members"] = members.to_dict()
  results["member_test_accuracy"] = np.asarray(test_accuracy).tolist()
  teachers = results["teachers"]
  if len(teachers) >= 2:
    results["agreement"] = pipeline.agreement(
        [t["gap"]["value"] for t in teachers], [t["kd_gain"] for t in teachers],
        [t["verdict"] for t in teachers])
  results["monitor"] = dict(monitor)
  _hoist(results)


def _hoist(results: dict[str, Any]) -> None:
  top = next(t for t in results["teachers"] if t["rank"] == 1)
  results.update({k: top[k] for k in TOP_LEVEL if k in top})
