r"""Runs one peer MI estimator on saved cases; runs INSIDE a peer venv (never imports cch_jax).

  benchmarks/.peer_venvs/bmi/bin/python benchmarks/peers/run_peer.py \
      --cases cases.npz --method bmi_ksg --out bmi_ksg.json [--only id1,id2]

The .npz holds `x__<id>` (n, dx) and `y__<id>` ((n, dy) floats, or (n,) integer labels) per
case. The JSON written is {case_id: {value (nats, null on failure), seconds[, error]}} plus
"_meta": {method, settings, versions, first_call_seconds}. Seconds are time.perf_counter
wall time of one estimate; for the JAX peers (bmi_*) one warm-up estimate on the first case
runs first and its time is `first_call_seconds` (bmi's neural trainers re-jit their step on
every call, so compilation is part of every estimate anyway). Otherwise `first_call_seconds`
is the first case's time.

Methods and settings (the peers' defaults unless stated):
  bmi_ksg        bmi.estimators.KSGEnsembleFirstEstimator(): neighborhoods (5, 10), averaged;
                 standardize=True; Euclidean metric on x and on y; n_jobs=1, chunk_size=10.
  bmi_ksg_k3max  the same class with neighborhoods=(3,), metric chebyshev, standardize=False:
                 the speed-row setting, the same estimator as cch_jax ksg(k=3, norm="max").
  bmi_mine       bmi.estimators.MINEEstimator(verbose=False): MLP critic (16, 8), batch 256,
                 Adam lr 0.1, at most 10,000 steps, 50% held-out split tested every 250 steps
                 with early stopping, smoothing alpha 0.9, standardize=True, seed 42.
  bmi_infonce    bmi.estimators.InfoNCEEstimator(verbose=False): the same defaults.
  latentmi       latentmi.lmi.estimate(x, y, quiet=True, device="cpu"): AECross paired
                 autoencoders (hidden 1024), N_dims=8, batch 512, Adam lr 1e-4, at most 300
                 epochs with patience 30, validation split 0.5, KSG (k=3) on the held-out
                 half's latents; value = nanmean of its pointwise MI (bits) · ln 2.
                 np.random and torch seeded 0 per case.
  npeet_micd     NPEET's `micd` (continuous x, discrete y), k=3, in nats. NPEET is not on PyPI
                 (`pip download npeet` finds nothing), so this file re-implements it faithfully
                 with scikit-learn trees, as NPEET's entropy_estimators.py does:
                 I = |H(X) − Σ_y p(y) H(X | Y=y)| with the Kozachenko–Leonenko max-norm
                 entropy H = ψ(n) − ψ(k) + d·log 2 + d·mean(log r_k), r_k the k-th neighbour
                 Chebyshev distance (KDTree, BallTree when d ≥ 20), 1e-10 uniform noise added
                 to break ties, and H(X) used for a class with k or fewer samples. It agrees
                 with `micd` of the PyPI fork npeet-plus 0.2.0 to 1e-10 (checked by hand).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import io
import json
import math
import sys
import time
from collections.abc import Callable

import numpy as np

Estimate = Callable[[np.ndarray, np.ndarray], float]

SETTINGS = {
    "bmi_ksg": "KSGEnsembleFirstEstimator() defaults: k in (5, 10) averaged, standardized, "
               "Euclidean x and y",
    "bmi_ksg_k3max": "KSGEnsembleFirstEstimator(neighborhoods=(3,), standardize=False, "
                     "metric_x='chebyshev')",
    "bmi_mine": "MINEEstimator(verbose=False) defaults: critic (16, 8), batch 256, lr 0.1, "
                "<= 10,000 steps, 50% test split, early stopping",
    "bmi_infonce": "InfoNCEEstimator(verbose=False) defaults: critic (16, 8), batch 256, "
                   "lr 0.1, <= 10,000 steps, 50% test split, early stopping",
    "latentmi": "lmi.estimate defaults: AECross, N_dims=8, batch 512, lr 1e-4, <= 300 epochs, "
                "patience 30, 50% validation; bits -> nats",
    "npeet_micd": "NPEET micd re-implementation, k=3, max norm, nats",
}
PACKAGES = {"bmi": ("benchmark-mi", "jax", "jaxlib", "equinox", "optax", "numpy",
                    "scikit-learn"),
            "latentmi": ("latentmi", "torch", "numpy", "scikit-learn"),
            "npeet": ("numpy", "scipy", "scikit-learn")}


def _bmi(method: str) -> Estimate:
  from bmi import estimators  # only in the bmi venv

  def fit(x, y):
    if method == "bmi_ksg":
      est = estimators.KSGEnsembleFirstEstimator()
    elif method == "bmi_ksg_k3max":
      est = estimators.KSGEnsembleFirstEstimator(
          neighborhoods=(3,), standardize=False, metric_x="chebyshev")
    elif method == "bmi_mine":
      est = estimators.MINEEstimator(verbose=False)
    else:
      est = estimators.InfoNCEEstimator(verbose=False)
    return float(est.estimate(x, y))

  return fit


def _latentmi(x: np.ndarray, y: np.ndarray) -> float:
  import torch
  from latentmi import lmi

  np.random.seed(0)
  torch.manual_seed(0)
  with contextlib.redirect_stdout(io.StringIO()):  # it prints a progress line per epoch
    pmis, _, _ = lmi.estimate(x, y, quiet=True, device="cpu")
  return float(np.nanmean(pmis) * math.log(2))


def _kl_entropy(x: np.ndarray, k: int) -> float:
  """Kozachenko–Leonenko entropy (nats) with max-norm balls, as NPEET's `entropy`."""
  from scipy.special import digamma
  from sklearn.neighbors import BallTree, KDTree

  n, d = x.shape
  x = x + 1e-10 * np.random.random_sample(x.shape)
  tree = (BallTree if d >= 20 else KDTree)(x, metric="chebyshev")
  r_k = tree.query(x, k=k + 1)[0][:, k]
  return float(digamma(n) - digamma(k) + d * math.log(2) + d * np.mean(np.log(r_k)))


