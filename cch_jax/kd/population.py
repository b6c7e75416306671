"""Whole trainings as compiled programs: `vmap` over members (λ, T, β, seed) of
init + `lax.scan` over steps, with batches drawn by index from device-resident arrays.

  grid = paired_grid(lams=(0.5, 0.9), temperatures=(1., 4.), seeds=range(3))
  out = train_population(student, config, train, grid, key, val=val, test=test)

Member m uses fold_in(key, seed[m]) for its initialisation, batch order and dropout, so
members with the same seed (a λ = 0 baseline and its KD twins) start from the same
parameters and see the same batches: their differences are paired. Repeated data splits
stack on a leading axis of the data ('y' (S, n)); members['split'] picks each member's.

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
                seeds: Iterable[int], beta: float = 0.0, teachers: int = 1,
                splits: int = 1) -> dict[str, np.ndarray]:
  """Members for a paired split × seed × teacher × λ × T study: per (split, seed) one
  baseline (λ=0, T=1, β=0), then every (teacher, λ, T) with feature weight β.

  Args:
    lams, temperatures, seeds: the grid. beta: feature weight of the KD members.
    teachers: G, the number of teachers stacked in the training dict (see
      `train_population`); the baseline of a seed is shared by all of them.
    splits: S, the data splits stacked in the training dict (1: an unstacked dict).

  Returns:
    {'lam', 'temperature', 'beta' (M,) float32, 'seed', 'teacher', 'split' (M,) int32,
     'baseline' (M,) bool}, M = S · seeds · (1 + G · λs · Ts).
  """
  rows = []
  lams, temperatures, seeds = tuple(lams), tuple(temperatures), tuple(seeds)
  for split in range(splits):
    for seed in seeds:
      rows.append((0.0, 1.0, 0.0, seed, 0, split, True))
      rows += [(lam, t, beta, seed, g, split, False) for g in range(teachers)
               for lam in lams for t in temperatures]
  lam, temp, b, seed, teacher, split, base = zip(*rows)
  return {"lam": np.asarray(lam, np.float32), "temperature": np.asarray(temp, np.float32),
          "beta": np.asarray(b, np.float32), "seed": np.asarray(seed, np.int32),
          "teacher": np.asarray(teacher, np.int32), "split": np.asarray(split, np.int32),
          "baseline": np.asarray(base, bool)}


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
  return _init_population(model, config, _x_example(train), _feature_dim(train), members,
                          key)


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
                             members["teacher"], members["split"],
                             jnp.asarray(start, jnp.int32), n_steps)


def evaluate_population(model: nn.Module, config: TrainConfig, states: step_lib.KDState,
                        val: Batch | None = None, test: Batch | None = None,
                        members: dict[str, Any] | None = None
                        ) -> tuple[Array, Array, Array | None, Array | None]:
  """Scores every member's model params (jitted; inference in config.eval_batch_size rows).

  Args:
    model: the members' `Classifier` (static).
    config: eval batch size (static).
    states: `KDState` with leading axis M (only its params['model'] are used).
    val: optional {'x', 'y'}; test: optional {'x', 'y'}; with S stacked splits ('y'
      (S, n)) member m is scored on split members['split'][m].
    members: needed for stacked splits (its 'split' (M,)).

  Returns:
    (val_accuracy (M,), val_ce (M,) (NaN without `val`), test_logits (M, n_test, K) or
    None, test_accuracy (M,) or None).
  """
  splits = None
  for name, data in (("val", val), ("test", test)):
    if data is not None:
      batching.check_data(name, data)
      if batching.split_axes(data):
        if members is None:
          raise ValueError(f"{name}: stacked splits need `members` (their 'split' index)")
        splits = check_members(members, data)["split"]
  return _evaluate_population(model, config, states.params["model"], val, test, splits)


def _feature_dim(train: Batch) -> int | None:
  return train["teacher_features"].shape[-1] if "teacher_features" in train else None


def _x_example(train: Batch) -> Array:
  """One input row (1, ...), from the first split when splits are stacked."""
  return train["x"][(0,) * batching.split_axes(train)][:1]


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
                        keys: Array, teachers: Array, splits: Array, start: Array,
                        n_steps: int) -> tuple[step_lib.KDState, dict[str, Array]]:
  n = train["y"].shape[-1]
  steps = start + jnp.arange(n_steps, dtype=jnp.int32)

  def one(state, member_key, teacher, split):
    _, data_key, dropout_key = member_keys(member_key)

    def body(state, i):
      idx = batching.batch_indices(data_key, i, n, config.batch_size)
      return step_lib.train_step(state, member_batch(train, teacher, split, idx),
                                 jax.random.fold_in(dropout_key, i))

    return jax.lax.scan(body, state, steps)

  return jax.vmap(one)(states, keys, teachers, splits)


def member_batch(train: Batch, teacher: Array, split: Array, idx: Array) -> Batch:
  """Rows `idx` (B,) of the training dict for a member on `split` distilling from
  `teacher`. Stacked splits ('y' (S, n)) are indexed at [split, ...]; stacked teachers'
  targets ('teacher_logits' (·, G, n, K), 'teacher_features' (·, G, n, d_t)) at
  [..., teacher, idx]: one gather of (B, ·) rows, so no member copies a whole split or a
  whole teacher's targets."""
  lead = (split,) * batching.split_axes(train)
  stacked = lambda k, v: (k in ("teacher_logits", "teacher_features")
                          and v.ndim == len(lead) + 3)
  return {k: v[(*lead, teacher, idx)] if stacked(k, v) else v[(*lead, idx)]
          for k, v in train.items()}


