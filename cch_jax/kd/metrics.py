"""metrics.jsonl (one line per evaluation, process 0 writes) and the progress line."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from typing import Any

import jax
from absl import logging

from cch_jax.kd import tasks
from cch_jax.utils import files, progress

METRICS_FILE = "metrics.jsonl"


def read_metrics(workdir: str) -> list[dict[str, Any]]:
  """The lines of workdir/metrics.jsonl (an empty list if there is none)."""
  path = os.path.join(workdir, METRICS_FILE)
  if not os.path.exists(path):
    return []
  with open(path) as f:
    return [json.loads(line) for line in f if line.strip()]


def truncate_metrics(workdir: str, step: int) -> None:
  """Keeps only the lines up to `step` (a resumed run rewrites those after it)."""
  path = os.path.join(workdir, METRICS_FILE)
  if jax.process_index() != 0 or not os.path.exists(path):
    return
  kept = [r for r in read_metrics(workdir) if r["step"] <= step]
  with open(path + ".tmp", "w") as f:
    f.writelines(json.dumps(r) + "\n" for r in kept)
  os.replace(path + ".tmp", path)


def append_metrics(workdir: str, line: Mapping[str, Any]) -> None:
  """Appends one line to workdir/metrics.jsonl (process 0 only)."""
  if jax.process_index() == 0:
    with open(os.path.join(workdir, METRICS_FILE), "a") as f:
      f.write(json.dumps(files.to_jsonable(dict(line))) + "\n")


class Progress:
  """Logs 'step 40/200 (27 members): loss ..., accuracy ...[, val accuracy ...] |
  3.1 members/s (24.5 steps/s), elapsed 1m02s, ETA 4m10s' (MAE for regression)."""

  def __init__(self, start: int, total: int, n_members: int,
               task: str = "classification"):
    self.start, self.total, self.n_members = start, total, n_members
    self.task = tasks.TASKS[task]
    self.t0 = time.perf_counter()

  def log(self, done: int, line: Mapping[str, Any]) -> None:
    elapsed = time.perf_counter() - self.t0
    rate = (done - self.start) / elapsed if elapsed > 0 else float("inf")
    eta = (self.total - done) / rate if rate > 0 else float("inf")
    metric, value = self.task.metric, self.task.metric_value
    val = (f", val {metric} {value(line['val_score']):.4f}" if "val_score" in line else "")
    logging.info("step %d/%d (%d members): loss %.4f, %s %.4f%s | %.2f members/s "
                 "(%.1f steps/s), elapsed %s, ETA %s", done, self.total, self.n_members,
                 line["train_loss"], metric, value(line["train_score"]), val,
                 rate * self.n_members / self.total, rate, progress.format_seconds(elapsed),
                 progress.format_seconds(eta))
