r"""KD from one teacher view to one student view: teacher, then paired baseline/KD students.

Default: the embedded digits (no download); teacher on the clean images, students on the
MNIST-M-style domain-shifted view; λ = 0.5, T = 3 against a λ = 0 baseline over 3 seeds.

Command (about a minute on a 2-core CPU):

  python launch.py --config=configs/kd_pair.py --workdir=workdir/kd_pair

Overrides, e.g. a blurred student, a CNN student and a λ × T grid:

  python launch.py --config=configs/kd_pair.py --workdir=/tmp/kd \
      --config.data.student=blur:sigma=1.5 --config.student.model.encoder=cnn \
      --config.kd.lams=0.25,0.5,1.0 --config.kd.temperatures=1.0,4.0

Any TFDS image dataset prepared in a data_dir (`--config.data.name=mnist
--config.data.data_dir=DIR`) or a multi-view .npz (`--config.data.name=npz
--config.data.path=FILE --config.data.teacher=VIEW --config.data.student=VIEW`).
Tiny mode (seconds; used by the tests): `--config=configs/kd_pair.py:tiny`.

Kill it at any point and run the same command again: both stages resume from their
latest checkpoints in the workdir.

Expected output: progress lines per stage, then one line such as

  kd_pair: teacher 'clean' test accuracy 0.97x; student 'mnistm' baseline 0.8xx ± 0.0xx,
  best KD (λ=0.5, T=3) 0.8xx ± 0.0xx, gain +0.0xx ± 0.0xx over 3 seeds; report: ...

and in the workdir: config.json, results.json, report.md, students.png, teacher/ and
students/ (checkpoints, metrics.jsonl).
"""

import ml_collections

from cch_jax.experiments.common.config import (data_block, model_and_train, model_block,
                                               train_block)


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  """Returns the config; `arg='tiny'` gives a seconds-long smoke run."""
  config = ml_collections.ConfigDict()
  config.experiment = "kd_pair"
  config.seed = 0
  config.data = data_block()
  config.teacher = model_and_train("cnn", 1500)
  config.student = model_and_train("mlp", 1500)
  config.kd = ml_collections.ConfigDict(
      {"lams": (0.5,), "temperatures": (3.0,), "seeds": 3, "beta": 0.0})
  if arg == "tiny":
    for block in (config.teacher, config.student):
      block.model = model_block("mlp", widths=(32,))
      block.train = train_block(40, batch_size=64)
    config.kd.seeds = 2
  elif arg:
    raise ValueError(f"config argument: expected nothing or 'tiny', got {arg!r}")
  return config
