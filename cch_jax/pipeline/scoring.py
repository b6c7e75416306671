"""How well each verdict and criterion predicted measured KD gains, beside the rules a
skeptic tries first.

Over P pairs, each with a measured test gain (a CI over splits × seeds) and a validation
gain of the same students:

  outcomes = Outcomes.of(test_gains, val_gains, students)   # gains: `summary` dicts
  score_verdict("cch", "CCH gap", labels, outcomes)         # VerdictScore
  score_criterion(criterion, values, outcomes)               # CriterionScore
  threshold_labels(values, outcomes.val_mean)                # leave-one-pair-out rule

A verdict (distil / do not distil / uncertain per pair) is scored by its outcome counts
(held / contradicted / inconclusive, `outcome.prediction_outcome`), the held share of the
decided outcomes with its Clopper–Pearson 95% interval (binomial error of that share over
these pairs), and its balanced accuracy on the pairs whose gain is significant
(abstentions count as misses; a constant rule scores 0.5) with a 95% percentile bootstrap
interval that resamples students (clusters of pairs that share a student view; replicates
without gains of both signs are dropped). A
criterion (a number per pair) is scored by AUROC for "gain > 0" on the significant pairs,
by the regret of picking the top-ranked teacher of each student, and as a verdict through
a threshold chosen on the other pairs' validation gains (never the judged pair's, never
a test gain).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from cch_jax.pipeline import outcome as outcome_lib
from cch_jax.pipeline.verdict import DISTIL, DO_NOT_DISTIL, LABELS, UNCERTAIN, sign
from cch_jax.utils import stats

BOOTSTRAP = 2000
"""Bootstrap replicates behind every interval here."""
MIN_FIT_PAIRS = 3
"""A threshold is fitted only on at least this many other pairs with a significant
validation gain of both signs; else the rule's natural threshold (0) is used."""


@dataclasses.dataclass(frozen=True)
class Outcomes:
  """P pairs' measured gains: test mean and 95% CI (P,), the same students' validation
  mean and CI (P,), and each pair's student (e.g. 'digits/mnistm': pairs sharing it form
  one bootstrap cluster and one teacher choice)."""
  mean: np.ndarray
  ci_low: np.ndarray
  ci_high: np.ndarray
  val_mean: np.ndarray
  val_ci_low: np.ndarray
  val_ci_high: np.ndarray
  students: tuple[str, ...]

  @classmethod
  def of(cls, test: Sequence[Mapping[str, Any]], val: Sequence[Mapping[str, Any]],
         students: Sequence[str]) -> Outcomes:
    """From (P,) test and validation gain `summary` dicts and the (P,) student keys."""
    if not len(test) == len(val) == len(students):
      raise ValueError(f"test, val, students: expected P of each, got {len(test)}, "
                       f"{len(val)} and {len(students)}")
    col = lambda rows, key: np.asarray([r[key] for r in rows], np.float64)
    return cls(col(test, "mean"), col(test, "ci_low"), col(test, "ci_high"),
               col(val, "mean"), col(val, "ci_low"), col(val, "ci_high"), tuple(students))

  @property
  def side(self) -> np.ndarray:
    """(P,) +1 / −1 where the test gain's CI lies above / below 0, else 0."""
    return np.atleast_1d(stats.ci_side(self.ci_low, self.ci_high))

  @property
  def val_side(self) -> np.ndarray:
    """(P,) the same for the validation gain."""
    return np.atleast_1d(stats.ci_side(self.val_ci_low, self.val_ci_high))

  def gain(self, i: int) -> dict[str, float]:
    return {"mean": float(self.mean[i]), "ci_low": float(self.ci_low[i]),
            "ci_high": float(self.ci_high[i])}


