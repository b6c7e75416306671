"""KD on one teacher view and one student view, without the CCH analysis.

  run      stage 1 the teacher, stage 2 the paired population of students
  results  the results.json dict (pure)
  report   report.md and the one-line summary (pure)
  plots    students.png
"""
