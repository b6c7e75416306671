r"""cch_jax's MI estimators vs peer packages on the same samples, in the same run.

Peers (each in its own venv, built by `make peers` = benchmarks/peers/setup.sh, and run by
benchmarks/peers/run_peer.py, which states their settings):
  bmi_ksg, bmi_mine, bmi_infonce  benchmark-mi 0.1.3 (Czyż et al.; jax 0.4.30), defaults
  latentmi                        latentmi 0.1.3 (Gowri et al. 2024; CPU torch), defaults;
                                  slow (minutes per estimate), so seed 0 of LATENTMI_TASKS only
  npeet_micd                      NPEET's continuous–discrete label MI (re-implemented: NPEET
                                  is not on PyPI), k=3, for the label tasks
  npeet_ksg                       the NPEET-style tree KSG of mi_ksg.py (k=3, max norms),
                                  in this venv
Each task of the library is sampled with seeds 0, 1, 2 (n = 5,000 continuous, 10,000 labels);
every registered cch_jax method that applies runs on the same arrays (compiled once per task
first; seconds are per estimate after that). Speed rows: KSG n=20,000 16+16 dims (k=3, max
norm), MINE and latentmi on gauss-5x5-dense (n=5,000, rho=0.5), NPEET on classes-32d-10.

  make peers && python benchmarks/mi_peers.py            # all (~70 min on 2 cores, half latentmi)
  python benchmarks/mi_peers.py --quick                  # 1 seed, 3 tasks, no latentmi
  python benchmarks/mi_peers.py --peers bmi_ksg,npeet_micd
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import jax
import numpy as np

ROOT = __file__.rsplit("/benchmarks/", 1)[0]
sys.path.insert(0, ROOT)
sys.path.insert(0, f"{ROOT}/benchmarks")
from cch_jax import mi  # noqa: E402
from cch_jax.mi import tasks  # noqa: E402
from mi_ksg import tree_ksg  # noqa: E402

VENVS = f"{ROOT}/benchmarks/.peer_venvs"
RUN_PEER = f"{ROOT}/benchmarks/peers/run_peer.py"
# peer -> (venv name or None for this process, runs on label tasks)
PEERS = {"bmi_ksg": ("bmi", False), "bmi_mine": ("bmi", False),
         "bmi_infonce": ("bmi", False), "latentmi": ("latentmi", False),
         "npeet_ksg": (None, False), "npeet_micd": ("bmi", True)}
LATENTMI_TASKS = ("gauss-5x5-dense",)
QUICK_TASKS = ("gauss-5x5-dense", "student-2x2-dof3", "classes-32d-10")
SPEED_CASE = "ksg-20000-16x16"
SPEED_REPEATS = 3  # the KSG speed row: median of 3 estimates per method, same arrays
Results = dict[tuple[str, str], list[tuple[float, float]]]  # (task, method) -> [(value, s)]


def case_id(task: str, seed: int) -> str:
  return f"{task}__s{seed}"


def speed_case() -> tuple[np.ndarray, np.ndarray, float]:
  """mi_ksg.py's 16+16-dim case: y_i = z_i + 0.5 x_i, so I = 16 · ½ log 1.25."""
  rng = np.random.default_rng(0)
  z = rng.normal(size=(20_000, 32)).astype(np.float32)
  z[:, 16:] += 0.5 * z[:, :16]
  return z[:, :16], z[:, 16:], 16 * 0.5 * math.log(1.25)


def run_peer(peer: str, method: str, npz: str, ids: list[str], workdir: str
             ) -> dict[str, dict] | None:
  """Runs run_peer.py in the peer's venv; None (with a note) if the venv is missing."""
  python = f"{VENVS}/{PEERS[peer][0]}/bin/python"
  if not os.path.exists(python):
    print(f"note: skipping {peer}: no venv at {python} (run `make peers`)", file=sys.stderr)
    return None
  out = f"{workdir}/{method}.json"
  cmd = [python, RUN_PEER, "--cases", npz, "--method", method, "--out", out,
         "--only", ",".join(ids)]
  env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
  print(f"running {method} on {len(ids)} case(s) in {PEERS[peer][0]} venv", file=sys.stderr,
        flush=True)
  if subprocess.run(cmd, env=env, check=False).returncode or not os.path.exists(out):
    print(f"note: {method} failed; its cells are left empty", file=sys.stderr)
    return None
  with open(out) as f:
    return json.load(f)


def timed(fn: Callable[..., float], *args) -> tuple[float, float]:
  start = time.perf_counter()
  value = fn(*args)
  return value, time.perf_counter() - start


