"""Raw data sources: the embedded digits, multi-view .npz files and folders of CSVs.

Each loader returns a `Pool`: either base images (for transform-spec views) or named views,
plus labels. Splitting and standardisation happen later, in `load_views`.

File formats:
  .npz   one array per view, keyed by view name, each (n, ...) numeric, plus `y`: (n,)
         integer class labels, or (n,) / (n, k) real regression targets (`data.task`:
         'auto' reads non-whole numbers as regression). Vector views are (n, d) (an (n,)
         view becomes (n, 1)); image views are (n, H, W, C) (store grey images as
         (n, H, W, 1)); a 3-D view VIEW (n, L, d) is a sequence of L steps of d features,
         padded as the optional VIEW_mask (n, L) (bool or 0/1, 1 = a real step) or
         VIEW_lengths (n,) (real steps from the start, 1..L) says (neither: no padding).
         Sequences load as (n, L, d + 1), the mask appended as the last channel and
         padded steps zeroed (`cch_jax.data.sequences`).
  CSV    a folder with one file per view, VIEW.csv (the view name is the file stem), plus
         y.csv. Each file: comma-separated numbers, one row per example (the same order in
         every file), an optional single header row (detected when the first line is not
         all numbers). y.csv holds one label (or k regression targets) per row.
"""

from __future__ import annotations

import dataclasses
import os
import zipfile
from collections.abc import Mapping

import numpy as np

from cch_jax.data import sequences, splits

LABEL_KEY = "y"


@dataclasses.dataclass(frozen=True, eq=False)
class Pool:
  """All examples of a source before splitting.

  Attributes:
    labels: (n,) int32 class codes 0..K-1, or (n, k) float32 regression targets.
    classes: the original label value of each code (() for regression).
    images: (n, H, W, C) float32 in [0, 1] for image sources (views are transform specs).
    views: view name -> (n, ...) float32 for named-view sources (None for image sources).
    task: 'classification' or 'regression'.
  """
  labels: np.ndarray
  classes: tuple
  images: np.ndarray | None = None
  views: Mapping[str, np.ndarray] | None = None
  task: str = "classification"

  @property
  def n(self) -> int:
    """The number of examples."""
    return int(self.labels.shape[0])

  def take(self, rows: np.ndarray) -> Pool:
    """The pool restricted to `rows`, with class labels re-coded to 0..K'-1."""
    labels, classes = self.labels[rows], self.classes
    if self.task == "classification":
      labels, classes = splits.check_labels("y", np.asarray(self.classes)[labels])
    return Pool(labels, classes,
                None if self.images is None else self.images[rows],
                None if self.views is None else {k: v[rows] for k, v in self.views.items()},
                self.task)


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


def load_npz(path: str, task: str = "auto") -> Pool:
  """Loads a multi-view .npz file (one array per view plus 'y'; see the module docstring)."""
  path = _check_path(path, ".npz file")
  if not os.path.isfile(path):
    raise FileNotFoundError(f"data.path: no .npz file at {path!r}")
  try:
    archive = np.load(path, allow_pickle=False)
    if not isinstance(archive, np.lib.npyio.NpzFile):
      raise ValueError("a single .npy array, not an archive of named arrays")
    with archive:
      arrays = {key: archive[key] for key in archive.files}
    bad = [key for key, value in arrays.items() if not isinstance(value, np.ndarray)]
    if bad:
      raise ValueError(f"member {bad[0]!r} is not a .npy array")
  except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
    # Neither zip nor .npy: numpy tries pickle and refuses ("pickled (object) data").
    reason = ("not a zip archive of .npy arrays" if "pickled" in str(error)
              else str(error).partition("\n")[0].rstrip(".") or type(error).__name__)
    raise ValueError(f"data.path: {path!r} is not a valid .npz file ({reason})") from None
  return named_pool(f"data.path {path!r}", arrays, task)


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


def load_csv_dir(path: str, task: str = "auto") -> Pool:
  """Loads a folder of VIEW.csv files plus y.csv (see the module docstring)."""
  path = _check_path(path, "folder of CSV files")
  if not os.path.isdir(path):
    raise FileNotFoundError(f"data.path: no folder at {path!r}")
  names = sorted(f[:-4] for f in os.listdir(path) if f.endswith(".csv"))
  if LABEL_KEY not in names:
    raise FileNotFoundError(f"data.path: {path!r} has no {LABEL_KEY}.csv (labels); found "
                            f"{', '.join(n + '.csv' for n in names) or 'no CSV files'}")
  arrays = {name: _read_csv(os.path.join(path, name + ".csv")) for name in names}
  if arrays[LABEL_KEY].shape[1] == 1:  # one label per row; k columns: k regression targets
    arrays[LABEL_KEY] = arrays[LABEL_KEY][:, 0]
  return named_pool(path, arrays, task)


def named_pool(where: str, arrays: dict[str, np.ndarray], task: str = "auto") -> Pool:
  """A Pool of named views plus `y` (class labels or regression targets, by `task`:
  'auto', 'classification' or 'regression'; see `splits.check_task_labels`)."""
  if LABEL_KEY not in arrays:
    raise ValueError(f"{where}: no labels array {LABEL_KEY!r}; found "
                     f"{', '.join(arrays) or 'nothing'}")
  labels = arrays.pop(LABEL_KEY)
  masks = sequences.pop_masks(where, arrays)
  if not arrays:
    raise ValueError(f"{where}: no view arrays besides {LABEL_KEY!r}")
  labels, classes, task = splits.check_task_labels(f"{where}: {LABEL_KEY}", labels, task)
  views = splits.check_views(where, arrays, labels.shape[0])
  return Pool(labels, classes, views=sequences.attach_masks(where, views, masks), task=task)


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
