"""Raw data sources: the embedded digits, multi-view .npz files and folders of CSVs.

Each loader returns a `Pool`: either base images (for transform-spec views) or named views,
plus labels. Splitting and standardisation happen later, in `load_views`.

File formats:
  .npz   one array per view, keyed by view name, each (n, ...) numeric, plus `y` (n,)
         integer labels. Vector views are (n, d) (an (n,) view becomes (n, 1)); image views
         may be (n, H, W, C).
  CSV    a folder with one file per view, VIEW.csv (the view name is the file stem), plus
         y.csv. Each file: comma-separated numbers, one row per example (the same order in
         every file), an optional single header row (detected when the first line is not
         all numbers). y.csv holds one integer label per row.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping

import numpy as np

from cch_jax.data import splits

LABEL_KEY = "y"


@dataclasses.dataclass(frozen=True, eq=False)
class Pool:
  """All examples of a source before splitting.

  Attributes:
    labels: (n,) int32 class codes 0..K-1.
    classes: the original label value of each code.
    images: (n, H, W, C) float32 in [0, 1] for image sources (views are transform specs).
    views: view name -> (n, ...) float32 for named-view sources (None for image sources).
  """
  labels: np.ndarray
  classes: tuple
  images: np.ndarray | None = None
  views: Mapping[str, np.ndarray] | None = None

  @property
  def n(self) -> int:
    """The number of examples."""
    return int(self.labels.shape[0])

  def take(self, rows: np.ndarray) -> Pool:
    """The pool restricted to `rows`, with labels re-coded to 0..K'-1."""
    codes, classes = splits.check_labels("y", np.asarray(self.classes)[self.labels[rows]])
    return Pool(codes, classes,
                None if self.images is None else self.images[rows],
                None if self.views is None else {k: v[rows] for k, v in self.views.items()})


def image_pool(images: np.ndarray, labels: np.ndarray, where: str) -> Pool:
  """Checks images (n, H, W, C) in [0, 1] and labels (n,) and wraps them in a Pool."""
  codes, classes = splits.check_labels(f"{where}: labels", labels)
  images = np.asarray(images, dtype=np.float32)
  if images.ndim != 4 or images.shape[0] != codes.shape[0]:
    raise ValueError(f"{where}: expected images (n, H, W, C) with n = {codes.shape[0]} "
                     f"labels, got {images.shape}")
  return Pool(codes, classes, images=images)


def load_digits() -> Pool:
  """scikit-learn's bundled 8×8 digits: 1797 images (1797, 8, 8, 1) in [0, 1], 10 classes."""
  from sklearn import datasets  # pylint: disable=import-outside-toplevel

  digits = datasets.load_digits()
  images = (digits.images / 16.0).astype(np.float32)[..., None]
  return image_pool(images, digits.target, "digits")


def _check_path(path: str, what: str) -> str:
  if not path:
    raise ValueError(f"data.path: expected the {what}, got an empty path")
  return os.path.expanduser(path)


def load_npz(path: str) -> Pool:
  """Loads a multi-view .npz file (one array per view plus 'y'; see the module docstring)."""
  path = _check_path(path, ".npz file")
  if not os.path.isfile(path):
    raise FileNotFoundError(f"data.path: no .npz file at {path!r}")
  with np.load(path, allow_pickle=False) as archive:
    arrays = {key: archive[key] for key in archive.files}
  return _named_pool(path, arrays)


def _read_csv(path: str) -> np.ndarray:
  """Reads a numeric CSV (optional one-line header) as a 2-D float64 array."""
  with open(path, encoding="utf-8") as f:
    first = f.readline()
  try:
    [float(x) for x in first.strip().split(",")]
    skip = 0
  except ValueError:
    skip = 1
  try:
    return np.loadtxt(path, delimiter=",", skiprows=skip, ndmin=2, dtype=np.float64)
  except ValueError as error:
    raise ValueError(f"data.path: {path!r} is not a numeric CSV file: {error}") from None


def load_csv_dir(path: str) -> Pool:
  """Loads a folder of VIEW.csv files plus y.csv (see the module docstring)."""
  path = _check_path(path, "folder of CSV files")
  if not os.path.isdir(path):
    raise FileNotFoundError(f"data.path: no folder at {path!r}")
  names = sorted(f[:-4] for f in os.listdir(path) if f.endswith(".csv"))
  if LABEL_KEY not in names:
    raise FileNotFoundError(f"data.path: {path!r} has no {LABEL_KEY}.csv (labels); found "
                            f"{', '.join(n + '.csv' for n in names) or 'no CSV files'}")
  arrays = {name: _read_csv(os.path.join(path, name + ".csv")) for name in names}
  labels = arrays[LABEL_KEY]
  if labels.ndim == 2 and labels.shape[1] != 1:
    raise ValueError(f"data.path: {LABEL_KEY}.csv must have one column, got {labels.shape[1]}")
  arrays[LABEL_KEY] = labels.reshape(-1)
  return _named_pool(path, arrays)


def _named_pool(where: str, arrays: dict[str, np.ndarray]) -> Pool:
  if LABEL_KEY not in arrays:
    raise ValueError(f"{where}: no labels array {LABEL_KEY!r}; found "
                     f"{', '.join(arrays) or 'nothing'}")
  labels = arrays.pop(LABEL_KEY)
  if not arrays:
    raise ValueError(f"{where}: no view arrays besides {LABEL_KEY!r}")
  codes, classes = splits.check_labels(f"{where}: {LABEL_KEY}", labels)
  views = splits.check_views(where, arrays, codes.shape[0])
  return Pool(codes, classes, views=views)


def subsample_rows(n: int, max_examples: int, seed: int) -> np.ndarray | None:
  """Sorted rows of a seeded uniform random subset of size max_examples (None: keep all)."""
  if isinstance(max_examples, bool) or not isinstance(max_examples, (int, np.integer)) \
      or max_examples < 0:
    raise ValueError(f"max_examples: expected an integer >= 0 (0 = all), got {max_examples!r}")
  if max_examples == 0 or max_examples >= n:
    return None
  return np.sort(np.random.default_rng([seed, 1]).choice(n, max_examples, replace=False))


def subsample(pool: Pool, max_examples: int, seed: int) -> Pool:
  """The pool restricted to `subsample_rows` (the whole pool if max_examples is 0 or >= n)."""
  rows = subsample_rows(pool.n, max_examples, seed)
  return pool if rows is None else pool.take(rows)
