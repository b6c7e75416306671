import jax
import numpy as np

from cch_jax import mi
from cch_jax.mi import tasks


def test_probe_bound_is_close_to_truth_and_below_the_label_entropy():
  """4-D x, 3 classes, n = 3,000, 4 seeds: within 0.05 nats of the Monte Carlo truth."""
  task = tasks.task_library()["classes-4d-3"]
  x, labels = task.sample(jax.random.key(0), 3000)
  est = mi.estimate(x, np.asarray(labels), "label_probe")
  assert abs(est.value - task.mi) < 0.05, est
  h = float(mi.label_entropy(np.asarray(labels, np.int32), 3))
  assert max(est.diagnostics["per_seed"]) <= h
  assert "repeated splits" in est.diagnostics["ci"]


def test_probe_bound_of_unrelated_labels_is_about_zero():
  rng = np.random.default_rng(0)
  est = mi.estimate(rng.normal(size=(2000, 5)), rng.integers(0, 4, 2000), "label_probe")
  assert -0.05 < est.value < 0.02
