"""The criteria benchmark: every ordered pair of views, KD gains over seeds × splits, and
how well the CCH gap and its rivals predicted them.

Stages (each training stage checkpointed and resumable):
  1. Encoders: per view, one population over S repeated stratified splits (each view's
     encoder is the teacher of the pairs it teaches and the pre-training student of the
     pairs it learns in).
  2. Analysis per split and ordered pair, on held-out rows: the CCH terms by every
     estimator with 95% CIs, the calibrated verdict (estimator bias measured on
     ground-truth tasks of the same dimensions and n) and every criterion
     (`pipeline.criteria`).
  3. Students: per student view, one population over splits × seeds × teachers × (λ, T)
     plus the paired baselines.
  4. Outcomes: per pair, the paired gain at the reference (λ, T) (mean, SE over splits,
     per split, sign stability) and the best (λ, T) on validation with its test gain; the
     criteria ranked by sign agreement and Spearman with the gains; the share of decisive
     verdicts that held. report.json, report.md, criteria.png, pairs.png.
"""

from __future__ import annotations

import os
from typing import Any

import jax
import ml_collections
import numpy as np
from absl import logging

from cch_jax import data, kd, mi, pipeline
from cch_jax.data import transforms
from cch_jax.experiments import criteria_report, stages, study
from cch_jax.experiments.registry import EXPERIMENTS
from cch_jax.pipeline import criteria, representations


def benchmark_config() -> ml_collections.ConfigDict:
  """Every key of the benchmark (configs/criteria_benchmark.py adjusts it)."""
  config = ml_collections.ConfigDict()
  config.experiment = "criteria_benchmark"
  config.seed = 0
  config.data = data.default_config()
  config.data.teacher = config.data.student = "(every view in `views`)"
  config.views = "clean,mnistm,blur:sigma=2,noise:std=0.5"
  config.splits = 5
  config.encoder = ml_collections.ConfigDict(
      {"model": stages.model_config("mlp"), "train": stages.train_config(800)})
  config.student = ml_collections.ConfigDict(
      {"model": stages.model_config("mlp"), "train": stages.train_config(600, evaluations=4)})
  config.analysis = ml_collections.ConfigDict({
      "split": "validation+test", "estimators": "latent,ksg,gaussian",
      "label_estimators": "label_knn,label_probe", "reduce_dim": 8, "n_resamples": 20,
      "calibrate": True, "calibration_seeds": 2,
      "options": {"latent": {"seeds": 2, "steps": 300, "batch": 128, "latent": 8,
                             "width": 64, "k": 3},
                  "ksg": {"k": 3}, "gaussian": {}, "label_knn": {"k": 3},
                  "label_probe": {"seeds": 2}}})
  config.kd = ml_collections.ConfigDict({
      "lam": 0.5, "temperature": 3.0, "lams": (0.1, 0.25, 0.5, 0.9),
      "temperatures": (1.0, 3.0), "seeds": 5, "beta": 0.0})
  return config


def view_list(config: ml_collections.ConfigDict) -> tuple[str, ...]:
  """config.views as a tuple of at least two distinct views."""
  views = transforms.split_view_list(config.views)
  if len(views) < 2 or len(set(views)) != len(views):
    raise ValueError(f"views: expected at least two distinct views, got {config.views!r}")
  return views


def label_estimators(config: ml_collections.ConfigDict) -> tuple[str, ...]:
  names = tuple(n.strip() for n in config.analysis.label_estimators.split(",") if n.strip())
  if not names:
    raise ValueError("analysis.label_estimators: expected at least one, e.g. 'label_knn'")
  return names


def load_splits(config: ml_collections.ConfigDict, views: tuple[str, ...]
                ) -> list[data.MultiViewData]:
  """The same views under S stratified splits (data.split_seed = data.seed + s)."""
  if not isinstance(config.splits, int) or config.splits < 1:
    raise ValueError(f"splits: expected an integer >= 1, got {config.splits!r}")
  return [data.load_views(config.data, teacher=",".join(views), student=views[0],
                          split_seed=config.data.seed + s) for s in range(config.splits)]


def stack(parts: list[data.MultiViewData], split: str, view: str) -> dict[str, np.ndarray]:
  """{'x' (S, n, ...), 'y' (S, n)} of `view` in `split` over the S splits."""
  return {"x": np.stack([getattr(p, split).views[view] for p in parts]),
          "y": np.stack([getattr(p, split).labels for p in parts])}


def check_benchmark(config: ml_collections.ConfigDict, held: list[data.Split]) -> None:
  """Every check that can fail before training, with the option at fault named."""
  a = config.analysis
  names = study.estimator_names(config)
  options = study.estimator_options(config)
  for label in label_estimators(config):
    pipeline.check_settings(names, label, a.reduce_dim, options)
  need = max(pipeline.required_samples(names, label, options, a.n_resamples)
             for label in label_estimators(config))
  if held[0].n < need:
    raise ValueError(f"analysis.split: {held[0].n} held-out rows per split, the estimators "
                     f"need at least {need}; use more examples or a larger held-out share")
  if not 0 <= config.kd.lam <= 1 or any(not 0 <= lam <= 1 for lam in config.kd.lams):
    raise ValueError("kd.lam, kd.lams: expected values in [0, 1]")
  stages.check_population("encoder", config.encoder, config.splits)
  stages.check_population("student", config.student,
                          len(study.members_of(config, 1, config.splits)["seed"]))