def npeet_micd(x: np.ndarray, labels: np.ndarray, k: int = 3) -> float:
  """NPEET's continuous–discrete MI I(X; Y) = |H(X) − Σ_y p(y) H(X | Y=y)| in nats."""
  np.random.seed(0)
  x = np.asarray(x, np.float64)
  labels = np.asarray(labels).reshape(len(labels), -1)
  h_x = _kl_entropy(x, k)
  classes, counts = np.unique(labels, return_counts=True, axis=0)
  h_x_given_y = 0.0
  for value, count in zip(classes, counts):
    members = x[(labels == value).all(axis=1)]
    h = _kl_entropy(members, k) if k <= len(members) - 1 else h_x
    h_x_given_y += count / len(labels) * h
  return abs(h_x - h_x_given_y)


def estimator(method: str) -> Estimate:
  if method.startswith("bmi_"):
    return _bmi(method)
  if method == "latentmi":
    return _latentmi
  if method == "npeet_micd":
    return npeet_micd
  raise ValueError(f"unknown method {method!r}; known: {sorted(SETTINGS)}")


def versions(method: str) -> dict[str, str]:
  group = "bmi" if method.startswith("bmi_") else method.split("_")[0]
  out = {"python": sys.version.split()[0]}
  for name in PACKAGES[group]:
    try:
      out[name] = importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
      out[name] = "missing"
  return out


def load_cases(path: str, only: str | None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
  data = np.load(path)
  ids = [key[3:] for key in data.files if key.startswith("x__")]
  if only:
    wanted = only.split(",")
    missing = sorted(set(wanted) - set(ids))
    if missing:
      raise KeyError(f"cases not in {path}: {missing}")
    ids = wanted
  return {i: (data[f"x__{i}"], data[f"y__{i}"]) for i in ids}


def timed(fn: Estimate, x: np.ndarray, y: np.ndarray) -> dict[str, object]:
  start = time.perf_counter()
  try:
    value = fn(x, y)
  except Exception as error:  # noqa: BLE001  (one failing case must not lose the others)
    return {"value": None, "seconds": time.perf_counter() - start,
            "error": f"{type(error).__name__}: {error}"}
  return {"value": value if math.isfinite(value) else None,
          "seconds": time.perf_counter() - start}


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--cases", required=True, help=".npz with x__<id>, y__<id>")
  parser.add_argument("--method", required=True, choices=sorted(SETTINGS))
  parser.add_argument("--out", required=True, help="JSON file to write")
  parser.add_argument("--only", help="comma-separated case ids (default: all)")
  args = parser.parse_args()
  fn = estimator(args.method)
  cases = load_cases(args.cases, args.only)
  results: dict[str, object] = {}
  first = None
  if args.method.startswith("bmi_") and cases:  # warm-up: JAX import, tracing, compiling
    first = timed(fn, *next(iter(cases.values())))["seconds"]
  for case_id, (x, y) in cases.items():
    results[case_id] = timed(fn, x, y)
    status = results[case_id]
    print(f"{args.method} {case_id}: {status['value']} ({status['seconds']:.2f} s)"
          f"{' ' + status['error'] if 'error' in status else ''}", file=sys.stderr, flush=True)
    if first is None:
      first = status["seconds"]
  results["_meta"] = {"method": args.method, "settings": SETTINGS[args.method],
                      "versions": versions(args.method), "first_call_seconds": first}
  with open(args.out, "w") as f:
    json.dump(results, f, indent=1)


if __name__ == "__main__":
  main()
