"""The CCH terms and gap: structure, CIs, verdicts on representations whose answer is
known, and input checks."""

import jax
import numpy as np
import pytest

from cch_jax import mi, pipeline

KEY = jax.random.key(0)
FAST = {"estimators": ("ksg", "gaussian"), "n_resamples": 10}


def _representations(n=600, n_classes=5, seed=0):
  """h_s: 12-d class means + unit noise; h_t_shared: a noisy linear copy of h_s (shares
  far more than the labels with it); h_t_unrelated: independent of h_s and y."""
  rng = np.random.default_rng(seed)
  y = np.arange(n) % n_classes
  h_s = 2.0 * rng.normal(size=(n_classes, 12))[y] + rng.normal(size=(n, 12))
  h_t_shared = h_s @ rng.normal(size=(12, 20)) + 0.1 * rng.normal(size=(n, 20))
  h_t_unrelated = rng.normal(size=(n, 20))
  return h_s, h_t_shared, h_t_unrelated, y


def test_gap_is_the_difference_of_the_terms_with_cis_and_the_ceiling():
  h_s, h_t, _, y = _representations()
  terms = pipeline.cch_terms(h_t, h_s, y, KEY, **FAST)
  assert terms.primary == "ksg" and terms.n == 600
  assert set(terms.gap.per_estimator) == {"ksg", "gaussian"}
  assert set(terms.i_student_label.per_estimator) == {"label_knn"}
  for name in ("ksg", "gaussian"):
    gap = terms.gap.per_estimator[name]
    ts = terms.i_teacher_student.per_estimator[name]["value"]
    assert gap["value"] == pytest.approx(ts - terms.i_student_label.value, abs=1e-9)
    assert gap["ci_low"] < gap["value"] < gap["ci_high"]
    assert gap["ci"].startswith("joint half-sampling")
  assert terms.i_student_label.value <= terms.label_entropy + 1e-6
  assert terms.label_entropy == pytest.approx(np.log(5), abs=1e-6)


def test_verdicts_on_representations_with_a_known_answer():
  """Seed 0, n = 600: a teacher that copies the student shares ≥ 1 nat more with it than
  the labels do (distil); an unrelated teacher shares ≈ 0, so the gap ≈ −I(H_s; Y) < −0.5
  (do not distil). Both estimators agree in both cases."""
  h_s, shared, unrelated, y = _representations()
  pos = pipeline.cch_terms(shared, h_s, y, KEY, **FAST)
  neg = pipeline.cch_terms(unrelated, h_s, y, KEY, **FAST)
  assert pos.gap.ci_low > 1.0 and pipeline.verdict(pos).label == pipeline.DISTIL
  assert neg.gap.ci_high < -0.5 and pipeline.verdict(neg).label == pipeline.DO_NOT_DISTIL
  assert abs(neg.i_teacher_student.value) < 0.1
  assert not pipeline.verdict(pos).disagreement and not pipeline.verdict(neg).disagreement


def test_trained_estimator_gets_full_representations_and_a_quadrature_ci():
  h_s, h_t, _, y = _representations(n=400)
  terms = pipeline.cch_terms(
      h_t, h_s, y, KEY, estimators=("latent", "ksg"), n_resamples=10,
      options={"latent": {"seeds": 2, "steps": 50, "batch": 64, "width": 16}})
  gap = terms.gap.per_estimator["latent"]
  assert gap["ci"] == "quadrature of the two terms' CIs"
  ts = terms.i_teacher_student.per_estimator["latent"]
  label = terms.i_student_label
  half = np.hypot((ts["ci_high"] - ts["ci_low"]) / 2, (label.ci_high - label.ci_low) / 2)
  assert gap["ci_high"] - gap["value"] == pytest.approx(half, rel=1e-6)
  assert terms.gap.value == gap["value"]  # latent is primary


