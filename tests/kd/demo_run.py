r"""A small end-to-end run of `loop.fit_population` on synthetic Gaussian blobs: a paired
KD population (3 seeds × (baseline + λ = 0.5, T = 2)) distilling from noisy teacher
logits. Used by the resume and multi-process tests, and as a smoke test of a machine.

  python -m tests.kd.demo_run --workdir=/tmp/kd_demo --steps=200

Two processes on one host (CPU; each sees its own fake devices):

  XLA_FLAGS=--xla_force_host_platform_device_count=2 python -m tests.kd.demo_run \
      --workdir=/tmp/kd_mp --num_processes=2 --process_id=0 --coordinator=localhost:12345 &
  XLA_FLAGS=--xla_force_host_platform_device_count=2 python -m tests.kd.demo_run \
      --workdir=/tmp/kd_mp --num_processes=2 --process_id=1 --coordinator=localhost:12345

Expected output: progress lines 'step 40/200 (6 members): loss ..., accuracy ... | ...
ETA ...' and a final line 'demo_run: val accuracy of the members 0.9...'; in the workdir
checkpoints/, metrics.jsonl, members.json and (process 0) final_params.npz with the
members' final params flattened by key path.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import jax
import numpy as np
from absl import app, flags, logging

from cch_jax import kd

_WORKDIR = flags.DEFINE_string("workdir", None, "Checkpoints, metrics.jsonl, final params.")
_STEPS = flags.DEFINE_integer("steps", 200, "Training steps.")
_SEGMENT_DELAY = flags.DEFINE_float(
    "segment_delay", 0.0, "Seconds to sleep after each checkpoint (interruption tests).")
_COORDINATOR = flags.DEFINE_string("coordinator", None, "host:port of process 0.")
_NUM_PROCESSES = flags.DEFINE_integer("num_processes", 1, "Processes in the run.")
_PROCESS_ID = flags.DEFINE_integer("process_id", 0, "This process's index.")
flags.mark_flag_as_required("workdir")


def blobs(seed: int, n: int, dim: int = 8, n_classes: int = 4, spread: float = 2.0
          ) -> dict[str, np.ndarray]:
  """n points of `n_classes` Gaussian classes in `dim` dimensions (class means
  spread·N(0, I)); {'x' (n, dim) float32, 'y' (n,) int32}."""
  rng = np.random.default_rng(seed)
  means = spread * rng.normal(size=(n_classes, dim))
  y = rng.integers(0, n_classes, n).astype(np.int32)
  x = means[y] + rng.normal(size=(n, dim))
  return {"x": x.astype(np.float32), "y": y}


def demo_config(steps: int) -> kd.TrainConfig:
  """The demo's TrainConfig: batch 64, adam 3e-3 warm-up cosine, eval/ckpt every 20."""
  return kd.TrainConfig(steps=steps, batch_size=64, learning_rate=3e-3,
                        schedule="warmup_cosine", warmup_steps=10, eval_every=20,
                        checkpoint_every=20, max_to_keep=2)


def demo_task() -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
  """(train, val): 1,024 training blob points with noisy teacher logits, 256 validation."""
  data = blobs(0, 1280)
  noise = np.random.default_rng(1).normal(size=(1280, 4))
  data["teacher_outputs"] = (3.0 * np.eye(4)[data["y"]] + noise).astype(np.float32)
  return ({k: v[:1024] for k, v in data.items()},
          {k: data[k][1024:] for k in ("x", "y")})


def run(workdir: str, steps: int, on_segment: Callable[[int, Any], None] | None = None,
        devices: Sequence[jax.Device] | None = None) -> kd.PopulationResult:
  """Trains the demo population with `loop.fit_population`; process 0 also writes
  workdir/final_params.npz (the members' params flattened by key path)."""
  train, val = demo_task()
  model = kd.make_model("mlp", n_classes=4, widths=(32, 32))
  members = kd.paired_grid(lams=(0.5,), temperatures=(2.0,), seeds=range(3))
  result = kd.fit_population(model, demo_config(steps), train, members, workdir,
                               jax.random.key(0), val=val, on_segment=on_segment,
                               devices=devices)
  if jax.process_index() == 0:
    np.savez(os.path.join(workdir, "final_params.npz"), **flat_params(result.params))
  return result


def flat_params(params: Any) -> dict[str, np.ndarray]:
  """{key path: array} of a params pytree (host copies)."""
  leaves = jax.tree_util.tree_leaves_with_path(params)
  return {jax.tree_util.keystr(p): np.asarray(v) for p, v in leaves}


def main(argv: list[str]) -> None:
  del argv
  if _NUM_PROCESSES.value > 1:
    jax.distributed.initialize(coordinator_address=_COORDINATOR.value,
                               num_processes=_NUM_PROCESSES.value,
                               process_id=_PROCESS_ID.value)
  logging.info("process %d/%d, %d local / %d global devices", jax.process_index(),
               jax.process_count(), jax.local_device_count(), jax.device_count())
  delay = _SEGMENT_DELAY.value
  result = run(_WORKDIR.value, _STEPS.value,
               on_segment=(lambda *_: time.sleep(delay)) if delay > 0 else None)
  logging.info("demo_run: val accuracy of the members %s",
               np.round(result.val_score, 4).tolist())


if __name__ == "__main__":
  app.run(main)
