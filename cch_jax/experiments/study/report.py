"""A study's report.md and one-line verdict, from its report.json dict (pure)."""

from __future__ import annotations

from typing import Any

from cch_jax.experiments.common.formatting import (gain, gain_meaning, markdown_table,
                                                   mean_std, metric, metric_value, number,
                                                   record,
                                                   with_ci, yes_no)


def outcome_text(outcome: str | None) -> str:
  """'prediction held' / 'prediction contradicted' / 'inconclusive' / 'nothing to check'."""
  return {None: "nothing to check", "inconclusive": "inconclusive"}.get(
      outcome, f"prediction {outcome}")


def one_line(results: dict[str, Any], report_path: str) -> str:
  """The CCH prediction and, when training ran, the pilot verdict side by side, each with
  its outcome against the measured gain, and the recommended (λ, T)."""
  line = (f"{results['experiment']}: teacher '{results['teacher_view']}' -> student "
          f"'{results['student_view']}': CCH predicted {results['verdict'].upper()} (gap "
          f"{with_ci(results['gap'])} nats over {results['splits']} splits")
  if results.get("bias_known"):
    line += f"; bias-corrected {with_ci(results['verdict_gap'])}"
  if results.get("p_sign_sampling") is not None:
    line += f"; p_sign_sampling {results['p_sign_sampling']:.2f}"
  line += ")"
  if "kd_gain" in results:
    rec, pilot = results["recommended"], results["pilot"]
    line += (f"; pilot {pilot['label'].upper()} (validation gain {gain(pilot['gain'])}); "
             f"measured KD gain {gain(results['kd_gain'])}: CCH "
             f"{outcome_text(results['outcome'])}, pilot {outcome_text(pilot['outcome'])}; "
             f"recommended λ={rec['lam']:g}, T={rec['temperature']:g}")
    if rec["test_gain"]:
      line += f" (test gain {gain(rec['test_gain'])})"
    if len(results["teachers"]) > 1:
      line += "; over the teachers: " + ", ".join(
          f"{name} {record(results['track_record'][key])}"
          for key, name in (("cch_gap", "CCH"), ("pilot", "pilot")))
  return line + f"; report: {report_path}"


def markdown(results: dict[str, Any], plots: list[str]) -> str:
  """report.md: verdict, terms and outcomes per teacher, agreement, λ, monitor, a priori."""
  out = _headline(results) + _teachers_section(results)
  if "kd_gain" in results:
    out += _students_section(results) + _agreement_section(results) + _monitor_section(
        results)
  out += _a_priori_section(results)
  warnings = sorted({w for t in results["teachers"] for w in t["warnings"]})
  if warnings:
    out += ["", "## Estimator warnings", ""] + [f"- {w}" for w in warnings]
  if "seconds" in results:
    out += ["", "Wall time per stage: " + ", ".join(
        f"{k.replace('_', ' ')} {v:.1f} s" for k, v in results["seconds"].items()) + "."]
  out += ["", "## Plots", ""] + [f"![{p}]({p})" for p in plots]
  return "\n".join(out) + "\n"


def _headline(results: dict[str, Any]) -> list[str]:
  """The title, the prediction, the pilot, and the measured outcome."""
  out = [f"# CCH {results['experiment']}: teacher(s) → student '{results['student_view']}'",
         "", f"**Prediction (before training, from the {results['criterion']}, pooled over "
         f"{results['splits']} splits)**: {results['verdict']} for teacher "
         f"'{results['teacher_view']}': {results['reason']}.", ""]
  if "kd_gain" in results:
    ref, rec, pilot = results["kd_reference"], results["recommended"], results["pilot"]
    out += [f"**Pilot** (the students' paired validation gain after "
            f"{results['pilot_step']['step']} of {results['pilot_step']['steps']} steps, "
            f"{results['pilot_step']['compute_share']:.0%} of their compute): "
            f"{gain(pilot['gain'])}, verdict {pilot['label']}.", "",
            f"**Measured**: KD gain {gain(results['kd_gain'])} ({gain_meaning(results)} "
            f"of the same split and seed; 95% Student-t CI over the means of "
            f"{results['splits']} splits × {ref['seeds']} seeds) at λ = {ref['lam']:g}, "
            f"T = {ref['temperature']:g}. CCH: {outcome_text(results['outcome'])}; pilot: "
            f"{outcome_text(pilot['outcome'])}. A prediction held when the gain's CI lies on "
            "its side of 0, was contradicted when it lies on the other side, and is "
            "inconclusive when it covers 0.", "",
            f"**Recommended** from the validation sweep: λ = {rec['lam']:g}, T = "
            f"{rec['temperature']:g}" + (f"; its test gain {gain(rec['test_gain'])}."
                                         if rec["test_gain"] else " (do not distil)."), ""]
  return out


