import jax
import jax.numpy as jnp
import numpy as np
import pytest

from cch_jax import kd


def _np_log_softmax(z):
  z = z - z.max(-1, keepdims=True)
  return z - np.log(np.exp(z).sum(-1, keepdims=True))


def _np_kd_loss(s, t, y, lam, temp):
  """The hand computation: (1-λ)·CE + λ·T²·KL(p_t ‖ p_s) at temperature T, batch mean."""
  ce = -_np_log_softmax(s)[np.arange(len(y)), y]
  log_p, log_q = _np_log_softmax(t / temp), _np_log_softmax(s / temp)
  kl = np.sum(np.exp(log_p) * (log_p - log_q), axis=-1)
  return np.mean((1 - lam) * ce + lam * temp**2 * kl)


@pytest.fixture
def logits():
  rng = np.random.default_rng(0)
  s, t = rng.normal(size=(2, 16, 5)) * 2.0
  return s.astype(np.float32), t.astype(np.float32), rng.integers(0, 5, 16)


@pytest.mark.parametrize("lam,temp", [(0.0, 1.0), (0.3, 1.0), (0.5, 4.0), (1.0, 2.5)])
def test_kd_loss_matches_a_numpy_hand_computation(logits, lam, temp):
  s, t, y = logits
  got = kd.kd_loss(s, t, y, lam, temp)
  np.testing.assert_allclose(got, _np_kd_loss(s.astype(np.float64), t.astype(np.float64),
                                              y, lam, temp), rtol=1e-5)


def test_lambda_zero_is_plain_cross_entropy(logits):
  s, t, y = logits
  ce = -np.mean(_np_log_softmax(s.astype(np.float64))[np.arange(16), y])
  np.testing.assert_allclose(kd.kd_loss(s, t, y, 0.0, 3.0), ce, rtol=1e-6)
  np.testing.assert_allclose(jnp.mean(kd.cross_entropy(s, y)), ce, rtol=1e-6)


def test_kl_vanishes_when_student_equals_teacher_and_no_gradient_reaches_the_teacher(logits):
  s, t, y = logits
  np.testing.assert_allclose(kd.distillation_kl(t, t, 2.0), 0.0, atol=1e-6)
  grad_t = jax.grad(lambda t_: kd.kd_loss(s, t_, y, 0.7, 2.0))(t)
  np.testing.assert_array_equal(grad_t, 0.0)


def test_temperature_scaling(logits):
  """T²·KL at temperature T of (T·s, T·t) is T² times the T = 1 loss, and the T² factor
  makes the high-T gradient approach the logit-matching one (s − t)/K (zero-mean logits)."""
  s, t, y = logits
  np.testing.assert_allclose(kd.kd_loss(3.0 * s, 3.0 * t, y, 1.0, 3.0),
                             9.0 * kd.kd_loss(s, t, y, 1.0, 1.0), rtol=1e-5)
  s0, t0 = s - s.mean(-1, keepdims=True), t - t.mean(-1, keepdims=True)
  grad = jax.grad(lambda s_: kd.kd_loss(s_, t0, y, 1.0, 1000.0))(s0)
  np.testing.assert_allclose(grad * 16, (s0 - t0) / 5, atol=5e-3)


def test_feature_mse_matches_numpy():
  rng = np.random.default_rng(1)
  h_s, h_t = rng.normal(size=(8, 6)), rng.normal(size=(8, 3))
  proj = {"kernel": rng.normal(size=(6, 3)), "bias": rng.normal(size=3)}
  want = np.mean((h_s @ proj["kernel"] + proj["bias"] - h_t) ** 2)
  np.testing.assert_allclose(kd.feature_mse(h_s, proj, h_t), want, rtol=1e-5)


def test_optimizers_and_schedules_by_name():
  config = kd.TrainConfig(steps=100, schedule="warmup_cosine", warmup_steps=10,
                          learning_rate=0.1, optimizer="adamw", weight_decay=1e-2)
  schedule = kd.SCHEDULES["warmup_cosine"](config)
  np.testing.assert_allclose([schedule(0), schedule(10), schedule(100)], [0, 0.1, 0],
                             atol=1e-7)
  tx = kd.make_optimizer(config)
  params = {"w": jnp.ones(3)}
  updates, _ = tx.update({"w": jnp.ones(3)}, tx.init(params), params)
  assert updates["w"].shape == (3,)
  with pytest.raises(KeyError, match="known: adam, adamw"):
    kd.make_optimizer(config.replace(optimizer="sgd"))
  with pytest.raises(ValueError, match="multiple of config.eval_every"):
    kd.TrainConfig(eval_every=30, checkpoint_every=100)
  with pytest.raises(KeyError, match="unknown fields"):
    kd.TrainConfig.from_mapping({"stepz": 3})


def test_regression_task_losses_and_score_match_numpy():
  """Regression: (1-λ)·MSE(y) + λ·MSE(teacher) with T unused, the score −MAE (higher is
  better), and no gradient reaches the teacher's predictions."""
  rng = np.random.default_rng(1)
  s, t, y = (rng.normal(size=(16, 2)).astype(np.float32) for _ in range(3))
  task = kd.TASKS["regression"]
  for lam, temp in ((0.0, 1.0), (0.3, 4.0), (1.0, 2.0)):
    want = (1 - lam) * np.mean((s - y) ** 2) + lam * np.mean((s - t) ** 2)
    np.testing.assert_allclose(task.kd_loss(s, t, y, lam, temp), want, rtol=1e-6)
  np.testing.assert_allclose(task.score(s, y), -np.mean(np.abs(s - y)), rtol=1e-6)
  assert task.metric == "mae" and task.metric_value(-0.5) == 0.5
  grad_t = jax.grad(lambda t_: task.kd_loss(s, t_, y, 0.5, 1.0))(t)
  np.testing.assert_array_equal(grad_t, 0.0)
  classify = kd.TASKS["classification"]
  logits, labels = rng.normal(size=(16, 5)).astype(np.float32), rng.integers(0, 5, 16)
  np.testing.assert_allclose(classify.kd_loss(logits, s @ np.ones((2, 5)), labels, 0.3, 2.0),
                             kd.kd_loss(logits, s @ np.ones((2, 5)), labels, 0.3, 2.0))
