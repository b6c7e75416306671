r"""The dense 5+5 Gaussian targets of the MI issue: trained estimators at their defaults on
10 fresh samples of `gauss-5x5-dense` (n = 5,000, every correlation ρ = 0.5, truth 0.593
nats): mean error, mean absolute error and median seconds per estimate (compiled once
first). Targets: MINE and SMILE MAE ≤ 0.03 in ≤ 2 s; latent MI error ≤ 0.01 in ≤ 20 s.

  python benchmarks/mi_dense.py                        # defaults of every trained method
  python benchmarks/mi_dense.py --methods latent --options '{"latent": 2}'
  python benchmarks/mi_dense.py --methods latent --peers latentmi --samples 3   # make peers
"""

import argparse
import json
import os
import platform
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import jax  # noqa: E402
import numpy as np  # noqa: E402

from cch_jax import mi  # noqa: E402
from cch_jax.mi import tasks  # noqa: E402
from mi_peers import PEERS, run_peer  # noqa: E402


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument("--methods", default="mine,smile,infonce,nwj,latent")
  parser.add_argument("--options", default="{}", help="JSON options for every method")
  parser.add_argument("--samples", type=int, default=10)
  parser.add_argument("--peers", default="", help=f"also run these on the same samples, of "
                      f"{', '.join(PEERS)} (their venvs: `make peers`)")
  args = parser.parse_args()
  options = json.loads(args.options)
  task = tasks.task_library()["gauss-5x5-dense"]
  samples = [tuple(np.asarray(a) for a in task.sample(jax.random.key(100 + s), 5000))
             for s in range(args.samples)]
  print(f"{platform.machine()}, {os.cpu_count()} cores, JAX {jax.__version__}; "
        f"gauss-5x5-dense, n = 5,000, truth {task.mi:.3f} nats, {args.samples} samples, "
        f"options {options or 'defaults'}\n")
  print("| method | mean error | MAE | max abs error | s / estimate (median) |")
  print("|---|---|---|---|---|")
  for method in filter(None, args.methods.split(",")):
    mi.estimate(*samples[0], method, key=jax.random.key(0), **options)  # compile
    errors, seconds = [], []
    for i, (x, y) in enumerate(samples):
      t0 = time.perf_counter()
      est = mi.estimate(x, y, method, key=jax.random.key(i), **options)
      seconds.append(time.perf_counter() - t0)
      errors.append(est.value - task.mi)
    errors = np.asarray(errors)
    print(f"| {method} | {errors.mean():+.4f} | {np.abs(errors).mean():.4f} | "
          f"{np.abs(errors).max():.4f} | {np.median(seconds):.2f} |", flush=True)
  for peer in filter(None, args.peers.split(",")):
    with tempfile.TemporaryDirectory() as workdir:
      ids = [f"s{i}" for i in range(len(samples))]
      np.savez(f"{workdir}/cases.npz", **{f"{v}__{i}": a for i, xy in zip(ids, samples)
                                           for v, a in zip("xy", xy)})
      out = run_peer(peer, peer, f"{workdir}/cases.npz", ids, workdir)
    if out:
      errors = np.asarray([out[i]["value"] - task.mi for i in ids])
      seconds = [out[i]["seconds"] for i in ids]
      print(f"| *{peer}* | {errors.mean():+.4f} | {np.abs(errors).mean():.4f} | "
            f"{np.abs(errors).max():.4f} | {np.median(seconds):.2f} |", flush=True)


if __name__ == "__main__":
  main()