def train_encoders(config, parts, views, workdir) -> dict[str, tuple[Any, Any]]:
  """Stage 1: per view, a model and its params with a leading split axis (S, ...)."""
  members = kd.paired_grid((), (), [config.seed], splits=len(parts))
  out = {}
  for i, view in enumerate(views):
    logging.info("stage 1/4: encoders on %r (%d/%d), %d splits", view, i + 1, len(views),
                 len(parts))
    model = stages.build_model(config.encoder.model, parts[0].n_classes)
    result = kd.fit_population(
        model, kd.TrainConfig.from_mapping(config.encoder.train), stack(parts, "train", view),
        members, os.path.join(workdir, "encoders", stages.slug(view)),
        key=jax.random.key(config.seed), val=stack(parts, "validation", view))
    out[view] = (model, result.params["model"])
  return out


def analyse_split(config, held: data.Split, encoders, views, key, n_train
                  ) -> dict[tuple[str, str], dict[str, Any]]:
  """Stage 2 on one split: {(teacher, student): terms, verdicts, criteria}."""
  a = config.analysis
  names, labels = study.estimator_names(config), label_estimators(config)
  options = study.estimator_options(config)
  seen = {}
  for view in views:
    model, params = encoders[view]
    logits, h = kd.batching.predict_jit(model, params, held.views[view])
    h = np.asarray(h, np.float32)
    seen[view] = {"h": h, "logits": np.asarray(logits),
                  "z": representations.pca(representations.clean(view, h), a.reduce_dim)}
  extra = {view: {name: mi.estimate(seen[view]["z"], held.labels, name, key=key,
                                    n_resamples=a.n_resamples, **options.get(name, {}))
                  for name in labels[1:]} for view in views}
  out = {}
  estimate = pipeline.symmetric_memo()  # (t, s) and (s, t) share I(H_t; H_s)
  for t in views:
    for s in views:
      if s == t:
        continue
      terms = pipeline.cch_terms(seen[t]["h"], seen[s]["h"], held.labels, key,
                                 estimators=names, label_estimator=labels[0],
                                 reduce_dim=a.reduce_dim, n_resamples=a.n_resamples,
                                 options=options, estimate=estimate)
      biases = study.gap_biases(config, terms, held.labels)
      calibrated = pipeline.verdict(terms, biases)
      values = criteria.pair_criteria(terms, extra[s], seen[t]["z"], seen[s]["z"],
                                      seen[t]["h"], seen[s]["h"], held.labels,
                                      seen[t]["logits"], seen[s]["logits"], n_train)
      out[(t, s)] = {"terms": terms, "verdict": calibrated,
                     "uncalibrated": pipeline.verdict(terms), "biases": biases,
                     "criteria": values}
      logging.info("  %s -> %s: %s", t, s, calibrated.reason)
  return out


def train_students(config, parts, encoders, views, workdir) -> dict[str, Any]:
  """Stage 3: per student view, baselines and KD students from every other view over
  splits × seeds × (λ, T). Returns {student view: (members, val accuracy (M,), test
  accuracy (M,), the teacher views in members['teacher'] order)}."""
  out = {}
  model = stages.build_model(config.student.model, parts[0].n_classes)
  train_config = kd.TrainConfig.from_mapping(config.student.train)
  for i, s in enumerate(views):
    teachers = [t for t in views if t != s]
    members = study.members_of(config, len(teachers), len(parts))
    logits = [[np.asarray(kd.batching.predict_jit(
        encoders[t][0], jax.tree.map(lambda a: a[k], encoders[t][1]),
        p.train.views[t])[0]) for t in teachers] for k, p in enumerate(parts)]
    train = dict(stack(parts, "train", s), teacher_logits=np.asarray(logits))
    logging.info("stage 3/4: students on %r (%d/%d): %d members", s, i + 1, len(views),
                 len(members["seed"]))
    result = kd.fit_population(model, train_config, train, members,
                               os.path.join(workdir, "students", stages.slug(s)),
                               key=jax.random.key(config.seed + 1),
                               val=stack(parts, "validation", s), test=stack(parts, "test", s))
    out[s] = (members, np.asarray(result.val_accuracy), np.asarray(result.test_accuracy),
              teachers)
  return out


def run(config: ml_collections.ConfigDict, workdir: str) -> dict[str, Any]:
  views = view_list(config)
  parts = load_splits(config, views)
  held = [study.analysis_rows(p, config.analysis.split) for p in parts]
  check_benchmark(config, held)
  stages.guard_workdir(workdir, {
      "data": config.data.to_dict(), "views": list(views), "splits": config.splits,
      "encoder": config.encoder.to_dict(), "student": config.student.to_dict(),
      "kd": config.kd.to_dict(), "seed": config.seed})
  logging.info("data: %s; %d splits, %d ordered pairs", parts[0].summary(), len(parts),
               len(views) * (len(views) - 1))
  clock = stages.Clock()
  encoders = train_encoders(config, parts, views, workdir)
  clock("encoders")
  analyses = []
  for k, h in enumerate(held):
    logging.info("stage 2/4: analysis of split %d/%d (%d held-out rows)", k + 1, len(held),
                 h.n)
    split_encoders = {v: (m, jax.tree.map(lambda a: a[k], p)) for v, (m, p) in
                      encoders.items()}
    analyses.append(analyse_split(config, h, split_encoders, views,
                                  jax.random.fold_in(jax.random.key(config.seed), k),
                                  parts[k].train.n))
  clock("analysis")
  students = train_students(config, parts, encoders, views, workdir)
  clock("students")
  results = criteria_report.collect(config, parts, views, analyses, students)
  results["seconds"] = clock.seconds
  if jax.process_index() == 0:
    criteria_report.write(results, workdir)
  print(criteria_report.one_line(results, os.path.join(workdir, "report.md")))
  return results


EXPERIMENTS.register("criteria_benchmark")(run)
