"""cch_jax: will distilling from this teacher modality help my student modality?

Layers (imports point down only):
  experiments/  one module per experiment; wires the engines, writes reports
  theory/       the joint-Gaussian theory of cross-modal knowledge distillation
  utils/        registry, input checks, chunked device maps, progress, report writers
"""

__version__ = "0.1.0"
