"""kd_pair's report.md and one-line summary (pure)."""

from __future__ import annotations

from typing import Any

from cch_jax.experiments.common.formatting import markdown_table, mean_std


def one_line(results: dict[str, Any], report_path: str) -> str:
  """The teacher's accuracy and the KD setting with the largest mean gain."""
  best = max(results["students"], key=lambda r: r["gain"]["mean"])
  return (f"kd_pair: teacher '{results['teacher_view']}' test accuracy "
          f"{results['teacher_accuracy']['test']:.3f}; student '{results['student_view']}' "
          f"baseline {mean_std(best['baseline'])}, best KD (λ={best['lam']:g}, "
          f"T={best['temperature']:g}) {mean_std(best['kd'])}, gain "
          f"{mean_std(best['gain'], '+')} over {len(best['seeds'])} seeds; report: "
          f"{report_path}")


def markdown(results: dict[str, Any]) -> str:
  """report.md: the teacher's accuracy and the students' table."""
  acc, n = results["teacher_accuracy"], results["n"]
  rows = [(r["lam"], r["temperature"], r["beta"], len(r["seeds"]), mean_std(r["baseline"]),
           mean_std(r["kd"]), mean_std(r["gain"], "+")) for r in results["students"]]
  return (f"# KD pair: teacher '{results['teacher_view']}' → student "
          f"'{results['student_view']}'\n\n"
          f"Splits: {n['train']} train / {n['validation']} validation / {n['test']} test "
          f"examples, {results['n_classes']} classes.\n\n"
          f"Teacher test accuracy {acc['test']:.4f} (train {acc['train']:.4f}, validation "
          f"{acc['validation']:.4f}).\n\nStudents: test accuracy, mean ± std over seeds; "
          "gain = KD − baseline of the same seed (same initialisation and batches).\n\n"
          + markdown_table(("λ", "T", "β", "seeds", "baseline", "KD", "gain"), rows))
