"""Measured outcomes of a student population, and how well the predictions held.

  rows = paired_gains(members, test_accuracy)        # one row per (teacher, λ, T, β)
  best = recommend(paired_gains(members, val_accuracy))  # per teacher: λ, T by validation
  prediction_held("distil", +0.02)                    # True
  agreement(gaps, gains, labels)                      # sign match, Spearman, top-ranked

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


def summary(values: Sequence[float]) -> dict[str, Any]:
  """mean, std (ddof 1), se, 95% Student-t CI and per_seed of a few per-seed values
  (`stats.t_interval`: std 0, se and CI NaN for one value)."""
  v = np.asarray(values, np.float64)
  return stats.t_interval(v)._asdict() | {"per_seed": v.tolist()}


def paired_gains(members: kd.Members, accuracy: Any) -> list[dict[str, Any]]:
  """Per KD setting, the KD and baseline accuracies and the paired gain.

  A KD member is paired with the baseline of its (split, seed). With one split the
  summaries are over seeds. With S > 1 splits they are over the S per-split means (their
  'per_split' replaces 'per_seed'), so standard errors and CIs carry the split-to-split
  variation (which dominates on small data), and 'sign_stable' says whether the gain's
  sign held on every split (None for one split).

  Args:
    members: the population's `kd.Members` (e.g. `kd.paired_grid`).
    accuracy: (M,) per-member accuracy (test or validation).

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
    stats_of = lambda v: _split_summary(means(v)) if several else summary(v)
    rows.append({"teacher": setting[0], "lam": setting[1], "temperature": setting[2],
                 "beta": setting[3], "seeds": sorted({u[1] for u in units}),
                 "splits": len(per_split), "kd": stats_of(kd_acc),
                 "baseline": stats_of(base_acc), "gain": stats_of(kd_acc - base_acc),
                 "per_split": per_split,
                 "sign_stable": bool(len({np.sign(g) for g in per_split}) == 1)
                 if several else None})
  return rows


def _split_summary(per_split: Sequence[float]) -> dict[str, Any]:
  """`summary` over per-split means, keyed 'per_split' instead of 'per_seed'."""
  out = summary(per_split)
  out["per_split"] = out.pop("per_seed")
  return out


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


def prediction_held(label: str, gain: float) -> bool | None:
  """Whether the verdict's sign matches the measured mean gain's (None: 'uncertain' or a
  gain of exactly 0, where there is nothing to check)."""
  predicted = verdict_lib.sign(label)
  if predicted == 0 or gain == 0:
    return None
  return bool(np.sign(gain) == predicted)


def agreement(gaps: Sequence[float], gains: Sequence[Mapping[str, Any]],
              labels: Sequence[str]) -> dict[str, Any]:
  """How the CCH's predictions compare with measured gains over several teachers.

  Args:
    gaps: (G,) primary gaps. gains: (G,) gain `summary` dicts at the reference setting.
    labels: (G,) verdict labels.

  Returns:
    {'sign_match_rate', 'n': sign(gap) vs sign(mean gain) over all teachers;
     'decisive_held_rate', 'n_decisive': held predictions among decisive verdicts;
     'significant_sign_match_rate', 'n_significant': sign match among teachers whose gain
     CI excludes 0; 'spearman', 'spearman_p' (gap vs mean gain, None below 3 teachers);
     'top_ranked', 'best', 'top_ranked_is_best', 'top_within_ci_of_best'}.
  """
  gaps = np.asarray(gaps, np.float64)
  means = np.asarray([g["mean"] for g in gains])
  match = np.sign(gaps) == np.sign(means)
  held = [prediction_held(label, m) for label, m in zip(labels, means)]
  decided = [h for h in held if h is not None]
  significant = np.asarray([stats.ci_side(g["ci_low"], g["ci_high"]) != 0 for g in gains])
  rate = lambda x: float(np.mean(x)) if len(x) else None
  top, best = int(np.argmax(gaps)), int(np.argmax(means))
  rho, p = stats.spearman(gaps, means)
  return {"sign_match_rate": rate(match), "n": len(gaps),
          "decisive_held_rate": rate(decided), "n_decisive": len(decided),
          "significant_sign_match_rate": rate(match[significant]),
          "n_significant": int(significant.sum()),
          "spearman": rho, "spearman_p": p, "top_ranked": top, "best": best,
          "top_ranked_is_best": top == best,
          "top_within_ci_of_best": bool(gains[top]["ci_high"] >= means[best])
          if np.isfinite(gains[top]["ci_high"]) else top == best}
