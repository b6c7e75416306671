import os
import subprocess
import sys

import pytest

from cch_jax.utils import xla_flags

FLAG = "xla_cpu_experimental_ynn_fusion_type"
DEFAULTS = {FLAG: "", "xla_cpu_some_option": "true"}


@pytest.fixture
def env(monkeypatch):
  """A clean XLA_FLAGS, a tested jaxlib and no JAX backend yet (restored afterwards)."""
  monkeypatch.delenv("XLA_FLAGS", raising=False)
  monkeypatch.setattr(xla_flags, "_jaxlib_tested", lambda: True)
  monkeypatch.setattr(xla_flags, "_backend_started", lambda: False)
  return monkeypatch


def test_flags_appended_after_the_users_flags(env):
  env.setenv("XLA_FLAGS", "--xla_force_host_platform_device_count=8")
  assert xla_flags.set_cpu_defaults(DEFAULTS)
  assert os.environ["XLA_FLAGS"] == ("--xla_force_host_platform_device_count=8 "
                                     f"--{FLAG}= --xla_cpu_some_option=true")
  env.delenv("XLA_FLAGS")
  assert xla_flags.set_cpu_defaults(DEFAULTS)
  assert os.environ["XLA_FLAGS"] == f"--{FLAG}= --xla_cpu_some_option=true"


def test_user_flag_wins_whatever_its_value(env):
  for user in (f"--{FLAG}=LIBRARY_FUSION_TYPE_INDIVIDUAL_DOT", f"--{FLAG}=", f"--{FLAG}"):
    env.setenv("XLA_FLAGS", f"--xla_dump_to=/tmp/x {user}")
    assert xla_flags.set_cpu_defaults(DEFAULTS)
    assert os.environ["XLA_FLAGS"] == f"--xla_dump_to=/tmp/x {user} --xla_cpu_some_option=true"
    assert xla_flags.flag_names(os.environ["XLA_FLAGS"]) == {
        "xla_dump_to", FLAG, "xla_cpu_some_option"}


def test_idempotent(env):
  env.setenv("XLA_FLAGS", "--xla_cpu_some_option=false")
  xla_flags.set_cpu_defaults(DEFAULTS)
  once = os.environ["XLA_FLAGS"]
  assert xla_flags.set_cpu_defaults(DEFAULTS)
  assert os.environ["XLA_FLAGS"] == once == f"--xla_cpu_some_option=false --{FLAG}="
  xla_flags.set_cpu_defaults()  # the real defaults, then again: still one copy of each
  twice = os.environ["XLA_FLAGS"]
  xla_flags.set_cpu_defaults()
  assert os.environ["XLA_FLAGS"] == twice
  assert all(twice.count(f"--{name}=") == 1 for name in xla_flags.CPU_DEFAULTS)


def test_unchanged_once_a_backend_exists_or_on_an_untested_jaxlib(env):
  env.setattr(xla_flags, "_backend_started", lambda: True)
  with pytest.warns(UserWarning, match="already exists"):
    assert not xla_flags.set_cpu_defaults(DEFAULTS)
  assert "XLA_FLAGS" not in os.environ
  env.setattr(xla_flags, "_backend_started", lambda: False)
  env.setattr(xla_flags, "_jaxlib_tested", lambda: False)
  assert not xla_flags.set_cpu_defaults(DEFAULTS)
  assert "XLA_FLAGS" not in os.environ


def test_installed_jaxlib_is_tested_and_backend_detected():
  assert xla_flags._jaxlib_tested()  # the pinned jaxlib (requirements.txt)
  import jax
  jax.numpy.zeros(1).block_until_ready()
  assert xla_flags._backend_started()


_CHILD = r"""
import os, re, sys
import jax, jax.numpy as jnp
from cch_jax.utils import xla_flags
assert xla_flags.set_cpu_defaults() is True
x = jnp.ones((256, 8, 8, 1)); w = jnp.ones((3, 3, 1, 32))
conv = lambda x, w: jax.lax.conv_general_dilated(x, w, (1, 1), "SAME",
                                                 dimension_numbers=("NHWC", "HWIO", "NHWC"))
text = jax.jit(conv).lower(x, w).compile().as_text()
print(os.environ["XLA_FLAGS"], "|", len(re.findall("__ynn_fusion", text)))
"""


def _child(xla_flags_env):
  env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
  env.update({"JAX_PLATFORMS": "cpu", "XLA_FLAGS": xla_flags_env})
  root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
  out = subprocess.run([sys.executable, "-c", _CHILD], env=env, cwd=root, check=True,
                       capture_output=True, text=True, timeout=300)
  flags, n_ynn = out.stdout.strip().rsplit("|", 1)
  return flags.strip(), int(n_ynn)


def test_takes_effect_after_import_jax_and_user_flag_wins():
  """In a fresh process: called after `import jax`, the defaults reach XLA's compiler
  (YNN fusions off), and a user's own value for the flag is kept."""
  flags, n_ynn = _child("")
  assert xla_flags.flag_names(flags) >= set(xla_flags.CPU_DEFAULTS)
  if xla_flags.CPU_DEFAULTS.get(FLAG) == "":
    assert n_ynn == 0
  user = f"--{FLAG}=LIBRARY_FUSION_TYPE_INDIVIDUAL_CONVOLUTION"
  flags, n_ynn = _child(user)
  assert flags.startswith(user) and flags.count(FLAG) == 1
  assert n_ynn >= 1
