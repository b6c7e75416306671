"""Criteria side by side: linear CKA, the exact rule on a fitted Gaussian, the ranking."""

import jax.numpy as jnp
import numpy as np
import pytest

from cch_jax import theory
from cch_jax.pipeline import criteria
from cch_jax.utils import stats


def test_linear_cka_is_one_for_rotations_and_near_zero_for_independence():
  """Seed 0, n = 2000: CKA(h, h·Q·c) = 1 to 1e-9 for an orthogonal Q and scale c; two
  independent 8-D Gaussians give CKA < 0.02 (its expectation is about d/n = 0.004)."""
  rng = np.random.default_rng(0)
  h = rng.normal(size=(2000, 8))
  q, _ = np.linalg.qr(rng.normal(size=(8, 8)))
  assert criteria.linear_cka(h, 3.0 * h @ q) == pytest.approx(1.0, abs=1e-9)
  assert criteria.linear_cka(h, rng.normal(size=(2000, 8))) < 0.02


def test_fitted_gaussian_rule_sums_the_theory_over_one_vs_rest_targets():
  """Two classes: the one-hot targets are 1{y=1} and 1 − 1{y=1}, so the summed risk
  quadratic is twice the theory's on [z_t, z_s, 1{y=1}] (same margin, same λ*)."""
  rng = np.random.default_rng(1)
  y = rng.integers(0, 2, 600)
  z_t = y[:, None] * 1.5 + rng.normal(size=(600, 3))
  z_s = y[:, None] * 0.5 + rng.normal(size=(600, 2))
  out = criteria.fitted_gaussian_rule(z_t, z_s, y, n_train=40)
  sigma = np.cov(np.concatenate([z_t, z_s, y[:, None]], 1), rowvar=False)
  q = theory.risk_quadratic(jnp.asarray(sigma, jnp.float32), None, 3, 2, 40)
  assert out["margin"] == pytest.approx(float(q.b / q.r0), rel=1e-3, abs=1e-6)
  assert out["best_lambda"] == pytest.approx(float(q.best_lambda()), rel=1e-3, abs=1e-6)
  assert out["relative_gain"] >= 0


def _column(xs):
  """(P,) values as a (P, 1) per-split array (one split)."""
  return [[x] for x in xs]


def test_rank_criteria_scores_sign_and_rank():
  means = (-0.03, -0.005, 0.02, 0.04)
  gains = [{"mean": m, "ci_low": m - 0.01, "ci_high": m + 0.01} for m in means]
  known = {"good": criteria.Criterion("good", True, ""),
           "flipped": criteria.Criterion("flipped", True, ""),
           "rank_only": criteria.Criterion("rank_only", False, "")}
  rows = criteria.rank_criteria(
      {"good": _column([-1, -0.2, 0.5, 2]), "flipped": _column([1, 0.2, -0.5, -2]),
       "rank_only": _column([0.1, 0.2, 0.3, 0.4])}, _column(means), gains, known)
  by = {r["criterion"]: r for r in rows}
  assert [r["criterion"] for r in rows][-1] == "flipped"
  assert by["good"]["spearman"] == pytest.approx(1.0)
  assert by["good"]["sign_agreement"] == 1.0 and by["flipped"]["sign_agreement"] == 0.0
  assert by["good"]["n_significant"] == 3  # the −0.005 gain's CI covers 0
  assert by["good"]["significant_sign_agreement"] == 1.0
  assert by["rank_only"]["sign_agreement"] is None
  assert by["rank_only"]["spearman"] == pytest.approx(1.0)
  assert (by["good"]["n"], by["good"]["n_pairs"], by["good"]["n_splits"]) == (4, 4, 1)


def test_criteria_of_names_every_estimator_pair_alike_for_either_task():
  names = criteria.criteria_of(("latent", "ksg"), ("label_knn", "label_probe"))
  assert {"gap:latent", "gap:ksg-label_probe", "relative_gap:ksg", "exact_rule", "logme",
          "logme_kd", "h_score", "knn_probe", "teacher_score", "teacher_minus_student",
          "agreement", "cka"} <= set(names)
  assert names["gap:latent"].text == "CCH gap I(H_t;H_s) by latent − I(H_s;Y) by label_knn"
  assert not names["cka"].signed and names["exact_rule"].signed
  regression = criteria.criteria_of(("ksg",), ("ksg", "gaussian_probe"), "regression")
  assert {"gap:ksg", "teacher_score"} <= set(regression)
  assert regression["teacher_minus_student"].text == "student MAE − teacher MAE"


def test_rank_criteria_counts_values_equal_to_rounding_as_ties():
  """A symmetric criterion computed for (a, b) and (b, a) differs in the last bits; the
  Spearman must treat them as tied: ranks (1.5, 1.5, 3) against (1, 3, 2) give ρ = 0
  (broken by the last bit, (1, 2, 3) would give 0.5)."""
  gains = [{"mean": m, "ci_low": m, "ci_high": m} for m in (0.1, 0.3, 0.2)]
  known = {"sym": criteria.Criterion("sym", False, "")}
  x = 0.4568925123212487
  (row,) = criteria.rank_criteria({"sym": _column([x, np.nextafter(x, 1.0), 2.0])},
                                  _column([0.1, 0.3, 0.2]), gains, known)
  assert row["spearman"] == pytest.approx(0.0, abs=1e-12)


