"""Containers (`Split`, `MultiViewData`), checks, stratified splits, standardisation, batches."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from cch_jax.data import sequences

SPLIT_NAMES = ("train", "validation", "test")


@dataclasses.dataclass(frozen=True, eq=False)
class Split:
  """One split of paired views.

  Attributes:
    views: view name -> (n, ...) float32; vector views are (n, d), image views (n, H, W, C).
    labels: (n,) int32 class codes in 0..n_classes-1, or for regression (n, k) float32
      targets standardised with the train split's statistics.
    indices: (n,) int64 positions of these examples in the pooled source (after the
      max_examples subsample), for provenance.
  """
  views: Mapping[str, np.ndarray]
  labels: np.ndarray
  indices: np.ndarray

  @property
  def n(self) -> int:
    """The number of examples."""
    return int(self.labels.shape[0])

  def take(self, rows: Any) -> Split:
    """The sub-split at `rows` (an index array or slice)."""
    return Split({k: v[rows] for k, v in self.views.items()}, self.labels[rows],
                 self.indices[rows])


@dataclasses.dataclass(frozen=True, eq=False)
class MultiViewData:
  """Paired views with fixed train/validation/test splits (what `load_views` returns).

  Attributes:
    train, validation, test: the splits (stratified by label, seeded).
    n_classes: the number of classes K present (labels are 0..K-1).
    teacher: the teacher view names (one, or several for teacher selection).
    student: the student view name.
    view_names: all view names held in each split's `views` (teacher views, then student).
    classes: the original label value of each class code (e.g. (1, 2, 5) if y used those).
    source: the data source name ('digits', 'npz', 'csv', 'synthetic' or a TFDS name).
    standardization: view name -> (mean, std) fitted on train and applied to every split
      (mean/std shaped (d,) for vector views, (C,) for image views); empty if none.
    task: 'classification' (n_classes >= 2) or 'regression' (n_classes = 0; labels are
      (n, k) targets).
    target_standardization: regression only: (mean (k,), std (k,)) of the train split's
      targets; labels are (y − mean) / std, so an error e in label units is e·std in y's.
  """
  train: Split
  validation: Split
  test: Split
  n_classes: int
  teacher: tuple[str, ...]
  student: str
  view_names: tuple[str, ...]
  classes: tuple[Any, ...]
  source: str
  standardization: Mapping[str, tuple[np.ndarray, np.ndarray]] = dataclasses.field(
      default_factory=dict)
  task: str = "classification"
  target_standardization: tuple[np.ndarray, np.ndarray] | None = None

  @property
  def score_scale(self) -> float:
    """Converts a score (−MAE) in standardised target units to y's units: the train std of
    a single regression target; 1 for classification and for several targets (their MAE
    stays in standardised units)."""
    stats = self.target_standardization
    return float(stats[1][0]) if stats is not None and len(stats[1]) == 1 else 1.0

  @property
  def n_outputs(self) -> int:
    """A model's output width: K logits, or k regression targets."""
    return self.n_classes if self.task == "classification" else self.train.labels.shape[1]

  def splits(self) -> dict[str, Split]:
    """{'train': ..., 'validation': ..., 'test': ...}."""
    return {name: getattr(self, name) for name in SPLIT_NAMES}

  def summary(self) -> str:
    """One line: source, split sizes, classes and view shapes."""
    def role(view: str) -> str:
      roles = ["teacher"] * (view in self.teacher) + ["student"] * (view == self.student)
      return "+".join(roles)

    shapes = ", ".join(f"{role(v)} {v!r} {tuple(self.train.views[v].shape[1:])}"
                       for v in self.view_names)
    target = (f"{self.n_classes} classes" if self.task == "classification" else
              f"regression on {self.n_outputs} target(s)")
    return (f"{self.source}: train {self.train.n} / validation {self.validation.n} / test "
            f"{self.test.n}, {target}; {shapes}")


# ------------------------------------------------------------------ checks


