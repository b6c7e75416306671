"""Regression lower bound on MI for a continuous y: I(X; Y) >= h(Y) − E[−log q(y | x)].

q is a Gaussian-likelihood probe: a ridge regression of y on standardised x, fitted in
closed form (an SVD) on a seed's training half, with its penalty chosen from a grid and
its residual covariance (full, or diagonal) fitted by the leave-one-out residuals on that
half (closed form for ridge; unlike in-sample residuals they track held-out errors even
when d nears the half's rows). E[−log q] is its mean negative log-likelihood (nats) on
the held-out half, and h(Y) the Kozachenko–Leonenko kNN estimate of the differential
entropy (`kl_entropy`) on the same held-out rows, per seed (the training-half
leave-one-out bound likewise uses h(Y) on the training rows). Why per seed: h(Y) on all
n rows would be one number shared by every seed, so its sampling noise (sd about 0.045
nats at n = 500, 1-D) would move all seeds together and the spread over seeds, which the
CI rests on, would miss it (measured: 95% CIs covered the truth 25-27 times in 30 at
n = 500, x (n, 3), rho = 0-0.9). Taken on the held-out half, each seed is a half-sample
estimate of both terms, so the CI over seeds covers h(Y)'s sampling error too (same
data: coverage 29-30 in 30; RMSE 0.030-0.065 nats against 0.043-0.061; bias −0.02 to 0
against −0.02 to −0.005, the kNN estimate on n / 2 rows).

Validity: any probe's cross-entropy is at least h(Y | X), so h(Y) − CE does not exceed
I(X; Y) in expectation, but only up to the error of the entropy estimate: unlike the
label probe's plug-in H(Y), h(Y) has kNN bias (small for smooth 1-3-D densities, growing
with dim y) and sampling noise, so single seeds can exceed the truth by that much. For
jointly Gaussian (X, Y) with a linear relation the probe is the true conditional family
and the bound is tight (−½ log(1 − ρ²) for scalar Y), less the probe's finite-sample
excess loss (of order (d + 1)·dim y / n). Seeds are the random halves of
`probe.seed_splits` (and `splits` fits on given ones), so it pairs with the label probe
and the other trained estimators.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
from jax import Array, lax
from jax.scipy.linalg import solve_triangular
from jax.scipy.special import digamma

from cch_jax.mi import knn, probe

_HI = lax.Precision.HIGHEST
_JITTER = 1e-6  # added to the residual covariance of standardised y
# Ridge penalties per training row (standardised x) the leave-one-out NLL chooses among.
L2_GRID = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0)


def log_unit_ball(d: int, norm: str) -> float:
  """log volume of the unit ball in d dimensions: Euclidean, or max norm (a cube, 2^d)."""
  if norm == "max":
    return d * math.log(2.0)
  return 0.5 * d * math.log(math.pi) - math.lgamma(0.5 * d + 1.0)


@knn.jit_kernel(static_argnames=("k", "norm", "block", "floor"))
def kl_entropy(y: Array, k: int = 3, norm: str = "euclidean", block: int = 128,
               floor: float = 1e-3) -> Array:
  """Kozachenko–Leonenko differential entropy of y (n, d) in nats -> ().

  h = ψ(n) − ψ(k) + log V_d + (d / n) Σ_i log ε_i, with ε_i the distance from row i to its
  k-th nearest neighbour and V_d the unit-ball volume of the same norm. Distances below
  `floor` (in y's units; the probe passes standardised y) count as `floor`: rows tied
  with k others (whole-number targets such as the diabetes data's) would otherwise have
  ε = 0 and give −inf. Jittable; memory O(block × n).
  """
  n, d = y.shape

  def rows_fn(rows, valid):
    (dist,) = knn.distances([(y[rows], y)], norm)
    return knn.kth_smallest(knn.exclude_self(dist, rows), (k,))[0]

  eps = jnp.maximum(knn.map_query_blocks(rows_fn, n, min(block, n)), floor)  # (n,)
  return (digamma(float(n)) - digamma(float(k)) + log_unit_ball(d, norm)
          + d * jnp.mean(jnp.log(eps)))


def _gaussian_nll(r: Array, cov: Array) -> Array:
  """Mean −log N(r; 0, cov) in nats of residuals r (m, k) -> ()."""
  chol = jnp.linalg.cholesky(cov)
  white = solve_triangular(chol, r.T, lower=True)  # (k, m)
  logdet = 2.0 * jnp.sum(jnp.log(jnp.diag(chol)))
  return 0.5 * (r.shape[1] * math.log(2.0 * math.pi) + logdet
                + jnp.mean(jnp.sum(white**2, axis=0)))


def _residual_cov(r: Array, diagonal: bool) -> Array:
  """Covariance (k, k) of residuals r (m, k) about 0, optionally diagonal, plus jitter."""
  cov = jnp.matmul(r.T, r, precision=_HI) / r.shape[0]
  cov = jnp.diag(jnp.diag(cov)) if diagonal else cov
  return cov + _JITTER * jnp.eye(cov.shape[0], dtype=cov.dtype)


def _ridge(z: Array, y: Array, l2: tuple[float, ...], diagonal: bool
           ) -> tuple[Array, Array, Array]:
  """Ridge of centred y (m, k) on centred z (m, d), penalty l2·m chosen among `l2` by the
  leave-one-out Gaussian NLL (an unpenalised intercept: LOO residual e_i / (1 − h_ii)).

  Returns (weights (d, k), LOO residual covariance (k, k), LOO NLL ()).
  """
  m = z.shape[0]
  u, s, vt = jnp.linalg.svd(z, full_matrices=False)  # (m, r), (r,), (r, d)
  uy = jnp.matmul(u.T, y, precision=_HI)  # (r, k)

  def loo(lam):
    shrink = s**2 / (s**2 + lam)
    fitted = jnp.matmul(u, shrink[:, None] * uy, precision=_HI)
    hat = 1.0 / m + jnp.matmul(u**2, shrink, precision=_HI)
    r = (y - fitted) / jnp.maximum(1.0 - hat, 1e-6)[:, None]
    cov = _residual_cov(r, diagonal)
    nll = _gaussian_nll(r, cov)
    return jnp.where(jnp.isfinite(nll), nll, jnp.inf), cov

  lams = jnp.asarray(l2, z.dtype) * m
  nlls, covs = jax.vmap(loo)(lams)
  best = jnp.argmin(nlls)
  w = jnp.matmul(vt.T, (s / (s**2 + lams[best]))[:, None] * uy, precision=_HI)
  return w, covs[best], nlls[best]


def _fit_one(perm: Array, x: Array, y: Array, l2: tuple[float, ...], k: int, norm: str,
             diagonal: bool) -> tuple[Array, Array]:
  """One split: ridge fit on perm[:n // 2], scored on perm[n // 2:]; y (n, k_y)
  standardised. Each bound takes h(Y) on its own rows (`kl_entropy`, k and norm).

  Returns (held-out bound (), the training half's leave-one-out bound (1,)).
  """
  n = x.shape[0]
  tr, te = perm[: n // 2], perm[n // 2:]
  mean, sd = jnp.mean(x[tr], axis=0), jnp.std(x[tr], axis=0) + 1e-6
  z = (x - mean) / sd  # training rows centred; the intercept is y's training mean
  y_mean = jnp.mean(y[tr], axis=0)
  w, cov, loo_nll = _ridge(z[tr], y[tr] - y_mean, l2, diagonal)
  residual = y[te] - jnp.matmul(z[te], w, precision=_HI) - y_mean
  h_te, h_tr = kl_entropy(y[te], k, norm), kl_entropy(y[tr], k, norm)
  return h_te - _gaussian_nll(residual, cov), (h_tr - loo_nll)[None]


def gaussian_probe_mi(x: Array, y: Array, key: Array, seeds: int = 4,
                      l2: float | tuple[float, ...] = L2_GRID,
                      k: int = 3, norm: str = "euclidean", diagonal: bool = False,
                      splits: Array | None = None) -> tuple[Array, Array]:
  """Held-out regression bound h(Y) − E[−log q(y | x)] per seed, in nats, both terms on
  the seed's held-out rows. Jittable (the set-up static); the seeds' own splits and given
  ones run one compiled program.

  Args:
    x: (n, d) features (constant columns allowed). y: (n, k_y) continuous target, rows
      distinct (the kNN entropy needs them so).
    key: PRNG key; seed s uses fold_in(key, s) for its split (`probe.seed_splits`).
    seeds, l2, k, norm, diagonal: set-up: l2: the ridge penalty per training row on
      standardised x (> 0), or a tuple of candidates chosen per seed by the leave-one-out
      NLL on the training half; k and norm those of `kl_entropy`; diagonal: a diagonal
      residual covariance instead of the full one.
    splits: optional (S, n) row permutations that replace the seeds' own (then S seeds):
      split s fits on [s, :n // 2] and scores [s, n // 2:] (h(Y) and the NLL).

  Returns:
    (per-seed bounds (S,), per-seed training-half leave-one-out bounds (S, 1): a closed
    form has no training curve).
  """
  perms = probe.seed_splits(key, x.shape[0], seeds)[0] if splits is None else splits
  l2 = tuple(map(float, l2)) if isinstance(l2, (tuple, list)) else (float(l2),)
  return _bounds(x, y, jnp.asarray(perms, jnp.int32), l2, k, norm, diagonal)


@functools.partial(jax.jit, static_argnames=("l2", "k", "norm", "diagonal"))
def _bounds(x: Array, y: Array, perms: Array, l2: tuple[float, ...], k: int, norm: str,
            diagonal: bool) -> tuple[Array, Array]:
  """`gaussian_probe_mi` on the splits perms (S, n) -> ((S,), (S, 1))."""
  # A fixed affine map of y shifts h(Y) and the NLL alike: standardise for conditioning.
  y = (y - jnp.mean(y, axis=0)) / (jnp.std(y, axis=0) + 1e-6)
  fit = functools.partial(_fit_one, x=x, y=y, l2=l2, k=k, norm=norm, diagonal=diagonal)
  return jax.vmap(fit)(perms)
