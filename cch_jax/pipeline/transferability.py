"""Published transferability scores of a representation for a target (NumPy, float64).

  logme(features, labels)        # LogME (You et al., ICML 2021): mean log evidence / n
  h_score(features, labels)      # H-score (Bao et al., ICIP 2019): tr(cov(f)⁻¹ cov(E[f|y]))
  knn_probe(features, labels)    # leave-one-out k-NN: accuracy, or R² for float targets

features: (n, d) rows. targets: (n,) integer (or boolean) class labels, or (n,) / (n, k)
float targets (each column one target); the dtype decides which. Every function is pure
and checks its inputs (matching n, at least 2 rows, finite values).
"""

from __future__ import annotations

from typing import Any

import numpy as np

# Residual and weight norms are floored at this share of ‖y‖² (keeps α and β finite when
# a target is exactly 0 or exactly in the features' span).
_FLOOR = 1e-12


def _features(features: Any) -> np.ndarray:
  """(n, d) float64 features, checked."""
  f = np.asarray(features, np.float64)
  if f.ndim != 2 or len(f) < 2 or f.shape[1] < 1:
    raise ValueError(f"features: expected an (n, d) array with n >= 2 and d >= 1, got "
                     f"shape {f.shape}")
  if not np.isfinite(f).all():
    raise ValueError("features: expected finite values, got NaN or inf")
  return f


def _targets(targets: Any, n: int, name: str = "targets") -> tuple[bool, np.ndarray]:
  """(is_classes, y): (n,) int labels when the dtype is integer or boolean, else (n, k)
  float64 columns."""
  y = np.asarray(targets)
  if y.ndim not in (1, 2) or len(y) != n or (y.ndim == 2 and y.shape[1] < 1):
    raise ValueError(f"{name}: expected shape ({n},) or ({n}, k) to match features, "
                     f"got {y.shape}")
  if y.dtype == bool or np.issubdtype(y.dtype, np.integer):
    if y.ndim != 1:
      raise ValueError(f"{name}: expected integer class labels of shape ({n},), "
                       f"got {y.shape}")
    return True, y.astype(np.int64)
  if not np.issubdtype(y.dtype, np.floating):
    raise ValueError(f"{name}: expected integer labels or float targets, "
                     f"got dtype {y.dtype}")
  y = y.astype(np.float64).reshape(n, -1)
  if not np.isfinite(y).all():
    raise ValueError(f"{name}: expected finite values, got NaN or inf")
  return False, y


def _columns(is_classes: bool, y: np.ndarray) -> np.ndarray:
  """(n, k) target columns: one-hot of the classes present, or the float columns."""
  return (y[:, None] == np.unique(y)[None, :]).astype(np.float64) if is_classes else y


def _log_evidence(alpha: float, beta: float, sigma: np.ndarray, x2: np.ndarray,
                  outside: float, n: int) -> tuple[float, float, float, float]:
  """(log evidence, γ, ‖m‖², ‖y − F m‖²) at (α, β) from the SVD terms: sigma (r,) the
  nonzero squared singular values, x2 (r,) the squared coordinates of y on their left
  singular vectors, outside the part of ‖y‖² off their span. The d − r zero singular
  values cancel from d log α − log|A|, leaving r log α."""
  t = alpha / beta
  gamma = float(np.sum(sigma / (sigma + t)))
  m2 = float(np.sum(sigma * x2 / (sigma + t) ** 2))
  res2 = float(np.sum(x2 * (t / (sigma + t)) ** 2) + outside)
  log_det = float(np.sum(np.log(alpha + beta * sigma)))
  evidence = (len(sigma) * np.log(alpha) + n * np.log(beta) - log_det - beta * res2
              - alpha * m2 - n * np.log(2 * np.pi)) / 2
  return float(evidence), gamma, m2, res2


