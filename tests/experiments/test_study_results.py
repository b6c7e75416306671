"""The study's results and report builders on hand-made inputs with known answers."""

import pytest

from cch_jax import kd
from cch_jax.experiments.common import config as blocks
from cch_jax.experiments.study import report, results
from tests.experiments.fakes import analysis

HEADER = {"experiment": "cch_blur", "student_view": "s", "teacher_views": ["a", "b"],
          "source": "fake", "n_classes": 10, "n": {"train": 60, "validation": 20, "test": 20},
          "analysis": {"split": "validation+test", "n": 40, "label_estimator": "label_knn",
                       "reduce_dim": 8}, "config": {}, "metadata": {}}
ACCURACY = [{"train": 1.0, "validation": 0.9, "test": 0.85},
            {"train": 0.9, "validation": 0.7, "test": 0.6}]
# Members of kd.paired_grid([0.5], [3.0], range(2), 0.0, 2): per seed baseline, KD from
# a, KD from b. Test accuracies: KD from 'a' gains +0.05 and +0.03, KD from 'b' −0.02 twice.
TEST_ACCURACY = [0.80, 0.85, 0.78, 0.82, 0.85, 0.80]
VAL_ACCURACY = [0.80, 0.82, 0.79, 0.80, 0.83, 0.78]
T_975_1 = 12.706204736174698  # Student-t 97.5% quantile, 1 degree of freedom


def _study(train=True):
  found = [analysis(-0.1, -0.3, 0.1), analysis(0.2, 0.1, 0.3)]  # 'b' has the larger gap
  out = results.analysis_results(HEADER, ACCURACY, {"test": 0.5}, found, [])
  if train:
    members = kd.paired_grid([0.5], [3.0], range(2), 0.0, 2)
    monitor = {"steps": [], "estimators": "ksg − label_knn", "kd": {}, "baseline": {},
               "sign_flips": {}}
    results.add_training(out, blocks.kd_block(seeds=2), members, VAL_ACCURACY,
                         TEST_ACCURACY, monitor)
  return out


def test_teachers_are_ranked_by_gap_and_the_top_one_is_hoisted():
  out = _study(train=False)
  assert out["ranking"] == ["b", "a"]
  assert [t["rank"] for t in out["teachers"]] == [2, 1]
  assert out["teacher_view"] == "b" and out["verdict"] == "distil"
  assert out["gap"] == {"value": 0.2, "ci_low": 0.1, "ci_high": 0.3, "per_estimator": {
      "ksg": {"value": 0.2, "ci_low": 0.1, "ci_high": 0.3, "ci": "halves"}}}
  assert out["teachers"][0]["verdict"] == "uncertain"
  assert out["analysis"]["primary"] == "ksg" and out["analysis"]["estimators"] == ["ksg"]
  assert "kd_gain" not in out


def test_training_adds_paired_gains_held_predictions_and_recommendations():
  out = _study()
  a, b = out["teachers"]
  assert a["kd_gain"]["per_seed"] == pytest.approx([0.05, 0.03])
  assert a["kd_gain"]["mean"] == pytest.approx(0.04)
  assert a["kd_gain"]["ci_low"] == pytest.approx(0.04 - T_975_1 * 0.01)
  assert b["kd_gain"]["per_seed"] == pytest.approx([-0.02, -0.02])
  assert a["prediction_held"] is None  # 'uncertain': nothing to check
  assert b["prediction_held"] is False  # 'distil', mean gain −0.02
  assert out["prediction_held"] is False and out["teacher_view"] == "b"
  assert a["recommended"]["lam"] == 0.5 and a["recommended"]["val_gain"] == pytest.approx(0.025)
  assert b["recommended"] == {"lam": 0.0, "temperature": 1.0, "val_gain": 0.0,
                              "best_val_gain": pytest.approx(-0.015), "test_gain": None}
  assert out["agreement"]["n"] == 2 and out["agreement"]["sign_match_rate"] == 0.0  # both signs opposite
  assert out["members"]["teacher"] == [0, 0, 1, 0, 0, 1]


def test_report_rows_and_one_line():
  out = _study()
  text = report.markdown(out, ["terms.png"])
  assert ("| 1 | b | 0.600 | +0.700 [+0.600, +0.800] | +0.500 [+0.400, +0.600] | "
          "+0.200 [+0.100, +0.300] | distil | -0.020 [-0.020, -0.020] | no |") in text
  assert "| 2 | a | 0.850 |" in text
  assert "Baseline student (λ = 0) test accuracy 0.810 ± 0.014 over 2 seeds." in text
  assert "| sign(gap) = sign(mean gain), all teachers | 0.00 (0/2) |" in text
  assert "![terms.png](terms.png)" in text
  assert report.one_line(out, "R") == (
      "cch_blur: teacher 'b' -> student 's': predicted DISTIL (gap +0.200 [+0.100, +0.300] "
      "nats); measured KD gain -0.020 [-0.020, -0.020] (prediction failed); recommended "
      "λ=0, T=1; gap sign matched the gain's for 0/2 teachers; report: R")


def test_analysis_only_report_has_no_training_sections():
  text = report.markdown(_study(train=False), [])
  assert "## Teachers, ranked by gap" in text and "## Students" not in text
  assert "| 1 | b | 0.600 |" in text and text.rstrip().endswith("## Plots")
