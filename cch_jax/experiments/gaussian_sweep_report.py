"""Markdown report, headline and plots of the Gaussian sweep (called by its `run`)."""

from __future__ import annotations

import os
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import ml_collections  # noqa: E402
import numpy as np  # noqa: E402

from cch_jax.utils.report import markdown_table  # noqa: E402

RULE = "Cov(y, y − t | x2) > 0"


def headline(summary: dict[str, Any]) -> str:
  """The one-line verdict printed at the end of a run."""
  c, sim = summary["counts"], summary["simulation"]
  line = (f"gaussian_sweep: sign(CCH gap) matched sign(exact ΔR) in "
          f"{summary['agreement_cch_vs_exact']:.0%} of {c['valid_cells']:,} valid cells at "
          f"λ={summary['report_lambda']:g} (CCH vs exact rule {RULE}: "
          f"{summary['agreement_cch_vs_rule']:.0%})")
  if "exact_inside_ci_by_lambda" in sim:
    line += (f"; exact ΔR inside the simulated 95% CI in "
             f"{np.mean(sim['exact_inside_ci_by_lambda']):.0%} of cells")
  return line


def markdown(summary: dict[str, Any], config: ml_collections.ConfigDict) -> str:
  """The human-readable report.md."""
  c, sim = summary["counts"], summary["simulation"]
  lambdas, ratios = summary["lambdas"], summary["n_over_d2"]
  conf = summary["rule_confusion"]
  out = [
      "# Gaussian sweep: does the CCH predict when KD lowers the risk?\n",
      f"{headline(summary)}.\n",
      "## Setup\n",
      f"- Correlation grid: rho_ts {len(config.grid.rho_ts)} × rho_sy "
      f"{len(config.grid.rho_sy)} × rho_ty {len(config.grid.rho_ty)} values × "
      f"{c['teacher_scales']} teacher scale(s) = {c['cells_per_ratio']} cells per ratio, of "
      f"which {c['invalid_cells_per_ratio']} are not positive definite (masked, not clipped).",
      f"- d1 = {config.grid.d1}, d2 = {config.grid.d2}; n/d2 ∈ {_fmt(ratios)} "
      f"(n ∈ {_fmt(summary['n'])}); λ ∈ {_fmt(lambdas)}.",
      f"- {config.sweep.n_seeds} simulated training sets per cell "
      f"({'least squares' if config.sweep.alpha == 0 else f'ridge α={config.sweep.alpha}'}"
      f"), paired across λ; {c['valid_cells']:,} valid cells in all.",
      f"- CCH says *distil* when I(t; w*ᵀx2) − I(w*ᵀx2; y) > {1e-5:g} nats "
      f"({c['gap_ties']} ties count as *do not distil*).\n",
      "## Sign agreement of the CCH with the exact gain ΔR(λ) = R0 − R(λ)\n",
      markdown_table(["n/d2"] + [f"λ={x:g}" for x in lambdas],
                     [[f"{r:g}"] + list(row) for r, row in
                      zip(ratios, summary["agreement_by_ratio_lambda"])]
                     + [["all"] + list(summary["agreement_by_lambda"])]),
      "Disagreements by kind (share of all valid cells):\n",
      markdown_table(["", *[f"λ={x:g}" for x in lambdas]],
                     [["CCH says distil, KD hurts"] + list(summary["false_go_by_lambda"]),
                      ["CCH says don't, KD helps"] + list(summary["missed_by_lambda"])]),
      "## The exact rule beside the CCH\n",
      "From the risk formula R(λ) = R0 − 2λB + λ²A (README, *The theory*): some λ ∈ (0, 1] "
      f"lowers the least-squares risk iff **{RULE}**, for every n > d2 + 1; n only scales "
      "the gain and moves λ* = clip(B/A, 0, 1). The CCH compares mutual informations "
      "instead, which ignore the teacher's scale and the student's sample size.\n",
      markdown_table(["", "rule: KD helps", "rule: KD hurts"],
                     [["CCH: distil", conf["cch_go_rule_helps"], conf["cch_go_rule_hurts"]],
                      ["CCH: don't", conf["cch_no_rule_helps"], conf["cch_no_rule_hurts"]]]),
      f"Agreement: {summary['agreement_cch_vs_rule']:.1%}. The rule says some λ helps in "
      f"{summary['exact_rule_share_helps']:.1%} of valid cells.\n",
      "## Where the disagreements sit "
      f"(agreement at λ={summary['report_lambda']:g}, all ratios)\n",
      markdown_table(["rho_ty (teacher–label)"]
                     + _fmt(summary["agreement_by_rho_ty"]["values"])[1:-1].split(", "),
                     [["agreement"] + summary["agreement_by_rho_ty"]["agreement"]]),
      markdown_table(["rho_ts (teacher–student)"]
                     + _fmt(summary["agreement_by_rho_ts"]["values"])[1:-1].split(", "),
                     [["agreement"] + summary["agreement_by_rho_ts"]["agreement"]]),
      "See `agreement.png` for the map over (rho_ts, rho_sy).\n",
      "## Optimal λ*\n",
      markdown_table(["n/d2", "λ* 25%", "λ* median", "λ* 75%", "median ΔR(λ*)/R0"],
                     [[f"{r:g}", *q, g] for r, q, g in
                      zip(ratios, summary["lam_star_quartiles_by_ratio"],
                          summary["relative_gain_star_median_by_ratio"])]),
      "## Simulation check\n",
      markdown_table(["", *[f"λ={x:g}" for x in lambdas]],
                     [["simulated CI excludes 0"] + list(sim["decisive_share_by_lambda"])]
                     + ([["exact ΔR inside simulated 95% CI"]
                         + list(sim["exact_inside_ci_by_lambda"])]
                        if "exact_inside_ci_by_lambda" in sim else [])),
      f"Where the simulated CI excludes 0, its sign matches the exact sign in "
      f"{_pct(sim['sign_matches_exact_when_decisive'])} of (cell, λ) pairs and the CCH "
      f"matches it in {_pct(sim['cch_matches_sim_when_decisive'])}.\n",
      "## Plots\n",
      "![gain vs gap](gain_vs_gap.png)\n\n![lambda star](lambda_star.png)\n\n"
      "![agreement](agreement.png)\n",
  ]
  return "\n".join(out)


