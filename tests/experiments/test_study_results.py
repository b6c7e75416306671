"""The study's results and report builders on hand-made inputs with known answers."""

import numpy as np
import pytest

from cch_jax import kd
from cch_jax.experiments.common import config as blocks
from cch_jax.experiments.study import report, results
from tests.experiments.fakes import analysis

HEADER = {"experiment": "cch_blur", "student_view": "s", "teacher_views": ["a", "b"],
          "source": "fake", "n_classes": 10, "splits": 3, "seeds": 2,
          "n": {"train": 60, "validation": 20, "test": 20},
          "analysis": {"split": "validation+test", "n": 40, "label_estimator": "label_knn",
                       "reduce_dim": 8}, "config": {}, "metadata": {}}
ACCURACY = [{"train": 1.0, "validation": 0.9, "test": 0.85},
            {"train": 0.9, "validation": 0.7, "test": 0.6}]
# kd.paired_grid([0.5], [3.0], range(2), 0.0, 2, splits=3): per (split, seed) a baseline,
# KD from a, KD from b. Gains (KD − baseline) per split, seeds 0 and 1: from 'a' +0.05
# +0.03 on every split (per split +0.04), from 'b' −0.02 −0.02; on validation 'a' +0.02
# +0.03, 'b' −0.01 −0.02; in the pilot 'a' +0.01, 'b' −0.01 then +0.01.
MEMBERS = kd.paired_grid([0.5], [3.0], range(2), 0.0, 2, splits=3)
T_975_2 = 4.302652729911275  # Student-t 97.5% quantile, 2 degrees of freedom
GAINS = {"test": {0: (0.05, 0.03), 1: (-0.02, -0.02)},
         "val": {0: (0.02, 0.03), 1: (-0.01, -0.02)},
         "pilot": {0: (0.01, 0.01), 1: (-0.01, 0.01)}}


def _accuracy(kind):
  base = lambda m: 0.7 + 0.05 * int(MEMBERS.split[m]) + 0.01 * int(MEMBERS.seed[m])
  return [base(m) + (0.0 if MEMBERS.baseline[m] else
                     GAINS[kind][int(MEMBERS.teacher[m])][int(MEMBERS.seed[m])])
          for m in range(len(MEMBERS))]


class _Population:
  test_score, val_score = _accuracy("test"), _accuracy("val")
  curves = {"loss": np.zeros((18, 50))}  # 50 steps


def _study(train=True):
  # 'b' has the larger gap on both splits.
  found = [analysis((-0.1, -0.3, 0.1), (0.1, -0.1, 0.3), (-0.3, -0.5, -0.1)),
           analysis((0.2, 0.1, 0.3), (0.3, 0.2, 0.4), (0.25, 0.15, 0.35))]
  out = results.analysis_results(HEADER, ACCURACY, {"test": 0.5}, found, [])
  if train:
    monitor = {"steps": [], "estimators": "ksg − label_knn", "kd": {}, "baseline": {},
               "sign_flips": {}}
    results.add_training(out, blocks.kd_block(seeds=2), MEMBERS, _Population(),
                         _accuracy("pilot"), None, 1.0, 10, monitor)
  return out


