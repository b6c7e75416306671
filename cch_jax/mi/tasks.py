"""Tasks with known mutual information (after the bmi benchmark of Czyż et al. 2023).

Each `Task` samples (x, y) and carries its true MI in nats: multivariate Gaussians (dense or
sparse interactions), multivariate Student-t (closed-form MI), per-variable invertible
transforms (MI-preserving: normal CDF, half-cube, asinh, spiral) and Gaussian class
mixtures for label MI (truth by Monte Carlo over a fixed large sample).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array
from jax.scipy.special import gammaln, digamma, logsumexp

from cch_jax.utils import linalg

Sampler = Callable[[Array, int], tuple[Array, Array]]


@dataclasses.dataclass(frozen=True)
class Task:
  """A named sampler of (x (n, dx), y (n, dy) or labels (n,)) with its true MI in nats;
  mi_se: the standard error of `mi` where it is a Monte Carlo estimate (0: closed form)."""
  name: str
  sample: Sampler
  mi: float
  dim_x: int
  dim_y: int
  labels: bool = False
  mi_se: float = 0.0


def _block_mi(cov: np.ndarray, dim_x: int) -> float:
  """`linalg.block_gaussian_mi` of a (d, d) host covariance, in float32, as a float."""
  return float(linalg.block_gaussian_mi(jnp.asarray(cov, jnp.float32), dim_x))


def dense_covariance(dim_x: int, dim_y: int, rho: float) -> np.ndarray:
  """Unit variances, every off-diagonal correlation equal to rho."""
  d = dim_x + dim_y
  return (1 - rho) * np.eye(d) + rho * np.ones((d, d))


def sparse_covariance(dim_x: int, dim_y: int, rho: float, n_interacting: int = 2
                      ) -> np.ndarray:
  """x_i and y_i correlated (rho) for the first n_interacting pairs; all else independent."""
  cov = np.eye(dim_x + dim_y)
  for i in range(min(n_interacting, dim_x, dim_y)):
    cov[i, dim_x + i] = cov[dim_x + i, i] = rho
  return cov


def gaussian_task(cov: np.ndarray, dim_x: int, name: str) -> Task:
  chol = jnp.asarray(np.linalg.cholesky(cov), jnp.float32)

  def sample(key, n):
    z = jax.random.normal(key, (n, cov.shape[0])) @ chol.T
    return z[:, :dim_x], z[:, dim_x:]

  return Task(name, sample, _block_mi(cov, dim_x), dim_x, cov.shape[0] - dim_x)


def student_t_task(cov: np.ndarray, dim_x: int, dof: float, name: str) -> Task:
  """Multivariate t with dispersion cov: MI = Gaussian MI(cov) + c(dof, dx, dy), where
  c = f(ν) + f(ν + dx + dy) − f(ν + dx) − f(ν + dy), f(a) = log Γ(a/2) − (a/2)·ψ(a/2).
  It is positive even when cov is block-diagonal (the shared scale couples x and y)."""
  dim = cov.shape[0]
  dim_y = dim - dim_x
  f = lambda a: float(gammaln(a / 2) - a / 2 * digamma(a / 2))
  correction = f(dof) + f(dof + dim) - f(dof + dim_x) - f(dof + dim_y)
  chol = jnp.asarray(np.linalg.cholesky(cov), jnp.float32)

  def sample(key, n):
    k1, k2 = jax.random.split(key)
    z = jax.random.normal(k1, (n, dim)) @ chol.T
    scale = jnp.sqrt(dof / (2.0 * jax.random.gamma(k2, dof / 2.0, (n, 1))))
    t = z * scale
    return t[:, :dim_x], t[:, dim_x:]

  return Task(name, sample, _block_mi(cov, dim_x) + correction, dim_x, dim_y)


TRANSFORMS: dict[str, Callable[[Array], Array]] = {
    "normal_cdf": lambda v: jax.scipy.stats.norm.cdf(v),
    "half_cube": lambda v: jnp.sign(v) * jnp.abs(v) ** 1.5,
    "asinh": jnp.arcsinh,
    "spiral": lambda v: _spiral(v),
}


def _spiral(v: Array, speed: float = 0.1) -> Array:
  """Rotates the first two coordinates by an angle speed·|v|² (invertible; |v| is kept)."""
  if v.shape[1] < 2:
    return v
  angle = speed * jnp.sum(v**2, axis=1)
  c, s = jnp.cos(angle), jnp.sin(angle)
  first = jnp.stack([c * v[:, 0] - s * v[:, 1], s * v[:, 0] + c * v[:, 1]], axis=1)
  return jnp.concatenate([first, v[:, 2:]], axis=1)


def transformed(task: Task, transform: str) -> Task:
  """The task with the same invertible map applied to x and to y: the MI is unchanged."""
  fn = TRANSFORMS[transform]

  def sample(key, n):
    x, y = task.sample(key, n)
    return fn(x), fn(y)

  return dataclasses.replace(task, name=f"{task.name}-{transform}", sample=sample)


def class_mixture_task(dim_x: int, n_classes: int, separation: float, name: str,
                       truth_samples: int = 200_000, truth_seed: int = 0) -> Task:
  """Balanced classes, x | y=c ~ N(μ_c, I) with random unit directions μ_c·separation.

  The true I(X; Y) = H(Y) − H(Y | X) is computed once by Monte Carlo over
  `truth_samples` draws with exact class posteriors (standard error ≈ 0.002 nats).
  """
  rng = np.random.default_rng(truth_seed)
  dirs = rng.normal(size=(n_classes, dim_x))
  means = jnp.asarray(separation * dirs / np.linalg.norm(dirs, axis=1, keepdims=True),
                      jnp.float32)

  def sample(key, n):
    k1, k2 = jax.random.split(key)
    labels = jax.random.randint(k1, (n,), 0, n_classes)
    return means[labels] + jax.random.normal(k2, (n, dim_x)), labels

  x, labels = sample(jax.random.key(truth_seed), truth_samples)
  logits = -0.5 * jnp.sum((x[:, None, :] - means[None]) ** 2, axis=-1)  # equal priors
  log_post = logits - logsumexp(logits, axis=1, keepdims=True)
  truth = math.log(n_classes) + float(jnp.mean(log_post[jnp.arange(truth_samples), labels]))
  return Task(name, sample, truth, dim_x, 1, labels=True)


@functools.cache
def task_library() -> dict[str, Task]:
  """The ground-truth tasks the tests and benchmarks use, by name (built once, cached)."""
  tasks = [
      gaussian_task(dense_covariance(1, 1, 0.75), 1, "gauss-1x1-dense"),
      gaussian_task(dense_covariance(5, 5, 0.5), 5, "gauss-5x5-dense"),
      gaussian_task(sparse_covariance(5, 5, 0.8), 5, "gauss-5x5-sparse"),
      gaussian_task(sparse_covariance(25, 25, 0.6, 5), 25, "gauss-25x25-sparse"),
      student_t_task(dense_covariance(2, 2, 0.5), 2, 3.0, "student-2x2-dof3"),
      student_t_task(np.eye(4), 2, 5.0, "student-2x2-independent-dof5"),
      class_mixture_task(4, 3, 2.0, "classes-4d-3"),
      class_mixture_task(32, 10, 3.0, "classes-32d-10"),
  ]
  base = {t.name: t for t in tasks}
  for transform in TRANSFORMS:
    t = transformed(base["gauss-5x5-sparse"], transform)
    base[t.name] = t
  return base
