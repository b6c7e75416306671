"""Criteria side by side: linear CKA, the exact rule on a fitted Gaussian, the ranking."""

import jax.numpy as jnp
import numpy as np
import pytest

from cch_jax import theory
from cch_jax.pipeline import criteria


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


def test_rank_criteria_scores_sign_and_rank():
  gains = [{"mean": m, "ci_low": m - 0.01, "ci_high": m + 0.01}
           for m in (-0.03, -0.005, 0.02, 0.04)]
  known = {"good": criteria.Criterion("good", True, ""),
           "flipped": criteria.Criterion("flipped", True, ""),
           "rank_only": criteria.Criterion("rank_only", False, "")}
  rows = criteria.rank_criteria({"good": [-1, -0.2, 0.5, 2], "flipped": [1, 0.2, -0.5, -2],
                                 "rank_only": [0.1, 0.2, 0.3, 0.4]}, gains, known)
  by = {r["criterion"]: r for r in rows}
  assert [r["criterion"] for r in rows][-1] == "flipped"
  assert by["good"]["spearman"] == pytest.approx(1.0)
  assert by["good"]["sign_agreement"] == 1.0 and by["flipped"]["sign_agreement"] == 0.0
  assert by["good"]["n_significant"] == 3  # the −0.005 gain's CI covers 0
  assert by["good"]["significant_sign_agreement"] == 1.0
  assert by["rank_only"]["sign_agreement"] is None
  assert by["rank_only"]["spearman"] == pytest.approx(1.0)


def test_criteria_of_names_every_estimator_pair():
  names = criteria.criteria_of(("latent", "ksg"), ("label_knn", "label_probe"))
  assert {"gap:latent-label_knn", "gap:ksg-label_probe", "relative_gap:ksg", "exact_rule",
          "teacher_accuracy", "teacher_minus_student", "agreement", "cka"} <= set(names)
  assert not names["cka"].signed and names["exact_rule"].signed


def test_rank_criteria_counts_values_equal_to_rounding_as_ties():
  """A symmetric criterion computed for (a, b) and (b, a) differs in the last bits; the
  Spearman must treat them as tied: ranks (1.5, 1.5, 3) against (1, 3, 2) give ρ = 0
  (broken by the last bit, (1, 2, 3) would give 0.5)."""
  gains = [{"mean": m, "ci_low": m, "ci_high": m} for m in (0.1, 0.3, 0.2)]
  known = {"sym": criteria.Criterion("sym", False, "")}
  x = 0.4568925123212487
  (row,) = criteria.rank_criteria({"sym": [x, np.nextafter(x, 1.0), 2.0]}, gains, known)
  assert row["spearman"] == pytest.approx(0.0, abs=1e-12)