def run_ours(method: str, samples: dict[int, tuple[np.ndarray, np.ndarray]],
             **options) -> tuple[list[tuple[float, float]], float]:
  """Per seed (value, seconds) after one warm-up (compile) call; also the first call's s."""
  fn = lambda x, y: mi.estimate(x, y, method, n_resamples=0, **options).value
  first = None
  out = []
  for x, y in samples.values():
    if first is None:
      _, first = timed(fn, x, y)
    out.append(timed(fn, x, y))
  return out, first


def mae(cells: list[tuple[float, float]], truth: float) -> float:
  values = [v for v, _ in cells if v is not None and math.isfinite(v)]
  return float(np.mean([abs(v - truth) for v in values])) if values else float("nan")


def seconds(cells: list[tuple[float, float]]) -> float:
  return float(np.median([s for _, s in cells])) if cells else float("nan")


def cell(cells: list[tuple[float, float]] | None, truth: float) -> str:
  if not cells:
    return "–"
  err = mae(cells, truth)
  text = "fail" if math.isnan(err) else f"{err:.3f}" if err < 1e3 else f"{err:.1e}"
  return text + f" ({seconds(cells):.1f}s)"


def print_table(title: str, names: list[str], ours: list[str], peers: list[str],
                results: Results, n: int) -> None:
  library = tasks.task_library()
  print(f"\n### {title} (n = {n:,})\n")
  print("| task | truth | " + " | ".join(ours + [f"*{p}*" for p in peers]) + " |")
  print("|---|---|" + "---|" * (len(ours) + len(peers)))
  wins = dict.fromkeys(ours, 0)
  compared = 0
  for name in names:
    truth = library[name].mi
    row = [cell(results.get((name, m)), truth) for m in ours + peers]
    print(f"| {name} | {truth:.3f} | " + " | ".join(row) + " |")
    peer_err = [mae(results[(name, p)], truth) for p in peers if (name, p) in results]
    peer_err = [e for e in peer_err if not math.isnan(e)]
    if not peer_err:
      continue
    compared += 1
    for m in ours:
      if (name, m) in results and mae(results[(name, m)], truth) < min(peer_err):
        wins[m] += 1
  print(f"| beats best peer (of {compared}) | | "
        + " | ".join(str(wins[m]) for m in ours) + " |" + " |" * len(peers))


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--quick", action="store_true",
                      help=f"1 seed, tasks {', '.join(QUICK_TASKS)}; latentmi only if named")
  parser.add_argument("--peers", help=f"comma-separated subset of {', '.join(PEERS)}")
  parser.add_argument("--json", help="also write the raw results here")
  args = parser.parse_args()
  peers = args.peers.split(",") if args.peers else [
      p for p in PEERS if not (args.quick and p == "latentmi")]
  unknown = sorted(set(peers) - set(PEERS))
  if unknown:
    parser.error(f"unknown peers {unknown}; known: {list(PEERS)}")
  if args.quick and "latentmi" not in peers:
    print("note: --quick leaves out latentmi (minutes per estimate); name it in --peers",
          file=sys.stderr)
  seeds = (0,) if args.quick else (0, 1, 2)
  library = tasks.task_library()
  names = list(QUICK_TASKS if args.quick else library)
  continuous = [m for m in mi.ESTIMATORS if not mi.ESTIMATORS[m].labels]
  label = [m for m in mi.ESTIMATORS if mi.ESTIMATORS[m].labels]

  samples: dict[str, dict[int, tuple[np.ndarray, np.ndarray]]] = {}
  for name in names:
    n = 10_000 if library[name].labels else 5_000
    samples[name] = {}
    for s in seeds:
      x, y = library[name].sample(jax.random.key(s), n)
      samples[name][s] = np.asarray(x, np.float32), np.asarray(y)
  xs, ys, speed_truth = speed_case()
  results: Results = {}
  first_call: dict[tuple[str, str], float] = {}

  with tempfile.TemporaryDirectory() as workdir:
    npz = f"{workdir}/cases.npz"
    arrays = {f"{v}__{case_id(t, s)}": a for t in names for s, xy in samples[t].items()
              for v, a in zip("xy", xy)}
    speed_ids = [f"{SPEED_CASE}__r{r}" for r in range(SPEED_REPEATS)]
    arrays |= {f"{v}__{i}": a for i in speed_ids for v, a in (("x", xs), ("y", ys))}
    np.savez(npz, **arrays)
    for peer in peers:
      venv, on_labels = PEERS[peer]
      todo = [t for t in names if library[t].labels == on_labels
              and (peer != "latentmi" or t in LATENTMI_TASKS)]
      seed_list = (0,) if peer == "latentmi" else seeds
      if venv is None:  # npeet_ksg, here
        for t in todo:
          results[(t, peer)] = [timed(tree_ksg, *samples[t][s], 3) for s in seed_list]
        continue
      ids = [case_id(t, s) for t in todo for s in seed_list]
      out = run_peer(peer, peer, npz, ids, workdir) if ids else None
      if out:
        for t in todo:
          results[(t, peer)] = [(out[case_id(t, s)]["value"], out[case_id(t, s)]["seconds"])
                                for s in seed_list]
        first_call[("tasks", peer)] = out["_meta"]["first_call_seconds"]
        print(f"{peer}: {out['_meta']['versions']}", file=sys.stderr)
    if "bmi_ksg" in peers:  # the KSG speed row, bmi with k=3 and max norms
      out = run_peer("bmi_ksg", "bmi_ksg_k3max", npz, speed_ids, workdir)
      if out:
        results[(SPEED_CASE, "bmi_ksg_k3max")] = [(out[i]["value"], out[i]["seconds"])
                                                  for i in speed_ids]

  for name in names:
    methods = label if library[name].labels else continuous
    for m in methods:
      print(f"ours: {m} on {name}", file=sys.stderr, flush=True)
      try:
        results[(name, m)], first_call[(name, m)] = run_ours(m, samples[name])
      except Exception as error:  # noqa: BLE001  (e.g. a method still in progress)
        print(f"note: ours {m} failed on {name}: {type(error).__name__}: {error}",
              file=sys.stderr)
  speed_xy = dict.fromkeys(range(SPEED_REPEATS), (xs, ys))
  results[(SPEED_CASE, "ksg")], first_call[(SPEED_CASE, "ksg")] = run_ours(
      "ksg", speed_xy, k=3, norm="max")
  if "npeet_ksg" in peers:
    results[(SPEED_CASE, "npeet_ksg")] = [timed(tree_ksg, xs, ys, 3)
                                          for _ in range(SPEED_REPEATS)]

  print(f"\n{len(seeds)} seed(s) per cell: mean |estimate − truth| in nats over seeds "
        "(median seconds per estimate, compiled); peers in italics; latentmi: seed 0 of "
        f"{', '.join(LATENTMI_TASKS)} only.")
  groups = (("continuous tasks", continuous, False, 5_000), ("label tasks", label, True, 10_000))
  for title, ours, on_labels, n in groups:
    group = [t for t in names if library[t].labels == on_labels]
    group_peers = [p for p in peers if PEERS[p][1] == on_labels]
    if group:
      print_table(title, group, ours, group_peers, results, n)
  print_speed(results, first_call, speed_truth, names)
  if args.json:
    with open(args.json, "w") as f:
      json.dump({"|".join(k): v for k, v in results.items()}, f, indent=1)


