"""The joint-Gaussian theory of cross-modal knowledge distillation.

x1 (teacher modality, d1), x2 (student modality, d2) and y are jointly Gaussian with
covariance `sigma` ordered [x1, x2, y]. A linear teacher t = w1ᵀx1 supervises a linear
student fitted on n samples of x2 to (1 − λ)y + λt. Public functions take
(sigma, w1, d1, d2, ...) with w1=None meaning the Bayes (population-regression) teacher;
all are jittable and vmappable (d1, d2 and simulation sizes are static) and MI is in nats.
"""

from cch_jax.theory.gaussian import gaussian_mi
from cch_jax.theory.grid import CorrelationGrid, correlation_grid, correlation_sigma
from cch_jax.theory.model import mi_terms, student_view_covariance, teacher_weights, view_factor
from cch_jax.theory.risk import (RiskQuadratic, expected_risk, kd_margin, optimal_lambda,
                                 risk_gain, risk_quadratic)
from cch_jax.theory.simulate import simulate_risk
from cch_jax.theory.sweep import sweep_cells

__all__ = [
    "CorrelationGrid", "RiskQuadratic", "correlation_grid", "correlation_sigma",
    "expected_risk", "gaussian_mi", "kd_margin", "mi_terms", "optimal_lambda", "risk_gain",
    "risk_quadratic", "simulate_risk", "student_view_covariance", "sweep_cells",
    "teacher_weights", "view_factor",
]
