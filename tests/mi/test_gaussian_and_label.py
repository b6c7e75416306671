import jax
import numpy as np
import pytest

from cch_jax import mi
from cch_jax.mi import tasks


def test_bias_correction_removes_the_plug_in_bias():
  """Tolerance: |mean bias| <= 0.01 nats over 10 seeds at 8+8 dims, n = 1,000, where the
  plug-in's own bias is ≈ +0.03."""
  task = tasks.gaussian_task(tasks.dense_covariance(8, 8, 0.3), 8, "g8")
  plug, corrected = [], []
  for s in range(10):
    x, y = task.sample(jax.random.key(s), 1000)
    plug.append(float(mi.gaussian_mi(x, y, bias_correction=False)) - task.mi)
    corrected.append(float(mi.gaussian_mi(x, y)) - task.mi)
  assert np.mean(plug) > 0.02 and abs(np.mean(corrected)) < 0.01


def test_canonical_correlations_give_the_same_gaussian_mi():
  x, y = tasks.task_library()["gauss-5x5-sparse"].sample(jax.random.key(0), 3000)
  rho = mi.canonical_correlations(np.asarray(x), np.asarray(y))
  plug_in = float(mi.gaussian_mi(x, y, bias_correction=False))
  np.testing.assert_allclose(-0.5 * np.sum(np.log1p(-rho**2)), plug_in, rtol=1e-3)
  assert rho[0] == pytest.approx(0.8, abs=0.03) and rho[2] < 0.1  # two interacting pairs


def test_label_knn_is_close_to_truth_on_a_low_dimensional_mixture():
  """Tolerance: 0.06 nats, mean over 2 seeds, n = 3,000, 4-D x, 3 classes."""
  task = tasks.task_library()["classes-4d-3"]
  errors = []
  for s in range(2):
    x, labels = task.sample(jax.random.key(s), 3000)
    errors.append(mi.estimate(x, np.asarray(labels), "label_knn", n_resamples=0).value - task.mi)
  assert abs(np.mean(errors)) < 0.06


def test_label_mi_never_exceeds_the_label_entropy():
  rng = np.random.default_rng(0)
  labels = rng.integers(0, 3, 600)
  x = 50.0 * labels[:, None] + rng.normal(size=(600, 2))  # perfectly separated classes
  est = mi.estimate(x, labels, "label_knn", n_resamples=0)
  h = float(mi.label_entropy(np.asarray(labels, np.int32), 3))
  assert est.value <= h + 1e-6 and est.value > 0.9 * h


@pytest.mark.parametrize("dims, rho", [(3, 0.999), (8, 0.9999), (1, 0.999999)])
def test_gaussian_mi_stays_finite_and_exact_at_high_mi(dims, rho):
  """Canonical correlations up to 0.999999 (6.9 to 34 nats), mixed column scales, n = 300
  in float32: the estimate matches the float64 canonical-correlation formula (with the
  same Wishart correction) to 0.01 nats. The joint log-det once came out NaN here."""
  rng = np.random.default_rng(dims)
  u = rng.normal(size=(300, dims))
  v = rho * u + np.sqrt(1 - rho**2) * rng.normal(size=(300, dims))
  x = (u @ (rng.normal(size=(dims, dims)) * np.logspace(-2, 2, dims))).astype(np.float32)
  y = (v @ rng.normal(size=(dims, dims))).astype(np.float32)
  r = mi.canonical_correlations(x, y)
  bias = lambda p: float(mi.gaussian.logdet_bias(p, 300))
  want = -0.5 * np.sum(np.log1p(-r**2)) - 0.5 * (2 * bias(dims) - bias(2 * dims))
  got = float(mi.gaussian_mi(x, y))
  assert np.isfinite(got) and got == pytest.approx(want, abs=0.01) and got > 6
