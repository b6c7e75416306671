r"""Criteria benchmark: every ordered pair of views, KD gains over seeds × splits, and
which criterion (CCH gap per estimator, scale-free gap, teacher accuracy, agreement,
CKA, the theory's exact rule on a fitted Gaussian) predicts them.

On the embedded digits (4 views, 12 ordered pairs, 5 splits × 5 seeds, λ ∈ {0.1, 0.25,
0.5, 0.9} × T ∈ {1, 3}), on a 2-core CPU:

  python launch.py --config=configs/criteria_benchmark.py --workdir=workdir/criteria

A shipped multi-view set with all its views (a regression target's gains are MAE
reductions; I(H_s; Y) by KSG and the Gaussian-probe bound; λ only, since T is unused):

  python launch.py --config=configs/criteria_benchmark.py --config.data.name=diabetes \
      --config.analysis.options.latent.batch=48 --workdir=workdir/criteria_diabetes

(latent MI's batches of 128 need 3 × 128 held-out rows; diabetes has 180, and without the
override the run stops before training with an `error:` line saying so).

Any multi-view .npz (arrays named by view plus 'y'):
`--config.data.name=npz --config.data.path=my.npz --config.views=audio,video,text`.
Tiny mode (tests): `--config=configs/criteria_benchmark.py:tiny`.

Expected output: progress per stage (encoders, the analysis of every split, each pair's
pooled calibrated verdict, student populations and the pilot variants' short runs with
ETA), then

  criteria_benchmark: 12 pairs × 5 splits × 5 seeds; best-ranked criterion ... (Spearman
  ... [CI]); CCH verdict: held h, contradicted c, inconclusive i of d decisive (12 pairs);
  pilot (20% of the students' steps): held ...; report: .../report.md

and in the workdir report.json (track_record per verdict, per pair), report.md (the
verdicts' track records, criteria ranked with bootstrap CIs and Holm-corrected p-values,
every pair's gains and outcomes), criteria.png and pairs.png.
"""

from cch_jax.experiments.criteria.config import benchmark_config, tiny


def get_config(arg: str | None = None):
  config = benchmark_config()
  if arg == "tiny":
    return tiny(config)
  if arg:
    raise ValueError(f"config argument: expected nothing or 'tiny', got {arg!r}")
  return config
