import jax
import numpy as np
import pytest
from scipy import stats

from cch_jax.mi import tasks


@pytest.mark.parametrize("cov, dof", [(tasks.dense_covariance(2, 2, 0.5), 3.0),
                                      (np.eye(4), 5.0)])
def test_student_t_closed_form_matches_a_density_monte_carlo(cov, dof):
  """MI = E[log p(x, y) − log p(x) − log p(y)] with SciPy's multivariate-t density over
  60,000 draws of the task's own sampler; tolerance 4 standard errors."""
  task = tasks.student_t_task(cov, 2, dof, "t")
  x, y = task.sample(jax.random.key(0), 60_000)
  z = np.concatenate([x, y], axis=1).astype(np.float64)
  density = lambda c, v: stats.multivariate_t(np.zeros(len(c)), c, df=dof).logpdf(v)
  ratio = density(cov, z) - density(cov[:2, :2], z[:, :2]) - density(cov[2:, 2:], z[:, 2:])
  assert abs(ratio.mean() - task.mi) < 4 * ratio.std() / np.sqrt(len(ratio))


def test_transforms_keep_the_truth_and_change_the_samples():
  library = tasks.task_library()
  base = library["gauss-5x5-sparse"]
  x0, _ = base.sample(jax.random.key(0), 100)
  for name in tasks.TRANSFORMS:
    task = library[f"gauss-5x5-sparse-{name}"]
    x, _ = task.sample(jax.random.key(0), 100)
    assert task.mi == base.mi and not np.allclose(x, x0)
