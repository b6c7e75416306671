"""Latent MI (Gowri et al. 2024): compress each variable with a cross-predictive autoencoder,
then estimate I(Z_x; Z_y) by KSG on samples the autoencoders never saw.

For each variable an encoder maps it to a small latent (default 8 dims); the loss asks each
latent to reconstruct its own variable (self) and to predict the other variable (cross):

  L = α·(‖x − D_x(z_x)‖² + ‖y − D_y(z_y)‖²) + λ·(‖y − C_x(z_x)‖² + ‖x − C_y(z_y)‖²),

on inputs standardised with the training half's statistics. Since z_x = f(x), z_y = g(y),
the data-processing inequality gives I(Z_x; Z_y) ≤ I(X; Y): the latents can lose information,
never add it. Each seed draws its own split: the training half is split again into fit and
validation parts, the parameters with the lowest validation loss are kept (checked every
`eval_every` steps inside one `lax.scan`), and KSG runs on the latents of the held-out half.
Seeds are `vmap`ped and their spread gives the CI (repeated splits: each seed's value is
measured on a random half of the rows, so the spread of the seeds is a standard error of
the whole estimate, see `mi.api`); `seed_splits` gives each seed's rows, so that another
term can be measured on the same held-out rows (the CCH gap's joint CI). As in the reference
implementation, the cross decoders C_x, C_y train with dropout (0.5) on every layer's input:
on the dense 5+5 Gaussian it took the mean error from −0.025 to −0.008 nats (10 samples,
benchmarks/mi_dense.py).
"""

from __future__ import annotations

import functools

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax
from jax import Array

from cch_jax.mi import ksg
from cch_jax.mi.nn import MLP, train_keep_best


class CrossAutoencoder(nn.Module):
  """Encoders f, g to `latent` dims; self decoders D_x, D_y; cross decoders C_x, C_y."""
  dim_x: int
  dim_y: int
  latent: int = 8
  width: int = 64
  dropout: float = 0.5  # of the cross decoders, while training

  def setup(self):
    hidden = (self.width, self.width)
    self.enc_x, self.enc_y = MLP(hidden, self.latent), MLP(hidden, self.latent)
    self.self_x, self.self_y = MLP(hidden, self.dim_x), MLP(hidden, self.dim_y)
    self.cross_x = MLP(hidden, self.dim_y, dropout=self.dropout)
    self.cross_y = MLP(hidden, self.dim_x, dropout=self.dropout)

  def encode(self, x: Array, y: Array) -> tuple[Array, Array]:
    """(B, dx), (B, dy) -> latents (B, latent), (B, latent)."""
    return self.enc_x(x), self.enc_y(y)

  def __call__(self, x: Array, y: Array, alpha: float, lam: float, train: bool = False
               ) -> Array:
    """The batch-mean loss L (squared errors averaged over each variable's dimensions)."""
    zx, zy = self.encode(x, y)
    mse = lambda target, pred: jnp.mean(jnp.sum((target - pred) ** 2, axis=1)) / target.shape[1]
    own = mse(x, self.self_x(zx)) + mse(y, self.self_y(zy))
    cross = mse(y, self.cross_x(zx, train)) + mse(x, self.cross_y(zy, train))
    return alpha * own + lam * cross


def _seed_rows(key: Array, n: int) -> tuple[Array, Array, Array]:
  """One seed's key -> (its row permutation (n,): the first n // 2 train, the rest are
  held out; its init key; its batch key)."""
  split_key, init_key, step_key = jax.random.split(key, 3)
  return jax.random.permutation(split_key, n), init_key, step_key


def _seed_keys(key: Array, seeds: int) -> Array:
  """(seeds,) keys: seed s gets fold_in(key, s)."""
  return jax.vmap(lambda s: jax.random.fold_in(key, s))(jnp.arange(seeds))


