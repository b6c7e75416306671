"""Classifier lower bound on label MI: I(X; Y) >= H(Y) − CE, where CE is the held-out
cross-entropy (nats) of a multinomial logistic-regression probe.

E[−log q(y|x)] >= H(Y|X) for any probe q, so H(Y) − CE never exceeds I(X; Y) in expectation
and never exceeds H(Y). Each seed draws its own split, standardises x with the training
half's statistics, fits the probe by full-batch Adam inside `lax.scan`, and scores the
held-out half; seeds are `vmap`ped.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import optax
from jax import Array

from cch_jax.mi import label


def _fit_one(key: Array, x: Array, labels: Array, n_classes: int, steps: int, lr: float,
             l2: float) -> tuple[Array, Array]:
  n, d = x.shape
  perm = jax.random.permutation(key, n)
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
                   steps: int = 300, lr: float = 0.05, l2: float = 1e-4
                   ) -> tuple[Array, Array]:
  """Held-out probe bound H(Y) − CE per seed.

  Args:
    x: (n, d) features. labels: (n,) integers in [0, n_classes).
    key: PRNG key; seed s uses fold_in(key, s) for its split.
    n_classes, seeds, steps, lr, l2: static set-up (l2 penalises the probe's weights).

  Returns:
    (per-seed bounds (seeds,), per-seed training bounds (seeds, steps)).
  """
  keys = jax.vmap(lambda s: jax.random.fold_in(key, s))(jnp.arange(seeds))
  fit = functools.partial(_fit_one, x=x, labels=labels, n_classes=n_classes, steps=steps,
                          lr=lr, l2=l2)
  return jax.vmap(fit)(keys)
