r"""Runs one experiment: flags -> config -> experiment registry -> run(config, workdir).

  python launch.py --config=configs/gaussian_sweep.py --workdir=workdir/gaussian_sweep
  python launch.py --config=configs/gaussian_sweep.py:tiny --workdir=/tmp/x \
      --config.sweep.n_seeds=20

`--config.a.b=value` overrides any field; the config is locked, so a mistyped field fails.
Multi-host: start the same command on every host with --multihost (jax.distributed
reads the cluster from the environment: SLURM, Cloud TPU, or
JAX_COORDINATOR_ADDRESS/JAX_NUM_PROCESSES/JAX_PROCESS_ID); only process 0 writes files.
On CPU the launcher adds measured XLA flag defaults (`cch_jax/utils/xla_flags.py`) to
XLA_FLAGS unless the user set the same flags.

A user error (bad data, config or flag value) prints one line, `error: <message>` naming
the setting, to stderr and exits with status 2; --debug shows its full traceback instead.
A bug keeps its traceback (`cch_jax/utils/cli.py` tells them apart).
"""

import logging as pylogging
import os

import jax
from absl import app, flags, logging
from ml_collections import config_flags

from cch_jax.experiments import registry
from cch_jax.utils import cli, files, xla_flags

_CONFIG = config_flags.DEFINE_config_file(
    "config", None, "Experiment config file, configs/NAME.py[:ARG].", lock_config=True)
_WORKDIR = flags.DEFINE_string("workdir", None, "Directory for config.json, results, plots.")
_MULTIHOST = flags.DEFINE_bool("multihost", False,
                               "Call jax.distributed.initialize() before anything else.")
_DEBUG = flags.DEFINE_bool("debug", False, "Show the full traceback of a user error.")
flags.mark_flags_as_required(["config", "workdir"])


class _LibraryInfoFilter(pylogging.Filter):
  """Drops orbax's INFO chatter (every save and deletion); its warnings still show."""

  def filter(self, record: pylogging.LogRecord) -> bool:
    return record.levelno >= pylogging.WARNING or "/orbax/" not in record.pathname


def parse_flags(argv: list[str]) -> list[str]:
  """app.run's flags parser: a bad flag or config is one `error:` line and exit status 2.

  Also loads the config file, whose failure ml_collections defers to the first access.
  """
  try:
    remaining = flags.FLAGS(argv)
    getattr(_CONFIG.value, "experiment", None)
    return remaining
  except cli.FLAG_ERRORS as error:
    if cli.debug_requested(argv):
      raise
    cli.exit_with(cli.flag_error_line(error, argv))


def main(argv: list[str]) -> None:
  """Runs the experiment; a user error is one `error:` line and exit status 2."""
  try:
    _main(argv)
  except Exception as error:  # pylint: disable=broad-except
    if _DEBUG.value or not cli.is_user_error(error):
      raise
    cli.exit_with(cli.error_line(error))


def _main(argv: list[str]) -> None:
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {argv[1:]}")
  logging.get_absl_handler().addFilter(_LibraryInfoFilter())
  xla_flags.set_cpu_defaults()  # before the first computation; the user's XLA_FLAGS win
  if _MULTIHOST.value:
    jax.distributed.initialize()
  config, workdir = _CONFIG.value, _WORKDIR.value
  if "experiment" not in config:
    raise app.UsageError("--config: the config has no 'experiment' field")
  run = registry.load_run(config.experiment)
  logging.info("JAX %s on %s: process %d of %d, %d local / %d global devices: %s; "
               "XLA_FLAGS=%r", jax.__version__, jax.default_backend(), jax.process_index(),
               jax.process_count(), jax.local_device_count(), jax.device_count(),
               jax.devices(), os.environ.get("XLA_FLAGS", ""))
  os.makedirs(workdir, exist_ok=True)
  if jax.process_index() == 0:
    files.write_json(os.path.join(workdir, "config.json"), config.to_dict())
  run(config, workdir)


if __name__ == "__main__":
  app.run(main, flags_parser=parse_flags)
