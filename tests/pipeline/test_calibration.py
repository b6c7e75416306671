"""Estimator bias on ground-truth tasks, and the verdict it makes uncertain."""

import jax
import numpy as np
import pytest

from cch_jax import pipeline
from cch_jax.pipeline import calibration


def test_gaussian_estimator_is_nearly_unbiased_and_ksg_underestimates_at_8_dims():
  """Fixed keys, 2 draws per level, n = 700: the bias-corrected Gaussian estimator stays
  within 0.1 nats of every level (its SE at 3 nats is ~0.05); KSG at 8 + 8 dims loses
  more than 0.5 of the 3-nat level (measured: −1.49), the bias the verdict must clear."""
  gauss = calibration.calibrate("gaussian", 8, 8, 700)
  assert gauss.truth == pytest.approx(calibration.LEVELS, abs=1e-4)
  assert max(abs(b) for b in gauss.bias) < 0.1
  ksg = calibration.calibrate("ksg", 8, 8, 700, {"k": 3})
  assert ksg.bias[-1] < -0.5
  assert ksg.bias_at(ksg.estimate[-1]) == pytest.approx(ksg.bias[-1])
  assert ksg.bias_at(1e6) == pytest.approx(ksg.bias[-1])  # clamped beyond the range


def test_label_tasks_hit_their_levels():
  """The bisected class mixtures have I(X; Y) at the requested fractions of log K (Monte
  Carlo truth, 20,000 draws: SE ≈ 0.005 nats; tolerance 0.02)."""
  cal = calibration.calibrate("label_knn", 4, 3, 300, {"k": 3}, seeds=1)
  want = [f * np.log(3) for f in calibration.LABEL_FRACTIONS]
  np.testing.assert_allclose(cal.truth, want, atol=0.02)


def test_a_gap_its_bias_could_explain_is_uncertain():
  """Seed 3: x and y share a strong signal, so the KSG gap's CI excludes 0; a bias that
  shifts the corrected CI across 0 makes the verdict 'uncertain' and says why, a bias
  that pushes it further from 0 leaves it decisive."""
  rng = np.random.default_rng(3)
  labels = rng.integers(0, 3, 400)
  z = labels[:, None] + 0.3 * rng.normal(size=(400, 2))
  h_t = z + 0.1 * rng.normal(size=(400, 2))
  h_s = z + 0.1 * rng.normal(size=(400, 2))
  terms = pipeline.cch_terms(h_t, h_s, labels, jax.random.key(0), estimators=("ksg",),
                             reduce_dim=0, n_resamples=10)
  g = terms.gap.per_estimator["ksg"]
  decisive = pipeline.verdict(terms).label
  assert decisive != pipeline.UNCERTAIN
  across = np.sign(g["value"]) * (abs(g["value"]) + 0.5)  # moves the CI past 0
  v = pipeline.verdict(terms, {"ksg": {"bias": across}})
  assert v.label == pipeline.UNCERTAIN and "bias" in v.reason
  assert v.criterion == "CCH gap (ksg − label_knn)"
  assert pipeline.verdict(terms, {"ksg": {"bias": -across}}).label == decisive
  bias = calibration.gap_biases(terms, terms.dims, 3, {"ksg": {"k": 3}}, seeds=1)["ksg"]
  assert bias["bias"] == pytest.approx(bias["bias_teacher_student"] - bias["bias_label"])
  assert terms.dims == {"ksg": (2, 2), "label_knn": (2, 3)}


def test_ci_label_with_bias():
  assert pipeline.ci_label(0.1, 0.3) == pipeline.DISTIL
  assert pipeline.ci_label(0.1, 0.3, bias=0.2) == pipeline.UNCERTAIN  # corrected [-0.1, 0.1]
  assert pipeline.ci_label(-0.3, -0.1, bias=-0.5) == pipeline.UNCERTAIN  # corrected above 0
  assert pipeline.ci_label(-0.3, -0.1, bias=0.5) == pipeline.DO_NOT_DISTIL
  assert pipeline.ci_label(0.1, 0.3, bias=-0.2, bias_se=0.2) == pipeline.UNCERTAIN  # widened
