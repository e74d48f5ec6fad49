#!/usr/bin/env bash
# Create .venv in the checkout and install qa into it (idempotent: skips what is already done).
#   bash scripts/bootstrap.sh [app|test]   test: with the test, OCR and Ray extras
# torch goes first, the CPU build chosen by scripts/torch.sh (QA_TORCH_INDEX: an index URL or a folder
# of wheels holding torch==2.13.0+cpu): letting sentence-transformers pull torch brings PyPI's CUDA
# build, several GB. With no CPU build reachable it installs that one anyway, after one warning line.
# PYTHON: the interpreter to create .venv with (default python3: the first on the PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=".venv/.qa-installed-$(cat pyproject.toml | sha256sum | cut -c1-16)-${1:-app}"
if [ ! -f "$stamp" ]; then
  if ! .venv/bin/python -c 'import importlib.metadata as m, sys; sys.exit(m.version("torch").split("+")[0] != "2.13.0")' 2>/dev/null; then
    wheels=$(mktemp -d)
    trap 'rm -rf "$wheels"' EXIT
    wheel=$(PYTHON=.venv/bin/python bash scripts/torch.sh "$wheels" any)
    .venv/bin/python -m pip install --quiet --disable-pip-version-check "$wheel"
  fi
  if [ "${1:-app}" = "test" ]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test,ocr,ray]'  # the OCR and Ray extras too, so the tests exercise them
  else
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e .
  fi
  touch "$stamp"
fi
