"""launch.py's bad input: one `error: <message>` line naming the setting, exit status 2,
no traceback (unless --debug), and nothing trained.

Most cases run in one extra process (`python -m tests.test_launch_errors IN OUT` runs
launch's flag parser and main per case: one jax import for all); two cheap ones run the
real `python launch.py`, one per exit path (a flag error, an error in main). launch.py is
never imported here: its absl flags would clash with tests/kd/demo_run.py's (--workdir)
in a pytest process.
"""

from __future__ import annotations

import contextlib
import io
import json
import linecache
import os
import subprocess
import sys
import traceback

import numpy as np
import pytest

from cch_jax.utils import cli, registry
from tests.experiments.conftest import ROOT, launch_process

BASE = ("--config=configs/cch_pair.py:tiny", "--config.data.name=npz",
        "--config.data.teacher=a", "--config.data.student=b")

# name -> (.npz file, extra flags, what the error line must say).
CASES = {
    "nan_view": ("nan", (), ("data.path", "view 'a' has NaN or inf")),
    "mismatched_lengths": ("short_b", (), ("data.path", "same number of examples",
                                           "b: 200")),
    "one_class": ("one_class", (), ("data.path", "y: expected at least two classes")),
    "float_labels_for_classification": ("float_y", ("--config.data.task=classification",),
                                        ("label",)),
    "unknown_view": ("good", ("--config.data.student=c",),
                     ("data.student", "no view named 'c'", "available views: a, b")),
    "student_is_its_own_teacher": ("good", ("--config.data.student=a",),
                                   ("data.teacher", "cannot be its own teacher")),
    "lambda_outside_0_1": ("good", ("--config.kd.reference_lam=1.5",),
                           ("kd.reference_lam", "expected values in [0, 1], got 0.5, 1.5")),
    "unknown_estimator": ("good", ("--config.analysis.estimators=latent,kgs",),
                          ("unknown MI estimator 'kgs'", "known: ")),
    "not_an_npz": ("text", (), ("data.path: '", "x.npz' is not a valid .npz file (not a "
                                "zip archive of .npy arrays)")),
}


def _write_data(folder) -> dict[str, str]:
  """The .npz files of CASES (plus `text`: a text file named .npz) -> their paths."""
  rng = np.random.default_rng(0)
  n = 300
  a, b, y = rng.normal(size=(n, 4)), rng.normal(size=(n, 3)), np.arange(n) % 3
  nan = a.copy()
  nan[5, 1] = np.nan
  files = {"good": dict(a=a, b=b, y=y), "nan": dict(a=nan, b=b, y=y),
           "short_b": dict(a=a, b=b[:200], y=y), "one_class": dict(a=a, b=b, y=0 * y),
           "float_y": dict(a=a, b=b, y=y + 0.5)}
  paths = {name: str(folder / f"{name}.npz") for name in files}
  for name, arrays in files.items():
    np.savez(paths[name], **arrays)
  paths["text"] = str(folder / "x.npz")
  (folder / "x.npz").write_text("a,b,y\n1,2,0\n")
  return paths


def _run_here(cases: list[list[str]]) -> list[dict]:
  """Runs launch's flag parser and main on each argv in this process (as app.run would):
  [{"status": exit status, "stderr": what it printed}], an escaped exception as status 1."""
  import launch  # pylint: disable=import-outside-toplevel
  from absl import flags  # pylint: disable=import-outside-toplevel
  from absl.testing import flagsaver  # pylint: disable=import-outside-toplevel

  results = []
  for args in cases:
    argv = ["launch.py", *args]
    sys.argv = argv  # ml_collections reads the --config.* overrides from sys.argv
    err = io.StringIO()
    with flagsaver.flagsaver(), contextlib.redirect_stderr(err):
      flags.FLAGS.unparse_flags()
      try:
        launch.main(launch.parse_flags(argv))
        status = 0
      except SystemExit as exit_:
        status = exit_.code
      except Exception:  # pylint: disable=broad-except
        traceback.print_exc()
        status = 1
    results.append({"status": status, "stderr": err.getvalue()})
  return results


