"""A study's results: the report.json dict, report.md, the plots and the one-line verdict.

report.json keys: for the top-ranked teacher (the only one in a pair run) at top level
`teacher_view`, `i_teacher_student`, `i_student_label`, `gap` (each {'value', 'ci_low',
'ci_high', 'per_estimator'}), `verdict`, `reason`, and when training ran `student_baseline`,
`student_kd`, `kd_gain` ({'mean', 'std', 'se', 'ci_low', 'ci_high', 'per_seed'}),
`prediction_held`, `recommended` ({'lam', 'temperature', 'val_gain', 'best_val_gain',
'test_gain'}); `teachers` (the same per teacher, plus accuracy, rank and the sweep),
`ranking`, `agreement` (several teachers), `monitor`, `a_priori`, `kd_reference`, `members`,
`member_test_accuracy`, `seconds` (per stage), `analysis`, `config`, `metadata`.
"""

from __future__ import annotations

import os
from typing import Any

import ml_collections
import numpy as np

from cch_jax import pipeline
from cch_jax.experiments import study_plots
from cch_jax.utils import report as io

TOP_LEVEL = ("teacher_view", "i_teacher_student", "i_student_label", "gap", "verdict",
             "reason", "criterion", "student_baseline", "student_kd", "kd_gain", "prediction_held",
             "recommended")


def collect(config: ml_collections.ConfigDict, ds: Any, held: Any, trained: list,
            student: tuple, found: list[dict[str, Any]], a_priori: list) -> dict[str, Any]:
  """The analysis part of the results (stages 1-3)."""
  teachers = []
  for g, (view, (_, _, accuracy), f) in enumerate(zip(ds.teacher, trained, found)):
    terms, v = f["terms"], f["verdict"]
    teachers.append({
        "index": g, "teacher_view": view, "accuracy": accuracy,
        "i_teacher_student": terms.i_teacher_student.to_dict(),
        "i_student_label": terms.i_student_label.to_dict(), "gap": terms.gap.to_dict(),
        "verdict": v.label, "reason": v.reason, "verdict_per_estimator": v.per_estimator,
        "criterion": v.criterion, "gap_bias": f.get("biases", {}),
        "estimators_disagree": v.disagreement, "warnings": list(terms.warnings)})
  ranking = pipeline.rank_teachers({t["teacher_view"]: t["gap"]["value"] for t in teachers})
  for t in teachers:
    t["rank"] = ranking.index(t["teacher_view"]) + 1
  first = found[0]["terms"]
  results = {
      "experiment": config.experiment, "student_view": ds.student,
      "teacher_views": list(ds.teacher), "source": ds.source, "n_classes": ds.n_classes,
      "n": {name: s.n for name, s in ds.splits().items()},
      "analysis": {"split": config.analysis.split, "n": held.n, "primary": first.primary,
                   "estimators": list(first.gap.per_estimator),
                   "label_estimator": config.analysis.label_estimator,
                   "reduce_dim": config.analysis.reduce_dim,
                   "label_entropy": first.label_entropy},
      "student_encoder_accuracy": student[2], "teachers": teachers, "ranking": ranking,
      "a_priori": a_priori, "config": config.to_dict(), "metadata": io.run_metadata()}
  _hoist(results)
  return results


def add_training(results: dict[str, Any], config: ml_collections.ConfigDict,
                 members: dict[str, np.ndarray], population: Any,
                 monitor: dict[str, Any]) -> None:
  """Adds stage 4 to `results`: gains at the reference (λ, T), recommendations, sweep,
  predictions held, agreement over teachers, the gap monitor."""
  test_rows = pipeline.paired_gains(members, np.asarray(population.test_accuracy))
  val_rows = pipeline.paired_gains(members, np.asarray(population.val_accuracy))
  best = pipeline.recommend(val_rows)
  lam, temp = float(config.kd.lam), float(config.kd.temperature)
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
  results["kd_reference"] = {"lam": lam, "temperature": temp, "seeds": config.kd.seeds}
  results["members"] = {k: v.tolist() for k, v in members.items()}
  results["member_test_accuracy"] = np.asarray(population.test_accuracy).tolist()
  teachers = results["teachers"]
  if len(teachers) >= 2:
    results["agreement"] = pipeline.agreement(
        [t["gap"]["value"] for t in teachers], [t["kd_gain"] for t in teachers],
        [t["verdict"] for t in teachers])
  results["monitor"] = _monitor(monitor, results["teacher_views"], results["analysis"],
                                config)
  _hoist(results)


def _monitor(records: dict[str, Any], views: list[str], analysis: dict[str, Any],
             config: ml_collections.ConfigDict) -> dict[str, Any]:
  steps = sorted(int(s) for s in records)
  series = lambda kind, g: [records[str(s)].get(f"{kind}:{g}") for s in steps]
  kd_gaps = {v: series("kd", g) for g, v in enumerate(views)}
  return {"steps": steps, "estimators": f"{config.analysis.monitor_estimator} − "
                                       f"{analysis['label_estimator']}",
          "kd": kd_gaps, "baseline": {v: series("baseline", g) for g, v in enumerate(views)},
          "sign_flips": {v: pipeline.sign_flips(steps, gaps) for v, gaps in kd_gaps.items()
                         if None not in gaps}}


