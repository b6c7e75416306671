"""The study's stages (each logged with progress; training checkpointed and resumable):
Every stage runs on each of config.splits repeated stratified splits of the data:
  1. teachers: one encoder per teacher view and split, views of one shape as one
     population (workdir/teachers/);
  2. student encoder: one per split, trained on the student view alone (workdir/student/);
  3. analysis: per split, H_t and H_s on its held-out analysis rows (never trained on) ->
     the CCH terms with CIs per estimator; per teacher one calibration covering its
     splits, the verdict per split and pooled over splits -> ranking; optionally again on
     the first split with encoders trained only `analysis.a_priori_steps` steps;
  4. unless config.train is False: one population of students over splits × seeds, a
     λ = 0 baseline per (split, seed) plus KD from every teacher at every (λ, T)
     (workdir/students/); the pilot reads each member's validation score after
     pilot.fraction of its steps; the gap is re-estimated on the first split's watched
     students at every segment (workdir/monitor.json).
Then report.json, report.md and PNG plots (written whole at the end) and one line with the
CCH verdict and the pilot's.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import jax
import ml_collections
import numpy as np
from absl import logging

from cch_jax import data, kd, mi, pipeline
from cch_jax.experiments.common import (analysis, encoders, monitor, splits, students,
                                        workdir as wd)
from cch_jax.experiments.study import plots, report, results as results_lib
from cch_jax.utils import files


def run(config: ml_collections.ConfigDict, workdir: str) -> dict[str, Any]:
  """The study of config.data.teacher (one view or several, comma-separated)."""
  return run_study(config, workdir, splits.load_splits(config.data, config.splits))


def run_blur(config: ml_collections.ConfigDict, workdir: str) -> dict[str, Any]:
  """The study of the teachers config.blur describes (`blur_teachers`)."""
  views = ",".join(blur_teachers(config.blur))
  return run_study(config, workdir, splits.load_splits(config.data, config.splits,
                                                        teacher=views))


def blur_teachers(blur: ml_collections.ConfigDict) -> list[str]:
  """'clean' for σ = 0, 'blur:sigma=γ' for each γ > 0 of blur.sigmas, then 'noise:std=s'
  for each s of blur.noise_stds."""
  views = ["clean" if g == 0 else f"blur:sigma={g:g}" for g in blur.sigmas]
  views += [f"noise:std={s:g}" for s in blur.noise_stds]
  if not views:
    raise ValueError("blur.sigmas, blur.noise_stds: expected at least one teacher view")
  if any(g < 0 for g in blur.sigmas) or any(s <= 0 for s in blur.noise_stds):
    raise ValueError(f"blur: expected sigmas >= 0 and noise_stds > 0, got "
                     f"{tuple(blur.sigmas)} and {tuple(blur.noise_stds)}")
  return views


def run_study(config: ml_collections.ConfigDict, workdir: str,
              parts: Sequence[data.MultiViewData]) -> dict[str, Any]:
  """Runs stages 1-4 on the S splits `parts` and writes the report."""
  ds = parts[0]
  config = analysis.with_label_estimators(config, ds.task)
  held = [analysis.analysis_rows(p, config.analysis.split) for p in parts]
  check_study(config, ds, held[0])
  wd.guard_workdir(workdir, {
      "data": config.data.to_dict(), "teacher_views": list(ds.teacher),
      "student_view": ds.student, "splits": config.splits,
      "teacher": config.teacher.to_dict(), "student": config.student.to_dict(),
      "kd": config.kd.to_dict(), "pilot": config.pilot.to_dict(), "seed": config.seed})
  logging.info("data: %s; %d splits; analysis rows: %d (%s)", ds.summary(), len(parts),
               held[0].n, config.analysis.split)
  views, key, clock = ds.teacher, jax.random.key(config.seed), wd.Clock()
  logging.info("stage 1/4: %d teachers on %s × %d splits", len(views),
               ", ".join(map(repr, views)), len(parts))
  teachers = encoders.train_on_views(config.teacher, parts, views,
                                     os.path.join(workdir, "teachers"), config.seed)
  clock("teachers")
  logging.info("stage 2/4: student encoder on %r × %d splits", ds.student, len(parts))
  [student] = encoders.train_on_views(config.student, parts, [ds.student],
                                      os.path.join(workdir, "student"), config.seed)
  clock("student_encoder")
  logging.info("stage 3/4: CCH analysis on %d held-out rows × %d splits", held[0].n,
               len(parts))
  h_t = [[represent(e, h, v) for e, h in zip(split_encoders, held)]
         for split_encoders, v in zip(teachers, views)]
  h_s = [represent(e, h, ds.student) for e, h in zip(student, held)]
  found = analyse(config, held, jax.random.fold_in(key, 1), h_t, h_s, views)
  a_priori = [a_priori_verdicts(config, ds, held[0], key, steps)
              for steps in config.analysis.a_priori_steps]
  clock("analysis")
  out = results_lib.analysis_results(
      header(config, ds, held[0]), [encoders.mean_score(t) for t in teachers],
      encoders.mean_score(student), found, a_priori)
  if config.train:
    logging.info("stage 4/4: baseline and KD students (%d teachers × %d splits)",
                 len(views), len(parts))
    members = students.student_members(config.kd, len(views), len(parts), ds.task)
    population, pilot, records, r2 = train_students(config, parts, held, teachers, h_t,
                                                    members, workdir)
    results_lib.add_training(
        out, config.kd, members, population, pilot, r2,
        students.member_scales(parts, members),
        students.pilot_step(config.student.train, config.pilot.fraction),
        monitor.summarise(records, list(views), monitor_estimators(config)))
    clock("students")
  out["seconds"] = clock.seconds
  path = os.path.join(workdir, "report.md")
  wd.write_outputs(workdir, {
      "report.md": lambda p: files.write_text(p, report.markdown(out, plots.draw(out, workdir))),
      "report.json": lambda p: files.write_json(p, out)})
  print(report.one_line(out, path))
  return out


def header(config: ml_collections.ConfigDict, ds: data.MultiViewData, held: data.Split
           ) -> dict[str, Any]:
  """What the study ran on: the experiment, views, data sizes, analysis settings."""
  a = config.analysis
  return {"experiment": config.experiment, "student_view": ds.student,
          "teacher_views": list(ds.teacher), "source": ds.source, "n_classes": ds.n_classes,
          "task": ds.task, "metric": kd.TASKS[ds.task].metric,
          "score_scale": ds.score_scale,  # split 0's (each split's in member_scales)
          "splits": config.splits, "seeds": config.kd.seeds,
          "n": {name: s.n for name, s in ds.splits().items()},
          "analysis": {"split": a.split, "n": held.n, "label_estimator": a.label_estimator,
                       "reduce_dim": a.reduce_dim},
          "config": config.to_dict(), "metadata": files.run_metadata()}


def monitor_estimators(config: ml_collections.ConfigDict) -> str:
  return f"{config.analysis.monitor_estimator} − {config.analysis.label_estimator}"


def check_study(config: ml_collections.ConfigDict, ds: data.MultiViewData,
                held: data.Split) -> None:
  """Every check that can fail before training, with the option at fault named."""
  if ds.student in ds.teacher:
    raise ValueError(f"data.teacher: the student view {ds.student!r} cannot be its own "
                     f"teacher; name a different view (views here: {list(ds.view_names)})")
  parts = data.fused_parts(ds.student)
  inside = [t for t in ds.teacher if len(parts) > 1 and t in parts]
  if inside:
    raise ValueError(f"data.teacher: {inside} is part of the fused student view "
                     f"{ds.student!r}; a teacher must be a modality the student lacks")
  if ds.task == "classification" and (ds.n_classes < 2 or len(np.unique(held.labels)) < 2):
    raise ValueError("data: expected labels with at least two classes")
  a = config.analysis
  analysis.check_rows(a, (a.label_estimator,), held.n, ds.task == "regression")
  estimator = mi.ESTIMATORS[a.monitor_estimator]
  if a.monitor and (estimator.randomized or estimator.labels):
    raise ValueError(f"analysis.monitor_estimator: expected a deterministic I(H_t; H_s) "
                     f"estimator (e.g. 'ksg', 'gaussian'), got {a.monitor_estimator!r}")
  if a.monitor and mi.ESTIMATORS[a.label_estimator].randomized:
    raise ValueError(f"analysis.label_estimator: the gap monitor re-estimates I(H_s; Y) at "
                     f"every evaluation and needs a deterministic estimator; got "
                     f"{a.label_estimator!r} (or set analysis.monitor=False)")
  if any(not isinstance(s, int) or s < 0 for s in a.a_priori_steps):
    raise ValueError(f"analysis.a_priori_steps: expected integers >= 0, got "
                     f"{a.a_priori_steps}")
  shapes = [ds.train.views[v].shape for v in ds.teacher]
  encoders.check_population("teacher", config.teacher,
                            min(shapes.count(s) for s in shapes) * config.splits)
  encoders.check_population("student", config.student, config.splits)
  members = students.student_members(config.kd, len(ds.teacher), config.splits, ds.task)
  if config.train:
    encoders.check_population("student", config.student, len(members))
    students.pilot_step(config.student.train, config.pilot.fraction)
  if config.pilot.variants:
    raise ValueError(f"pilot.variants: studies read the pilot from their students' run; "
                     f"pilot variants run in the criteria benchmark, got "
                     f"{config.pilot.variants!r}")


def represent(trained: encoders.TrainedEncoder, held: data.Split, view: str) -> np.ndarray:
  """H (n, d_h) of an encoder on its view of the held-out rows."""
  return pipeline.represent(trained.model, trained.params, held.views[view])


def analyse(config: ml_collections.ConfigDict, held: Sequence[data.Split], key: jax.Array,
            h_t: Sequence[Sequence[np.ndarray]], h_s: Sequence[np.ndarray],
            views: Sequence[str]) -> list[analysis.PairAnalysis]:
  """Stage 3 for every teacher view g over the splits k (H_t h_t[g][k], H_s h_s[k]).
  Every teacher uses the same key on a split (the same halves and estimator seeds):
  common random numbers, so the shared label term is identical and the gaps compare
  cleanly; split k uses fold_in(key, k)."""
  terms, clock = [], wd.Clock()
  for g, view in enumerate(views):
    terms.append([analysis.pair_terms(config.analysis, h_t[g][k], h_s[k], h.labels,
                                      jax.random.fold_in(key, k),
                                      config.analysis.label_estimator)
                  for k, h in enumerate(held)])
    clock("terms")
    logging.info("analysis: terms of teacher %r on %d splits (%d/%d) in %.0f s", view,
                 len(held), g + 1, len(views), clock.seconds["terms"])
  families = analysis.shared_families(config.analysis, terms)
  out = []
  for g, view in enumerate(views):
    found = analysis.judge(config.analysis, terms[g], n_classes(held[0]),
                           families=families)
    logging.info("analysis %d/%d, teacher %r: %s -> %s", g + 1, len(views), view,
                 found.verdict.reason, found.verdict.label)
    out.append(found)
  return out


def n_classes(held: data.Split) -> int:
  """K of class labels (0 for regression targets)."""
  return 0 if held.labels.ndim > 1 else int(held.labels.max()) + 1


def a_priori_verdicts(config: ml_collections.ConfigDict, ds: data.MultiViewData,
                      held: data.Split, key: jax.Array, steps: int) -> dict[str, Any]:
  """Stage 3 again on the first split, with encoders trained only `steps` steps (in
  memory)."""
  logging.info("a-priori analysis: encoders trained %d steps", steps)
  quick = lambda block, view: encoders.quick_encoder(block, ds, view, steps, config.seed)
  h_t = [[represent(quick(config.teacher, view), held, view)] for view in ds.teacher]
  h_s = [represent(quick(config.student, ds.student), held, ds.student)]
  found = analyse(config, [held], jax.random.fold_in(key, 2), h_t, h_s, ds.teacher)
  return results_lib.a_priori_entry(steps, ds.teacher, found)


def train_students(config: ml_collections.ConfigDict, parts: Sequence[data.MultiViewData],
                   held: Sequence[data.Split],
                   teachers: Sequence[Sequence[encoders.TrainedEncoder]],
                   h_t: Sequence[Sequence[np.ndarray]], members: kd.Members, workdir: str
                   ) -> tuple[kd.PopulationResult, np.ndarray, dict[str, Any], np.ndarray | None]:
  """Stage 4: the population over splits × seeds × teachers × (λ, T), each member's
  validation score at the pilot step, the gap monitor's records (first split), and each
  member's test R² (regression; else None)."""
  targets = [[kd.teacher_targets(e.model, e.params, p.train.views[v],
                                 features=config.kd.beta > 0)
              for e, v in zip((t[k] for t in teachers), parts[k].teacher)]
             for k, p in enumerate(parts)]
  train = dict(splits.stack(parts, "train", parts[0].student),
               **{key: np.stack([np.stack([np.asarray(t[key]) for t in split])
                                 for split in targets]) for key in targets[0][0]})
  evaluate = lambda name: splits.stack(parts, name, parts[0].student)
  steps = config.student.train.steps
  path = os.path.join(workdir, "monitor.json")
  records = monitor.load_records(path, steps) if config.analysis.monitor else {}
  record = gap_recorder(config, parts[0], held[0], [h[0] for h in h_t], members, records,
                        path)
  result = students.fit_students(
      config.student, parts[0], train, members, os.path.join(workdir, "students"),
      config.seed, evaluate("validation"), evaluate("test"),
      on_segment=(lambda step, states: record(step, states.params["model"]))
      if config.analysis.monitor else None)
  if config.analysis.monitor and str(steps) not in records:  # killed while monitoring
    record(steps, result.params["model"])
  pilot = students.pilot_score(
      result, students.pilot_step(config.student.train, config.pilot.fraction))
  return result, pilot, records, students.r_squared(result, members, evaluate("test"))


