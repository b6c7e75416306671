"""The criteria benchmark's stages (training checkpointed and resumable):
  1. Encoders: per view, one population over S repeated stratified splits (each view's
     encoder is the teacher of the pairs it teaches and the pre-training student of the
     pairs it learns in).
  2. Analysis per split and ordered pair, on held-out rows: the CCH terms by every
     estimator with 95% CIs, the calibrated verdict and every criterion
     (`pipeline.criteria`).
  3. Students: per student view, one population over splits × seeds × teachers × (λ, T)
     plus the paired baselines.
  4. Outcomes (`results`): per pair the paired gains, the criteria ranked, the verdicts'
     track record; report.json, report.md, criteria.png, pairs.png.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import jax
import ml_collections
import numpy as np
from absl import logging

from cch_jax import data, kd, mi, pipeline
from cch_jax.experiments.common import analysis, encoders, students, workdir as wd
from cch_jax.experiments.criteria import plots, report, results as results_lib
from cch_jax.utils import files

Pair = tuple[str, str]


def run(config: ml_collections.ConfigDict, workdir: str) -> dict[str, Any]:
  views = view_list(config)
  parts = load_splits(config, views)
  held = [analysis.analysis_rows(p, config.analysis.split) for p in parts]
  check_benchmark(config, held)
  wd.guard_workdir(workdir, {
      "data": config.data.to_dict(), "views": list(views), "splits": config.splits,
      "encoder": config.encoder.to_dict(), "student": config.student.to_dict(),
      "kd": config.kd.to_dict(), "seed": config.seed})
  logging.info("data: %s; %d splits, %d ordered pairs", parts[0].summary(), len(parts),
               len(views) * (len(views) - 1))
  clock = wd.Clock()
  trained = train_encoders(config, parts, views, workdir)
  clock("encoders")
  analyses = []
  for k, h in enumerate(held):
    logging.info("stage 2/4: analysis of split %d/%d (%d held-out rows)", k + 1, len(held),
                 h.n)
    split_encoders = {v: encoders.TrainedEncoder(e.model, encoders.member(e.params, k))
                      for v, e in trained.items()}
    analyses.append(analyse_split(config, h, split_encoders, views,
                                  jax.random.fold_in(jax.random.key(config.seed), k),
                                  parts[k].train.n))
  clock("analysis")
  runs = train_students(config, parts, trained, views, workdir)
  clock("students")
  header = {"experiment": config.experiment, "source": parts[0].source,
            "n_classes": parts[0].n_classes,
            "n": {k: v.n for k, v in parts[0].splits().items()},
            "config": config.to_dict(), "versions": files.run_metadata()}
  out = results_lib.collect(header, config.analysis, config.kd, views, analyses, runs,
                            calibration_tables(config, analyses[0][(views[0], views[1])]))
  out["seconds"] = clock.seconds
  wd.write_outputs(workdir, {
      "criteria.png": lambda p: plots.save_criteria(out, p),
      "pairs.png": lambda p: plots.save_pairs(out, p),
      "report.json": lambda p: files.write_json(p, out),
      "report.md": lambda p: files.write_text(p, report.markdown(out))})
  print(report.one_line(out, os.path.join(workdir, "report.md")))
  return out


def view_list(config: ml_collections.ConfigDict) -> tuple[str, ...]:
  """config.views as a tuple of at least two distinct views."""
  views = data.split_view_list(config.views)
  if len(views) < 2 or len(set(views)) != len(views):
    raise ValueError(f"views: expected at least two distinct views, got {config.views!r}")
  return views


def label_estimators(config: ml_collections.ConfigDict) -> tuple[str, ...]:
  """analysis.label_estimators as names; the first gives the verdict's gap."""
  return analysis.known_names("analysis.label_estimators", config.analysis.label_estimators)


def load_splits(config: ml_collections.ConfigDict, views: tuple[str, ...]
                ) -> list[data.MultiViewData]:
  """The same views under S stratified splits (data.split_seed = data.seed + s)."""
  if not isinstance(config.splits, int) or config.splits < 1:
    raise ValueError(f"splits: expected an integer >= 1, got {config.splits!r}")
  return [data.load_views(config.data, teacher=",".join(views), student=views[0],
                          split_seed=config.data.seed + s) for s in range(config.splits)]


