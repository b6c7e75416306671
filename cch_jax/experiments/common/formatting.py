"""Numbers as report text, Markdown tables, verdict colors and figures written whole."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from cch_jax.pipeline import DISTIL, DO_NOT_DISTIL, UNCERTAIN  # noqa: E402

VERDICT_COLORS = {DISTIL: "tab:green", DO_NOT_DISTIL: "tab:red", UNCERTAIN: "tab:gray"}


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]],
                   digits: int = 3) -> str:
  """Formats rows as a GitHub Markdown table; floats get `digits` decimals, non-finite
  ones '–'."""

  def fmt(x: Any) -> str:
    if isinstance(x, (float, np.floating)):
      return "–" if not math.isfinite(x) else f"{x:.{digits}f}"
    return str(x)

  lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
  lines += ["| " + " | ".join(fmt(x) for x in row) + " |" for row in rows]
  return "\n".join(lines) + "\n"


def with_ci(term: Mapping[str, Any], key: str = "value", digits: int = 3) -> str:
  """'+0.123 [+0.045, +0.201]' from {key, 'ci_low', 'ci_high'}; '–' for None."""
  if term is None:
    return "–"
  return (f"{term[key]:+.{digits}f} [{term['ci_low']:+.{digits}f}, "
          f"{term['ci_high']:+.{digits}f}]")


def gain(summary: Mapping[str, Any] | None) -> str:
  """A gain summary ({'mean', 'ci_low', 'ci_high'}) as '+0.012 [-0.003, +0.027]'."""
  return with_ci(summary, "mean")


def mean_std(summary: Mapping[str, Any], sign: str = "") -> str:
  """'0.912 ± 0.004' ('+0.012 ± 0.004' with sign='+')."""
  return f"{summary['mean']:{sign}.3f} ± {summary['std']:.3f}"


def metric(results: Mapping[str, Any]) -> str:
  """The reported metric of a run: 'accuracy', or for regression 'MAE' (with its unit)."""
  if results.get("metric", "accuracy") == "accuracy":
    return "accuracy"
  return "MAE" if results.get("score_scale", 1.0) != 1.0 else "MAE (standardised units)"


def metric_value(results: Mapping[str, Any], score: float) -> float:
  """A score as the reported metric: accuracy as is, MAE = −score."""
  return score if results.get("metric", "accuracy") == "accuracy" else -score


def gain_meaning(results: Mapping[str, Any]) -> str:
  """What a gain is: 'test accuracy, KD − baseline' or 'test MAE reduction, baseline −
  KD'."""
  if results.get("metric", "accuracy") == "accuracy":
    return "test accuracy, KD − baseline"
  return f"test {metric(results)} reduction, baseline − KD"


def yes_no(value: bool | None) -> str:
  """'yes', 'no', or '–' for None (nothing to check)."""
  return {True: "yes", False: "no", None: "–"}[value]


def number(x: float | None, digits: int = 2, sign: bool = True) -> str:
  """'+0.25' (or '0.25' with sign=False); '–' for None."""
  if x is None:
    return "–"
  return f"{x:+.{digits}f}" if sign else f"{x:.{digits}f}"


def rate(count: int, total: int) -> str:
  """'3/4 (75%)'; '–' when total is 0."""
  return f"{count}/{total} ({count / total:.0%})" if total else "–"


def record(counts: Mapping[str, int]) -> str:
  """A track record (`pipeline.outcome_counts`) as 'held 2, contradicted 0, inconclusive 1
  of 3 decisive'."""
  return (f"held {counts['held']}, contradicted {counts['contradicted']}, inconclusive "
          f"{counts['inconclusive']} of {counts['decisive']} decisive")


def percent(x: float | None) -> str:
  """'12.3%'; '–' for None."""
  return "–" if x is None else f"{x:.1%}"


def number_set(values: Sequence[float]) -> str:
  """'{2, 4, 8}' (adding 0.0 turns -0 into 0)."""
  return "{" + ", ".join(f"{float(v) + 0.0:g}" for v in values) + "}"


def save_figure(fig: plt.Figure, path: str) -> None:
  """Writes fig to `path` whole (temporary file, then rename) and closes it."""
  fig.savefig(path + ".tmp.png", dpi=120, bbox_inches="tight")
  plt.close(fig)
  os.replace(path + ".tmp.png", path)