@dataclasses.dataclass(frozen=True)
class VerdictScore:
  """One verdict's track record over P pairs (see the module docstring)."""
  name: str
  text: str
  pairs: int
  decisive: int
  held: int
  contradicted: int
  inconclusive: int
  held_rate: float | None
  held_rate_ci: tuple[float, float] | None
  significant: int
  decisive_significant: int
  balanced_accuracy: float | None
  balanced_accuracy_ci: tuple[float, float] | None

  def to_dict(self) -> dict[str, Any]:
    return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class CriterionScore:
  """One criterion's scores: AUROC for gain > 0 on the n_significant pairs with a
  significant gain (bootstrap CI over students), the mean regret of choosing each
  student's top-ranked teacher (gain of its best teacher − gain of the chosen one; 0 is
  perfect) over `students` students with ≥ 2 teachers, and the leave-one-pair-out
  threshold rule's `VerdictScore`."""
  name: str
  text: str
  signed: bool
  auroc: float | None
  auroc_ci: tuple[float, float] | None
  n_significant: int
  regret: float | None
  regret_ci: tuple[float, float] | None
  students: int
  rule: VerdictScore

  def to_dict(self) -> dict[str, Any]:
    return dataclasses.asdict(self)


def _finite_or_none(x: float) -> float | None:
  return float(x) if np.isfinite(x) else None


def _interval(lo_hi: tuple[float, float]) -> tuple[float, float] | None:
  return None if not np.isfinite(lo_hi).all() else (float(lo_hi[0]), float(lo_hi[1]))


def _clusters(students: Sequence[str], items: np.ndarray) -> np.ndarray:
  """(len(items),) integer cluster ids of the items' students."""
  names = sorted(set(students))
  return np.asarray([names.index(students[i]) for i in items], np.int64)


def _both_sides(score: Any, predicted: np.ndarray, actual: np.ndarray) -> float:
  """score(predicted, actual) on a bootstrap replicate, NaN (dropped) unless `actual`
  has both signs (a replicate of one sign would score a constant rule 0 or 1)."""
  return score(predicted, actual) if len(set(np.asarray(actual).tolist())) == 2 \
      else float("nan")


def score_verdict(name: str, text: str, labels: Sequence[str], outcomes: Outcomes,
                  seed: int = 0) -> VerdictScore:
  """The track record of (P,) verdict labels against the measured test gains."""
  if len(labels) != len(outcomes.mean):
    raise ValueError(f"labels: expected {len(outcomes.mean)}, got {len(labels)}")
  found = [outcome_lib.prediction_outcome(label, outcomes.gain(i))
           for i, label in enumerate(labels)]
  counts = outcome_lib.outcome_counts(found)
  decided = counts["held"] + counts["contradicted"]
  sig = np.flatnonzero(outcomes.side != 0)
  predicted = np.asarray([sign(label) for label in labels], np.int64)
  actual = outcomes.side
  ba = (stats.balanced_accuracy(predicted[sig], actual[sig]) if len(sig) else float("nan"))
  ba_ci = stats.bootstrap_interval(
      lambda idx: _both_sides(stats.balanced_accuracy, predicted[sig][idx], actual[sig][idx]),
      len(sig), BOOTSTRAP, seed, groups=_clusters(outcomes.students, sig)) if len(sig) \
      else (float("nan"), float("nan"))
  return VerdictScore(
      name, text, len(labels), counts["decisive"], counts["held"], counts["contradicted"],
      counts["inconclusive"], counts["held"] / decided if decided else None,
      _interval(stats.clopper_pearson(counts["held"], decided)) if decided else None,
      len(sig), int(sum(found[i] is not None for i in sig)), _finite_or_none(ba),
      _interval(ba_ci))


def fit_threshold(values: np.ndarray, sides: np.ndarray) -> float:
  """The threshold τ on (m,) values that best separates (m,) sides (+1 / −1; 0 ignored)
  by balanced accuracy of sign(value − τ), midpoints between sorted values (the lowest
  best one); 0 when fewer than `MIN_FIT_PAIRS` usable items or one side is missing."""
  keep = (sides != 0) & np.isfinite(values)
  v, s = values[keep], sides[keep]
  if len(v) < MIN_FIT_PAIRS or len(set(s.tolist())) < 2:
    return 0.0
  cuts = np.unique(v)
  candidates = np.concatenate([[cuts[0] - 1.0], (cuts[:-1] + cuts[1:]) / 2, [cuts[-1] + 1.0]])
  scores = [stats.balanced_accuracy(np.where(v > c, 1, -1), s) for c in candidates]
  return float(candidates[int(np.argmax(scores))])