@functools.partial(jax.jit, static_argnames=("model", "config"))
def _evaluate_population(model: nn.Module, config: TrainConfig, params: Any,
                         val: Batch | None, test: Batch | None, splits: Array | None = None
                         ) -> tuple[Array, Array, Array | None, Array | None]:
  m = jax.tree.leaves(params)[0].shape[0]
  val_acc = val_ce = jnp.full((m,), jnp.nan, jnp.float32)
  test_logits = test_acc = None
  if val is not None:
    val_logits, val_y = _member_logits(model, config, params, val, splits)
    val_acc = jax.vmap(_accuracy)(val_logits, val_y)
    val_ce = jnp.mean(jax.vmap(losses.cross_entropy)(val_logits, val_y), -1)
  if test is not None:
    test_logits, test_y = _member_logits(model, config, params, test, splits)
    test_acc = jax.vmap(_accuracy)(test_logits, test_y)
  return val_acc, val_ce, test_logits, test_acc


def _member_logits(model: nn.Module, config: TrainConfig, params: Any, data: Batch,
                   splits: Array | None) -> tuple[Array, Array]:
  """Each member's logits (M, n, K) and labels (M, n) on its own split of `data`.

  Stacked splits are scored whole and the member's rows kept: S times the (cheap)
  inference, but no (M, n, ...) copy of the inputs."""
  logits = lambda p, x: batching.apply_in_batches(
      lambda xb: model.apply({"params": p}, xb), x, config.eval_batch_size)
  m = jax.tree.leaves(params)[0].shape[0]
  if not batching.split_axes(data):
    return (jax.vmap(logits, (0, None))(params, data["x"]),
            jnp.broadcast_to(data["y"], (m,) + data["y"].shape))
  s, n = data["y"].shape
  flat = jax.vmap(logits, (0, None))(params, data["x"].reshape((s * n,) + data["x"].shape[2:]))
  own = flat.reshape((m, s, n, -1))[jnp.arange(m), splits]
  return own, data["y"][splits]


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
      teacher members['teacher'][m]. S equal-sized splits may be stacked on a leading
      axis of every entry ('y' (S, n), 'x' (S, n, ...), targets (S, G, n, ·)): member m
      trains on split members['split'][m] (repeated splits in one program).
    members: {'lam', 'temperature', 'beta' (M,) floats, 'seed' (M,) ints, optional
      'teacher' (M,) ints in [0, G), 'split' (M,) ints in [0, S)} (extra keys, e.g.
      'baseline' from `paired_grid`, are ignored).
    key: base PRNG key; member m uses fold_in(key, seed[m]).
    val: optional {'x', 'y'} scored at the end (accuracy, mean CE); stacked like `train`
      when it stacks splits.
    test: optional {'x', 'y'}: the result carries test logits and accuracy.

  Returns:
    `PopulationResult` with leading axis M.
  """
  batching.check_data("train", train, config.batch_size)
  for name, data in (("val", val), ("test", test)):
    if data is not None:
      batching.check_data(name, data)
      check_members(members, data)
  members = check_members(members, train)
  return _population(model, config, train, members, key, val, test)


def check_members(members: dict[str, Any], train: Batch | None = None) -> dict[str, Array]:
  """The 'lam', 'temperature', 'beta', 'seed', 'teacher' and 'split' (both default 0)
  arrays of `members`, checked (with `train`: teacher and split indices against its
  stacked targets and splits)."""
  missing = {"lam", "temperature", "beta", "seed"} - set(members)
  if missing:
    raise ValueError(f"members: missing {sorted(missing)}")
  out = {k: members[k] for k in ("lam", "temperature", "beta", "seed")}
  for k in ("teacher", "split"):
    out[k] = members.get(k, jnp.zeros(jnp.shape(out["seed"]), jnp.int32))
  if not checks.is_concrete(out):
    return out
  sizes = {k: np.shape(v) for k, v in out.items()}
  if len(set(sizes.values())) != 1 or len(sizes["lam"]) != 1:
    raise ValueError(f"members: expected 1-D arrays of one length, got shapes {sizes}")
  lam, temp, beta = (np.asarray(out[k]) for k in ("lam", "temperature", "beta"))
  if np.any((lam < 0) | (lam > 1)) or np.any(temp <= 0) or np.any(beta < 0):
    raise ValueError("members: expected lam in [0, 1], temperature > 0, beta >= 0")
  for k in ("seed", "teacher", "split"):
    if not np.issubdtype(np.asarray(out[k]).dtype, np.integer):
      raise TypeError(f"members[{k!r}]: expected integers")
  lead = batching.split_axes(train) if train is not None else 0
  n_splits = np.inf if train is None else (np.shape(train["y"])[0] if lead else 1)
  split = np.asarray(out["split"])
  if np.any((split < 0) | (split >= n_splits)):
    raise ValueError(f"members['split']: expected indices in [0, {n_splits}) (the splits "
                     f"stacked in the data's 'y' (S, n)), got {np.unique(split)}")
  targets = {k: v for k, v in (train or {}).items()
             if k in ("teacher_logits", "teacher_features")}
  stacked = [np.shape(v)[lead] for v in targets.values() if np.ndim(v) == lead + 3]
  n_teachers = min(stacked) if stacked else (1 if targets else np.inf)
  teacher = np.asarray(out["teacher"])
  if np.any((teacher < 0) | (teacher >= n_teachers)):
    raise ValueError(f"members['teacher']: expected indices in [0, {n_teachers}) (the "
                     f"teachers stacked in train['teacher_logits']), got {np.unique(teacher)}")
  return out


@functools.partial(jax.jit, static_argnames=("model", "config"))
def _population(model: nn.Module, config: TrainConfig, train: Batch,
                members: dict[str, Array], key: Array, val: Batch | None,
                test: Batch | None) -> PopulationResult:
  states = _init_population(model, config, _x_example(train), _feature_dim(train),
                            members, key)
  states, curves = _advance_population(config, train, states, population_keys(members, key),
                                       members["teacher"], members["split"],
                                       jnp.zeros((), jnp.int32), config.steps)
  return PopulationResult(states.params, curves,
                          *_evaluate_population(model, config, states.params["model"], val,
                                                test, members["split"]))


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
