"""MI between continuous x and discrete labels y: the kNN estimator of Ross (2014).

For point i of class c (n_c points): r_i is the distance to its k_i-th nearest neighbour of
the same class (k_i = min(k, n_c − 1)) and m_i counts all points (itself included) strictly
closer than r_i. Then I = ψ(n) + ⟨ψ(k_i)⟩ − ⟨ψ(n_c)⟩ − ⟨ψ(m_i)⟩. Multivariate x, exact
distances, blocked like KSG.
"""

from __future__ import annotations

import jax.numpy as jnp
from jax import Array
from jax.scipy.special import digamma

from cch_jax.mi import knn


@knn.jit_kernel(static_argnames=("n_classes", "k", "norm", "block"))
def knn_label_mi(x: Array, labels: Array, n_classes: int, k: int = 3,
                 norm: str = "euclidean", block: int = 64) -> Array:
  """Ross kNN estimate of I(X; Y) in nats, not clipped; x (n, d), labels (n,) in [0, K)."""
  n = x.shape[0]
  class_sizes = jnp.bincount(labels, length=n_classes)
  n_c = class_sizes[labels]  # (n,)
  k_i = jnp.minimum(k, n_c - 1)

  def rows_fn(rows, valid):
    (d,) = knn.distances([(x[rows], x)], norm)  # d[i, i] = 0 counts the point itself in m_i
    same = labels[None, :] == labels[rows][:, None]
    radii = knn.kth_smallest(jnp.where(same, knn.exclude_self(d, rows), jnp.inf),
                             tuple(range(1, k + 1)))  # (k, b)
    r = jnp.take_along_axis(radii, (k_i[rows] - 1)[None, :], axis=0)[0]
    return knn.count_below(d, r)

  m = knn.map_query_blocks(rows_fn, n, min(block, n))
  return (digamma(float(n)) + jnp.mean(digamma(k_i.astype(x.dtype)))
          - jnp.mean(digamma(n_c.astype(x.dtype))) - jnp.mean(digamma(m.astype(x.dtype))))


def label_entropy(labels: Array, n_classes: int) -> Array:
  """Plug-in entropy H(Y) in nats of labels (n,) in [0, K): the ceiling of I(X; Y)."""
  p = jnp.bincount(labels, length=n_classes) / labels.shape[0]
  return -jnp.sum(jnp.where(p > 0, p * jnp.log(jnp.where(p > 0, p, 1.0)), 0.0))
