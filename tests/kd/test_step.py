"""The KD step: plain training equals KD with λ = β = 0, and a member's batch split over
the mesh's data axis (gradients averaged over it) equals the whole batch on one device."""

import functools

import jax
import numpy as np
import pytest

from cch_jax import kd
from cch_jax.kd import step as step_lib

CONFIG = kd.TrainConfig(steps=6, batch_size=32, learning_rate=1e-2)


@pytest.fixture(scope="module")
def task():
  rng = np.random.default_rng(0)
  n = 96
  train = {"x": rng.normal(size=(n, 6)).astype(np.float32),
           "y": rng.integers(0, 3, n).astype(np.int32),
           "teacher_outputs": rng.normal(size=(n, 3)).astype(np.float32),
           "teacher_features": rng.normal(size=(n, 5)).astype(np.float32)}
  return kd.make_model("mlp", n_classes=3, widths=(16, 8)), train


def test_batch_split_over_8_data_devices_equals_1_device(task):
  """Without dropout, data_shards = 8 (each device 4 of a member's 32 rows, gradients
  pmean'd) trains the same members as one device, to float tolerance."""
  model, train = task
  assert jax.device_count() == 8
  members = kd.paired_grid(lams=(0.6,), temperatures=(2.0,), seeds=(0,), beta=0.5)
  key = jax.random.key(0)
  one = kd.train_population(model, CONFIG, train, members, key, devices=jax.devices()[:1])
  sharded = CONFIG.replace(data_shards=8)
  population = kd.prepare(model, sharded, train, members, key)
  assert dict(population.layout.mesh.shape) == {"members": 1, "data": 8}
  eight = kd.train_population(model, sharded, train, members, key)
  # Sums over 8 shards round differently; Adam's normalised steps carry it into params.
  close = lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=2e-5)
  jax.tree.map(close, eight.params, one.params)
  jax.tree.map(close, eight.curves, one.curves)
  assert np.all(one.curves["distill"][1] > 0) and np.all(one.curves["feature"][1] > 0)
  with pytest.raises(ValueError, match="config.batch_size: expected a multiple of "
                                       "config.data_shards = 8, got 36"):
    kd.prepare(model, CONFIG.replace(batch_size=36, data_shards=8), train, members, key)
  with pytest.raises(ValueError, match="config.data_shards: expected a divisor of the 8 "
                                       "devices per process, got 3"):
    kd.prepare(model, CONFIG.replace(data_shards=3), train, members, key)


def test_plain_batch_equals_kd_with_lambda_and_beta_zero(task):
  model, train = task
  init = functools.partial(step_lib.create_state, model, CONFIG, x_example=train["x"][:1],
                           feature_dim=5, lam=0.0, temperature=2.0, beta=0.0)
  state = jax.jit(init)(jax.random.key(1))
  batch = {k: v[:32] for k, v in train.items()}
  plain = {"x": batch["x"], "y": batch["y"]}
  key = jax.random.key(2)
  grad_fn = jax.jit(jax.value_and_grad(step_lib.objective, has_aux=True))
  (loss_kd, m_kd), g_kd = grad_fn(state.params, state, batch, key)
  (loss_plain, _), g_plain = grad_fn(state.params, state, plain, key)
  np.testing.assert_allclose(loss_kd, loss_plain, rtol=1e-6)
  np.testing.assert_allclose(loss_kd, m_kd["supervised"], rtol=1e-6)
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7),
               g_kd["model"], g_plain["model"])
  np.testing.assert_array_equal(g_kd["proj"]["kernel"], 0.0)
