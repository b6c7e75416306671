import jax
import numpy as np
import pytest

from cch_jax import mi
from cch_jax.mi import tasks


def test_half_sampling_ci_covers_the_truth_at_about_the_nominal_rate():
  """Coverage of the nominal 95% CI over 12 seeds must be >= 10/12 for each method."""
  task = tasks.task_library()["gauss-1x1-dense"]
  for method in ("ksg", "gaussian"):
    covered = 0
    for s in range(12):
      x, y = task.sample(jax.random.key(s), 1000)
      est = mi.estimate(np.asarray(x)[:, 0], np.asarray(y)[:, 0], method)  # 1-D input
      assert est.method == method and est.n == 1000
      assert "half-sampling" in est.diagnostics["ci"]
      covered += est.ci_low < task.mi < est.ci_high
    assert covered >= 10, (method, covered)


def test_dependence_gives_a_large_permutation_z_score():
  x, y = tasks.task_library()["gauss-1x1-dense"].sample(jax.random.key(4), 500)
  est = mi.estimate(x, y, "gaussian", n_permutations=30)
  assert est.diagnostics["z_score"] > 10 and est.diagnostics["p_value"] < 0.05


def test_registry_lists_the_methods():
  assert {"gaussian", "ksg", "label_knn"} <= set(mi.ESTIMATORS)


X = np.random.default_rng(0).normal(size=(50, 2))


@pytest.mark.parametrize("x, y, method, options, error, message", [
    (np.where(X > 2, np.nan, X), X, "ksg", {}, ValueError, "x: expected finite"),
    (X, X[:40], "ksg", {}, ValueError, "x, y: expected the same number of samples"),
    (X[:3], X[:3], "ksg", {}, ValueError, "needs at least 4 samples"),
    (np.c_[X, np.ones(50)], X, "ksg", {}, ValueError, r"x: columns \[2\] are constant"),
    (X, np.zeros(50, int), "label_knn", {}, ValueError, "at least two classes"),
    (X, np.arange(50) % 2, "ksg", {}, ValueError, "expects continuous y"),
    (X, X, "ksg", {"kk": 3}, ValueError, r"unknown option\(s\) \['kk'\]"),
    (X, X, "kgs", {}, KeyError, "unknown MI estimator 'kgs'"),
    (X[:, :, None], X, "ksg", {}, ValueError, r"x: expected shape \(n,\) or \(n, d\)"),
])
def test_bad_input_raises_a_clear_error(x, y, method, options, error, message):
  with pytest.raises(error, match=message):
    mi.estimate(x, y, method, **options)


def test_trained_estimators_take_constant_columns_as_zeros():
  """A dead unit appended to x changes neither latent MI nor the probe bound (they
  standardise it to 0), while kNN estimators refuse it (distance ties)."""
  rng = np.random.default_rng(3)
  x = rng.normal(size=(400, 3)).astype(np.float32)
  y = (x @ rng.normal(size=(3, 2)) + 0.5 * rng.normal(size=(400, 2))).astype(np.float32)
  dead = np.c_[x, np.zeros(400, np.float32)]
  options = {"seeds": 2, "steps": 50, "batch": 64, "width": 16}
  base = mi.estimate(x, y, "latent", **options)
  padded = mi.estimate(dead, y, "latent", **options)
  assert abs(padded.value - base.value) < 0.1 * abs(base.value) + 0.05
  labels = (x[:, 0] > 0).astype(int)
  assert np.isfinite(mi.estimate(dead, labels, "label_probe", seeds=2).value)
  with pytest.raises(ValueError, match="constant"):
    mi.estimate(dead, labels, "label_knn")
