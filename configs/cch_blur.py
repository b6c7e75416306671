r"""The controlled-degradation study (the paper's Table 1) on the embedded digits.

Student view fixed: the MNIST-M-style domain-shifted digits. Teacher view: the clean
digits blurred with σ = γ over `blur.sigmas` (γ = 0 is the clean image) and, as a variant,
noised with std over `blur.noise_stds`. Per teacher, over 5 stratified splits: the CCH
terms with 95% CIs from two estimators, the bias-corrected verdict pooled over the splits,
the baseline vs KD students over 5 splits × `kd.seeds` seeds, the gain with its CI and
the pilot verdict; then gain against gap (gain_vs_gap.png), the teachers ranked by paired
differences, and each prediction's outcome.

The main job (README), about 3 minutes on a 2-core CPU:

  python launch.py --config=configs/cch_blur.py:small --workdir=workdir/cch_blur

The full grid (5 seeds, 10 teachers): `--config=configs/cch_blur.py`. Any grid:
`--config.blur.sigmas=0,2,4 --config.blur.noise_stds=0.5`. Tiny mode (tests):
`--config=configs/cch_blur.py:tiny`.

Expected output: progress lines per stage (teachers, student encoder, one analysis line
per γ with its verdict, the student population with ETA, the gap monitor), then

  cch_blur: teacher '<top-ranked view>' -> student 'mnistm': CCH predicted <VERDICT> (gap
  ... nats over 5 splits; bias-corrected ...; p_sign_sampling ...); pilot <VERDICT> (...);
  measured KD gain ...: CCH prediction held, pilot ...; recommended λ=..., T=...; report:
  .../report.md

and in the workdir report.json, report.md (the Table-1-style table, agreement), terms.png,
gain_vs_gap.png, monitor.png.
"""

import ml_collections

from cch_jax.experiments.study.config import study_config, tiny


def get_config(arg: str | None = None):
  config = study_config("cch_blur", student="mnistm")
  del config.data["teacher"]  # the teachers come from the blur grid
  config.blur = ml_collections.ConfigDict({
      "sigmas": (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0), "noise_stds": (0.25, 0.5, 1.0)})
  config.kd.seeds = 5
  if arg == "small":
    config.blur.sigmas, config.blur.noise_stds = (0.0, 1.0, 2.0, 3.0), (0.5,)
    config.kd.seeds = 3
  elif arg == "tiny":
    config = tiny(config)
    config.blur.sigmas, config.blur.noise_stds = (0.0, 3.0), ()
  elif arg:
    raise ValueError(f"config argument: expected nothing, 'small' or 'tiny', got {arg!r}")
  return config
