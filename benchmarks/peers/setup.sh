#!/usr/bin/env bash
# Builds the peer MI estimators' own virtual environments (idempotent):
#   benchmarks/.peer_venvs/bmi       benchmark-mi 0.1.3 (jax/jaxlib 0.4.30), also NPEET-style micd
#   benchmarks/.peer_venvs/latentmi  latentmi 0.1.3 on CPU torch 2.13.0
# The pins live in benchmarks/peers/requirements-{bmi,latentmi}.txt. A venv is rebuilt only
# when its requirements file changed (a stamp holds the file's checksum) or it is broken.
#
#   bash benchmarks/peers/setup.sh            # both
#   bash benchmarks/peers/setup.sh latentmi   # one
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")/.peer_venvs"
PYTHON="${PYTHON:-python3}"

stamp_of() { sha256sum "$1" | cut -d' ' -f1; }

# build NAME CHECK_IMPORT [PRE_INSTALL...]: (re)creates ROOT/NAME from requirements-NAME.txt.
build() {
  local name="$1" check="$2"
  shift 2
  local venv="$ROOT/$name" reqs="$HERE/requirements-$name.txt"
  local want
  want="$(stamp_of "$reqs")"
  if [[ -f "$venv/.installed" && "$(cat "$venv/.installed")" == "$want" ]] \
      && "$venv/bin/python" -c "$check" >/dev/null 2>&1; then
    echo "peers: $name venv is up to date ($venv)"
    return
  fi
  echo "peers: building $name venv in $venv"
  rm -rf "$venv"
  "$PYTHON" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  if (($#)); then
    "$venv/bin/python" -m pip install --quiet "$@"
  fi
  "$venv/bin/python" -m pip install --quiet -r "$reqs"
  "$venv/bin/python" -c "$check"
  echo "$want" > "$venv/.installed"
}

targets=("$@")
((${#targets[@]})) || targets=(bmi latentmi)
mkdir -p "$ROOT"
for target in "${targets[@]}"; do
  case "$target" in
    bmi)
      build bmi "import bmi, jax, sklearn, scipy; assert jax.__version__ == '0.4.30'" ;;
    latentmi)
      # CPU torch first, exactly this spec: pip takes the local CPU wheel (any other spec may
      # pull several GB of CUDA packages); the pinned file then leaves torch as it is.
      build latentmi "import torch, latentmi.lmi; assert torch.__version__.startswith('2.13.0')" \
          "torch==2.13.0" ;;
    *)
      echo "peers: unknown target $target (expected bmi or latentmi)" >&2
      exit 2 ;;
  esac
done
