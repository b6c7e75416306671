"""The go/no-go verdict from the calibrated gap, and the ranking of candidate teachers.

The verdict is a prediction made before any student trains. Rule (the CCH: KD helps when
I(H_t; H_s) > I(H_s; Y)), on the gap read through its terms' calibration curves on
ground-truth tasks shaped like the representations (`calibration.gap_biases`), when given:

  corrected gap  = truth_ts(ê_ts) − truth_sy(ê_sy) = raw gap − bias
  sampling SE    s_c² = s_ts²/m_ts² + s_sy²/m_sy² − 2·cov/(m_ts·m_sy) (clipped at >= 0),
                 cov = (s_ts² + s_sy² − s_g²)/2 (delta method; m: the curves' slopes;
                 s: each CI's half-width / its own t or z quantile, `sampling_se`)
  corrected CI   = corrected gap ± (t_g·s_c + t_b·bias_se)
                 (t_g: the gap CI's quantile; t_b: Student t 0.975 with the bias's dof)
  'distil'         the primary estimator's corrected CI lies above 0,
  'do not distil'  it lies below 0,
  'uncertain'      it covers 0; or another estimator's corrected gap has the opposite sign
                   (the disagreement is named in `reason`, never hidden); or the bias is
                   unknown (an estimate outside the calibrated range, an empty
                   calibration, or the estimators' corrected I(H_t; H_s) disagree): the
                   reason says why, the CI shown is the uncorrected one.

With slopes 1 the mapping is a shift (`corrected_ci`). Without calibration (no biases)
the uncorrected CI decides. `pooled_verdict` does the same on the mean of S splits'
corrected gaps (Student t over the splits).
"""

from __future__ import annotations

