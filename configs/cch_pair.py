r"""The generic CCH entry point: one teacher view, one student view.

On each of 5 stratified splits: encoders, the CCH terms I(H_t; H_s), I(H_s; Y) and their
gap with 95% CIs from two estimators, corrected by their bias on ground-truth tasks
shaped like the representations; the verdict (distil / do not distil / uncertain) pooled
over the splits; then unless `--config.train=False` baseline vs KD students over 5 splits
× 3 seeds, the pilot verdict (the paired validation gain after 20% of the students'
steps), and whether each prediction held, was contradicted or is inconclusive. Default:
the embedded digits, teacher on the clean images, student on the MNIST-M-style
domain-shifted view.

  python launch.py --config=configs/cch_pair.py --workdir=workdir/cch_pair

Analysis only:

  python launch.py --config=configs/cch_pair.py --workdir=/tmp/pair --config.train=False

Other data: a shipped multi-view set with its default views (`--config.data.name=diabetes`,
a regression target: gains in MAE with R²; `breast_cancer`; `sequence`), a multi-view .npz
(`--config.data.name=npz --config.data.path=FILE --config.data.teacher=VIEW
--config.data.student=VIEW`; y may be class labels or regression targets) or a TFDS image
dataset prepared in a data_dir (`--config.data.name=mnist --config.data.data_dir=DIR`). Tiny mode (seconds;
used by the tests): `--config=configs/cch_pair.py:tiny`. Verdicts with encoders trained
only briefly: `--config.analysis.a_priori_steps=0,100`.

Expected output: stage progress lines, then one line such as

  cch_pair: teacher 'clean' -> student 'mnistm': CCH predicted <VERDICT> (gap +0.xxx
  [...] nats over 5 splits; bias-corrected ...; p_sign_sampling ...); pilot <VERDICT>
  (validation gain ...); measured KD gain +0.0xx [...]: CCH prediction held /
  contradicted / inconclusive, pilot ...; recommended λ=..., T=...; report: .../report.md

and in the workdir: report.json, report.md, terms.png, gain_vs_gap.png, monitor.png,
monitor.json, teachers/, student/, students/ (checkpoints, metrics.jsonl). Kill it at any
point and run the same command again: every training stage resumes.
"""

from cch_jax.experiments.study.config import study_config, tiny


def get_config(arg: str | None = None):
  config = study_config("cch_pair", teacher="", student="")  # the data's default views
  if arg == "tiny":
    return tiny(config)
  if arg:
    raise ValueError(f"config argument: expected nothing or 'tiny', got {arg!r}")
  return config
