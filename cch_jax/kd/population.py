"""Whole trainings as compiled programs: `vmap` over members (λ, T, β, seed) of
init + `lax.scan` over steps, with batches drawn by index from device-resident arrays.

  grid = paired_grid(lams=(0.5, 0.9), temperatures=(1., 4.), seeds=range(3))
  out = train_population(student, config, train, grid, key, val=val, test=test)

Member m uses fold_in(key, seed[m]) for its initialisation, batch order and dropout, so
members with the same seed (a λ = 0 baseline and its KD twins) start from the same
parameters and see the same batches: their differences are paired.

`train_population` is one program composed of three jitted pieces, which
`loop.fit_population` runs in checkpointed segments with the same results:

  states = init_population(model, config, train, members, key)         # leaves (M, ...)
  states, curves = advance_population(config, train, states, members, key, start, n)
  val_acc, val_ce, test_logits, test_acc = evaluate_population(model, config, states,
                                                               val, test)
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
                seeds: Iterable[int], beta: float = 0.0, teachers: int = 1
                ) -> dict[str, np.ndarray]:
  """Members for a paired teacher × λ × T × seed study: per seed one baseline (λ=0, T=1,
  β=0), then every (teacher, λ, T) with feature weight β.

  Args:
    lams, temperatures, seeds: the grid. beta: feature weight of the KD members.
    teachers: G, the number of teachers stacked in the training dict (see
      `train_population`); the baseline of a seed is shared by all of them.

  Returns:
    {'lam', 'temperature', 'beta' (M,) float32, 'seed', 'teacher' (M,) int32,
     'baseline' (M,) bool}, M = seeds · (1 + G · λs · Ts).
  """
  rows = []
  lams, temperatures = tuple(lams), tuple(temperatures)
  for seed in seeds:
    rows.append((0.0, 1.0, 0.0, seed, 0, True))
    rows += [(lam, t, beta, seed, g, False) for g in range(teachers) for lam in lams
             for t in temperatures]
  lam, temp, b, seed, teacher, base = zip(*rows)
  return {"lam": np.asarray(lam, np.float32), "temperature": np.asarray(temp, np.float32),
          "beta": np.asarray(b, np.float32), "seed": np.asarray(seed, np.int32),
          "teacher": np.asarray(teacher, np.int32), "baseline": np.asarray(base, bool)}


def member_keys(key: Array) -> tuple[Array, Array, Array]:
  """(init, data order, dropout) keys of the member whose key is `key`."""
  return tuple(jax.random.fold_in(key, i) for i in range(3))


def population_keys(members: dict[str, Any], key: Array) -> Array:
  """The member keys (M,): member m uses fold_in(key, members['seed'][m])."""
  return jax.vmap(lambda s: jax.random.fold_in(key, s))(jnp.asarray(members["seed"]))


def init_population(model: nn.Module, config: TrainConfig, train: Batch,
                    members: dict[str, Any], key: Array) -> step_lib.KDState:
  """The initial states of M members (vmapped `step.create_state`; jitted).

  Args:
    model: the `Classifier` every member uses (static).
    config: optimiser and schedule (static).
    train: the training dict; fixes the input shape and, with 'teacher_features'
      (n, d_t), adds each member's feature projection.
    members: {'lam', 'temperature', 'beta' (M,) floats, 'seed' (M,) ints}.
    key: base PRNG key; member m initialises from fold_in(key, seed[m]).

  Returns:
    `KDState` whose leaves have leading axis M (step (M,) zeros).
  """
  batching.check_data("train", train)
  members = check_members(members, train)
  return _init_population(model, config, train["x"][:1], _feature_dim(train), members, key)


def advance_population(config: TrainConfig, train: Batch, states: step_lib.KDState,
                       members: dict[str, Any], key: Array, start: Array | int,
                       n_steps: int) -> tuple[step_lib.KDState, dict[str, Array]]:
  """Steps start, ..., start + n_steps - 1 of every member (vmapped `lax.scan`; jitted).

  The batch and dropout key of member m at global step i are pure functions of
  (fold_in(key, seed[m]), i), so advancing in segments equals one scan over all steps.
  `start` is traced (segments reuse one compiled program); `n_steps` is static. The data
  are not re-checked here (`init_population` and `train_population` check them), so a
  loop over segments copies nothing back to the host.

  Args:
    config: batch size (static); the optimiser lives in `states`.
    train: {'x' (n, ...), 'y' (n,)[, 'teacher_logits' (n, K) or (G, n, K),
      'teacher_features' (n, d_t) or (G, n, d_t)]}, n >= config.batch_size.
    states: `KDState` with leading axis M (from `init_population` or a checkpoint);
      their step counters must equal `start` (checked outside jit).
    members: as in `init_population` ('seed' and 'teacher' are used here).
    key: the base PRNG key given to `init_population`.
    start: the global index of the first step (scalar int).
    n_steps: steps to take (static, >= 1).

  Returns:
    (states after the steps, curves {'loss', 'ce', 'kl', 'feature', 'accuracy'} each
    (M, n_steps)).
  """
  members = check_members(members, train)
  checks.check_positive_int("n_steps", n_steps)
  if checks.is_concrete(states.step, start) and np.any(np.asarray(states.step) != start):
    raise ValueError(f"states: expected every member at step start = {start}, got steps "
                     f"{np.unique(np.asarray(states.step)).tolist()}")
  return _advance_population(config, train, states, population_keys(members, key),
                             members["teacher"], jnp.asarray(start, jnp.int32), n_steps)


def evaluate_population(model: nn.Module, config: TrainConfig, states: step_lib.KDState,
                        val: Batch | None = None, test: Batch | None = None
                        ) -> tuple[Array, Array, Array | None, Array | None]:
  """Scores every member's model params (jitted; inference in config.eval_batch_size rows).

  Args:
    model: the members' `Classifier` (static).
    config: eval batch size (static).
    states: `KDState` with leading axis M (only its params['model'] are used).
    val: optional {'x', 'y'}; test: optional {'x', 'y'}.

  Returns:
    (val_accuracy (M,), val_ce (M,) (NaN without `val`), test_logits (M, n_test, K) or
    None, test_accuracy (M,) or None).
  """
  for name, data in (("val", val), ("test", test)):
    if data is not None:
      batching.check_data(name, data)
  return _evaluate_population(model, config, states.params["model"], val, test)


def _feature_dim(train: Batch) -> int | None:
  return train["teacher_features"].shape[-1] if "teacher_features" in train else None


@functools.partial(jax.jit, static_argnames=("model", "config", "feature_dim"))
def _init_population(model: nn.Module, config: TrainConfig, x_example: Array,
                     feature_dim: int | None, members: dict[str, Array], key: Array
                     ) -> step_lib.KDState:

  def one(member_key, lam, temperature, beta):
    init_key, _, _ = member_keys(member_key)
    return step_lib.create_state(model, config, init_key, x_example, feature_dim, lam,
                                 temperature, beta)

  floats = (jnp.asarray(members[k], jnp.float32) for k in ("lam", "temperature", "beta"))
  states = jax.vmap(one)(population_keys(members, key), *floats)
  # A strong int32 step, like a restored checkpoint's: both hit one compiled advance.
  return states.replace(step=states.step.astype(jnp.int32))


@functools.partial(jax.jit, static_argnames=("config", "n_steps"))
def _advance_population(config: TrainConfig, train: Batch, states: step_lib.KDState,
                        keys: Array, teachers: Array, start: Array, n_steps: int
                        ) -> tuple[step_lib.KDState, dict[str, Array]]:
  n = train["x"].shape[0]
  steps = start + jnp.arange(n_steps, dtype=jnp.int32)

  def one(state, member_key, teacher):
    _, data_key, dropout_key = member_keys(member_key)

    def body(state, i):
      idx = batching.batch_indices(data_key, i, n, config.batch_size)
      return step_lib.train_step(state, member_batch(train, teacher, idx),
                                 jax.random.fold_in(dropout_key, i))

    return jax.lax.scan(body, state, steps)

  return jax.vmap(one)(states, keys, teachers)


def member_batch(train: Batch, teacher: Array, idx: Array) -> Batch:
  """Rows `idx` (B,) of the training dict for a member distilling from `teacher`: stacked
  targets ('teacher_logits' (G, n, K), 'teacher_features' (G, n, d_t)) are gathered at
  [teacher, idx] (B, ·) in one step, so no member copies a whole teacher's targets."""
  stacked = lambda k, v: k in ("teacher_logits", "teacher_features") and v.ndim == 3
  return {k: v[teacher, idx] if stacked(k, v) else v[idx] for k, v in train.items()}


