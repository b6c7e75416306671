import jax
import numpy as np
import pytest
from scipy.special import logsumexp

from cch_jax import mi
from cch_jax.mi import neural, tasks


def test_bound_formulas_match_a_hand_computation():
  rng = np.random.default_rng(0)
  s = rng.normal(size=(6, 6)).astype(np.float32)
  b, joint = 6, np.mean(np.diag(s))
  off = s[~np.eye(6, dtype=bool)]
  lme = lambda v: logsumexp(v) - np.log(v.size)
  expected = {
      "infonce": joint - np.mean(logsumexp(s, axis=1)) + np.log(b),
      "nwj": joint - np.mean(np.exp(off - 1.0)),
      "mine": joint - lme(off),
      "smile": np.mean(np.clip(np.diag(s), -0.5, 0.5)) - lme(np.clip(off, -0.5, 0.5)),
  }
  for bound, value in expected.items():
    np.testing.assert_allclose(neural.bound_value(s, bound, clip=0.5), value, rtol=1e-5)
  capped = float(neural.bound_value(100.0 * np.eye(6, dtype=np.float32), "infonce"))
  assert capped == pytest.approx(np.log(6), abs=1e-6)  # InfoNCE never exceeds log(B)


def test_a_vmapped_seed_equals_the_same_seed_trained_alone():
  x, y = tasks.task_library()["gauss-1x1-dense"].sample(jax.random.key(0), 600)
  key = jax.random.key(7)
  values, curves = neural.neural_mi(x, y, key, "nwj", seeds=3, steps=50, batch=128)
  train = jax.jit(lambda k: neural._train_one(k, x, y, "nwj", 50, 128, 32, 3e-3, 0.99, 5.0, 25))
  alone, curve = train(jax.random.fold_in(key, 1))
  np.testing.assert_allclose(values[1], alone, rtol=2e-4, atol=2e-5)
  np.testing.assert_allclose(curves[1], curve, rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("bound", neural.BOUNDS)
def test_bounds_see_dependence_and_stay_below_the_truth(bound):
  """n = 2,048, 200 steps, 2 seeds: held-out value in (0.5·truth, truth + 0.05)."""
  task = tasks.task_library()["gauss-1x1-dense"]
  x, y = task.sample(jax.random.key(1), 2048)
  est = mi.estimate(x, y, bound, seeds=2, steps=200, batch=256)
  assert 0.5 * task.mi < est.value < task.mi + 0.05, est
  assert est.ci_low <= est.value <= est.ci_high and len(est.diagnostics["per_seed"]) == 2


@pytest.mark.parametrize("bound", ["smile", "mine", "nwj"])
def test_bounds_stay_bounded_and_positive_on_heavy_tailed_data(bound):
  """Student-t with 3 degrees of freedom (truth 0.405): held-out outliers once blew SMILE up
  to 1e7 and MINE/NWJ to −40 and −inf; n = 2,048, 2 seeds, seed 0: within (0.1, truth + 0.05)."""
  task = tasks.task_library()["student-2x2-dof3"]
  x, y = task.sample(jax.random.key(0), 2048)
  est = mi.estimate(x, y, bound, seeds=2, steps=200, batch=256)
  assert 0.1 < est.value < task.mi + 0.05, est


def test_independent_variables_give_about_zero():
  rng = np.random.default_rng(2)
  est = mi.estimate(rng.normal(size=(2048, 3)), rng.normal(size=(2048, 3)), "smile", seeds=2,
                    steps=100, batch=256)
  assert abs(est.value) < 0.05


def test_warnings_and_errors():
  flat = np.zeros((2, 100))
  assert neural.training_warnings(flat, 0.1, "smile", 256) == []
  rising = np.tile(np.linspace(0, 1, 100), (2, 1))
  assert "still increasing" in neural.training_warnings(rising, 0.5, "smile", 256)[0]
  assert "log(batch) cap" in neural.training_warnings(flat, 5.5, "infonce", 256)[0]
  x = np.random.default_rng(0).normal(size=(300, 2))
  with pytest.raises(ValueError, match="needs at least 1536 samples"):
    mi.estimate(x, x, "smile")
  with pytest.raises(ValueError, match="n_permutations: not supported"):
    mi.estimate(x, x, "smile", batch=64, n_permutations=5)
