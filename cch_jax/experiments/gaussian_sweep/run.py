"""Gaussian theory sweep: CCH sign vs exact and simulated KD risk gain over a grid.

Per cell (correlation triple × teacher scale × n/d2 ratio): the CCH gap
I(t; w*ᵀx2) − I(w*ᵀx2; y), the exact gain ΔR(λ) = R0 − R(λ), its paired Monte Carlo
estimate over seeds with a 95% CI, λ* and the exact rule's margin Cov(y, y − t | x2).
Writes results.json, cells.npz, report.md and three PNG plots.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from absl import logging

from cch_jax import theory
from cch_jax.experiments.common import workdir as wd
from cch_jax.experiments.gaussian_sweep import plots, report, results as results_lib
from cch_jax.utils import chunked, files, progress


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


def run(config: ml_collections.ConfigDict, workdir: str) -> dict[str, Any]:
  """Runs the sweep and writes results.json, cells.npz, report.md and plots to workdir."""
  table = compute(config)
  summary = results_lib.summarise(table, config.report_lambda,
                                  exact_simulation=config.sweep.alpha == 0)
  headline = report.headline(summary)
  results = {"experiment": "gaussian_sweep", "headline": headline, "summary": summary,
             "metadata": files.run_metadata()}
  wd.write_outputs(workdir, {
      "results.json": lambda p: files.write_json(p, results),
      "cells.npz": lambda p: np.savez_compressed(p, **table),
      "report.md": lambda p: files.write_text(p, report.markdown(summary, config)),
      **{name: lambda p, draw=draw: draw(table, summary, p)
         for name, draw in plots.PLOTS.items()}})
  logging.info("%s", headline)
  print(headline, flush=True)
  return summary
