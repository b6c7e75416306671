import jax
import numpy as np
import pytest
import scipy.stats

from cch_jax import mi
from cch_jax.mi import latent, tasks


def test_latent_mi_is_close_to_the_truth_on_a_dense_gaussian():
  """5+5 dims (truth 0.593 nats), n = 4,000, 2 seeds, seed 0: within 0.08 nats, and the
  data-processing inequality keeps it from overshooting by more than the noise (0.05)."""
  task = tasks.task_library()["gauss-5x5-dense"]
  x, y = task.sample(jax.random.key(0), 4000)
  est = mi.estimate(x, y, "latent", seeds=2, steps=300)
  assert abs(est.value - task.mi) < 0.08, est
  assert est.value < task.mi + 0.05 and est.ci_low <= est.value <= est.ci_high
  assert len(est.diagnostics["per_seed"]) == 2


def test_a_vmapped_seed_equals_the_same_seed_trained_alone_and_independence_gives_zero():
  rng = np.random.default_rng(3)
  x, y = jax.numpy.asarray(rng.normal(size=(1200, 3))), jax.numpy.asarray(
      rng.normal(size=(1200, 2)))
  key = jax.random.key(5)
  values, curves = latent.latent_mi(x, y, key, seeds=2, steps=100, batch=128)
  alone, curve = jax.jit(lambda k: latent._fit_one(
      k, x, y, 8, 64, 3, "euclidean", 100, 128, 25, 1e-3, 1.0, 1.0, 0.5))(jax.random.fold_in(key, 1))
  np.testing.assert_allclose(values[1], alone, rtol=1e-4, atol=1e-5)
  np.testing.assert_allclose(curves[1], curve, rtol=1e-4, atol=1e-5)
  assert np.all(np.abs(np.asarray(values)) < 0.05)  # independent variables
  _check_estimate_ci_and_rows(x, y, key, values, {"seeds": 2, "steps": 100, "batch": 128})


def _check_estimate_ci_and_rows(x, y, key, values, options):
  """`mi.estimate` (same key and options as `latent_mi`'s (S,) values; the compiled
  program is reused): the value is unchanged (their mean); the CI is mean ±
  t(S − 1)·sd·√(1 + 1/S), since the seeds share the rows their spread is already a
  standard error (not sd/√S of independent samples); each seed's held-out rows are the
  second half of its split, and the splits are permutations of the rows."""
  est = mi.estimate(x, y, "latent", key=key, **options)
  n, s = len(x), len(values)
  assert est.value == pytest.approx(float(np.mean(values)), abs=1e-6)
  assert est.diagnostics["per_seed"] == pytest.approx(np.asarray(values).tolist(), abs=1e-6)
  sd = np.std(est.diagnostics["per_seed"], ddof=1)
  half = scipy.stats.t.ppf(0.975, s - 1) * sd * np.sqrt(1 + 1 / s)
  assert est.ci_high - est.value == pytest.approx(half, rel=1e-6)
  assert est.value - est.ci_low == pytest.approx(half, rel=1e-6)
  assert f"repeated splits, {s} seeds" in est.diagnostics["ci"]
  splits, held_out = est.diagnostics["splits"], est.diagnostics["held_out"]
  assert splits.shape == (s, n) and held_out.shape == (s, n - n // 2)
  np.testing.assert_array_equal(np.sort(splits, axis=1), np.tile(np.arange(n), (s, 1)))
  np.testing.assert_array_equal(held_out, splits[:, n // 2:])


def test_latent_errors():
  x = np.random.default_rng(0).normal(size=(500, 2))
  with pytest.raises(ValueError, match="needs at least 768 samples"):
    mi.estimate(x, x, "latent")
  with pytest.raises(ValueError, match="steps: expected at least"):
    mi.estimate(x, x, "latent", batch=64, steps=10)

