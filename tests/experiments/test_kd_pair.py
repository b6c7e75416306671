import json

import pytest

from cch_jax.experiments import stages


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
  assert row["seeds"] == [0, 1] and len(row["gain"]["per_seed"]) == 2
  again = launch(*args, workdir=tmp_path)  # every stage finished: restored, not retrained
  assert again.returncode == 0, again.stderr[-3000:]
  assert json.loads((tmp_path / "results.json").read_text())["students"] == results["students"]


def test_model_blocks_pass_only_the_encoders_own_knobs():
  model = stages.build_model(stages.model_config("mlp", widths=(16,)), n_classes=3)
  assert model.encoder.widths == (16,) and model.n_classes == 3
  with pytest.raises(KeyError, match="unknown encoder 'transformer'"):
    stages.build_model(stages.model_config("transformer"), n_classes=3)
