"""Estimator bias on ground-truth tasks shaped like the representations, and the two-sided
verdict it corrects."""

import math

import jax
import numpy as np
import pytest
import scipy.special
import scipy.stats

from cch_jax import mi, pipeline
from cch_jax.pipeline import calibration, shaping

N, D, K = 300, 3, 3
OPTIONS = {"ksg": {"k": 3}, "label_knn": {"k": 3}}


def _task(seed: int, n: int = N):
  """A held-out synthetic task: x, z jointly Gaussian (random canonical spectrum and
  mixing), labels y ~ softmax(z W); returns x, z, y (n rows) and the true gap
  I(x; z) − I(z; y) (closed form; Monte Carlo over 200,000 draws, SE < 0.003 nats)."""
  rng = np.random.default_rng(1000 + seed)
  rho = np.sort(rng.uniform(0.05, 0.9, D))[::-1] ** rng.uniform(0.5, 2.0)
  a, b = rng.normal(size=(D, D)), rng.normal(size=(D, D))
  w = rng.normal(size=(D, K)) * rng.uniform(0.5, 2.5)

  def sample(m, r):
    u = r.normal(size=(m, D))
    v = rho * u + np.sqrt(1 - rho**2) * r.normal(size=(m, D))
    p = scipy.special.softmax(v @ b.T @ w, axis=1)
    y = (p.cumsum(1) > r.uniform(size=(m, 1))).argmax(1)
    return u @ a.T, v @ b.T, y, p

  x, z, y, _ = sample(n, rng)
  p = sample(200_000, np.random.default_rng(7))[3]
  mean = p.mean(0)
  i_zy = -np.sum(mean * np.log(mean)) + np.mean(np.sum(p * np.log(p), 1))
  return x, z, y, -0.5 * np.sum(np.log1p(-rho**2)) - i_zy


def _terms(seed: int):
  x, z, y, truth = _task(seed)
  return pipeline.cch_terms(x, z, y, jax.random.key(seed), estimators=("ksg",),
                            n_resamples=10, options=OPTIONS), truth


def test_shaped_tasks_copy_the_spectrum_shape_and_hit_their_levels():
  """The Gaussian task keeps the observed spectrum's Fisher-z shape (atanh ρ_i ∝ the
  observed ones) at the requested MI; the label task hits its level (Monte Carlo truth)
  with class means along the observed ones. 50,000-row samples: tolerance 0.02."""
  terms, _ = _terms(0)
  shape = terms.shape
  assert (shape["n"], shape["dim_t"], shape["dim_s"], shape["n_classes"]) == (N, D, D, K)
  observed = np.arctanh(shape["canonical_correlations"])
  for level in (0.3, 1.5):
    task = shaping.teacher_student_task(shape, level)
    assert task.mi == pytest.approx(level, abs=1e-6)
    x, y = task.sample(jax.random.key(1), 50_000)
    z = np.arctanh(mi.canonical_correlations(np.asarray(x), np.asarray(y)))
    np.testing.assert_allclose(z / z[0], observed / observed[0], atol=0.02)
  task = shaping.label_task(shape, 0.5)
  assert task.mi == pytest.approx(0.5, abs=0.01)
  x, y = task.sample(jax.random.key(2), 50_000)
  means = np.stack([np.asarray(x)[np.asarray(y) == c].mean(0) for c in range(K)])
  shares, observed_means = np.asarray(shape["class_shares"]), np.asarray(shape["class_means"])
  offsets, found = observed_means - shares @ observed_means, means - shares @ means
  scale = np.linalg.lstsq(offsets.reshape(-1, 1), found.reshape(-1), rcond=None)[0][0]
  np.testing.assert_allclose(found, scale * offsets, atol=0.05)


def test_levels_extend_to_cover_a_large_estimate_and_beyond_the_cap_is_unknown():
  """On the Gaussian family: KSG under-reads at high MI, so covering an estimate of 1.8
  nats takes levels above 1.8 nats of truth; the Gaussian estimator's levels reach the
  8-nat cap with finite estimates (its float32 log-det once gave NaN there, leaving an
  empty calibration); an estimate past what the top of the ladder reaches gives
  'unknown' (NaN, known False), never the end level's bias."""
  terms, _ = _terms(0)
  cal = calibration.calibrate("ksg", terms.shape, [0.3, 1.8], {"k": 3}, draws=3,
                              family="gaussian")
  lo, hi = cal.range
  assert cal.family == "gaussian" and lo < 0.3 and hi > 1.8 and max(cal.truth) > 1.8
  assert list(cal.truth) == sorted(cal.truth) and len(cal.truth) >= 3
  assert cal.read(1.8).known and cal.read(1.8).bias < 0
  gauss = calibration.calibrate("gaussian", terms.shape, [50.0], draws=2, family="gaussian")
  assert max(gauss.truth) == pytest.approx(calibration.LADDER[-1]) and len(gauss.truth) >= 2
  assert np.isfinite(gauss.estimate).all() and gauss.range[1] < 50
  unknown = gauss.read(50.0)
  assert unknown.known is False and math.isnan(unknown.bias) and "outside" in unknown.why