@functools.partial(jax.jit, static_argnames=("model", "config"))
def _evaluate_population(model: nn.Module, config: TrainConfig, params: Any,
                         val: Batch | None, test: Batch | None
                         ) -> tuple[Array, Array, Array | None, Array | None]:
  m = jax.tree.leaves(params)[0].shape[0]
  logits = lambda p, x: batching.apply_in_batches(
      lambda xb: model.apply({"params": p}, xb), x, config.eval_batch_size)
  val_acc = val_ce = jnp.full((m,), jnp.nan, jnp.float32)
  test_logits = test_acc = None
  if val is not None:
    val_logits = jax.vmap(logits, (0, None))(params, val["x"])
    val_acc = jax.vmap(_accuracy, (0, None))(val_logits, val["y"])
    val_ce = jnp.mean(jax.vmap(losses.cross_entropy, (0, None))(val_logits, val["y"]), -1)
  if test is not None:
    test_logits = jax.vmap(logits, (0, None))(params, test["x"])
    test_acc = jax.vmap(_accuracy, (0, None))(test_logits, test["y"])
  return val_acc, val_ce, test_logits, test_acc


def _accuracy(logits: Array, labels: Array) -> Array:
  return jnp.mean((jnp.argmax(logits, -1) == labels).astype(jnp.float32))


