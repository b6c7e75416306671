"""A CCH study: candidate teacher views -> one student view, from the analysis to the proof.

  config   study_config(experiment, teacher, student), tiny(config) (no jax)
  run      the stages: teachers, student encoder, analysis, students (`run`, `run_blur`)
  results  the report.json dict from the stages' outputs (pure)
  report   report.md and the one-line verdict (pure)
  plots    the PNGs

Experiments cch_pair, teacher_selection, fusion_kd and temperature_sweep are this study
with their own configs; cch_blur builds its teachers from a blur grid.
"""
