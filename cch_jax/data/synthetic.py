"""A synthetic two-modality generator in the style of the Modality Focusing Hypothesis.

After Xue et al. (2023), "The Modality Focusing Hypothesis: Towards Understanding Crossmodal
Knowledge Distillation": each example has latent *decisive* features (class-dependent) that
are either shared by both modalities (modality-general) or private to one of them
(modality-specific), plus label-irrelevant features. Here:

  y ~ balanced over K classes;  for each decisive block B (shared, private_a, private_b):
  z_B = class_sep · μ_B[y] + decisive_std · ε,   μ_B[k] ~ N(0, I) (one draw per seed)
  nuisance ~ N(0, I)            label-irrelevant, shared by both views
  view a = [z_shared, z_private_a, nuisance, noise_a] + obs_std · ε_a
  view b = [z_shared, z_private_b, nuisance, noise_b] + obs_std · ε_b
  noise_a, noise_b ~ N(0, noise_std² I)   label-irrelevant, private

Columns come in that block order (sizes d_shared, d_private_*, d_nuisance, d_noise_*);
`mix=True` then rotates each view by its own random orthogonal matrix (same information,
entangled coordinates). obs_std > 0 keeps the shared blocks from being exact copies (which
would make the teacher–student mutual information infinite).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np

from cch_jax.utils import checks


@dataclasses.dataclass(frozen=True, eq=False)
class SyntheticViews:
  """Output of `make_synthetic`.

  Attributes:
    views: {'a': (n, d_a), 'b': (n, d_b)} float32.
    labels: (n,) int32 in 0..n_classes-1.
    latents: {'shared', 'private_a', 'private_b', 'nuisance'} -> (n, d_block) float32, the
      noiseless latent blocks (for checks and oracle analyses).
  """
  views: Mapping[str, np.ndarray]
  labels: np.ndarray
  latents: Mapping[str, np.ndarray]


def _nonnegative(name: str, value: float) -> float:
  if not (isinstance(value, (int, float, np.floating, np.integer)) and value >= 0
          and np.isfinite(value)):
    raise ValueError(f"{name}: expected a finite number >= 0, got {value!r}")
  return float(value)


def _orthogonal(rng: np.random.Generator, dim: int) -> np.ndarray:
  q, r = np.linalg.qr(rng.standard_normal((dim, dim)))
  return q * np.sign(np.diag(r))[None, :]


def make_synthetic(n: int = 2000, *, n_classes: int = 2, d_shared: int = 4,
                   d_private_a: int = 4, d_private_b: int = 4, d_nuisance: int = 0,
                   d_noise_a: int = 4, d_noise_b: int = 4, class_sep: float = 1.0,
                   decisive_std: float = 1.0, noise_std: float = 1.0,
                   obs_std: float = 0.1, mix: bool = False, seed: int = 0
                   ) -> SyntheticViews:
  """Generates two vector views and labels (see the module docstring for the model).

  Args:
    n: number of examples.
    n_classes: K >= 2.
    d_shared: decisive features present in both views (modality-general).
    d_private_a, d_private_b: decisive features in view a only / view b only.
    d_nuisance: label-irrelevant features shared by both views.
    d_noise_a, d_noise_b: label-irrelevant features private to each view.
    class_sep: scale of the class means of the decisive features.
    decisive_std: within-class std of the decisive features.
    noise_std: std of the private label-irrelevant features.
    obs_std: independent measurement noise added to every column of each view.
    mix: rotate each view by a random orthogonal matrix.
    seed: NumPy seed; the output is a pure function of the arguments.

  Returns:
    SyntheticViews with views 'a' (n, d_shared + d_private_a + d_nuisance + d_noise_a) and
    'b' (n, d_shared + d_private_b + d_nuisance + d_noise_b).
  """
  n = checks.check_positive_int("n", n, minimum=2)
  n_classes = checks.check_positive_int("n_classes", n_classes, minimum=2)
  dims = _checked_dims({"d_shared": d_shared, "d_private_a": d_private_a,
                        "d_private_b": d_private_b, "d_nuisance": d_nuisance,
                        "d_noise_a": d_noise_a, "d_noise_b": d_noise_b})
  class_sep = _nonnegative("class_sep", class_sep)
  decisive_std = _nonnegative("decisive_std", decisive_std)
  noise_std = _nonnegative("noise_std", noise_std)
  obs_std = _nonnegative("obs_std", obs_std)

  rng = np.random.default_rng(seed)
  labels = rng.permutation(np.arange(n) % n_classes).astype(np.int32)
  latents = _latents(rng, labels, n_classes, dims, class_sep, decisive_std)
  views = {side: _view(rng, latents, side, dims[f"d_noise_{side}"], noise_std, obs_std, mix)
           for side in ("a", "b")}
  return SyntheticViews(views, labels,
                        {k: v.astype(np.float32) for k, v in latents.items()})


def _checked_dims(given: Mapping[str, int]) -> dict[str, int]:
  """The six block sizes as ints >= 0; raises unless some block is decisive and each view
  has a column."""
  dims = {name: checks.check_positive_int(name, value, minimum=0)
          for name, value in given.items()}
  if dims["d_shared"] + dims["d_private_a"] + dims["d_private_b"] == 0:
    raise ValueError("d_shared, d_private_a, d_private_b: expected at least one decisive "
                     "feature")
  for side in ("a", "b"):
    if sum(dims[k] for k in ("d_shared", f"d_private_{side}", "d_nuisance",
                             f"d_noise_{side}")) == 0:
      raise ValueError(f"view {side!r} would have no columns; raise one of its dimensions")
  return dims


def _latents(rng: np.random.Generator, labels: np.ndarray, n_classes: int,
             dims: Mapping[str, int], class_sep: float, decisive_std: float
             ) -> dict[str, np.ndarray]:
  """The latent blocks 'shared', 'private_a', 'private_b', 'nuisance', each (n, d_block)."""
  n = len(labels)
  latents = {}
  for block in ("shared", "private_a", "private_b"):
    d = dims[f"d_{block}"]
    means = rng.standard_normal((n_classes, d))
    latents[block] = class_sep * means[labels] + decisive_std * rng.standard_normal((n, d))
  latents["nuisance"] = rng.standard_normal((n, dims["d_nuisance"]))
  return latents


def _view(rng: np.random.Generator, latents: Mapping[str, np.ndarray], side: str,
          d_noise: int, noise_std: float, obs_std: float, mix: bool) -> np.ndarray:
  """View `side` (n, d_view) float32: its blocks, private noise, measurement noise, mixing."""
  n = len(latents["nuisance"])
  noise = noise_std * rng.standard_normal((n, d_noise))
  x = np.concatenate([latents["shared"], latents[f"private_{side}"], latents["nuisance"],
                      noise], axis=1)
  x = x + obs_std * rng.standard_normal(x.shape)
  if mix:
    x = x @ _orthogonal(rng, x.shape[1])
  return x.astype(np.float32)
