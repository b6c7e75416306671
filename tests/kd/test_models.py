import jax
import numpy as np
import pytest

from cch_jax import kd


@pytest.mark.parametrize("encoder,kwargs,shape,d_h", [
    ("mlp", {"widths": (16,)}, (4, 10), 16),
    ("mlp", {"widths": [32, 8]}, (4, 10), 8),
    ("mlp", {"widths": (12, 12)}, (4, 8, 8, 3), 12),      # images are flattened
    ("cnn", {"features": (4,), "hidden": 16}, (4, 8, 8, 1), 16),
    ("cnn", {"features": (4, 8, 8), "hidden": 10}, (4, 8, 8, 3), 10),  # down to 1×1
    ("cnn", {"features": (4, 8), "hidden": 20}, (2, 28, 28), 20),      # MNIST, no channel
    ("cnn", {"features": (4, 8), "hidden": 20}, (2, 32, 32, 3), 20),   # CIFAR
])
def test_encoders_give_logits_and_representations_of_the_right_shapes(encoder, kwargs,
                                                                       shape, d_h):
  model = kd.make_model(encoder, n_classes=7, **kwargs)
  x = jax.ShapeDtypeStruct(shape, np.float32)  # shapes by tracing alone (no compile)
  variables = jax.eval_shape(model.init, jax.random.key(0), x)
  apply = lambda method: jax.eval_shape(
      lambda v, x_: model.apply(v, x_, method=method), variables, x)
  assert apply("__call__").shape == (shape[0], 7)
  assert apply("represent").shape == (shape[0], d_h)
  logits, h = apply("logits_and_features")
  assert logits.shape == (shape[0], 7) and h.shape == (shape[0], d_h)


def test_encoder_registry_and_input_errors():
  assert set(kd.ENCODERS) == {"mlp", "cnn", "cnn1d", "transformer"}
  with pytest.raises(KeyError, match="known: cnn, cnn1d, mlp, transformer"):
    kd.make_model("resnet", n_classes=2)
  model = kd.make_model("cnn", n_classes=2)
  with pytest.raises(ValueError, match="expected images"):
    model.init(jax.random.key(0), np.zeros((2, 5)))
  for encoder in ("cnn1d", "transformer"):
    with pytest.raises(ValueError, match="expected sequences"):
      kd.make_model(encoder, n_classes=2).init(jax.random.key(0), np.zeros((2, 5)))
  with pytest.raises(ValueError, match="width: expected a multiple of heads"):
    kd.make_model("transformer", n_classes=2, width=10, heads=4).init(
        jax.random.key(0), np.ones((2, 3, 2)))


@pytest.mark.parametrize("encoder,kwargs", [
    ("cnn1d", {"features": (8, 8), "hidden": 12, "kernel_size": 3}),
    ("transformer", {"width": 16, "depth": 2, "heads": 2, "hidden": 12}),
])
def test_sequence_encoders_ignore_padded_steps(encoder, kwargs):
  """Sequences (B, L, d + 1), mask last: H is (B, hidden); changing the values at padded
  steps changes nothing; and rows of length 5 padded to L = 9 give what the same rows cut
  to 5 steps give (the positional table cut to 5 rows)."""
  rng = np.random.default_rng(0)
  lengths = np.array([9, 5, 1, 3])
  mask = (np.arange(9)[None, :] < lengths[:, None]).astype(np.float32)
  x = np.concatenate([rng.normal(size=(4, 9, 3)), mask[..., None]], -1).astype(np.float32)
  model = kd.make_model(encoder, n_classes=5, **kwargs)
  shapes = jax.eval_shape(model.init, jax.random.key(0), x)  # random params, no RNG compile
  variables = jax.tree.map(lambda s: rng.normal(0, 0.5, s.shape).astype(s.dtype), shapes)
  represent = jax.jit(lambda v, x_: model.apply(v, x_, method="represent"))
  h = represent(variables, x)
  assert h.shape == (4, 12) and jax.eval_shape(model.apply, variables, x).shape == (4, 5)
  noisy = x.copy()
  noisy[..., :-1] += 100.0 * (1.0 - mask[..., None]) * rng.normal(size=(4, 9, 3))
  np.testing.assert_allclose(represent(variables, noisy), h, atol=1e-5)
  cut = jax.tree_util.tree_map_with_path(
      lambda path, a: a[:5] if "pos_embedding" in jax.tree_util.keystr(path) else a,
      variables)
  np.testing.assert_allclose(represent(cut, x[1:2, :5]), h[1:2], rtol=1e-5, atol=1e-5)


def test_dropout_is_active_only_in_training():
  model = kd.make_model("mlp", n_classes=3, widths=(64,), dropout=0.5)
  x = np.ones((2, 4), np.float32)
  variables = model.init(jax.random.key(0), x)
  np.testing.assert_array_equal(model.apply(variables, x), model.apply(variables, x))
  a = model.apply(variables, x, train=True, rngs={"dropout": jax.random.key(1)})
  b = model.apply(variables, x, train=True, rngs={"dropout": jax.random.key(2)})
  assert not np.allclose(a, b)
