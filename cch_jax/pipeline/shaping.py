"""Ground-truth tasks shaped like an analysis's representations (for `calibration`).

`measure` records, on the PCA scores z_t (n, d_t), z_s (n, d_s) that the estimators saw,
what a calibration task must copy: the joint sample covariance of (z_t, z_s), its sample
canonical correlations, and z_s's class structure (class means, pooled within-class
covariance, class shares), or for a regression target the same pair shape of (z_s, y). `pooled` merges the shapes of several splits (or pairs) into
one task family. From a shape, at a true MI level in nats:

  teacher_student_task(shape, level)   # Gaussian: z_t's and z_s's own covariances, the
                                       # canonical directions of split 0, and the observed
                                       # spectrum's Fisher-z shape scaled by c so that
                                       # Σ log cosh(c·atanh ρ̂_i) = level (closed-form truth)
  label_task(shape, level)             # class mixture: x | y=k ~ N(μ̄ + s(μ_k − μ̄), W)
                                       # with the observed shares, s found by bisection on
                                       # a Monte Carlo truth (exact class posteriors)

Both are `mi.tasks.Task`s. Limits: the tasks are Gaussian (or Gaussian within each class);
the observed spectrum is the sample's, so its smallest correlations carry the noise
floor (≈ √(d/n)) as shape.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from cch_jax import mi
from cch_jax.mi import tasks

RHO_MAX = 1.0 - 1e-6
"""The largest canonical correlation a task uses (keeps its covariance invertible)."""
TRUTH_SAMPLES = 20_000
"""Monte Carlo draws behind a label task's truth (standard error ≈ 0.005 nats)."""


