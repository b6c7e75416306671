"""The criteria benchmark's results: per-pair gains and criteria, the criteria ranked, the
verdict's track record; report.json, report.md, criteria.png, pairs.png.

report.json keys: views, splits, seeds, reference {lam, temperature}, pairs (one per
ordered pair: teacher, student, gain (summary over splits), per_split, sign_stable,
best {lam, temperature, val_gain, test_gain}, criteria {name: mean over splits},
criteria_per_split, verdicts (calibrated, per split), uncalibrated (per split), held),
ranking (`pipeline.criteria.rank_criteria` rows), verdicts {calibrated, uncalibrated:
{verdicts, decisive, held, held_rate, ...}}, prediction (the criterion the verdict comes
from and its track record), calibration, seconds, config, versions.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from cch_jax.experiments import study, study_plots  # noqa: E402
from cch_jax.pipeline import calibration, criteria, outcome  # noqa: E402
from cch_jax.pipeline.verdict import DISTIL, DO_NOT_DISTIL, UNCERTAIN  # noqa: E402
from cch_jax.utils import report as io  # noqa: E402

COLORS = {DISTIL: "tab:green", DO_NOT_DISTIL: "tab:red", UNCERTAIN: "tab:gray"}


def collect(config, parts, views, analyses, students) -> dict[str, Any]:
  """The results dict (see the module docstring) from the stages' outputs."""
  names = study.estimator_names(config)
  labels = [n.strip() for n in config.analysis.label_estimators.split(",") if n.strip()]
  known = criteria.criteria_of(names, labels)
  ref = (float(config.kd.lam), float(config.kd.temperature))
  pairs = []
  for t in views:
    for s in views:
      if s != t:
        pairs.append(_pair(t, s, [a[(t, s)] for a in analyses], students[s], ref, known))
  ranking = criteria.rank_criteria({c: [p["criteria"][c] for p in pairs] for c in known},
                                   [p["gain"] for p in pairs], known)
  track = {kind: _track_record(pairs, kind) for kind in ("verdicts", "uncalibrated")}
  first = analyses[0][(views[0], views[1])]
  return {
      "experiment": config.experiment, "source": parts[0].source, "views": list(views),
      "splits": len(parts), "seeds": config.kd.seeds, "n_classes": parts[0].n_classes,
      "n": {k: v.n for k, v in parts[0].splits().items()},
      "analysis_rows": first["terms"].n,
      "reference": {"lam": ref[0], "temperature": ref[1]}, "pairs": pairs,
      "ranking": ranking, "verdicts": {"calibrated": track["verdicts"],
                                       "uncalibrated": track["uncalibrated"]},
      "prediction": {"criterion": first["verdict"].criterion,
                     "track_record": track["verdicts"]},
      "primary_gap": f"gap:{names[0]}-{labels[0]}",
      "calibration": _calibration_tables(config, first["terms"]),
      "config": config.to_dict(), "versions": io.run_metadata()}


def _calibration_tables(config, terms) -> list[dict[str, Any]]:
  """The ground-truth calibrations of the first pair (cached: no new work); pairs whose
  representations have the same dimensions (all but those with fewer varying columns
  than analysis.reduce_dim) share them."""
  if not config.analysis.calibrate:
    return []
  options = study.estimator_options(config)
  return [calibration.calibrate(name, dx, dy, terms.n, options.get(name),
                                config.analysis.calibration_seeds).to_dict()
          for name, (dx, dy) in terms.dims.items()]


def _pair(t, s, found, student, ref, known) -> dict[str, Any]:
  members, val_acc, test_acc, teachers = student
  g = teachers.index(t)
  test_rows = outcome.paired_gains(members, test_acc)
  at_ref = outcome.find(test_rows, g, *ref)
  best = outcome.recommend(outcome.paired_gains(members, val_acc))[g]
  best_test = 0.0 if best["lam"] == 0 else outcome.find(
      test_rows, g, best["lam"], best["temperature"])["gain"]["mean"]
  per_split = {c: [f["criteria"][c] for f in found] for c in known}
  gain = at_ref["gain"]["mean"]
  verdicts = [f["verdict"].label for f in found]
  return {
      "teacher": t, "student": s, "gain": at_ref["gain"], "per_split": at_ref["per_split"],
      "sign_stable": at_ref["sign_stable"], "baseline": at_ref["baseline"]["mean"],
      "best": {**best, "test_gain": best_test},
      "criteria": {c: float(np.mean(v)) for c, v in per_split.items()},
      "criteria_per_split": per_split,
      "gap_ci": [f["criteria"]["ci"] for f in found],
      "verdicts": verdicts, "reasons": [f["verdict"].reason for f in found],
      "uncalibrated": [f["uncalibrated"].label for f in found],
      "held": [outcome.prediction_held(v, gain) for v in verdicts],
      "held_on_split": [outcome.prediction_held(v, g)
                        for v, g in zip(verdicts, at_ref["per_split"])],
      "exact_rule": [f["criteria"]["exact_rule_detail"] for f in found]}


