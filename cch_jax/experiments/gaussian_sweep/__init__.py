"""The Gaussian theory sweep: CCH sign vs exact and simulated KD risk gain over a grid.

  run      compute the per-cell table with the theory engine; write the outputs
  results  agreement rates and tables from the per-cell table (pure)
  report   the headline and report.md (pure)
  plots    gain_vs_gap.png, lambda_star.png, agreement.png
"""
