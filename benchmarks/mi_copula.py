r"""Gaussian-copula MI against the Gaussian and KSG (k = 3) estimators on tasks with known MI.

Two sets of tasks, 10 draws each (keys 1000..1009; the same draws for every estimator):
the continuous tasks of `mi.tasks.task_library()` at n = 5,000, and the calibration tasks of
`pipeline.calibration` (8+8 dims, n = 700, the true MI at its LEVELS spread over 8 canonical
pairs), plain and after per-coordinate monotone maps (half_cube, normal_cdf). Prints one
markdown table: bias = mean(estimate − truth) ± its standard error, the sd over draws and
the RMSE, all in nats, and the median seconds per estimate (compiled).

  python benchmarks/mi_copula.py            # both sets (~3 min on 2 CPU cores)
  python benchmarks/mi_copula.py --quick    # 3 draws, calibration tasks only
"""

import argparse
import sys
import time

import jax
import numpy as np

sys.path.insert(0, __file__.rsplit("/benchmarks/", 1)[0])
from cch_jax import mi  # noqa: E402
from cch_jax.mi import tasks  # noqa: E402
from cch_jax.pipeline import calibration  # noqa: E402
from cch_jax.utils import stats  # noqa: E402

METHODS = {"copula": {}, "gaussian": {}, "ksg": {"k": 3}}
TRANSFORMS = ("half_cube", "normal_cdf")


def measure(task: tasks.Task, n: int, draws: int) -> dict[str, dict[str, float]]:
  """Per method: bias, its se, sd and RMSE over `draws` draws (nats); median seconds."""
  errors = {m: [] for m in METHODS}
  seconds = {m: [] for m in METHODS}
  for s in range(draws):
    x, y = (np.asarray(a) for a in task.sample(jax.random.key(1000 + s), n))
    for method, options in METHODS.items():
      if s == 0:
        mi.estimate(x, y, method, n_resamples=0, **options)  # compile
      start = time.perf_counter()
      value = mi.estimate(x, y, method, n_resamples=0, **options).value
      seconds[method].append(time.perf_counter() - start)
      errors[method].append(value - task.mi)
  return {m: {"bias": float(np.mean(e)), "se": stats.standard_error(e),
              "sd": float(np.std(e, ddof=1)), "rmse": float(np.sqrt(np.mean(np.square(e)))),
              "seconds": float(np.median(seconds[m]))} for m, e in errors.items()}


def task_sets(quick: bool) -> list[tuple[tasks.Task, int]]:
  """(task, n) pairs: the library's continuous tasks, then the calibration tasks."""
  out = []
  if not quick:
    out += [(t, 5_000) for t in tasks.task_library().values() if not t.labels]
  for level in calibration.LEVELS:
    task = calibration._gaussian_task(8, 8, level)  # the tasks `calibrate` runs
    out += [(task, 700)] + [(tasks.transformed(task, t), 700) for t in TRANSFORMS]
  return out


def main() -> None:
  parser = argparse.ArgumentParser()
  parser.add_argument("--quick", action="store_true", help="3 draws, calibration tasks only")
  parser.add_argument("--draws", type=int, default=10)
  args = parser.parse_args()
  draws = 3 if args.quick else args.draws
  print(f"{draws} draws per task; bias = mean(estimate − truth) ± se, sd over draws, RMSE "
        "(nats); s = median seconds per estimate, compiled\n")
  head = " | ".join(f"{m} bias ± se | {m} sd | {m} RMSE" for m in METHODS)
  print(f"| task | truth | n | {head} | s ({', '.join(METHODS)}) |")
  print("|---|---|---|" + "---|" * (3 * len(METHODS) + 1))
  start = time.perf_counter()
  for task, n in task_sets(args.quick):
    r = measure(task, n, draws)
    cells = " | ".join(f"{r[m]['bias']:+.3f} ± {r[m]['se']:.3f} | {r[m]['sd']:.3f} | "
                       f"{r[m]['rmse']:.3f}" for m in METHODS)
    secs = ", ".join(f"{r[m]['seconds']:.3f}" for m in METHODS)
    print(f"| {task.name} | {task.mi:.3f} | {n:,} | {cells} | {secs} |", flush=True)
  print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
  main()
