"""The criteria benchmark's config (every key; configs/criteria_benchmark.py adjusts it).
ml_collections only."""

from __future__ import annotations

import ml_collections

from cch_jax.experiments.common import config as blocks


def benchmark_config() -> ml_collections.ConfigDict:
  """Views (every ordered pair is a teacher → student pair), splits, the encoder and
  student blocks, the analysis (several estimators and label estimators: each gap is a
  criterion), the students' kd block and the pilot."""
  config = ml_collections.ConfigDict()
  config.experiment = "criteria_benchmark"
  config.seed = 0
  config.data = blocks.data_block(views=False)
  config.views = ""  # the data's default views (digits: clean, mnistm, blur, noise)
  config.splits = 5
  config.encoder = blocks.model_and_train("mlp", 800)
  config.student = blocks.model_and_train("mlp", 600, evaluations=5)
  config.analysis = ml_collections.ConfigDict({
      "split": "validation+test", "estimators": "copula,ksg,latent",
      "label_estimators": "auto", "reduce_dim": 8, "n_resamples": 20,
      "calibrate": True, "calibration_draws": 10,
      "options": {"latent": {"seeds": 2, "steps": 300, "batch": 128, "latent": 8,
                             "width": 64, "k": 3},
                  "ksg": {"k": 3}, "copula": {}, "label_knn": {"k": 3},
                  "label_probe": {"seeds": 2}, "gaussian_probe": {"seeds": 2}}})
  config.kd = blocks.kd_block(lams=(0.1, 0.25, 0.5, 0.9), temperatures=(1.0, 3.0), seeds=5)
  config.pilot = blocks.pilot_block(variants="rows:0.5,width:0.5")
  return config


def tiny(config: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
  """Seconds-long: three views, two splits, tiny MLPs, cheap estimators, two seeds."""
  config.views = "clean,mnistm,blur:sigma=2"
  config.splits = 2
  config.encoder = blocks.tiny_model_and_train()
  config.student = blocks.tiny_model_and_train()
  config.analysis.estimators = "ksg,gaussian"
  config.analysis.n_resamples = 5
  config.analysis.calibration_draws = 10
  config.kd.update(lams=(0.5,), temperatures=(3.0,), seeds=2)
  config.pilot.update(fraction=0.5, variants="rows:0.5")  # tiny runs evaluate twice
  return config