def _track_record(pairs: Sequence[dict[str, Any]], kind: str) -> dict[str, Any]:
  """How the verdicts of one rule held, three ways.

  Per split (a user's situation: one split, one verdict): verdict k against split k's
  mean gain over seeds ('held', 'decisive'), and against the pair's mean gain over all
  splits and seeds ('held_vs_pair_mean'); the S verdicts of a pair share its teacher and
  student, so they are not independent. Per pair: the consensus verdict (decisive only
  when every split's verdict is the same decisive label) against the pair's mean gain
  ('pairs_decisive', 'pairs_held'), and how many of those pairs have a gain whose CI
  excludes 0 ('pairs_decisive_significant', 'pairs_held_significant').
  """
  split_level = [(outcome.prediction_held(v, g), outcome.prediction_held(v, p["gain"]["mean"]))
                 for p in pairs for v, g in zip(p[kind], p["per_split"])]
  decided = [(own, pooled) for own, pooled in split_level if own is not None]
  consensus = [(p[kind][0] if len(set(p[kind])) == 1 else UNCERTAIN, p) for p in pairs]
  pair_held = [(outcome.prediction_held(v, p["gain"]["mean"]),
                p["gain"]["ci_low"] > 0 or p["gain"]["ci_high"] < 0) for v, p in consensus]
  pair_decided = [(h, sig) for h, sig in pair_held if h is not None]
  held = sum(own for own, _ in decided)
  return {"verdicts": len(split_level), "decisive": len(decided), "held": int(held),
          "held_rate": held / len(decided) if decided else None,
          "held_vs_pair_mean": int(sum(bool(pooled) for _, pooled in decided)),
          "pairs": len(pairs), "pairs_decisive": len(pair_decided),
          "pairs_held": int(sum(h for h, _ in pair_decided)),
          "pairs_decisive_significant": sum(sig for _, sig in pair_decided),
          "pairs_held_significant": int(sum(h for h, sig in pair_decided if sig))}


def write(results: dict[str, Any], workdir: str) -> None:
  """report.json, report.md, criteria.png and pairs.png into `workdir`."""
  os.makedirs(workdir, exist_ok=True)
  study_plots.save_figure(_criteria_figure(results), workdir, "criteria.png")
  study_plots.save_figure(_pairs_figure(results), workdir, "pairs.png")
  io.write_json(os.path.join(workdir, "report.json"), results)
  io.write_text(os.path.join(workdir, "report.md"), markdown(results))


def _rate(n: int, d: int) -> str:
  return f"{n}/{d} ({n / d:.0%})" if d else "–"


def one_line(results: dict[str, Any], report_path: str) -> str:
  top = results["ranking"][0]
  cal = results["verdicts"]["calibrated"]
  return (f"criteria_benchmark: {len(results['pairs'])} pairs × {results['splits']} splits × "
          f"{results['seeds']} seeds; best-ranked criterion {top['criterion']} (Spearman "
          f"{_fmt(top['spearman'])}); decisive CCH verdicts held "
          f"{_rate(cal['held'], cal['decisive'])} per split, "
          f"{_rate(cal['pairs_held'], cal['pairs_decisive'])} per pair; report: {report_path}")


def _fmt(x: float | None, digits: int = 2, sign: bool = True) -> str:
  if x is None:
    return "–"
  return f"{x:+.{digits}f}" if sign else f"{x:.{digits}f}"


