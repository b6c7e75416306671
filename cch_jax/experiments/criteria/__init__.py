"""The criteria benchmark: every ordered pair of views, KD gains over seeds × splits, and
how well the CCH gap and its rivals predicted them.

  config   benchmark_config(), tiny(config) (no jax)
  run      the stages: encoders, analysis per split, students, outcomes
  results  the report.json dict from the stages' outputs (pure)
  report   report.md and the one-line summary (pure)
  plots    criteria.png, pairs.png
"""