def test_holm_adjusts_step_down_and_keeps_none():
  """Sorted p = 0.01, 0.03, 0.04, 0.2 (m = 4): 4·0.01 = 0.04, 3·0.03 = 0.09,
  max(0.09, 2·0.04) = 0.09, max(0.09, 1·0.2) = 0.2; None entries are not tests (m = 2
  below: 2·0.3 = 0.6, max(0.6, 0.7·1) = 0.7), and no adjusted p exceeds 1."""
  assert stats.holm([0.01, 0.04, 0.03, 0.2]) == pytest.approx([0.04, 0.09, 0.09, 0.2])
  assert stats.holm([None, 0.7, 0.3, None]) == [None, pytest.approx(0.7),
                                                pytest.approx(0.6), None]
  assert stats.holm([0.5, 0.6, 0.9]) == [1.0, 1.0, 1.0]
  assert stats.holm([]) == [] and stats.holm([None]) == [None]


def _noisy(n_pairs=12, n_splits=5, seed=3):
  """(P, S) gains = a pair effect + split noise, and a criterion = the effect + its own
  noise; gain summaries with a ±0.01 CI around each pair's mean gain."""
  rng = np.random.default_rng(seed)
  effect = np.linspace(-0.05, 0.05, n_pairs)
  gains = effect[:, None] + 0.02 * rng.normal(size=(n_pairs, n_splits))
  values = effect[:, None] + 0.04 * rng.normal(size=(n_pairs, n_splits))
  summaries = [{"mean": m, "ci_low": m - 0.01, "ci_high": m + 0.01} for m in gains.mean(1)]
  return values, gains, summaries


def test_rank_criteria_criterion_equal_to_the_gain_has_rho_one_and_ci_one():
  _, gains, summaries = _noisy()
  known = {"same": criteria.Criterion("same", True, "")}
  (row,) = criteria.rank_criteria({"same": gains}, gains, summaries, known, n_boot=500)
  assert row["spearman"] == pytest.approx(1.0)
  assert row["spearman_ci_low"] == pytest.approx(1.0)
  assert row["spearman_ci_high"] == pytest.approx(1.0)
  assert 0 < row["n_boot"] <= 500 and (row["n_pairs"], row["n_splits"]) == (12, 5)


def test_rank_criteria_bootstrap_ci_covers_rho_and_is_seeded():
  """The per-pair Spearman is that of the means over splits; its bootstrap CI contains
  it, has positive width and is the same for the same seed."""
  values, gains, summaries = _noisy()
  known = {"noisy": criteria.Criterion("noisy", True, "")}
  run = lambda seed: criteria.rank_criteria({"noisy": values}, gains, summaries, known,
                                            seed=seed)[0]
  row = run(0)
  rho, p = stats.spearman(values.mean(1), gains.mean(1))
  assert row["spearman"] == pytest.approx(rho) and row["spearman_p"] == pytest.approx(p)
  assert row["spearman_p_holm"] == pytest.approx(p)  # one criterion: Holm is the raw p
  assert row["spearman_ci_low"] < row["spearman"] < row["spearman_ci_high"]
  assert row["spearman_ci_high"] - row["spearman_ci_low"] > 0.05
  assert 1900 <= row["n_boot"] <= 2000
  again = run(0)
  assert (again["spearman_ci_low"], again["spearman_ci_high"]) == (
      row["spearman_ci_low"], row["spearman_ci_high"])
  assert run(1)["spearman_ci_low"] != row["spearman_ci_low"]


def test_rank_criteria_holm_over_criteria_with_a_p_value():
  """Three criteria, one constant (no Spearman, no p): the other two are Holm-adjusted
  as a family of 2, and the constant one sorts last with every statistic None."""
  values, gains, summaries = _noisy()
  known = {n: criteria.Criterion(n, False, "") for n in ("a", "b", "flat")}
  rows = criteria.rank_criteria({"a": values, "b": values[::-1], "flat": np.ones_like(values)},
                                gains, summaries, known, n_boot=200)
  assert rows[-1]["criterion"] == "flat" and rows[-1]["spearman"] is None
  assert rows[-1]["spearman_p_holm"] is None and rows[-1]["spearman_ci_low"] is None
  assert rows[-1]["n_boot"] == 0
  expected = stats.holm([rows[0]["spearman_p"], rows[1]["spearman_p"]])
  assert [rows[0]["spearman_p_holm"], rows[1]["spearman_p_holm"]] == pytest.approx(expected)


def test_rank_criteria_one_split_resamples_pairs_only():
  """S = 1: split resampling is a no-op, so every replicate is a resample of the P
  per-pair points; the CI still contains the point estimate."""
  values, gains, summaries = _noisy(n_splits=1)
  known = {"noisy": criteria.Criterion("noisy", True, "")}
  (row,) = criteria.rank_criteria({"noisy": values}, gains, summaries, known, n_boot=500)
  assert row["n_splits"] == 1
  assert row["spearman"] == pytest.approx(stats.spearman(values[:, 0], gains[:, 0])[0])
  assert row["spearman_ci_low"] <= row["spearman"] <= row["spearman_ci_high"]
  assert row["spearman_ci_low"] < row["spearman_ci_high"]


def test_rank_criteria_rejects_mismatched_shapes():
  _, gains, summaries = _noisy()
  known = {"x": criteria.Criterion("x", True, "")}
  with pytest.raises(ValueError, match="values_per_split"):
    criteria.rank_criteria({"x": gains[:, :3]}, gains, summaries, known)
  with pytest.raises(ValueError, match="gains"):
    criteria.rank_criteria({"x": gains}, gains, summaries[:5], known)
