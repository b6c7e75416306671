"""Writing results: JSON (NumPy-aware), text, each written whole, and the run metadata
recorded with them. Called from experiments and the launcher, never from the engines."""

from __future__ import annotations

import json
import math
import os
import platform
from typing import Any

import numpy as np


def to_jsonable(value: Any) -> Any:
  """Converts NumPy/JAX scalars and arrays (nested in dicts/lists) to plain JSON values.

  Non-finite floats become None (JSON has no NaN).
  """
  if isinstance(value, dict):
    return {str(k): to_jsonable(v) for k, v in value.items()}
  if isinstance(value, (list, tuple)):
    return [to_jsonable(v) for v in value]
  if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
    return to_jsonable(value.tolist())
  if isinstance(value, float) and not math.isfinite(value):
    return None
  return value


def write_json(path: str, value: Any) -> None:
  """Writes `value` as indented JSON (atomically: write then rename)."""
  tmp = path + ".tmp"
  with open(tmp, "w") as f:
    json.dump(to_jsonable(value), f, indent=2, sort_keys=False)
    f.write("\n")
  os.replace(tmp, path)


def write_text(path: str, text: str) -> None:
  """Writes `text` atomically (write then rename): a killed run never leaves half a file."""
  with open(path + ".tmp", "w") as f:
    f.write(text)
  os.replace(path + ".tmp", path)


def run_metadata() -> dict[str, Any]:
  """Versions and machine facts recorded with every result."""
  import jax  # local: keep this module importable without initialising a backend

  return {
      "python": platform.python_version(),
      "platform": platform.platform(),
      "jax": jax.__version__,
      "numpy": np.__version__,
      "backend": jax.default_backend(),
      "devices": [str(d) for d in jax.devices()],
      "process_count": jax.process_count(),
  }