def stack(parts: Sequence[data.MultiViewData], split: str, view: str
          ) -> dict[str, np.ndarray]:
  """{'x' (S, n, ...), 'y' (S, n)} of `view` in `split` over the S splits."""
  return {"x": np.stack([getattr(p, split).views[view] for p in parts]),
          "y": np.stack([getattr(p, split).labels for p in parts])}


def check_benchmark(config: ml_collections.ConfigDict, held: Sequence[data.Split]) -> None:
  """Every check that can fail before training, with the option at fault named."""
  analysis.check_rows(config.analysis, label_estimators(config), held[0].n)
  encoders.check_population("encoder", config.encoder, config.splits)
  encoders.check_population("student", config.student,
                            len(students.student_members(config.kd, 1, config.splits)))


def train_encoders(config: ml_collections.ConfigDict, parts: Sequence[data.MultiViewData],
                   views: Sequence[str], workdir: str) -> dict[str, encoders.TrainedEncoder]:
  """Stage 1: per view, the model and its params with a leading split axis (S, ...)."""
  members = kd.paired_grid((), (), [config.seed], splits=len(parts))
  out = {}
  for i, view in enumerate(views):
    logging.info("stage 1/4: encoders on %r (%d/%d), %d splits", view, i + 1, len(views),
                 len(parts))
    model = encoders.build_model(config.encoder.model, parts[0].n_classes)
    result = kd.fit_population(
        model, kd.TrainConfig.from_mapping(config.encoder.train), stack(parts, "train", view),
        members, os.path.join(workdir, "encoders", wd.slug(view)),
        key=jax.random.key(config.seed), val=stack(parts, "validation", view))
    out[view] = encoders.TrainedEncoder(model, result.params["model"])
  return out


def analyse_split(config: ml_collections.ConfigDict, held: data.Split,
                  trained: Mapping[str, encoders.TrainedEncoder], views: Sequence[str],
                  key: jax.Array, n_train: int) -> dict[Pair, results_lib.PairFindings]:
  """Stage 2 on one split: per ordered (teacher, student) pair the analysis, the verdict
  without the bias correction and every criterion."""
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
      found = analysis.analyse_pair(a, seen[t]["h"], seen[s]["h"], held.labels, key,
                                    labels[0], estimate)
      values = pipeline.pair_criteria(found.terms, extra[s], seen[t]["z"], seen[s]["z"],
                                      seen[t]["h"], seen[s]["h"], held.labels,
                                      seen[t]["logits"], seen[s]["logits"], n_train)
      out[(t, s)] = results_lib.PairFindings(found, pipeline.verdict(found.terms), values)
      logging.info("  %s -> %s: %s", t, s, found.verdict.reason)
  return out


def train_students(config: ml_collections.ConfigDict, parts: Sequence[data.MultiViewData],
                   trained: Mapping[str, encoders.TrainedEncoder], views: Sequence[str],
                   workdir: str) -> dict[str, results_lib.StudentRuns]:
  """Stage 3: per student view, baselines and KD students from every other view over
  splits × seeds × (λ, T)."""
  out = {}
  for i, s in enumerate(views):
    teachers = [t for t in views if t != s]
    members = students.student_members(config.kd, len(teachers), len(parts))
    logits = [[np.asarray(kd.predict(trained[t].model, encoders.member(trained[t].params, k),
                                     p.train.views[t])[0]) for t in teachers]
              for k, p in enumerate(parts)]
    logging.info("stage 3/4: students on %r (%d/%d): %d members", s, i + 1, len(views),
                 len(members))
    result = students.fit_students(
        config.student, parts[0].n_classes,
        dict(stack(parts, "train", s), teacher_logits=np.asarray(logits)), members,
        os.path.join(workdir, "students", wd.slug(s)), config.seed,
        stack(parts, "validation", s), stack(parts, "test", s))
    out[s] = results_lib.StudentRuns(members, np.asarray(result.val_accuracy),
                                     np.asarray(result.test_accuracy), teachers)
  return out


def calibration_tables(config: ml_collections.ConfigDict, first: results_lib.PairFindings
                       ) -> list[dict[str, Any]]:
  """The ground-truth calibrations of the first pair (cached: no new work); pairs whose
  representations have the same dimensions share them."""
  if not config.analysis.calibrate:
    return []
  options, terms = analysis.estimator_options(config.analysis), first.analysis.terms
  return [pipeline.calibrate(name, dx, dy, terms.n, options.get(name),
                             config.analysis.calibration_seeds).to_dict()
          for name, (dx, dy) in terms.dims.items()]
