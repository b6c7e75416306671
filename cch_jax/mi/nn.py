"""Small pieces shared by the trained estimators (critics, autoencoders): an MLP and a
training scan that keeps the best-validated parameters."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
from jax import Array, lax


class MLP(nn.Module):
  """Hidden layers of the given widths and activation, then a linear layer to `out` units.

  With `dropout` > 0, every layer's input is dropped out while training (needs a 'dropout'
  rng); evaluation is deterministic.
  """
  hidden: Sequence[int]
  out: int
  activation: Callable[[Array], Array] = nn.relu
  dropout: float = 0.0

  @nn.compact
  def __call__(self, v: Array, train: bool = False) -> Array:
    """(B, d) -> (B, out)."""
    drop = nn.Dropout(self.dropout, deterministic=not train or self.dropout == 0.0)
    for width in self.hidden:
      v = self.activation(nn.Dense(width)(drop(v)))
    return nn.Dense(self.out)(drop(v))


def train_keep_best(step: Callable[[Any, Array], Any], carry: Any,
                    validate: Callable[[Any], Array], steps: int, eval_every: int
                    ) -> tuple[Any, Array]:
  """Runs `step` for `steps` steps inside `lax.scan`, keeping the best-validated parameters.

  Args:
    step: (carry, step index ()) -> carry; carry[0] must be the parameters.
    carry: the initial carry (parameters first, then optimiser state and the like).
    validate: parameters -> () score, higher is better; called every `eval_every` steps.
    steps, eval_every: Python ints; steps // eval_every validations.

  Returns:
    (the best-scoring parameters, scores (steps // eval_every,)).
  """
  def segment(state, j):
    carry, best, best_score = state
    carry, _ = lax.scan(lambda c, i: (step(c, i), None), carry,
                        j * eval_every + jnp.arange(eval_every))
    score = validate(carry[0])
    better = score > best_score
    best = jax.tree.map(lambda new, old: jnp.where(better, new, old), carry[0], best)
    return (carry, best, jnp.maximum(score, best_score)), score

  init = (carry, carry[0], jnp.asarray(-jnp.inf))
  (_, best, _), scores = lax.scan(segment, init, jnp.arange(steps // eval_every))
  return best, scores
