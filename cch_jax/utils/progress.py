"""Progress lines with rate and ETA for long loops (logged through absl)."""

from __future__ import annotations

import time

from absl import logging


class Progress:
  """Logs 'label: done/total (pct) rate, ETA' at most every `every_s` seconds.

  Example:
    progress = Progress("sweep n=32", unit="cells")
    for done in ...: progress(done, total)
  """

  def __init__(self, label: str, unit: str = "items", every_s: float = 5.0):
    self.label, self.unit, self.every_s = label, unit, every_s
    self._start = time.perf_counter()
    self._last = -float("inf")

  def __call__(self, done: int, total: int) -> None:
    now = time.perf_counter()
    if done < total and now - self._last < self.every_s:
      return
    self._last = now
    elapsed = now - self._start
    rate = done / elapsed if elapsed > 0 else float("inf")
    eta = (total - done) / rate if rate > 0 else float("inf")
    logging.info("%s: %d/%d %s (%.0f%%), %.0f %s/s, elapsed %s, ETA %s", self.label, done,
                 total, self.unit, 100.0 * done / max(total, 1), rate, self.unit,
                 format_seconds(elapsed), format_seconds(eta))


def format_seconds(seconds: float) -> str:
  """Formats a duration as '1h02m', '3m05s' or '4.2s'."""
  if seconds != seconds or seconds == float("inf"):
    return "?"
  if seconds < 60:
    return f"{seconds:.1f}s"
  minutes, secs = divmod(int(round(seconds)), 60)
  if minutes < 60:
    return f"{minutes}m{secs:02d}s"
  hours, minutes = divmod(minutes, 60)
  return f"{hours}h{minutes:02d}m"
