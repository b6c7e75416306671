"""Criteria that might predict a KD gain, side by side, and how well each one did.

For one teacher → student pair (held-out rows): the CCH gap for every (I(H_t; H_s),
I(H_s; Y)) estimator pair, a scale-free gap, simple baselines (teacher accuracy, teacher −
student accuracy, prediction agreement, linear CKA; for regression −MAE and the
correlation of predictions) and the theory engine's exact rule on
a Gaussian fitted to the representations. Across pairs, `rank_criteria` scores each
criterion against the measured gains (sign agreement, Spearman with a pair-and-split
bootstrap CI, p-values raw and Holm-adjusted).

  values = pair_criteria(terms, probe, z_t, z_s, labels, t_logits, s_logits, n_train)
  table = rank_criteria({c: (P, S) values}, (P, S) gains, gain_summaries, known)
                                         # one row per criterion, best first
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import scipy.stats

from cch_jax import mi, theory
from cch_jax.pipeline import transferability
from cch_jax.pipeline.terms import CCHTerms
from cch_jax.utils import stats


@dataclasses.dataclass(frozen=True)
class Criterion:
  """name: the key in `pair_criteria`'s dict; signed: a positive value predicts a KD gain
  (so its sign can be checked), else only its ranking is scored; text: what it is."""
  name: str
  signed: bool
  text: str


def criteria_of(estimators: Sequence[str], label_estimators: Sequence[str],
                task: str = "classification") -> dict[str, Criterion]:
  """The criteria `pair_criteria` computes for these estimators and the data's task, by
  name; one name means one thing for either task (teacher_score is accuracy for class
  labels and −MAE for regression targets; gap:<estimator> uses the first label
  estimator, whichever the task's is)."""
  out = {}
  for ts in estimators:
    for label in label_estimators:
      name = gap_name(ts, label, label_estimators)
      out[name] = Criterion(name, True, f"CCH gap I(H_t;H_s) by {ts} − I(H_s;Y) by {label}")
    out[f"relative_gap:{ts}"] = Criterion(
        f"relative_gap:{ts}", True,
        f"scale-free gap: I(H_t;H_s) by {ts} / I(H_s;Y) by {label_estimators[0]} − 1")
  target = "one-hot y" if task == "classification" else "y"
  baselines = ((Criterion("teacher_minus_student", True, "teacher accuracy − student accuracy"),
                Criterion("teacher_score", False, "teacher accuracy on held-out rows"),
                Criterion("agreement", False, "share of held-out rows where teacher and "
                          "student predict the same class"))
               if task == "classification" else
               (Criterion("teacher_minus_student", True, "student MAE − teacher MAE"),
                Criterion("teacher_score", False, "−teacher MAE on held-out rows"),
                Criterion("agreement", False, "correlation of the teacher's and the "
                          "student's predictions on held-out rows")))
  out.update({c.name: c for c in (
      Criterion("logme", False, "LogME of H_t for y (You et al. 2021): the teacher "
                "representation's log evidence per row"),
      Criterion("logme_kd", False, "LogME of H_s for the teacher's outputs: how well the "
                "student representation can fit the distillation targets"),
      Criterion("h_score", False, "H-score of H_t for y (Bao et al. 2019)"),
      Criterion("knn_probe", False, f"leave-one-out 5-NN probe of {target} on H_t "
                "(accuracy; R² for regression)"),
      Criterion("exact_rule", True, "theory engine's exact rule on a Gaussian fitted to "
                f"(PCA H_t, PCA H_s, {target}): relative risk margin Σ_k B_k / Σ_k R0_k"),
      *baselines, Criterion("cka", False, "linear CKA between H_t and H_s"))})
  return out


def gap_name(estimator: str, label: str, label_estimators: Sequence[str]) -> str:
  """The criterion name of a CCH gap: 'gap:ksg' for the first label estimator (the
  verdict's), 'gap:ksg-label_probe' for the others."""
  return f"gap:{estimator}" if label == label_estimators[0] else f"gap:{estimator}-{label}"


def linear_cka(h_t: Any, h_s: Any) -> float:
  """Linear centred kernel alignment of (n, d_t) and (n, d_s) representations, in [0, 1]."""
  a = np.asarray(h_t, np.float64)
  b = np.asarray(h_s, np.float64)
  a, b = a - a.mean(0), b - b.mean(0)
  cross = np.linalg.norm(a.T @ b) ** 2
  norm = np.linalg.norm(a.T @ a) * np.linalg.norm(b.T @ b)
  return float(cross / norm) if norm > 0 else 0.0


@functools.partial(jax.jit, static_argnames=("d1", "d2"))
def _risk_quadratics(sigmas: jax.Array, d1: int, d2: int, n_train: int
                     ) -> theory.RiskQuadratic:
  """`theory.risk_quadratic` of each (K, d1 + d2 + 1, d1 + d2 + 1) covariance, compiled
  once per shape (op by op it took ~4 s a pair on a 2-core CPU)."""
  return jax.vmap(lambda s: theory.risk_quadratic(s, None, d1, d2, n_train))(sigmas)


def fitted_gaussian_rule(z_t: Any, z_s: Any, labels: Any, n_train: int) -> dict[str, float]:
  """The theory engine's exact rule applied to a Gaussian fitted to the representations.

  Per class k, [z_t, z_s, 1{y=k}] gets its sample covariance; the theory's least-squares
  student on z_s, distilled from the population-regression teacher on z_t and trained on
  n_train rows, has the exact risk R_k(λ) = R0_k − 2λB_k + λ²A_k. Summed over the K
  one-vs-rest targets, some λ ∈ (0, 1] lowers the risk iff Σ B_k > 0.

  Args:
    z_t: (n, d1), z_s: (n, d2) reduced representations. labels: (n,) ints in [0, K), or
      (n, k) float regression targets (each target then plays a one-vs-rest target's part).
    n_train: the student's training rows (> d2 + 1).

  Returns:
    {'margin': Σ B_k / Σ R0_k (positive: KD helps), 'best_lambda': clip(ΣB/ΣA, 0, 1),
     'relative_gain': ΔR(λ*) / R0}.
  """
  z_t, z_s = np.asarray(z_t, np.float64), np.asarray(z_s, np.float64)
  y = np.asarray(labels)
  d1, d2 = z_t.shape[1], z_s.shape[1]
  onehot = (y.reshape(len(y), -1).astype(np.float64) if np.issubdtype(y.dtype, np.floating)
            else np.eye(int(y.max()) + 1)[y])  # the K one-vs-rest (or k regression) targets
  base = np.concatenate([z_t, z_s], axis=1)
  sigmas = np.stack([np.cov(np.concatenate([base, onehot[:, [k]]], 1), rowvar=False)
                     for k in range(onehot.shape[1])])
  sigmas += 1e-6 * np.trace(sigmas, axis1=1, axis2=2)[:, None, None] * np.eye(d1 + d2 + 1)
  q = _risk_quadratics(jnp.asarray(sigmas, jnp.float32), d1, d2, n_train)
  r0, a, b = (float(jnp.sum(v)) for v in (q.r0, q.a, q.b))
  lam = min(max(b / a, 0.0), 1.0) if a > 0 else 0.0
  return {"margin": b / r0, "best_lambda": lam,
          "relative_gain": lam * (2 * b - lam * a) / r0}


def transferability_scores(h_t: Any, h_s: Any, labels: Any, teacher_outputs: Any
                           ) -> dict[str, float]:
  """The published transferability scores of a pair (`transferability`): LogME, H-score
  and a 5-NN probe of H_t (n, d_t) for the labels, and LogME of H_s (n, d_s) for the
  teacher's (n, K) outputs."""
  h_t, h_s = np.asarray(h_t, np.float64), np.asarray(h_s, np.float64)
  return {"logme": transferability.logme(h_t, labels),
          "logme_kd": transferability.logme(h_s, np.asarray(teacher_outputs, np.float64)),
          "h_score": transferability.h_score(h_t, labels, shrinkage=1e-3),
          "knn_probe": transferability.knn_probe(h_t, labels, k=5)}


def pair_criteria(terms: CCHTerms, extra_labels: Mapping[str, mi.MIEstimate], z_t: Any,
                  z_s: Any, h_t: Any, h_s: Any, labels: Any, teacher_outputs: Any,
                  student_logits: Any, n_train: int) -> dict[str, Any]:
  """Every criterion of one pair on its held-out rows.

  Args:
    terms: `CCHTerms` (I(H_t; H_s) per estimator, the primary label term).
    extra_labels: more I(H_s; Y) estimates ({name: MIEstimate}, e.g. the probe bound).
    z_t, z_s: the reduced representations the estimators saw (n, d1), (n, d2).
    h_t, h_s: the representations (n, d_t), (n, d_s) (for CKA).
    labels: (n,) class labels or (n, k) regression targets. teacher_outputs,
      student_logits: (n, K) outputs of the two encoders (logits, or predictions).
    n_train: the student's training rows (for the exact rule).

  Returns:
    {criterion name: value} (see `criteria_of`), plus 'ci' {gap criterion: [low, high]}
    and 'exact_rule_detail' (`fitted_gaussian_rule`).
  """
  y = np.asarray(labels)
  label_name = next(iter(terms.i_student_label.per_estimator))
  labels_by = {label_name: terms.i_student_label.per_estimator[label_name]}
  labels_by.update({k: {"value": e.value, "ci_low": e.ci_low, "ci_high": e.ci_high}
                    for k, e in extra_labels.items()})
  out: dict[str, Any] = {"ci": {}}
  for ts, t in terms.i_teacher_student.per_estimator.items():
    for name, lab in labels_by.items():
      key = gap_name(ts, name, list(labels_by))
      if name == label_name:  # the CCHTerms gap keeps the terms' correlation
        gap = terms.gap.per_estimator[ts]
        out[key], ci = gap["value"], (gap["ci_low"], gap["ci_high"])
      else:
        out[key] = t["value"] - lab["value"]
        ci = stats.quadrature_interval(out[key], (t["ci_low"], t["ci_high"]),
                                       (lab["ci_low"], lab["ci_high"]))
      out["ci"][key] = [float(ci[0]), float(ci[1])]
    floor = max(terms.i_student_label.value, 1e-3)
    out[f"relative_gap:{ts}"] = t["value"] / floor - 1.0
  rule = fitted_gaussian_rule(z_t, z_s, y, n_train)
  out.update(exact_rule=rule["margin"], exact_rule_detail=rule, cka=linear_cka(h_t, h_s),
             **transferability_scores(h_t, h_s, y, teacher_outputs))
  t_out, s_out = np.asarray(teacher_outputs), np.asarray(student_logits)
  if np.issubdtype(y.dtype, np.floating):  # regression: scores are −MAE
    y = y.reshape(len(y), -1)
    t_score = -float(np.mean(np.abs(t_out - y)))
    s_score = -float(np.mean(np.abs(s_out - y)))
    agreement = float(np.mean([np.corrcoef(t_out[:, j], s_out[:, j])[0, 1]
                               for j in range(y.shape[1])]))
    return out | {"teacher_score": t_score, "student_score": s_score,
                  "teacher_minus_student": t_score - s_score, "agreement": agreement}
  t_pred, s_pred = np.argmax(t_out, -1), np.argmax(s_out, -1)
  t_acc, s_acc = float(np.mean(t_pred == y)), float(np.mean(s_pred == y))
  return out | {"teacher_score": t_acc, "student_score": s_acc,
                "teacher_minus_student": t_acc - s_acc,
                "agreement": float(np.mean(t_pred == s_pred))}


def _ties_kept(values: np.ndarray, digits: int = 9) -> np.ndarray:
  """`values` to `digits` significant digits, so that equal values computed in another
  order (a symmetric criterion of (a, b) and of (b, a)) rank as ties, not by rounding."""
  return np.asarray([float(f"{v:.{digits}g}") for v in values], np.float64)


def _ties_kept_array(values: np.ndarray, digits: int = 9) -> np.ndarray:
  """`_ties_kept` of an array of any shape, vectorised (for bootstrap replicates): each
  finite nonzero value rounded to `digits` significant digits; 0, NaN, ±inf (and values
  whose scale overflows) unchanged."""
  v = np.asarray(values, np.float64)
  nonzero = np.isfinite(v) & (v != 0)
  with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
    exponent = np.floor(np.log10(np.abs(np.where(nonzero, v, 1.0))))
    scale = 10.0 ** (digits - 1 - exponent)
    rounded = np.round(v * scale) / scale
  return np.where(nonzero & np.isfinite(rounded), rounded, v)


def _bootstrap_spearman(values: np.ndarray, gains: np.ndarray, n_boot: int, seed: int
                        ) -> np.ndarray:
  """Spearman of each criterion against the gains on pair-and-split bootstrap replicates.

  Each replicate draws P pairs with replacement and S splits with replacement, the same
  splits for every pair (split k is one partition of the rows, shared by all pairs); a
  pair's criterion value and gain are the means over the drawn splits (the same splits
  for both: they are paired by split). The draws are shared by all criteria and do not
  depend on C.

  Args:
    values: (C, P, S) criteria per pair and split. gains: (P, S) mean gain per split.
    n_boot: replicates B. seed: the numpy generator's seed.

  Returns:
    (C, B) Spearman's rho, NaN where undefined (either side's ranks constant, or NaN;
    every replicate when P < 3).
  """
  n_pairs, n_splits = gains.shape
  if n_pairs < 3:
    return np.full((values.shape[0], n_boot), np.nan)
  rng = np.random.default_rng(seed)
  pair = rng.integers(0, n_pairs, (n_boot, n_pairs))[..., None]              # (B, P, 1)
  # Sorted draws: one multiset of splits is always summed in one order, so a symmetric
  # criterion's two pairs stay tied when they draw the same splits.
  split = np.sort(rng.integers(0, n_splits, (n_boot, 1, n_splits)), -1)      # (B, 1, S)
  g = _ties_kept_array(gains[pair, split].mean(-1))                          # (B, P)
  v = _ties_kept_array(values[:, pair, split].mean(-1))                      # (C, B, P)
  rank_g = scipy.stats.rankdata(g, axis=-1)
  rank_v = scipy.stats.rankdata(v, axis=-1)
  rank_g -= rank_g.mean(-1, keepdims=True)
  rank_v -= rank_v.mean(-1, keepdims=True)
  with np.errstate(invalid="ignore", divide="ignore"):
    rho = (rank_v * rank_g).sum(-1) / np.sqrt(
        (rank_v ** 2).sum(-1) * (rank_g ** 2).sum(-1))
  return np.where(np.isfinite(rho), np.clip(rho, -1.0, 1.0), np.nan)


def _as_per_split(name: str, x: Any, shape: tuple[int, ...] | None) -> np.ndarray:
  """`x` as a float64 (P, S) array (S ≥ 1), checked against `shape` when given."""
  a = np.asarray(x, np.float64)
  if a.ndim != 2 or a.shape[1] < 1 or (shape is not None and a.shape != shape):
    raise ValueError(f"{name}: expected a (P, S) array{f' of shape {shape}' if shape else ''}"
                     f", got shape {a.shape}")
  return a


def rank_criteria(values_per_split: Mapping[str, Any], gains_per_split: Any,
                  gains: Sequence[Mapping[str, Any]], criteria: Mapping[str, Criterion],
                  n_boot: int = 2000, seed: int = 0) -> list[dict[str, Any]]:
  """How well each criterion predicted the measured gains over P pairs and S splits.

  The headline is per pair: Spearman between a criterion's mean over splits and the
  pair's mean gain over splits (P points; values equal to 9 significant digits tie).
  Its 95% interval is a percentile bootstrap over pairs and, within each pair, splits
  (`_bootstrap_spearman`); replicates where Spearman is undefined are dropped. Resampling
  the splits as well adds their noise to the per-pair means a second time, so replicate
  Spearmans are attenuated: the interval is conservative (wider, shifted towards 0). The
  two-sided p-values are also Holm-adjusted over every criterion of this ranking that has
  one: the pairs share teachers and students, so neither p accounts for that dependence.

  Args:
    values_per_split: {criterion: (P, S) values per pair and split}.
    gains_per_split: (P, S) mean paired gain of each pair on each split.
    gains: (P,) gain `summary` dicts (ci_low, ci_high) at the reference setting, for which
      pairs' gains are significant (CI excludes 0).
    criteria: the `Criterion` of each name.
    n_boot: bootstrap replicates drawn. seed: their generator's seed.

  Returns:
    Rows sorted by Spearman (descending; None last): criterion, signed, text, spearman,
    spearman_ci_low, spearman_ci_high, n_boot (replicates used), spearman_p,
    spearman_p_holm, sign_agreement and n (signed criteria: sign(mean value) = sign(mean
    gain) over all P pairs), significant_sign_agreement, n_significant, n_pairs, n_splits.
    The CI is None (n_boot 0) when the Spearman is None or no replicate defines one.
  """
  g = _as_per_split("gains_per_split", gains_per_split, None)
  if len(gains) != g.shape[0]:
    raise ValueError(f"gains: expected {g.shape[0]} summaries, got {len(gains)}")
  names = list(values_per_split)
  v = np.stack([_as_per_split(f"values_per_split[{n!r}]", values_per_split[n], g.shape)
                for n in names]) if names else np.zeros((0, *g.shape))
  means = _ties_kept(g.mean(1))
  significant = np.asarray([stats.ci_side(x["ci_low"], x["ci_high"]) != 0 for x in gains],
                           bool)
  boot = _bootstrap_spearman(v, g, n_boot, seed)
  rows = []
  for name, per_split, rhos in zip(names, v, boot):
    rows.append(_row(name, criteria[name], _ties_kept(per_split.mean(1)), means, significant,
                     rhos[np.isfinite(rhos)], per_split.shape[1]))
  for row, p in zip(rows, stats.holm([r["spearman_p"] for r in rows])):
    row["spearman_p_holm"] = p
  return sorted(rows, key=lambda r: np.inf if r["spearman"] is None else -r["spearman"])


def _row(name: str, c: Criterion, v: np.ndarray, means: np.ndarray, significant: np.ndarray,
         rhos: np.ndarray, n_splits: int) -> dict[str, Any]:
  """One criterion's `rank_criteria` row (without the Holm p) from its (P,) per-pair
  values, the (P,) mean gains, the (P,) significance mask and the defined replicates."""
  rho, p = stats.spearman(v, means)
  defined = rho is not None and len(rhos) > 0
  low, high = np.percentile(rhos, [2.5, 97.5]) if defined else (None, None)
  row = {"criterion": name, "signed": c.signed, "text": c.text, "spearman": rho,
         "spearman_ci_low": None if low is None else float(low),
         "spearman_ci_high": None if high is None else float(high),
         "n_boot": len(rhos) if defined else 0, "spearman_p": p, "spearman_p_holm": None,
         "sign_agreement": None, "n": len(v), "significant_sign_agreement": None,
         "n_significant": int(significant.sum()), "n_pairs": len(v), "n_splits": n_splits}
  if c.signed:
    match = np.sign(v) == np.sign(means)
    row["sign_agreement"] = float(match.mean())
    if significant.any():
      row["significant_sign_agreement"] = float(match[significant].mean())
  return row
