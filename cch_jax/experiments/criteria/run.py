"""The criteria benchmark's stages (training checkpointed and resumable):
  1. Encoders: every view under S repeated stratified splits, views of one shape as one
     population (each view's encoder is the teacher of the pairs it teaches and the
     pre-training student of the pairs it learns in).
  2. Analysis per split and ordered pair, on held-out rows: the CCH terms by every
     estimator with 95% CIs and every criterion (`pipeline.criteria`); then per pair the
     calibration (once, covering its splits), the per-split and pooled verdicts.
  3. Students: per student view, one population over splits × seeds × teachers × (λ, T)
     plus the paired baselines; then each pilot's own short run of the same members.
  4. Outcomes (`results`): per pair the paired gains, every verdict and criterion scored
     beside constant rules; report.json, report.md, criteria.png, pairs.png.
With a `suite`, stages 1–3 run per source (in workdir/<source>/) and stage 4 pools the
pairs of every source.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import jax
import ml_collections
import numpy as np
from absl import logging

from cch_jax import data, kd, mi, pipeline
from cch_jax.experiments.common import analysis, encoders, splits, students, workdir as wd
from cch_jax.experiments.criteria import config as criteria_config
from cch_jax.experiments.criteria import plots, report, results as results_lib
from cch_jax.utils import files

Pair = tuple[str, str]


class Measured(NamedTuple):
  """One ordered pair on one split: the CCH terms and every criterion's value."""
  terms: pipeline.CCHTerms
  criteria: dict[str, Any]


def run(config: ml_collections.ConfigDict, workdir: str) -> dict[str, Any]:
  prepared = [prepare_source(name, c) for name, c in source_configs(config)]
  wd.guard_workdir(workdir, {
      "suite": config.suite, "sources": {p.name: p.spec for p in prepared},
      "splits": config.splits, "encoder": config.encoder.to_dict(),
      "student": config.student.to_dict(), "kd": config.kd.to_dict(),
      "pilot": config.pilot.to_dict(), "seed": config.seed})
  clock = wd.Clock()
  measured = []
  for i, p in enumerate(prepared):
    logging.info("source %d/%d: %s", i + 1, len(prepared), p.name or p.parts[0].source)
    measured.append(run_source(p, os.path.join(workdir, p.name) if p.name else workdir,
                               clock))
  out = results_lib.collect(config, measured, files.run_metadata())
  out["seconds"] = clock.seconds
  wd.write_outputs(workdir, {
      "criteria.png": lambda p: plots.save_criteria(out, p),
      "pairs.png": lambda p: plots.save_pairs(out, p),
      "report.json": lambda p: files.write_json(p, out),
      "report.md": lambda p: files.write_text(p, report.markdown(out))})
  print(report.one_line(out, os.path.join(workdir, "report.md")))
  return out


class Prepared(NamedTuple):
  """One source, loaded and checked before any training: its `SUITE` name ('' for the
  config's own data), config, views, S splits, held-out analysis rows per split, and
  what decides its checkpoints."""
  name: str
  config: ml_collections.ConfigDict
  views: tuple[str, ...]
  parts: list[data.MultiViewData]
  held: list[data.Split]
  spec: dict[str, Any]


def source_configs(config: ml_collections.ConfigDict
                   ) -> list[tuple[str, ml_collections.ConfigDict]]:
  """(name, config) per source: the `suite`'s, or ('', config) without one."""
  names = [n.strip() for n in config.suite.split(",") if n.strip()]
  if not names:
    return [("", config)]
  return [(n, criteria_config.source_config(config, n)) for n in names]


def prepare_source(name: str, config: ml_collections.ConfigDict) -> Prepared:
  """Loads one source's splits and runs every check that can fail before training."""
  views = view_list(config)
  parts = splits.load_splits(config.data, config.splits, teacher=",".join(views),
                             student=views[0])
  config = analysis.with_label_estimators(config, parts[0].task)
  held = [analysis.analysis_rows(p, config.analysis.split) for p in parts]
  check_benchmark(config, held, len(views), parts[0].task)
  spec = {"data": config.data.to_dict(), "views": list(views)}
  return Prepared(name, config, views, parts, held, spec)