def threshold_labels(values: Sequence[float], fit_sides: Sequence[int],
                     ci: tuple[Sequence[float], Sequence[float]] | None = None
                     ) -> tuple[list[str], list[float]]:
  """Per pair, the verdict of a leave-one-pair-out threshold rule and its threshold.

  Args:
    values: (P,) the criterion (or a pilot's mean gain) per pair.
    fit_sides: (P,) the sides (+1 / −1 / 0) a threshold is fitted to: the pairs'
      validation gains. Pair i's threshold is fitted on the other pairs only.
    ci: optional (P,) lows and highs of `values`: then DISTIL needs low > τ and DO NOT
      DISTIL high < τ, else UNCERTAIN; without it, DISTIL when value > τ.

  Returns:
    ((P,) labels, (P,) thresholds); UNCERTAIN where the value is NaN.
  """
  v, s = np.asarray(values, np.float64), np.asarray(fit_sides, np.int64)
  labels, taus = [], []
  for i in range(len(v)):
    rest = np.arange(len(v)) != i
    tau = fit_threshold(v[rest], s[rest])
    taus.append(tau)
    if not np.isfinite(v[i]):
      labels.append(UNCERTAIN)
    elif ci is None:
      labels.append(DISTIL if v[i] > tau else DO_NOT_DISTIL)
    else:
      labels.append(LABELS[stats.ci_side(ci[0][i] - tau, ci[1][i] - tau)])
  return labels, taus


def student_regrets(values: np.ndarray, outcomes: Outcomes) -> np.ndarray:
  """(U,) per student with ≥ 2 teachers of finite value: the best teacher's mean test gain
  minus the gain of the teacher with the largest value (0: the criterion chose the best)."""
  losses = []
  for student in sorted(set(outcomes.students)):
    mine = [i for i, s in enumerate(outcomes.students)
            if s == student and np.isfinite(values[i])]
    if len(mine) >= 2:
      chosen = mine[int(np.argmax(values[mine]))]
      losses.append(float(np.max(outcomes.mean[mine]) - outcomes.mean[chosen]))
  return np.asarray(losses, np.float64)


def score_criterion(name: str, text: str, signed: bool, values: Sequence[float],
                    outcomes: Outcomes, rule_labels: Sequence[str] | None = None,
                    seed: int = 0) -> CriterionScore:
  """AUROC, regret and the threshold rule of one criterion's (P,) values (`rule_labels`:
  its `threshold_labels`, computed here when not given)."""
  v = np.asarray(values, np.float64)
  sig = np.flatnonzero((outcomes.side != 0) & np.isfinite(v))
  positive = outcomes.side[sig] > 0
  auc = stats.auroc(v[sig], positive) if len(sig) else float("nan")
  auc_ci = stats.bootstrap_interval(
      lambda idx: stats.auroc(v[sig][idx], positive[idx]), len(sig), BOOTSTRAP, seed,
      groups=_clusters(outcomes.students, sig)) if len(sig) else (np.nan, np.nan)
  losses = student_regrets(v, outcomes)
  loss = float(losses.mean()) if len(losses) else float("nan")
  loss_ci = stats.bootstrap_interval(lambda idx: float(losses[idx].mean()), len(losses),
                                     BOOTSTRAP, seed) if len(losses) else (np.nan, np.nan)
  labels = (threshold_labels(v, outcomes.val_side)[0] if rule_labels is None
            else rule_labels)
  rule = score_verdict(f"rule:{name}", f"{text} above a threshold fitted on the other "
                       "pairs' validation gains", labels, outcomes, seed)
  return CriterionScore(name, text, signed, _finite_or_none(auc), _interval(auc_ci),
                        len(sig), _finite_or_none(loss), _interval(loss_ci), len(losses),
                        rule)