def check_labels(name: str, value: Any) -> tuple[np.ndarray, tuple[Any, ...]]:
  """(n,) integer-valued labels -> ((n,) int32 codes 0..K-1, original class values).

  Floats are accepted when every value is a whole number (as read from a CSV file).
  """
  array = np.asarray(value)
  if array.ndim == 2 and array.shape[1] == 1:
    array = array[:, 0]
  if array.ndim != 1 or array.shape[0] == 0:
    raise ValueError(f"{name}: expected (n,) integer class labels, got shape {array.shape}")
  if array.dtype == bool:
    array = array.astype(np.int64)
  if np.issubdtype(array.dtype, np.floating):
    if not np.all(np.isfinite(array)):
      raise ValueError(f"{name}: expected integer class labels, found NaN or inf")
    bad = array[array != np.round(array)]
    if bad.size:
      raise ValueError(f"{name}: expected integer class labels, found non-integer values "
                       f"such as {bad[0].item()!r}")
    array = array.astype(np.int64)
  elif not np.issubdtype(array.dtype, np.integer):
    raise ValueError(f"{name}: expected integer class labels, got dtype {array.dtype}")
  classes, codes = np.unique(array, return_inverse=True)
  if len(classes) < 2:
    raise ValueError(f"{name}: expected at least two classes, got {classes.tolist()}")
  return codes.astype(np.int32), tuple(classes.tolist())


TASKS = ("classification", "regression")


def check_targets(name: str, value: Any) -> np.ndarray:
  """(n,) or (n, k) real regression targets -> (n, k) float32; finite, each column varying."""
  array = np.asarray(value)
  if array.ndim == 1:
    array = array[:, None]
  if array.ndim != 2 or array.shape[0] == 0 or not (
      np.issubdtype(array.dtype, np.number) and not np.iscomplexobj(array)):
    raise ValueError(f"{name}: expected (n,) or (n, k) real regression targets, got "
                     f"{array.dtype} {array.shape}")
  if not np.all(np.isfinite(array)):
    raise ValueError(f"{name}: expected finite regression targets, found NaN or inf")
  constant = np.flatnonzero(np.ptp(array, axis=0) == 0)
  if constant.size:
    raise ValueError(f"{name}: regression target column(s) {constant.tolist()} are constant")
  return array.astype(np.float32)


def check_task_labels(name: str, value: Any, task: str = "auto"
                      ) -> tuple[np.ndarray, tuple[Any, ...], str]:
  """Labels of `task` -> (labels, class values, task).

  task 'auto' reads whole numbers (integers, or floats such as a CSV's 3.0) as class
  labels and any other real values as regression targets; 'classification' requires
  whole numbers (`check_labels`), 'regression' takes any real values (`check_targets`;
  class values ()).
  """
  if task not in ("auto", *TASKS):
    raise ValueError(f"data.task: expected 'auto', 'classification' or 'regression', got "
                     f"{task!r}")
  if task == "auto":
    array = np.asarray(value)
    whole = (array.dtype == bool or np.issubdtype(array.dtype, np.integer) or (
        np.issubdtype(array.dtype, np.floating) and np.all(np.isfinite(array))
        and np.all(array == np.round(array))))
    task = "classification" if whole else "regression"
  if task == "regression":
    return check_targets(name, value), (), task
  try:
    codes, classes = check_labels(name, value)
  except ValueError as error:
    raise ValueError(f"{error} (for a continuous target set data.task=regression)") from None
  return codes, classes, task


