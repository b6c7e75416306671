"""Encoders chosen by name and the classifier `encoder -> H (B, d_h) -> linear head -> logits`.

  model = make_model("cnn", n_classes=10, features=(16, 32), hidden=64)
  variables = model.init(key, x[:1])                     # x: (B, H, W, C) or (B, H, W)
  logits = model.apply(variables, x)                     # (B, K)
  h = model.apply(variables, x, method="represent")      # (B, d_h)
  logits, h = model.apply(variables, x, method="logits_and_features")

Teacher and student are independent `Classifier`s, so they may differ in encoder and width.
Pass `train=True` and `rngs={"dropout": key}` to apply dropout (off when `dropout=0`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import flax.linen as nn
import jax.numpy as jnp
from jax import Array

from cch_jax.utils.registry import Registry

ENCODERS: Registry[type[nn.Module]] = Registry("encoder")


@ENCODERS.register("mlp")
class MLPEncoder(nn.Module):
  """ReLU MLP on flattened inputs: (B, ...) -> H (B, widths[-1]).

  Attributes:
    widths: hidden widths; the last one is the representation size d_h.
    dropout: dropout rate after each hidden layer when `train=True`.
  """
  widths: Sequence[int] = (128, 128)
  dropout: float = 0.0

  @nn.compact
  def __call__(self, x: Array, train: bool = False) -> Array:
    h = jnp.reshape(x, (x.shape[0], -1)).astype(jnp.float32)
    for i, width in enumerate(self.widths):
      h = nn.relu(nn.Dense(width, name=f"dense_{i}")(h))
      if self.dropout > 0:
        h = nn.Dropout(self.dropout, deterministic=not train)(h)
    return h


@ENCODERS.register("cnn")
class CNNEncoder(nn.Module):
  """Small CNN for (B, H, W, C) images (or (B, H, W) grey ones) -> H (B, hidden).

  Each conv layer is a 3×3 SAME convolution + ReLU followed by 2×2 average pooling while
  the feature map is at least 2×2; a global average pool and a dense ReLU layer give H.
  Works from 8×8 inputs up to MNIST/CIFAR sizes.

  Attributes:
    features: channels of the conv layers.
    hidden: representation size d_h.
    kernel_size: conv kernel size.
    dropout: dropout rate before the last dense layer when `train=True`.
  """
  features: Sequence[int] = (32, 64)
  hidden: int = 128
  kernel_size: int = 3
  dropout: float = 0.0

  @nn.compact
  def __call__(self, x: Array, train: bool = False) -> Array:
    if x.ndim == 3:
      x = x[..., None]
    if x.ndim != 4:
      raise ValueError(f"x: expected images (B, H, W[, C]), got shape {x.shape}")
    h = x.astype(jnp.float32)
    for i, channels in enumerate(self.features):
      h = nn.relu(nn.Conv(channels, (self.kernel_size,) * 2, padding="SAME",
                          name=f"conv_{i}")(h))
      if h.shape[1] >= 2 and h.shape[2] >= 2:
        h = nn.avg_pool(h, (2, 2), strides=(2, 2))
    h = jnp.mean(h, axis=(1, 2))
    if self.dropout > 0:
      h = nn.Dropout(self.dropout, deterministic=not train)(h)
    return nn.relu(nn.Dense(self.hidden, name="dense")(h))


class Classifier(nn.Module):
  """`encoder -> H (B, d_h) -> Dense(n_classes) -> logits (B, K)`."""
  encoder: nn.Module
  n_classes: int

  def setup(self):
    self.head = nn.Dense(self.n_classes)

  def logits_and_features(self, x: Array, train: bool = False) -> tuple[Array, Array]:
    """Returns (logits (B, K), H (B, d_h))."""
    h = self.encoder(x, train=train)
    return self.head(h), h

  def represent(self, x: Array, train: bool = False) -> Array:
    """Returns the representation H (B, d_h)."""
    return self.encoder(x, train=train)

  def __call__(self, x: Array, train: bool = False) -> Array:
    """Returns logits (B, K)."""
    return self.logits_and_features(x, train)[0]


def make_model(encoder: str, n_classes: int, **encoder_kwargs: Any) -> Classifier:
  """Builds a `Classifier` around the encoder registered as `encoder` (see `ENCODERS`).

  Args:
    encoder: 'mlp' or 'cnn'.
    n_classes: number of classes K.
    **encoder_kwargs: the encoder's attributes, e.g. widths=(64, 64) or
      features=(16, 32), hidden=64. Lists are turned into tuples (hashable modules).
  """
  kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in encoder_kwargs.items()}
  return Classifier(encoder=ENCODERS[encoder](**kwargs), n_classes=n_classes)

