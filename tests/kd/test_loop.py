"""The training loop on the demo population (6 members): resume after SIGKILL in a real
subprocess, and the same members on 1 device, on 8 fake devices and on two processes on
localhost joined by `jax.distributed.initialize`."""

import os
import signal
import socket
import subprocess
import sys
import time

import jax
import numpy as np
import pytest

from cch_jax import kd
from tests.kd import demo_run

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STEPS = 60  # demo config: evaluate and checkpoint every 20 steps


def _demo_cmd(workdir, *flags):
  return [sys.executable, "-m", "tests.kd.demo_run", f"--workdir={workdir}",
          f"--steps={STEPS}", *flags]


def _env(devices=None):
  env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
  if devices is not None:
    env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
  return env


def _assert_same_run(workdir, reference):
  """final_params.npz and metrics.jsonl of `workdir` equal those of the reference run."""
  ref_dir, ref_params = reference
  with np.load(os.path.join(workdir, "final_params.npz")) as got:
    assert sorted(got.files) == sorted(ref_params)
    for name in got.files:
      np.testing.assert_allclose(got[name], ref_params[name], rtol=1e-5, atol=1e-6,
                                 err_msg=name)
  got, want = kd.read_metrics(workdir), kd.read_metrics(ref_dir)
  assert [r["step"] for r in got] == [r["step"] for r in want] == [20, 40, 60]
  for a, b in zip(got, want):
    assert a.keys() == b.keys()
    np.testing.assert_allclose([a[k] for k in sorted(a)], [b[k] for k in sorted(b)],
                               rtol=1e-5, atol=1e-6)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
  """The uninterrupted single-process run on one device."""
  workdir = str(tmp_path_factory.mktemp("reference"))
  result = demo_run.run(workdir, STEPS, devices=jax.devices()[:1])
  assert np.all(result.val_score > 0.9), result.val_score
  return workdir, demo_run.flat_params(result.params)


def test_eight_devices_equal_one(tmp_path, reference):
  assert jax.device_count() == 8
  demo_run.run(str(tmp_path), STEPS)
  _assert_same_run(str(tmp_path), reference)


def test_resume_after_sigkill_equals_an_uninterrupted_run(tmp_path, reference):
  workdir = tmp_path / "run"
  ckpt = workdir / "checkpoints"
  log = tmp_path / "killed.log"
  with open(log, "w") as stderr:  # a file, not a pipe: a full pipe would block the child
    slow = subprocess.Popen(_demo_cmd(workdir, "--segment_delay=1"), env=_env(),
                            stdout=subprocess.DEVNULL, stderr=stderr)
    try:
      deadline = time.time() + 240
      while not (ckpt.is_dir() and any(p.isdigit() for p in os.listdir(ckpt))):
        assert slow.poll() is None, log.read_text()[-3000:]
        assert time.time() < deadline, "no checkpoint appeared"
        time.sleep(0.05)
      slow.send_signal(signal.SIGKILL)
      slow.wait(timeout=30)
    finally:
      if slow.poll() is None:
        slow.kill()
  assert slow.returncode == -signal.SIGKILL
  assert not (workdir / "final_params.npz").exists()
  saved = sorted(int(p) for p in os.listdir(ckpt) if p.isdigit())
  assert saved and max(saved) < STEPS

  done = subprocess.run(_demo_cmd(workdir), env=_env(), capture_output=True, text=True,
                        check=False,
                        timeout=240)
  assert done.returncode == 0, done.stderr[-3000:]
  assert f"resumed from checkpoint at step {max(saved)} of {STEPS}" in done.stderr
  _assert_same_run(str(workdir), reference)


def test_two_processes_on_localhost_equal_one_process(tmp_path, reference):
  """2 processes × 4 fake CPU devices (jax.distributed over localhost) = 1 × 8."""
  with socket.socket() as s:
    s.bind(("localhost", 0))
    port = s.getsockname()[1]
  workdir, logs = tmp_path / "run", [tmp_path / f"process{i}.log" for i in range(2)]
  procs = []
  try:
    for i in range(2):
      with open(logs[i], "w") as stderr:
        procs.append(subprocess.Popen(
            _demo_cmd(workdir, "--num_processes=2", f"--process_id={i}",
                      f"--coordinator=localhost:{port}"),
            env=_env(devices=4), stdout=subprocess.DEVNULL, stderr=stderr))
    for p in procs:
      p.wait(timeout=240)
  finally:
    for p in procs:
      if p.poll() is None:
        p.kill()
  logs = [log.read_text() for log in logs]
  for p, log in zip(procs, logs):
    assert p.returncode == 0, log[-3000:]
  assert "process 1/2, 4 local / 8 global devices" in logs[1]
  assert "step 60/60 (6 members)" in logs[0]
  _assert_same_run(str(workdir), reference)
