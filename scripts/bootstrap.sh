#!/usr/bin/env bash
# Create .venv in the checkout and install qa into it (idempotent: skips what is already done).
# torch==2.13.0 goes first: it is the CPU wheel; letting sentence-transformers pull torch brings a
# multi-GB CUDA build instead.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=".venv/.qa-installed-$(cat pyproject.toml | sha256sum | cut -c1-16)-${1:-app}"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check torch==2.13.0
  if [ "${1:-app}" = "test" ]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test,ocr,ray]'  # the OCR and Ray extras too, so the tests exercise them
  else
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e .
  fi
  touch "$stamp"
fi