def _svd_terms(f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  """(u (n, r), sigma (r,)): left singular vectors and squared singular values of the
  (n, d) features, numerically zero singular values dropped (r the rank)."""
  u, s, _ = np.linalg.svd(f, full_matrices=False)
  keep = s > s.max(initial=0.0) * max(f.shape) * np.finfo(np.float64).eps
  return u[:, keep], s[keep] ** 2


def _maximise(u: np.ndarray, sigma: np.ndarray, y: np.ndarray, max_iter: int,
              tol: float) -> tuple[float, float, float]:
  """(max log evidence / n, α, β) of (n,) y by the fixed point, from `_svd_terms`."""
  n, x = len(y), u.T @ y
  yy = float(y @ y)
  floor = _FLOOR * max(yy, np.finfo(np.float64).tiny)
  outside = max(yy - float(x @ x), 0.0)
  alpha, beta = 1.0, 1.0
  for _ in range(max_iter):
    _, gamma, m2, res2 = _log_evidence(alpha, beta, sigma, x**2, outside, n)
    t = alpha / beta
    if gamma > 0:   # else rank 0: α drops out of the evidence
      alpha = gamma / max(m2, floor)
    beta = (n - gamma) / max(res2, floor)
    if abs(alpha / beta - t) <= tol * t:
      break
  return _log_evidence(alpha, beta, sigma, x**2, outside, n)[0] / n, alpha, beta


def logme_evidence(features: Any, target: Any, max_iter: int = 100,
                   tol: float = 1e-10) -> tuple[float, float, float]:
  """(max log evidence / n, α, β) of one (n,) float target on (n, d) features.

  The evidence of Bayesian linear regression y = F w + ε, w ~ N(0, α⁻¹ I),
  ε ~ N(0, β⁻¹ I): d/2 log α + n/2 log β − ½ log|A| − β/2 ‖y − F m‖² − α/2 ‖m‖²
  − n/2 log 2π, with A = αI + βFᵀF and m = βA⁻¹Fᵀy the posterior mean. Maximised by
  LogME's fixed point on the SVD of F (γ = Σ βσᵢ/(α + βσᵢ), α ← γ/‖m‖²,
  β ← (n − γ)/‖y − F m‖²) from α = β = 1 until α/β moves by under tol (relative). Where
  the features explain nothing of y the evidence rises as α → ∞; the loop then stops
  after max_iter.
  """
  f = _features(features)
  y = np.asarray(target, np.float64)
  if y.shape != (len(f),) or not np.isfinite(y).all():
    raise ValueError(f"target: expected finite values of shape ({len(f)},), got {y.shape}")
  return _maximise(*_svd_terms(f), y, max_iter, tol)


def logme(features: Any, targets: Any) -> float:
  """LogME of (n, d) features for the targets: the mean over target columns (one-hot
  columns of the classes present, or the float columns) of `logme_evidence`, one SVD for
  all. The features are used as given (no centring), as in the paper."""
  f = _features(features)
  columns = _columns(*_targets(targets, len(f)))
  u, sigma = _svd_terms(f)
  return float(np.mean([_maximise(u, sigma, c, 100, 1e-10)[0] for c in columns.T]))


def _bins(y: np.ndarray, n_bins: int = 5) -> np.ndarray:
  """(n,) labels 0..n_bins − 1 of (n,) floats by their quantiles (ties share a bin)."""
  edges = np.quantile(y, np.linspace(0, 1, n_bins + 1)[1:-1])
  return np.searchsorted(edges, y, side="right")


def h_score(features: Any, labels: Any, shrinkage: float = 1e-6) -> float:
  """H-score of (n, d) features for (n,) int labels: tr(cov(f)⁻¹ cov(E[f | y])), the
  features centred, both covariances 1/n-normalised and cov(f) + shrinkage·tr/d·I.

  For one feature it is the between-class over the total variance. Float targets ((n,) or
  (n, k)) are labelled first: the first column cut into 5 quantile bins.
  """
  f = _features(features)
  if not (np.isfinite(shrinkage) and shrinkage >= 0):
    raise ValueError(f"shrinkage: expected a finite value >= 0, got {shrinkage}")
  is_classes, y = _targets(labels, len(f), "labels")
  y = y if is_classes else _bins(y[:, 0])
  f = f - f.mean(0)
  n, d = f.shape
  cov = f.T @ f / n
  cov += shrinkage * np.trace(cov) / d * np.eye(d)
  _, label = np.unique(y, return_inverse=True)
  means = np.stack([f[label == c].mean(0) for c in range(label.max() + 1)])
  g = means[label]
  between = g.T @ g / n
  return float(np.trace(np.linalg.pinv(cov, hermitian=True) @ between))


def _neighbours(z: np.ndarray, k: int, block: int = 1024) -> np.ndarray:
  """(n, k) indices of each row's k nearest other rows of z (Euclidean; ties to the
  lower index)."""
  sq = np.sum(z**2, 1)
  out = np.empty((len(z), k), np.int64)
  for start in range(0, len(z), block):
    rows = np.arange(start, min(start + block, len(z)))
    dist = np.maximum(sq[rows, None] + sq[None, :] - 2 * z[rows] @ z.T, 0.0)
    dist[np.arange(len(rows)), rows] = np.inf
    out[rows] = np.argsort(dist, axis=1, kind="stable")[:, :k]
  return out


def knn_probe(features: Any, targets: Any, k: int = 5) -> float:
  """Leave-one-out k-NN probe on standardised (n, d) features (constant columns kept at
  0): class labels give the accuracy of the majority vote of each row's k nearest other
  rows (ties to the lowest class); float targets the R² (mean over columns) of the mean
  of their targets, NaN for a constant column."""
  f = _features(features)
  is_classes, y = _targets(targets, len(f))
  if not 1 <= k <= len(f) - 1:
    raise ValueError(f"k: expected 1 <= k <= n − 1 = {len(f) - 1}, got {k}")
  std = f.std(0)
  z = (f - f.mean(0)) / np.where(std > 0, std, 1.0)
  near = _neighbours(z, k)
  if is_classes:
    classes, label = np.unique(y, return_inverse=True)
    votes = np.stack([np.sum(label[near] == c, 1) for c in range(len(classes))], 1)
    return float(np.mean(np.argmax(votes, 1) == label))
  pred = y[near].mean(1)
  ss_res, ss_tot = np.sum((y - pred) ** 2, 0), np.sum((y - y.mean(0)) ** 2, 0)
  with np.errstate(divide="ignore", invalid="ignore"):
    r2 = np.where(ss_tot > 0, 1 - ss_res / ss_tot, np.nan)
  return float(np.mean(r2))