def print_speed(results: Results, first_call: dict, speed_truth: float, names: list[str]
                ) -> None:
  library = tasks.task_library()
  rows = [(f"KSG n=20,000, 16+16 dims, k=3, max norm (truth {speed_truth:.3f})", SPEED_CASE,
           speed_truth, ("bmi_ksg_k3max", "npeet_ksg"), ("ksg",))]
  dense, classes = "gauss-5x5-dense", "classes-32d-10"
  if dense in names:
    ours_latent = ("latent",) if "latent" in mi.ESTIMATORS else ("ksg", "smile")
    rows += [("MINE n=5,000, 5+5 dims dense ρ=0.5", dense, library[dense].mi, ("bmi_mine",),
              ("mine",)),
             ("latent MI n=5,000, 5+5 dims dense ρ=0.5", dense, library[dense].mi,
              ("latentmi",), ours_latent)]
  if classes in names:
    rows.append(("label MI n=10,000, 32 dims, 10 classes", classes, library[classes].mi,
                 ("npeet_micd",), ("label_knn", "label_probe")))
  print("\n### Speed rows (error = mean |estimate − truth|, nats; first = first call, "
        f"with compilation; KSG: median of {SPEED_REPEATS} estimates on the same arrays)\n")
  print("| case | peer | peer error | peer s | ours | ours error | ours s (first) |")
  print("|---|---|---|---|---|---|---|")
  for title, key, truth, peer_names, ours in rows:
    for p in peer_names:
      for m in ours:
        pc, oc = results.get((key, p)), results.get((key, m))
        peer_txt = (f"{mae(pc, truth):.3f} | {seconds(pc):.2f}" if pc else "– | –")
        ours_txt = (f"{mae(oc, truth):.3f} | {seconds(oc):.2f} "
                    f"({first_call.get((key, m), float('nan')):.2f})" if oc else "– | –")
        print(f"| {title} | {p} | {peer_txt} | {m} | {ours_txt} |")
  peer_first = {k[1]: v for k, v in first_call.items() if k[0] == "tasks"}
  if peer_first:
    print("\nPeers' first call (a warm-up estimate on their first case for bmi's JAX ones; "
          "else the first case): " + ", ".join(f"{p} {s:.2f}s" for p, s in peer_first.items()))


if __name__ == "__main__":
  main()
