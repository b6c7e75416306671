"""The criteria benchmark's PNGs: criteria.png (each criterion's Spearman and sign
agreement with the gains) and pairs.png (gains per pair and split; gap against gain)."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from cch_jax.experiments.common.formatting import VERDICT_COLORS, save_figure


def save_criteria(results: dict[str, Any], path: str) -> None:
  save_figure(_criteria_figure(results), path)


def save_pairs(results: dict[str, Any], path: str) -> None:
  save_figure(_pairs_figure(results), path)


def _criteria_figure(results: dict[str, Any]) -> plt.Figure:
  rows = results["ranking"]
  fig, axes = plt.subplots(1, 2, figsize=(11, 0.35 * len(rows) + 1.5), sharey=True)
  y = np.arange(len(rows))[::-1]
  rho = np.asarray([r["spearman"] or 0.0 for r in rows])
  low = [r.get("spearman_ci_low") for r in rows]
  high = [r.get("spearman_ci_high") for r in rows]
  err = np.asarray([[x - a if a is not None else 0.0 for x, a in zip(rho, low)],
                    [b - x if b is not None else 0.0 for x, b in zip(rho, high)]])
  axes[0].barh(y, rho, xerr=err, capsize=2,
               color=["tab:blue" if r["signed"] else "tab:olive" for r in rows])
  axes[0].set_yticks(y, [r["criterion"] for r in rows], fontsize=8)
  axes[0].axvline(0, color="k", lw=0.8)
  axes[0].set_xlabel("Spearman ρ with the measured gain (95% bootstrap CI)")
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
    g = q["gain"]
    axes[0].errorbar(i, g["mean"], yerr=[[g["mean"] - g["ci_low"]], [g["ci_high"] - g["mean"]]],
                     fmt="o", color="k")
    axes[0].scatter([i] * len(q["per_split"]), q["per_split"], s=12, color="tab:blue",
                    alpha=0.6)
    axes[1].scatter(q["criteria"][key], g["mean"], s=24,
                    color=VERDICT_COLORS[q["verdict"]["label"]], alpha=0.8)
  axes[0].axhline(0, color="k", lw=0.8)
  axes[0].set_xticks(range(len(pairs)), [f"{q['teacher']}→{q['student']}" for q in pairs],
                     rotation=70, fontsize=7)
  axes[0].set_ylabel("KD gain (mean, 95% CI; dots: splits)")
  axes[1].axhline(0, color="k", lw=0.8)
  axes[1].axvline(0, color="k", lw=0.8)
  axes[1].set_xlabel(f"{key}, mean over splits (color: pooled calibrated verdict)")
  axes[1].set_ylabel("pair's mean KD gain")
  return fig
