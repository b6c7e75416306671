"""Classifier lower bound on label MI: I(X; Y) >= H(Y) − CE, where CE is the held-out
cross-entropy (nats) of a multinomial logistic-regression probe.

E[−log q(y|x)] >= H(Y|X) for any probe q, so H(Y) − CE never exceeds I(X; Y) in expectation
and never exceeds H(Y). Each seed draws its own split, standardises x with the training
half's statistics, fits the probe by full-batch Adam inside `lax.scan`, and scores the
held-out half; seeds are `vmap`ped. `seed_splits` gives each seed's rows, and `splits`
fits the probe on given ones instead (another term's, for a joint CI).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import optax
from jax import Array

from cch_jax.mi import label


@functools.partial(jax.jit, static_argnames=("n", "seeds"))
def seed_splits(key: Array, n: int, seeds: int) -> tuple[Array, Array]:
  """The rows of each seed of `probe_label_mi(x, labels, key, seeds=seeds)` on n rows.

  Returns:
    (row permutations (seeds, n): seed s fits its probe on [s, :n // 2];
    held-out rows (seeds, n − n // 2): the rows its bound is scored on).
  """
  perms = jax.vmap(lambda s: jax.random.permutation(jax.random.fold_in(key, s), n))(
      jnp.arange(seeds))
  return perms, perms[:, n // 2:]


def _fit_one(perm: Array, x: Array, labels: Array, n_classes: int, steps: int, lr: float,
             l2: float) -> tuple[Array, Array]:
  """One split: fit on perm[:n // 2], score on perm[n // 2:].

  Returns (held-out bound (), training bounds (steps,)).
  """
  n, d = x.shape
  tr, te = perm[: n // 2], perm[n // 2:]
  mean, sd = jnp.mean(x[tr], axis=0), jnp.std(x[tr], axis=0) + 1e-6
  z = (x - mean) / sd
  h_y = label.label_entropy(labels, n_classes)  # plug-in H(Y) over all samples
  params = (jnp.zeros((d, n_classes)), jnp.zeros(n_classes))
  opt = optax.adam(lr)

  def cross_entropy(params, idx):
    logits = z[idx] @ params[0] + params[1]
    return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, labels[idx]))

  def loss(params):
    return cross_entropy(params, tr) + l2 * jnp.sum(params[0] ** 2)

  def step(carry, _):
    params, state = carry
    value, grads = jax.value_and_grad(loss)(params)
    updates, state = opt.update(grads, state, params)
    return (optax.apply_updates(params, updates), state), h_y - value

  (params, _), curve = jax.lax.scan(step, (params, opt.init(params)), None, length=steps)
  return h_y - cross_entropy(params, te), curve


@functools.partial(jax.jit, static_argnames=("n_classes", "seeds", "steps", "lr", "l2"))
def probe_label_mi(x: Array, labels: Array, key: Array, n_classes: int, seeds: int = 4,
                   steps: int = 300, lr: float = 0.05, l2: float = 1e-4,
                   splits: Array | None = None) -> tuple[Array, Array]:
  """Held-out probe bound H(Y) − CE per seed.

  Args:
    x: (n, d) features. labels: (n,) integers in [0, n_classes).
    key: PRNG key; seed s uses fold_in(key, s) for its split (`seed_splits`).
    n_classes, seeds, steps, lr, l2: static set-up (l2 penalises the probe's weights).
    splits: optional (S, n) row permutations that replace the seeds' own (then S seeds):
      split s fits on [s, :n // 2] and scores [s, n // 2:], e.g. another estimator's
      splits, so that both are measured on the same rows.

  Returns:
    (per-seed bounds (S,), per-seed training bounds (S, steps)).
  """
  perms = seed_splits(key, x.shape[0], seeds)[0] if splits is None else splits
  fit = functools.partial(_fit_one, x=x, labels=labels, n_classes=n_classes, steps=steps,
                          lr=lr, l2=l2)
  return jax.vmap(fit)(perms)
