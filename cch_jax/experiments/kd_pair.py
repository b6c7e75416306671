"""KD on one teacher view and one student view: teacher, then baseline and KD students.

Stage 1 trains the teacher on its view (a population of one: checkpointed, resumable);
stage 2 trains a paired population of students on the student view, one compiled program for every
(λ, T, seed) plus a λ = 0 baseline per seed (`kd.fit_population`: checkpointed,
resumable). The baseline and KD students of a seed share initialisation and batch order,
so their test-accuracy difference is a paired KD gain.

Writes teacher/ and students/ (checkpoints, metrics.jsonl), then results.json, report.md
and students.png, each written whole at the end (a killed run leaves no report).
"""

from __future__ import annotations

import os
from typing import Any

import jax
import matplotlib
import ml_collections
import numpy as np
from absl import logging

from cch_jax import data, kd, pipeline
from cch_jax.experiments import stages, study_plots
from cch_jax.experiments.registry import EXPERIMENTS
from cch_jax.utils import report as io

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def train_teacher(config: ml_collections.ConfigDict, ds: data.MultiViewData, view: str,
                  workdir: str) -> tuple[kd.Classifier, Any, dict[str, float]]:
  """Stage 1: the teacher on `view`. Returns (model, params, accuracies)."""
  [teacher] = stages.train_on_views(config.teacher, ds, [view],
                                    os.path.join(workdir, "teacher"), config.seed)
  return teacher


def train_students(config: ml_collections.ConfigDict, ds: data.MultiViewData,
                   teacher: tuple[kd.Classifier, Any], teacher_view: str,
                   members: dict[str, np.ndarray], workdir: str) -> kd.PopulationResult:
  """Stage 2: baseline and KD students, the `members` over (λ, T, seed)."""
  model = stages.build_model(config.student.model, ds.n_classes)
  train_config = kd.TrainConfig.from_mapping(config.student.train)
  targets = kd.teacher_targets(*teacher, ds.train.views[teacher_view],
                               features=config.kd.beta > 0)
  view = ds.student
  train = {"x": ds.train.views[view], "y": ds.train.labels,
           **jax.tree.map(np.asarray, targets)}
  split = lambda s: {"x": s.views[view], "y": s.labels}
  return kd.fit_population(model, train_config, train, members,
                           os.path.join(workdir, "students"),
                           key=jax.random.key(config.seed + 1),
                           val=split(ds.validation), test=split(ds.test))


def run(config: ml_collections.ConfigDict, workdir: str) -> dict[str, Any]:
  ds = data.load_views(config.data)
  logging.info("data: %s", ds.summary())
  teacher_view = ds.teacher[0]
  members = kd.paired_grid(config.kd.lams, config.kd.temperatures,
                           range(config.kd.seeds), config.kd.beta)
  stages.check_population("teacher", config.teacher, 1)
  stages.check_population("student", config.student, len(members["seed"]))
  t_model, t_params, t_acc = train_teacher(config, ds, teacher_view, workdir)
  logging.info("teacher (%s): test accuracy %.4f", teacher_view, t_acc["test"])
  result = train_students(config, ds, (t_model, t_params), teacher_view, members, workdir)
  rows = pipeline.paired_gains(members, np.asarray(result.test_accuracy))
  results = {"teacher_view": teacher_view, "student_view": ds.student,
             "n_classes": ds.n_classes,
             "n": {"train": ds.train.n, "validation": ds.validation.n, "test": ds.test.n},
             "teacher_accuracy": t_acc, "students": rows,
             "members": {k: v.tolist() for k, v in members.items()},
             "member_test_accuracy": np.asarray(result.test_accuracy).tolist(),
             "metadata": io.run_metadata()}
  if jax.process_index() == 0:
    _plot(members, np.asarray(result.test_accuracy), os.path.join(workdir, "students.png"))
    io.write_text(os.path.join(workdir, "report.md"), markdown(results))
    io.write_json(os.path.join(workdir, "results.json"), results)
  best = max(rows, key=lambda r: r["gain"]["mean"])
  print(f"kd_pair: teacher '{teacher_view}' test accuracy {t_acc['test']:.3f}; student "
        f"'{ds.student}' baseline {_mean_std(best['baseline'])}, best KD "
        f"(λ={best['lam']:g}, T={best['temperature']:g}) {_mean_std(best['kd'])}, gain "
        f"{_mean_std(best['gain'], '+')} over {len(best['seeds'])} seeds; report: "
        f"{os.path.join(workdir, 'report.md')}")
  return results


def markdown(results: dict[str, Any]) -> str:
  """report.md: the teacher's accuracy and the students' table."""
  acc = results["teacher_accuracy"]
  rows = [(r["lam"], r["temperature"], r["beta"], len(r["seeds"]), _mean_std(r["baseline"]),
           _mean_std(r["kd"]), _mean_std(r["gain"], "+")) for r in results["students"]]
  return (f"# KD pair: teacher '{results['teacher_view']}' → student "
          f"'{results['student_view']}'\n\n"
          f"Splits: {results['n']['train']} train / {results['n']['validation']} validation "
          f"/ {results['n']['test']} test examples, {results['n_classes']} classes.\n\n"
          f"Teacher test accuracy {acc['test']:.4f} (train {acc['train']:.4f}, validation "
          f"{acc['validation']:.4f}).\n\nStudents: test accuracy, mean ± std over seeds; "
          "gain = KD − baseline of the same seed (same initialisation and batches).\n\n"
          + io.markdown_table(("λ", "T", "β", "seeds", "baseline", "KD", "gain"), rows))


def _mean_std(summary: dict[str, Any], sign: str = "") -> str:
  return f"{summary['mean']:{sign}.3f} ± {summary['std']:.3f}"


def _plot(members: dict[str, np.ndarray], accuracy: np.ndarray, path: str) -> None:
  """Test accuracy per seed: baseline vs each KD setting, paired lines."""
  fig, ax = plt.subplots(figsize=(6, 4))
  labels = ["baseline" if b else f"λ={l:g}, T={t:g}" for l, t, b in zip(
      members["lam"], members["temperature"], members["baseline"])]
  order = list(dict.fromkeys(labels))
  for seed in np.unique(members["seed"]):
    pick = members["seed"] == seed
    xs = [order.index(lab) for lab, p in zip(labels, pick) if p]
    ax.plot(xs, accuracy[pick], "o-", alpha=0.7, label=f"seed {seed}")
  ax.set_xticks(range(len(order)), order, rotation=20)
  ax.set_ylabel("student test accuracy")
  ax.set_title("Students: baseline vs KD (paired by seed)")
  ax.legend(fontsize=8)
  study_plots.save_figure(fig, os.path.dirname(path), os.path.basename(path))


EXPERIMENTS.register("kd_pair")(run)
