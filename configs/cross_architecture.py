r"""Different architectures and modalities: a Transformer teacher on a sequence view
distils into an MLP student on a vector view.

Data: the synthetic sequence-plus-vector generator (`data.name=sequence`, 2000 examples,
4 classes): one random step of each variable-length sequence (8–16 steps of 8 features,
padded, with a mask) carries a class motif; the vector (8 features) carries weaker class
information. Both views depend on each other only through the class, and the generator's
Bayes accuracies are known: about 0.91 from the sequence, 0.55 from the vector
(`cch_jax/data/synthetic_sequence.py`). The CCH study as in configs/cch_pair.py (5 splits
× 3 seeds, copula + KSG, calibrated), with a 2-block Transformer teacher and an MLP
student.

  python launch.py --config=configs/cross_architecture.py --workdir=workdir/cross_arch

A 1-D CNN teacher instead: `--config.teacher.model.encoder=cnn1d`. Tiny mode (seconds):
`--config=configs/cross_architecture.py:tiny`.

Expected output: one line 'cross_architecture: teacher 'sequence' -> student 'vector':
CCH predicted ... measured KD gain ...' and report.md / report.json / PNGs in the workdir.
"""

from cch_jax.experiments.common import config as blocks
from cch_jax.experiments.study.config import study_config, tiny


def get_config(arg: str | None = None):
  config = study_config("cross_architecture", teacher="sequence", student="vector")
  config.data.name = "sequence"
  config.teacher = blocks.model_and_train("transformer", 1500, batch_size=64)
  config.teacher.model.update(width=32, depth=2, heads=4, hidden=64)
  config.student = blocks.model_and_train("mlp", 1000)
  config.student.model.widths = (64, 64)
  if arg == "tiny":
    config = tiny(config)
    config.data.sequence.n = 600
    config.teacher.model = blocks.model_block("transformer", width=16, depth=1, heads=2,
                                              hidden=16)
    return config
  if arg:
    raise ValueError(f"config argument: expected nothing or 'tiny', got {arg!r}")
  return config
