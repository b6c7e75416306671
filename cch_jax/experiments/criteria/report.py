"""The criteria benchmark's report.md and one-line summary, from its report.json dict
(pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cch_jax.experiments.common.formatting import gain, markdown_table, number

NAMES = {"verdict": "CCH gap, calibrated", "uncalibrated": "CCH gap, uncalibrated",
         "always_distil": "always distil", "never_distil": "never distil"}
"""Human names of the verdict keys (pilots and rules are named by their spec)."""


def verdict_name(key: str) -> str:
  """'CCH gap, calibrated', 'pilot width:0.5', 'teacher_score > threshold', ..."""
  if key in NAMES:
    return NAMES[key]
  if key.startswith("rule:"):
    return f"{key[5:]} > threshold"
  if key.startswith("verdict@"):
    return f"CCH gap, encoders at {key[8:]} of their steps"
  return key.replace("[", " ").replace("]", "")


def interval(ci: Sequence[float] | None, digits: int = 2) -> str:
  """'[0.28, 0.99]'; '[–]' for None."""
  return "[–]" if ci is None else f"[{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"


def score_text(v: Mapping[str, Any]) -> str:
  """'balanced accuracy 0.62 [0.48, 0.77] on 14 significant pairs; held 9 of 12 decided
  (0.75 [0.43, 0.95])'."""
  rate = "–" if v["held_rate"] is None else f"{v['held_rate']:.2f} {interval(v['held_rate_ci'])}"
  return (f"balanced accuracy {number(v['balanced_accuracy'], 2, False)} "
          f"{interval(v['balanced_accuracy_ci'])} on {v['significant']} significant pairs; "
          f"held {v['held']} of {v['held'] + v['contradicted']} decided ({rate})")


def one_line(results: dict[str, Any], report_path: str) -> str:
  head = results["headline"]
  rec = next(iter(results["recommendation"].values()))
  return (f"criteria_benchmark: {len(results['pairs'])} pairs from "
          f"{len(results['sources'])} source(s) × {results['splits']} splits × "
          f"{results['seeds']} seeds; headline {verdict_name(head)}: "
          f"{score_text(results['track_record'][head])}; CCH gap: "
          f"{score_text(results['track_record']['verdict'])}; recommended λ, T: mean test "
          f"gain {rec['recommended_mean']:+.4f} vs {rec['reference_mean']:+.4f} at the "
          f"reference; report: {report_path}")


def markdown(results: dict[str, Any]) -> str:
  """report.md: the setup, the headline, every verdict and criterion scored, the
  recommendation, the pairs."""
  ref = results["reference"]
  head = results["headline"]
  out = ["# Criteria benchmark: which verdict predicts a KD gain?", "",
         _sources(results), "",
         f"Gains are paired (KD − baseline of the same split and seed, same initialisation "
         f"and batches) at λ = {ref['lam']:g}, T = {ref['temperature']:g}. Their 95% CIs are "
         f"the corrected resampled t of Nadeau & Bengio over the {results['splits']} "
         f"re-splits' means of {results['seeds']} seeds each (they cover split and seed "
         "variation, corrected for the splits' shared rows). A gain is significant when its "
         "CI excludes 0. Every verdict is made before the students it is judged on: the "
         "CCH analysis on validation rows of encoders trained on the training rows, the "
         "pilots on their own short runs, thresholds on the other pairs' validation gains.",
         "", f"## Headline: {verdict_name(head)}", "",
         f"{results['track_record'][head]['text']}: "
         f"{score_text(results['track_record'][head])}. " + _headline_origin(results), ""]
  return "\n".join(out + _verdicts(results) + _criteria(results)
                   + _recommendation(results) + _pairs(results))


def _headline_origin(results: dict[str, Any]) -> str:
  """How the headline verdict was chosen."""
  if results["config"]["headline"] == "auto":
    return (f"It was chosen here as the best balanced accuracy among "
            f"{len(results['track_record'])} verdicts, on the pairs it is scored on, so "
            "this score is optimistic; other runs take it as their fixed headline.")
  return "It was fixed in the config before this run (`headline`)."


def _sources(results: dict[str, Any]) -> str:
  rows = [(s["name"], s["task"], s["n_classes"] or "–",
           " / ".join(str(s["n"][k]) for k in ("train", "validation", "test")),
           ", ".join(s["views"]),
           len(s["views"]) * (len(s["views"]) - 1), s["analysis_rows"])
          for s in results["sources"]]
  return markdown_table(("source", "task", "classes", "train / validation / test rows",
                         "views", "pairs",
                         "analysis rows"), rows)