def gap_recorder(config: ml_collections.ConfigDict, ds: data.MultiViewData,
                 held: data.Split, h_t: Sequence[np.ndarray],
                 members: kd.Members, records: dict[str, Any], path: str
                 ) -> Callable[[int, Any], None]:
  """record(step, params): the gaps of the watched members of the first split (params
  leaves (M, ...)) at `step`, added to `records` and saved in `path`."""
  a = config.analysis
  model = encoders.build_model(config.student.model, ds.n_outputs)
  watched = monitor.watched_members(members, config.kd.reference_lam,
                                    config.kd.reference_temperature, len(ds.teacher))

  def record(step: int, params: Any) -> None:
    h_s = {m: pipeline.represent(model, encoders.member(params, m), held.views[ds.student])
           for m in {m for m, _ in watched.values()}}
    gaps = {name: pipeline.point_gap(h_t[g], h_s[m], held.labels, a.monitor_estimator,
                                     a.label_estimator, a.reduce_dim,
                                     analysis.estimator_options(a))
            for name, (m, g) in watched.items()}
    logging.info("monitor step %d: gaps %s", step,
                 ", ".join(f"{k} {v:+.3f}" for k, v in gaps.items()))
    for message in monitor.add_record(records, step, gaps):
      logging.warning("%s", message)
    wd.write_outputs(os.path.dirname(path),
                     {os.path.basename(path): lambda p: files.write_json(p, records)})

  return record