@pytest.fixture(scope="module")
def data(tmp_path_factory):
  return _write_data(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def results(data, tmp_path_factory):
  """CASES name (and "debug") -> (exit status, stderr, workdir), all run in one process."""
  folder = tmp_path_factory.mktemp("runs")
  runs = {name: [*BASE, f"--config.data.path={data[file]}", *extra]
          for name, (file, extra, _) in CASES.items()}
  runs["debug"] = [*runs["nan_view"], "--debug"]
  for name, argv in runs.items():
    argv.append(f"--workdir={folder / name}")
  (folder / "in.json").write_text(json.dumps(list(runs.values())))
  env = dict(os.environ, JAX_PLATFORMS="cpu", XLA_FLAGS="")
  subprocess.run([sys.executable, "-m", "tests.test_launch_errors", str(folder / "in.json"),
                  str(folder / "out.json")], cwd=ROOT, env=env, check=True, timeout=300)
  out = json.loads((folder / "out.json").read_text())
  return {name: (r["status"], r["stderr"], folder / name) for name, r in zip(runs, out)}


def _assert_one_error_line(status: int, stderr: str, says) -> None:
  assert status == 2, stderr[-3000:]
  assert "Traceback" not in stderr, stderr[-3000:]
  assert sum("error:" in line for line in stderr.splitlines()) == 1, stderr[-3000:]
  last = [line for line in stderr.splitlines() if line.strip()][-1]
  assert last.startswith("error: "), last
  for words in says:
    assert words in last, (words, last)


@pytest.mark.parametrize("name", CASES)
def test_bad_input_is_one_error_line_and_exit_status_2(results, name):
  status, stderr, workdir = results[name]
  _assert_one_error_line(status, stderr, CASES[name][2])
  # Nothing trained: launch writes config.json, the run nothing.
  assert not workdir.exists() or os.listdir(workdir) == ["config.json"]


def test_debug_shows_the_traceback_of_a_user_error(results):
  status, stderr, _ = results["debug"]
  assert status == 1 and "error:" not in stderr, stderr[-3000:]
  assert "Traceback" in stderr and "ValueError: data.path" in stderr


@pytest.mark.parametrize("arg, says", [
    ("--config.data.nmae=x", ("--config.data.nmae: the config has no field 'nmae'; "
                              'did you mean "name"',)),
    ("stray", ("error: unexpected arguments: ['stray']",)),  # raised in main, before the run
])
def test_launch_py_exits_2_with_one_error_line(tmp_path, arg, says):
  run = launch_process(*BASE, arg, workdir=tmp_path / "w")
  _assert_one_error_line(run.returncode, run.stderr, says)


def _judged(path: str, line: str) -> tuple[bool, str]:
  """(is_user_error, error_line) of the exception of running `line` from a file at `path`."""
  linecache.cache[path] = (len(line), None, [line + "\n"], path)
  try:
    exec(compile(line, path, "exec"), {"np": np})  # pylint: disable=exec-used
  except Exception as error:  # pylint: disable=broad-except
    return cli.is_user_error(error), cli.error_line(error)
  finally:
    del linecache.cache[path]
  raise AssertionError(f"{line!r} raised nothing")


def test_is_user_error_only_for_a_raise_in_our_code(data):
  estimators = registry.Registry("MI estimator")
  with pytest.raises(KeyError) as error:
    estimators["kgs"]  # pylint: disable=pointless-statement
  assert cli.is_user_error(error.value)
  assert cli.error_line(error.value) == "error: unknown MI estimator 'kgs'; known: none"
  ours = os.path.join(ROOT, "cch_jax", "utils", "not_a_file.py")
  assert _judged(ours, "raise ValueError('x: expected\\n  y')") == (True, "error: x: expected y")
  assert not _judged(ours, "raise AttributeError('x')")[0]
  # numpy's errors are bugs: from its C code called in our frame, or its Python code.
  assert not _judged(ours, "np.zeros(3).reshape(2)")[0]
  assert not _judged("/elsewhere/x.py", "np.zeros(3).reshape(2)")[0]
  with pytest.raises(ValueError) as error:
    np.load(data["text"], allow_pickle=False)
  assert not cli.is_user_error(error.value)


if __name__ == "__main__":
  with open(sys.argv[2], "w", encoding="utf-8") as f:
    json.dump(_run_here(json.loads(open(sys.argv[1], encoding="utf-8").read())), f)
