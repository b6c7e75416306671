"""The training loop: metrics.jsonl, checkpoints, resume after SIGKILL in a real
subprocess, two processes on localhost, and agreement with the vmapped trainer."""

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
from cch_jax.kd import demo_run

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STEPS = 60  # demo config: eval, log and checkpoint every 20 steps


def _demo_cmd(workdir, *flags):
  return [sys.executable, "-m", "cch_jax.kd.demo_run", f"--workdir={workdir}",
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
  """The uninterrupted single-process run on the 8 fake devices."""
  workdir = str(tmp_path_factory.mktemp("reference"))
  result = demo_run.run(workdir, STEPS)
  assert result.records[-1]["val_accuracy"] > 0.9
  return workdir, demo_run.flat_params(result.state.params)


def test_metrics_checkpoints_and_agreement_with_the_vmapped_trainer(tmp_path):
  """fit on a 1-device mesh = member seed 3 of train_population (same batches, same
  init); max_to_keep=2 checkpoints; a finished workdir resumes at its end."""
  data = demo_run.blobs(0, 640)
  train = {k: v[:512] for k, v in data.items()}
  val = {k: v[512:] for k, v in data.items()}
  model = kd.make_model("mlp", n_classes=4, widths=(16,))
  config = kd.TrainConfig(steps=30, batch_size=32, learning_rate=3e-3, eval_every=10,
                          log_every=10, checkpoint_every=10, lam=0.0)
  mesh = kd.data_mesh(jax.devices()[:1])
  key = jax.random.key(5)
  result = kd.fit(model, config, train, str(tmp_path), key=key, seed=3, val=val, mesh=mesh)
  members = {"lam": np.zeros(1), "temperature": np.ones(1), "beta": np.zeros(1),
             "seed": np.asarray([3])}
  out = kd.train_population(model, config, train, members, key, val=val)
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b[0], rtol=1e-5, atol=1e-6),
               result.state.params, out.params)
  np.testing.assert_allclose(result.records[-1]["val_accuracy"], out.val_accuracy[0])
  np.testing.assert_allclose(result.records[0]["train_loss"],
                             np.mean(out.curves["loss"][0, :10]), rtol=1e-5)
  lines = kd.read_metrics(str(tmp_path))
  assert [r["step"] for r in lines] == [10, 20, 30] and lines == result.records
  assert {"train_loss", "train_accuracy", "val_accuracy", "val_ce"} <= set(lines[0])
  assert sorted(os.listdir(tmp_path / "checkpoints")) == ["20", "30"]
  again = kd.fit(model, config, train, str(tmp_path), key=key, seed=3, val=val, mesh=mesh)
  assert again.records == [] and int(again.state.step) == 30
  assert kd.read_metrics(str(tmp_path)) == lines


def test_resume_after_sigkill_equals_an_uninterrupted_run(tmp_path, reference):
  workdir = tmp_path / "run"
  ckpt = workdir / "checkpoints"
  log = tmp_path / "killed.log"
  with open(log, "w") as stderr:  # a file, not a pipe: a full pipe would block the child
    slow = subprocess.Popen(_demo_cmd(workdir, "--step_delay=0.1"), env=_env(),
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
  _assert_same_run(str(workdir), reference)
