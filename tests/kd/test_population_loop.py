"""Resumable populations: the jitted pieces compose to train_population, fit_population
equals it, and a run killed between segments resumes without losing anything."""

import os

import jax
import numpy as np
import pytest

from cch_jax import kd
from cch_jax.kd import population as pop
from tests.kd.demo_run import blobs

# 25 steps in segments of 5, checkpoints at 10, 20, 25 (the last one shorter); 2 kept.
CONFIG = kd.TrainConfig(steps=25, batch_size=32, learning_rate=1e-2, eval_every=5,
                        checkpoint_every=10, max_to_keep=2)
KEY = jax.random.key(3)


class Killed(Exception):
  """Raised by the on_segment hook to stop a run after a checkpoint, like a kill."""


@pytest.fixture(scope="module")
def task():
  """A KD task with teacher logits and features, dropout, validation and test data, a
  paired grid of 4 members and its uninterrupted `train_population` result."""
  rng = np.random.default_rng(0)
  data = blobs(0, 160 + 40 + 40, dim=6, n_classes=3)
  data["teacher_outputs"] = rng.normal(size=(240, 3)).astype(np.float32)
  data["teacher_features"] = rng.normal(size=(240, 4)).astype(np.float32)
  train = {k: v[:160] for k, v in data.items()}
  val = {k: data[k][160:200] for k in ("x", "y")}
  test = {k: data[k][200:] for k in ("x", "y")}
  model = kd.make_model("mlp", n_classes=3, widths=(16,), dropout=0.1)
  members = kd.paired_grid(lams=(0.7,), temperatures=(3.0,), seeds=(0, 1), beta=0.2)
  reference = kd.train_population(model, CONFIG, train, members, KEY, val=val, test=test)
  return model, train, val, test, members, reference


def _assert_same_result(got, want):
  close = lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
  jax.tree.map(close, got.params, want.params)
  got_curves, want_curves = dict(got.curves), dict(want.curves)
  history = got_curves.pop("val_score", None)  # fit_population's evaluations only
  want_curves.pop("val_score", None)
  if history is not None:
    close(history[:, -1], got.val_score)
  assert got_curves.keys() == want_curves.keys()
  jax.tree.map(close, got_curves, want_curves)
  for name in ("val_score", "val_loss", "test_outputs", "test_score"):
    close(getattr(got, name), getattr(want, name))


def test_pieces_in_segments_compose_to_train_population(task):
  """prepare -> init -> advance by 10, 10, 5 steps -> evaluate = train_population; each
  segment starts from the step its states hold and reuses one compiled program per
  length."""
  model, train, val, test, members, reference = task
  population = kd.prepare(model, CONFIG, train, members, KEY, val=val, test=test)
  states = kd.init_population(population)
  assert states.step.shape == (population.layout.padded,)
  assert states.params["proj"]["kernel"].shape == (population.layout.padded, 16, 4)
  segments = []
  for n_steps in (10, 10, 5):
    states, curves = kd.advance_population(population, states, n_steps)
    segments.append(np.asarray(curves["loss"])[:4])
    if len(segments) == 1:
      compiled = pop._advance._cache_size()
  assert pop._advance._cache_size() == compiled + 1  # lengths 10 and 5
  np.testing.assert_array_equal(np.asarray(states.step), 25)
  np.testing.assert_allclose(np.concatenate(segments, axis=1), reference.curves["loss"],
                             rtol=1e-5, atol=1e-6)
  val_acc, val_loss, test_outputs, test_acc = kd.evaluate_population(population, states)
  np.testing.assert_allclose(test_outputs, reference.test_outputs, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(val_loss, reference.val_loss, rtol=1e-5)
  assert test_outputs.shape == (4, 40, 3)


def test_fit_population_equals_train_population_and_a_finished_run_is_a_no_op(
    tmp_path, task):
  model, train, val, test, members, reference = task
  segments = []
  out = kd.fit_population(model, CONFIG, train, members, str(tmp_path), KEY, val=val,
                          test=test, on_segment=lambda done, _: segments.append(done))
  _assert_same_result(out, reference)
  assert segments == [10, 20, 25]
  assert sorted(os.listdir(tmp_path / "checkpoints")) == ["20", "25"]
  lines = kd.read_metrics(str(tmp_path))
  assert [r["step"] for r in lines] == [5, 10, 15, 20, 25]
  np.testing.assert_allclose(lines[-1]["train_loss"],
                             np.mean(reference.curves["loss"][:, 20:]), rtol=1e-5)
  np.testing.assert_allclose(lines[-1]["val_score"], np.mean(reference.val_score),
                             rtol=1e-6)
  again = kd.fit_population(model, CONFIG, train, members, str(tmp_path), KEY, val=val,
                            test=test, on_segment=lambda done, _: segments.append(done))
  assert segments == [10, 20, 25]  # nothing trained
  _assert_same_result(again, reference)
  assert kd.read_metrics(str(tmp_path)) == lines
  with pytest.raises(ValueError, match="different population"):
    kd.fit_population(model, CONFIG, train, members.replace(seed=members.seed + 1),
                      str(tmp_path), KEY)


def test_a_killed_population_resumes_and_loses_nothing(tmp_path, task):
  """Stopped after the checkpoint at step 10 (a later step's work is lost, as in a kill),
  the next call resumes there: same params, curves, evaluation and metrics lines."""
  model, train, val, test, members, reference = task

  def kill_at_10(done, _):
    if done == 10:
      raise Killed

  with pytest.raises(Killed):
    kd.fit_population(model, CONFIG, train, members, str(tmp_path), KEY, val=val,
                      test=test, on_segment=kill_at_10)
  assert sorted(os.listdir(tmp_path / "checkpoints")) == ["10"]
  segments = []
  out = kd.fit_population(model, CONFIG, train, members, str(tmp_path), KEY, val=val,
                          test=test, on_segment=lambda done, _: segments.append(done))
  assert segments == [20, 25]
  _assert_same_result(out, reference)
  assert [r["step"] for r in kd.read_metrics(str(tmp_path))] == [5, 10, 15, 20, 25]