def regression_strata(targets: np.ndarray, per_stratum: int = 20, most: int = 10
                      ) -> np.ndarray:
  """(n,) int strata of regression targets (n, k): quantile bins of the first column, at
  most `most` of them with about `per_stratum` rows or more each, so that a stratified
  split spreads the target's range over train, validation and test."""
  n = targets.shape[0]
  bins = int(np.clip(n // per_stratum, 1, most))
  rank = np.argsort(np.argsort(targets[:, 0], kind="stable"), kind="stable")
  return (rank * bins // n).astype(np.int32)


def check_views(where: str, views: Mapping[str, Any], n_labels: int) -> dict[str, np.ndarray]:
  """Float32 views, all with n_labels rows, finite; (n,) views become (n, 1).

  Raises:
    ValueError naming `where` and the view for mismatched lengths, non-numeric or
    non-finite values.
  """
  out = {}
  for name, value in views.items():
    array = np.asarray(value)
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool) or \
        np.iscomplexobj(array):
      raise ValueError(f"{where}: view {name!r} must be real numbers, got dtype {array.dtype}")
    if array.ndim == 1:
      array = array[:, None]
    out[name] = array.astype(np.float32, copy=False)
  lengths = {name: array.shape[0] for name, array in out.items()}
  if any(n != n_labels for n in lengths.values()):
    listed = ", ".join(f"{k}: {v}" for k, v in lengths.items())
    raise ValueError(f"{where}: views and labels must have the same number of examples; got "
                     f"{listed}, y: {n_labels}")
  for name, array in out.items():
    if not np.all(np.isfinite(array)):
      raise ValueError(f"{where}: view {name!r} has NaN or inf values")
  return out


def select_views(where: str, available: Sequence[str], wanted: Sequence[str]) -> None:
  """Raises a ValueError listing the available view names if any wanted one is missing."""
  missing = [name for name in wanted if name not in available]
  if missing:
    raise ValueError(f"{where}: no view named {', '.join(map(repr, missing))} (set "
                     f"data.teacher / data.student to view names); available views: "
                     f"{', '.join(available) or 'none'}")


def check_fractions(value: Any) -> np.ndarray:
  """(train, validation, test) fractions: three numbers >= 0 summing to 1, train > 0."""
  try:
    fractions = np.asarray(value, dtype=np.float64).reshape(-1)
  except (TypeError, ValueError):
    fractions = np.array([])
  if fractions.shape != (3,) or not np.all(np.isfinite(fractions)) or np.any(fractions < 0) \
      or fractions[0] <= 0 or abs(fractions.sum() - 1.0) > 1e-6:
    raise ValueError(f"split: expected (train, validation, test) fractions >= 0 summing to "
                     f"1 with train > 0, got {value!r}")
  return fractions / fractions.sum()


# ------------------------------------------------------------------ splitting


def _allocate(counts: np.ndarray, fractions: np.ndarray) -> np.ndarray:
  """Per-class split sizes (K, 3): largest-remainder rounding, >= 1 where fraction > 0."""
  raw = counts[:, None] * fractions[None, :]
  alloc = np.floor(raw).astype(np.int64)
  short = counts - alloc.sum(axis=1)
  rank = np.argsort(np.argsort(-(raw - alloc), axis=1, kind="stable"), axis=1)
  alloc += rank < short[:, None]
  for part in np.flatnonzero(fractions > 0):  # a loop over the 3 parts, not over samples
    empty = alloc[:, part] == 0
    donor = np.argmax(alloc, axis=1)
    alloc[empty, part] += 1
    alloc[np.flatnonzero(empty), donor[empty]] -= 1
  return alloc


def stratified_split(labels: np.ndarray, fractions: Any, seed: int,
                     classes: Sequence[Any] | None = None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
  """Seeded stratified (train, validation, test) row indices, each in a random order.

  Args:
    labels: (n,) int class codes 0..K-1.
    fractions: (train, validation, test) fractions (see `check_fractions`).
    seed: NumPy seed; the split is a pure function of (labels, fractions, seed).
    classes: original class values, for error messages.

  Raises:
    ValueError if a class has fewer examples than there are non-empty parts.
  """
  fractions = check_fractions(fractions)
  labels = np.asarray(labels)
  n_classes = int(labels.max()) + 1
  counts = np.bincount(labels, minlength=n_classes)
  needed = int(np.count_nonzero(fractions))
  small = np.flatnonzero(counts < needed)
  if small.size:
    shown = [classes[c] if classes is not None else int(c) for c in small]
    raise ValueError(
        f"labels: class {shown[0]!r} has {counts[small[0]]} example(s); a stratified split "
        f"with fractions {tuple(fractions.round(4).tolist())} needs at least {needed} per "
        f"class (classes too small: {shown}); drop or merge them (for a continuous target "
        "with whole-number values set data.task=regression)")
  rng = np.random.default_rng(seed)
  perm = rng.permutation(labels.shape[0])
  order = perm[np.argsort(labels[perm], kind="stable")]  # grouped by class, random within
  sorted_labels = labels[order]
  starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
  rank = np.arange(labels.shape[0]) - starts[sorted_labels]
  bounds = np.cumsum(_allocate(counts, fractions), axis=1)[sorted_labels]  # (n, 3)
  part = (rank[:, None] >= bounds[:, :2]).sum(axis=1)
  return tuple(rng.permutation(order[part == p]) for p in range(3))


def fit_standardization(views: Mapping[str, np.ndarray], vectors: bool = True,
                        images: bool = False) -> dict[str, tuple[np.ndarray, np.ndarray]]:
  """Mean and std per feature of vector views (n, d) and sequence views (n, L, d + 1) (over
  their real steps; see `sequences`), and per channel of image views (n, H, W, C).

  Args:
    views: view name -> (n, d), (n, L, d + 1) or (n, H, W, C), usually the train split's.
    vectors: fit the vector and sequence views.
    images: fit the image views (per channel).

  Returns:
    view name -> (mean, std), float32, (d,) or (C,). Standard deviations below 1e-12 are set
    to 1 (constant features are only centred).
  """
  stats = {}
  for name, array in views.items():
    if array.ndim == 3:
      if vectors:
        stats[name] = sequences.fit_stats(array)
      continue
    if array.ndim == 2 and vectors:
      axes: tuple[int, ...] = (0,)
    elif array.ndim > 2 and images:
      axes = tuple(range(array.ndim - 1))
    else:
      continue
    mean = array.mean(axis=axes, dtype=np.float64)
    std = array.std(axis=axes, dtype=np.float64)
    std = np.where(std < 1e-12, 1.0, std)
    stats[name] = (mean.astype(np.float32), std.astype(np.float32))
  return stats


def fit_targets(targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  """(mean (k,), std (k,)) float32 of regression targets (n, k), usually the train split's."""
  std = targets.std(axis=0, dtype=np.float64)
  return (targets.mean(axis=0, dtype=np.float64).astype(np.float32),
          np.where(std < 1e-12, 1.0, std).astype(np.float32))


def apply_standardization(split: Split, stats: Mapping[str, tuple[np.ndarray, np.ndarray]],
                          targets: tuple[np.ndarray, np.ndarray] | None = None) -> Split:
  """(x − mean) / std for each view with statistics (sequences: at their real steps, the
  mask channel kept); other views unchanged; regression labels too with `targets`."""
  def scale(name: str, array: np.ndarray) -> np.ndarray:
    if name not in stats:
      return array
    if array.ndim == 3:
      return sequences.standardize(array, *stats[name])
    return ((array - stats[name][0]) / stats[name][1]).astype(np.float32)

  views = {name: scale(name, array) for name, array in split.views.items()}
  labels = split.labels if targets is None else (
      (split.labels - targets[0]) / targets[1]).astype(np.float32)
  return Split(views, labels, split.indices)


def batches(split: Split, batch_size: int, seed: int | None = 0,
            drop_remainder: bool = False) -> Iterator[Split]:
  """Yields sub-splits of batch_size examples, shuffled with `seed` (None: in order)."""
  if batch_size < 1:
    raise ValueError(f"batch_size: expected an integer >= 1, got {batch_size}")
  order = (np.arange(split.n) if seed is None
           else np.random.default_rng(seed).permutation(split.n))
  stop = split.n - split.n % batch_size if drop_remainder else split.n
  for start in range(0, stop, batch_size):
    yield split.take(order[start:start + batch_size])
