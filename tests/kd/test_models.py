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
  assert set(kd.ENCODERS) == {"mlp", "cnn"}
  with pytest.raises(KeyError, match="known: cnn, mlp"):
    kd.make_model("resnet", n_classes=2)
  model = kd.make_model("cnn", n_classes=2)
  with pytest.raises(ValueError, match="expected images"):
    model.init(jax.random.key(0), np.zeros((2, 5)))


def test_dropout_is_active_only_in_training():
  model = kd.make_model("mlp", n_classes=3, widths=(64,), dropout=0.5)
  x = np.ones((2, 4), np.float32)
  variables = model.init(jax.random.key(0), x)
  np.testing.assert_array_equal(model.apply(variables, x), model.apply(variables, x))
  a = model.apply(variables, x, train=True, rngs={"dropout": jax.random.key(1)})
  b = model.apply(variables, x, train=True, rngs={"dropout": jax.random.key(2)})
  assert not np.allclose(a, b)
