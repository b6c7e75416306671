"""Populations: members equal solo runs, pairs share init and batches, the teacher ->
student pipeline learns an easy task, results do not depend on the device count, and
batch streams draw the batch order `kd.batch_indices` defines."""

import types

import jax
import numpy as np
import pytest

from cch_jax import kd
from cch_jax.kd import batching
from tests.kd.demo_run import blobs

CONFIG = kd.TrainConfig(steps=25, batch_size=32, learning_rate=1e-2)


@pytest.fixture(scope="module")
def kd_task():
  rng = np.random.default_rng(0)
  data = blobs(0, 160, dim=6, n_classes=3)
  data["teacher_outputs"] = rng.normal(size=(160, 3)).astype(np.float32)
  data["teacher_features"] = rng.normal(size=(160, 4)).astype(np.float32)
  return kd.make_model("mlp", n_classes=3, widths=(16,)), data


def test_paired_grid_layout():
  grid = kd.paired_grid(lams=(0.5, 0.9), temperatures=(1.0, 4.0), seeds=(0, 7), beta=0.1)
  assert len(grid) == 2 * (1 + 4)
  np.testing.assert_array_equal(grid.seed, [0] * 5 + [7] * 5)
  np.testing.assert_array_equal(grid.baseline, [1, 0, 0, 0, 0] * 2)
  np.testing.assert_allclose(grid.lam[:5], [0, 0.5, 0.5, 0.9, 0.9])
  np.testing.assert_allclose(grid.temperature[:5], [1, 1, 4, 1, 4])
  np.testing.assert_allclose(grid.beta[:5], [0, 0.1, 0.1, 0.1, 0.1])


def test_vmapped_member_equals_the_same_run_alone_and_pairs_share_init(kd_task):
  model, train = kd_task
  members = kd.paired_grid(lams=(0.7,), temperatures=(3.0,), seeds=(0, 1), beta=0.2)
  key = jax.random.key(3)
  out = kd.train_population(model, CONFIG, train, members, key)
  solo_members = jax.tree.map(lambda v: v[3:4], members)  # λ=0.7, T=3, seed 1
  solo = kd.train_population(model, CONFIG, train, solo_members, key)
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a[3:4], b, rtol=1e-5, atol=1e-6),
               out.params, solo.params)
  np.testing.assert_allclose(out.curves["loss"][3:4], solo.curves["loss"], rtol=1e-5)
  assert np.all(np.isnan(out.val_score))  # no validation data
  assert out.curves["loss"].shape == (4, CONFIG.steps)
  # Paired: a baseline and its KD twin start equal and see the same first batch.
  ce0 = out.curves["supervised"][:, 0]
  np.testing.assert_allclose(ce0[0], ce0[1], rtol=1e-6)
  np.testing.assert_allclose(ce0[2], ce0[3], rtol=1e-6)
  assert abs(ce0[0] - ce0[2]) > 1e-4  # different seeds differ
  # The baseline's loss is its CE (λ = β = 0); its KD twin's is not.
  np.testing.assert_allclose(out.curves["loss"][0], out.curves["supervised"][0], rtol=1e-6)
  assert np.all(np.abs(out.curves["loss"][1] - out.curves["supervised"][1]) > 1e-3)
  assert out.test_outputs is None


def test_stacked_teachers_each_member_distils_from_its_own(kd_task):
  """A population over G = 2 stacked teachers equals, member for member, the
  one-teacher populations of each teacher (same key), and shares the seed's baseline."""
  model, train = kd_task
  rng = np.random.default_rng(1)
  other = {"teacher_outputs": rng.normal(size=(160, 3)).astype(np.float32),
           "teacher_features": rng.normal(size=(160, 4)).astype(np.float32)}
  stacked = dict(train, **{k: np.stack([train[k], v]) for k, v in other.items()})
  grid = kd.paired_grid(lams=(0.6,), temperatures=(2.0,), seeds=(0, 1), beta=0.1,
                        teachers=2)
  np.testing.assert_array_equal(grid.teacher, [0, 0, 1] * 2)
  np.testing.assert_array_equal(grid.baseline, [1, 0, 0] * 2)
  key = jax.random.key(5)
  out = kd.train_population(model, CONFIG, stacked, grid, key)
  single = kd.paired_grid(lams=(0.6,), temperatures=(2.0,), seeds=(0, 1), beta=0.1)
  for g, data in enumerate((train, dict(train, **other))):
    ref = kd.train_population(model, CONFIG, data, single, key)
    pick = np.flatnonzero(grid.baseline | (grid.teacher == g))
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a[pick], b, rtol=1e-5, atol=1e-6),
                 out.params, ref.params)
  with pytest.raises(ValueError, match=r"members\.teacher: expected indices in \[0, 2\)"):
    kd.train_population(model, CONFIG, stacked, grid.replace(teacher=grid.teacher * 2), key)
  with pytest.raises(ValueError, match=r"in \[0, 1\)"):
    kd.train_population(model, CONFIG, train, grid, key)


