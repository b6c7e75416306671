r"""Criteria benchmark: every ordered (teacher, student) pair of views, its KD gain over
splits × seeds, and how well each verdict (the CCH gap calibrated and not, on encoders
trained 0 / 10 / 100% of their steps; pilot runs; constant rules) and each criterion
(CCH gaps per estimator, teacher score, teacher − student, LogME, H-score, k-NN probe,
CKA, agreement, the theory's exact rule) predicted it.

The embedded benchmark (44 pairs from digits with 6 views, breast_cancer, diabetes,
sequence and two synthetic sets; 5 splits × 4 seeds; λ ∈ {0.25, 0.5, 0.9}, T = 3), about
40 min on a 2-core CPU (`benchmarks/RESULTS.md`):

  python launch.py --config=configs/criteria_benchmark.py:embedded --workdir=workdir/criteria

Your own data, every ordered pair of an .npz's views (arrays named by view plus 'y'):

  python launch.py --config=configs/criteria_benchmark.py --workdir=workdir/mine \
      --config.data.name=npz --config.data.path=my.npz --config.views=audio,video,text

Without `data` overrides it runs on the embedded digits' default views. Tiny mode (tests):
`--config=configs/criteria_benchmark.py:tiny`.

Expected output: progress per source and stage (encoders, the analysis of every split and
each pair's pooled calibrated verdict, the early-encoder analyses, student populations and
the pilots' short runs with ETA), then

  criteria_benchmark: 44 pairs from 6 source(s) × 5 splits × 4 seeds; headline ...:
  balanced accuracy ... [CI] on ... significant pairs; held ... of ... decided (...);
  CCH gap: ...; recommended λ, T: ...; report: .../report.md

and in the workdir report.json (`pairs`, each with its gain and one {label, outcome} per
verdict; `headline`; `track_record` per verdict; `criteria_scores`), report.md,
criteria.png and pairs.png.
"""

from cch_jax.experiments.criteria.config import benchmark_config, embedded, tiny


def get_config(arg: str | None = None):
  config = benchmark_config()
  if arg == "tiny":
    return tiny(config)
  if arg == "embedded":
    return embedded(config)
  if arg:
    raise ValueError(f"config argument: expected nothing, 'embedded' or 'tiny', got {arg!r}")
  return config
