"""The Gaussian sweep's headline and report.md, from its summary (pure)."""

from __future__ import annotations

from typing import Any

import ml_collections
import numpy as np

from cch_jax.experiments.common.formatting import markdown_table, number_set, percent
from cch_jax.experiments.gaussian_sweep.results import GAP_TIE

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
  c, lambdas, ratios = summary["counts"], summary["lambdas"], summary["n_over_d2"]
  out = [
      "# Gaussian sweep: does the CCH predict when KD lowers the risk?\n",
      f"{headline(summary)}.\n",
      "## Setup\n",
      f"- Correlation grid: rho_ts {len(config.grid.rho_ts)} × rho_sy "
      f"{len(config.grid.rho_sy)} × rho_ty {len(config.grid.rho_ty)} values × "
      f"{c['teacher_scales']} teacher scale(s) = {c['cells_per_ratio']} cells per ratio, of "
      f"which {c['invalid_cells_per_ratio']} are not positive definite (masked, not clipped).",
      f"- d1 = {config.grid.d1}, d2 = {config.grid.d2}; n/d2 ∈ {number_set(ratios)} "
      f"(n ∈ {number_set(summary['n'])}); λ ∈ {number_set(lambdas)}.",
      f"- {config.sweep.n_seeds} simulated training sets per cell "
      f"({'least squares' if config.sweep.alpha == 0 else f'ridge α={config.sweep.alpha}'}"
      f"), paired across λ; {c['valid_cells']:,} valid cells in all.",
      f"- CCH says *distil* when I(t; w*ᵀx2) − I(w*ᵀx2; y) > {GAP_TIE:g} nats "
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
  ]
  return "\n".join(out + _rule_and_lambda_sections(summary) + _simulation_section(summary))


def _rule_and_lambda_sections(summary: dict[str, Any]) -> list[str]:
  """The exact rule beside the CCH, where they disagree, and the optimal λ*."""
  conf, ratios = summary["rule_confusion"], summary["n_over_d2"]
  return [
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
                     + number_set(summary["agreement_by_rho_ty"]["values"])[1:-1].split(", "),
                     [["agreement"] + summary["agreement_by_rho_ty"]["agreement"]]),
      markdown_table(["rho_ts (teacher–student)"]
                     + number_set(summary["agreement_by_rho_ts"]["values"])[1:-1].split(", "),
                     [["agreement"] + summary["agreement_by_rho_ts"]["agreement"]]),
      "See `agreement.png` for the map over (rho_ts, rho_sy).\n",
      "## Optimal λ*\n",
      markdown_table(["n/d2", "λ* 25%", "λ* median", "λ* 75%", "median ΔR(λ*)/R0"],
                     [[f"{r:g}", *q, g] for r, q, g in
                      zip(ratios, summary["lam_star_quartiles_by_ratio"],
                          summary["relative_gain_star_median_by_ratio"])]),
  ]


def _simulation_section(summary: dict[str, Any]) -> list[str]:
  sim, lambdas = summary["simulation"], summary["lambdas"]
  return [
      "## Simulation check\n",
      markdown_table(["", *[f"λ={x:g}" for x in lambdas]],
                     [["simulated CI excludes 0"] + list(sim["decisive_share_by_lambda"])]
                     + ([["exact ΔR inside simulated 95% CI"]
                         + list(sim["exact_inside_ci_by_lambda"])]
                        if "exact_inside_ci_by_lambda" in sim else [])),
      f"Where the simulated CI excludes 0, its sign matches the exact sign in "
      f"{percent(sim['sign_matches_exact_when_decisive'])} of (cell, λ) pairs and the CCH "
      f"matches it in {percent(sim['cch_matches_sim_when_decisive'])}.\n",
      "## Plots\n",
      "![gain vs gap](gain_vs_gap.png)\n\n![lambda star](lambda_star.png)\n\n"
      "![agreement](agreement.png)\n",
  ]