def _teachers_section(results: dict[str, Any]) -> list[str]:
  """How the terms were estimated, the teachers ranked by gap, the gap per estimator."""
  a = results["analysis"]
  target = (f"{results['n_classes']} classes" if results.get("task") != "regression"
            else "a regression target")
  ceiling = ("" if results.get("task") == "regression"
             else f" (ceiling H(Y) = {a['label_entropy']:.3f})")
  out = [f"Data: {results['source']}, {target}, splits "
         f"{results['n']}. Analysis on {a['n']} held-out rows ({a['split']}), never trained "
         f"on. I(H_t; H_s) by {', '.join(a['estimators'])} (primary: {a['primary']}); "
         f"I(H_s; Y) by {a['label_estimator']}{ceiling}. "
         f"Every estimator sees PCA scores ({a['reduce_dim']} dims) of H (PCA and the "
         "encoders can only lose information, but the estimators have their own biases, "
         "either way: kNN estimators can over-estimate). Each split's gap is corrected by "
         "the estimators' bias on ground-truth tasks shaped like these representations "
         "(when calibrated); the verdict is the side of 0 on which the corrected gap's CI "
         f"over the {results['splits']} splits lies. Terms below are means over splits "
         "with 95% Student-t CIs over the splits; MI in nats.", "",
         "## Teachers, ranked by gap", ""]
  rows = [(t["rank"], t["teacher_view"], f"{metric_value(results, t['score']['test']):.3f}",
           with_ci(t["i_teacher_student"]), with_ci(t["i_student_label"]), with_ci(t["gap"]),
           t["verdict"], gain(t.get("kd_gain")), t.get("outcome") or "–",
           (t.get("pilot") or {}).get("label", "–"),
           (t.get("pilot") or {}).get("outcome") or "–")
          for t in sorted(results["teachers"], key=lambda t: t["rank"])]
  out.append(markdown_table(("rank", "teacher view", f"teacher {metric(results)}",
                             "I(H_t;H_s)",
                             "I(H_s;Y)", "gap", "CCH verdict", "KD gain", "CCH outcome",
                             "pilot", "pilot outcome"), rows))
  names = a["estimators"]
  bias = lambda t, n: ("" if t["gap_bias_mean"].get(n) is None
                       else f"; bias {t['gap_bias_mean'][n]:+.3f} →")
  rows = [(t["teacher_view"], *(f"{with_ci(t['gap']['per_estimator'][n])}{bias(t, n)} "
                                f"{t['verdict_per_estimator'][n]}" for n in names),
           yes_no(t["estimators_disagree"])) for t in results["teachers"]]
  return out + ["", "Gap per I(H_t; H_s) estimator (each minus the same I(H_s; Y); mean over "
                "splits, its mean bias on the ground-truth tasks, and the label its "
                "bias-corrected CI gives):", "",
                markdown_table(("teacher view", *names, "disagree"), rows)]


