r"""A small end-to-end run of `loop.fit` on synthetic Gaussian blobs (used by the resume
and multi-process tests, and as a smoke test of a machine).

  python -m cch_jax.kd.demo_run --workdir=/tmp/kd_demo --steps=200

Two processes on one host (CPU; each sees its own fake devices):

  XLA_FLAGS=--xla_force_host_platform_device_count=2 python -m cch_jax.kd.demo_run \
      --workdir=/tmp/kd_mp --num_processes=2 --process_id=0 --coordinator=localhost:12345 &
  XLA_FLAGS=--xla_force_host_platform_device_count=2 python -m cch_jax.kd.demo_run \
      --workdir=/tmp/kd_mp --num_processes=2 --process_id=1 --coordinator=localhost:12345

Expected output: progress lines 'step 40/200: loss ..., accuracy ... | ... ETA ...' and a
final line 'demo_run: final val accuracy 0.9...'; in the workdir checkpoints/ and
metrics.jsonl, and (process 0) final_params.npz with the flattened final params.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import jax
import numpy as np
from absl import app, flags, logging

from cch_jax.kd import loop, models
from cch_jax.kd.config import TrainConfig

_WORKDIR = flags.DEFINE_string("workdir", None, "Checkpoints, metrics.jsonl, final params.")
_STEPS = flags.DEFINE_integer("steps", 200, "Training steps.")
_SEED = flags.DEFINE_integer("seed", 0, "Run seed (init, batch order).")
_STEP_DELAY = flags.DEFINE_float("step_delay", 0.0,
                                 "Seconds to sleep after each step (interruption tests).")
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


def demo_config(steps: int) -> TrainConfig:
  """The demo's TrainConfig: batch 64, adam 3e-3 warm-up cosine, eval/ckpt every 20."""
  return TrainConfig(steps=steps, batch_size=64, learning_rate=3e-3,
                     schedule="warmup_cosine", warmup_steps=10, eval_every=20,
                     log_every=20, checkpoint_every=20, max_to_keep=2)


def run(workdir: str, steps: int, seed: int = 0,
        on_step: Callable[[int], None] | None = None) -> loop.FitResult:
  """Trains the demo MLP on 1,024 blob points (256 validation) with `loop.fit`; process 0
  also writes workdir/final_params.npz (params flattened by key path)."""
  data = blobs(0, 1280)
  train = {k: v[:1024] for k, v in data.items()}
  val = {k: v[1024:] for k, v in data.items()}
  model = models.make_model("mlp", n_classes=4, widths=(32, 32))
  result = loop.fit(model, demo_config(steps), train, workdir, seed=seed, val=val,
                    on_step=on_step)
  if jax.process_index() == 0:
    np.savez(os.path.join(workdir, "final_params.npz"), **flat_params(result.state.params))
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
  delay = _STEP_DELAY.value
  result = run(_WORKDIR.value, _STEPS.value, _SEED.value,
               on_step=(lambda _: time.sleep(delay)) if delay > 0 else None)
  if result.records:
    logging.info("demo_run: final val accuracy %.4f", result.records[-1]["val_accuracy"])


if __name__ == "__main__":
  app.run(main)
