"""Files each estimator under its name in `ESTIMATORS`."""

from __future__ import annotations

import functools

import jax.numpy as jnp

from cch_jax.mi import copula, gaussian, gaussian_probe, ksg, label, latent, neural, probe
from cch_jax.mi.base import ESTIMATORS, Estimator


def _label_knn(x, labels, n_classes: int, k: int = 3, norm: str = "euclidean",
               block: int = 64):
  """Ross kNN label MI, clipped to the plug-in label entropy H(Y) (its ceiling)."""
  raw = label.knn_label_mi(x, labels, n_classes, k, norm, block)
  return jnp.minimum(raw, label.label_entropy(labels, n_classes))


ESTIMATORS.register("gaussian")(Estimator(
    gaussian.gaussian_mi, min_samples=lambda **_: 3))
ESTIMATORS.register("copula")(Estimator(
    copula.copula_mi, min_samples=lambda **_: 3))
ESTIMATORS.register("ksg")(Estimator(
    ksg.ksg_mi, min_samples=lambda k=3, **_: k + 1))
ESTIMATORS.register("label_knn")(Estimator(
    _label_knn, labels=True, min_samples=lambda k=3, **_: k + 1))

for _bound in neural.BOUNDS:
  ESTIMATORS.register(_bound)(Estimator(
      functools.partial(neural.neural_mi, bound=_bound), randomized=True,
      min_samples=lambda batch=512, **_: 3 * batch))

ESTIMATORS.register("latent")(Estimator(
    latent.latent_mi, randomized=True, min_samples=lambda batch=256, **_: 3 * batch))

ESTIMATORS.register("label_probe")(Estimator(
    probe.probe_label_mi, labels=True, randomized=True, min_samples=lambda **_: 8))

ESTIMATORS.register("gaussian_probe")(Estimator(
    gaussian_probe.gaussian_probe_mi, randomized=True, symmetric=False,
    min_samples=lambda k=3, **_: max(8, k + 1)))
