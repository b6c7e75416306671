r"""KSG speed and agreement: cch_jax's exact blocked KSG vs an NPEET-style tree KSG.

The peer is KSG-1 as NPEET writes it, on scikit-learn trees: a Chebyshev (max-norm) KDTree
for the joint k-th neighbour distances and radius counts in each marginal (also max norm).
Same data, same k, same norms, so the two estimates must agree (to 1e-4: float32 vs
float64 distances). Also scikit-learn's `mutual_info_regression` (1-D, KSG on trees).

  pip install -r benchmarks/requirements-peers.txt
  python benchmarks/mi_ksg.py
"""

import sys
import time

import jax
import numpy as np
from scipy.special import digamma
from sklearn.feature_selection import mutual_info_regression
from sklearn.neighbors import KDTree

sys.path.insert(0, __file__.rsplit("/benchmarks/", 1)[0])
from cch_jax import mi  # noqa: E402


def tree_ksg(x: np.ndarray, y: np.ndarray, k: int = 3) -> float:
  """NPEET-style KSG-1 with max norms on scikit-learn KDTrees (float64)."""
  x, y = x.astype(np.float64), y.astype(np.float64)
  joint = np.concatenate([x, y], axis=1)
  eps = KDTree(joint, metric="chebyshev").query(joint, k=k + 1)[0][:, -1]
  radius = np.nextafter(eps, 0)  # strictly closer than eps
  nx = KDTree(x, metric="chebyshev").query_radius(x, radius, count_only=True) - 1
  ny = KDTree(y, metric="chebyshev").query_radius(y, radius, count_only=True) - 1
  return float(digamma(k) + digamma(len(x)) - np.mean(digamma(nx + 1) + digamma(ny + 1)))


def timed(fn):
  start = time.perf_counter()
  value = fn()
  return value, time.perf_counter() - start


def main() -> None:
  rng = np.random.default_rng(0)
  rows = []
  for n, d in ((20_000, 16), (5_000, 5), (20_000, 1)):
    z = rng.normal(size=(n, 2 * d)).astype(np.float32)
    z[:, d:] += 0.5 * z[:, :d]
    x, y = z[:, :d], z[:, d:]
    ours_fn = lambda: float(mi.ksg_mi(x, y, 3, "max"))
    ours_fn()  # compile
    ours, t_ours = timed(ours_fn)
    peer, t_peer = timed(lambda: tree_ksg(x, y, 3))
    rows.append((f"n={n:,}, {d}+{d} dims, max norm", "NPEET-style tree KSG", t_peer, t_ours,
                 ours - peer))
    if d == 16:  # inside a user's jit the kernel compiles without its 512-bit vector option
      nested = jax.jit(lambda a, b: mi.ksg_mi(a, b, 3, "max"))
      nested_fn = lambda: float(nested(x, y))
      nested_fn()
      times = {"top level": [], "inside jax.jit": []}
      for _ in range(5):  # interleaved, medians
        times["top level"].append(timed(ours_fn)[1])
        times["inside jax.jit"].append(timed(nested_fn)[1])
      vector_ab = {k: float(np.median(v)) for k, v in times.items()}
    if d == 16:  # our default marginal norm (the peer has no Euclidean-marginal variant)
      euclid_fn = lambda: float(mi.ksg_mi(x, y, 3, "euclidean"))
      euclid_fn()
      _, t_euclid = timed(euclid_fn)
      rows.append((f"n={n:,}, {d}+{d} dims, Euclidean marginals (ours only)", "–", float("nan"),
                   t_euclid, float("nan")))
    if d == 1:
      sk, t_sk = timed(lambda: float(mutual_info_regression(
          x, y[:, 0], n_neighbors=3, random_state=0)[0]))
      rows.append((f"n={n:,}, 1+1 dims", "sklearn mutual_info_regression", t_sk, t_ours,
                   float("nan")))
  print("\n| case | peer | peer s | cch_jax s | speed-up | ours − peer (nats) |")
  print("|---|---|---|---|---|---|")
  for case, peer, tp, to, diff in rows:
    speed = "–" if tp != tp else f"{tp / to:.1f}×"
    print(f"| {case} | {peer} | {'–' if tp != tp else f'{tp:.2f}'} | {to:.2f} | {speed} | "
          f"{'–' if diff != diff else f'{diff:+.1e}'} |")
  print(f"\nn=20,000, 16+16 dims, max norm, median of 5 interleaved calls: top level (512-bit "
        f"vectors) {vector_ab['top level']:.2f} s, inside jax.jit (default vectors) "
        f"{vector_ab['inside jax.jit']:.2f} s: "
        f"{vector_ab['inside jax.jit'] / vector_ab['top level']:.2f}×")


if __name__ == "__main__":
  main()
