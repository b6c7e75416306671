"""Runs launch.py in a subprocess, as a user would."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def launch():
  """launch(*flags, workdir=DIR) -> CompletedProcess of `python launch.py` on CPU."""

  def run(*args: str, workdir) -> subprocess.CompletedProcess:
    env = dict(os.environ, JAX_PLATFORMS="cpu", XLA_FLAGS="")
    return subprocess.run([sys.executable, "launch.py", f"--workdir={workdir}", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)

  return run