def markdown(results: dict[str, Any]) -> str:
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
           f"{_fmt(r['spearman'])} (p={_fmt(r['spearman_p'], 3, False)})",
           _fmt(r["sign_agreement"], 2, False), _fmt(r["significant_sign_agreement"], 2, False))
          for r in results["ranking"]]
  n_sig = results["ranking"][0]["n_significant"]
  out += [io.markdown_table(("criterion", "signed", "Spearman ρ (p)", "sign agreement",
                             f"sign agreement, {n_sig} pairs with significant gain"), rows),
          "Signed criteria predict a gain when positive; unsigned ones are scored only by "
          "rank.", "", "## The verdict's track record", ""]
  rows = []
  for kind, text in (("uncalibrated", "CI excludes 0, estimators agree on sign"),
                     ("calibrated", "... and also once corrected by the ground-truth bias")):
    v = results["verdicts"][kind]
    rows.append((text, f"{v['decisive']}/{v['verdicts']}", _rate(v["held"], v["decisive"]),
                 _rate(v["held_vs_pair_mean"], v["decisive"]),
                 f"{v['pairs_decisive']}/{v['pairs']}", _rate(v["pairs_held"], v["pairs_decisive"]),
                 _rate(v["pairs_held_significant"], v["pairs_decisive_significant"])))
  p = results["prediction"]
  out += [io.markdown_table(("verdict rule", "decisive (pair × split)", "held on its split",
                             "held vs pair mean", "decisive pairs (all splits agree)",
                             "held", "held, significant gains"), rows),
          f"The prediction comes from the {p['criterion']}. A per-split verdict held when "
          "that split's mean gain over seeds had its sign; a pair's verdict is decisive only "
          "when all its splits give the same decisive verdict, and held when the pair's mean "
          "gain over all splits and seeds had its sign.", "", "## Pairs", ""]
  rows = []
  for q in results["pairs"]:
    g, b = q["gain"], q["best"]
    counts = {k: q["verdicts"].count(k) for k in COLORS}
    rows.append((f"{q['teacher']} → {q['student']}", f"{g['mean']:+.3f} ± {g['se']:.3f}",
                 " ".join(f"{x:+.3f}" for x in q["per_split"]),
                 "yes" if q["sign_stable"] else "no",
                 f"λ={b['lam']:g}, T={b['temperature']:g}: {b['test_gain']:+.3f}",
                 f"{q['criteria'][results['primary_gap']]:+.3f}",
                 f"{counts['distil']}/{counts['do not distil']}/{counts['uncertain']}",
                 f"{q['criteria']['teacher_accuracy']:.3f}"))
  out += [io.markdown_table(("pair", "gain ± SE", "per split", "sign stable",
                             "best on validation: test gain", "primary gap",
                             "verdicts d/n/u", "teacher acc."), rows),
          "![criteria](criteria.png)", "", "![pairs](pairs.png)", ""]
  return "\n".join(out)


def _criteria_figure(results: dict[str, Any]) -> plt.Figure:
  rows = results["ranking"]
  fig, axes = plt.subplots(1, 2, figsize=(11, 0.35 * len(rows) + 1.5), sharey=True)
  y = np.arange(len(rows))[::-1]
  rho = [r["spearman"] or 0.0 for r in rows]
  axes[0].barh(y, rho, color=["tab:blue" if r["signed"] else "tab:olive" for r in rows])
  axes[0].set_yticks(y, [r["criterion"] for r in rows], fontsize=8)
  axes[0].axvline(0, color="k", lw=0.8)
  axes[0].set_xlabel("Spearman ρ with the measured gain")
  agree = [r["sign_agreement"] if r["sign_agreement"] is not None else np.nan for r in rows]
  axes[1].barh(y, agree, color="tab:blue")
  axes[1].axvline(0.5, color="k", lw=0.8, ls="--")
  axes[1].set_xlim(0, 1)
  axes[1].set_xlabel("sign agreement (signed criteria; dashed: chance)")
  fig.suptitle(f"Criteria vs measured KD gain over {len(results['pairs'])} pairs")
  return fig


def _pairs_figure(results: dict[str, Any]) -> plt.Figure:
  pairs = results["pairs"]
  key = results["primary_gap"]
  fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
  for i, q in enumerate(pairs):
    axes[0].errorbar(i, q["gain"]["mean"], yerr=q["gain"]["se"], fmt="o", color="k")
    axes[0].scatter([i] * len(q["per_split"]), q["per_split"], s=12, color="tab:blue",
                    alpha=0.6)
    for gap, label in zip(q["criteria_per_split"][key], q["verdicts"]):
      axes[1].scatter(gap, q["gain"]["mean"], s=18, color=COLORS[label], alpha=0.7)
  axes[0].axhline(0, color="k", lw=0.8)
  axes[0].set_xticks(range(len(pairs)), [f"{q['teacher']}→{q['student']}" for q in pairs],
                     rotation=70, fontsize=7)
  axes[0].set_ylabel("KD gain (mean ± SE; dots: splits)")
  axes[1].axhline(0, color="k", lw=0.8)
  axes[1].axvline(0, color="k", lw=0.8)
  axes[1].set_xlabel(f"{key} per split (colour: calibrated verdict)")
  axes[1].set_ylabel("pair's mean KD gain")
  return fig
