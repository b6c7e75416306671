"""Whole trainings as one compiled program: `vmap` over members (λ, T, β, seed) of
init + `lax.scan` over steps, with batches drawn by index from device-resident arrays.

  grid = paired_grid(lams=(0.5, 0.9), temperatures=(1., 4.), seeds=range(3))
  out = train_population(student, config, train, grid, key, val=val, test=test)

Member m uses fold_in(key, seed[m]) for its initialisation, batch order and dropout, so
members with the same seed (a λ = 0 baseline and its KD twins) start from the same
parameters and see the same batches: their differences are paired.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from jax import Array

from cch_jax.kd import batching, losses
from cch_jax.kd import step as step_lib
from cch_jax.kd.config import TrainConfig
from cch_jax.utils import checks

Batch = dict[str, Array]


class PopulationResult(NamedTuple):
  """Per-member outputs, leading axis M (members).

  Attributes:
    params: final params pytree ({'model': ..., 'proj': ...}), leaves (M, ...).
    curves: training metrics per step {'loss', 'ce', 'kl', 'feature', 'accuracy'},
      each (M, steps).
    val_accuracy, val_ce: (M,) at the end of training (NaN without validation data).
    test_logits: (M, n_test, K) or None. test_accuracy: (M,) or None.
  """
  params: Any
  curves: dict[str, Array]
  val_accuracy: Array
  val_ce: Array
  test_logits: Array | None
  test_accuracy: Array | None


def paired_grid(lams: Iterable[float], temperatures: Iterable[float],
                seeds: Iterable[int], beta: float = 0.0) -> dict[str, np.ndarray]:
  """Members for a paired λ × T × seed study: per seed a baseline (λ=0, T=1, β=0) then
  every (λ, T) with feature weight β.

  Returns:
    {'lam', 'temperature', 'beta' (M,) float32, 'seed' (M,) int32,
     'baseline' (M,) bool}, M = seeds · (1 + λs · Ts).
  """
  rows = []
  for seed in seeds:
    rows.append((0.0, 1.0, 0.0, seed, True))
    rows += [(lam, t, beta, seed, False) for lam in lams for t in temperatures]
  lam, temp, b, seed, base = zip(*rows)
  return {"lam": np.asarray(lam, np.float32), "temperature": np.asarray(temp, np.float32),
          "beta": np.asarray(b, np.float32), "seed": np.asarray(seed, np.int32),
          "baseline": np.asarray(base, bool)}


def member_keys(key: Array) -> tuple[Array, Array, Array]:
  """(init, data order, dropout) keys of the member whose key is `key`."""
  return tuple(jax.random.fold_in(key, i) for i in range(3))


def _train_member(model: nn.Module, config: TrainConfig, train: Batch, val: Batch | None,
                  test: Batch | None, key: Array, lam: Array, temperature: Array,
                  beta: Array) -> PopulationResult:
  """One member: init, scan over config.steps, evaluate. Shapes without the M axis."""
  n = train["x"].shape[0]
  feature_dim = train["teacher_features"].shape[-1] if "teacher_features" in train else None
  init_key, data_key, dropout_key = member_keys(key)
  state = step_lib.create_state(model, config, init_key, train["x"], feature_dim, lam,
                                temperature, beta)

  def body(state, i):
    idx = batching.batch_indices(data_key, i, n, config.batch_size)
    return step_lib.train_step(state, batching.take(train, idx),
                               jax.random.fold_in(dropout_key, i))

  state, curves = jax.lax.scan(body, state, jnp.arange(config.steps))
  logits = lambda x: batching.apply_in_batches(
      lambda xb: model.apply({"params": state.params["model"]}, xb), x,
      config.eval_batch_size)
  nan = jnp.full((), jnp.nan, jnp.float32)
  val_acc, val_ce, test_logits, test_acc = nan, nan, None, None
  if val is not None:
    val_logits = logits(val["x"])
    val_acc = _accuracy(val_logits, val["y"])
    val_ce = jnp.mean(losses.cross_entropy(val_logits, val["y"]))
  if test is not None:
    test_logits = logits(test["x"])
    test_acc = _accuracy(test_logits, test["y"])
  return PopulationResult(state.params, curves, val_acc, val_ce, test_logits, test_acc)


def _accuracy(logits: Array, labels: Array) -> Array:
  return jnp.mean((jnp.argmax(logits, -1) == labels).astype(jnp.float32))


def train_population(model: nn.Module, config: TrainConfig, train: Batch,
                     members: dict[str, Array], key: Array, val: Batch | None = None,
                     test: Batch | None = None) -> PopulationResult:
  """Trains M students (or teachers) at once: vmap over members of init + scan.

  Args:
    model: the `Classifier` every member uses (static).
    config: steps, batch size, optimiser, schedule (static); its lam/temperature/beta
      are ignored in favour of `members`.
    train: {'x' (n, ...), 'y' (n,)} and for KD 'teacher_logits' (n, K) and optionally
      'teacher_features' (n, d_t) (adds the β-weighted projected-feature term).
    members: {'lam', 'temperature', 'beta' (M,) floats, 'seed' (M,) ints} (extra keys,
      e.g. 'baseline' from `paired_grid`, are ignored).
    key: base PRNG key; member m uses fold_in(key, seed[m]).
    val: optional {'x', 'y'} scored at the end (accuracy, mean CE).
    test: optional {'x', 'y'}: the result carries test logits and accuracy.

  Returns:
    `PopulationResult` with leading axis M.
  """
  batching.check_data("train", train, config.batch_size)
  for name, data in (("val", val), ("test", test)):
    if data is not None:
      batching.check_data(name, data)
  members = _check_members(members)
  return _population(model, config, train, members, key, val, test)


def _check_members(members: dict[str, Any]) -> dict[str, Array]:
  """The 'lam', 'temperature', 'beta', 'seed' arrays of `members`, checked."""
  missing = {"lam", "temperature", "beta", "seed"} - set(members)
  if missing:
    raise ValueError(f"members: missing {sorted(missing)}")
  out = {k: members[k] for k in ("lam", "temperature", "beta", "seed")}
  if not checks.is_concrete(out):
    return out
  sizes = {k: np.shape(v) for k, v in out.items()}
  if len(set(sizes.values())) != 1 or len(sizes["lam"]) != 1:
    raise ValueError(f"members: expected 1-D arrays of one length, got shapes {sizes}")
  lam, temp, beta = (np.asarray(out[k]) for k in ("lam", "temperature", "beta"))
  if np.any((lam < 0) | (lam > 1)) or np.any(temp <= 0) or np.any(beta < 0):
    raise ValueError("members: expected lam in [0, 1], temperature > 0, beta >= 0")
  if not np.issubdtype(np.asarray(out["seed"]).dtype, np.integer):
    raise TypeError("members['seed']: expected integers")
  return out


@functools.partial(jax.jit, static_argnames=("model", "config"))
def _population(model: nn.Module, config: TrainConfig, train: Batch,
                members: dict[str, Array], key: Array, val: Batch | None,
                test: Batch | None) -> PopulationResult:
  keys = jax.vmap(lambda s: jax.random.fold_in(key, s))(jnp.asarray(members["seed"]))
  one = functools.partial(_train_member, model, config, train, val, test)
  return jax.vmap(one)(keys, jnp.asarray(members["lam"], jnp.float32),
                       jnp.asarray(members["temperature"], jnp.float32),
                       jnp.asarray(members["beta"], jnp.float32))


def train_teacher(model: nn.Module, config: TrainConfig, train: Batch, key: Array,
                  seed: int = 0, val: Batch | None = None) -> tuple[Any, PopulationResult]:
  """Stage 1: plain training (λ = 0) of one model on {'x', 'y'}.

  Returns:
    (the model's params (its 'model' entry, no member axis), the 1-member result).
  """
  plain = {"x": train["x"], "y": train["y"]}
  members = {"lam": np.zeros(1, np.float32), "temperature": np.ones(1, np.float32),
             "beta": np.zeros(1, np.float32), "seed": np.asarray([seed], np.int32)}
  out = train_population(model, config, plain, members, key, val=val)
  return jax.tree.map(lambda a: a[0], out.params["model"]), out


def teacher_targets(model: nn.Module, params: Any, x: Array, batch_size: int = 1024,
                    features: bool = True) -> Batch:
  """Stage 2 input: the frozen teacher's outputs on its own modality, computed once.

  Args:
    model, params: the teacher `Classifier` and its params (from `train_teacher`).
    x: the teacher-modality inputs of the training rows (n, ...).
    batch_size: rows per inference call.
    features: also return the representations (for the β feature term).

  Returns:
    {'teacher_logits' (n, K)[, 'teacher_features' (n, d_t)]}: merge into the student's
    training dict, {'x': x_student, 'y': y, **teacher_targets(...)}.
  """
  logits, h = batching.predict_jit(model, params, x, batch_size)
  return {"teacher_logits": logits, "teacher_features": h} if features else {
      "teacher_logits": logits}
