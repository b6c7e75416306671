import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.special import digamma

from cch_jax import mi
from cch_jax.mi import knn, tasks


def _reference_ksg(x, y, k, norm):
  """Brute-force float64 KSG-1, straight from the definition."""
  x, y = x.astype(np.float64), y.astype(np.float64)
  if norm == "euclidean":
    dist = lambda a: np.sqrt(((a[:, None] - a[None]) ** 2).sum(-1))
  else:
    dist = lambda a: np.abs(a[:, None] - a[None]).max(-1)
  dx, dy = dist(x), dist(y)
  joint = np.maximum(dx, dy)
  np.fill_diagonal(joint, np.inf)
  eps = np.sort(joint, axis=1)[:, k - 1]
  nx = (dx < eps[:, None]).sum(1) - 1
  ny = (dy < eps[:, None]).sum(1) - 1
  return digamma(k) + digamma(len(x)) - np.mean(digamma(nx + 1) + digamma(ny + 1))


@pytest.mark.parametrize("dims", [(1, 1), (3, 2), (6, 6)])
@pytest.mark.parametrize("norm", ["euclidean", "max"])
def test_ksg_equals_an_exact_reference(dims, norm):
  rng = np.random.default_rng(sum(dims))
  z = rng.normal(size=(1200, sum(dims)))  # past kth_smallest's threshold for grouping
  z[:, dims[0]:] += 0.8 * z[:, :1]
  x, y = z[:, :dims[0]].astype(np.float32), z[:, dims[0]:].astype(np.float32)
  for k in (1, 4):
    assert abs(float(mi.ksg_mi(x, y, k, norm, block=64)) - _reference_ksg(x, y, k, norm)) < 1e-4


@pytest.mark.parametrize("width", [37, 1000])
def test_kth_smallest_counts_ties_and_infinities(width):
  """Both paths (direct passes below 4·k·GROUP columns, groups above) against a sort."""
  rng = np.random.default_rng(width)
  d = rng.integers(0, 40, size=(16, width)).astype(np.float32)
  d[rng.random(d.shape) < 0.3] = np.inf
  d[0, 3:] = np.inf  # a row with fewer finite values than k
  ks = (1, 2, 3, 5)
  expected = np.sort(d, axis=1)[:, np.asarray(ks) - 1].T
  np.testing.assert_array_equal(np.asarray(knn.kth_smallest(jnp.asarray(d), ks)), expected)


def test_k_ensemble_and_pointwise_agree_with_single_runs():
  x, y = tasks.task_library()["gauss-1x1-dense"].sample(jax.random.key(0), 400)
  pointwise = np.asarray(mi.ksg_pointwise(x, y, (2, 5)))
  assert pointwise.shape == (2, 400)
  for row, k in zip(pointwise, (2, 5)):
    np.testing.assert_allclose(row.mean(), mi.ksg_mi(x, y, k), rtol=1e-5)
  # Called from inside a jit, the kernel compiles without its top-level compiler options.
  np.testing.assert_allclose(jax.jit(mi.ksg_mi)(x, y), mi.ksg_mi(x, y), rtol=1e-6)


def test_ksg_is_close_to_truth_on_low_dimensional_gaussians():
  """Tolerance: mean error over 3 seeds, n = 2,000, k = 3 (KSG's own bias included)."""
  for name, tol in (("gauss-1x1-dense", 0.03), ("gauss-5x5-dense", 0.06)):
    task = tasks.task_library()[name]
    errors = [float(mi.ksg_mi(*task.sample(jax.random.key(s), 2000))) - task.mi
              for s in range(3)]
    assert abs(np.mean(errors)) < tol, (name, errors)


def test_ksg_of_independent_variables_is_near_zero_and_the_null_agrees():
  rng = np.random.default_rng(1)
  x, y = rng.normal(size=(1000, 2)), rng.normal(size=(1000, 2))
  est = mi.estimate(x, y, "ksg", n_permutations=20)
  assert abs(est.value) < 0.08 and abs(est.diagnostics["z_score"]) < 3
  assert est.ci_low < 0 < est.ci_high and abs(est.diagnostics["null_mean"]) < 0.03


def test_ksg_is_nearly_invariant_to_monotone_transforms_of_each_variable():
  """Tolerance 0.03 nats on the same 2,000 samples (exact invariance holds only for ranks)."""
  x, y = tasks.task_library()["gauss-1x1-dense"].sample(jax.random.key(2), 2000)
  plain = float(mi.ksg_mi(x, y))
  warped = float(mi.ksg_mi(np.arcsinh(3 * x), np.sign(y) * np.abs(y) ** 1.5))
  assert abs(plain - warped) < 0.03
