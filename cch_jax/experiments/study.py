"""A CCH study: candidate teacher views -> one student view, from the analysis to the proof.

Stages (each logged with progress; training stages checkpointed and resumable):
  1. teachers: one encoder per teacher view, views of one shape as one population
     (`stages.train_on_views`, workdir/teachers/);
  2. student encoder: one trained on the student view alone (workdir/student/);
  3. analysis: H_t, H_s on the held-out analysis rows (never trained on) -> the CCH terms
     with CIs per estimator -> verdict per teacher -> ranking; optionally the same with
     encoders trained only `analysis.a_priori_steps` steps (0 = untrained);
  4. unless config.train is False: one population of students, a λ = 0 baseline per seed
     plus KD from every teacher at every (λ, T) (`kd.fit_population`, workdir/students/),
     with the gap re-estimated on the KD students' representations at every segment
     (workdir/monitor.json); gains, recommended (λ, T), whether each prediction held.
Then report.json, report.md and PNG plots (written whole at the end) and one line with the
verdict. Experiments `cch_pair`, `teacher_selection`, `fusion_kd`, `temperature_sweep`
are this study with their own configs; `cch_blur` builds its teachers from a grid.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

import jax
import ml_collections
import numpy as np
from absl import logging

from cch_jax import data, kd, mi, pipeline
from cch_jax.experiments import stages, study_report
from cch_jax.experiments.registry import EXPERIMENTS
from cch_jax.pipeline import calibration
from cch_jax.utils import report as io

ANALYSIS_SPLITS = ("validation", "test", "validation+test")


def study_config(experiment: str, teacher: str = "clean", student: str = "mnistm"
                 ) -> ml_collections.ConfigDict:
  """The config of a study (every key; configs/*.py adjust it).

  Blocks: data (`data.default_config()`), teacher / student (model, train), analysis
  (where and how the terms are estimated), train (run stage 4), kd (the reference (lam,
  temperature) where predictions are checked, the sweep grid lams × temperatures, seeds,
  feature weight beta).
  """
  config = ml_collections.ConfigDict()
  config.experiment = experiment
  config.seed = 0
  config.data = data.default_config()
  config.data.teacher, config.data.student = teacher, student
  config.teacher = ml_collections.ConfigDict(
      {"model": stages.model_config("mlp"), "train": stages.train_config(1000)})
  config.student = ml_collections.ConfigDict(
      {"model": stages.model_config("mlp"), "train": stages.train_config(1500)})
  config.analysis = ml_collections.ConfigDict({
      "split": "validation+test", "estimators": "latent,ksg",
      "label_estimator": "label_knn", "reduce_dim": 8, "n_resamples": 20,
      "a_priori_steps": (), "monitor": True, "monitor_estimator": "ksg",
      "calibrate": True, "calibration_seeds": 2,
      "options": {"latent": {"seeds": 4, "steps": 500, "batch": 128, "latent": 8,
                             "width": 64, "k": 3},
                  "ksg": {"k": 3}, "label_knn": {"k": 3}, "label_probe": {"seeds": 4}}})
  config.train = True
  config.kd = ml_collections.ConfigDict({
      "lam": 0.5, "temperature": 3.0, "lams": (0.5,), "temperatures": (3.0,), "seeds": 3,
      "beta": 0.0})
  return config


def shrink_to_tiny(config: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
  """A seconds-long version of a study config (smoke tests): tiny MLPs, few steps, cheap
  estimators, no estimator-bias calibration (the criteria benchmark's tiny mode and
  tests/pipeline/test_calibration.py cover it), two seeds."""
  for block in (config.teacher, config.student):
    block.model = stages.model_config("mlp", widths=(32,))
    block.train = stages.train_config(40, batch_size=64, evaluations=2)
  config.analysis.n_resamples = 5
  config.analysis.calibrate = False  # the estimator-bias runs cost more than a tiny study
  config.analysis.options.latent.update(seeds=2, steps=50, batch=64, width=16)
  config.kd.seeds = 2
  return config


def analysis_rows(ds: data.MultiViewData, which: str) -> data.Split:
  """The held-out rows the analysis uses: 'validation', 'test' or both concatenated."""
  if which not in ANALYSIS_SPLITS:
    raise ValueError(f"analysis.split: expected one of {ANALYSIS_SPLITS}, got {which!r}")
  parts = [ds.splits()[name] for name in which.split("+")]
  return data.Split({v: np.concatenate([p.views[v] for p in parts]) for v in ds.view_names},
                    np.concatenate([p.labels for p in parts]),
                    np.concatenate([p.indices for p in parts]))


def estimator_names(config: ml_collections.ConfigDict) -> tuple[str, ...]:
  """analysis.estimators, 'latent,ksg' -> ('latent', 'ksg'), each a known estimator."""
  names = tuple(n.strip() for n in config.analysis.estimators.split(",") if n.strip())
  if not names:
    raise ValueError("analysis.estimators: expected at least one estimator name, e.g. "
                     "'latent,ksg'")
  for name in names:
    mi.ESTIMATORS[name]  # raises naming the known estimators
  return names


def estimator_options(config: ml_collections.ConfigDict) -> dict[str, dict[str, Any]]:
  """analysis.options as plain dicts: {estimator: {option: value}}."""
  return {k: dict(v) for k, v in config.analysis.options.items()}


def members_of(config: ml_collections.ConfigDict, n_teachers: int, splits: int = 1
               ) -> dict[str, np.ndarray]:
  """The student population: the reference (λ, T) joined to the sweep grid, per teacher
  (and per split)."""
  lams = sorted({float(config.kd.lam), *map(float, config.kd.lams)})
  temps = sorted({float(config.kd.temperature), *map(float, config.kd.temperatures)})
  if not isinstance(config.kd.seeds, int) or config.kd.seeds < 1:
    raise ValueError(f"kd.seeds: expected an integer >= 1, got {config.kd.seeds!r}")
  members = kd.paired_grid(lams, temps, range(config.kd.seeds), config.kd.beta, n_teachers,
                           splits)
  kd.check_members(members)
  return members


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
  if ds.n_classes < 2 or len(np.unique(held.labels)) < 2:
    raise ValueError("data: expected labels with at least two classes")
  a = config.analysis
  options = estimator_options(config)
  pipeline.check_settings(estimator_names(config), a.label_estimator, a.reduce_dim, options)
  need = pipeline.required_samples(estimator_names(config), a.label_estimator, options,
                                   a.n_resamples)
  if held.n < need:
    raise ValueError(
        f"analysis.split: the {a.split!r} rows number {held.n}, but the estimators "
        f"{list(estimator_names(config))} and {a.label_estimator!r} need at least {need}; "
        "use more examples, a larger held-out share (data.split) or smaller estimator "
        "batches (analysis.options.latent.batch)")
  monitor = mi.ESTIMATORS[a.monitor_estimator]
  if a.monitor and (monitor.randomized or monitor.labels):
    raise ValueError(f"analysis.monitor_estimator: expected a deterministic I(H_t; H_s) "
                     f"estimator (e.g. 'ksg', 'gaussian'), got {a.monitor_estimator!r}")
  if any(not isinstance(s, int) or s < 0 for s in a.a_priori_steps):
    raise ValueError(f"analysis.a_priori_steps: expected integers >= 0, got "
                     f"{a.a_priori_steps}")
  shapes = {ds.train.views[v].shape for v in ds.teacher}
  stages.check_population("teacher", config.teacher,
                          min(sum(ds.train.views[v].shape == s for v in ds.teacher)
                              for s in shapes))
  stages.check_population("student", config.student, 1)
  if config.train:
    stages.check_population("student", config.student,
                            len(members_of(config, len(ds.teacher))["seed"]))
  members_of(config, len(ds.teacher))


def gap_biases(config: ml_collections.ConfigDict, terms: pipeline.CCHTerms,
               labels: np.ndarray) -> dict[str, dict[str, Any]]:
  """`calibration.gap_biases` with the analysis settings ({} unless analysis.calibrate)."""
  a = config.analysis
  if not a.calibrate:
    return {}
  return calibration.gap_biases(terms, terms.dims, int(labels.max()) + 1,
                                estimator_options(config), a.calibration_seeds)


def analyse(config: ml_collections.ConfigDict, held: data.Split, key: jax.Array,
            teachers: Sequence[tuple[Any, Any]], student: tuple[Any, Any],
            views: Sequence[str], student_view: str) -> list[dict[str, Any]]:
  """Stage 3 for every teacher: terms, the gap's bias on ground-truth tasks (when
  analysis.calibrate), the verdict. Returns one dict per teacher.

  Every teacher uses the same key (the same halves and estimator seeds): common random
  numbers, so the shared label term is identical and the gaps compare cleanly.
  """
  a = config.analysis
  h_s = pipeline.represent(*student, held.views[student_view])
  out = []
  for g, ((model, params), view) in enumerate(zip(teachers, views)):
    h_t = pipeline.represent(model, params, held.views[view])
    terms = pipeline.cch_terms(
        h_t, h_s, held.labels, key, estimators=estimator_names(config),
        label_estimator=a.label_estimator, reduce_dim=a.reduce_dim,
        n_resamples=a.n_resamples, options=estimator_options(config))
    biases = gap_biases(config, terms, held.labels)
    v = pipeline.verdict(terms, biases)
    logging.info("analysis %d/%d, teacher %r: %s -> %s", g + 1, len(views), view,
                 v.reason, v.label)
    out.append({"terms": terms, "verdict": v, "h_t": h_t, "biases": biases})
  return out


def run_study(config: ml_collections.ConfigDict, workdir: str,
              teachers: Sequence[str] | None = None) -> dict[str, Any]:
  """Runs stages 1-4 and writes the report. `teachers` overrides config.data.teacher."""
  ds = data.load_views(config.data, **({"teacher": ",".join(teachers)} if teachers else {}))
  held = analysis_rows(ds, config.analysis.split)
  check_study(config, ds, held)
  stages.guard_workdir(workdir, {
      "data": config.data.to_dict(), "teacher_views": list(ds.teacher),
      "student_view": ds.student, "teacher": config.teacher.to_dict(),
      "student": config.student.to_dict(), "kd": config.kd.to_dict(), "seed": config.seed})
  logging.info("data: %s; analysis rows: %d (%s)", ds.summary(), held.n,
               config.analysis.split)
  views, key = ds.teacher, jax.random.key(config.seed)
  clock = stages.Clock()
  logging.info("stage 1/4: %d teachers on %s", len(views), ", ".join(map(repr, views)))
  trained = stages.train_on_views(config.teacher, ds, views,
                                  os.path.join(workdir, "teachers"), config.seed)
  clock("teachers")
  logging.info("stage 2/4: student encoder on %r", ds.student)
  [student] = stages.train_on_views(config.student, ds, [ds.student],
                                    os.path.join(workdir, "student"), config.seed)
  clock("student_encoder")
  logging.info("stage 3/4: CCH analysis on %d held-out rows", held.n)
  found = analyse(config, held, jax.random.fold_in(key, 1), [t[:2] for t in trained],
                  student[:2], views, ds.student)
  a_priori = [_a_priori(config, ds, held, key, steps, views)
              for steps in config.analysis.a_priori_steps]
  clock("analysis")
  results = study_report.collect(config, ds, held, trained, student, found, a_priori)
  results["seconds"] = clock.seconds
  if config.train:
    logging.info("stage 4/4: baseline and KD students (%d teachers)", len(views))
    members = members_of(config, len(views))
    population, monitor = _train_students(config, ds, held, trained, found, members,
                                          workdir)
    study_report.add_training(results, config, members, population, monitor)
    clock("students")
  if jax.process_index() == 0:
    study_report.write(results, workdir)
  line = study_report.one_line(results, os.path.join(workdir, "report.md"))
  print(line)
  return results


def _a_priori(config, ds, held, key, steps, views) -> dict[str, Any]:
  """Stage 3 again with encoders trained only `steps` steps (in memory)."""
  logging.info("a-priori analysis: encoders trained %d steps", steps)
  quick = lambda block, view, seed: stages.quick_encoder(block, ds, view, steps, seed)
  teachers = [quick(config.teacher, view, config.seed) for view in views]
  student = quick(config.student, ds.student, config.seed)
  found = analyse(config, held, jax.random.fold_in(key, 2), teachers, student, views,
                  ds.student)
  return {"steps": steps, "teachers": [
      {"view": view, "gap": f["terms"].gap.to_dict(), "verdict": f["verdict"].label}
      for view, f in zip(views, found)]}


def _train_students(config, ds, held, trained, found, members, workdir):
  """Stage 4: the population and the gap monitor. Returns (PopulationResult, monitor)."""
  model = stages.build_model(config.student.model, ds.n_classes)
  train_config = kd.TrainConfig.from_mapping(config.student.train)
  targets = [kd.teacher_targets(m, p, ds.train.views[v], features=config.kd.beta > 0)
             for (m, p, _), v in zip(trained, ds.teacher)]
  train = {"x": ds.train.views[ds.student], "y": ds.train.labels,
           **{k: np.stack([np.asarray(t[k]) for t in targets]) for k in targets[0]}}
  split = lambda s: {"x": s.views[ds.student], "y": s.labels}
  path = os.path.join(workdir, "monitor.json")
  steps = train_config.steps
  monitor = ({k: v for k, v in _load_monitor(path).items() if int(k) <= steps}
             if config.analysis.monitor else {})
  watched = _watched_members(config, members, len(ds.teacher))

  def record(step: int, params: Any) -> None:
    """The gaps at `step` of the watched members (params leaves (M, ...))."""
    h_s = {m: pipeline.represent(model, jax.tree.map(lambda a: a[m], params),
                                 held.views[ds.student])
           for m in {m for m, _ in watched.values()}}
    gaps = {name: pipeline.point_gap(
        found[g]["h_t"], h_s[m], held.labels, config.analysis.monitor_estimator,
        config.analysis.label_estimator, config.analysis.reduce_dim,
        estimator_options(config)) for name, (m, g) in watched.items()}
    earlier = [int(k) for k in monitor if int(k) < step]
    previous = monitor[str(max(earlier))] if earlier else {}
    monitor[str(step)] = gaps
    logging.info("monitor step %d: gaps %s", step,
                 ", ".join(f"{k} {v:+.3f}" for k, v in gaps.items()))
    for name, gap in gaps.items():
      if name in previous and pipeline.sign_flips([0, step], [previous[name], gap]):
        logging.warning("monitor: the gap of %s changed sign at step %d (%+.3f -> %+.3f)",
                        name, step, previous[name], gap)
    if jax.process_index() == 0:
      io.write_json(path, monitor)

  on_segment = ((lambda step, states: record(step, states.params["model"]))
                if config.analysis.monitor else None)
  result = kd.fit_population(model, train_config, train, members,
                             os.path.join(workdir, "students"),
                             key=jax.random.key(config.seed + 1),
                             val=split(ds.validation), test=split(ds.test),
                             on_segment=on_segment)
  if config.analysis.monitor and str(steps) not in monitor:  # killed while monitoring
    record(steps, result.params["model"])
  return result, monitor


def _watched_members(config, members, n_teachers) -> dict[str, tuple[int, int]]:
  """Seed 0's KD student at the reference (λ, T) per teacher, and its baseline against
  each teacher: {name: (member index, teacher index)}."""
  first = (members["seed"] == 0)
  base = int(np.flatnonzero(first & members["baseline"])[0])
  at_ref = (first & ~members["baseline"] & np.isclose(members["lam"], config.kd.lam)
            & np.isclose(members["temperature"], config.kd.temperature))
  out = {}
  for g in range(n_teachers):
    out[f"kd:{g}"] = (int(np.flatnonzero(at_ref & (members["teacher"] == g))[0]), g)
    out[f"baseline:{g}"] = (base, g)
  return out


def _load_monitor(path: str) -> dict[str, Any]:
  if not os.path.exists(path):
    return {}
  with open(path) as f:
    return json.load(f)


def run(config: ml_collections.ConfigDict, workdir: str) -> dict[str, Any]:
  return run_study(config, workdir)


for _name in ("cch_pair", "teacher_selection", "fusion_kd", "temperature_sweep"):
  EXPERIMENTS.register(_name)(run)
