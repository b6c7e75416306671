"""Experiments: one package per experiment over `common/`; never imports between them.

  study/           cch_pair, teacher_selection, fusion_kd, temperature_sweep, cch_blur
  criteria/        criteria_benchmark
  kd_pair/         kd_pair (KD without the analysis)
  gaussian_sweep/  gaussian_sweep (the theory engine's sweep)

Each has run.py (the stages), results.py (pure: stage outputs -> results dict), report.py
(Markdown, one line) and plots.py; study and criteria also a jax-free config.py.
`registry.load_run(name)` gives an experiment's run(config, workdir).
"""
