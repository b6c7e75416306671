"""The CCH terms and gap: structure, CIs, verdicts on representations whose answer is
known, and input checks."""

import jax
import numpy as np
import pytest
import scipy.stats

from cch_jax import mi, pipeline
from cch_jax.utils import stats

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


def test_regression_target_terms_and_their_calibration():
  """A continuous y (n,): I(H_s; Y) by KSG near its closed form (jointly Gaussian h_s, y
  with I = −½ log(1 − ρ²) = 0.51 nats at ρ = 0.8; tolerance 0.1, seed 0, n = 600), no
  entropy ceiling, and the label term calibrated on Gaussian tasks shaped like (z_s, y)
  (a bias is known at both terms' estimates)."""
  rng = np.random.default_rng(0)
  h_s = rng.normal(size=(600, 4))
  y = (0.8 * h_s[:, 0] + 0.6 * rng.normal(size=600)).astype(np.float32)
  h_t = h_s @ rng.normal(size=(4, 6)) + 0.3 * rng.normal(size=(600, 6))
  terms = pipeline.cch_terms(h_t, h_s, y, KEY, label_estimator="ksg", reduce_dim=4, **FAST)
  assert terms.i_student_label.value == pytest.approx(-0.5 * np.log(1 - 0.8**2), abs=0.1)
  assert np.isnan(terms.label_entropy) and terms.shape["label_pair"]["dim_s"] == 1
  assert terms.gap.ci_low > 0.5
  closed = pipeline.cch_terms(h_t, h_s, y, KEY, estimators=("gaussian",),
                              label_estimator="gaussian", reduce_dim=4, n_resamples=10)
  [bias] = pipeline.gap_biases([closed], 0, draws=2)  # closed-form estimator: fast
  assert bias["gaussian"]["bias_known"] and bias["gaussian"]["dims"] == [4, 4]
  assert abs(bias["gaussian"]["bias_label"]) < 0.05  # the Gaussian estimator is unbiased
  with pytest.raises(ValueError, match="label_estimator: expected a continuous estimator"):
    pipeline.cch_terms(h_t, h_s, y, KEY, label_estimator="label_knn", **FAST)


def _recording():
  """`mi.estimate` that also keeps every (x, y, estimate) it made, by method."""
  made = {}

  def estimate(x, y, name, **kwargs):
    made[name] = (x, y, mi.estimate(x, y, name, **kwargs))
    return made[name][2]

  return estimate, made


def test_trained_estimator_gap_ci_is_joint_resampling_over_its_seeds():
  """Latent MI (seeds 4, 30 steps, key 0) with label_knn: latent runs MIN_REPLICATES = 10
  vmapped seeds, its value the mean of the first 4; the gap's replicates are the 10
  seeds minus label_knn on exactly each seed's held-out rows, and the CI is
  value ± t(9)·√(var(replicates) + var(seeds)/4). (It replaced a quadrature of the two
  CIs, which took the terms' errors as independent though they share the rows and H_s.)"""
  h_s, h_t, _, y = _representations(n=400)
  estimate, made = _recording()
  terms = pipeline.cch_terms(
      h_t, h_s, y, KEY, estimators=("latent", "ksg"), n_resamples=10, estimate=estimate,
      options={"latent": {"seeds": 4, "steps": 30, "batch": 64, "width": 16}})
  gap = terms.gap.per_estimator["latent"]
  assert gap["ci"].startswith("joint resampling, 10 replicates: the 10 seeds of latent")
  assert np.isfinite([gap["ci_low"], gap["ci_high"]]).all()
  assert gap["ci_low"] < gap["value"] < gap["ci_high"] and terms.gap.value == gap["value"]
  assert terms.gap.per_estimator["ksg"]["ci"].startswith("joint half-sampling, 10 halves")
  z_s, labels, _ = made["label_knn"]
  latent = made["latent"][2]
  held_out = latent.diagnostics["held_out"]
  assert held_out.shape == (10, 200)
  assert "10 seeds" in terms.i_teacher_student.per_estimator["latent"]["ci"]
  per_seed = np.asarray(latent.diagnostics["per_seed"])
  assert terms.i_teacher_student.value == pytest.approx(per_seed[:4].mean(), abs=1e-9)
  label_rows = [mi.estimate(z_s[r], labels[r], "label_knn", n_resamples=0).value
                for r in held_out]
  replicates = per_seed - label_rows
  se = np.sqrt(np.var(replicates, ddof=1) + np.var(per_seed, ddof=1) / 4)
  assert gap["ci_high"] - gap["value"] == pytest.approx(scipy.stats.t.ppf(0.975, 9) * se,
                                                        rel=1e-4)