def _hoist(results: dict[str, Any]) -> None:
  top = next(t for t in results["teachers"] if t["rank"] == 1)
  results.update({k: top[k] for k in TOP_LEVEL if k in top})


def write(results: dict[str, Any], workdir: str) -> None:
  """report.json, report.md and the PNGs into `workdir` (each written whole)."""
  os.makedirs(workdir, exist_ok=True)
  plots = study_plots.draw(results, workdir)
  io.write_text(os.path.join(workdir, "report.md"), markdown(results, plots))
  io.write_json(os.path.join(workdir, "report.json"), results)


def _ci(term: dict[str, Any], digits: int = 3) -> str:
  return (f"{term['value']:+.{digits}f} [{term['ci_low']:+.{digits}f}, "
          f"{term['ci_high']:+.{digits}f}]")


def _gain(g: dict[str, Any] | None) -> str:
  if g is None:
    return "–"
  return f"{g['mean']:+.3f} [{g['ci_low']:+.3f}, {g['ci_high']:+.3f}]"


def _held(value: bool | None) -> str:
  return {True: "yes", False: "no", None: "–"}[value]


def one_line(results: dict[str, Any], report_path: str) -> str:
  """The verdict in one line, with the measured outcome when training ran."""
  line = (f"{results['experiment']}: teacher '{results['teacher_view']}' -> student "
          f"'{results['student_view']}': predicted {results['verdict'].upper()} (gap "
          f"{_ci(results['gap'])} nats)")
  if "kd_gain" in results:
    held = {True: "prediction held", False: "prediction failed",
            None: "nothing to check"}[results["prediction_held"]]
    rec = results["recommended"]
    line += (f"; measured KD gain {_gain(results['kd_gain'])} ({held}); recommended "
             f"λ={rec['lam']:g}, T={rec['temperature']:g}")
  if "agreement" in results:
    a = results["agreement"]
    line += (f"; gap sign matched the gain's for {round(a['sign_match_rate'] * a['n'])}/"
             f"{a['n']} teachers")
  return line + f"; report: {report_path}"


def markdown(results: dict[str, Any], plots: list[str]) -> str:
  """report.md: verdict, terms and outcomes per teacher, agreement, λ, monitor, a priori."""
  a = results["analysis"]
  out = [f"# CCH {results['experiment']}: teacher(s) → student '{results['student_view']}'",
         "", f"**Prediction (before training, from the {results['criterion']})**: "
         f"{results['verdict']} for teacher '{results['teacher_view']}': "
         f"{results['reason']}.", ""]
  if results.get("agreement"):
    ag = results["agreement"]
    out[-1:] = ["Track record of this criterion over this study's teachers (in sample: "
                "this verdict included): "
                + ("no decisive verdict to check" if not ag["n_decisive"] else
                   f"{round(ag['decisive_held_rate'] * ag['n_decisive'])}/{ag['n_decisive']} "
                   "decisive verdicts held") + ".", ""]
  if "kd_gain" in results:
    out += [f"**Measured**: KD gain {_gain(results['kd_gain'])} (test accuracy, KD − baseline "
            f"of the same seed, 95% CI over {results['kd_reference']['seeds']} seeds) at "
            f"λ = {results['kd_reference']['lam']:g}, T = "
            f"{results['kd_reference']['temperature']:g}: prediction held: "
            f"{_held(results['prediction_held'])}. Recommended from the validation sweep: "
            f"λ = {results['recommended']['lam']:g}, T = "
            f"{results['recommended']['temperature']:g}.", ""]
  out += [f"Data: {results['source']}, {results['n_classes']} classes, splits "
          f"{results['n']}. Analysis on {a['n']} held-out rows ({a['split']}), never trained "
          f"on. I(H_t; H_s) by {', '.join(a['estimators'])} (primary: {a['primary']}); "
          f"I(H_s; Y) by {a['label_estimator']} (ceiling H(Y) = {a['label_entropy']:.3f}). "
          f"Every estimator sees PCA scores ({a['reduce_dim']} dims) of H; every term is a "
          "lower bound in expectation (PCA and encoders can only lose information). A "
          "verdict is decisive only if the gap's CI, also once corrected by the gap's bias "
          "on ground-truth tasks of the same dimensions and n, lies on one side of 0. MI in "
          "nats, 95% CIs.", "",
          "## Teachers, ranked by gap", ""]
  rows = []
  for t in sorted(results["teachers"], key=lambda t: t["rank"]):
    rows.append((t["rank"], t["teacher_view"], f"{t['accuracy']['test']:.3f}",
                 _ci(t["i_teacher_student"]), _ci(t["i_student_label"]), _ci(t["gap"]),
                 t["verdict"], _gain(t.get("kd_gain")), _held(t.get("prediction_held"))))
  out.append(io.markdown_table(("rank", "teacher view", "teacher acc", "I(H_t;H_s)",
                                "I(H_s;Y)", "gap", "verdict", "KD gain", "held"), rows))
  names = a["estimators"]
  rows = [(t["teacher_view"], *(f"{_ci(t['gap']['per_estimator'][n])} "
                                f"({t['verdict_per_estimator'][n]})" for n in names),
           "yes" if t["estimators_disagree"] else "no") for t in results["teachers"]]
  out += ["", "Gap per I(H_t; H_s) estimator (each minus the same I(H_s; Y)):", "",
          io.markdown_table(("teacher view", *names, "disagree"), rows)]
  if "kd_gain" in results:
    out += _training_sections(results)
  if results["a_priori"]:
    out += ["", "## A-priori verdicts (encoders trained only briefly)", ""]
    rows = [(p["steps"], t["view"], _ci(t["gap"]), t["verdict"]) for p in results["a_priori"]
            for t in p["teachers"]]
    rows += [("full", t["teacher_view"], _ci(t["gap"]), t["verdict"])
             for t in results["teachers"]]
    out.append(io.markdown_table(("encoder steps", "teacher view", "gap", "verdict"), rows))
  warnings = sorted({w for t in results["teachers"] for w in t["warnings"]})
  if warnings:
    out += ["", "## Estimator warnings", ""] + [f"- {w}" for w in warnings]
  if "seconds" in results:
    out += ["", "Wall time per stage: " + ", ".join(
        f"{k.replace('_', ' ')} {v:.1f} s" for k, v in results["seconds"].items()) + "."]
  out += ["", "## Plots", ""] + [f"![{p}]({p})" for p in plots]
  return "\n".join(out) + "\n"


