"""The go/no-go verdict from the bias-corrected gap, and the ranking of candidate teachers.

The verdict is a prediction made before any student trains. Rule (the CCH: KD helps when
I(H_t; H_s) > I(H_s; Y)), on the gap corrected by its bias on ground-truth tasks shaped
like the representations (`calibration.gap_biases`), when given:

  corrected CI = [ci_low − bias − t·bias_se, ci_high − bias + t·bias_se]
                 (t: Student t 0.975 quantile with the bias's dof)
  'distil'         the primary estimator's corrected CI lies above 0,
  'do not distil'  it lies below 0,
  'uncertain'      it covers 0; or another estimator's corrected gap has the opposite sign
                   (the disagreement is named in `reason`, never hidden).

The correction is two-sided: it can make a verdict decisive, flip it or make it uncertain.
Where the bias is unknown (an estimate outside the calibrated range), the uncorrected CI
decides, `bias_known` is False and the reason says "bias unknown". `pooled_verdict` does
the same on the mean of S splits' corrected gaps (Student t over the splits).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import scipy.stats

from cch_jax.pipeline.terms import CCHTerms
from cch_jax.utils import stats

DISTIL, DO_NOT_DISTIL, UNCERTAIN = "distil", "do not distil", "uncertain"
# The label of each side of 0 (`stats.ci_side`): above, below, covering.
LABELS = {1: DISTIL, -1: DO_NOT_DISTIL, 0: UNCERTAIN}
Biases = Mapping[str, Mapping[str, Any]]


@dataclasses.dataclass(frozen=True)
class Verdict:
  """label: DISTIL / DO_NOT_DISTIL / UNCERTAIN; reason: one sentence; per_estimator:
  {estimator: the label its own (corrected) gap gives}; disagreement: the gaps differ in
  sign; criterion: what the prediction came from, e.g. 'CCH gap (latent − label_knn)'.
  gap, ci_low, ci_high: the primary's corrected gap and CI in nats (uncorrected where
  bias_known is False); p_other_sign: P(the true gap has the other sign than `gap`);
  bias_known: a calibrated bias was subtracted; splits: S pooled."""
  label: str
  reason: str
  per_estimator: dict[str, str]
  disagreement: bool
  criterion: str = ""
  gap: float = math.nan
  ci_low: float = math.nan
  ci_high: float = math.nan
  p_other_sign: float = math.nan
  bias_known: bool = False
  splits: int = 1


def corrected_ci(ci_low: float, ci_high: float, bias: float = 0.0, bias_se: float = 0.0,
                 dof: float = math.inf) -> tuple[float, float]:
  """[ci_low − bias − t·bias_se, ci_high − bias + t·bias_se], t = `stats.t_quantile(dof)`."""
  widen = stats.t_quantile(dof) * bias_se if bias_se else 0.0
  return ci_low - bias - widen, ci_high - bias + widen


def ci_label(ci_low: float, ci_high: float, bias: float = 0.0, bias_se: float = 0.0,
             dof: float = math.inf) -> str:
  """The side of 0 the corrected CI (`corrected_ci`) lies on: DISTIL above, DO_NOT_DISTIL
  below, UNCERTAIN covering 0 (or NaN)."""
  return LABELS[stats.ci_side(*corrected_ci(ci_low, ci_high, bias, bias_se, dof))]


def p_other_sign(value: float, ci_low: float, ci_high: float, bias: float = 0.0,
                 bias_se: float = 0.0) -> float:
  """P(true gap's sign ≠ sign of value − bias), normal approximation: the sampling SE is
  the CI half-width / Z95, the bias SE adds in quadrature; Φ(−|value − bias| / SE).
  0.5 for a zero gap with zero SE; NaN without a CI."""
  se = stats.quadrature((ci_high - ci_low) / (2 * stats.Z95), bias_se)
  g = abs(value - bias)
  if not np.isfinite(se) or not np.isfinite(g):
    return math.nan
  return float(scipy.stats.norm.cdf(-g / se)) if se > 0 else (0.0 if g > 0 else 0.5)


def _reading(gap: Mapping[str, float], bias: Mapping[str, Any] | None) -> dict[str, Any]:
  """One estimator's gap {'value', 'ci_low', 'ci_high'} with its bias applied:
  {'value', 'ci_low', 'ci_high', 'label', 'p', 'known', 'unknown', 'bias', 'raw'}."""
  raw = (gap["value"], gap["ci_low"], gap["ci_high"])
  known = bool(bias and bias.get("bias_known", True)
               and np.isfinite(bias.get("bias", math.nan)))
  b = float(bias["bias"]) if known else 0.0
  se = float(bias.get("bias_se", 0.0)) if known else 0.0
  lo, hi = corrected_ci(raw[1], raw[2], b, se, bias.get("dof", math.inf) if known else 0)
  return {"value": raw[0] - b, "ci_low": lo, "ci_high": hi,
          "label": LABELS[stats.ci_side(lo, hi)], "p": p_other_sign(*raw, b, se),
          "known": known, "unknown": bool(bias) and not known, "bias": b,
          "raw": LABELS[stats.ci_side(raw[1], raw[2])]}


def verdict(terms: CCHTerms, biases: Biases | None = None) -> Verdict:
  """The verdict of one pair's terms on one split (see the module docstring).

  Args:
    terms: the pair's `CCHTerms`.
    biases: None (no calibration), or one split's `calibration.gap_biases` entry:
      {estimator: {'bias', 'bias_se', 'dof', 'bias_known', ...}} (nats).
  """
  reads = {name: _reading(g, (biases or {}).get(name))
           for name, g in terms.gap.per_estimator.items()}
  return _decide(terms, reads, 1)


def pooled_verdict(terms_per_split: Sequence[CCHTerms],
                   biases_per_split: Sequence[Biases | None] | None = None) -> Verdict:
  """The verdict of one pair over S splits: per estimator, the mean of the splits'
  corrected gaps with a Student-t CI over them (S − 1 dof); the calibration is shared
  by the splits, so its error does not average out: t_bias·mean(bias_se) is added to the
  half-width and mean(bias_se) in quadrature to the SE of p_other_sign (t, S − 1 dof).
  If any split's bias is unknown, every split's uncorrected gap is pooled. S = 1: that
  split's `verdict`.

  Args:
    terms_per_split: (S,) `CCHTerms` of one pair. biases_per_split: (S,) one split's
      `gap_biases` entries (or None: no calibration).
  """
  count = len(terms_per_split)
  biases = list(biases_per_split or [None] * count)
  if count == 0 or len(biases) != count:
    raise ValueError(f"terms_per_split, biases_per_split: expected S >= 1 of each and "
                     f"equal lengths, got {count} and {len(biases)}")
  if count == 1:
    return verdict(terms_per_split[0], biases[0])
  reads = {name: _pool([t.gap.per_estimator[name] for t in terms_per_split],
                       [(b or {}).get(name) for b in biases])
           for name in terms_per_split[0].gap.per_estimator}
  return _decide(terms_per_split[0], reads, count)


def _pool(gaps: Sequence[Mapping[str, float]], biases: Sequence[Mapping[str, Any] | None]
          ) -> dict[str, Any]:
  """The `_reading` of the mean of S splits' (corrected) gaps."""
  per = [_reading(g, b) for g, b in zip(gaps, biases)]
  known = all(r["known"] for r in per)
  values = np.array([r["value"] if known else g["value"] for r, g in zip(per, gaps)])
  mean, se = float(values.mean()), stats.standard_error(values)
  bias_se = float(np.mean([b["bias_se"] for b in biases])) if known else 0.0
  t_bias = stats.t_quantile(min(b.get("dof", math.inf) for b in biases)) if known else 0.0
  half = stats.t_quantile(len(values) - 1) * se + (t_bias * bias_se if bias_se else 0.0)
  total = stats.quadrature(se, bias_se)
  p = (float(scipy.stats.t.cdf(-abs(mean) / total, len(values) - 1)) if total > 0
       else (0.0 if mean else 0.5))
  raw = np.array([g["value"] for g in gaps])
  raw_half = stats.t_quantile(len(raw) - 1) * stats.standard_error(raw)
  return {"value": mean, "ci_low": mean - half, "ci_high": mean + half,
          "label": LABELS[stats.ci_side(mean - half, mean + half)], "p": p,
          "known": known, "unknown": any(r["unknown"] for r in per),
          "bias": float(np.mean([r["bias"] for r in per])) if known else 0.0,
          "raw": LABELS[stats.ci_side(raw.mean() - raw_half, raw.mean() + raw_half)]}


def _decide(terms: CCHTerms, reads: Mapping[str, Mapping[str, Any]], splits: int
            ) -> Verdict:
  """The verdict from each estimator's reading (the primary's decides)."""
  primary = terms.primary
  label_name = next(iter(terms.i_student_label.per_estimator), "label")
  criterion = f"CCH gap ({primary} − {label_name})"
  per = {name: r["label"] for name, r in reads.items()}
  disagreement = len({r["value"] > 0 for r in reads.values()}) > 1
  r = reads[primary]
  where = f"mean of {splits} splits' " if splits > 1 else ""
  what = "bias-corrected gap" if r["known"] else "gap"
  shown = (f"{primary} {where}{what} {r['value']:+.3f} nats, 95% CI "
           f"[{r['ci_low']:+.3f}, {r['ci_high']:+.3f}]")
  values = ", ".join(f"{name} {v['value']:+.3f}" for name, v in reads.items())
  head = r["label"]
  if head != UNCERTAIN and disagreement:
    reason = (f"{shown} says '{head}', but the estimators disagree on the gap's sign "
              f"({values})")
    head = UNCERTAIN
  elif not np.isfinite([r["ci_low"], r["ci_high"]]).all():
    reason = f"{shown} has no CI (too few halves, seeds or splits)"
  else:
    reason = f"{shown} " + {DISTIL: "lies above 0", DO_NOT_DISTIL: "lies below 0",
                            UNCERTAIN: "covers 0"}[head]
    if disagreement:
      reason += f"; the estimators disagree on the sign ({values})"
  if r["known"]:
    reason += (f" (bias {r['bias']:+.3f} nats on ground-truth tasks shaped like these "
               f"representations; uncorrected: '{r['raw']}')")
  elif r["unknown"]:
    reason += ("; bias unknown: an estimate lies outside the calibrated range, so the "
               "CI is uncorrected")
  return Verdict(head, reason, per, disagreement, criterion, r["value"], r["ci_low"],
                 r["ci_high"], r["p"], r["known"], splits)


def rank_teachers(gaps: Mapping[str, float]) -> list[str]:
  """Teacher names by decreasing gap (the CCH's preference order)."""
  return sorted(gaps, key=lambda name: -gaps[name])


def sign(label: str) -> int:
  """+1 for DISTIL, −1 for DO_NOT_DISTIL, 0 for UNCERTAIN."""
  return {name: side for side, name in LABELS.items()}.get(label, 0)
