"""Agreement of the CCH with the exact and simulated KD gain over the sweep's cells
(pure: the per-cell table in, a JSON-ready summary out)."""

from __future__ import annotations

from typing import Any

import numpy as np

from cch_jax.utils import stats

# |gap| at or below this (nats) counts as a tie: the CCH's strict inequality fails.
GAP_TIE = 1e-5


def summarise(table: dict[str, np.ndarray], report_lambda: float,
              exact_simulation: bool = True) -> dict[str, Any]:
  """Agreement rates of the CCH with the exact gain, the exact rule and the simulation.

  Args:
    table: output of `run.compute`: per-cell arrays (R ratios, C cells[, L lambdas]).
    report_lambda: the λ quoted in the headline (must be one of table['lambdas']).
    exact_simulation: False when the simulated student is not the one the exact formula
      describes (ridge), which skips the calibration check.

  Returns:
    A JSON-ready dict of counts, rates and per-(ratio, λ) tables.
  """
  lambdas, valid = table["lambdas"], table["valid"]
  if not np.any(np.isclose(lambdas, report_lambda)):
    raise ValueError(f"config.report_lambda: {report_lambda} is not one of the swept "
                     f"lambdas {lambdas.tolist()}")
  li = int(np.argmin(np.abs(lambdas - report_lambda)))
  gap = table["gap"][:, valid]  # (R, V)
  cch_go = gap > GAP_TIE
  helps = table["gain"][:, valid] > 0  # (R, V, L)
  agree = cch_go[..., None] == helps  # (R, V, L)
  rule = table["margin"][:, valid] > 0  # exact rule: some λ helps (n-independent)
  return {
      "counts": _counts(table, gap),
      "lambdas": lambdas, "n_over_d2": table["n_over_d2"], "n": table["n"],
      "report_lambda": float(lambdas[li]),
      "agreement_cch_vs_exact": float(agree[..., li].mean()),
      "agreement_by_ratio_lambda": agree.mean(axis=1),  # (R, L)
      "agreement_by_lambda": agree.mean(axis=(0, 1)),  # (L,)
      "false_go_by_lambda": (cch_go[..., None] & ~helps).mean(axis=(0, 1)),
      "missed_by_lambda": (~cch_go[..., None] & helps).mean(axis=(0, 1)),
      "agreement_cch_vs_rule": float((cch_go == rule).mean()),
      "rule_confusion": {  # rows: CCH says distil / not; columns: exact rule helps / not
          "cch_go_rule_helps": int((cch_go & rule).sum()),
          "cch_go_rule_hurts": int((cch_go & ~rule).sum()),
          "cch_no_rule_helps": int((~cch_go & rule).sum()),
          "cch_no_rule_hurts": int((~cch_go & ~rule).sum()),
      },
      "exact_rule_share_helps": float(rule.mean()),
      "lam_star_quartiles_by_ratio": np.nanpercentile(
          table["lam_star"][:, valid], [25, 50, 75], axis=1).T,  # (R, 3)
      "relative_gain_star_median_by_ratio": np.nanmedian(
          table["gain_star"][:, valid] / table["r0"][:, valid], axis=1),
      "agreement_by_rho_ty": agreement_by(table["rho_ty"][valid], agree[..., li]),
      "agreement_by_rho_ts": agreement_by(table["rho_ts"][valid], agree[..., li]),
      "simulation": _simulation(table, cch_go, exact_simulation),
  }


def _counts(table: dict[str, np.ndarray], gap: np.ndarray) -> dict[str, int]:
  valid = table["valid"]
  return {"teacher_scales": int(len(np.unique(table["teacher_scale"]))),
          "cells_per_ratio": int(len(valid)), "valid_cells_per_ratio": int(valid.sum()),
          "invalid_cells_per_ratio": int((~valid).sum()), "ratios": len(table["n_over_d2"]),
          "valid_cells": int(valid.sum() * len(table["n_over_d2"])),
          "lambdas": len(table["lambdas"]),
          "gap_ties": int(np.sum(np.abs(gap) <= GAP_TIE))}


def _simulation(table: dict[str, np.ndarray], cch_go: np.ndarray, exact_simulation: bool
                ) -> dict[str, Any]:
  """How the simulated gains (the last λ column is λ* and is left out) compare with the
  exact ones and with the CCH, where the simulated 95% CI excludes 0."""
  valid = table["valid"]
  gain = table["gain"][:, valid]
  sim, se = table["sim_gain"][:, valid, :-1], table["sim_gain_se"][:, valid, :-1]
  decisive = stats.ci_side(*stats.z_interval(sim, se)) != 0  # simulated CI excludes 0
  out = {
      "decisive_share_by_lambda": decisive.mean(axis=(0, 1)),
      "sign_matches_exact_when_decisive": float(
          (np.sign(sim) == np.sign(gain))[decisive].mean()) if decisive.any() else None,
      "cch_matches_sim_when_decisive": float(
          (cch_go[..., None] == (sim > 0))[decisive].mean()) if decisive.any() else None,
  }
  if exact_simulation:
    low, high = stats.z_interval(sim - gain, se)
    inside = (low <= 0) & (high >= 0)  # NaN: not inside
    out["exact_inside_ci_by_lambda"] = inside.mean(axis=(0, 1))
  return out


def agreement_by(values: np.ndarray, agree: np.ndarray) -> dict[str, Any]:
  """Agreement rate (R, V) -> per distinct value of a cell coordinate (V,)."""
  keys = np.unique(values)
  return {"values": keys, "agreement": [float(agree[:, values == k].mean()) for k in keys]}
