"""The criteria benchmark's report.md and one-line summary, from its report.json dict
(pure)."""

from __future__ import annotations

from typing import Any

from cch_jax.experiments.common.formatting import (gain, gain_meaning, markdown_table, metric,
                                                   number, record)

RECORDS = (("cch_gap", "CCH gap, calibrated"), ("cch_gap_uncalibrated", "CCH gap, uncalibrated"),
           ("pilot", "pilot"))


def record_text(counts: dict[str, Any]) -> str:
  """'held 3, contradicted 0, inconclusive 5 of 8 decisive (12 pairs)'."""
  return f"{record(counts)} ({counts['n_pairs']} pairs)"


def one_line(results: dict[str, Any], report_path: str) -> str:
  top = results["ranking"][0]
  rec = results["track_record"]
  return (f"criteria_benchmark: {len(results['pairs'])} pairs × {results['splits']} splits × "
          f"{results['seeds']} seeds; best-ranked criterion {top['criterion']} (Spearman "
          f"{number(top['spearman'])} [{number(top['spearman_ci_low'])}, "
          f"{number(top['spearman_ci_high'])}]); CCH verdict: {record_text(rec['cch_gap'])}; "
          f"pilot ({results['pilot']['compute_share']:.0%} of the students' steps): "
          f"{record_text(rec['pilot'])}; report: {report_path}")


def markdown(results: dict[str, Any]) -> str:
  """report.md: the setup, the verdicts' track records, the criteria ranked, the pairs."""
  ref = results["reference"]
  out = ["# Criteria benchmark: which criterion predicts a KD gain?", "",
         f"Data: {results['source']}, {_target(results)}, split sizes "
         f"{results['n']}, {results['splits']} stratified splits × {results['seeds']} seeds; "
         f"views {', '.join(results['views'])} ({len(results['pairs'])} ordered pairs). "
         f"Gains are paired ({gain_meaning(results)} of the same split and seed, same "
         f"initialisation "
         f"and batches) at λ = {ref['lam']:g}, T = {ref['temperature']:g}; their 95% "
         "Student-t CIs are over the per-split means (so they cover the variation between "
         "splits and seeds). Criteria are measured before any student trains, on "
         f"{results['analysis_rows']} held-out rows per split.", "",
         "## The verdicts' track records (per pair)", ""]
  return "\n".join(out + _track_records(results) + _ranking(results) + _pairs(results))


def _track_records(results: dict[str, Any]) -> list[str]:
  rows = []
  variants = results["pilot"].get("variants", {})
  shown = RECORDS + tuple((f"pilot[{spec}]", f"pilot {spec} ({v['compute_share']:.0%} of "
                           "the students' wall time)") for spec, v in variants.items())
  for key, text in shown:
    v = results["track_record"][key]
    rows.append((text, f"{v['decisive']}/{v['n_pairs']}", v["held"], v["contradicted"],
                 v["inconclusive"], number(v["held_rate"], 2, False),
                 f"{v['decisive_significant']}/{v['n_pairs_significant']}",
                 v["held_significant"]))
  pilot = results["pilot"]
  return [markdown_table(("verdict", "decisive pairs", "held", "contradicted",
                          "inconclusive", "held / (held + contradicted)",
                          "decisive on pairs with a significant gain",
                          "held there"), rows),
          "A pair's verdict is pooled over its splits. It **held** when the pair's gain CI "
          "lies on the predicted side of 0, was **contradicted** when it lies on the other "
          "side, and is **inconclusive** when the CI covers 0; 'uncertain' verdicts predict "
          f"nothing. The CCH verdict comes from the {results['track_record']['cch_gap']['criterion']}. "
          f"The pilot reads the same students' paired validation gain after {pilot['step']} "
          f"of their {pilot['steps']} steps ({pilot['compute_share']:.0%} of the students' "
          "compute), judged by its CI over splits × seeds. Each pilot variant is a separate "
          f"{pilot['step']}-step run of the same members on its own schedule, on the first "
          "r of the training rows ('rows:r') or with layer widths scaled by w ('width:w').",
          "",
          "## Criteria ranked by Spearman correlation with the measured gain", ""]


def _ranking(results: dict[str, Any]) -> list[str]:
  rows = [(r["criterion"], "yes" if r["signed"] else "no",
           f"{number(r['spearman'])} [{number(r['spearman_ci_low'])}, "
           f"{number(r['spearman_ci_high'])}]",
           number(r["spearman_p"], 3, False), number(r["spearman_p_holm"], 3, False),
           number(r["sign_agreement"], 2, False),
           number(r["significant_sign_agreement"], 2, False)) for r in results["ranking"]]
  n_sig = results["ranking"][0]["n_significant"]
  return [markdown_table(("criterion", "signed", "Spearman ρ [95% bootstrap CI]", "p",
                          "p, Holm", "sign agreement",
                          f"sign agreement, {n_sig} pairs with significant gain"), rows),
          "One point per pair (criterion and gain averaged over splits). The CI resamples "
          "pairs and, within each, splits; p-values are Holm-corrected over the criteria. "
          "Signed criteria predict a gain when positive; unsigned ones are scored only by "
          "rank.", "", "## Pairs", ""]


def _target(results: dict[str, Any]) -> str:
  """'10 classes' or 'a regression target (gains in MAE, y's units)'."""
  if results.get("task") != "regression":
    return f"{results['n_classes']} classes"
  return f"a regression target (gains in {metric(results)} reduction)"


def teacher_metric(criteria: dict[str, Any]) -> float:
  """The teacher's held-out accuracy, or its MAE in standardised units (regression)."""
  return criteria["teacher_accuracy"] if "teacher_accuracy" in criteria else (
      -criteria["teacher_score"])


def _pairs(results: dict[str, Any]) -> list[str]:
  rows = []
  for q in results["pairs"]:
    b = q["recommended"]
    rec = f"λ={b['lam']:g}, T={b['temperature']:g}: " + (
        gain(b["test_gain"]) if b["test_gain"] else "no KD")
    rows.append((f"{q['teacher']} → {q['student']}", gain(q["gain"]),
                 " ".join(f"{x:+.3f}" for x in q["per_split"]),
                 f"{q['criteria'][results['primary_gap']]:+.3f}",
                 f"{q['verdict']['label']} ({q['verdict']['outcome'] or '–'})",
                 f"{q['pilot']['label']} ({q['pilot']['outcome'] or '–'})", rec,
                 f"{teacher_metric(q['criteria']):.3f}"))
  return [markdown_table(("pair", "gain [95% CI]", "per split", "primary gap",
                          "CCH verdict (outcome)", "pilot (outcome)",
                          "recommended on validation: test gain",
                          "teacher acc." if results.get("task") != "regression"
                          else "teacher MAE (std. units)"), rows),
          "![criteria](criteria.png)", "", "![pairs](pairs.png)", ""]