def run_source(p: Prepared, workdir: str, clock: wd.Clock) -> results_lib.SourceResults:
  """Stages 1–3 on one source: encoders, the analysis of every pair, the students."""
  config, views, parts = p.config, p.views, p.parts
  logging.info("data: %s; %d splits, %d ordered pairs", parts[0].summary(), len(parts),
               len(views) * (len(views) - 1))
  logging.info("stage 1/4: encoders on %d views × %d splits", len(views), len(parts))
  trained = dict(zip(views, encoders.train_on_views(
      config.encoder, parts, views, os.path.join(workdir, "encoders"), config.seed)))
  clock(f"{p.name}/encoders" if p.name else "encoders")
  measured = []
  for k, h in enumerate(p.held):
    logging.info("stage 2/4: analysis of split %d/%d (%d held-out rows)", k + 1,
                 len(p.held), h.n)
    measured.append(measure_split(config, h, {v: e[k] for v, e in trained.items()}, views,
                                  jax.random.fold_in(jax.random.key(config.seed), k),
                                  parts[k].train.n))
  findings = judge_pairs(config, measured, views, parts[0].n_classes)
  clock(f"{p.name}/analysis" if p.name else "analysis")
  early = {}
  for fraction in config.analysis.encoder_fractions:
    logging.info("stage 2/4: the analysis on encoders after %.0f%% of their steps",
                 100 * fraction)
    early[fraction] = early_verdicts(config, p, fraction, workdir)
    clock(f"{p.name}/analysis@{fraction:g}" if p.name else f"analysis@{fraction:g}")
  runs = train_students(config, parts, trained, views, workdir)
  clock(f"{p.name}/students" if p.name else "students")
  header = results_lib.SourceHeader(
      p.name or parts[0].source, parts[0].source, parts[0].n_classes, parts[0].task,
      kd.TASKS[parts[0].task].metric, parts[0].score_scale,
      {k: v.n for k, v in parts[0].splits().items()}, p.held[0].n, list(views))
  return results_lib.SourceResults(header, findings, runs, early)


def view_list(config: ml_collections.ConfigDict) -> tuple[str, ...]:
  """config.views as a tuple of at least two distinct views ('' = the data source's
  `data.default_views`)."""
  text = config.views
  if not text.strip():
    defaults = data.default_views(config.data.name)
    if defaults is None:
      raise ValueError(f"views: expected at least two view names of the "
                       f"{config.data.name} file (it has no default views)")
    text = ",".join(defaults.views)
  views = data.split_view_list(text)
  if len(views) < 2 or len(set(views)) != len(views):
    raise ValueError(f"views: expected at least two distinct views, got {config.views!r}")
  return views


def label_estimators(config: ml_collections.ConfigDict) -> tuple[str, ...]:
  """analysis.label_estimators as names; the first gives the verdict's gap."""
  return analysis.known_names("analysis.label_estimators", config.analysis.label_estimators)


def check_benchmark(config: ml_collections.ConfigDict, held: Sequence[data.Split],
                    n_views: int, task: str = "classification") -> None:
  """Every check that can fail before training, with the option at fault named."""
  analysis.check_rows(config.analysis, label_estimators(config), held[0].n,
                      task == "regression")
  encoders.check_population("encoder", config.encoder, n_views * config.splits)
  n_students = len(students.student_members(config.kd, n_views - 1, config.splits, task))
  encoders.check_population("student", config.student, n_students)
  students.pilot_step(config.student.train, config.pilot.fraction)
  if not students.pilot_variants(config.pilot.variants):
    raise ValueError("pilot.variants: expected at least one short run, e.g. 'rows:1' (the "
                     "first is the pilot verdict)")
  if config.kd.seeds < 2:
    raise ValueError(f"kd.seeds: expected at least 2 (one half of the seeds selects λ and "
                     f"T, the other reports their gain), got {config.kd.seeds}")
  keys = results_lib.verdict_keys(config, task)
  if config.headline != "auto" and config.headline not in keys:
    raise ValueError(f"headline: expected 'auto' or one of {', '.join(keys)}, got "
                     f"{config.headline!r}")


