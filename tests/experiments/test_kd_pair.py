import json

import numpy as np
import pytest

from cch_jax import kd
from cch_jax.experiments.common import config as blocks
from cch_jax.experiments.common import encoders
from cch_jax.experiments.kd_pair import report, results


def test_tiny_run_end_to_end(tmp_path, launch):
  """Wiring: both stages and every output (their resume is tested in tests/kd and by
  test_study's cch_pair)."""
  args = ("--config=configs/kd_pair.py:tiny", "--config.data.student=blur:sigma=1.5")
  run = launch(*args, workdir=tmp_path)
  assert run.returncode == 0, run.stderr[-3000:]
  assert "kd_pair: teacher 'clean' test accuracy" in run.stdout
  for name in ("config.json", "results.json", "report.md", "students.png",
               "teacher/metrics.jsonl"):
    assert (tmp_path / name).stat().st_size > 0, name
  out = json.loads((tmp_path / "results.json").read_text())
  assert out["student_view"] == "blur:sigma=1.5"
  assert len(out["members"]["seed"]) == 4  # 2 seeds × (baseline + one KD setting)
  (row,) = out["students"]
  assert row["seeds"] == [0, 1] and len(row["gain"]["per_seed"]) == 2


def test_results_and_report_of_known_accuracies():
  members = kd.paired_grid([0.5], [3.0], range(2), 0.0)  # per seed: baseline, KD
  out = results.collect("t", "s", 10, {"train": 6, "validation": 2, "test": 2},
                        {"train": 1.0, "validation": 0.95, "test": 0.9}, members,
                        np.array([0.80, 0.86, 0.82, 0.84]))
  (row,) = out["students"]
  assert row["gain"]["per_seed"] == pytest.approx([0.06, 0.02])
  assert row["gain"]["mean"] == pytest.approx(0.04)
  assert row["gain"]["std"] == pytest.approx(np.sqrt(2) * 0.02)
  assert report.one_line(out, "R") == (
      "kd_pair: teacher 't' test accuracy 0.900; student 's' baseline 0.810 ± 0.014, best "
      "KD (λ=0.5, T=3) 0.850 ± 0.014, gain +0.040 ± 0.028 over 2 seeds; report: R")
  assert ("| 0.500 | 3.000 | 0.000 | 2 | 0.810 ± 0.014 | 0.850 ± 0.014 | +0.040 ± 0.028 |"
          in report.markdown(out))


def test_model_blocks_pass_only_the_encoders_own_knobs():
  model = encoders.build_model(blocks.model_block("mlp", widths=(16,)), n_outputs=3)
  assert model.encoder.widths == (16,) and model.n_classes == 3
  model = encoders.build_model(blocks.model_block("transformer", depth=1), n_outputs=3)
  assert (model.encoder.width, model.encoder.depth, model.encoder.heads) == (64, 1, 4)
  with pytest.raises(KeyError, match="unknown encoder 'resnet'"):
    encoders.build_model(blocks.model_block("resnet"), n_outputs=3)
