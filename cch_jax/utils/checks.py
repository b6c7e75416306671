"""Input checks for the public edge of each engine.

Checks run only on concrete values: inside `jit` or `vmap` the arguments are tracers and
the checks are skipped (the engines then return NaN for invalid cells instead of raising).
Every error names the argument and says what was expected.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def is_concrete(*values: Any) -> bool:
  """True when no leaf of `values` is a tracer (i.e. we are not inside jit/vmap)."""
  import jax  # pylint: disable=import-outside-toplevel  (keeps `cch_jax.data` free of jax)
  return not any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree.leaves(values))


def check_positive_int(name: str, value: Any, minimum: int = 1) -> int:
  """Returns `value` as an int, or raises if it is not an integer >= `minimum`."""
  if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
    raise TypeError(f"{name}: expected an integer >= {minimum}, got {value!r}")
  if value < minimum:
    raise ValueError(f"{name}: expected an integer >= {minimum}, got {value}")
  return int(value)


def check_array(name: str, value: Any, shape: tuple[int | None, ...] | None = None,
                finite: bool = True) -> np.ndarray:
  """Returns `value` as a NumPy array after checking its shape (None = any size) and values."""
  array = np.asarray(value)
  if shape is not None:
    ok = array.ndim == len(shape) and all(
        want is None or want == got for want, got in zip(shape, array.shape))
    if not ok:
      want = "(" + ", ".join("*" if s is None else str(s) for s in shape)
      want += ",)" if len(shape) == 1 else ")"
      raise ValueError(f"{name}: expected shape {want}, got {array.shape}")
  if finite and not np.all(np.isfinite(array)):
    raise ValueError(f"{name}: expected finite values, found NaN or inf")
  return array


def check_covariance(name: str, value: Any, dim: int | None = None, tol: float = 1e-6
                     ) -> np.ndarray:
  """Checks a covariance matrix: square (dim, dim), finite, symmetric, positive semi-definite.

  Args:
    name: argument name used in error messages.
    value: the matrix, shape (dim, dim).
    dim: required size, or None for any.
    tol: relative tolerance for symmetry and for negative eigenvalues (relative to the
      largest diagonal entry).
  """
  sigma = check_array(name, value, shape=(dim, dim))
  if sigma.shape[0] != sigma.shape[1]:
    raise ValueError(f"{name}: expected a square covariance matrix, got shape {sigma.shape}")
  scale = max(float(np.max(np.abs(np.diag(sigma)))), np.finfo(np.float32).tiny)
  if np.max(np.abs(sigma - sigma.T)) > tol * scale:
    raise ValueError(f"{name}: expected a symmetric matrix")
  smallest = float(np.linalg.eigvalsh(sigma.astype(np.float64))[0])
  if smallest < -tol * scale:
    raise ValueError(
        f"{name}: expected a positive semi-definite matrix, smallest eigenvalue is "
        f"{smallest:.3g}")
  return sigma


def check_positive_definite(name: str, value: np.ndarray, tol: float = 1e-6) -> None:
  """Raises unless the (already checked) covariance block `value` is non-singular."""
  scale = max(float(np.max(np.abs(np.diag(value)))), np.finfo(np.float32).tiny)
  if float(np.linalg.eigvalsh(value.astype(np.float64))[0]) <= tol * scale:
    raise ValueError(f"{name}: expected a non-singular (positive definite) block")