import dataclasses
import math
import re
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
  bias_known is False); p_sign_sampling: the sampling-error probability that the true
  gap has the other sign than `gap` (its sampling SE and the bias's Monte Carlo SE,
  Student t with the CI's dof), not counting calibration-family mismatch or estimator
  disagreement; bias_known: the gap was read through a calibration; splits: S pooled."""
  label: str
  reason: str
  per_estimator: dict[str, str]
  disagreement: bool
  criterion: str = ""
  gap: float = math.nan
  ci_low: float = math.nan
  ci_high: float = math.nan
  p_sign_sampling: float = math.nan
  bias_known: bool = False
  splits: int = 1


def corrected_ci(ci_low: float, ci_high: float, bias: float = 0.0, bias_se: float = 0.0,
                 dof: float = math.inf) -> tuple[float, float]:
  """[ci_low − bias − t·bias_se, ci_high − bias + t·bias_se], t = `stats.t_quantile(dof)`:
  the corrected CI where the calibration curve's slope is 1 (`mapped_gap` otherwise)."""
  widen = stats.t_quantile(dof) * bias_se if bias_se else 0.0
  return ci_low - bias - widen, ci_high - bias + widen


def ci_label(ci_low: float, ci_high: float, bias: float = 0.0, bias_se: float = 0.0,
             dof: float = math.inf) -> str:
  """The side of 0 the corrected CI (`corrected_ci`) lies on: DISTIL above, DO_NOT_DISTIL
  below, UNCERTAIN covering 0 (or NaN)."""
  return LABELS[stats.ci_side(*corrected_ci(ci_low, ci_high, bias, bias_se, dof))]


def ci_dof(entry: Mapping[str, Any]) -> float:
  """The dof of an estimate's CI {'ci_low', 'ci_high', 'ci', optional 'dof'}: 'dof', else
  the k of a 't(k)' in its 'ci' text (Student t), else inf (a z interval)."""
  if entry.get("dof") is not None:
    return float(entry["dof"])
  found = re.search(r"\bt\((\d+)\)", str(entry.get("ci", "")))
  return float(found.group(1)) if found else math.inf


def sampling_se(entry: Mapping[str, Any]) -> tuple[float, float]:
  """(standard error, dof) of an estimate from its 95% CI: half-width / the CI's own
  quantile (`ci_dof`)."""
  dof = ci_dof(entry)
  return (entry["ci_high"] - entry["ci_low"]) / (2 * stats.t_quantile(dof)), dof


def p_sign_sampling(value: float, ci_low: float, ci_high: float, bias: float = 0.0,
                    bias_se: float = 0.0, dof: float = math.inf) -> float:
  """The sampling-error probability that the true gap's sign differs from that of
  value − bias: SE = √((CI half-width / t(dof))² + bias_se²), T_dof(−|value − bias| / SE)
  (dof: the CI's; inf: normal). It counts the gap's sampling error and the bias's Monte
  Carlo error only: not the calibration family's mismatch, not estimator disagreement.
  0.5 for a zero gap with zero SE; NaN without a CI."""
  se = stats.quadrature((ci_high - ci_low) / (2 * stats.t_quantile(dof)), bias_se)
  g = abs(value - bias)
  if not np.isfinite(se) or not np.isfinite(g):
    return math.nan
  if se <= 0:
    return 0.0 if g > 0 else 0.5
  return float(scipy.stats.norm.cdf(-g / se) if math.isinf(dof)
               else scipy.stats.t.cdf(-g / se, dof))


def mapped_gap(gap: Mapping[str, Any], ts: Mapping[str, Any], sy: Mapping[str, Any],
               slope_ts: float = 1.0, slope_sy: float = 1.0, bias: float = 0.0
               ) -> tuple[float, float, float]:
  """(value, ci_low, ci_high): the gap read through its terms' calibration curves and its
  sampling CI (the module docstring's delta method; no calibration error in it).

  Args:
    gap, ts, sy: the gap's and its two terms' {'value', 'ci_low', 'ci_high', 'ci'}
      (the gap's CI from joint resampling of the terms).
    slope_ts, slope_sy: the curves' slopes d(mean estimate)/d(truth) at the estimates.
    bias: raw gap − corrected gap.
  """
  value = gap["value"] - bias
  if slope_ts == 1.0 and slope_sy == 1.0:
    return value, gap["ci_low"] - bias, gap["ci_high"] - bias
  (s_g, dof), (s_ts, _), (s_sy, _) = (sampling_se(e) for e in (gap, ts, sy))
  cov = (s_ts**2 + s_sy**2 - s_g**2) / 2
  var = s_ts**2 / slope_ts**2 + s_sy**2 / slope_sy**2 - 2 * cov / (slope_ts * slope_sy)
  half = stats.t_quantile(dof) * math.sqrt(max(var, 0.0)) if np.isfinite(var) else math.nan
  return value, value - half, value + half


def _reading(gap: Mapping[str, Any], bias: Mapping[str, Any] | None,
             ts: Mapping[str, Any], sy: Mapping[str, Any]) -> dict[str, Any]:
  """One estimator's gap {'value', 'ci_low', 'ci_high', 'ci'} read through its bias (and
  its terms ts, sy): {'value', 'ci_low', 'ci_high', 'label', 'p', 'known', 'unknown',
  'why', 'bias', 'raw'}; unknown: a bias was given but cannot be applied."""
  raw = LABELS[stats.ci_side(gap["ci_low"], gap["ci_high"])]
  known = bool(bias and bias.get("bias_known", True)
               and np.isfinite(bias.get("bias", math.nan)))
  dof = ci_dof(gap)
  if not known:
    why = (bias or {}).get("unknown_reason") or "an estimate lies outside the calibrated range"
    return {"value": gap["value"], "ci_low": gap["ci_low"], "ci_high": gap["ci_high"],
            "label": UNCERTAIN if bias else raw, "known": False, "unknown": bool(bias),
            "why": why if bias else "", "bias": 0.0, "raw": raw,
            "p": p_sign_sampling(gap["value"], gap["ci_low"], gap["ci_high"], dof=dof)}
  b, se = float(bias["bias"]), float(bias.get("bias_se", 0.0))
  value, lo, hi = mapped_gap(gap, ts, sy, bias.get("slope_teacher_student", 1.0),
                             bias.get("slope_label", 1.0), b)
  p = p_sign_sampling(value, lo, hi, 0.0, se, dof)
  lo, hi = corrected_ci(lo, hi, 0.0, se, bias.get("dof", math.inf))
  return {"value": value, "ci_low": lo, "ci_high": hi,
          "label": LABELS[stats.ci_side(lo, hi)], "p": p, "known": True,
          "unknown": False, "why": "", "bias": b, "raw": raw}


def _entries(terms: CCHTerms, name: str) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
  """The I(H_t; H_s) entry of estimator `name` and the label term's (primary) entry."""
  sy = terms.i_student_label
  return (terms.i_teacher_student.per_estimator.get(name, {}),
          next(iter(sy.per_estimator.values()), {"value": sy.value, "ci_low": sy.ci_low,
                                                 "ci_high": sy.ci_high}))


def verdict(terms: CCHTerms, biases: Biases | None = None) -> Verdict:
  """The verdict of one pair's terms on one split (see the module docstring).

  Args:
    terms: the pair's `CCHTerms`.
    biases: None (no calibration), or one split's `calibration.gap_biases` entry:
      {estimator: {'bias', 'bias_se', 'dof', 'bias_known', 'slope_teacher_student',
      'slope_label', 'unknown_reason', ...}} (nats; slopes default to 1).
  """
  reads = {name: _reading(g, (biases or {}).get(name), *_entries(terms, name))
           for name, g in terms.gap.per_estimator.items()}
  return _decide(terms, reads, 1)


def pooled_verdict(terms_per_split: Sequence[CCHTerms],
                   biases_per_split: Sequence[Biases | None] | None = None) -> Verdict:
  """The verdict of one pair over S splits: per estimator, the mean of the splits'
  corrected gaps with a Student-t CI over them (S − 1 dof); the calibration is shared
  by the splits, so its error does not average out: t_bias·mean(bias_se) is added to the
  half-width and mean(bias_se) in quadrature to the SE of p_sign_sampling (t, S − 1
  dof). If any split's bias is unknown, the verdict is 'uncertain' (the splits'
  uncorrected gaps are shown). S = 1: that split's `verdict`.

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
  reads = {name: _pool([_reading(t.gap.per_estimator[name], (b or {}).get(name),
                                 *_entries(t, name))
                        for t, b in zip(terms_per_split, biases)],
                       [(b or {}).get(name) for b in biases],
                       [t.gap.per_estimator[name]["value"] for t in terms_per_split])
           for name in terms_per_split[0].gap.per_estimator}
  return _decide(terms_per_split[0], reads, count)


def _pool(per: Sequence[Mapping[str, Any]], biases: Sequence[Mapping[str, Any] | None],
          raw_values: Sequence[float]) -> dict[str, Any]:
  """The `_reading` of the mean of S splits' readings `per` (raw gaps `raw_values`)."""
  known = all(r["known"] for r in per)
  values = np.array([r["value"] for r in per] if known else raw_values)
  mean, se = float(values.mean()), stats.standard_error(values)
  bias_se = float(np.mean([b["bias_se"] for b in biases])) if known else 0.0
  t_bias = stats.t_quantile(min(b.get("dof", math.inf) for b in biases)) if known else 0.0
  half = stats.t_quantile(len(values) - 1) * se + (t_bias * bias_se if bias_se else 0.0)
  total = stats.quadrature(se, bias_se)
  p = (float(scipy.stats.t.cdf(-abs(mean) / total, len(values) - 1)) if total > 0
       else (0.0 if mean else 0.5))
  raw = np.asarray(raw_values, np.float64)
  raw_half = stats.t_quantile(len(raw) - 1) * stats.standard_error(raw)
  unknown = [r for r in per if r["unknown"]]
  label = LABELS[stats.ci_side(mean - half, mean + half)]
  return {"value": mean, "ci_low": mean - half, "ci_high": mean + half,
          "label": UNCERTAIN if unknown else label, "p": p, "known": known,
          "unknown": bool(unknown), "why": unknown[0]["why"] if unknown else "",
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
  side = LABELS[stats.ci_side(r["ci_low"], r["ci_high"])]
  head = r["label"]
  if r["unknown"]:
    reason = (f"{shown} {_SIDES[side]}, but the bias is unknown ({r['why']}), so the "
              "verdict is uncertain (bias unknown)")
  elif head != UNCERTAIN and disagreement:
    reason = (f"{shown} says '{head}', but the estimators disagree on the gap's sign "
              f"({values})")
    head = UNCERTAIN
  elif not np.isfinite([r["ci_low"], r["ci_high"]]).all():
    reason = f"{shown} has no CI (too few halves, seeds or splits)"
  else:
    reason = f"{shown} " + _SIDES[head]
    if disagreement:
      reason += f"; the estimators disagree on the sign ({values})"
  if r["known"]:
    reason += (f" (bias {r['bias']:+.3f} nats on ground-truth tasks shaped like these "
               f"representations; uncorrected: '{r['raw']}')")
  return Verdict(head, reason, per, disagreement, criterion, r["value"], r["ci_low"],
                 r["ci_high"], r["p"], r["known"], splits)


_SIDES = {DISTIL: "lies above 0", DO_NOT_DISTIL: "lies below 0", UNCERTAIN: "covers 0"}


def rank_teachers(gaps: Mapping[str, float]) -> list[str]:
  """Teacher names by decreasing gap (the CCH's preference order)."""
  return sorted(gaps, key=lambda name: -gaps[name])


def sign(label: str) -> int:
  """+1 for DISTIL, −1 for DO_NOT_DISTIL, 0 for UNCERTAIN."""
  return {name: side for side, name in LABELS.items()}.get(label, 0)
