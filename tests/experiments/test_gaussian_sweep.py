import json

import numpy as np
import pytest

from cch_jax.experiments.gaussian_sweep import report, results, run


def test_tiny_run_end_to_end_writes_every_output(tmp_path, launch):
  run = launch("--config=configs/gaussian_sweep.py:tiny", "--config.sweep.n_seeds=6",
                workdir=tmp_path)
  assert run.returncode == 0, run.stderr[-3000:]
  assert "gaussian_sweep: sign(CCH gap) matched sign(exact ΔR)" in run.stdout
  for name in ("config.json", "results.json", "cells.npz", "report.md", "gain_vs_gap.png",
               "lambda_star.png", "agreement.png"):
    assert (tmp_path / name).stat().st_size > 0, name
  config = json.loads((tmp_path / "config.json").read_text())
  assert config["sweep"]["n_seeds"] == 6  # the override reached the run
  results = json.loads((tmp_path / "results.json").read_text())
  counts = results["summary"]["counts"]
  assert counts["cells_per_ratio"] == 12 and counts["valid_cells"] == 2 * (12 - counts[
      "invalid_cells_per_ratio"])
  assert 0.0 <= results["summary"]["agreement_cch_vs_exact"] <= 1.0
  cells = np.load(tmp_path / "cells.npz")
  assert cells["gain"].shape == (2, 12, 2) and cells["sim_gain"].shape == (2, 12, 3)


def test_mistyped_config_field_fails_loudly(tmp_path, launch):
  run = launch("--config=configs/gaussian_sweep.py:tiny", "--config.sweep.lamdbas=(0.5,)",
                workdir=tmp_path)
  assert run.returncode != 0 and "lamdbas" in run.stderr
  assert not (tmp_path / "results.json").exists()


def _table():
  """2 ratios x 3 cells (the last invalid) x 1 λ."""
  return {
      "lambdas": np.array([0.5]), "n_over_d2": np.array([2.0, 4.0]), "n": np.array([8, 16]),
      "valid": np.array([True, True, False]),
      "rho_ts": np.array([0.1, 0.8, 0.9]), "rho_sy": np.array([0.5, 0.5, 0.9]),
      "rho_ty": np.array([0.5, 0.5, 0.5]), "teacher_scale": np.ones(3),
      "gap": np.array([[-0.2, 0.3, np.nan], [-0.2, 0.3, np.nan]]),
      "gain": np.array([[[0.1], [0.2], [np.nan]], [[-0.1], [0.2], [np.nan]]]),
      "margin": np.array([[1.0, 1.0, np.nan], [1.0, 1.0, np.nan]]),
      "lam_star": np.full((2, 3), 0.5), "gain_star": np.full((2, 3), 0.1),
      "r0": np.ones((2, 3)),
      "sim_gain": np.array([[[0.1, 0.1], [0.2, 0.2], [np.nan] * 2],
                            [[-0.1, 0.0], [0.2, 0.2], [np.nan] * 2]]),
      "sim_gain_se": np.full((2, 3, 2), 0.01),
  }


def test_summary_counts_agreement_on_a_hand_built_table():
  table = _table()
  s = results.summarise(table, report_lambda=0.5)
  assert s["counts"]["valid_cells"] == 4 and s["counts"]["invalid_cells_per_ratio"] == 1
  # CCH: no, go; exact: helps, helps (ratio 2) and hurts, helps (ratio 4) -> 3 of 4 agree.
  assert s["agreement_cch_vs_exact"] == pytest.approx(0.75)
  np.testing.assert_allclose(s["agreement_by_ratio_lambda"], [[0.5], [1.0]])
  assert s["missed_by_lambda"][0] == pytest.approx(0.25)
  assert s["rule_confusion"] == {"cch_go_rule_helps": 2, "cch_go_rule_hurts": 0,
                                 "cch_no_rule_helps": 2, "cch_no_rule_hurts": 0}
  np.testing.assert_allclose(s["simulation"]["exact_inside_ci_by_lambda"], [1.0])
  with pytest.raises(ValueError, match="config.report_lambda"):
    results.summarise(table, report_lambda=0.3)


def test_training_sizes_reject_ratios_without_enough_samples():
  assert run.training_sizes((2.0, 4.0), 8) == [16, 32]
  with pytest.raises(ValueError, match=r"config.sweep.n_over_d2: ratios \[1.0\]"):
    run.training_sizes((1.0, 4.0), 8)


def test_headline_and_report_rows_of_the_hand_built_table():
  s = results.summarise(_table(), report_lambda=0.5)
  assert report.headline(s) == (
      "gaussian_sweep: sign(CCH gap) matched sign(exact ΔR) in 75% of 4 valid cells at "
      "λ=0.5 (CCH vs exact rule Cov(y, y − t | x2) > 0: 50%); exact ΔR inside the "
      "simulated 95% CI in 100% of cells")
  config = run_config()
  text = report.markdown(s, config)
  assert "| 2 | 0.500 |\n| 4 | 1.000 |\n| all | 0.750 |" in text
  assert "| CCH: distil | 2 | 0 |\n| CCH: don't | 2 | 0 |" in text
  assert "| 2 | 0.500 | 0.500 | 0.500 | 0.100 |" in text  # λ* quartiles, ΔR(λ*)/R0


def run_config():
  import importlib.util
  spec = importlib.util.spec_from_file_location("c", "configs/gaussian_sweep.py")
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module.get_config("tiny")
