"""The criteria benchmark's PNGs: criteria.png (each verdict's balanced accuracy and each
criterion's AUROC, with intervals) and pairs.png (gains per pair and split; gap against
gain, coloured by the CCH verdict)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from cch_jax.experiments.common.formatting import VERDICT_COLORS, save_figure
from cch_jax.experiments.criteria import report


def save_criteria(results: dict[str, Any], path: str) -> None:
  save_figure(_criteria_figure(results), path)


def save_pairs(results: dict[str, Any], path: str) -> None:
  save_figure(_pairs_figure(results), path)


def _bars(ax: Any, names: Sequence[str], values: Sequence[float | None],
          cis: Sequence[Sequence[float] | None], label: str) -> None:
  """Horizontal bars with 95% intervals, a dashed line at chance (0.5)."""
  y = np.arange(len(names))[::-1]
  v = np.asarray([np.nan if x is None else x for x in values], np.float64)
  err = np.asarray([[0.0, 0.0] if c is None or not np.isfinite(x) else [x - c[0], c[1] - x]
                    for x, c in zip(v, cis)]).T
  ax.barh(y, np.nan_to_num(v, nan=0.0), xerr=err, capsize=2, color="tab:blue",
          label="score (95% interval)")
  ax.set_yticks(y, names, fontsize=8)
  ax.axvline(0.5, color="k", lw=0.8, ls="--", label="chance / a constant rule")
  ax.set_xlim(0, 1)
  ax.set_xlabel(label)
  ax.legend(loc="lower right", fontsize=7)


def _criteria_figure(results: dict[str, Any]) -> plt.Figure:
  records = {k: v for k, v in results["track_record"].items() if not k.startswith("rule:")}
  crit = sorted(results["criteria_scores"].items(), key=lambda kv: -(kv[1]["auroc"] or 0))
  fig, axes = plt.subplots(1, 2, figsize=(12, 0.3 * max(len(crit), len(records)) + 2))
  _bars(axes[0], [report.verdict_name(k) for k in records],
        [v["balanced_accuracy"] for v in records.values()],
        [v["balanced_accuracy_ci"] for v in records.values()],
        "verdicts: balanced accuracy on pairs with a significant gain")
  _bars(axes[1], [name for name, _ in crit], [c["auroc"] for _, c in crit],
        [c["auroc_ci"] for _, c in crit], "criteria: AUROC for gain > 0")
  fig.suptitle(f"Verdicts and criteria vs the measured KD gain over "
               f"{len(results['pairs'])} pairs")
  fig.tight_layout()
  return fig


def _pairs_figure(results: dict[str, Any]) -> plt.Figure:
  metric = results["pairs"][0]["metric"]  # one metric per figure: units do not mix
  pairs = [q for q in results["pairs"] if q["metric"] == metric]
  key = results["primary_gap"]
  fig, axes = plt.subplots(1, 2, figsize=(max(12, 0.25 * len(pairs) + 6), 5))
  for i, q in enumerate(pairs):
    g = q["gain"]
    axes[0].errorbar(i, g["mean"], yerr=[[g["mean"] - g["ci_low"]], [g["ci_high"] - g["mean"]]],
                     fmt="o", color="k", label="mean gain, 95% CI" if i == 0 else None)
    axes[0].scatter([i] * len(q["per_split"]), q["per_split"], s=12, color="tab:blue",
                    alpha=0.6, label="per split" if i == 0 else None)
  for label, color in VERDICT_COLORS.items():
    mine = [q for q in pairs if q["verdict"]["label"] == label and key in q["criteria"]]
    axes[1].scatter([q["criteria"][key] for q in mine], [q["gain"]["mean"] for q in mine],
                    s=24, color=color, alpha=0.8, label=f"CCH verdict: {label}")
  axes[0].axhline(0, color="k", lw=0.8)
  axes[0].set_xticks(range(len(pairs)), [f"{q['teacher']}→{q['student']}" for q in pairs],
                     rotation=80, fontsize=6)
  axes[0].set_ylabel(f"KD gain ({metric}; the pairs measured in it)")
  axes[0].legend(fontsize=7)
  axes[1].axhline(0, color="k", lw=0.8)
  axes[1].axvline(0, color="k", lw=0.8)
  axes[1].set_xlabel(f"{key}, mean over splits (nats)")
  axes[1].set_ylabel("pair's mean KD gain")
  axes[1].legend(fontsize=7)
  fig.tight_layout()
  return fig
