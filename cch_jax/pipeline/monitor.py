"""The gap during KD training: re-estimated on the student's representation at each
evaluation, with sign flips flagged.

  gap = point_gap(h_t, h_s, labels, "ksg", "label_knn", reduce_dim=8)
  flips = sign_flips(steps, gaps)     # steps where the gap's sign changed

Point estimates only (no CI): a deterministic estimator pair keeps each evaluation cheap
(two kNN passes) and reproducible.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from cch_jax import mi
from cch_jax.pipeline import representations


def point_gap(h_t: Any, h_s: Any, labels: Any, estimator: str = "ksg",
              label_estimator: str = "label_knn", reduce_dim: int = 8,
              options: Mapping[str, Mapping[str, Any]] | None = None) -> float:
  """I(H_t; H_s) − I(H_s; Y) in nats by a deterministic estimator pair, on PCA scores.

  Args:
    h_t: (n, d_t), h_s: (n, d_s) representations; labels: (n,) ints, or (n, k) float
      regression targets (then label_estimator is a continuous one, e.g. 'ksg').
    estimator, label_estimator: deterministic registry names (e.g. 'ksg', 'label_knn').
    reduce_dim: PCA dimensions (0 = none). options: per estimator, its options.
  """
  options = options or {}
  for name in (estimator, label_estimator):
    if mi.ESTIMATORS[name].randomized:
      raise ValueError(f"monitor estimator: expected a deterministic estimator, got "
                       f"{name!r} (trained estimators are too slow to re-run per evaluation)")
  z_t = representations.pca(representations.clean("h_t", h_t), reduce_dim)
  z_s = representations.pca(representations.clean("h_s", h_s), reduce_dim)
  run = lambda x, y, name: mi.estimate(x, y, name, n_resamples=0,
                                       **dict(options.get(name, {}))).value
  return run(z_t, z_s, estimator) - run(z_s, np.asarray(labels), label_estimator)


def sign_flips(steps: Sequence[int], gaps: Sequence[float]) -> list[int]:
  """The steps at which the gap's sign differs from the previous evaluation's."""
  signs = np.sign(np.asarray(gaps, np.float64))
  return [int(steps[i]) for i in range(1, len(signs)) if signs[i] != signs[i - 1]]
