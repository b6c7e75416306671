r"""Teacher selection: several candidate teacher views of the same examples for one
student view. The CCH ranks them by gap before any KD; one student population then
measures every teacher's KD gain, and the report gives the Spearman correlation between
gap and gain and whether the top-ranked teacher is the best (or within its CI).

  python launch.py --config=configs/teacher_selection.py --workdir=workdir/teacher_selection

A list of teacher views from a multi-view .npz: `--config.data.name=npz
--config.data.path=FILE --config.data.teacher=VIEW1,VIEW2,VIEW3 --config.data.student=VIEW`.
Tiny mode: `--config=configs/teacher_selection.py:tiny`.

Expected output: one analysis line per teacher, then

  teacher_selection: teacher '<top-ranked view>' -> student 'mnistm': ... ; gap sign
  matched the gain's for k/6 teachers; report: .../report.md

and report.md's tables "Teachers, ranked by gap" and "Did the CCH predict the gains?".
"""

from cch_jax.experiments.study.config import study_config, tiny

TEACHERS = ("clean,downsample:factor=2,occlude:half=left,noise:std=0.5,blur:sigma=1.5,"
            "blur:sigma=3")


def get_config(arg: str | None = None):
  config = study_config("teacher_selection", teacher=TEACHERS, student="mnistm")
  if arg == "tiny":
    config = tiny(config)
    config.data.teacher = "clean,blur:sigma=3"
    return config
  if arg:
    raise ValueError(f"config argument: expected nothing or 'tiny', got {arg!r}")
  return config
