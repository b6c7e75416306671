"""Test setup, before JAX initialises a backend: 8 fake CPU devices (sharding tests), and
one XLA compilation cache for every process of a test run (the pytest workers and the
launch.py / demo_run subprocesses they start), so a program compiled by one process is
loaded, not compiled again, by the next. The cache only skips compilation: a cached
executable is the one XLA would compile (its key holds the program, the XLA flags and the
versions)."""

import os
import tempfile

os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "")
                           + " --xla_force_host_platform_device_count=8").strip()
os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR",
                      os.path.join(tempfile.gettempdir(), "cch_jax_tests_xla_cache"))
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
