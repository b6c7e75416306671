"""kd_pair's students.png: test accuracy per seed, baseline vs each KD setting."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from cch_jax import kd
from cch_jax.experiments.common.formatting import save_figure


def save_students(members: kd.Members, accuracy: np.ndarray, path: str) -> None:
  """Paired lines per seed over baseline and the KD settings; accuracy (M,)."""
  accuracy = np.asarray(accuracy)
  fig, ax = plt.subplots(figsize=(6, 4))
  labels = ["baseline" if b else f"λ={l:g}, T={t:g}" for l, t, b in zip(
      members.lam, members.temperature, members.baseline)]
  order = list(dict.fromkeys(labels))
  for seed in np.unique(members.seed):
    pick = members.seed == seed
    xs = [order.index(lab) for lab, p in zip(labels, pick) if p]
    ax.plot(xs, accuracy[pick], "o-", alpha=0.7, label=f"seed {seed}")
  ax.set_xticks(range(len(order)), order, rotation=20)
  ax.set_ylabel("student test accuracy")
  ax.set_title("Students: baseline vs KD (paired by seed)")
  ax.legend(fontsize=8)
  save_figure(fig, path)
