"""kd_pair's results.json dict (pure): the teacher's accuracy and the paired gains."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from cch_jax import kd, pipeline


def collect(teacher_view: str, student_view: str, n_classes: int, n: Mapping[str, int],
            teacher_accuracy: Mapping[str, float], members: kd.Members,
            test_score: Any) -> dict[str, Any]:
  """Keys: teacher_view, student_view, n_classes, n (per split), teacher_accuracy,
  students (`pipeline.paired_gains` rows), members, member_test_score (M,)."""
  accuracy = np.asarray(test_score)
  return {"teacher_view": teacher_view, "student_view": student_view,
          "n_classes": n_classes, "n": dict(n), "teacher_accuracy": dict(teacher_accuracy),
          "students": pipeline.paired_gains(members, accuracy),
          "members": members.to_dict(),
          "member_test_score": accuracy.tolist()}
