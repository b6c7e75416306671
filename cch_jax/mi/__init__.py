"""Mutual-information estimators in JAX, all in nats, each with a confidence interval.

  from cch_jax import mi
  est = mi.estimate(x, y, "ksg", k=3)          # -> MIEstimate(value, ci_low, ci_high, ...)
  mi.ksg_mi(x, y, k=3)                         # the plain jittable function

Methods (`mi.ESTIMATORS`): 'gaussian' (bias-corrected closed form), 'copula' (Gaussian
copula: the same on per-coordinate normal scores, invariant to monotone maps of each
coordinate), 'ksg' (KSG-1, exact, blocked), 'label_knn' (Ross kNN for discrete y),
'label_probe' (H(Y) − held-out probe cross-entropy), the critic bounds 'mine', 'infonce',
'nwj', 'smile' (one trainer, held-out value, CI over seeds/splits) and 'latent' (latent MI:
KSG on the held-out latents of cross-predictive autoencoders).

Ground-truth tasks with known MI (for calibration and benchmarks): the `mi.tasks` module
(gaussian_task, class_mixture_task, task_library, ...).
"""

from cch_jax.mi.api import check_options, estimate
from cch_jax.mi.base import ESTIMATORS, Estimator, MIEstimate
from cch_jax.mi.copula import copula_mi
from cch_jax.mi.gaussian import canonical_correlations, gaussian_mi
from cch_jax.mi.ksg import ksg_mi, ksg_pointwise
from cch_jax.mi.label import knn_label_mi, label_entropy
from cch_jax.mi.latent import latent_mi
from cch_jax.mi.neural import neural_mi
from cch_jax.mi.probe import probe_label_mi
from cch_jax.mi import registrations  # noqa: F401  (fills ESTIMATORS)

__all__ = ["ESTIMATORS", "Estimator", "MIEstimate", "canonical_correlations", "check_options",
           "copula_mi", "estimate",
           "gaussian_mi", "knn_label_mi", "ksg_mi", "ksg_pointwise", "label_entropy",
           "latent_mi", "neural_mi", "probe_label_mi"]