def test_teacher_then_students_learn_an_easy_task():
  """Stage 1: an MLP teacher on clean 8-D blobs (4 classes, seed 0) reaches >= 95%
  validation accuracy in 150 steps; stage 2: baseline and KD students on a noisier view
  of the same points (2 seeds) train in one program and beat 80% test accuracy."""
  data = blobs(0, 1024 + 256 + 256)
  rng = np.random.default_rng(1)
  x_student = data["x"] + rng.normal(size=data["x"].shape).astype(np.float32)
  tr, va, te = slice(0, 1024), slice(1024, 1280), slice(1280, None)
  config = kd.TrainConfig(steps=150, batch_size=64, learning_rate=3e-3)
  teacher = kd.make_model("mlp", n_classes=4, widths=(32, 32))
  t_out = kd.train_population(
      teacher, config, {"x": data["x"][tr], "y": data["y"][tr]}, kd.paired_grid((), (), [0]),
      jax.random.key(0), val={"x": data["x"][va], "y": data["y"][va]})
  assert float(t_out.val_score[0]) >= 0.95, t_out.val_score
  t_params = jax.tree.map(lambda a: a[0], t_out.params["model"])

  student = kd.make_model("mlp", n_classes=4, widths=(16,))
  train = {"x": x_student[tr], "y": data["y"][tr],
           **kd.teacher_targets(teacher, t_params, data["x"][tr])}
  members = kd.paired_grid(lams=(0.5,), temperatures=(2.0,), seeds=(0, 1), beta=0.1)
  out = kd.train_population(student, config, train, members, jax.random.key(1),
                            val={"x": x_student[va], "y": data["y"][va]},
                            test={"x": x_student[te], "y": data["y"][te]})
  assert out.test_outputs.shape == (4, 256, 4)
  assert np.all(np.asarray(out.test_score) >= 0.8), out.test_score
  assert np.all(np.isfinite(out.curves["loss"]))
  assert out.params["proj"]["kernel"].shape == (4, 16, 32)


def test_input_checks_at_the_public_edge(kd_task):
  model, train = kd_task
  members = kd.paired_grid(lams=(0.5,), temperatures=(2.0,), seeds=(0,))
  key = jax.random.key(0)
  with pytest.raises(ValueError, match="lam in \\[0, 1\\]"):
    kd.train_population(model, CONFIG, train, members.replace(lam=np.asarray([0.0, 1.5])),
                        key)
  with pytest.raises(ValueError, match="expected shape \\(160,\\)"):
    kd.train_population(model, CONFIG, dict(train, y=train["y"][:10]), members, key)
  with pytest.raises(ValueError, match="at least batch_size = 32 rows"):
    kd.train_population(model, CONFIG, {k: v[:8] for k, v in train.items()}, members, key)
  with pytest.raises(ValueError, match=r"train\['y'\]: expected shape \(n, k\)"):
    kd.train_population(model, CONFIG, dict(train, y=train["y"] * 1.0), members, key)
  with pytest.raises(ValueError, match="config.task: 'classification' does not match"):
    kd.train_population(model, CONFIG, dict(train, y=train["y"][:, None] * 1.0), members,
                        key)


