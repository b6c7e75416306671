r"""Accuracy and time of each cch_jax MI estimator on the ground-truth task library.

Error = estimate − truth (nats), mean over seeds; time = seconds per estimate after
compilation. Reproduces the accuracy figures quoted in README.

  python benchmarks/mi_tasks.py              # Gaussian bias check + the whole table
  python benchmarks/mi_tasks.py --bias_only  # seconds
"""

import argparse
import sys
import time

import jax
import numpy as np

sys.path.insert(0, __file__.rsplit("/benchmarks/", 1)[0])
from cch_jax import mi  # noqa: E402
from cch_jax.mi import tasks  # noqa: E402
from cch_jax.utils import stats  # noqa: E402

CONTINUOUS = ("gaussian", "copula", "ksg", "smile", "infonce")
LABELS = ("label_knn", "label_probe")
SEEDS = 3


def run(task, method, n):
  errors, times = [], []
  for s in range(SEEDS):
    x, y = task.sample(jax.random.key(s), n)
    y = np.asarray(y)
    mi.estimate(x, y, method, n_resamples=0)  # compile
    start = time.perf_counter()
    value = mi.estimate(x, y, method, n_resamples=0).value
    times.append(time.perf_counter() - start)
    errors.append(value - task.mi)
  return float(np.mean(errors)), float(np.median(times))


def gaussian_bias(n: int = 20_000, dim: int = 32, seeds: int = 5) -> None:
  """Bias of the Gaussian estimator with and without the Wishart correction."""
  task = tasks.gaussian_task(tasks.dense_covariance(dim, dim, 0.3), dim, "g")
  plug, corrected = [], []
  for s in range(seeds):
    x, y = task.sample(jax.random.key(s), n)
    plug.append(float(mi.gaussian_mi(x, y, bias_correction=False)) - task.mi)
    corrected.append(float(mi.gaussian_mi(x, y)) - task.mi)
  print(f"\nGaussian estimator, {dim}+{dim} dims (dense, rho = 0.3, truth {task.mi:.3f}), "
        f"n = {n:,}, {seeds} seeds: plug-in bias {np.mean(plug):+.4f}, corrected bias "
        f"{np.mean(corrected):+.4f} ± {stats.standard_error(corrected):.4f} nats")


def main() -> None:
  parser = argparse.ArgumentParser()
  parser.add_argument("--bias_only", action="store_true", help="only the Gaussian bias check")
  args = parser.parse_args()
  gaussian_bias()
  if args.bias_only:
    return
  library = tasks.task_library()
  print(f"\n{SEEDS} seeds per cell; error = mean(estimate − truth) in nats (seconds per "
        "estimate, compiled)\n")
  print("| task | truth | n | " + " | ".join(CONTINUOUS + LABELS) + " |")
  print("|---|---|---|" + "---|" * (len(CONTINUOUS) + len(LABELS)))
  for name, task in library.items():
    methods = LABELS if task.labels else CONTINUOUS
    n = 10_000 if task.labels else 5_000
    cells = {m: run(task, m, n) for m in methods}
    row = [f"{cells[m][0]:+.3f} ({cells[m][1]:.2f}s)" if m in cells else "–"
           for m in CONTINUOUS + LABELS]
    print(f"| {name} | {task.mi:.3f} | {n:,} | " + " | ".join(row) + " |")


if __name__ == "__main__":
  main()
