r"""Analysis alone (no KD training) of one teacher/student pair: encoders trained on their
own views, representations of the held-out rows, the CCH terms with CIs from latent MI and
KSG (label term by kNN), the verdict, on one split without the bias calibration (the
studies' defaults are now 5 splits, copula and KSG, calibrated). Wall time per stage of
`study.run.run` with `train=False`, in one process, the first run cold (compilation included: what a user
waits for) and the second warm.

Workloads: the MFH-style synthetic generator at n = 2,000 (10 classes, two 24-d vector
views, MLP encoders; 800 analysis rows) and the embedded digits (1,797 images, clean
teacher and MNIST-M-style student; 719 analysis rows). No peer computes these terms; the
target is < 60 s per pair on a 2-core CPU.

  python benchmarks/cch_analysis.py
"""

import os
import platform
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax  # noqa: E402
from absl import logging  # noqa: E402

from cch_jax.experiments.study import run as study  # noqa: E402
from cch_jax.experiments.study.config import study_config  # noqa: E402


def workloads():
  synthetic = study_config("cch_pair", teacher="a", student="b")
  synthetic.data.name = "synthetic"
  synthetic.data.synthetic.update(n=2000, n_classes=10, d_shared=8, d_private_a=4,
                                  d_private_b=4, d_noise_a=8, d_noise_b=8)
  digits = study_config("cch_pair", teacher="clean", student="mnistm")
  for config in (synthetic, digits):  # what the recorded figures measured
    config.update(train=False, splits=1)
    config.analysis.update(estimators="latent,ksg", calibrate=False)
  return {"synthetic n=2000": synthetic, "digits n=1797": digits}


def main():
  logging.set_verbosity(logging.WARNING)
  rows = []
  for name, config in workloads().items():
    for attempt in ("cold", "warm"):
      with tempfile.TemporaryDirectory() as workdir:
        t0 = time.perf_counter()
        results = study.run(config, workdir)
        total = time.perf_counter() - t0
      s = results["seconds"]
      rows.append((name, attempt, results["analysis"]["n"], s["teachers"],
                   s["student_encoder"], s["analysis"], total, results["verdict"],
                   results["gap"]["value"]))
  print(f"\n{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"JAX {jax.__version__} on {jax.default_backend()}\n")
  print("| workload | run | analysis rows | teacher s | student s | analysis s | total s | "
        "verdict | gap (nats) |")
  print("|---|---|---|---|---|---|---|---|---|")
  for r in rows:
    print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]:.1f} | {r[4]:.1f} | {r[5]:.1f} | "
          f"{r[6]:.1f} | {r[7]} | {r[8]:+.3f} |")


if __name__ == "__main__":
  main()
