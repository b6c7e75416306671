"""Repeated stratified splits of one dataset: the unit over which every experiment's
confidence intervals run (rows, encoders and students all change with the split).

  parts = load_splits(config.data, config.splits, teacher="clean,blur:sigma=2")
  stack(parts, "train", "clean")          # {'x' (S, n, ...), 'y' (S, n)}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ml_collections
import numpy as np

from cch_jax import data


def load_splits(block: ml_collections.ConfigDict, n_splits: Any, **views: str
                ) -> list[data.MultiViewData]:
  """The data block's views under `n_splits` stratified splits: split k has split seed
  b + k, where b is data.split_seed (or data.seed when it is -1), so split 0 is the data
  block's own split; `views` override teacher / student."""
  if isinstance(n_splits, bool) or not isinstance(n_splits, int) or n_splits < 1:
    raise ValueError(f"splits: expected an integer >= 1, got {n_splits!r}")
  first = block.seed if block.split_seed < 0 else block.split_seed
  return [data.load_views(block, split_seed=first + k, **views) for k in range(n_splits)]


def stack(parts: Sequence[data.MultiViewData], split: str, view: str
          ) -> dict[str, np.ndarray]:
  """{'x' (S, n, ...), 'y' (S, n)} of `view` in `split` ('train', 'validation', 'test')
  over the S splits."""
  return {"x": np.stack([getattr(p, split).views[view] for p in parts]),
          "y": np.stack([getattr(p, split).labels for p in parts])}