def measure(z_t: np.ndarray, z_s: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
  """The shape of z_t (n, d_t), z_s (n, d_s) and labels (plain lists).

  Args:
    labels: (n,) class codes in [0, K), or (n, k) float regression targets.

  Returns:
    `pair_shape(z_t, z_s)` plus, for class labels, {'n_classes', 'class_means' (K', d_s),
    'class_shares' (K',), 'within_covariance' (d_s, d_s)} (K' counts the classes
    present), or for regression targets {'label_pair': pair_shape(z_s, targets)}: the
    label term is then calibrated on Gaussian tasks like I(H_t; H_s)'s.
  """
  z_s = np.asarray(z_s, np.float64)
  y = np.asarray(labels)
  shape = pair_shape(z_t, z_s)
  if np.issubdtype(y.dtype, np.floating):
    return shape | {"label_pair": pair_shape(z_s, y.reshape(len(y), -1))}
  present = np.unique(y)
  means = np.stack([z_s[y == c].mean(0) for c in present])
  resid = z_s - means[np.searchsorted(present, y)]
  within = resid.T @ resid / max(len(y) - len(present), 1)
  return shape | {"n_classes": len(present), "class_means": means.tolist(),
                  "class_shares": (np.bincount(np.searchsorted(present, y)) / len(y)).tolist(),
                  "within_covariance": within.tolist()}


def pair_shape(a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
  """{'n', 'dim_t', 'dim_s', 'canonical_correlations' (min(d_a, d_b),), 'covariance'
  (d_a + d_b, d_a + d_b)} of a (n, d_a) and b (n, d_b): what `teacher_student_task`
  copies (a in the teacher's place)."""
  a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
  return {"n": len(a), "dim_t": a.shape[1], "dim_s": b.shape[1],
          "canonical_correlations": mi.canonical_correlations(a, b).tolist(),
          "covariance": np.cov(np.concatenate([a, b], 1), rowvar=False).tolist()}


def pooled(shapes: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
  """One task family for several shapes of one width: the first shape's geometry
  (covariances, class structure) with the mean Fisher-z spectrum and the mean n."""
  first = dict(shapes[0])
  for s in shapes:
    if (s["dim_t"], s["dim_s"]) != (first["dim_t"], first["dim_s"]):
      raise ValueError(f"shapes: expected one width, got {(s['dim_t'], s['dim_s'])} and "
                       f"{(first['dim_t'], first['dim_s'])}")
  z = np.mean([np.arctanh(np.clip(s["canonical_correlations"], 0, RHO_MAX)) for s in shapes],
              axis=0)
  out = first | {"canonical_correlations": np.tanh(z).tolist(),
                 "n": int(round(np.mean([s["n"] for s in shapes])))}
  if "label_pair" in first:
    out["label_pair"] = pooled([s["label_pair"] for s in shapes])
  return out


def key(shape: Mapping[str, Any]) -> str:
  """A digest of the shape (cache key)."""
  return hashlib.sha1(json.dumps(shape, sort_keys=True).encode()).hexdigest()


def spectrum_at(shape: Mapping[str, Any], level: float) -> np.ndarray:
  """(m,) canonical correlations tanh(c·atanh ρ̂) whose Gaussian MI is `level` nats."""
  z = np.arctanh(np.clip(np.asarray(shape["canonical_correlations"]), 0, RHO_MAX))
  if z.sum() < 1e-9:
    z = np.ones_like(z)  # no observed dependence: spread the MI evenly
  rho = lambda c: np.minimum(np.tanh(c * z), RHO_MAX)
  mi_of = lambda c: float(-0.5 * np.sum(np.log1p(-rho(c) ** 2)))
  if level <= 0:
    return rho(0.0)
  high = 1.0
  while mi_of(high) < level and high < 1e6:
    high *= 2
  low = 0.0
  for _ in range(60):
    mid = 0.5 * (low + high)
    low, high = (mid, high) if mi_of(mid) < level else (low, mid)
  return rho(high)


def teacher_student_task(shape: Mapping[str, Any], level: float) -> tasks.Task:
  """A Gaussian (x (·, d_t), y (·, d_s)) with the shape's marginal covariances and
  canonical directions and the scaled spectrum (`spectrum_at`); truth −½Σlog(1 − ρ²)."""
  d_t = shape["dim_t"]
  cov = np.asarray(shape["covariance"], np.float64)
  s_tt, s_ss = cov[:d_t, :d_t], cov[d_t:, d_t:]
  root_t, inv_t = _sqrt_and_inverse(s_tt)
  root_s, inv_s = _sqrt_and_inverse(s_ss)
  u, _, vt = np.linalg.svd(inv_t @ cov[:d_t, d_t:] @ inv_s, full_matrices=False)
  rho = spectrum_at(shape, level)
  cross = root_t @ u @ np.diag(rho) @ vt @ root_s
  joint = np.block([[s_tt, cross], [cross.T, s_ss]])
  chol = jnp.asarray(np.linalg.cholesky(joint), jnp.float32)
  sample = lambda k, n: _gaussian_sample(k, chol, n, d_t)
  return tasks.Task(f"shaped-{d_t}x{shape['dim_s']}-{level:.3f}", sample,
                    float(-0.5 * np.sum(np.log1p(-rho**2))), d_t, shape["dim_s"])


@functools.partial(jax.jit, static_argnames=("n", "dim_x"))
def _gaussian_sample(k: jax.Array, chol: jax.Array, n: int, dim_x: int
                     ) -> tuple[jax.Array, jax.Array]:
  """(n, dim_x), (n, d − dim_x) rows of N(0, chol cholᵀ) (one program per shape)."""
  z = jax.random.normal(k, (n, chol.shape[0])) @ chol.T
  return z[:, :dim_x], z[:, dim_x:]


def _sqrt_and_inverse(cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  """Symmetric square root and inverse square root of a (d, d) covariance."""
  w, v = np.linalg.eigh(cov)
  w = np.maximum(w, 1e-9 * max(w.max(), 1e-30))
  return (v * np.sqrt(w)) @ v.T, (v / np.sqrt(w)) @ v.T


def label_task(shape: Mapping[str, Any], level: float) -> tasks.Task:
  """A class mixture shaped like z_s whose I(X; Y) is `level` (≤ H(shares)); labels
  (·,) in [0, K')."""
  scale, truth = _label_scale(shape, float(level))
  means = np.asarray(shape["class_means"])
  center = np.asarray(shape["class_shares"]) @ means
  mu = jnp.asarray(center + scale * (means - center), jnp.float32)
  chol = jnp.asarray(np.linalg.cholesky(np.asarray(shape["within_covariance"])), jnp.float32)
  logits = jnp.log(jnp.asarray(shape["class_shares"], jnp.float32))

  sample = lambda k, n: _mixture_sample(k, mu, chol, logits, n)
  return tasks.Task(f"shaped-labels-{level:.3f}", sample, truth, mu.shape[1], 1, labels=True)


@functools.partial(jax.jit, static_argnames=("n",))
def _mixture_sample(k: jax.Array, mu: jax.Array, chol: jax.Array, logits: jax.Array, n: int
                    ) -> tuple[jax.Array, jax.Array]:
  """x (n, d) and labels (n,) of the mixture with means mu (K, d), shared covariance
  chol cholᵀ and class log-shares logits (K,)."""
  k1, k2 = jax.random.split(k)
  y = jax.random.categorical(k1, logits, shape=(n,))
  return mu[y] + jax.random.normal(k2, (n, mu.shape[1])) @ chol.T, y


_SCALES: dict[tuple[str, float], tuple[float, float]] = {}


def _label_scale(shape: Mapping[str, Any], level: float) -> tuple[float, float]:
  """(scale s, Monte Carlo truth at s) with truth ≈ level (bisection, fixed draws)."""
  memo = (key(shape), level)
  if memo in _SCALES:
    return _SCALES[memo]
  truth_at = _label_truth(np.asarray(shape["class_means"]),
                          np.asarray(shape["within_covariance"]),
                          np.asarray(shape["class_shares"]))
  high, low = 1.0, 0.0
  while level > 0 and truth_at(high) < level and high < 1e4:
    high *= 2
  for _ in range(40 if level > 0 else 0):
    mid = 0.5 * (low + high)
    low, high = (mid, high) if truth_at(mid) < level else (low, mid)
  _SCALES[memo] = (high, truth_at(high)) if level > 0 else (0.0, 0.0)
  return _SCALES[memo]


def _label_truth(means: np.ndarray, within: np.ndarray, shares: np.ndarray):
  """s -> I(X; Y) of the mixture at scale s: H(Y) + E[log p(y | x)] over fixed draws."""
  rng = np.random.default_rng(0)
  chol = np.linalg.cholesky(within)
  m = np.linalg.solve(chol, (means - shares @ means).T).T  # whitened class offsets (K, d)
  y = rng.choice(len(shares), TRUTH_SAMPLES, p=shares)
  eps = rng.normal(size=(TRUTH_SAMPLES, m.shape[1]))
  entropy = -float(np.sum(shares * np.log(shares)))
  log_prior = np.log(shares)

  def truth(s: float) -> float:
    x = s * m[y] + eps
    logits = log_prior - 0.5 * np.sum((x[:, None, :] - s * m[None]) ** 2, axis=-1)
    top = logits.max(1, keepdims=True)
    log_post = logits - top - np.log(np.exp(logits - top).sum(1, keepdims=True))
    return entropy + float(np.mean(log_post[np.arange(len(y)), y]))

  return truth
