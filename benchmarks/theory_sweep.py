r"""Throughput and memory of the Gaussian theory sweep: jitted vmapped JAX vs a NumPy loop.

Peers, both Python loops over cells and seeds as such sweeps are usually written, doing the
same simulation as ours (per cell one Cholesky of the [x2, y, t] covariance; per seed one
training set, one solve of the normal equations for [y, t], the exact test risk at every λ):
  1. "raw samples": draws the n training samples and forms their Gram matrix;
  2. "Wishart": draws the Gram matrix's Cholesky factor directly (Bartlett), as ours does,
     so the ratio against it is what jit + vmap buys over a loop with the same algorithm.
All run on the same cells in the same process; the table reports simulations (cells ×
seeds) per second, the median of several repeats, and ratios.

  python benchmarks/theory_sweep.py                 # throughput + memory tables
  python benchmarks/theory_sweep.py --memory_cells=4000   # (internal) one memory probe
"""

import argparse
import functools
import platform
import resource
import subprocess
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, __file__.rsplit("/benchmarks/", 1)[0])
from cch_jax import theory  # noqa: E402
from cch_jax.utils import chunked  # noqa: E402

D1, D2, N, SEEDS = 4, 8, 32, 50
LAMBDAS = np.array([0.1, 0.25, 0.5, 0.75, 1.0], np.float32)


def numpy_sweep(sigmas: np.ndarray, wishart: bool = False, seed: int = 0) -> np.ndarray:
  """Mean simulated risk gains and their spread (C, L + 1) by explicit loops: the peers."""
  rng = np.random.default_rng(seed)
  out = np.empty((len(sigmas), len(LAMBDAS) + 1))
  for c, sigma in enumerate(sigmas):
    sigma = sigma.astype(np.float64)
    w1 = np.linalg.solve(sigma[:D1, :D1], sigma[:D1, -1])
    proj = np.zeros((D2 + 2, D1 + D2 + 1))
    proj[:D2 + 1, D1:] = np.eye(D2 + 1)
    proj[-1, :D1] = w1
    factor = np.linalg.cholesky(proj @ sigma @ proj.T)
    s22, s2y = factor[:D2] @ factor[:D2].T, (factor[:D2] @ factor[D2])
    var_y = factor[D2] @ factor[D2]
    lams = np.concatenate([[0.0], LAMBDAS])
    gains = np.empty((SEEDS, len(LAMBDAS)))
    for s in range(SEEDS):
      if wishart:  # Gram factor L·A, A = Bartlett factor; ŵ = M22⁻ᵀ M[d2:, :d2]ᵀ
        a = np.tril(rng.standard_normal((D2 + 2, D2 + 2)), -1)
        a[np.diag_indices(D2 + 2)] = np.sqrt(rng.chisquare(N - np.arange(D2 + 2)))
        m = factor @ a
        w_y, w_t = np.linalg.solve(m[:D2, :D2].T, m[D2:, :D2].T).T
      else:
        v = rng.standard_normal((N, D2 + 2)) @ factor.T
        x2 = v[:, :D2]
        w_y, w_t = np.linalg.solve(x2.T @ x2, x2.T @ v[:, D2:]).T
      weights = w_y + lams[:, None] * (w_t - w_y)
      risk = var_y - 2 * weights @ s2y + np.einsum("li,ij,lj->l", weights, s22, weights)
      gains[s] = risk[0] - risk[1:]
    out[c, :-1] = gains.mean(0)
    out[c, -1] = gains.std()
  return out


def jax_sweep(sigmas: np.ndarray, chunk_size: int = 512) -> dict:
  fn = functools.partial(theory.sweep_cells, jax.random.key(0), d1=D1, d2=D2, n=N,
                         lambdas=jnp.asarray(LAMBDAS), n_seeds=SEEDS)
  cells = len(sigmas)
  return chunked.map_in_chunks(fn, sigmas, np.ones(cells, np.float32),
                               np.ones(cells, bool), chunk_size=chunk_size)


def default_grid_sigmas() -> np.ndarray:
  grid = theory.correlation_grid(np.linspace(-0.9, 0.9, 13), np.linspace(0.1, 0.9, 9),
                                 np.linspace(0.1, 0.9, 9), d1=D1, d2=D2)
  return grid.sigma[grid.valid]


def _median_seconds(fn, repeats: int) -> float:
  times = []
  for _ in range(repeats):
    start = time.perf_counter()
    fn()
    times.append(time.perf_counter() - start)
  return float(np.median(times))


def throughput() -> None:
  sigmas = default_grid_sigmas()
  sims = len(sigmas) * SEEDS
  first = _median_seconds(lambda: jax_sweep(sigmas), 1)  # includes compilation
  steady = _median_seconds(lambda: jax_sweep(sigmas), 15)
  peer = _median_seconds(lambda: numpy_sweep(sigmas), 3)
  peer_wishart = _median_seconds(lambda: numpy_sweep(sigmas, wishart=True), 3)
  print(f"\nGrid: {len(sigmas)} valid cells × {SEEDS} seeds = {sims:,} simulations; "
        f"d1={D1}, d2={D2}, n={N}, {len(LAMBDAS)} λ; {jax.default_backend()}, "
        f"{jax.local_device_count()} device(s); {platform.processor() or platform.machine()}\n")
  print("| implementation | seconds | simulations/s | vs NumPy loop, raw samples | "
        "vs NumPy loop, Wishart |")
  print("|---|---|---|---|---|")
  for name, sec in (("NumPy loop, raw samples (peer)", peer),
                    ("NumPy loop, Wishart (peer)", peer_wishart),
                    ("cch_jax, first call incl. compile", first),
                    ("cch_jax, compiled (median of 15)", steady)):
    print(f"| {name} | {sec:.3f} | {sims / sec:,.0f} | {peer / sec:.1f}× | "
          f"{peer_wishart / sec:.1f}× |")


def memory_probe(cells: int) -> None:
  """Runs a sweep over `cells` cells (tiled default grid) and prints peak RSS in MiB."""
  base = default_grid_sigmas()
  sigmas = np.tile(base, (-(-cells // len(base)), 1, 1))[:cells]
  start = time.perf_counter()
  jax_sweep(sigmas)
  seconds = time.perf_counter() - start
  print(f"{cells} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} {seconds:.1f}")


def memory() -> None:
  print("\n| grid cells | simulations | peak RSS (MiB) | seconds (incl. compile) |")
  print("|---|---|---|---|")
  for cells in (1_000, 4_000, 16_000, 64_000):
    out = subprocess.run([sys.executable, __file__, f"--memory_cells={cells}"],
                         capture_output=True, text=True, check=True).stdout.split()
    print(f"| {cells:,} | {cells * SEEDS:,} | {out[1]} | {out[2]} |")


if __name__ == "__main__":
  parser = argparse.ArgumentParser()
  parser.add_argument("--memory_cells", type=int, default=0)
  args = parser.parse_args()
  if args.memory_cells:
    memory_probe(args.memory_cells)
  else:
    throughput()
    memory()