def test_an_empty_or_one_level_calibration_reads_unknown():
  """No levels (e.g. every estimate non-finite) or one level (no slope): 'unknown', and a
  pair read through such a calibration has an unknown bias and an uncertain verdict."""
  empty = calibration.calibrate("gaussian", {"n": N, "dim_t": D, "dim_s": D}, [math.nan])
  assert empty.truth == () and all(math.isnan(v) for v in empty.range)
  one = pipeline.Calibration("ksg", "teacher_student", N, (D, D), 10, (1.0,), (0.9,),
                             (0.01,))
  for cal in (empty, one):
    r = cal.read(0.9)
    assert not r.known and math.isnan(r.truth) and "level" in r.why
  terms, _ = _terms(0)
  cals = calibration.GapCalibrations({"ksg": one}, one)
  [bias] = pipeline.read_gap_biases([terms], cals)
  assert not bias["ksg"]["bias_known"] and "label term" in bias["ksg"]["unknown_reason"]
  v = pipeline.verdict(terms, bias)
  assert v.label == pipeline.UNCERTAIN and "bias unknown" in v.reason


def test_an_estimate_within_one_draws_spread_past_an_end_level_is_read_on_it():
  """Levels (truth 1, 2) with mean estimates (1.5, 2.0), one draw's sd 0.04 and 9 dof
  (t = 2.262157): 1.45 lies 0.05 < 0.0905 below the lowest mean and is read on the first
  segment (slope 0.5: truth 1 − 0.05 / 0.5 = 0.9); 1.40 lies farther: unknown."""
  cal = pipeline.Calibration("ksg", "teacher_student", N, (D, D), 10, (1.0, 2.0),
                             (1.5, 2.0), (0.01, 0.01), (0.0, 0.0), (0.04, 0.04), "classes")
  r = cal.read(1.45)
  assert r.known and r.slope == pytest.approx(0.5) and r.truth == pytest.approx(0.9)
  assert r.bias_se == pytest.approx(0.02) and r.dof == 9
  assert not cal.read(1.40).known and cal.read(2.05).known and not cal.read(2.2).known


def test_an_unknown_bias_shows_the_uncorrected_ci_and_is_uncertain():
  """The old rule let the uncorrected CI decide; a bias that cannot be read now makes the
  verdict 'uncertain' (the uncorrected CI is still shown)."""
  terms, _ = _terms(0)
  g = terms.gap.per_estimator["ksg"]
  v = pipeline.verdict(terms, {"ksg": {"bias": math.nan, "bias_se": math.nan,
                                       "bias_known": False, "dof": 9}})
  assert not v.bias_known and "bias unknown" in v.reason
  assert (v.ci_low, v.ci_high) == (g["ci_low"], g["ci_high"])
  assert v.label == pipeline.UNCERTAIN


def test_gap_biases_per_split_share_one_calibration():
  """Two splits, one family: each split's gap bias is its two terms' readings combined
  (quadrature SE, Welch–Satterthwaite dof from draws − 1 each); class labels: KSG's
  I(H_t; H_s) on the class-pair family."""
  splits = [_terms(s)[0] for s in (3, 4)]
  biases = pipeline.gap_biases(splits, K, OPTIONS, draws=3)
  cals = pipeline.gap_calibrations(splits, OPTIONS, draws=3)
  assert cals.teacher_student["ksg"].family == "classes" and cals.label.family == "labels"
  for terms, b in zip(splits, biases):
    b = b["ksg"]
    ts = cals.teacher_student["ksg"].read(terms.i_teacher_student.value)
    lab = cals.label.read(terms.i_student_label.value)
    assert b["bias_known"] and b["bias_teacher_student"] == pytest.approx(ts.bias)
    assert b["bias"] == pytest.approx(ts.bias - lab.bias)
    assert b["truth_teacher_student"] == pytest.approx(ts.truth) and ts.slope > 0
    assert b["bias_se"] == pytest.approx(math.hypot(ts.bias_se, lab.bias_se))
    assert 2 <= b["dof"] <= 4 and b["draws"] == 3 and b["unknown_reason"] == ""


def test_corrected_ci_widens_by_the_t_quantile_of_the_bias_dof():
  for dof in (1, 9, 30):
    t = scipy.stats.t.ppf(0.975, dof)
    lo, hi = pipeline.corrected_ci(0.1, 0.3, bias=-0.2, bias_se=0.05, dof=dof)
    assert lo == pytest.approx(0.3 - t * 0.05) and hi == pytest.approx(0.5 + t * 0.05)
  assert pipeline.corrected_ci(0.1, 0.3, 0.0, 0.05) == pytest.approx(
      (0.1 - 1.959964 * 0.05, 0.3 + 1.959964 * 0.05))


def test_coverage_of_the_calibrated_gap_ci_on_held_out_tasks():
  """20 held-out tasks (seeds 0..19 of `_task`: spectra, mixing and label models unlike
  the calibration's Gaussian and class-mixture tasks), n = 300, KSG − label_knn: the
  bias-corrected CI covers the true gap on at least 18 of 20 (90%). Measured: 19 of 20
  (uncorrected CI: 11 of 20; KSG under-reads); on 24 tasks 23 corrected, 12 uncorrected.
  At n = 240 it measured 16 of 20 (uncorrected 10): the calibration tasks' mismatch
  (class mixtures vs softmax labels) weighs more when n is small."""
  hits, raw = [], []
  for seed in range(20):
    terms, truth = _terms(seed)
    v = pipeline.verdict(terms, pipeline.gap_biases([terms], K, OPTIONS)[0])
    hits.append(v.ci_low <= truth <= v.ci_high)
    raw.append(terms.gap.ci_low <= truth <= terms.gap.ci_high)
  assert sum(hits) >= 18, (sum(hits), sum(raw))