def _students_section(results: dict[str, Any]) -> list[str]:
  """The baseline, the KD students, the recommendation and the sweep."""
  teachers, base = results["teachers"], results["student_baseline"]
  value = lambda summary: (f"{metric_value(results, summary['mean']):.3f} ± "
                           f"{summary['std']:.3f}")
  out = ["", "## Students", "", f"Baseline student (λ = 0) test {metric(results)} "
         f"{value(base)} (sd over the means of {results['splits']} splits × "
         f"{results['kd_reference']['seeds']} seeds). Gains: {gain_meaning(results)} "
         "(> 0: KD helped).", ""]
  if "r_squared" in results:
    out += [f"Test R²: baseline {mean_std(results['r_squared']['baseline'])}; per "
            "teacher at the reference (λ, T): " + "; ".join(
                f"{t['teacher_view']} {mean_std(t['r_squared']['kd'])} (gain "
                f"{gain(t['r_squared']['gain'])})" for t in teachers) + ".", ""]
  rows = [(t["teacher_view"], value(t["student_kd"]),
           gain(t["kd_gain"]), f"λ={t['recommended']['lam']:g}, "
           f"T={t['recommended']['temperature']:g}",
           f"{t['recommended']['val_gain']:+.3f}", gain(t["recommended"]["test_gain"]))
          for t in teachers]
  out.append(markdown_table(("teacher view", "KD student", "gain at reference",
                             "recommended", "val gain", "test gain there"), rows))
  out.append("\nRecommended (λ, T): the largest mean paired validation gain of the sweep; "
             "λ = 0 (do not distil) when no setting beats the baseline on validation.")
  if len(teachers[0]["sweep"]) > 1:
    rows = [(t["teacher_view"], f"{s['lam']:g}", f"{s['temperature']:g}",
             f"{s['val_gain']:+.3f}", gain(s["gain"])) for t in teachers for s in t["sweep"]]
    out += ["", "Sweep (test gain, 95% CI over splits × seeds):", "",
            markdown_table(("teacher view", "λ", "T", "val gain", "test gain"), rows)]
  return out


def _agreement_section(results: dict[str, Any]) -> list[str]:
  """Did the CCH predict the gains over the teachers (several teachers only)? With the
  measured ranking by paired differences (ties and rank intervals)."""
  if "agreement" not in results:
    return []
  ag, teachers = results["agreement"], results["teachers"]
  fmt = lambda r, n: "–" if r is None else f"{r:.2f} ({round(r * n)}/{n})"
  o = ag["outcomes"]
  spearman = ("–" if ag["spearman"] is None
              else f"{ag['spearman']:+.2f} (p = {ag['spearman_p']:.2f})")
  out = ["", "## Did the CCH predict the gains?", "", markdown_table(
      ("measure", "value"),
      [("sign(gap) = sign(mean gain), all teachers", fmt(ag["sign_match_rate"], ag["n"])),
       ("decisive verdicts: held / contradicted / inconclusive",
        f"{o['held']} / {o['contradicted']} / {o['inconclusive']} of {o['decisive']}"),
       ("sign match where the gain's CI excludes 0",
        fmt(ag["significant_sign_match_rate"], ag["n_significant"])),
       ("Spearman(gap, gain)", spearman),
       ("top-ranked teacher (largest gap)", teachers[ag["top_ranked"]]["teacher_view"]),
       ("best measured teacher (largest mean gain)", teachers[ag["best"]]["teacher_view"]),
       ("top-ranked is the best / tied with it (paired difference CI covers 0)",
        f"{yes_no(ag['top_ranked_is_best'])} / {yes_no(ag['top_ranked_tied_with_best'])}")])]
  for key, what in (("gain_ranking", "measured gain"), ("gap_ranking", "CCH gap")):
    if key in results:
      out += ["", f"Teachers ranked by {what}, from paired differences over the splits "
              "(95% Student-t CIs; a rank interval spans the ranks the CIs allow):", "",
              _ranking_table(results[key])]
  return out


def _ranking_table(rows: list[dict[str, Any]]) -> str:
  return markdown_table(("rank", "teacher view", "mean", "rank interval", "tied with"), [
      (r["rank"], r["name"], number(r["mean"], 3),
       f"{r['rank_low']}–{r['rank_high']}", ", ".join(r["tied_with"]) or "none")
      for r in rows])


def _monitor_section(results: dict[str, Any]) -> list[str]:
  mon = results["monitor"]
  if not mon["steps"]:
    return []
  flips = {v: s for v, s in mon["sign_flips"].items() if s}
  return ["", f"## Gap during KD training ({mon['estimators']}, first split, seed 0)", "",
          "Sign flips: " + ("; ".join(f"{v} at steps {s}" for v, s in flips.items())
                            if flips else "none") + "."]


def _a_priori_section(results: dict[str, Any]) -> list[str]:
  if not results["a_priori"]:
    return []
  rows = [(p["steps"], t["view"], with_ci(t["gap"]), t["verdict"])
          for p in results["a_priori"] for t in p["teachers"]]
  rows += [("full", t["teacher_view"], with_ci(t["gap"]), t["verdict"])
           for t in results["teachers"]]
  return ["", "## A-priori verdicts (encoders trained only briefly)", "",
          markdown_table(("encoder steps", "teacher view", "gap", "verdict"), rows)]
