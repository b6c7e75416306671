import numpy as np
import pytest


def random_covariance(seed: int, dim: int, extra: int = 3) -> np.ndarray:
  """A random well-conditioned covariance: a Wishart draw scaled to unit diagonal."""
  a = np.random.default_rng(seed).normal(size=(dim, dim + extra))
  cov = a @ a.T
  scale = 1.0 / np.sqrt(np.diag(cov))
  return (cov * scale[:, None] * scale[None, :]).astype(np.float32)


@pytest.fixture
def random_sigma():
  return random_covariance
