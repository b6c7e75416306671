import json

import numpy as np
import pytest

from cch_jax import kd
from cch_jax.experiments import kd_pair


def test_tiny_run_end_to_end_then_resumes_as_a_no_op(tmp_path, launch):
  args = ("--config=configs/kd_pair.py:tiny", "--config.data.student=blur:sigma=1.5")
  run = launch(*args, workdir=tmp_path)
  assert run.returncode == 0, run.stderr[-3000:]
  assert "kd_pair: teacher 'clean' test accuracy" in run.stdout
  for name in ("config.json", "results.json", "report.md", "students.png",
               "teacher/metrics.jsonl"):
    assert (tmp_path / name).stat().st_size > 0, name
  results = json.loads((tmp_path / "results.json").read_text())
  assert results["student_view"] == "blur:sigma=1.5"
  assert len(results["members"]["seed"]) == 4  # 2 seeds × (baseline + one KD setting)
  (row,) = results["students"]
  assert row["seeds"] == [0, 1] and len(row["gain_per_seed"]) == 2
  again = launch(*args, workdir=tmp_path)  # every stage finished: restored, not retrained
  assert again.returncode == 0, again.stderr[-3000:]
  assert json.loads((tmp_path / "results.json").read_text())["students"] == results["students"]


def test_summarise_pairs_each_kd_student_with_its_own_baseline():
  members = kd.paired_grid(lams=(0.5, 1.0), temperatures=(2.0,), seeds=(0, 1, 2))
  # rows per seed: baseline, λ=0.5, λ=1.0
  acc = np.array([0.80, 0.85, 0.70, 0.60, 0.70, 0.65, 0.90, 0.90, 0.80])
  rows = {r["lam"]: r for r in kd_pair.summarise(members, acc)}
  np.testing.assert_allclose(rows[0.5]["gain_per_seed"], [0.05, 0.10, 0.0], atol=1e-12)
  np.testing.assert_allclose(rows[1.0]["gain_per_seed"], [-0.10, 0.05, -0.10], atol=1e-12)
  assert rows[0.5]["baseline_mean"] == pytest.approx(np.mean([0.80, 0.60, 0.90]))
  assert rows[1.0]["kd_std"] == pytest.approx(np.std([0.70, 0.65, 0.80], ddof=1))


def test_model_blocks_pass_only_the_encoders_own_knobs():
  model = kd_pair.build_model(kd_pair.model_config("mlp", widths=(16,)), n_classes=3)
  assert model.encoder.widths == (16,) and model.n_classes == 3
  with pytest.raises(KeyError, match="unknown encoder 'transformer'"):
    kd_pair.build_model(kd_pair.model_config("transformer"), n_classes=3)
