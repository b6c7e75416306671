"""The criteria benchmark's report.md and one-line summary, from its report.json dict
(pure)."""

from __future__ import annotations

from typing import Any

from cch_jax.experiments.common.formatting import (VERDICT_COLORS, markdown_table, number,
                                                   rate)


def one_line(results: dict[str, Any], report_path: str) -> str:
  top = results["ranking"][0]
  cal = results["verdicts"]["calibrated"]
  return (f"criteria_benchmark: {len(results['pairs'])} pairs × {results['splits']} splits × "
          f"{results['seeds']} seeds; best-ranked criterion {top['criterion']} (Spearman "
          f"{number(top['spearman'])}); decisive CCH verdicts held "
          f"{rate(cal['held'], cal['decisive'])} per split, "
          f"{rate(cal['pairs_held'], cal['pairs_decisive'])} per pair; report: {report_path}")


def markdown(results: dict[str, Any]) -> str:
  """report.md: the setup, the criteria ranked, the verdict's track record, the pairs."""
  ref = results["reference"]
  out = ["# Criteria benchmark: which criterion predicts a KD gain?", "",
         f"Data: {results['source']}, {results['n_classes']} classes, split sizes "
         f"{results['n']}, {results['splits']} stratified splits × {results['seeds']} seeds; "
         f"views {', '.join(results['views'])} ({len(results['pairs'])} ordered pairs). "
         f"Gains are paired (KD − baseline of the same split and seed, same initialisation "
         f"and batches) at λ = {ref['lam']:g}, T = {ref['temperature']:g}; their CIs are "
         "over the per-split means. Criteria are measured before any student trains, on "
         f"{results['analysis_rows']} held-out rows per split, and averaged over splits.",
         "", "## Criteria ranked by Spearman correlation with the measured gain", ""]
  rows = [(r["criterion"], "yes" if r["signed"] else "no",
           f"{number(r['spearman'])} (p={number(r['spearman_p'], 3, False)})",
           number(r["sign_agreement"], 2, False),
           number(r["significant_sign_agreement"], 2, False)) for r in results["ranking"]]
  n_sig = results["ranking"][0]["n_significant"]
  out += [markdown_table(("criterion", "signed", "Spearman ρ (p)", "sign agreement",
                          f"sign agreement, {n_sig} pairs with significant gain"), rows),
          "Signed criteria predict a gain when positive; unsigned ones are scored only by "
          "rank.", "", "## The verdict's track record", ""]
  return "\n".join(out + _track_records(results) + _pairs(results))


def _track_records(results: dict[str, Any]) -> list[str]:
  rows = []
  for kind, text in (("uncalibrated", "CI excludes 0, estimators agree on sign"),
                     ("calibrated", "... and also once corrected by the ground-truth bias")):
    v = results["verdicts"][kind]
    rows.append((text, f"{v['decisive']}/{v['verdicts']}", rate(v["held"], v["decisive"]),
                 rate(v["held_vs_pair_mean"], v["decisive"]),
                 f"{v['pairs_decisive']}/{v['pairs']}",
                 rate(v["pairs_held"], v["pairs_decisive"]),
                 rate(v["pairs_held_significant"], v["pairs_decisive_significant"])))
  return [markdown_table(("verdict rule", "decisive (pair × split)", "held on its split",
                          "held vs pair mean", "decisive pairs (all splits agree)",
                          "held", "held, significant gains"), rows),
          f"The prediction comes from the {results['prediction']['criterion']}. A per-split "
          "verdict held when that split's mean gain over seeds had its sign; a pair's "
          "verdict is decisive only when all its splits give the same decisive verdict, and "
          "held when the pair's mean gain over all splits and seeds had its sign.", "",
          "## Pairs", ""]


def _pairs(results: dict[str, Any]) -> list[str]:
  rows = []
  for q in results["pairs"]:
    g, b = q["gain"], q["best"]
    counts = {k: q["verdicts"].count(k) for k in VERDICT_COLORS}
    rows.append((f"{q['teacher']} → {q['student']}", f"{g['mean']:+.3f} ± {g['se']:.3f}",
                 " ".join(f"{x:+.3f}" for x in q["per_split"]),
                 "yes" if q["sign_stable"] else "no",
                 f"λ={b['lam']:g}, T={b['temperature']:g}: {b['test_gain']:+.3f}",
                 f"{q['criteria'][results['primary_gap']]:+.3f}",
                 f"{counts['distil']}/{counts['do not distil']}/{counts['uncertain']}",
                 f"{q['criteria']['teacher_accuracy']:.3f}"))
  return [markdown_table(("pair", "gain ± SE", "per split", "sign stable",
                          "best on validation: test gain", "primary gap",
                          "verdicts d/n/u", "teacher acc."), rows),
          "![criteria](criteria.png)", "", "![pairs](pairs.png)", ""]
