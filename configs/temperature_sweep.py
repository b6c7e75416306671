r"""Temperature × λ: T ∈ {1, 2, 3, 4} × λ ∈ {0.1, 0.25, 0.5, 0.75, 1.0} for two teachers of
one student, a strong view and a heavily blurred one (the report says which way the CCH
went for each and whether it held). All (teacher, λ, T, seed) students train as one
compiled program; the recommended (λ, T) per teacher comes from validation gains.

  python launch.py --config=configs/temperature_sweep.py --workdir=workdir/temperature_sweep

Tiny mode: `--config=configs/temperature_sweep.py:tiny`.

Expected output: the analysis lines, then

  temperature_sweep: teacher '...' -> student 'mnistm': ...; report: .../report.md

and in report.md the sweep table (test gain with CI per teacher, λ, T), in sweep.png one
heat map of the mean gain per teacher.
"""

from cch_jax.experiments.study.config import study_config, tiny


def get_config(arg: str | None = None):
  config = study_config("temperature_sweep", teacher="clean,blur:sigma=3",
                        student="mnistm")
  config.kd.lams = (0.1, 0.25, 0.5, 0.75, 1.0)
  config.kd.temperatures = (1.0, 2.0, 3.0, 4.0)
  if arg == "tiny":
    config = tiny(config)
    config.kd.lams, config.kd.temperatures = (0.5, 1.0), (1.0, 4.0)
    return config
  if arg:
    raise ValueError(f"config argument: expected nothing or 'tiny', got {arg!r}")
  return config