def _verdicts(results: dict[str, Any]) -> list[str]:
  records = results["track_record"]
  keys = [k for k in records if not k.startswith("rule:")]
  rows = [(verdict_name(k), f"{v['decisive']}/{v['pairs']}", v["held"], v["contradicted"],
           v["inconclusive"], number(v["held_rate"], 2, False), interval(v["held_rate_ci"]),
           number(v["balanced_accuracy"], 2, False), interval(v["balanced_accuracy_ci"]))
          for k, v in ((k, records[k]) for k in keys)]
  pilot = results["pilot"]
  shares = ", ".join(f"{spec}: {r['compute_share']:.0%}" for spec, r in pilot["runs"].items())
  return ["## Verdicts beside constant rules", "",
          markdown_table(("verdict", "decisive", "held", "contradicted", "inconclusive",
                          "held / decided", "Clopper–Pearson 95%",
                          "balanced accuracy (significant pairs)", "bootstrap 95%"), rows),
          "A verdict **held** when the pair's gain CI lies on the predicted side of 0, was "
          "**contradicted** on the other side, **inconclusive** when it covers 0; "
          "'uncertain' predicts nothing. Decided = held + contradicted; its interval is "
          "the binomial error of that share over these pairs. Balanced accuracy is over the "
          "pairs with a significant gain, abstentions counting as misses (a constant rule "
          "scores 0.5); its interval resamples students (pairs sharing a student view). "
          f"Each pilot is its own {pilot['step']}-step run (of the students' "
          f"{pilot['steps']}) of the same members; compute as a share of the students' wall "
          f"time: {shares}. The CCH verdicts on early encoders train those encoders (0%: "
          "none) and analyse them; wall seconds per stage: "
          + ", ".join(f"{k} {v:.0f}" for k, v in results.get("seconds", {}).items()) + ".",
          ""]


def _criteria(results: dict[str, Any]) -> list[str]:
  spearman = {r["criterion"]: r for r in results["ranking"]}
  rows = []
  for name, c in sorted(results["criteria_scores"].items(),
                        key=lambda kv: -(kv[1]["auroc"] or 0.0)):
    r = spearman.get(name)
    rho = ("–" if r is None or r["spearman"] is None else
           f"{number(r['spearman'])} [{number(r['spearman_ci_low'])}, "
           f"{number(r['spearman_ci_high'])}]")
    rule = c["rule"]
    rows.append((name, number(c["auroc"], 2, False), interval(c["auroc_ci"]), rho,
                 number(c["regret"], 4), interval(c["regret_ci"], 4),
                 number(rule["balanced_accuracy"], 2, False),
                 f"{rule['held']}/{rule['held'] + rule['contradicted']}"))
  return ["## Criteria", "",
          markdown_table(("criterion", "AUROC (gain > 0)", "bootstrap 95%",
                          "Spearman ρ [95% CI]", "regret of its top teacher",
                          "bootstrap 95%", "threshold rule: balanced accuracy",
                          "held / decided"), rows),
          "AUROC over the pairs with a significant gain (interval: students resampled). "
          "Spearman over every pair, criteria and gains standardised within each source "
          "(interval: pairs and splits resampled, the same splits for every pair). Regret: per student, the "
          "best teacher's mean gain minus the gain of the teacher the criterion ranks first "
          "(interval: students resampled). The threshold rule says 'distil' above a "
          "threshold fitted on the other pairs' validation gains.", ""]


def _recommendation(results: dict[str, Any]) -> list[str]:
  rows = [(metric, r["pairs"], f"{r['recommended_mean']:+.4f}", f"{r['reference_mean']:+.4f}",
           f"{r['difference']['mean']:+.4f} [{r['difference']['ci_low']:+.4f}, "
           f"{r['difference']['ci_high']:+.4f}]", r["distil_recommended"],
           r["worse_than_no_kd"]) for metric, r in results["recommendation"].items()]
  return ["## Recommended λ, T", "",
          markdown_table(("gains in", "pairs", "recommended: mean test gain",
                          "reference: mean test gain", "difference [95% CI over pairs]",
                          "λ > 0 recommended", "test-gain CI below 0"), rows),
          "Chosen on half of the seeds (λ = 0 unless that half's best validation gain CI "
          "lies above 0) and reported on the other half, beside the fixed reference on the "
          "same half.", ""]


def _pairs(results: dict[str, Any]) -> list[str]:
  head = results["headline"]
  rows = []
  for q in results["pairs"]:
    b = q["recommended"]
    rows.append((q["source"], f"{q['teacher']} → {q['student']}", gain(q["gain"]),
                 f"{q['criteria'][results['primary_gap']]:+.3f}"
                 if results["primary_gap"] in q["criteria"] else "–",
                 f"{q['verdict']['label']} ({q['verdict']['outcome'] or '–'})",
                 f"{q['pilot']['label']} ({q['pilot']['outcome'] or '–'})",
                 f"{q[head]['label']} ({q[head]['outcome'] or '–'})",
                 f"λ={b['lam']:g}, T={b['temperature']:g}: {gain(b['test_gain'])}"))
  return ["## Pairs", "",
          markdown_table(("source", "pair", "gain [95% CI]", "primary gap",
                          "CCH verdict (outcome)", "pilot (outcome)",
                          f"headline: {verdict_name(head)}",
                          "recommended: test gain (report half)"), rows),
          "![criteria](criteria.png)", "", "![pairs](pairs.png)", ""]