def test_a_trained_label_probe_is_refit_on_the_seeds_rows():
  """ksg with label_probe (key 0): the probe's 10 seeds (MIN_REPLICATES) are the
  replicates, ksg measured on their held-out rows. A probe refit on given splits gives its
  own per-seed values when the splits are its own; latent cannot be given rows."""
  h_s, h_t, _, y = _representations(n=400)
  terms = pipeline.cch_terms(h_t, h_s, y, KEY, estimators=("ksg",), n_resamples=10,
                             label_estimator="label_probe")
  gap = terms.gap.per_estimator["ksg"]
  assert gap["ci"].startswith("joint resampling, 10 replicates: the 10 seeds of "
                              "label_probe")
  assert gap["ci_low"] < gap["value"] < gap["ci_high"]
  own = mi.estimate(h_s, y, "label_probe", key=KEY)
  again = mi.api.replicate_values(h_s, y, "label_probe", own.diagnostics["splits"],
                                  own.diagnostics["held_out"], key=KEY)
  np.testing.assert_allclose(again, own.diagnostics["per_seed"], rtol=1e-6)
  with pytest.raises(ValueError, match="trains on its own splits"):
    mi.api.replicate_values(h_t, h_s, "latent", own.diagnostics["splits"],
                            own.diagnostics["held_out"], batch=64)


def _complementary_task(seed, n=300, tau=0.5):
  """u ~ N(0, 1) is H_s, H_t = u + τ·noise, y = [H_t > 0]: the labels' noise about u is
  the teacher's, so the two terms' estimates move together. Returns h_t, h_s, y and the
  true gap ½·log(1 + 1/τ²) − (log 2 − E_u h(Φ(u/τ))) (h: binary entropy, Gauss–Hermite)."""
  rng = np.random.default_rng(seed)
  u = rng.normal(size=n)
  h_t = u + tau * rng.normal(size=n)
  nodes, weights = np.polynomial.hermite_e.hermegauss(80)
  p = np.clip(scipy.stats.norm.cdf(nodes / tau), 1e-300, 1 - 1e-16)
  entropy = -(p * np.log(p) + (1 - p) * np.log1p(-p))
  i_sy = np.log(2) - np.sum(weights * entropy) / np.sqrt(2 * np.pi)
  return h_t[:, None], u[:, None], (h_t > 0).astype(int), 0.5 * np.log1p(tau ** -2) - i_sy


def test_joint_gap_ci_covers_the_truth_and_is_narrower_than_quadrature():
  """gaussian + label_knn, n = 300, 20 halves, seeds 0..29 (data and key): the joint CI
  covered the true gap (0.431 nats) 29/30 times (nominal 95%; asserted >= 26/30), and
  was narrower than the quadrature of the terms' CIs (positively correlated terms) on
  average by ~20% (asserted: by >= 10% on average, and on >= 24/30 seeds)."""
  covered, joint, quad = 0, [], []
  for seed in range(30):
    h_t, h_s, y, truth = _complementary_task(seed)
    terms = pipeline.cch_terms(h_t, h_s, y, jax.random.key(seed), reduce_dim=0,
                               estimators=("gaussian",), n_resamples=20)
    gap, ts, sy = terms.gap, terms.i_teacher_student, terms.i_student_label
    low, high = stats.quadrature_interval(gap.value, (ts.ci_low, ts.ci_high),
                                          (sy.ci_low, sy.ci_high))
    covered += gap.ci_low < truth < gap.ci_high
    joint.append(gap.ci_high - gap.ci_low)
    quad.append(high - low)
  assert covered >= 26, covered
  assert np.mean(joint) < 0.9 * np.mean(quad) and np.sum(np.less(joint, quad)) >= 24


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