def _training_sections(results: dict[str, Any]) -> list[str]:
  teachers = results["teachers"]
  base = results["student_baseline"]
  out = ["", "## Students", "", f"Baseline student (λ = 0) test accuracy {base['mean']:.3f} "
         f"± {base['std']:.3f} over {results['kd_reference']['seeds']} seeds.", ""]
  rows = [(t["teacher_view"], f"{t['student_kd']['mean']:.3f} ± {t['student_kd']['std']:.3f}",
           _gain(t["kd_gain"]), f"λ={t['recommended']['lam']:g}, "
           f"T={t['recommended']['temperature']:g}",
           f"{t['recommended']['val_gain']:+.3f}", _gain(t["recommended"]["test_gain"]))
          for t in teachers]
  out.append(io.markdown_table(("teacher view", "KD student", "gain at reference",
                                "recommended", "val gain", "test gain there"), rows))
  out.append("\nRecommended (λ, T): the largest mean paired validation gain of the sweep; "
             "λ = 0 (do not distil) when no setting beats the baseline on validation.")
  if len(teachers[0]["sweep"]) > 1:
    rows = [(t["teacher_view"], f"{s['lam']:g}", f"{s['temperature']:g}", f"{s['val_gain']:+.3f}",
             _gain(s["gain"])) for t in teachers for s in t["sweep"]]
    out += ["", "Sweep (test gain, 95% CI over seeds):", "",
            io.markdown_table(("teacher view", "λ", "T", "val gain", "test gain"), rows)]
  if "agreement" in results:
    ag = results["agreement"]
    fmt = lambda r, n: "–" if r is None else f"{r:.2f} ({round(r * n)}/{n})"
    spearman = ("–" if ag["spearman"] is None
                else f"{ag['spearman']:+.2f} (p = {ag['spearman_p']:.2f})")
    out += ["", "## Did the CCH predict the gains?", "", io.markdown_table(
        ("measure", "value"),
        [("sign(gap) = sign(mean gain), all teachers", fmt(ag["sign_match_rate"], ag["n"])),
         ("decisive verdicts that held", fmt(ag["decisive_held_rate"], ag["n_decisive"])),
         ("sign match where the gain's CI excludes 0",
          fmt(ag["significant_sign_match_rate"], ag["n_significant"])),
         ("Spearman(gap, gain)", spearman),
         ("top-ranked teacher", teachers[ag["top_ranked"]]["teacher_view"]),
         ("best measured teacher", teachers[ag["best"]]["teacher_view"]),
         ("top-ranked is the best / the best's mean gain lies in its CI",
          f"{_held(ag['top_ranked_is_best'])} / {_held(ag['top_within_ci_of_best'])}")])]
  mon = results["monitor"]
  if mon["steps"]:
    flips = {v: s for v, s in mon["sign_flips"].items() if s}
    out += ["", f"## Gap during KD training ({mon['estimators']}, seed 0)", "",
            "Sign flips: " + ("; ".join(f"{v} at steps {s}" for v, s in flips.items())
                              if flips else "none") + "."]
  return out
