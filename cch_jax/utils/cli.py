"""Command-line errors: a user error is one `error: <message>` line, a bug a traceback.

A user error is an exception of a type our checks raise (`USER_ERRORS`) from a `raise`
statement in this project's code (cch_jax/, configs/, launch.py): a deliberate check with
a message that names the setting. The same types raised inside numpy, jax, flax etc., or
any other type, are bugs and keep their traceback. Flag parsing errors (absl's, and the
raw errors ml_collections raises for a bad `--config.a.b=value`) are always user errors.

  try:
    ...
  except Exception as error:
    if not cli.is_user_error(error):
      raise
    cli.exit_with(cli.error_line(error))
"""

from __future__ import annotations

import linecache
import os
import re
import sys
import types
from collections.abc import Sequence
from typing import NoReturn

from absl import app, flags

import cch_jax

USER_ERRORS = (ValueError, TypeError, KeyError, FileNotFoundError, NotADirectoryError,
               ImportError, flags.Error, app.UsageError)
# What parsing the flags raises for bad input: absl's errors; ml_collections' raw
# KeyError/AttributeError (a mistyped --config field), TypeError/ValueError (a value the
# field cannot take), OSError (a config file that cannot be loaded).
FLAG_ERRORS = (flags.Error, KeyError, AttributeError, TypeError, ValueError, OSError)
EXIT_STATUS = 2

_PACKAGE = os.path.dirname(os.path.abspath(cch_jax.__file__))
_ROOT = os.path.dirname(_PACKAGE)
_OURS = (_PACKAGE + os.sep, os.path.join(_ROOT, "configs") + os.sep)
_TRACEBACK = "Traceback (most recent call last):"


def _last_frame(exc: BaseException) -> types.TracebackType | None:
  tb = exc.__traceback__
  while tb is not None and tb.tb_next is not None:
    tb = tb.tb_next
  return tb


def is_user_error(exc: BaseException) -> bool:
  """Whether `exc` is a deliberate check of ours (see the module docstring), not a bug."""
  tb = _last_frame(exc)
  if not isinstance(exc, USER_ERRORS) or tb is None:
    return False
  path = os.path.abspath(tb.tb_frame.f_code.co_filename)
  if not (path.startswith(_OURS) or path == os.path.join(_ROOT, "launch.py")):
    return False
  # A C function (numpy's reshape, int()) called from our code raises in our frame too.
  return linecache.getline(path, tb.tb_lineno).lstrip().startswith("raise")


def _message(exc: BaseException) -> str:
  """The message: nested exceptions unwrapped, a KeyError's without its repr quotes."""
  while exc.args and isinstance(exc.args[0], BaseException):
    exc = exc.args[0]
  if isinstance(exc, KeyError) and exc.args:
    return str(exc.args[0])
  return str(exc) or type(exc).__name__


def _one_line(message: str) -> str:
  """`message` on one line; an embedded traceback is cut to its last line, the error."""
  if _TRACEBACK in message:
    head, _, trace = message.partition(_TRACEBACK)
    last = [line for line in trace.splitlines() if line.strip()][-1].strip()
    last = re.sub(r"^[\w.]*(Error|Exception): ", "", last)
    head = head.strip().removesuffix("Error whilst parsing config file:").strip()
    message = f"{head} {last}"
  return re.sub(r"\s*\n\s*", " ", message.strip())


def error_line(exc: BaseException) -> str:
  """`error: <message>`, on one line."""
  return "error: " + _one_line(_message(exc))


def _config_arg(argv: Sequence[str]) -> str:
  """The (last, the one that counts) --config=FILE argument of argv, or '--config'."""
  found = "--config"
  for i, arg in enumerate(argv):
    if re.fullmatch(r"-{1,2}config=.*", arg):
      found = "--" + arg.lstrip("-")
    elif re.fullmatch(r"-{1,2}config", arg) and i + 1 < len(argv):
      found = f"--config={argv[i + 1]}"
  return found


def flag_error_line(exc: BaseException, argv: Sequence[str]) -> str:
  """`error: <message>` for an error of parsing the command line `argv` (`FLAG_ERRORS`).

  An error ml_collections raises for a `--config.a.b=value` override is named by that
  override (found by the field name or value the message quotes).
  """
  if isinstance(exc, flags.Error):
    return error_line(exc)
  reason = _message(exc)
  if isinstance(exc, OSError):
    lines = [line.strip() for line in reason.splitlines() if line.strip()]
    return f"error: {_config_arg(argv)}: cannot load the config file ({lines[-1]})"
  overrides = [arg.lstrip("-").partition("=") for arg in argv[1:]
               if re.match(r"-{1,2}(no)?config\.", arg)]
  quoted = re.findall(r"'([^']+)'", reason)
  named = [f"--{path}" for path, _, value in overrides
           if any(q in path.split(".")[1:] or q == value for q in quoted)]
  if isinstance(exc, (KeyError, AttributeError)) and named:
    first, _, rest = reason.partition("\n")
    reason = f"the config has no field {first}" + (f"; {rest[:1].lower()}{rest[1:]}"
                                                   if rest else "")
  where = named[0] if named else _config_arg(argv)
  return "error: " + _one_line(f"{where}: {reason}")


def debug_requested(argv: Sequence[str]) -> bool:
  """Whether argv holds --debug (read before the flags are parsed, which may fail)."""
  return any(re.fullmatch(r"-{1,2}debug(=(true|t|1))?", arg, re.IGNORECASE) for arg in argv)


def exit_with(line: str) -> NoReturn:
  """Prints `line` to stderr and exits with status 2 (a user error)."""
  print(line, file=sys.stderr)
  sys.exit(EXIT_STATUS)
