"""Sequence views: (n, L, d) arrays whose padding rides along as a last mask channel.

Convention (shared with the 'cnn1d' and 'transformer' encoders of `cch_jax.kd.models`): a
sequence view is (n, L, d + 1) float32 whose last channel is the padding mask, 1.0 for a
real step and 0.0 for padding; padded steps hold zeros in every feature.

In a multi-view file a 3-D view VIEW (n, L, d) is a sequence; an optional array
VIEW_mask (n, L) (bool or 0/1; at least one real step per row) or VIEW_lengths (n,)
(integers in 1..L, the real steps counted from the start) gives its padding (default: no
padding). `pop_masks` takes those arrays out of a file's arrays and `attach_masks`
appends them to their (checked) views.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

MASK_SUFFIX = "_mask"
LENGTHS_SUFFIX = "_lengths"


def pop_masks(where: str, arrays: dict[str, np.ndarray]
              ) -> dict[str, tuple[str, np.ndarray]]:
  """Removes VIEW_mask / VIEW_lengths arrays whose VIEW is in `arrays` (in place).

  Returns:
    view name -> (the array's key, the array). An array named like a mask whose view is
    absent stays a view of its own.

  Raises:
    ValueError when a view has both a _mask and a _lengths array.
  """
  found: dict[str, tuple[str, np.ndarray]] = {}
  for key in sorted(arrays):
    for suffix in (MASK_SUFFIX, LENGTHS_SUFFIX):
      view = key[:-len(suffix)]
      if key.endswith(suffix) and view in arrays and view != key:
        if view in found:
          raise ValueError(f"{where}: view {view!r} has both {found[view][0]!r} and "
                           f"{key!r}; give its padding once")
        found[view] = (key, arrays[key])
  for key, _ in found.values():
    del arrays[key]
  return found


def _mask_from(where: str, key: str, value: np.ndarray, n: int, length: int) -> np.ndarray:
  """(n, length) bool padding mask from a _mask (n, L) or _lengths (n,) array."""
  array = np.asarray(value)
  if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
    raise ValueError(f"{where}: {key!r} must be numbers, got dtype {array.dtype}")
  if key.endswith(LENGTHS_SUFFIX):
    if array.shape != (n,):
      raise ValueError(f"{where}: {key!r} must be (n,) = ({n},) lengths, got {array.shape}")
    if not (np.all(np.isfinite(array)) and np.all(array == np.round(array))
            and np.all((array >= 1) & (array <= length))):
      raise ValueError(f"{where}: {key!r} must be whole numbers of steps in 1..{length}, "
                       f"got values in [{array.min()}, {array.max()}]")
    return np.arange(length)[None, :] < array.astype(np.int64)[:, None]
  if array.shape != (n, length):
    raise ValueError(f"{where}: {key!r} must be (n, L) = ({n}, {length}), got {array.shape}")
  if not np.all((array == 0) | (array == 1)):
    raise ValueError(f"{where}: {key!r} must hold only 0/1 (or bool) values")
  empty = np.flatnonzero(~np.any(array == 1, axis=1))
  if empty.size:
    raise ValueError(f"{where}: {key!r} row {empty[0]} has no real step (all padding)")
  return array == 1


def attach_masks(where: str, views: Mapping[str, np.ndarray],
                 masks: Mapping[str, tuple[str, np.ndarray]]) -> dict[str, np.ndarray]:
  """Every 3-D view (n, L, d) -> (n, L, d + 1) with its padding mask as the last channel.

  Args:
    where: the source, for error messages.
    views: checked float32 views (see `splits.check_views`).
    masks: `pop_masks`'s output; a 3-D view without one is unpadded (mask all ones).

  Returns:
    the views, sequences with a mask channel and zeros at their padded steps.
  """
  out = dict(views)
  for view, (key, _) in masks.items():
    if views[view].ndim != 3:
      raise ValueError(f"{where}: {key!r} gives the padding of view {view!r}, but that view "
                       f"is not a sequence (n, L, d): its shape is {views[view].shape}")
  for view, array in views.items():
    if array.ndim != 3:
      continue
    n, length = array.shape[:2]
    mask = (_mask_from(where, *masks[view], n, length) if view in masks
            else np.ones((n, length), bool))
    out[view] = np.concatenate([np.where(mask[..., None], array, 0.0), mask[..., None]],
                               axis=-1).astype(np.float32)
  return out


def fit_stats(array: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  """Mean and std per feature (d,) of a sequence view (n, L, d + 1) over its real steps.

  Standard deviations below 1e-12 are set to 1.
  """
  x, mask = array[..., :-1].astype(np.float64), array[..., -1:] > 0
  count = max(int(mask.sum()), 1)
  mean = np.where(mask, x, 0.0).sum(axis=(0, 1)) / count
  std = np.sqrt(np.where(mask, (x - mean) ** 2, 0.0).sum(axis=(0, 1)) / count)
  std = np.where(std < 1e-12, 1.0, std)
  return mean.astype(np.float32), std.astype(np.float32)


def standardize(array: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
  """(x − mean) / std at the real steps of a sequence view (n, L, d + 1); the mask channel
  and the padded steps (0) are unchanged."""
  mask = array[..., -1:] > 0
  x = np.where(mask, (array[..., :-1] - mean) / std, 0.0)
  return np.concatenate([x, array[..., -1:]], axis=-1).astype(np.float32)
