"""Encoders chosen by name and the classifier `encoder -> H (B, d_h) -> linear head -> logits`.

  model = make_model("cnn", n_classes=10, features=(16, 32), hidden=64)
  variables = model.init(key, x[:1])                     # x: (B, H, W, C) or (B, H, W)
  # sequences (B, L, d + 1): make_model("transformer", 4, width=32, depth=2, heads=4)
  logits = model.apply(variables, x)                     # (B, K)
  h = model.apply(variables, x, method="represent")      # (B, d_h)
  logits, h = model.apply(variables, x, method="logits_and_features")

Encoders: 'mlp' (any input, flattened), 'cnn' (images), and for sequences 'cnn1d' and
'transformer'. Padding-mask convention: a sequence batch is (B, L, d + 1) whose LAST channel
is the padding mask (1.0 = a real step, 0.0 = padding), as `cch_jax.data` loads sequence
views; the sequence encoders split it off, ignore the padded steps (their outputs do not
depend on the values there) and pool over the real steps.

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


def _split_mask(x: Array) -> tuple[Array, Array]:
  """A sequence batch (B, L, d + 1) -> (features (B, L, d), 0 at padded steps; mask (B, L))."""
  if x.ndim != 3 or x.shape[-1] < 2:
    raise ValueError(f"x: expected sequences (B, L, d + 1) whose last channel is the "
                     f"padding mask, got shape {x.shape}")
  x = x.astype(jnp.float32)
  mask = (x[..., -1] > 0).astype(jnp.float32)
  return jnp.where(mask[..., None] > 0, x[..., :-1], 0.0), mask


def _masked_mean(h: Array, mask: Array) -> Array:
  """Mean of h (B, L, c) over the steps where mask (B, L) is 1 -> (B, c)."""
  total = jnp.einsum("blc,bl->bc", h, mask)
  return total / jnp.maximum(jnp.sum(mask, axis=1, keepdims=True), 1.0)


@ENCODERS.register("cnn1d")
class CNN1DEncoder(nn.Module):
  """1-D CNN for sequences (B, L, d + 1), the last channel the padding mask -> H (B, hidden).

  Each layer is a SAME convolution over time + ReLU, its padded steps then zeroed (so they
  never leak into real steps); a mean over the real steps and a dense ReLU layer give H.
  The output does not depend on the values at padded steps.

  Attributes:
    features: channels of the conv layers.
    hidden: representation size d_h.
    kernel_size: conv kernel size (steps).
    dropout: dropout rate before the last dense layer when `train=True`.
  """
  features: Sequence[int] = (32, 64)
  hidden: int = 128
  kernel_size: int = 3
  dropout: float = 0.0

  @nn.compact
  def __call__(self, x: Array, train: bool = False) -> Array:
    h, mask = _split_mask(x)
    for i, channels in enumerate(self.features):
      h = nn.Conv(channels, (self.kernel_size,), padding="SAME", name=f"conv_{i}")(h)
      h = nn.relu(h) * mask[..., None]
    h = _masked_mean(h, mask)
    if self.dropout > 0:
      h = nn.Dropout(self.dropout, deterministic=not train)(h)
    return nn.relu(nn.Dense(self.hidden, name="dense")(h))


class TransformerBlock(nn.Module):
  """Pre-LN block: h + Attention(LN(h)), then h + MLP(LN(h)) (GELU, 4·width units)."""
  width: int
  heads: int
  dropout: float = 0.0

  @nn.compact
  def __call__(self, h: Array, attention_mask: Array, train: bool = False) -> Array:
    """h (B, L, width), attention_mask (B, 1, L, L) -> (B, L, width)."""
    drop = ((lambda y: nn.Dropout(self.dropout, deterministic=not train)(y))
            if self.dropout > 0 else (lambda y: y))
    y = nn.MultiHeadDotProductAttention(num_heads=self.heads, name="attention")(
        nn.LayerNorm(name="norm_attention")(h), mask=attention_mask)
    h = h + drop(y)
    y = nn.gelu(nn.Dense(4 * self.width, name="mlp_in")(nn.LayerNorm(name="norm_mlp")(h)))
    return h + drop(nn.Dense(self.width, name="mlp_out")(y))


@ENCODERS.register("transformer")
class TransformerEncoder(nn.Module):
  """Small pre-LN Transformer for sequences (B, L, d + 1), the last channel the padding
  mask -> H (B, hidden).

  Dense embedding to `width` + a learned positional embedding (L, width), `depth` blocks
  of self-attention whose keys are the real steps only plus an MLP, a final LayerNorm, a
  mean over the real steps and a dense ReLU layer. The output does not depend on the
  values at padded steps (nor on how many there are, up to the positional table's size).

  Attributes:
    width: model width (a multiple of heads). depth: blocks. heads: attention heads.
    hidden: representation size d_h.
    dropout: residual dropout rate when `train=True`.
  """
  width: int = 64
  depth: int = 2
  heads: int = 4
  hidden: int = 128
  dropout: float = 0.0

  @nn.compact
  def __call__(self, x: Array, train: bool = False) -> Array:
    h, mask = _split_mask(x)
    if self.width % self.heads:
      raise ValueError(f"width: expected a multiple of heads = {self.heads}, got {self.width}")
    position = self.param("pos_embedding", nn.initializers.normal(0.02),
                          (h.shape[1], self.width))
    h = nn.Dense(self.width, name="embed")(h) + position
    attention_mask = nn.make_attention_mask(mask > 0, mask > 0)  # (B, 1, L, L)
    for i in range(self.depth):
      h = TransformerBlock(self.width, self.heads, self.dropout, name=f"block_{i}")(
          h, attention_mask, train)
    h = _masked_mean(nn.LayerNorm(name="norm")(h), mask)
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
    encoder: 'mlp', 'cnn', 'cnn1d' or 'transformer'.
    n_classes: number of classes K.
    **encoder_kwargs: the encoder's attributes, e.g. widths=(64, 64) or
      features=(16, 32), hidden=64, or width=32, depth=2, heads=4. Lists are turned into
      tuples (hashable modules).
  """
  kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in encoder_kwargs.items()}
  return Classifier(encoder=ENCODERS[encoder](**kwargs), n_classes=n_classes)

