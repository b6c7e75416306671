"""Knowledge-distillation losses on logits and features (all batch means, in nats).

  kd_loss = (1-λ)·CE(y, student) + λ·T²·KL(softmax(teacher/T) ‖ softmax(student/T))
  total   = kd_loss + β·MSE(H_s W + b, H_t)

Teacher logits and features enter under `stop_gradient`; the T² factor keeps the soft
term's gradient scale independent of T (Hinton et al., 2015).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax
from jax import Array


def cross_entropy(logits: Array, labels: Array) -> Array:
  """Per-example CE −log softmax(logits)[y]: logits (B, K), labels (B,) ints -> (B,)."""
  return optax.softmax_cross_entropy_with_integer_labels(logits, labels)


def distillation_kl(student_logits: Array, teacher_outputs: Array, temperature: Array
                    ) -> Array:
  """Per-example KL(softmax(teacher/T) ‖ softmax(student/T)): (B, K), (B, K) -> (B,)."""
  teacher_outputs = jax.lax.stop_gradient(teacher_outputs)
  log_p = jax.nn.log_softmax(teacher_outputs / temperature, axis=-1)
  log_q = jax.nn.log_softmax(student_logits / temperature, axis=-1)
  return jnp.sum(jnp.exp(log_p) * (log_p - log_q), axis=-1)


def kd_loss(student_logits: Array, teacher_outputs: Array, labels: Array, lam: Array,
            temperature: Array) -> Array:
  """(1-λ)·CE(y, student) + λ·T²·KL(teacher_T ‖ student_T), averaged over the batch.

  Args:
    student_logits: (B, K). teacher_outputs: (B, K) (no gradient flows into them).
    labels: (B,) integer classes. lam: KD weight λ in [0, 1]. temperature: T > 0.

  Returns:
    Scalar loss. λ = 0 gives exactly the mean cross-entropy.
  """
  ce = jnp.mean(cross_entropy(student_logits, labels))
  kl = jnp.mean(distillation_kl(student_logits, teacher_outputs, temperature))
  return (1.0 - lam) * ce + lam * temperature**2 * kl


def feature_mse(student_features: Array, projection: dict[str, Array],
                teacher_features: Array) -> Array:
  """Projected-feature MSE: mean over batch and teacher dims of (H_s W + b − H_t)².

  Args:
    student_features: H_s (B, d_s). projection: {'kernel': (d_s, d_t), 'bias': (d_t,)}.
    teacher_features: H_t (B, d_t) (no gradient flows into them).
  """
  projected = student_features @ projection["kernel"] + projection["bias"]
  return jnp.mean((projected - jax.lax.stop_gradient(teacher_features)) ** 2)


def init_projection(key: Array, d_student: int, d_teacher: int) -> dict[str, Array]:
  """LeCun-normal kernel (d_s, d_t) and zero bias (d_t,) of the feature projection."""
  kernel = jax.nn.initializers.lecun_normal()(key, (d_student, d_teacher), jnp.float32)
  return {"kernel": kernel, "bias": jnp.zeros((d_teacher,), jnp.float32)}
