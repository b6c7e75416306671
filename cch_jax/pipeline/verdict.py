"""The go/no-go verdict from the gap, and the ranking of candidate teachers.

The verdict is a prediction made before any student trains. Rule (the CCH: KD helps when
I(H_t; H_s) > I(H_s; Y)):
  'distil'         the primary estimator's gap CI lies above 0,
  'do not distil'  it lies below 0,
  'uncertain'      it covers 0; or another estimator's gap has the opposite sign (the
                   disagreement is named in `reason`, never hidden); or, given `biases`,
                   the CI shifted by the gap's bias on ground-truth tasks at the same
                   dimensions and n (`calibration.gap_biases`) no longer lies on the same
                   side of 0: an estimator that underestimates I(H_t; H_s) cannot say
                   'do not distil' by less than its bias.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np

from cch_jax.pipeline.terms import CCHTerms
from cch_jax.utils import stats

DISTIL, DO_NOT_DISTIL, UNCERTAIN = "distil", "do not distil", "uncertain"
# The label of each side of 0 (`stats.ci_side`): above, below, covering.
LABELS = {1: DISTIL, -1: DO_NOT_DISTIL, 0: UNCERTAIN}


@dataclasses.dataclass(frozen=True)
class Verdict:
  """label: DISTIL / DO_NOT_DISTIL / UNCERTAIN; reason: one sentence; per_estimator:
  {estimator: the label its own gap gives}; disagreement: the gaps differ in sign;
  criterion: what the prediction came from, e.g. 'CCH gap (latent − label_knn)'."""
  label: str
  reason: str
  per_estimator: dict[str, str]
  disagreement: bool
  criterion: str = ""


def ci_label(ci_low: float, ci_high: float, bias: float = 0.0, bias_se: float = 0.0
             ) -> str:
  """DISTIL if the CI is above 0, DO_NOT_DISTIL if below, else UNCERTAIN; UNCERTAIN too
  when the bias-corrected CI (ci − bias, widened by Z95·bias_se on each side) does not
  lie on the same side."""
  widen = stats.Z95 * bias_se
  raw = stats.ci_side(ci_low, ci_high)
  corrected = stats.ci_side(ci_low - bias - widen, ci_high - bias + widen)
  return LABELS[raw] if raw == corrected else UNCERTAIN


def verdict(terms: CCHTerms, biases: Mapping[str, Mapping[str, float]] | None = None
            ) -> Verdict:
  """The verdict of one pair's terms (see the module docstring for the rule).

  Args:
    terms: the pair's `CCHTerms`.
    biases: optional `calibration.gap_biases` output: {estimator: {'bias': the gap's
      bias in nats (estimate − truth) on ground-truth tasks, 'bias_se': its standard
      error (optional)}}.
  """
  found = {name: dict((biases or {}).get(name, {})) for name in terms.gap.per_estimator}
  bias = {name: float(b.get("bias", 0.0)) for name, b in found.items()}
  gaps = terms.gap.per_estimator
  per = {name: ci_label(g["ci_low"], g["ci_high"], bias[name],
                        float(found[name].get("bias_se", 0.0))) for name, g in gaps.items()}
  signs = {name: g["value"] > 0 for name, g in gaps.items()}
  disagreement = len(set(signs.values())) > 1
  primary = terms.primary
  label_name = next(iter(terms.i_student_label.per_estimator), "label")
  criterion = f"CCH gap ({primary} − {label_name})"
  head = per[primary]
  g = gaps[primary]
  shown = f"gap {g['value']:+.3f} nats, 95% CI [{g['ci_low']:+.3f}, {g['ci_high']:+.3f}]"
  values = ", ".join(f"{name} {v['value']:+.3f}" for name, v in gaps.items())
  make = lambda label, reason: Verdict(label, reason, per, disagreement, criterion)
  if head != UNCERTAIN and disagreement:
    return make(UNCERTAIN, f"{primary} {shown} says '{head}', but the estimators disagree "
                f"on the gap's sign ({values})")
  if head == UNCERTAIN and not np.isfinite([g["ci_low"], g["ci_high"]]).all():
    reason = f"{primary} gap {g['value']:+.3f} nats has no CI (too few halves or seeds)"
  elif head == UNCERTAIN and stats.ci_side(g["ci_low"], g["ci_high"]) != 0:
    reason = (f"{primary} {shown} excludes 0, but not once corrected by the gap's bias "
              f"({bias[primary]:+.3f} nats on ground-truth tasks of this dimension and n)")
  elif head == UNCERTAIN:
    reason = f"{primary} {shown} covers 0"
  else:
    side = "above" if head == DISTIL else "below"
    reason = f"{primary} {shown} lies {side} 0"
    if bias[primary]:
      reason += f", also once corrected by the gap's bias ({bias[primary]:+.3f} nats)"
  if disagreement:
    reason += f"; the estimators disagree on the sign ({values})"
  return make(head, reason)


def rank_teachers(gaps: Mapping[str, float]) -> list[str]:
  """Teacher names by decreasing gap (the CCH's preference order)."""
  return sorted(gaps, key=lambda name: -gaps[name])


def sign(label: str) -> int:
  """+1 for DISTIL, −1 for DO_NOT_DISTIL, 0 for UNCERTAIN."""
  return {name: side for side, name in LABELS.items()}.get(label, 0)