def train_population(model: nn.Module, config: TrainConfig, train: Batch,
                     members: dict[str, Array], key: Array, val: Batch | None = None,
                     test: Batch | None = None) -> PopulationResult:
  """Trains M students (or teachers) at once, as one compiled program:
  `init_population`, `advance_population` over all config.steps, `evaluate_population`.

  `loop.fit_population` runs the same pieces in checkpointed segments (same results).

  Args:
    model: the `Classifier` every member uses (static).
    config: steps, batch size, optimiser, schedule (static); its lam/temperature/beta
      are ignored in favour of `members`.
    train: {'x' (n, ...), 'y' (n,)} and for KD 'teacher_logits' (n, K) and optionally
      'teacher_features' (n, d_t) (adds the β-weighted projected-feature term); several
      teachers stack their targets, (G, n, K) and (G, n, d_t), and member m distils from
      teacher members['teacher'][m].
    members: {'lam', 'temperature', 'beta' (M,) floats, 'seed' (M,) ints, optional
      'teacher' (M,) ints in [0, G)} (extra keys, e.g. 'baseline' from `paired_grid`, are
      ignored).
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
  members = check_members(members, train)
  return _population(model, config, train, members, key, val, test)


def check_members(members: dict[str, Any], train: Batch | None = None) -> dict[str, Array]:
  """The 'lam', 'temperature', 'beta', 'seed' and 'teacher' (default all 0) arrays of
  `members`, checked (with `train`: teacher indices against its stacked targets)."""
  missing = {"lam", "temperature", "beta", "seed"} - set(members)
  if missing:
    raise ValueError(f"members: missing {sorted(missing)}")
  out = {k: members[k] for k in ("lam", "temperature", "beta", "seed")}
  out["teacher"] = members.get("teacher", jnp.zeros(jnp.shape(out["seed"]), jnp.int32))
  if not checks.is_concrete(out):
    return out
  sizes = {k: np.shape(v) for k, v in out.items()}
  if len(set(sizes.values())) != 1 or len(sizes["lam"]) != 1:
    raise ValueError(f"members: expected 1-D arrays of one length, got shapes {sizes}")
  lam, temp, beta = (np.asarray(out[k]) for k in ("lam", "temperature", "beta"))
  if np.any((lam < 0) | (lam > 1)) or np.any(temp <= 0) or np.any(beta < 0):
    raise ValueError("members: expected lam in [0, 1], temperature > 0, beta >= 0")
  for k in ("seed", "teacher"):
    if not np.issubdtype(np.asarray(out[k]).dtype, np.integer):
      raise TypeError(f"members[{k!r}]: expected integers")
  n_teachers = np.inf if train is None else 1
  stacked = [np.shape(v)[0] for k, v in (train or {}).items()
             if k in ("teacher_logits", "teacher_features") and np.ndim(v) == 3]
  if stacked:
    n_teachers = min(stacked)
  teacher = np.asarray(out["teacher"])
  if np.any((teacher < 0) | (teacher >= n_teachers)):
    raise ValueError(f"members['teacher']: expected indices in [0, {n_teachers}) (the "
                     f"teachers stacked in train['teacher_logits']), got {np.unique(teacher)}")
  return out


@functools.partial(jax.jit, static_argnames=("model", "config"))
def _population(model: nn.Module, config: TrainConfig, train: Batch,
                members: dict[str, Array], key: Array, val: Batch | None,
                test: Batch | None) -> PopulationResult:
  states = _init_population(model, config, train["x"][:1], _feature_dim(train), members,
                            key)
  states, curves = _advance_population(config, train, states, population_keys(members, key),
                                       members["teacher"], jnp.zeros((), jnp.int32),
                                       config.steps)
  return PopulationResult(states.params, curves,
                          *_evaluate_population(model, config, states.params["model"], val,
                                                test))


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
