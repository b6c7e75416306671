"""Runs launch.py in a subprocess, as a user would."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def launch_process(*args: str, workdir, devices: int = 1) -> subprocess.CompletedProcess:
  """The CompletedProcess of `python launch.py` on CPU with `devices` fake CPU devices."""
  flags = f"--xla_force_host_platform_device_count={devices}" if devices > 1 else ""
  env = dict(os.environ, JAX_PLATFORMS="cpu", XLA_FLAGS=flags)
  return subprocess.run([sys.executable, "launch.py", f"--workdir={workdir}", *args],
                        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def launch():
  """launch(*flags, workdir=DIR, devices=1) -> CompletedProcess (`launch_process`)."""
  return launch_process
