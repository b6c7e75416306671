"""The data-parallel step over 8 fake CPU devices equals the 1-device step."""

import functools

import jax
import numpy as np
import pytest

from cch_jax import kd
from cch_jax.kd import distributed
from cch_jax.kd import step as step_lib

CONFIG = kd.TrainConfig(steps=3, batch_size=32, learning_rate=1e-2, lam=0.6,
                        temperature=2.0, beta=0.5)


@pytest.fixture(scope="module")
def task():
  rng = np.random.default_rng(0)
  n = 96
  train = {"x": rng.normal(size=(n, 6)).astype(np.float32),
           "y": rng.integers(0, 3, n).astype(np.int32),
           "teacher_logits": rng.normal(size=(n, 3)).astype(np.float32),
           "teacher_features": rng.normal(size=(n, 5)).astype(np.float32)}
  return kd.make_model("mlp", n_classes=3, widths=(16, 8), dropout=0.1), train


def _run(model, train, mesh):
  key = jax.random.key(0)
  state = step_lib.create_state(model, CONFIG, key, train["x"][:1], feature_dim=5)
  state = jax.device_put(state, distributed.replicated(mesh))
  train_step = distributed.sharded_train_step(mesh)
  for i in range(CONFIG.steps):
    rows = slice(32 * i, 32 * (i + 1))
    batch = distributed.global_batch({k: v[rows] for k, v in train.items()}, mesh, 32)
    state, metrics = train_step(state, batch, distributed.replicated_key(
        jax.random.fold_in(key, i), mesh))
  return state, metrics, batch


def test_sharded_step_on_8_devices_equals_1_device(task):
  model, train = task
  assert jax.device_count() == 8
  state8, metrics8, batch8 = _run(model, train, kd.data_mesh())
  state1, metrics1, _ = _run(model, train, kd.data_mesh(jax.devices()[:1]))
  assert len(batch8["x"].sharding.device_set) == 8
  assert batch8["x"].addressable_shards[0].data.shape == (4, 6)
  leaf = state8.params["model"]["head"]["kernel"]
  assert leaf.sharding.is_fully_replicated and len(leaf.sharding.device_set) == 8
  assert int(state8.step) == CONFIG.steps
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6),
               state8.params, state1.params)
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6),
               metrics8, metrics1)
  assert float(metrics8["kl"]) > 0 and float(metrics8["feature"]) > 0


def test_plain_batch_equals_kd_with_lambda_and_beta_zero(task):
  model, train = task
  init = functools.partial(step_lib.create_state, model, CONFIG, x_example=train["x"][:1],
                           feature_dim=5, lam=0.0, beta=0.0)
  state = jax.jit(init)(jax.random.key(1))
  batch = {k: v[:32] for k, v in train.items()}
  plain = {"x": batch["x"], "y": batch["y"]}
  key = jax.random.key(2)
  grad_fn = jax.jit(jax.value_and_grad(step_lib.objective, has_aux=True))
  (loss_kd, m_kd), g_kd = grad_fn(state.params, state, batch, key)
  (loss_plain, _), g_plain = grad_fn(state.params, state, plain, key)
  np.testing.assert_allclose(loss_kd, loss_plain, rtol=1e-6)
  np.testing.assert_allclose(loss_kd, m_kd["ce"], rtol=1e-6)
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7),
               g_kd["model"], g_plain["model"])
  np.testing.assert_array_equal(g_kd["proj"]["kernel"], 0.0)
