"""XLA:CPU flag defaults measured for this project's workloads (user flags always win).

  from cch_jax.utils import xla_flags
  xla_flags.set_cpu_defaults()   # before the first JAX computation (after `import jax` is fine)

XLA reads `XLA_FLAGS` once, when JAX creates its first backend; `set_cpu_defaults` appends
each flag of `CPU_DEFAULTS` that `XLA_FLAGS` does not already name, so a flag the user set
(to any value) is left alone, and calling it again changes nothing. The flags are XLA:CPU
options only: GPU and TPU compilers ignore them. They are applied only for the jaxlib
series they were measured on (`TESTED_JAXLIB`), since XLA aborts the process on a flag it
does not know.

Why these flags (jaxlib 0.10.2, 2-core AMD EPYC (AVX2), `benchmarks/kd_step.py`, KD train
step examples/s, XLA's default -> ours, same run, 2026-11-29):

  --xla_cpu_experimental_ynn_fusion_type=   (empty: no YNNPACK fusions)
    XLA:CPU's default sends convolutions, dots and reductions to YNNPACK
    (individual_convolution, individual_dot, reduce). On our small CNN its backward
    convolutions take about twice as long as XLA's own (B=1,024, ms, YNN vs none: conv_1
    input gradient 13.5 vs 7.0, conv_1 weight gradient 18.5 vs 11.4, conv_0 weight
    gradient 6.8 vs 2.5, conv_1 forward 9.5 vs 5.1; YNN wins only conv_0 forward, 1.9 vs
    4.9), and its dots and reductions are no faster at these sizes. Whole steps:
      cnn B=1,024   10,025 -> 18,655 (1.86x)    cnn B=128    13,402 -> 18,813 (1.40x)
      mlp B=1,024  284,797 -> 357,495 (1.26x)   mlp B=128   170,319 -> 180,110 (1.06x)
    YNN for only some ops is no better: at cnn B=1,024, 14,327 (convolutions only),
    20,926 (dots only), 16,426 (reductions only) vs 21,829 with none (one run).
    Tried on top and not taken (the same compiled HLO here, or within run-to-run noise of
    about ±7%): xla_cpu_use_xnnpack=false, xla_cpu_use_onednn=true, oneDNN / XNN fusion
    types, XNN graph fusion, xla_cpu_multi_thread_eigen=false, CPU_OPT_PRESET_FAST_RUNTIME.
"""

from __future__ import annotations

import importlib.metadata
import os
import shlex
import sys
import warnings

# flag name (without the leading --) -> value; see the module docstring for the figures.
CPU_DEFAULTS: dict[str, str] = {
    "xla_cpu_experimental_ynn_fusion_type": "",
}
# jaxlib versions (prefixes) on which CPU_DEFAULTS were measured and are known flags.
TESTED_JAXLIB: tuple[str, ...] = ("0.10.",)


def flag_names(xla_flags: str) -> set[str]:
  """Names of the flags in an XLA_FLAGS string: '--a=1 --b' -> {'a', 'b'}."""
  names = set()
  for token in shlex.split(xla_flags):
    if token.startswith("--"):
      names.add(token[2:].split("=", 1)[0])
  return names


def with_defaults(xla_flags: str, defaults: dict[str, str]) -> str:
  """`xla_flags` plus '--name=value' for each default whose name it lacks (user wins)."""
  present = flag_names(xla_flags)
  extra = [f"--{name}={value}" for name, value in defaults.items() if name not in present]
  return " ".join([xla_flags.strip()] + extra).strip()


def _backend_started() -> bool:
  """True when JAX has already created a backend (XLA_FLAGS is then read and fixed)."""
  bridge = sys.modules.get("jax._src.xla_bridge")
  return bridge is not None and bridge.backends_are_initialized()


def _jaxlib_tested() -> bool:
  try:
    version = importlib.metadata.version("jaxlib")
  except importlib.metadata.PackageNotFoundError:
    return False
  return version.startswith(TESTED_JAXLIB)


def set_cpu_defaults(defaults: dict[str, str] | None = None) -> bool:
  """Adds our measured XLA:CPU defaults to os.environ['XLA_FLAGS'] where the user has not
  set those flags. Call it before the first JAX computation.

  Args:
    defaults: flags to add (name -> value); `CPU_DEFAULTS` when None.

  Returns:
    True if XLA_FLAGS now holds every default (added now, earlier, or set by the user);
    False if nothing was changed: the installed jaxlib is not one we measured, or a JAX
    backend already exists (then the flags could no longer take effect; a warning says so).
  """
  defaults = CPU_DEFAULTS if defaults is None else defaults
  if not _jaxlib_tested():
    return False
  current = os.environ.get("XLA_FLAGS", "")
  updated = with_defaults(current, defaults)
  if updated == current.strip():
    return True
  if _backend_started():
    warnings.warn("xla_flags.set_cpu_defaults: a JAX backend already exists, so XLA_FLAGS "
                  "is fixed; call it before the first JAX computation", stacklevel=2)
    return False
  os.environ["XLA_FLAGS"] = updated
  return True