def _fmt(values) -> str:
  """'{2, 4, 8}' for a sequence of numbers (adding 0.0 turns -0 into 0)."""
  return "{" + ", ".join(f"{float(v) + 0.0:g}" for v in values) + "}"


def _pct(x: float | None) -> str:
  return "–" if x is None else f"{x:.1%}"


def plot_all(table: dict[str, np.ndarray], summary: dict[str, Any], workdir: str) -> None:
  """Writes gain_vs_gap.png, lambda_star.png and agreement.png into workdir."""
  for name, fn in (("gain_vs_gap", _gain_vs_gap), ("lambda_star", _lambda_star),
                   ("agreement", _agreement_map)):
    fig = fn(table, summary)
    fig.savefig(os.path.join(workdir, f"{name}.png"), dpi=120, bbox_inches="tight")
    plt.close(fig)


def _gain_vs_gap(table, summary):
  """ΔR(λ)/R0 against the MI gap, one panel per λ, coloured by n/d2."""
  valid, lambdas, ratios = table["valid"], table["lambdas"], table["n_over_d2"]
  fig, axes = plt.subplots(1, len(lambdas), figsize=(3.6 * len(lambdas), 3.4), sharey=True,
                           squeeze=False)
  colours = plt.cm.viridis(np.linspace(0, 0.9, len(ratios)))
  for j, (ax, lam) in enumerate(zip(axes[0], lambdas)):
    for i, ratio in enumerate(ratios):
      gap = table["gap"][i, valid]
      rel = table["gain"][i, valid, j] / table["r0"][i, valid]
      ax.scatter(gap, rel, s=3, alpha=0.5, color=colours[i], label=f"n/d2={ratio:g}",
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
  agree = ((table["gap"] > 1e-5) == (table["gain"][..., li] > 0)).astype(float)
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
