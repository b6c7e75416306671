"""Gaussian theory sweep: CCH sign vs exact and simulated KD risk gain over a grid.

Per cell (correlation triple × teacher scale × n/d2 ratio): the CCH gap
I(t; w*ᵀx2) − I(w*ᵀx2; y), the exact gain ΔR(λ) = R0 − R(λ), its paired Monte Carlo
estimate over seeds with a 95% CI, λ* and the exact rule's margin Cov(y, y − t | x2).
Writes results.json, cells.npz, report.md and three PNG plots.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from absl import logging

from cch_jax import theory
from cch_jax.experiments import gaussian_sweep_report as report
from cch_jax.experiments.registry import EXPERIMENTS
from cch_jax.utils import chunked, progress
from cch_jax.utils import report as io

# |gap| at or below this (nats) counts as a tie: the CCH's strict inequality fails.
GAP_TIE = 1e-5


def training_sizes(ratios: tuple[float, ...], d2: int) -> list[int]:
  """n = round(ratio · d2) for each ratio; each must exceed d2 + 1 for the exact risk."""
  sizes = [int(round(r * d2)) for r in ratios]
  bad = [r for r, n in zip(ratios, sizes) if n <= d2 + 1]
  if bad:
    raise ValueError(f"config.sweep.n_over_d2: ratios {bad} give n <= d2 + 1 = {d2 + 1}; "
                     "the exact risk needs more samples than features + 1")
  return sizes


def compute(config: ml_collections.ConfigDict) -> dict[str, np.ndarray]:
  """Runs the sweep; returns per-cell arrays with a leading (ratio, cell) pair of axes.

  Returns:
    Dict with 'gap', 'gain', 'sim_gain', ... of shape (R, C[, L]) (see
    `theory.sweep_cells`), plus cell coordinates 'rho_ts', 'rho_sy', 'rho_ty',
    'teacher_scale', 'valid' (C,) and axes 'n', 'n_over_d2' (R,), 'lambdas' (L,).
  """
  g, s = config.grid, config.sweep
  grid = theory.correlation_grid(g.rho_ts, g.rho_sy, g.rho_ty, d1=g.d1, d2=g.d2)
  scales = np.asarray(s.teacher_scales, np.float32)
  if scales.ndim != 1 or scales.size == 0 or not np.all(np.isfinite(scales)):
    raise ValueError(f"config.sweep.teacher_scales: expected finite numbers, got {scales}")
  lambdas = np.asarray(s.lambdas, np.float32)
  if lambdas.ndim != 1 or lambdas.size == 0 or np.any((lambdas <= 0) | (lambdas > 1)):
    raise ValueError(f"config.sweep.lambdas: expected KD weights in (0, 1], got {s.lambdas}")
  if s.n_seeds < 2:
    raise ValueError(f"config.sweep.n_seeds: need >= 2 seeds for a CI, got {s.n_seeds}")
  sizes = training_sizes(tuple(s.n_over_d2), g.d2)

  k = len(scales)  # cells: every correlation triple × every teacher scale
  cells = {
      "sigma": np.repeat(grid.sigma, k, axis=0),
      "teacher_scale": np.tile(scales, grid.n_cells),
      "valid": np.repeat(grid.valid, k),
  }
  logging.info("gaussian_sweep: %d correlation triples (%d invalid) x %d teacher scales x "
               "%d ratios, %d seeds, %d devices", grid.n_cells, grid.n_invalid, k,
               len(sizes), s.n_seeds, len(jax.local_devices()))
  key = jax.random.key(config.seed)
  per_ratio = []
  for i, (ratio, n) in enumerate(zip(s.n_over_d2, sizes)):
    fn = functools.partial(
        theory.sweep_cells, jax.random.fold_in(key, i), d1=g.d1, d2=g.d2, n=n,
        lambdas=jnp.asarray(lambdas), n_seeds=s.n_seeds, alpha=s.alpha,
        n_test=s.n_test or None)
    per_ratio.append(chunked.map_in_chunks(
        fn, cells["sigma"], cells["teacher_scale"],
        cells["valid"], chunk_size=s.chunk_size,
        on_chunk=progress.Progress(f"n/d2={ratio:g} (n={n})", unit="cells")))

  table = {name: np.stack([out[name] for out in per_ratio]) for name in per_ratio[0]}
  table.update(
      rho_ts=np.repeat(grid.rho_ts, k), rho_sy=np.repeat(grid.rho_sy, k),
      rho_ty=np.repeat(grid.rho_ty, k), teacher_scale=cells["teacher_scale"],
      valid=cells["valid"], n=np.asarray(sizes), n_over_d2=np.asarray(s.n_over_d2),
      lambdas=lambdas)
  return table


def summarise(table: dict[str, np.ndarray], report_lambda: float,
              exact_simulation: bool = True) -> dict[str, Any]:
  """Agreement rates of the CCH with the exact gain, the exact rule and the simulation.

  Args:
    table: output of `compute`.
    report_lambda: the λ quoted in the headline (must be one of table['lambdas']).
    exact_simulation: False when the simulated student is not the one the exact formula
      describes (ridge), which skips the calibration check.

  Returns:
    A JSON-ready dict of counts, rates and per-(ratio, λ) tables.
  """
  lambdas, ratios, valid = table["lambdas"], table["n_over_d2"], table["valid"]
  if not np.any(np.isclose(lambdas, report_lambda)):
    raise ValueError(f"config.report_lambda: {report_lambda} is not one of the swept "
                     f"lambdas {lambdas.tolist()}")
  li = int(np.argmin(np.abs(lambdas - report_lambda)))
  gap = table["gap"][:, valid]  # (R, V)
  gain = table["gain"][:, valid]  # (R, V, L)
  cch_go = gap > GAP_TIE
  helps = gain > 0
  agree = cch_go[..., None] == helps  # (R, V, L)
  rule = table["margin"][:, valid] > 0  # exact rule: some λ helps (n-independent)

  sim, se = table["sim_gain"][:, valid, :-1], table["sim_gain_se"][:, valid, :-1]
  decisive = np.abs(sim) > theory.sweep.Z95 * se  # simulated CI excludes 0
  summary = {
      "counts": {
          "teacher_scales": int(len(np.unique(table["teacher_scale"]))),
          "cells_per_ratio": int(len(valid)), "valid_cells_per_ratio": int(valid.sum()),
          "invalid_cells_per_ratio": int((~valid).sum()), "ratios": len(ratios),
          "valid_cells": int(valid.sum() * len(ratios)), "lambdas": len(lambdas),
          "gap_ties": int(np.sum(np.abs(gap) <= GAP_TIE)),
      },
      "lambdas": lambdas, "n_over_d2": ratios, "n": table["n"],
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
      "agreement_by_rho_ty": _agreement_by(table["rho_ty"][valid], agree[..., li]),
      "agreement_by_rho_ts": _agreement_by(table["rho_ts"][valid], agree[..., li]),
      "simulation": {
          "decisive_share_by_lambda": decisive.mean(axis=(0, 1)),
          "sign_matches_exact_when_decisive": float(
              (np.sign(sim) == np.sign(gain))[decisive].mean()) if decisive.any() else None,
          "cch_matches_sim_when_decisive": float(
              (cch_go[..., None] == (sim > 0))[decisive].mean()) if decisive.any() else None,
      },
  }
  if exact_simulation:
    inside = np.abs(sim - gain) <= theory.sweep.Z95 * se
    summary["simulation"]["exact_inside_ci_by_lambda"] = inside.mean(axis=(0, 1))
  return summary


def _agreement_by(values: np.ndarray, agree: np.ndarray) -> dict[str, list[float]]:
  """Agreement rate (R, V) -> per distinct value of a cell coordinate (V,)."""
  keys = np.unique(values)
  return {"values": keys, "agreement": [float(agree[:, values == k].mean()) for k in keys]}


@EXPERIMENTS.register("gaussian_sweep")
def run(config: ml_collections.ConfigDict, workdir: str) -> dict[str, Any]:
  """Runs the sweep and writes results.json, cells.npz, report.md and plots to workdir."""
  table = compute(config)
  summary = summarise(table, config.report_lambda, exact_simulation=config.sweep.alpha == 0)
  headline = report.headline(summary)
  if jax.process_index() == 0:
    results = {"experiment": "gaussian_sweep", "headline": headline, "summary": summary,
               "metadata": io.run_metadata()}
    io.write_json(os.path.join(workdir, "results.json"), results)
    np.savez_compressed(os.path.join(workdir, "cells.npz"), **table)
    io.write_text(os.path.join(workdir, "report.md"), report.markdown(summary, config))
    report.plot_all(table, summary, workdir)
  logging.info("%s", headline)
  print(headline, flush=True)
  return summary
