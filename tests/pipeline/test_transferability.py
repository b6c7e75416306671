"""Transferability scores: LogME against the evidence formula, H-score and the k-NN probe
on hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from cch_jax.pipeline import transferability as tr


def direct_evidence(f, y, alpha, beta):
  """The Bayesian linear-regression log evidence at (α, β), written out with A and m."""
  n, d = f.shape
  a = alpha * np.eye(d) + beta * f.T @ f
  m = beta * np.linalg.solve(a, f.T @ y)
  return (d / 2 * np.log(alpha) + n / 2 * np.log(beta) - np.linalg.slogdet(a)[1] / 2
          - beta / 2 * np.sum((y - f @ m) ** 2) - alpha / 2 * m @ m
          - n / 2 * np.log(2 * np.pi))


def labelled(n=120, d=6, seed=0):
  """(n, d) features whose first columns carry 3 classes, the labels, and noise rows."""
  rng = np.random.default_rng(seed)
  y = rng.integers(0, 3, n)
  f = rng.normal(size=(n, d))
  f[:, :3] += 2.0 * np.eye(3)[y]
  return f, y, rng.normal(size=(n, d))


def regression_case(case):
  """(f, y): full rank (80, 5); wide (20, 30) with a dense weight; rank 4 of (60, 6)."""
  rng = np.random.default_rng(1)
  if case == "full":
    f = rng.normal(size=(80, 5))
    return f, f[:, 0] - 0.5 * f[:, 1] + rng.normal(size=80)
  if case == "wide":
    f = rng.normal(size=(20, 30))
    return f, 0.3 * f @ rng.normal(size=30) + 0.5 * rng.normal(size=20)
  g = rng.normal(size=(60, 4))
  f = np.concatenate([g, g[:, :2] @ rng.normal(size=(2, 2))], 1)
  return f, g[:, 0] - g[:, 1] + rng.normal(size=60)


@pytest.mark.parametrize("case", ["full", "wide", "rank_deficient"])
def test_logme_evidence_is_the_formula_at_a_local_maximum(case):
  f, y = regression_case(case)
  n = len(f)
  per_row, alpha, beta = tr.logme_evidence(f, y)
  best = direct_evidence(f, y, alpha, beta)
  assert per_row * n == pytest.approx(best, rel=1e-9, abs=1e-9)
  for a, b in ((1.05 * alpha, beta), (0.95 * alpha, beta),
               (alpha, 1.05 * beta), (alpha, 0.95 * beta)):
    assert direct_evidence(f, y, a, b) <= best + 1e-9


def test_logme_is_the_mean_over_one_hot_columns():
  f, y, _ = labelled()
  columns = [direct_evidence(f, (y == c).astype(float), *tr.logme_evidence(f, y == c)[1:])
             for c in range(3)]
  assert tr.logme(f, y) == pytest.approx(np.mean(columns) / len(f), rel=1e-9)


def test_logme_float_targets_take_each_column():
  f, _, _ = labelled()
  t = np.stack([f[:, 0] + 0.1 * f[:, 4], f[:, 1] ** 2], 1)
  each = [tr.logme_evidence(f, t[:, j])[0] for j in range(2)]
  assert tr.logme(f, t) == pytest.approx(np.mean(each), rel=1e-12)
  assert tr.logme(f, t[:, 0]) == pytest.approx(each[0], rel=1e-12)


def test_logme_prefers_predictive_features_and_ignores_row_order():
  f, y, noise = labelled()
  assert tr.logme(f, y) > tr.logme(noise, y)
  order = np.random.default_rng(2).permutation(len(y))
  assert tr.logme(f[order], y[order]) == pytest.approx(tr.logme(f, y), rel=1e-10)


def test_h_score_of_one_feature_is_between_over_total_variance():
  # centred [−3, −1, 1, 3]: total variance 5; class means ∓2: between variance 4.
  f, y = np.array([[0.0], [2.0], [4.0], [6.0]]), np.array([0, 0, 1, 1])
  assert tr.h_score(f, y, shrinkage=0.0) == pytest.approx(0.8, rel=1e-12)
  assert tr.h_score(f, y) == pytest.approx(4 / (5 * (1 + 1e-6)), rel=1e-12)


def test_h_score_is_invariant_to_an_invertible_linear_map():
  f, y, _ = labelled()
  m = np.random.default_rng(3).normal(size=(6, 6)) + 3 * np.eye(6)
  assert tr.h_score(f @ m, y, 0.0) == pytest.approx(tr.h_score(f, y, 0.0), rel=1e-9)
  assert tr.h_score(f @ m, y) == pytest.approx(tr.h_score(f, y), rel=1e-4)
  assert tr.h_score(f, y) > tr.h_score(labelled()[2], y)


def test_h_score_bins_float_targets_into_quintiles():
  f = np.random.default_rng(4).normal(size=(10, 2))
  bins = np.repeat(np.arange(5), 2)          # 0..9 in quintiles: two values a bin
  t = np.arange(10.0)
  want = tr.h_score(f, bins)
  assert tr.h_score(f, t) == pytest.approx(want, rel=1e-12)
  assert tr.h_score(f, np.stack([t, -t], 1)) == pytest.approx(want, rel=1e-12)


def test_knn_probe_on_well_separated_clusters():
  rng = np.random.default_rng(5)
  y = np.repeat(np.arange(3), 30)
  f = 100.0 * np.eye(3)[y] + rng.normal(size=(90, 3))
  assert tr.knn_probe(f, y) == 1.0
  assert tr.knn_probe(f, 10.0 * y) == pytest.approx(1.0)


def test_knn_probe_tiny_hand_cases():
  f = np.array([[0.0], [1.0], [2.5], [10.0], [11.0]])
  # k = 1: nearest others 1, 0, 1, 11, 10 — only the row at 2.5 is wrong.
  assert tr.knn_probe(f, np.array([0, 0, 1, 1, 1]), k=1) == pytest.approx(0.8)
  # k = 3: votes 1, 1, 0, 1, 1 — right only at 10 and 11.
  assert tr.knn_probe(f, np.array([0, 0, 1, 1, 1]), k=3) == pytest.approx(0.4)
  # k = 2: rows 0 and 1 see one of each class; the tie goes to the lower class.
  assert tr.knn_probe(f, np.array([0, 0, 1, 1, 1]), k=2) == pytest.approx(0.8)
  assert tr.knn_probe(f, np.array([1, 1, 0, 0, 0]), k=2) == pytest.approx(0.4)
  # regression, k = 1: predictions 1, 0, 1, 4, 3 for 0..4; SS_res 5 of SS_tot 10.
  assert tr.knn_probe(f, np.arange(5.0), k=1) == pytest.approx(0.5)


@pytest.mark.parametrize("call, match", [
    (lambda: tr.logme(np.zeros((5, 2)), np.zeros(4, int)), "targets"),
    (lambda: tr.logme(np.zeros((1, 2)), np.zeros(1, int)), "features"),
    (lambda: tr.logme(np.full((3, 2), np.nan), np.zeros(3, int)), "features"),
    (lambda: tr.logme(np.ones((3, 2)), np.array([0.0, np.inf, 1.0])), "targets"),
    (lambda: tr.logme(np.ones((3, 2)), np.zeros((3, 2), int)), "targets"),
    (lambda: tr.h_score(np.ones((3, 2)), np.zeros(2, int)), "labels"),
    (lambda: tr.h_score(np.ones((3, 2)), np.zeros(3, int), shrinkage=-1.0), "shrinkage"),
    (lambda: tr.knn_probe(np.ones((3, 2)), np.zeros(3, int), k=3), "k"),
    (lambda: tr.knn_probe(np.ones(3), np.zeros(3, int)), "features"),
])
def test_bad_inputs_name_the_argument(call, match):
  with pytest.raises(ValueError, match=match):
    call()
