r"""Fusion vs Fusion + KD (the paper's omics comparison, here on digits): the student sees
two weak views fused (concatenated channels), the teacher a third view. The CCH verdict
for the fused student is checked against the measured difference between the fused
student with and without KD.

  python launch.py --config=configs/fusion_kd.py --workdir=workdir/fusion_kd

Fuse any views with '&' (`--config.data.student='occlude:half=left&mnistm'`); on a .npz,
`--config.data.name=npz --config.data.path=FILE --config.data.student=RNA&METH
--config.data.teacher=CNV`. Tiny mode: `--config=configs/fusion_kd.py:tiny`.

Expected output: the analysis line, then

  fusion_kd: teacher 'clean' -> student 'blur:sigma=1.5&noise:std=0.5': predicted
  <VERDICT> (gap ...);
  measured KD gain ... (prediction held / failed); report: .../report.md
"""

from cch_jax.experiments.study.config import study_config, tiny


def get_config(arg: str | None = None):
  config = study_config("fusion_kd", teacher="clean",
                        student="blur:sigma=1.5&noise:std=0.5")
  if arg == "tiny":
    return tiny(config)
  if arg:
    raise ValueError(f"config argument: expected nothing or 'tiny', got {arg!r}")
  return config