def measure_split(config: ml_collections.ConfigDict, held: data.Split,
                  trained: Mapping[str, encoders.TrainedEncoder], views: Sequence[str],
                  key: jax.Array, n_train: int) -> dict[Pair, Measured]:
  """Stage 2 on one split: per ordered (teacher, student) pair the CCH terms and every
  criterion's value."""
  a, labels = config.analysis, label_estimators(config)
  seen = {}
  for view in views:
    logits, h = kd.predict(trained[view].model, trained[view].params, held.views[view])
    h = np.asarray(h, np.float32)
    seen[view] = {"h": h, "logits": np.asarray(logits),
                  "z": pipeline.pca(pipeline.clean(view, h), a.reduce_dim)}
  options = analysis.estimator_options(a)
  extra = {view: {name: mi.estimate(seen[view]["z"], held.labels, name, key=key,
                                    n_resamples=a.n_resamples, **options.get(name, {}))
                  for name in labels[1:]} for view in views}
  out = {}
  estimate = pipeline.symmetric_memo()  # (t, s) and (s, t) share I(H_t; H_s)
  for t in views:
    for s in (s for s in views if s != t):
      terms = analysis.pair_terms(a, seen[t]["h"], seen[s]["h"], held.labels, key,
                                  labels[0], estimate)
      values = pipeline.pair_criteria(terms, extra[s], seen[t]["z"], seen[s]["z"],
                                      seen[t]["h"], seen[s]["h"], held.labels,
                                      seen[t]["logits"], seen[s]["logits"], n_train)
      out[(t, s)] = Measured(terms, values)
  return out


def early_encoders(config: ml_collections.ConfigDict, p: Prepared, fraction: float,
                   workdir: str) -> dict[str, list[encoders.TrainedEncoder]]:
  """Every view's encoder per split after `fraction` of the encoder's steps (0: freshly
  initialised), on its own shortened schedule (checkpointed in workdir)."""
  steps = round(fraction * config.encoder.train.steps)
  if steps == 0:
    return {v: [encoders.quick_encoder(config.encoder, part, v, 0, config.seed)
                for part in p.parts] for v in p.views}
  block = ml_collections.ConfigDict(config.encoder.to_dict())
  block.train.update(steps=steps, eval_every=steps, checkpoint_every=steps,
                     warmup_steps=round(fraction * config.encoder.train.warmup_steps))
  return dict(zip(p.views, encoders.train_on_views(
      block, p.parts, p.views, os.path.join(workdir, f"encoders@{fraction:g}"),
      config.seed)))


def early_verdicts(config: ml_collections.ConfigDict, p: Prepared, fraction: float,
                   workdir: str) -> dict[Pair, analysis.PairAnalysis]:
  """The CCH analysis of every pair on encoders trained `fraction` of their steps."""
  trained = early_encoders(config, p, fraction, workdir)
  a, label = config.analysis, label_estimators(config)[0]
  terms: dict[Pair, list[pipeline.CCHTerms]] = {}
  for k, held in enumerate(p.held):
    key = jax.random.fold_in(jax.random.key(config.seed), k)
    h = {v: np.asarray(kd.predict(trained[v][k].model, trained[v][k].params,
                                  held.views[v])[1], np.float32) for v in p.views}
    estimate = pipeline.symmetric_memo()
    for t in p.views:
      for s in (s for s in p.views if s != t):
        terms.setdefault((t, s), []).append(analysis.pair_terms(
            a, h[t], h[s], held.labels, key, label, estimate))
  families = analysis.shared_families(a, list(terms.values()))
  return {pair: analysis.judge(a, found, p.parts[0].n_classes, families=families)
          for pair, found in terms.items()}


