"""The study's config (every key; configs/*.py adjust it). ml_collections only."""

from __future__ import annotations

import ml_collections

from cch_jax.experiments.common import config as blocks


def study_config(experiment: str, teacher: str = "clean", student: str = "mnistm"
                 ) -> ml_collections.ConfigDict:
  """The config of a study.

  Blocks: data (`data.default_config()`), splits (repeated stratified splits: every
  encoder, analysis and student population runs on each), teacher / student (model,
  train), analysis (where and how the terms are estimated), train (run the students'
  stage), kd (the sweep grid lams × temperatures, seeds, feature weight beta, and the
  reference (λ, T) where predictions are checked), pilot (when the pilot reads the
  students).
  """
  config = ml_collections.ConfigDict()
  config.experiment = experiment
  config.seed = 0
  config.data = blocks.data_block(teacher=teacher, student=student)
  config.teacher = blocks.model_and_train("mlp", 1000)
  config.student = blocks.model_and_train("mlp", 1500)
  config.analysis = ml_collections.ConfigDict({
      "split": "validation", "estimators": "copula,ksg",
      "label_estimator": "auto", "reduce_dim": 8, "n_resamples": 20,
      "a_priori_steps": (), "monitor": True, "monitor_estimator": "copula",
      "calibrate": True, "calibration_draws": 10,
      "options": {"latent": {"seeds": 4, "steps": 500, "batch": 128, "latent": 8,
                             "width": 64, "k": 3},
                  "ksg": {"k": 3}, "copula": {}, "label_knn": {"k": 3},
                  "label_probe": {"seeds": 4}, "gaussian_probe": {"seeds": 4}}})
  config.splits = 5
  config.train = True
  config.kd = blocks.kd_block()
  config.pilot = blocks.pilot_block()
  return config


def tiny(config: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
  """A seconds-long version of a study config (smoke tests): tiny MLPs, few steps, cheap
  estimators, no estimator-bias calibration (the criteria benchmark's tiny mode and
  tests/pipeline/test_calibration.py cover it), two splits × two seeds, the pilot at
  half the steps."""
  config.teacher = blocks.tiny_model_and_train()
  config.student = blocks.tiny_model_and_train()
  config.analysis.n_resamples = 5
  config.analysis.calibrate = False  # the estimator-bias runs cost more than a tiny study
  config.analysis.options.latent.update(seeds=2, steps=50, batch=64, width=16)
  config.kd.seeds = 2
  config.splits = 2
  config.pilot.fraction = 0.5  # tiny runs evaluate twice
  return config

