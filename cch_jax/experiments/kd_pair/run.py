"""KD on one teacher view and one student view: teacher, then baseline and KD students.

Stage 1 trains the teacher on its view (a population of one: checkpointed, resumable);
stage 2 trains a paired population of students on the student view, one compiled program
for every (λ, T, seed) plus a λ = 0 baseline per seed (checkpointed, resumable). The
baseline and KD students of a seed share initialisation and batch order, so their
test-accuracy difference is a paired KD gain.

Writes teacher/ and students/ (checkpoints, metrics.jsonl), then results.json, report.md
and students.png, each written whole at the end (a killed run leaves no report).
"""

from __future__ import annotations

import os
from typing import Any

import ml_collections
import numpy as np
from absl import logging

from cch_jax import data, kd
from cch_jax.experiments.common import encoders, students, workdir as wd
from cch_jax.experiments.kd_pair import plots, report, results as results_lib
from cch_jax.utils import files


def run(config: ml_collections.ConfigDict, workdir: str) -> dict[str, Any]:
  ds = data.load_views(config.data)
  logging.info("data: %s", ds.summary())
  if ds.task != "classification":
    raise ValueError(f"data.name: kd_pair reports accuracy and needs class labels; "
                     f"{ds.source!r} is a {ds.task} set (configs/cch_pair.py handles it)")
  teacher_view = ds.teacher[0]
  members = kd.paired_grid(config.kd.lams, config.kd.temperatures,
                           range(config.kd.seeds), config.kd.beta)
  encoders.check_population("teacher", config.teacher, 1)
  encoders.check_population("student", config.student, len(members))
  [[teacher]] = encoders.train_on_views(config.teacher, [ds], [teacher_view],
                                        os.path.join(workdir, "teacher"), config.seed)
  logging.info("teacher (%s): test accuracy %.4f", teacher_view, teacher.score["test"])
  targets = kd.teacher_targets(teacher.model, teacher.params, ds.train.views[teacher_view],
                               features=config.kd.beta > 0)
  split = lambda s: {"x": s.views[ds.student], "y": s.labels}
  population = students.fit_students(
      config.student, ds, {**split(ds.train), **{
          k: np.asarray(v) for k, v in targets.items()}}, members,
      os.path.join(workdir, "students"), config.seed, split(ds.validation), split(ds.test))
  out = results_lib.collect(
      teacher_view, ds.student, ds.n_classes,
      {"train": ds.train.n, "validation": ds.validation.n, "test": ds.test.n},
      teacher.score, members, population.test_score)
  out["metadata"] = files.run_metadata()
  wd.write_outputs(workdir, {
      "students.png": lambda p: plots.save_students(members, out["member_test_score"], p),
      "report.md": lambda p: files.write_text(p, report.markdown(out)),
      "results.json": lambda p: files.write_json(p, out)})
  print(report.one_line(out, os.path.join(workdir, "report.md")))
  return out