def test_stacked_splits_each_member_trains_on_its_own(kd_task):
  """A population over S = 2 stacked splits equals, member for member, the population of
  each split alone (same key), and scores each member on its own split's test rows."""
  model, train = kd_task
  rng = np.random.default_rng(2)
  parts = [{k: v[:80] for k, v in train.items()},
           {k: v[80:][rng.permutation(80)] for k, v in train.items()}]
  stacked = {k: np.stack([p[k] for p in parts]) for k in train}
  test = {"x": stacked["x"][:, :40], "y": stacked["y"][:, :40]}
  grid = kd.paired_grid(lams=(0.6,), temperatures=(2.0,), seeds=(0, 1), beta=0.1, splits=2)
  np.testing.assert_array_equal(grid.split, [0] * 4 + [1] * 4)
  key = jax.random.key(7)
  out = kd.train_population(model, CONFIG, stacked, grid, key, val=test, test=test)
  single = kd.paired_grid(lams=(0.6,), temperatures=(2.0,), seeds=(0, 1), beta=0.1)
  for s, part in enumerate(parts):
    ref = kd.train_population(model, CONFIG, part, single, key,
                              test={"x": part["x"][:40], "y": part["y"][:40]})
    pick = np.flatnonzero(grid.split == s)
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a[pick], b, rtol=1e-5, atol=1e-6),
                 out.params, ref.params)
    np.testing.assert_allclose(out.test_score[pick], ref.test_score, atol=1e-6)
    np.testing.assert_allclose(out.test_outputs[pick], ref.test_outputs, rtol=1e-4, atol=1e-5)
  np.testing.assert_allclose(out.val_score, out.test_score)
  with pytest.raises(ValueError, match=r"members\.split: expected indices in \[0, 2\)"):
    kd.train_population(model, CONFIG, stacked, grid.replace(split=grid.split * 2), key)
  with pytest.raises(ValueError, match=r"train\['y'\]: expected shape \(2, 80\)"):
    kd.train_population(model, CONFIG, dict(stacked, y=stacked["y"][:, :70]), grid, key)


def test_results_do_not_depend_on_the_device_count_or_member_chunks(kd_task):
  """6 members (2 seeds × (baseline + 2 KD)) with dropout on 1 device, on 4 devices (8
  padded members: 2 padding rows dropped), and on 1 device in chunks of 2 members trained
  one after another: the same members. (All 8 fake devices: tests/kd/test_loop.py.)"""
  _, train = kd_task
  model = kd.make_model("mlp", n_classes=3, widths=(16,), dropout=0.1)
  grid = kd.paired_grid(lams=(0.3, 0.8), temperatures=(2.0,), seeds=(0, 1), beta=0.1)
  key = jax.random.key(4)
  val = {"x": train["x"][:40], "y": train["y"][:40]}
  runs = {d: kd.train_population(model, CONFIG, train, grid, key, val=val, test=val,
                                 devices=jax.devices()[:d]) for d in (1, 4)}
  runs["chunks"] = kd.train_population(model, CONFIG.replace(member_chunk=2), train, grid,
                                       key, val=val, test=val, devices=jax.devices()[:1])
  layout = kd.prepare(model, CONFIG, train, grid, key, devices=jax.devices()[:4]).layout
  assert (layout.mesh.shape["members"], layout.padded) == (4, 8)
  for d in (4, "chunks"):
    close = lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    jax.tree.map(close, runs[d].params, runs[1].params)
    jax.tree.map(close, runs[d].curves, runs[1].curves)
    close(runs[d].test_outputs, runs[1].test_outputs)
    assert runs[d].curves["loss"].shape == (6, CONFIG.steps)


def test_a_mesh_that_cannot_hold_the_population_fails_before_training():
  """3 processes × 2 devices (stand-in devices: the check runs before any mesh exists)."""
  devices = [types.SimpleNamespace(process_index=p, id=2 * p + i)
             for p in range(3) for i in range(2)]
  with pytest.raises(ValueError, match=r"population: 2 member\(s\) cannot be spread over "
                                       r"3 processes"):
    kd.population_layout(2, batch_size=32, devices=devices)


def test_streams_draw_the_batch_order_of_batch_indices():
  """`next_rows` carried over steps 0..9 (epochs of 3 steps, from a mid-epoch start too)
  gives each stream the rows `batch_indices` defines."""
  keys = jax.random.split(jax.random.key(0), 2)
  n, b = 10, 3
  first = jax.jit(batching.epoch_permutations, static_argnums=(2, 3))
  carry = jax.jit(batching.next_rows, static_argnums=(3, 4))
  want = jax.jit(jax.vmap(kd.batch_indices, (0, None, None, None)), static_argnums=(2, 3))
  for start in (0, 4):
    perms = first(keys, start, n, b)
    for step in range(start, 10):
      perms, rows = carry(perms, keys, step, n, b)
      np.testing.assert_array_equal(rows, want(keys, step, n, b))
