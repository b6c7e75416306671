"""A study's PNGs: the terms per teacher, gain against gap, the gap during training and
the λ × T sweep, each written whole."""

from __future__ import annotations

import os
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from cch_jax.experiments.common import formatting
from cch_jax.experiments.common.formatting import VERDICT_COLORS, save_figure


def draw(results: dict[str, Any], workdir: str) -> list[str]:
  """Draws every plot that applies; returns their file names."""
  names = ["terms.png"]
  save_figure(_terms(results), os.path.join(workdir, "terms.png"))
  if "kd_gain" in results:
    names.append("gain_vs_gap.png")
    save_figure(_gain_vs_gap(results), os.path.join(workdir, "gain_vs_gap.png"))
    if results["monitor"]["steps"]:
      names.append("monitor.png")
      save_figure(_monitor(results), os.path.join(workdir, "monitor.png"))
    sweep = results["teachers"][0]["sweep"]
    if len({s["lam"] for s in sweep}) > 1 and len({s["temperature"] for s in sweep}) > 1:
      names.append("sweep.png")
      save_figure(_sweep(results), os.path.join(workdir, "sweep.png"))
  return names


def _err(term: dict[str, Any], key: str = "value") -> tuple[float, list[list[float]]]:
  v = term[key]
  return v, [[v - term["ci_low"]], [term["ci_high"] - v]]


def _terms(results: dict[str, Any]) -> plt.Figure:
  teachers = sorted(results["teachers"], key=lambda t: t["rank"])
  fig, ax = plt.subplots(figsize=(max(5, 1.3 * len(teachers) + 2), 4))
  x = np.arange(len(teachers))
  for offset, key, label in ((-0.25, "i_teacher_student", "I(H_t; H_s)"),
                             (0.0, "i_student_label", "I(H_s; Y)"), (0.25, "gap", "gap")):
    vals = [t[key]["value"] for t in teachers]
    errs = np.asarray([[t[key]["value"] - t[key]["ci_low"], t[key]["ci_high"] - t[key]["value"]]
                       for t in teachers]).T
    colors = ([VERDICT_COLORS[t["verdict"]] for t in teachers] if key == "gap" else None)
    ax.bar(x + offset, vals, 0.25, yerr=errs, capsize=3, label=label, color=colors,
           alpha=0.85 if key == "gap" else 0.6)
  ax.axhline(0, color="k", lw=0.8)
  ax.set_xticks(x, [t["teacher_view"] for t in teachers], rotation=20, fontsize=8)
  ax.set_ylabel(f"nats (mean, 95% CI over {results['splits']} splits)")
  ax.set_title(f"CCH terms for student '{results['student_view']}' (gap coloured by "
               "the pooled verdict)", fontsize=9)
  ax.legend(fontsize=8)
  return fig


def _gain_vs_gap(results: dict[str, Any]) -> plt.Figure:
  fig, ax = plt.subplots(figsize=(6, 4.5))
  for t in results["teachers"]:
    gap, gap_err = _err(t["gap"])
    gain, gain_err = _err(t["kd_gain"], "mean")
    ax.errorbar(gap, gain, xerr=gap_err, yerr=gain_err, fmt="o", capsize=3,
                color=VERDICT_COLORS[t["verdict"]])
    ax.annotate(t["teacher_view"], (gap, gain), fontsize=7, xytext=(4, 4),
                textcoords="offset points")
  ax.axhline(0, color="k", lw=0.8)
  ax.axvline(0, color="k", lw=0.8)
  ax.set_xlabel(f"gap I(H_t;H_s) − I(H_s;Y) (nats, 95% CI over {results['splits']} "
                "splits)")
  ax.set_ylabel(f"KD gain ({formatting.gain_meaning(results)}; 95% CI over "
                f"{results['splits']} splits × "
                f"{results['kd_reference']['seeds']} seeds)")
  ref = results["kd_reference"]
  ax.set_title(f"Gain against gap (λ={ref['lam']:g}, T={ref['temperature']:g}); "
               "agreeing points lie in quadrants I and III", fontsize=9)
  return fig


def _monitor(results: dict[str, Any]) -> plt.Figure:
  mon = results["monitor"]
  fig, ax = plt.subplots(figsize=(8, 4))
  for g, view in enumerate(results["teacher_views"]):
    color = f"C{g % 10}"
    ax.plot(mon["steps"], mon["kd"][view], "o-", color=color, label=f"KD from {view}")
    ax.plot(mon["steps"], mon["baseline"][view], "--", color=color, alpha=0.6)
  ax.axhline(0, color="k", lw=0.8)
  ax.set_xlabel("student training step")
  ax.set_ylabel(f"gap ({mon['estimators']}), nats")
  ax.set_title("Gap on the first split's students' representations (dashed: baseline "
               "student)", fontsize=9)
  ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
  return fig


def _sweep(results: dict[str, Any]) -> plt.Figure:
  teachers = results["teachers"]
  fig, axes = plt.subplots(1, len(teachers), figsize=(3.6 * len(teachers), 3.4),
                           squeeze=False)
  lams = sorted({s["lam"] for s in teachers[0]["sweep"]})
  temps = sorted({s["temperature"] for s in teachers[0]["sweep"]})
  grids = [np.full((len(lams), len(temps)), np.nan) for _ in teachers]
  for grid, t in zip(grids, teachers):
    for s in t["sweep"]:
      grid[lams.index(s["lam"]), temps.index(s["temperature"])] = s["gain"]["mean"]
  bound = max(np.nanmax(np.abs(g)) for g in grids) or 1.0
  for ax, grid, t in zip(axes[0], grids, teachers):
    image = ax.imshow(grid, cmap="RdBu", vmin=-bound, vmax=bound, origin="lower",
                      aspect="auto")
    for (i, j), v in np.ndenumerate(grid):
      ax.text(j, i, f"{v:+.3f}", ha="center", va="center", fontsize=7)
    ax.set_xticks(range(len(temps)), [f"{v:g}" for v in temps])
    ax.set_yticks(range(len(lams)), [f"{v:g}" for v in lams])
    ax.set_xlabel("T")
    ax.set_ylabel("λ")
    ax.set_title(f"{t['teacher_view']} ({t['verdict']})", fontsize=8)
  fig.colorbar(image, ax=axes[0].tolist(), label="mean test gain")
  return fig
