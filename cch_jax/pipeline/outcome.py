"""Measured outcomes of a student population, and how well the predictions held.

  rows = paired_gains(members, test_score)        # one row per (teacher, λ, T, β)
  best = recommend(paired_gains(members, val_score))  # per teacher: λ, T by validation
  prediction_outcome("distil", row["gain"])           # 'held' | 'contradicted' |
                                                      # 'inconclusive' (None: 'uncertain')
  rank_with_ties({name: units_of(row), ...})          # paired differences, rank intervals
  agreement(gaps, rows, labels)                       # sign match, outcomes, Spearman

A gain is paired: KD student minus the baseline of the same seed (same initialisation and
batch order), so seed-to-seed variation of the baseline cancels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from cch_jax import kd
from cch_jax.pipeline import verdict as verdict_lib
from cch_jax.utils import stats

HELD, CONTRADICTED, INCONCLUSIVE = "held", "contradicted", "inconclusive"
OUTCOMES = (HELD, CONTRADICTED, INCONCLUSIVE)
"""A prediction's outcome, judged by the measured gain's 95% CI (`prediction_outcome`)."""


def summary(values: Sequence[float]) -> dict[str, Any]:
  """mean, std (ddof 1), se, 95% Student-t CI and per_seed of a few per-seed values
  (`stats.t_interval`: std 0, se and CI NaN for one value)."""
  v = np.asarray(values, np.float64)
  return stats.t_interval(v)._asdict() | {"per_seed": v.tolist()}


def paired_gains(members: kd.Members, accuracy: Any,
                 resampled: tuple[int, int] | None = None) -> list[dict[str, Any]]:
  """Per KD setting, the KD and baseline accuracies and the paired gain.

  A KD member is paired with the baseline of its (split, seed). With one split the
  summaries are over seeds. With S > 1 splits they are over the S per-split means (their
  'per_split' replaces 'per_seed'), so standard errors and CIs carry the split-to-split
  variation (which dominates on small data), and 'sign_stable' says whether the gain's
  sign held on every split (None for one split). The S splits re-split one data set, so
  their means are correlated: with `resampled` = (n_train, n_test) the CI is the
  corrected resampled t of Nadeau & Bengio (`stats.resampled_t_interval`).

  Args:
    members: the population's `kd.Members` (e.g. `kd.paired_grid`).
    accuracy: (M,) per-member accuracy (test or validation).
    resampled: optional (training rows, evaluation rows) of each split.

  Returns:
    One dict per (teacher, λ, T, β), in grid order: teacher, lam, temperature, beta,
    seeds, splits, 'kd', 'baseline', 'gain' `summary` dicts, 'per_split' (S,) mean gains
    and 'sign_stable' (every split's mean gain has the same sign; None for one split).
  """
  acc = np.asarray(accuracy, np.float64)
  teacher, split = np.asarray(members.teacher), np.asarray(members.split)
  is_base = np.asarray(members.baseline, bool)
  unit = list(zip(split.tolist(), np.asarray(members.seed).tolist()))
  base = {u: a for u, a, b in zip(unit, acc, is_base) if b}
  keys = [(int(t), float(l), float(temp), float(b)) for t, l, temp, b in zip(
      teacher, members.lam, members.temperature, members.beta)]
  rows = []
  for setting in dict.fromkeys(k for k, b in zip(keys, is_base) if not b):
    pick = np.flatnonzero([k == setting and not b for k, b in zip(keys, is_base)])
    units = [unit[i] for i in pick]
    missing = sorted(set(units) - set(base))
    if missing:
      raise ValueError(f"members: no baseline for (split, seed) {missing}")
    kd_acc, base_acc = acc[pick], np.asarray([base[u] for u in units])
    splits = split[pick]
    means = lambda v: [float(v[splits == s].mean()) for s in np.unique(splits)]
    per_split = means(kd_acc - base_acc)
    several = len(per_split) > 1
    stats_of = (lambda v: _split_summary(means(v), resampled)) if several else summary
    rows.append({"teacher": setting[0], "lam": setting[1], "temperature": setting[2],
                 "beta": setting[3], "seeds": sorted({u[1] for u in units}),
                 "splits": len(per_split), "kd": stats_of(kd_acc),
                 "baseline": stats_of(base_acc), "gain": stats_of(kd_acc - base_acc),
                 "per_split": per_split,
                 "sign_stable": bool(len({np.sign(g) for g in per_split}) == 1)
                 if several else None})
  return rows


def _split_summary(per_split: Sequence[float], resampled: tuple[int, int] | None = None
                   ) -> dict[str, Any]:
  """`summary` over per-split means, keyed 'per_split' instead of 'per_seed' (the
  Nadeau–Bengio CI with `resampled` = (n_train, n_test))."""
  v = np.asarray(per_split, np.float64)
  interval = (stats.t_interval(v) if resampled is None
              else stats.resampled_t_interval(v, *resampled))
  return interval._asdict() | {"per_split": v.tolist()}


def find(rows: Sequence[Mapping[str, Any]], teacher: int, lam: float, temperature: float
         ) -> Mapping[str, Any]:
  """The row of (teacher, λ, T) (β ignored; the first match)."""
  for row in rows:
    if (row["teacher"] == teacher and np.isclose(row["lam"], lam)
        and np.isclose(row["temperature"], temperature)):
      return row
  raise KeyError(f"no KD setting teacher={teacher}, lam={lam}, temperature={temperature}")


def recommend(val_rows: Sequence[Mapping[str, Any]]) -> dict[int, dict[str, Any]]:
  """Per teacher, the (λ, T) with the largest mean paired validation gain; λ = 0 (do not
  distil; its gain over the baseline is 0) when no setting beats the baseline.

  Returns:
    {teacher: {'lam', 'temperature', 'val_gain' (of the recommendation),
     'best_val_gain' (of the sweep's best setting)}}.
  """
  out: dict[int, dict[str, Any]] = {}
  for row in val_rows:
    g = row["gain"]["mean"]
    if row["teacher"] not in out or g > out[row["teacher"]]["best_val_gain"]:
      out[row["teacher"]] = {"lam": row["lam"], "temperature": row["temperature"],
                             "val_gain": g, "best_val_gain": g}
  for best in out.values():
    if best["best_val_gain"] <= 0:
      best.update(lam=0.0, temperature=1.0, val_gain=0.0)
  return out


def members_where(members: kd.Members, keep: Any) -> kd.Members:
  """The members where the (M,) boolean mask `keep` is True."""
  keep = np.asarray(keep, bool)
  return members.replace(**{f: np.asarray(getattr(members, f))[keep]
                            for f in members.__dataclass_fields__})


def recommend_held_out(members: kd.Members, val_score: Any, test_score: Any,
                       reference: tuple[float, float],
                       resampled: tuple[int, int] | None = None) -> dict[int, dict[str, Any]]:
  """Per teacher, (λ, T) chosen on one half of the seeds and reported on the other, so
  the reported gain carries no winner's curse.

  The selection half (seeds at even positions of the sorted seeds) picks the setting with
  the largest mean paired validation gain; it is recommended only if that gain's CI lies
  above 0, else λ = 0 (do not distil: gain 0). The report half (odd positions) gives the
  recommendation's test gain and the reference setting's, both `summary` dicts.

  Args:
    members, val_score, test_score: the population and its (M,) scores (≥ 2 seeds).
    reference: the fixed (λ, T) the recommendation is compared with.
    resampled: as `paired_gains`.

  Returns:
    {teacher: {'lam', 'temperature', 'selection_gain' (validation, selection half),
     'test_gain', 'reference_test_gain' (report half), 'selection_seeds', 'report_seeds'}}.
  """
  seeds = sorted(set(np.asarray(members.seed).tolist()))
  if len(seeds) < 2:
    raise ValueError(f"kd.seeds: expected at least 2 seeds (one half selects λ and T, the "
                     f"other reports their gain), got {len(seeds)}")
  halves = seeds[0::2], seeds[1::2]
  mask = [np.isin(np.asarray(members.seed), h) for h in halves]
  pick = paired_gains(members_where(members, mask[0]), np.asarray(val_score)[mask[0]],
                      resampled)
  report = paired_gains(members_where(members, mask[1]), np.asarray(test_score)[mask[1]],
                        resampled)
  zero = {"mean": 0.0, "ci_low": 0.0, "ci_high": 0.0}
  out = {}
  for teacher in dict.fromkeys(r["teacher"] for r in pick):
    best = max((r for r in pick if r["teacher"] == teacher), key=lambda r: r["gain"]["mean"])
    go = best["gain"]["ci_low"] > 0
    out[teacher] = {
        "lam": best["lam"] if go else 0.0, "temperature": best["temperature"] if go else 1.0,
        "selection_gain": best["gain"],
        "test_gain": find(report, teacher, best["lam"], best["temperature"])["gain"]
        if go else zero,
        "reference_test_gain": find(report, teacher, *reference)["gain"],
        "selection_seeds": list(halves[0]), "report_seeds": list(halves[1])}
  return out


def prediction_outcome(label: str, gain: Mapping[str, Any]) -> str | None:
  """How a prediction fared against a measured gain `summary` ({'ci_low', 'ci_high'}):
  HELD when the gain's 95% CI lies on the predicted side of 0, CONTRADICTED when it lies
  on the other side, INCONCLUSIVE when it covers 0 (or is NaN); None for an 'uncertain'
  prediction (nothing to check)."""
  predicted = verdict_lib.sign(label)
  if predicted == 0:
    return None
  side = stats.ci_side(gain["ci_low"], gain["ci_high"])
  return HELD if side == predicted else CONTRADICTED if side == -predicted else INCONCLUSIVE


def outcome_counts(outcomes: Sequence[str | None]) -> dict[str, int]:
  """{'verdicts', 'decisive', 'held', 'contradicted', 'inconclusive'} of a list of
  `prediction_outcome`s (None: an 'uncertain' verdict, counted in 'verdicts' only)."""
  decided = [o for o in outcomes if o is not None]
  return {"verdicts": len(outcomes), "decisive": len(decided),
          **{word: decided.count(word) for word in OUTCOMES}}


def gain_verdict(gain: Mapping[str, Any]) -> str:
  """The verdict a measured gain `summary` gives by its CI: DISTIL above 0, DO_NOT_DISTIL
  below, UNCERTAIN covering 0 (a pilot's verdict)."""
  return verdict_lib.LABELS[stats.ci_side(gain["ci_low"], gain["ci_high"])]


def rank_with_ties(units: Mapping[str, Sequence[float]]) -> list[dict[str, Any]]:
  """Candidates ranked by paired differences, with ties and rank intervals.

  Args:
    units: {name: (U,) values on shared units} (e.g. a teacher's per-split mean gains:
      unit u is the same split, seeds and baseline for every name, so differences pair).

  Returns:
    One row per name, by decreasing mean: name, mean, rank (1 = best mean), rank_low and
    rank_high (1 + the names whose paired difference CI lies above this one's; the count
    of names minus those lying below), tied_with (names whose difference CI covers 0) and
    differences {other: `summary` of name − other over the units (95% Student-t CI)}.
  """
  names = sorted(units, key=lambda n: -float(np.mean(units[n])))
  diff = {(a, b): summary(np.subtract(units[a], units[b])) for a in names for b in names
          if a != b}
  rows = []
  for r, a in enumerate(names):
    sides = {b: stats.ci_side(diff[(a, b)]["ci_low"], diff[(a, b)]["ci_high"])
             for b in names if b != a}
    rows.append({"name": a, "mean": float(np.mean(units[a])), "rank": r + 1,
                 "rank_low": 1 + sum(s == -1 for s in sides.values()),
                 "rank_high": len(names) - sum(s == 1 for s in sides.values()),
                 "tied_with": [b for b, s in sides.items() if s == 0],
                 "differences": {b: diff[(a, b)] for b in sides}})
  return rows


def units_of(row: Mapping[str, Any]) -> list[float]:
  """The values a `paired_gains` row's gain summary is over: per-split mean gains (S > 1)
  or per-seed gains (one split)."""
  return list(row["per_split"] if row["splits"] > 1 else row["gain"]["per_seed"])


def agreement(gaps: Sequence[float], rows: Sequence[Mapping[str, Any]],
              labels: Sequence[str]) -> dict[str, Any]:
  """How the CCH's predictions compare with measured gains over several teachers.

  Args:
    gaps: (G,) primary gaps. rows: (G,) `paired_gains` rows at the reference setting.
    labels: (G,) verdict labels.

  Returns:
    {'sign_match_rate', 'n': sign(gap) vs sign(mean gain) over all teachers;
     'outcomes': `outcome_counts` of the verdicts; 'significant_sign_match_rate',
     'n_significant': sign match among teachers whose gain CI excludes 0; 'spearman',
     'spearman_p' (gap vs mean gain, None below 3 teachers); 'top_ranked' (largest gap),
     'best' (largest mean gain), 'top_ranked_is_best', 'top_ranked_tied_with_best' (the
     paired difference of their gains has a CI covering 0, or they are the same)}.
  """
  gaps = np.asarray(gaps, np.float64)
  gains = [r["gain"] for r in rows]
  means = np.asarray([g["mean"] for g in gains])
  match = np.sign(gaps) == np.sign(means)
  significant = np.asarray([stats.ci_side(g["ci_low"], g["ci_high"]) != 0 for g in gains])
  rate = lambda x: float(np.mean(x)) if len(x) else None
  top, best = int(np.argmax(gaps)), int(np.argmax(means))
  rho, p = stats.spearman(gaps, means)
  difference = summary(np.subtract(units_of(rows[top]), units_of(rows[best])))
  return {"sign_match_rate": rate(match), "n": len(gaps),
          "outcomes": outcome_counts([prediction_outcome(label, g)
                                      for label, g in zip(labels, gains)]),
          "significant_sign_match_rate": rate(match[significant]),
          "n_significant": int(significant.sum()),
          "spearman": rho, "spearman_p": p, "top_ranked": top, "best": best,
          "top_ranked_is_best": top == best,
          "top_ranked_tied_with_best": top == best or stats.ci_side(
              difference["ci_low"], difference["ci_high"]) == 0}
