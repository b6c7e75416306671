"""Ground-truth tasks shaped like an analysis's representations (for `calibration`).

`measure` records, on the PCA scores z_t (n, d_t), z_s (n, d_s) that the estimators saw,
what a calibration task must copy: the joint sample covariance of (z_t, z_s), its sample
canonical correlations, and for class labels both views' class structure (class means,
pooled within-class covariances, class shares) and the within-class cross-covariance's
canonical shape; for a regression target the pair shape of (z_s, y). `pooled` merges the
shapes of several splits (or pairs) into one task family. From a shape, at a true MI
level in nats:

  teacher_student_task(shape, level)   # Gaussian: z_t's and z_s's own covariances, the
                                       # canonical directions of split 0, and the observed
                                       # spectrum's Fisher-z shape scaled by c so that
                                       # Σ log cosh(c·atanh ρ̂_i) = level (closed-form truth)
  class_pair_task(shape, level)        # class mixture of (z_t, z_s): y ~ shares,
                                       # (z_t, z_s) | y=k ~ N((μ_t,k, μ_s,k), [[W_t, C(c)],
                                       # [C(c)ᵀ, W_s]]), C(c) the within-class canonical
                                       # shape scaled by c (c = 0: the views meet only
                                       # through y; `class_floor`), c solved for
                                       # on a Monte Carlo truth
  label_task(shape, level)             # class mixture: x | y=k ~ N(μ̄ + s(μ_k − μ̄), W)
                                       # with the observed shares, s solved for on
                                       # a Monte Carlo truth (exact class posteriors)

All are `mi.tasks.Task`s (a Monte Carlo truth's standard error in `Task.mi_se`). Limits:
the tasks are Gaussian (or Gaussian within each class); the observed spectra are the
sample's, so their smallest correlations carry the noise floor (≈ √(d/n)) as shape.
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
import scipy.linalg
import scipy.optimize

from cch_jax import mi
from cch_jax.mi import tasks

RHO_MAX = 1.0 - 1e-6
"""The largest canonical correlation a task uses (keeps its covariance invertible)."""
TRUTH_SAMPLES = 20_000
"""Monte Carlo draws behind a label or class-pair task's truth (each task records its
standard error, `Task.mi_se`)."""
LABEL_REACH = 32.0
"""The farthest a label task's class mean lies from the centre, in within-class SDs (a
level at H(Y) ends there, its classes far apart): much farther, the samples' magnitude
swamps float32 kNN distances (Gram form) and the estimates fail."""


def measure(z_t: np.ndarray, z_s: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
  """The shape of z_t (n, d_t), z_s (n, d_s) and labels (plain lists).

  Args:
    labels: (n,) class codes in [0, K), or (n, k) float regression targets.

  Returns:
    `pair_shape(z_t, z_s)` plus, for class labels, {'n_classes', 'class_shares' (K',),
    'class_means' (K', d_s), 'within_covariance' (d_s, d_s): z_s's, 'teacher_class_means'
    (K', d_t), 'teacher_within_covariance' (d_t, d_t): z_t's, 'within_cross_covariance'
    (d_t, d_s) and 'within_canonical_correlations' (min(d_t, d_s),): of the two views'
    within-class residuals} (K' counts the classes present), or for regression targets
    {'label_pair': pair_shape(z_s, targets)}: the label term is then calibrated on
    Gaussian tasks like I(H_t; H_s)'s.
  """
  z_t, z_s = np.asarray(z_t, np.float64), np.asarray(z_s, np.float64)
  y = np.asarray(labels)
  shape = pair_shape(z_t, z_s)
  if np.issubdtype(y.dtype, np.floating):
    return shape | {"label_pair": pair_shape(z_s, y.reshape(len(y), -1))}
  present = np.unique(y)
  codes = np.searchsorted(present, y)
  dof = max(len(y) - len(present), 1)
  (means_s, resid_s), (means_t, resid_t) = (_class_residuals(z, codes, len(present))
                                            for z in (z_s, z_t))
  return shape | {
      "n_classes": len(present), "class_means": means_s.tolist(),
      "class_shares": (np.bincount(codes) / len(y)).tolist(),
      "within_covariance": (resid_s.T @ resid_s / dof).tolist(),
      "teacher_class_means": means_t.tolist(),
      "teacher_within_covariance": (resid_t.T @ resid_t / dof).tolist(),
      "within_cross_covariance": (resid_t.T @ resid_s / dof).tolist(),
      "within_canonical_correlations":
          mi.canonical_correlations(resid_t, resid_s).tolist()}


def _class_residuals(z: np.ndarray, codes: np.ndarray, k: int
                     ) -> tuple[np.ndarray, np.ndarray]:
  """(class means (k, d), within-class residuals (n, d)) of z (n, d), codes (n,) in [0, k)."""
  means = np.stack([z[codes == c].mean(0) for c in range(k)])
  return means, z - means[codes]


def has_classes(shape: Mapping[str, Any]) -> bool:
  """The shape records both views' class structure (what `class_pair_task` needs)."""
  return "teacher_class_means" in shape and "within_canonical_correlations" in shape


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
  (covariances, class structure) with the mean Fisher-z spectra (the correlations' and,
  where every shape has it, the within-class one's) and the mean n."""
  first = dict(shapes[0])
  for s in shapes:
    if (s["dim_t"], s["dim_s"]) != (first["dim_t"], first["dim_s"]):
      raise ValueError(f"shapes: expected one width, got {(s['dim_t'], s['dim_s'])} and "
                       f"{(first['dim_t'], first['dim_s'])}")
  out = first | {"canonical_correlations": _mean_spectrum(shapes, "canonical_correlations"),
                 "n": int(round(np.mean([s["n"] for s in shapes])))}
  if all(has_classes(s) for s in shapes):
    out["within_canonical_correlations"] = _mean_spectrum(
        shapes, "within_canonical_correlations")
  if "label_pair" in first:
    out["label_pair"] = pooled([s["label_pair"] for s in shapes])
  return out


def _mean_spectrum(shapes: Sequence[Mapping[str, Any]], name: str) -> list[float]:
  """tanh of the mean Fisher z of the shapes' `name` spectra."""
  z = [np.arctanh(np.clip(s[name], 0, RHO_MAX)) for s in shapes]
  return np.tanh(np.mean(z, axis=0)).tolist()


def key(shape: Mapping[str, Any]) -> str:
  """A digest of the shape (cache key)."""
  return hashlib.sha1(json.dumps(shape, sort_keys=True).encode()).hexdigest()


def spectrum_at(shape: Mapping[str, Any], level: float) -> np.ndarray:
  """(m,) canonical correlations tanh(c·atanh ρ̂) whose Gaussian MI is `level` nats."""
  z = _fisher_z(shape["canonical_correlations"])
  rho = lambda c: _scaled(z, c)
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


def _fisher_z(rho: Sequence[float]) -> np.ndarray:
  """atanh of an observed spectrum (clipped to [0, RHO_MAX]); all ones when it is ~0 (no
  observed dependence: the MI is spread evenly)."""
  z = np.arctanh(np.clip(np.asarray(rho, np.float64), 0, RHO_MAX))
  return z if z.sum() >= 1e-9 else np.ones_like(z)


def _scaled(z: np.ndarray, c: float) -> np.ndarray:
  """The spectrum tanh(c·z), capped at RHO_MAX."""
  return np.minimum(np.tanh(c * z), RHO_MAX)


def teacher_student_task(shape: Mapping[str, Any], level: float) -> tasks.Task:
  """A Gaussian (x (·, d_t), y (·, d_s)) with the shape's marginal covariances and
  canonical directions and the scaled spectrum (`spectrum_at`); truth −½Σlog(1 − ρ²)."""
  d_t = shape["dim_t"]
  cov = np.asarray(shape["covariance"], np.float64)
  s_tt, s_ss = cov[:d_t, :d_t], cov[d_t:, d_t:]
  rho = spectrum_at(shape, level)
  cross = _cross_covariance(s_tt, s_ss, cov[:d_t, d_t:], rho)
  joint = np.block([[s_tt, cross], [cross.T, s_ss]])
  chol = jnp.asarray(np.linalg.cholesky(joint), jnp.float32)
  sample = lambda k, n: _gaussian_sample(k, chol, n, d_t)
  return tasks.Task(f"shaped-{d_t}x{shape['dim_s']}-{level:.3f}", sample,
                    float(-0.5 * np.sum(np.log1p(-rho**2))), d_t, shape["dim_s"])


def _cross_covariance(s_tt: np.ndarray, s_ss: np.ndarray, observed: np.ndarray,
                      rho: np.ndarray) -> np.ndarray:
  """(d_t, d_s) cross-covariance with marginals s_tt, s_ss, the canonical directions of
  the `observed` cross-covariance and canonical correlations rho (m,)."""
  left, right = _canonical_frame(s_tt, s_ss, observed)
  return (left * rho) @ right


def _canonical_frame(s_tt: np.ndarray, s_ss: np.ndarray, observed: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
  """(s_tt^½ U (d_t, m), Vᵀ s_ss^½ (m, d_s)) for U, V the canonical directions of the
  `observed` (d_t, d_s) cross-covariance: the cross-covariance with canonical
  correlations rho is (left · rho) @ right."""
  root_t, inv_t = _sqrt_and_inverse(s_tt)
  root_s, inv_s = _sqrt_and_inverse(s_ss)
  u, _, vt = np.linalg.svd(inv_t @ observed @ inv_s, full_matrices=False)
  return root_t @ u, vt @ root_s


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


def class_pair_task(shape: Mapping[str, Any], level: float) -> tasks.Task:
  """A class mixture (x (·, d_t), y (·, d_s)) shaped like (z_t, z_s) (`has_classes`):
  y ~ the class shares, (x, y) | class k ~ N((μ_t,k, μ_s,k), [[W_t, C(c)], [C(c)ᵀ, W_s]])
  with the observed class means and within-class covariances, C(c) the observed
  within-class canonical directions with the spectrum tanh(c·atanh ρ̂_w); c solved for
  so that the Monte Carlo truth (`_class_truth`) is `level` nats, or c = 0 (the views
  meet only through the class; `class_floor`) where `level` is at or below the floor."""
  c, truth, se = _cross_scale(shape, float(level))
  d_t, d_s = shape["dim_t"], shape["dim_s"]
  joint, _ = _class_joint_at(shape)(c)
  mu = jnp.asarray(_joint_means(shape), jnp.float32)
  chol = jnp.asarray(np.linalg.cholesky(joint), jnp.float32)
  logits = jnp.log(jnp.asarray(shape["class_shares"], jnp.float32))
  sample = lambda k, n: _pair_mixture_sample(k, mu, chol, logits, n, d_t)
  return tasks.Task(f"classes-{d_t}x{d_s}-{level:.3f}", sample, truth, d_t, d_s,
                    mi_se=se)


def class_floor(shape: Mapping[str, Any]) -> tuple[float, float]:
  """(truth, standard error) in nats of the class-pair family at c = 0: the MI the views
  share through the class alone, I(z_t; y) + I(z_s; y) − I(z_t, z_s; y); its lowest level."""
  memo = (key(shape), "floor")
  if memo not in _CROSS:
    _CROSS[memo] = (0.0, *_class_truth(shape)(0.0))
  return _CROSS[memo][1:]


@functools.partial(jax.jit, static_argnames=("n", "dim_x"))
def _pair_mixture_sample(k: jax.Array, mu: jax.Array, chol: jax.Array, logits: jax.Array,
                         n: int, dim_x: int) -> tuple[jax.Array, jax.Array]:
  """`_mixture_sample`'s rows (n, d) split into (n, dim_x), (n, d − dim_x); no labels."""
  z, _ = _mixture_sample(k, mu, chol, logits, n)
  return z[:, :dim_x], z[:, dim_x:]


def _joint_means(shape: Mapping[str, Any]) -> np.ndarray:
  """(K', d_t + d_s) class means of (z_t, z_s)."""
  return np.concatenate([np.asarray(shape["teacher_class_means"], np.float64),
                         np.asarray(shape["class_means"], np.float64)], axis=1)


def _class_joint_at(shape: Mapping[str, Any]):
  """c -> (the within-class covariance of (z_t, z_s) at scale c (d, d), its canonical
  correlations (m,)); the geometry is computed once."""
  w_t = np.asarray(shape["teacher_within_covariance"], np.float64)
  w_s = np.asarray(shape["within_covariance"], np.float64)
  z = _fisher_z(shape["within_canonical_correlations"])
  left, right = _canonical_frame(w_t, w_s, np.asarray(shape["within_cross_covariance"]))

  def joint(c: float) -> tuple[np.ndarray, np.ndarray]:
    rho = _scaled(z, c)
    cross = (left * rho) @ right
    return np.block([[w_t, cross], [cross.T, w_s]]), rho

  return joint


_CROSS: dict[tuple[str, Any], tuple[float, float, float]] = {}


def _cross_scale(shape: Mapping[str, Any], level: float) -> tuple[float, float, float]:
  """(c, truth, standard error) with the class-pair truth = level (`_solve_level` on c
  over fixed draws; c = 0 at or below the floor)."""
  memo = (key(shape), level)
  if memo not in _CROSS:
    floor = class_floor(shape)
    truth_at = _class_truth(shape)
    _CROSS[memo] = ((0.0, *floor) if level <= floor[0]
                    else _solve_level(truth_at, level, 1e3))
  return _CROSS[memo]


def _solve_level(truth_at, level: float, cap: float) -> tuple[float, float, float]:
  """(x, *truth_at(x)) with truth_at(x)[0] = level for x in (0, cap], truth_at rising:
  doubling to a bracket, then Brent's method; the cap where the level is out of reach."""
  truth_at = functools.lru_cache(maxsize=None)(truth_at)
  f = lambda x: truth_at(x)[0] - level
  low, high = 0.0, 1.0
  while f(high) < 0 and high < cap:
    low, high = high, 2 * high
  if f(high) > 0:
    high = scipy.optimize.brentq(f, low, high, xtol=1e-9, rtol=1e-9)
  return (high, *truth_at(high))


def _class_truth(shape: Mapping[str, Any]):
  """c -> (I(z_t; z_s), its standard error) of the class-pair mixture at scale c.

  With exact mixture densities, log p(z) − log p(z_t) − log p(z_s) on a draw of class k
  equals the within-class Gaussian's pointwise MI minus log p_k − log p(k | z) +
  log p(k | z_t) + log p(k | z_s) (Bayes' rule on each density), so
  I = −½Σlog(1 − ρ(c)²) + H(Y) + E[log p(y | z_t)] + E[log p(y | z_s)] − E[log p(y | z)]:
  the within-class part in closed form, the class posteriors (exact; log-sum-exp over
  classes) by Monte Carlo over TRUTH_SAMPLES fixed draws (common to every c), each
  expectation on its own block of one standard-normal draw. Standard error: the
  per-draw spread / √TRUTH_SAMPLES.
  """
  rng = np.random.default_rng(0)
  shares = np.asarray(shape["class_shares"], np.float64)
  d_t, mu = shape["dim_t"], _joint_means(shape)
  y = rng.choice(len(shares), TRUTH_SAMPLES, p=shares)
  eps = rng.normal(size=(TRUTH_SAMPLES, mu.shape[1]))
  log_prior = np.log(shares)
  post = lambda e, means, cov: _log_posterior(e, _whitened(means, cov), y, log_prior)
  joint_at = _class_joint_at(shape)
  joint0, _ = joint_at(0.0)
  marginals = (-float(np.sum(shares * np.log(shares)))
               + post(eps[:, :d_t], mu[:, :d_t], joint0[:d_t, :d_t])
               + post(eps[:, d_t:], mu[:, d_t:], joint0[d_t:, d_t:]))

  def truth(c: float) -> tuple[float, float]:
    joint, rho = joint_at(c)
    v = marginals - post(eps, mu, joint)
    return (float(-0.5 * np.sum(np.log1p(-rho**2)) + v.mean()),
            float(v.std(ddof=1) / np.sqrt(len(v))))

  return truth


def _whitened(means: np.ndarray, cov: np.ndarray) -> np.ndarray:
  """Class means (K, d) in the coordinates L⁻¹z, L Lᵀ = cov (d, d)."""
  return scipy.linalg.solve_triangular(np.linalg.cholesky(cov), means.T, lower=True).T


def _log_posterior(eps: np.ndarray, m: np.ndarray, y: np.ndarray, log_prior: np.ndarray
                   ) -> np.ndarray:
  """(N,) log p(y_i | w_i) for w_i = m[y_i] + eps_i (eps (N, d), m (K, d) whitened
  class means, labels y (N,), class log-priors (K,)): the exact posterior of a mixture
  with identity within-class covariance, log-sum-exp over the K classes."""
  gram = m @ m.T
  logits = eps @ m.T + (gram[y] + (log_prior - 0.5 * np.diag(gram)))
  top = logits.max(axis=1)
  spread = np.log(np.exp(logits - top[:, None]).sum(axis=1))
  return logits[np.arange(len(y)), y] - top - spread


def label_task(shape: Mapping[str, Any], level: float) -> tasks.Task:
  """A class mixture shaped like z_s whose I(X; Y) is `level` (≤ H(shares)); labels
  (·,) in [0, K')."""
  scale, truth, se = _label_scale(shape, float(level))
  means = np.asarray(shape["class_means"])
  center = np.asarray(shape["class_shares"]) @ means
  mu = jnp.asarray(center + scale * (means - center), jnp.float32)
  chol = jnp.asarray(np.linalg.cholesky(np.asarray(shape["within_covariance"])), jnp.float32)
  logits = jnp.log(jnp.asarray(shape["class_shares"], jnp.float32))

  sample = lambda k, n: _mixture_sample(k, mu, chol, logits, n)
  return tasks.Task(f"shaped-labels-{level:.3f}", sample, truth, mu.shape[1], 1,
                    labels=True, mi_se=se)


@functools.partial(jax.jit, static_argnames=("n",))
def _mixture_sample(k: jax.Array, mu: jax.Array, chol: jax.Array, logits: jax.Array, n: int
                    ) -> tuple[jax.Array, jax.Array]:
  """x (n, d) and labels (n,) of the mixture with means mu (K, d), shared covariance
  chol cholᵀ and class log-shares logits (K,)."""
  k1, k2 = jax.random.split(k)
  y = jax.random.categorical(k1, logits, shape=(n,))
  return mu[y] + jax.random.normal(k2, (n, mu.shape[1])) @ chol.T, y


_SCALES: dict[tuple[str, float], tuple[float, float, float]] = {}


def _label_scale(shape: Mapping[str, Any], level: float) -> tuple[float, float, float]:
  """(scale s, Monte Carlo truth at s, its standard error) with truth = level
  (`_solve_level` over fixed draws; s at most LABEL_REACH / the largest whitened class
  offset, where a level at H(Y) ends)."""
  memo = (key(shape), level)
  if memo not in _SCALES:
    means, within, shares = (np.asarray(shape[k], np.float64) for k in
                             ("class_means", "within_covariance", "class_shares"))
    reach = np.linalg.norm(_whitened(means - shares @ means, within), axis=1).max()
    _SCALES[memo] = (_solve_level(_label_truth(means, within, shares), level,
                                  LABEL_REACH / max(reach, 1e-12)) if level > 0
                     else (0.0, 0.0, 0.0))
  return _SCALES[memo]


def _label_truth(means: np.ndarray, within: np.ndarray, shares: np.ndarray):
  """s -> (I(X; Y), its standard error) of the mixture at scale s: H(Y) + E[log p(y | x)]
  over fixed draws (exact class posteriors, `_log_posterior`)."""
  rng = np.random.default_rng(0)
  m = _whitened(means - shares @ means, within)  # whitened class offsets (K, d)
  y = rng.choice(len(shares), TRUTH_SAMPLES, p=shares)
  eps = rng.normal(size=(TRUTH_SAMPLES, m.shape[1]))
  entropy = -float(np.sum(shares * np.log(shares)))

  def truth(s: float) -> tuple[float, float]:
    v = entropy + _log_posterior(eps, s * m, y, np.log(shares))
    return float(v.mean()), float(v.std(ddof=1) / np.sqrt(len(v)))

  return truth
