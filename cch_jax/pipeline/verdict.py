"""The go/no-go verdict from the gap, and the ranking of candidate teachers.

Verdict rule (the CCH: KD helps when I(H_t; H_s) > I(H_s; Y)):
  'distil'         the primary estimator's gap CI lies above 0,
  'do not distil'  it lies below 0,
  'uncertain'      it covers 0, or another estimator's gap has the opposite sign to the
                   decisive one (the disagreement is named in `reason`, never hidden).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
import numpy as np

from cch_jax.pipeline.terms import CCHTerms

DISTIL, DO_NOT_DISTIL, UNCERTAIN = "distil", "do not distil", "uncertain"


@dataclasses.dataclass(frozen=True)
class Verdict:
  """label: DISTIL / DO_NOT_DISTIL / UNCERTAIN; reason: one sentence; per_estimator:
  {estimator: the label its own gap CI gives}; disagreement: the gaps differ in sign."""
  label: str
  reason: str
  per_estimator: dict[str, str]
  disagreement: bool


def ci_label(ci_low: float, ci_high: float) -> str:
  """DISTIL if the CI is above 0, DO_NOT_DISTIL if below, else UNCERTAIN."""
  if ci_low > 0:
    return DISTIL
  if ci_high < 0:
    return DO_NOT_DISTIL
  return UNCERTAIN


def verdict(terms: CCHTerms) -> Verdict:
  """The verdict of one pair's terms (see the module docstring for the rule)."""
  gaps = terms.gap.per_estimator
  per = {name: ci_label(g["ci_low"], g["ci_high"]) for name, g in gaps.items()}
  signs = {name: g["value"] > 0 for name, g in gaps.items()}
  disagreement = len(set(signs.values())) > 1
  head = per[terms.primary]
  g = gaps[terms.primary]
  shown = f"gap {g['value']:+.3f} nats, 95% CI [{g['ci_low']:+.3f}, {g['ci_high']:+.3f}]"
  values = ", ".join(f"{name} {v['value']:+.3f}" for name, v in gaps.items())
  if head != UNCERTAIN and disagreement:
    return Verdict(UNCERTAIN, f"{terms.primary} {shown} says '{head}', but the estimators "
                   f"disagree on the gap's sign ({values})", per, True)
  if head == UNCERTAIN and not np.isfinite([g["ci_low"], g["ci_high"]]).all():
    reason = f"{terms.primary} gap {g['value']:+.3f} nats has no CI (too few halves or seeds)"
  elif head == UNCERTAIN:
    reason = f"{terms.primary} {shown} covers 0"
  else:
    side = "above" if head == DISTIL else "below"
    reason = f"{terms.primary} {shown} lies {side} 0"
  if disagreement:
    reason += f"; the estimators disagree on the sign ({values})"
  return Verdict(head, reason, per, disagreement)


def rank_teachers(gaps: Mapping[str, float]) -> list[str]:
  """Teacher names by decreasing gap (the CCH's preference order)."""
  return sorted(gaps, key=lambda name: -gaps[name])


def sign(label: str) -> int:
  """+1 for DISTIL, −1 for DO_NOT_DISTIL, 0 for UNCERTAIN."""
  return {DISTIL: 1, DO_NOT_DISTIL: -1}.get(label, 0)
