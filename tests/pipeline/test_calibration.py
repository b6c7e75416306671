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
  """KSG under-reads at high MI, so covering an estimate of 1.8 nats takes levels above
  1.8 nats of truth; an estimate past what the top of the ladder (8 nats) reaches gives
  'unknown' (NaN, known False), never the end level's bias."""
  terms, _ = _terms(0)
  cal = calibration.calibrate("ksg", terms.shape, [0.3, 1.8], {"k": 3}, draws=3)
  lo, hi = cal.range
  assert lo < 0.3 and hi > 1.8 and max(cal.truth) > 1.8
  assert list(cal.truth) == sorted(cal.truth) and len(cal.truth) >= 3
  assert cal.read(1.8)["known"] and cal.read(1.8)["bias"] < 0
  gauss = calibration.calibrate("gaussian", terms.shape, [50.0], draws=2)
  assert max(gauss.truth) <= calibration.LADDER[-1] + 1e-9 and gauss.range[1] < 50
  unknown = gauss.read(50.0)
  assert unknown["known"] is False and math.isnan(unknown["bias"])


def test_an_unknown_bias_leaves_the_ci_uncorrected_and_says_so():
  terms, _ = _terms(0)
  g = terms.gap.per_estimator["ksg"]
  v = pipeline.verdict(terms, {"ksg": {"bias": math.nan, "bias_se": math.nan,
                                       "bias_known": False, "dof": 9}})
  assert not v.bias_known and "bias unknown" in v.reason
  assert (v.ci_low, v.ci_high) == (g["ci_low"], g["ci_high"])
  assert v.label == pipeline.ci_label(g["ci_low"], g["ci_high"])


def test_gap_biases_per_split_share_one_calibration():
  """Two splits, one family: each split's gap bias is its two terms' readings combined
  (quadrature SE, Welch–Satterthwaite dof from draws − 1 each)."""
  splits = [_terms(s)[0] for s in (3, 4)]
  biases = pipeline.gap_biases(splits, K, OPTIONS, draws=3)
  cals = pipeline.gap_calibrations(splits, OPTIONS, draws=3)
  for terms, b in zip(splits, biases):
    b = b["ksg"]
    ts = cals.teacher_student["ksg"].read(terms.i_teacher_student.value)
    lab = cals.label.read(terms.i_student_label.value)
    assert b["bias_known"] and b["bias_teacher_student"] == pytest.approx(ts["bias"])
    assert b["bias"] == pytest.approx(ts["bias"] - lab["bias"])
    assert b["bias_se"] == pytest.approx(math.hypot(ts["bias_se"], lab["bias_se"]))
    assert 2 <= b["dof"] <= 4 and b["draws"] == 3
    lo, hi = b["range"]["teacher_student"]
    assert lo <= terms.i_teacher_student.value <= hi


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