def judge_pairs(config: ml_collections.ConfigDict,
                measured: Sequence[Mapping[Pair, Measured]], views: Sequence[str],
                n_classes: int) -> dict[Pair, results_lib.PairFindings]:
  """Per ordered pair over its splits: the calibrated and uncalibrated verdicts."""
  out = {}
  pairs = [(t, s) for t in views for s in views if s != t]
  families = analysis.shared_families(config.analysis,
                                      [[m[p].terms for m in measured] for p in pairs])
  for t, s in pairs:
    terms = [m[(t, s)].terms for m in measured]
    found = analysis.judge(config.analysis, terms, n_classes, families=families)
    logging.info("  %s -> %s: %s", t, s, found.verdict.reason)
    out[(t, s)] = results_lib.PairFindings(
        found, analysis.judge(config.analysis, terms, n_classes, calibrate=False),
        [m[(t, s)].criteria for m in measured])
  return out


def train_students(config: ml_collections.ConfigDict, parts: Sequence[data.MultiViewData],
                   trained: Mapping[str, Sequence[encoders.TrainedEncoder]],
                   views: Sequence[str], workdir: str) -> dict[str, results_lib.StudentRuns]:
  """Stage 3: per student view, baselines and KD students from every other view over
  splits × seeds × (λ, T); then each pilot's own short run of the same members (its
  own schedule, on the first r of the rows or at w of the width). Scores are accuracy, or
  −MAE in y's units (`students.member_scales`)."""
  out = {}
  step = students.pilot_step(config.student.train, config.pilot.fraction)
  variants = students.pilot_variants(config.pilot.variants)
  for i, s in enumerate(views):
    teachers = [t for t in views if t != s]
    members = students.student_members(config.kd, len(teachers), len(parts), parts[0].task)
    scale = students.member_scales(parts, members)
    logits = [[np.asarray(kd.predict(trained[t][k].model, trained[t][k].params,
                                     p.train.views[t])[0]) for t in teachers]
              for k, p in enumerate(parts)]
    train = dict(splits.stack(parts, "train", s), teacher_outputs=np.asarray(logits))
    evaluate = lambda name: splits.stack(parts, name, s)
    logging.info("stage 3/4: students on %r (%d/%d): %d members", s, i + 1, len(views),
                 len(members))
    fit = lambda block, rows, where: _timed(lambda: students.fit_students(
        block, parts[0], _first_rows(train, rows), members,
        os.path.join(workdir, where, wd.slug(s)), config.seed, evaluate("validation"),
        evaluate("test")))
    result, seconds = fit(config.student, 1.0, "students")
    pilots = {}
    for spec, fraction in variants.items():
      logging.info("  pilot %s: %d steps", spec, step)
      short, spent = fit(students.pilot_student_block(config.student, spec, step),
                         fraction if spec.startswith("rows") else 1.0,
                         os.path.join("pilots", wd.slug(spec)))
      pilots[spec] = results_lib.PilotRun(scale * np.asarray(short.val_score), spent)
    out[s] = results_lib.StudentRuns(
        members, scale * np.asarray(result.val_score), scale * np.asarray(result.test_score),
        teachers, step, seconds, pilots,
        (parts[0].train.n, parts[0].validation.n, parts[0].test.n))
  return out


def _first_rows(train: Mapping[str, np.ndarray], fraction: float) -> dict[str, np.ndarray]:
  """The first `fraction` of each split's training rows ('x', 'y' (S, n, ...),
  'teacher_outputs' (S, G, n, K)); the rows of a split are already in random order."""
  if fraction == 1.0:
    return dict(train)
  m = max(1, round(fraction * train["y"].shape[1]))
  return {"x": train["x"][:, :m], "y": train["y"][:, :m],
          "teacher_outputs": train["teacher_outputs"][:, :, :m]}


def _timed(fn: Any) -> tuple[Any, float]:
  """(fn(), its wall seconds)."""
  start = time.perf_counter()
  out = fn()
  return out, time.perf_counter() - start