def test_representations_are_cleaned_and_reduced():
  rng = np.random.default_rng(1)
  h = rng.normal(size=(50, 6)).astype(np.float32)
  h[:, 2] = 0.0  # a dead unit
  assert pipeline.clean("h", h).shape == (50, 5)
  z = pipeline.pca(pipeline.clean("h", h), 3)
  assert z.shape == (50, 3)
  np.testing.assert_allclose(np.corrcoef(z.T), np.eye(3), atol=1e-5)  # uncorrelated scores
  assert pipeline.pca(h, 0) is h
  with pytest.raises(ValueError, match="h: every column is constant"):
    pipeline.clean("h", np.ones((10, 3)))
  with pytest.raises(ValueError, match="h: expected finite"):
    pipeline.clean("h", np.full((10, 3), np.nan))


def test_bad_input_is_named():
  h_s, h_t, _, y = _representations(n=100)
  with pytest.raises(ValueError, match="same number of rows"):
    pipeline.cch_terms(h_t[:90], h_s, y, KEY, **FAST)
  with pytest.raises(ValueError, match="labels: expected at least two classes"):
    pipeline.cch_terms(h_t, h_s, np.zeros(100, int), KEY, **FAST)
  with pytest.raises(ValueError, match="need at least 768 rows"):
    pipeline.cch_terms(h_t, h_s, y, KEY, estimators=("latent",), n_resamples=10)
  with pytest.raises(ValueError, match="'label_knn' is a label estimator"):
    pipeline.cch_terms(h_t, h_s, y, KEY, estimators=("label_knn",))
  with pytest.raises(ValueError, match="label_estimator: expected a label estimator"):
    pipeline.cch_terms(h_t, h_s, y, KEY, label_estimator="ksg")
  with pytest.raises(KeyError, match="unknown MI estimator 'kgs'"):
    pipeline.cch_terms(h_t, h_s, y, KEY, estimators=("kgs",))


def test_required_samples_counts_halves_for_deterministic_estimators():
  assert pipeline.required_samples(("ksg",), "label_knn", {"ksg": {"k": 5}}, 20) == 13
  assert pipeline.required_samples(("ksg",), "label_knn", {}, 0) == 4
  assert pipeline.required_samples(("latent",), "label_knn", {"latent": {"batch": 100}},
                                   20) == 300
  assert mi.ESTIMATORS["latent"].randomized


def test_point_gap_matches_the_terms_and_sign_flips_are_found():
  h_s, h_t, _, y = _representations(n=300)
  terms = pipeline.cch_terms(h_t, h_s, y, KEY, estimators=("ksg",), n_resamples=4)
  assert pipeline.point_gap(h_t, h_s, y) == pytest.approx(terms.gap.value, abs=1e-5)
  assert pipeline.sign_flips([10, 20, 30, 40], [0.2, -0.1, -0.3, 0.4]) == [20, 40]
  assert pipeline.sign_flips([10, 20], [0.2, 0.1]) == []
  with pytest.raises(ValueError, match="expected a deterministic estimator"):
    pipeline.point_gap(h_t, h_s, y, estimator="latent")


def test_symmetric_memo_estimates_i_ab_once_for_both_orders(monkeypatch):
  """(a, b) then (b, a) with the same key: one KSG call, the same estimate; a label
  estimator and another key are estimated afresh."""
  calls = []
  real = mi.estimate
  monkeypatch.setattr(mi, "estimate", lambda *a, **k: calls.append(a[2]) or real(*a, **k))
  rng = np.random.default_rng(0)
  a, b = rng.normal(size=(200, 2)), rng.normal(size=(200, 3))
  estimate, key = pipeline.symmetric_memo(), jax.random.key(0)
  first = estimate(a, b, "ksg", key=key, n_resamples=0)
  assert estimate(b, a, "ksg", key=key, n_resamples=0) is first
  estimate(b, a, "ksg", key=jax.random.key(1), n_resamples=0)
  labels = np.arange(200) % 2
  estimate(a, labels, "label_knn", key=key, n_resamples=0)
  estimate(a, labels, "label_knn", key=key, n_resamples=0)
  assert calls == ["ksg", "ksg", "label_knn", "label_knn"]
