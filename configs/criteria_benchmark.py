r"""Criteria benchmark: every ordered pair of views, KD gains over seeds × splits, and
which criterion (CCH gap per estimator, scale-free gap, teacher accuracy, agreement,
CKA, the theory's exact rule on a fitted Gaussian) predicts them.

On the embedded digits (4 views, 12 ordered pairs, 5 splits × 5 seeds, λ ∈ {0.1, 0.25,
0.5, 0.9} × T ∈ {1, 3}), on a 2-core CPU:

  python launch.py --config=configs/criteria_benchmark.py --workdir=workdir/criteria

Any multi-view .npz (arrays named by view plus 'y'):
`--config.data.name=npz --config.data.path=my.npz --config.views=audio,video,text`.
Tiny mode (tests): `--config=configs/criteria_benchmark.py:tiny`.

Expected output: progress per stage (encoders per view, the analysis line of every pair
and split with its calibrated verdict, student populations with ETA), then

  criteria_benchmark: 12 pairs × 5 splits × 5 seeds; best-ranked criterion ...;
  decisive CCH verdicts held k/n (..%); report: .../report.md

and in the workdir report.json, report.md (criteria ranked, the verdict's track record,
every pair's gains), criteria.png and pairs.png.
"""

from cch_jax.experiments import criteria_benchmark, stages


def get_config(arg: str | None = None):
  config = criteria_benchmark.benchmark_config()
  if arg == "tiny":
    config.views = "clean,mnistm,blur:sigma=2"
    config.splits = 2
    for block in (config.encoder, config.student):
      block.model = stages.model_config("mlp", widths=(32,))
      block.train = stages.train_config(40, batch_size=64, evaluations=2)
    config.analysis.estimators = "ksg,gaussian"
    config.analysis.n_resamples = 5
    config.analysis.calibration_seeds = 1
    config.kd.update(lams=(0.5,), temperatures=(3.0,), seeds=2)
  elif arg:
    raise ValueError(f"config argument: expected nothing or 'tiny', got {arg!r}")
  return config
