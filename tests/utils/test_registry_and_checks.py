import numpy as np
import pytest

from cch_jax.utils import checks
from cch_jax.utils.registry import Registry


def test_registry_finds_registered_names_and_lists_known_ones_on_a_miss():
  things = Registry("estimator")
  things.register("ksg")(len)
  assert things["ksg"] is len and list(things) == ["ksg"]
  with pytest.raises(KeyError, match="unknown estimator 'kgs'; known: ksg"):
    things["kgs"]
  with pytest.raises(ValueError, match="registered twice"):
    things.register("ksg")(len)


def test_check_covariance_names_the_argument_and_the_problem():
  with pytest.raises(ValueError, match="sigma: expected shape"):
    checks.check_covariance("sigma", np.eye(3), dim=4)
  with pytest.raises(ValueError, match="sigma: expected finite"):
    checks.check_covariance("sigma", np.array([[1.0, np.nan], [np.nan, 1.0]]))
  with pytest.raises(ValueError, match="sigma: expected a symmetric"):
    checks.check_covariance("sigma", np.array([[1.0, 0.5], [0.0, 1.0]]))
  with pytest.raises(ValueError, match="sigma: expected a positive semi-definite"):
    checks.check_covariance("sigma", np.array([[1.0, 2.0], [2.0, 1.0]]))


def test_check_positive_int_rejects_bools_floats_and_small_values():
  assert checks.check_positive_int("n", np.int64(3)) == 3
  for bad in (True, 2.0, "3"):
    with pytest.raises(TypeError, match="n: expected an integer"):
      checks.check_positive_int("n", bad)
  with pytest.raises(ValueError, match="n: expected an integer >= 5, got 4"):
    checks.check_positive_int("n", 4, minimum=5)
