"""The Gaussian sweep's PNGs: gain against gap, λ* maps and the agreement map."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from cch_jax.experiments.common.formatting import save_figure
from cch_jax.experiments.gaussian_sweep.report import RULE
from cch_jax.experiments.gaussian_sweep.results import GAP_TIE

def _gain_vs_gap(table, summary):
  """ΔR(λ)/R0 against the MI gap, one panel per λ, coloured by n/d2."""
  valid, lambdas, ratios = table["valid"], table["lambdas"], table["n_over_d2"]
  fig, axes = plt.subplots(1, len(lambdas), figsize=(3.6 * len(lambdas), 3.4), sharey=True,
                           squeeze=False)
  colors = plt.cm.viridis(np.linspace(0, 0.9, len(ratios)))
  for j, (ax, lam) in enumerate(zip(axes[0], lambdas)):
    for i, ratio in enumerate(ratios):
      gap = table["gap"][i, valid]
      rel = table["gain"][i, valid, j] / table["r0"][i, valid]
      ax.scatter(gap, rel, s=3, alpha=0.5, color=colors[i], label=f"n/d2={ratio:g}",
                 rasterized=True)
    ax.set_yscale("symlog", linthresh=0.01)
    ax.axhline(0, color="k", lw=0.7)
    ax.axvline(0, color="k", lw=0.7)
    lo, hi = ax.get_xlim()
    ax.axvspan(0, hi, ymin=0, ymax=1, color="tab:green", alpha=0.04)
    ax.set_xlim(lo, hi)
    ax.set_title(f"λ={lam:g}: signs agree in {summary['agreement_by_lambda'][j]:.0%}")
    ax.set_xlabel("CCH gap I(t; s) − I(s; y) [nats]")
  axes[0, 0].set_ylabel("exact ΔR(λ) / R0  (> 0: KD helps; symlog)")
  axes[0, -1].legend(markerscale=4, fontsize=8, loc="lower right")
  fig.suptitle("Exact KD risk gain against the CCH gap, one point per cell "
               "(shaded: CCH says distil)", y=1.04)
  return fig


def _grid_image(table, values, ratio_index, rho_ty):
  """(rho_sy, rho_ts) image of per-cell `values` at one ratio and teacher-label value."""
  ts, sy = np.unique(table["rho_ts"]), np.unique(table["rho_sy"])
  image = np.full((len(sy), len(ts)), np.nan)
  pick = (table["rho_ty"] == rho_ty) & table["valid"] & (table["teacher_scale"] == 1.0)
  for c in np.flatnonzero(pick):
    image[np.searchsorted(sy, table["rho_sy"][c]), np.searchsorted(ts, table["rho_ts"][c])] = (
        values[ratio_index, c] if values.ndim > 1 else values[c])
  return ts, sy, image


def _lambda_star(table, summary):
  """λ* maps over (rho_ts, rho_sy) per n/d2 at the middle rho_ty, with both boundaries."""
  ratios = table["n_over_d2"]
  rho_ty = _middle(np.unique(table["rho_ty"]))
  fig, axes = plt.subplots(1, len(ratios), figsize=(3.6 * len(ratios), 3.4), sharey=True,
                           squeeze=False)
  for i, (ax, ratio) in enumerate(zip(axes[0], ratios)):
    ts, sy, image = _grid_image(table, table["lam_star"], i, rho_ty)
    mesh = ax.pcolormesh(ts, sy, image, vmin=0, vmax=1, cmap="magma", shading="nearest")
    _, _, margin = _grid_image(table, table["margin"], i, rho_ty)
    if np.nanmin(margin) < 0 < np.nanmax(margin):
      ax.contour(ts, sy, margin, levels=[0], colors="cyan", linewidths=1.5)
    ax.plot(ts, np.abs(ts), "w--", lw=1)  # CCH boundary |rho_ts| = rho_sy
    ax.set_xlim(ts[0], ts[-1])
    ax.set_ylim(sy[0], sy[-1])
    ax.set_title(f"n/d2={ratio:g}")
    ax.set_xlabel("rho_ts (teacher–student)")
  axes[0, 0].set_ylabel("rho_sy (student–label)")
  fig.colorbar(mesh, ax=axes[0].tolist(), label="λ*")
  fig.suptitle(f"Optimal λ* at rho_ty={rho_ty:g}. White dashed: CCH boundary "
               f"|rho_ts| = rho_sy (distil below it); cyan: exact rule boundary {RULE}\n"
               "(drawn only where it crosses the panel); blank: not positive definite",
               y=1.08)
  return fig


def _agreement_map(table, summary):
  """Share of (rho_ty, ratio) cells where CCH and exact sign agree, over (rho_ts, rho_sy)."""
  li = int(np.argmin(np.abs(table["lambdas"] - summary["report_lambda"])))
  agree = ((table["gap"] > GAP_TIE) == (table["gain"][..., li] > 0)).astype(float)
  agree[:, ~table["valid"]] = np.nan
  ts, sy = np.unique(table["rho_ts"]), np.unique(table["rho_sy"])
  total, count = np.zeros((len(sy), len(ts))), np.zeros((len(sy), len(ts)))
  for rho_ty in np.unique(table["rho_ty"]):
    for i in range(len(table["n_over_d2"])):
      _, _, image = _grid_image(table, agree, i, rho_ty)
      total += np.nan_to_num(image)
      count += ~np.isnan(image)
  fig, ax = plt.subplots(figsize=(5.5, 4.2))
  mesh = ax.pcolormesh(ts, sy, np.where(count > 0, total / np.maximum(count, 1), np.nan),
                       vmin=0, vmax=1, cmap="RdYlGn", shading="nearest")
  ax.plot(ts, np.abs(ts), "k--", lw=1)
  ax.set_xlim(ts[0], ts[-1])
  ax.set_ylim(sy[0], sy[-1])
  ax.set_xlabel("rho_ts (teacher–student)")
  ax.set_ylabel("rho_sy (student–label)")
  fig.colorbar(mesh, ax=ax, label="share of cells where signs agree")
  ax.set_title(f"CCH vs exact ΔR sign at λ={summary['report_lambda']:g}\n"
               "(averaged over rho_ty and n/d2; dashed: CCH boundary)", fontsize=10)
  return fig


def _middle(values: np.ndarray) -> float:
  return float(values[len(values) // 2])


def _saver(draw):
  def save(table: dict[str, np.ndarray], summary: dict[str, Any], path: str) -> None:
    save_figure(draw(table, summary), path)
  return save


PLOTS = {"gain_vs_gap.png": _saver(_gain_vs_gap), "lambda_star.png": _saver(_lambda_star),
         "agreement.png": _saver(_agreement_map)}
