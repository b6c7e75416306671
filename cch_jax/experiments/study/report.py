"""A study's report.md and one-line verdict, from its report.json dict (pure)."""

from __future__ import annotations

from typing import Any

from cch_jax.experiments.common.formatting import (gain, markdown_table, with_ci,
                                                   yes_no)

HELD_TEXT = {True: "prediction held", False: "prediction failed", None: "nothing to check"}


def one_line(results: dict[str, Any], report_path: str) -> str:
  """The verdict in one line, with the measured outcome when training ran."""
  line = (f"{results['experiment']}: teacher '{results['teacher_view']}' -> student "
          f"'{results['student_view']}': predicted {results['verdict'].upper()} (gap "
          f"{with_ci(results['gap'])} nats)")
  if "kd_gain" in results:
    rec = results["recommended"]
    line += (f"; measured KD gain {gain(results['kd_gain'])} "
             f"({HELD_TEXT[results['prediction_held']]}); recommended "
             f"λ={rec['lam']:g}, T={rec['temperature']:g}")
  if "agreement" in results:
    a = results["agreement"]
    line += (f"; gap sign matched the gain's for {round(a['sign_match_rate'] * a['n'])}/"
             f"{a['n']} teachers")
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
  """The title, the prediction, its track record here and the measured outcome."""
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
    ref, rec = results["kd_reference"], results["recommended"]
    out += [f"**Measured**: KD gain {gain(results['kd_gain'])} (test accuracy, KD − baseline "
            f"of the same seed, 95% CI over {ref['seeds']} seeds) at λ = {ref['lam']:g}, "
            f"T = {ref['temperature']:g}: prediction held: "
            f"{yes_no(results['prediction_held'])}. Recommended from the validation sweep: "
            f"λ = {rec['lam']:g}, T = {rec['temperature']:g}.", ""]
  return out


def _teachers_section(results: dict[str, Any]) -> list[str]:
  """How the terms were estimated, the teachers ranked by gap, the gap per estimator."""
  a = results["analysis"]
  out = [f"Data: {results['source']}, {results['n_classes']} classes, splits "
         f"{results['n']}. Analysis on {a['n']} held-out rows ({a['split']}), never trained "
         f"on. I(H_t; H_s) by {', '.join(a['estimators'])} (primary: {a['primary']}); "
         f"I(H_s; Y) by {a['label_estimator']} (ceiling H(Y) = {a['label_entropy']:.3f}). "
         f"Every estimator sees PCA scores ({a['reduce_dim']} dims) of H; every term is a "
         "lower bound in expectation (PCA and encoders can only lose information). A "
         "verdict is decisive only if the gap's CI, also once corrected by the gap's bias "
         "on ground-truth tasks of the same dimensions and n, lies on one side of 0. MI in "
         "nats, 95% CIs.", "", "## Teachers, ranked by gap", ""]
  rows = [(t["rank"], t["teacher_view"], f"{t['accuracy']['test']:.3f}",
           with_ci(t["i_teacher_student"]), with_ci(t["i_student_label"]), with_ci(t["gap"]),
           t["verdict"], gain(t.get("kd_gain")), yes_no(t.get("prediction_held")))
          for t in sorted(results["teachers"], key=lambda t: t["rank"])]
  out.append(markdown_table(("rank", "teacher view", "teacher acc", "I(H_t;H_s)",
                             "I(H_s;Y)", "gap", "verdict", "KD gain", "held"), rows))
  names = a["estimators"]
  rows = [(t["teacher_view"], *(f"{with_ci(t['gap']['per_estimator'][n])} "
                                f"({t['verdict_per_estimator'][n]})" for n in names),
           yes_no(t["estimators_disagree"])) for t in results["teachers"]]
  return out + ["", "Gap per I(H_t; H_s) estimator (each minus the same I(H_s; Y)):", "",
                markdown_table(("teacher view", *names, "disagree"), rows)]


def _students_section(results: dict[str, Any]) -> list[str]:
  """The baseline, the KD students, the recommendation and the sweep."""
  teachers, base = results["teachers"], results["student_baseline"]
  out = ["", "## Students", "", f"Baseline student (λ = 0) test accuracy {base['mean']:.3f} "
         f"± {base['std']:.3f} over {results['kd_reference']['seeds']} seeds.", ""]
  rows = [(t["teacher_view"], f"{t['student_kd']['mean']:.3f} ± {t['student_kd']['std']:.3f}",
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
    out += ["", "Sweep (test gain, 95% CI over seeds):", "",
            markdown_table(("teacher view", "λ", "T", "val gain", "test gain"), rows)]
  return out


def _agreement_section(results: dict[str, Any]) -> list[str]:
  """Did the CCH predict the gains over the teachers (several teachers only)?"""
  if "agreement" not in results:
    return []
  ag, teachers = results["agreement"], results["teachers"]
  fmt = lambda r, n: "–" if r is None else f"{r:.2f} ({round(r * n)}/{n})"
  spearman = ("–" if ag["spearman"] is None
              else f"{ag['spearman']:+.2f} (p = {ag['spearman_p']:.2f})")
  return ["", "## Did the CCH predict the gains?", "", markdown_table(
      ("measure", "value"),
      [("sign(gap) = sign(mean gain), all teachers", fmt(ag["sign_match_rate"], ag["n"])),
       ("decisive verdicts that held", fmt(ag["decisive_held_rate"], ag["n_decisive"])),
       ("sign match where the gain's CI excludes 0",
        fmt(ag["significant_sign_match_rate"], ag["n_significant"])),
       ("Spearman(gap, gain)", spearman),
       ("top-ranked teacher", teachers[ag["top_ranked"]]["teacher_view"]),
       ("best measured teacher", teachers[ag["best"]]["teacher_view"]),
       ("top-ranked is the best / the best's mean gain lies in its CI",
        f"{yes_no(ag['top_ranked_is_best'])} / {yes_no(ag['top_within_ci_of_best'])}")])]


def _monitor_section(results: dict[str, Any]) -> list[str]:
  mon = results["monitor"]
  if not mon["steps"]:
    return []
  flips = {v: s for v, s in mon["sign_flips"].items() if s}
  return ["", f"## Gap during KD training ({mon['estimators']}, seed 0)", "",
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
