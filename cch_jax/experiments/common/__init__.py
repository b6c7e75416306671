"""What several experiments share. Import the modules, not names from this package:

  config      config blocks (ml_collections only: a config file loads without jax)
  encoders    build a model from its block, train it on views as a population, accuracies
  analysis    held-out rows, estimator settings, the CCH analysis of one pair
  monitor     the gap on the students' representations during training
  workdir     the resume guard, stage clock, view slugs, writing outputs from process 0
  formatting  numbers with CIs as text, verdict colors, Markdown tables, figures
"""