@functools.partial(jax.jit, static_argnames=("n", "seeds"))
def seed_splits(key: Array, n: int, seeds: int) -> tuple[Array, Array]:
  """The rows of each seed of `latent_mi(x, y, key, seeds=seeds)` on n rows.

  Returns:
    (row permutations (seeds, n): seed s trains its autoencoders on [s, :n // 2];
    held-out rows (seeds, n − n // 2): the rows its KSG value is measured on).
  """
  perms = jax.vmap(lambda k: _seed_rows(k, n)[0])(_seed_keys(key, seeds))
  return perms, perms[:, n // 2:]


def _fit_one(key: Array, x: Array, y: Array, latent: int, width: int, k: int, norm: str,
             steps: int, batch: int, eval_every: int, lr: float, alpha: float, lam: float,
             dropout: float) -> tuple[Array, Array]:
  """One seed: split, train with best-validation selection, KSG on held-out latents.

  Returns (held-out latent MI (), validation scores −L (steps // eval_every,)).
  """
  n = x.shape[0]
  perm, init_key, step_key = _seed_rows(key, n)
  train_idx, test_idx = perm[: n // 2], perm[n // 2:]
  n_val = max(n // 10, 2)
  fit_idx, val_idx = train_idx[n_val:], train_idx[:n_val]  # 80% fit, 20% validation of half

  def standardise(v):
    mean, sd = jnp.mean(v[train_idx], axis=0), jnp.std(v[train_idx], axis=0) + 1e-6
    return jnp.clip((v - mean) / sd, -10.0, 10.0)

  x, y = standardise(x), standardise(y)
  model = CrossAutoencoder(x.shape[1], y.shape[1], latent, width, dropout)
  params = model.init(init_key, x[:2], y[:2], alpha, lam)
  opt = optax.adam(lr)
  loss = lambda p, idx: model.apply(p, x[idx], y[idx], alpha, lam)  # deterministic

  def train_loss(p, idx, key):
    return model.apply(p, x[idx], y[idx], alpha, lam, True, rngs={"dropout": key})

  def step(carry, i):
    params, state = carry
    batch_key, dropout_key = jax.random.split(jax.random.fold_in(step_key, i))
    idx = jax.random.choice(batch_key, fit_idx, (batch,), replace=False)
    updates, state = opt.update(jax.grad(train_loss)(params, idx, dropout_key), state, params)
    return optax.apply_updates(params, updates), state

  best, scores = train_keep_best(step, (params, opt.init(params)),
                                 lambda p: -loss(p, val_idx), steps, eval_every)
  zx, zy = model.apply(best, x[test_idx], y[test_idx], method=CrossAutoencoder.encode)
  return ksg.ksg_mi(zx, zy, k=k, norm=norm), scores


@functools.partial(jax.jit, static_argnames=(
    "seeds", "latent", "width", "k", "norm", "steps", "batch", "eval_every", "lr", "alpha",
    "lam", "dropout"))
def latent_mi(x: Array, y: Array, key: Array, seeds: int = 4, latent: int = 8,
              width: int = 64, k: int = 3, norm: str = "euclidean", steps: int = 500,
              batch: int = 256,
              eval_every: int = 25, lr: float = 1e-3, alpha: float = 1.0, lam: float = 1.0,
              dropout: float = 0.5) -> tuple[Array, Array]:
  """Latent MI per seed, each seed on its own random split.

  Args:
    x: (n, dx), y: (n, dy) samples; n >= 3·batch (the fit part, 0.4·n, fills a batch).
    key: PRNG key; seed s uses fold_in(key, s) for its split, init and batches.
    seeds: independent splits (static).
    latent: latent dimensions per variable; width: hidden units of every MLP (static).
    k, norm: KSG neighbours and marginal norm on the held-out latents (static).
    steps, batch, eval_every, lr: Adam steps, batch size, validation period (static).
    alpha, lam: self-reconstruction and cross-prediction weights (static).
    dropout: dropout rate of the cross decoders while training (static).

  Returns:
    (per-seed held-out latent MI (seeds,), validation scores −L (seeds, steps // eval_every)).
  """
  if steps < eval_every:
    raise ValueError(f"steps: expected at least eval_every = {eval_every}, got {steps}")
  keys = _seed_keys(key, seeds)
  fit = functools.partial(_fit_one, x=x, y=y, latent=latent, width=width, k=k, norm=norm,
                          steps=steps,
                          batch=batch, eval_every=eval_every, lr=lr, alpha=alpha, lam=lam,
                          dropout=dropout)
  return jax.vmap(fit)(keys)