def test_teachers_are_ranked_by_pooled_gap_and_the_top_one_is_hoisted():
  out = _study(train=False)
  assert out["ranking"] == ["b", "a"]
  assert [t["rank"] for t in out["teachers"]] == [2, 1]
  assert out["teacher_view"] == "b" and out["verdict"] == "distil"
  gap = out["gap"]  # mean of 0.2, 0.3, 0.25 ± t(2 dof)·0.05/√3
  assert gap["value"] == pytest.approx(0.25) and gap["per_split"] == [0.2, 0.3, 0.25]
  assert gap["ci_low"] == pytest.approx(0.25 - T_975_2 * 0.05 / 3 ** 0.5)
  assert gap["per_estimator"]["ksg"]["value"] == pytest.approx(0.25)
  assert out["teachers"][0]["verdict"] == "uncertain"  # −0.1, 0.1, −0.3: covers 0
  assert out["teachers"][0]["verdicts_per_split"] == ["uncertain", "uncertain",
                                                      "do not distil"]
  assert out["teachers"][1]["verdicts_per_split"] == ["distil"] * 3
  # b − a = +0.3, +0.2, +0.55 on the splits: a paired difference CI covering 0, a tie.
  ranking = {r["name"]: r for r in out["gap_ranking"]}
  assert ranking["b"]["rank"] == 1 and ranking["b"]["tied_with"] == ["a"]
  assert (ranking["b"]["rank_low"], ranking["b"]["rank_high"]) == (1, 2)
  assert ranking["b"]["differences"]["a"]["mean"] == pytest.approx(0.35)
  assert out["analysis"]["primary"] == "ksg" and out["analysis"]["estimators"] == ["ksg"]
  assert "kd_gain" not in out


def test_training_adds_outcomes_by_ci_the_pilot_and_recommendations():
  out = _study()
  a, b = out["teachers"]
  assert a["kd_gain"]["per_split"] == pytest.approx([0.04] * 3)
  assert a["kd_gain"]["ci_low"] == pytest.approx(0.04)  # no spread between splits
  assert b["kd_gain"]["per_split"] == pytest.approx([-0.02] * 3)
  assert a["outcome"] is None  # 'uncertain': nothing to check
  assert b["outcome"] == "contradicted"  # 'distil', gain CI below 0
  assert out["outcome"] == "contradicted" and out["teacher_view"] == "b"
  assert a["pilot"]["label"] == "distil" and a["pilot"]["outcome"] == "held"
  assert b["pilot"]["label"] == "uncertain" and b["pilot"]["outcome"] is None
  assert b["pilot"]["gain"]["mean"] == pytest.approx(0.0, abs=1e-12)
  assert out["pilot_step"] == {"step": 10, "steps": 50, "compute_share": 0.2}
  assert a["recommended"]["lam"] == 0.5
  assert a["recommended"]["test_gain"]["mean"] == pytest.approx(0.04)
  assert b["recommended"]["lam"] == 0.0 and b["recommended"]["test_gain"] is None
  assert out["agreement"]["outcomes"]["contradicted"] == 1
  ranking = {r["name"]: r for r in out["gain_ranking"]}
  assert ranking["a"]["rank"] == 1 and (ranking["a"]["rank_low"], ranking["a"]["rank_high"]) \
      == (1, 1)
  assert out["members"]["teacher"][:6] == [0, 0, 1, 0, 0, 1]
  assert len(out["member_test_score"]) == 18


def test_report_rows_and_one_line():
  out = _study()
  text = report.markdown(out, ["terms.png"])
  assert "| 1 | b | 0.600 | +0.750 [" in text
  assert "| distil | -0.020 [-0.020, -0.020] | contradicted | uncertain | – |" in text
  assert "| 2 | a | 0.850 |" in text
  assert "(sd over the means of 3 splits × 2 seeds)" in text
  assert "| sign(gap) = sign(mean gain), all teachers | 0.00 (0/2) |" in text
  assert "![terms.png](terms.png)" in text
  line = report.one_line(out, "R")
  assert line.startswith("cch_blur: teacher 'b' -> student 's': CCH predicted DISTIL (gap "
                         "+0.250 [")
  assert ("; pilot UNCERTAIN (validation gain +0.000 [" in line
          and "CCH prediction contradicted, pilot nothing to check; recommended λ=0, T=1; "
          "over the teachers: CCH held 0, contradicted 1, inconclusive 0 of 1 decisive, "
          "pilot held 1, contradicted 0, inconclusive 0 of 1 decisive; report: R" in line)


def test_analysis_only_report_has_no_training_sections():
  text = report.markdown(_study(train=False), [])
  assert "## Teachers, ranked by gap" in text and "## Students" not in text
  assert "| 1 | b | 0.600 |" in text and text.rstrip().endswith("## Plots")
