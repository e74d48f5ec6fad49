#!/usr/bin/env bash
# Write the offline bundle for a server with no network (docs/deploy.md):
#   dist/qa-offline-<version>-linux-x86_64-py311.tar
# qa's own wheel (seeds, widget and any data files under qa/ inside), every dependency's wheel for this
# platform and Python (CPU torch), the OCR and Ray extras as separate optional sets, install.sh and
# SHA256SUMS. Run it on a machine that reaches a package index, with the Python the server will run.
#
# Environment:
#   PYTHON             the interpreter to bundle for, with pip (default: .venv/bin/python, else python3)
#   QA_BUNDLE_EXTRAS   extras to bundle, space-separated (default: "ocr ray"; "" = none, a faster build)
#   QA_TORCH_INDEX     where the CPU torch wheel (torch==2.13.0+cpu) comes from: an index URL (with ://) or a
#                      local folder of wheels; default: the configured indexes, else https://download.pytorch.org/whl/cpu
#                      (pypi.org's is the multi-GB CUDA build). scripts/torch.sh chooses; with no CPU torch
#                      reachable this script stops with its one line and exit status 3: the bundle is CPU-only.
#   QA_BUNDLE_OUT      output folder (default: dist)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
if [ -z "${PYTHON:-}" ]; then
  if [ -x .venv/bin/python ]; then PYTHON=$ROOT/.venv/bin/python; else PYTHON=$(command -v python3); fi
fi
EXTRAS=${QA_BUNDLE_EXTRAS-ocr ray}
OUT=${QA_BUNDLE_OUT:-dist}
TORCH=torch==2.13.0
start=$(date +%s)

read -r VERSION PYTAG PYVER PLATFORM < <("$PYTHON" - <<'EOF'
import platform, re, sys
version = re.search(r'(?m)^version = "([^"]+)"', open("pyproject.toml", encoding="utf-8").read()).group(1)
print(version, f"py{sys.version_info[0]}{sys.version_info[1]}", f"{sys.version_info[0]}.{sys.version_info[1]}",
      f"{platform.system().lower()}-{platform.machine()}")
EOF
)
NAME=qa-offline-$VERSION-$PLATFORM-$PYTAG
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stage=$work/$NAME
mkdir -p "$stage/wheels" "$OUT"
pip() { "$PYTHON" -m pip --disable-pip-version-check "$@"; }

# 0. CPU torch first: with none reachable there is no bundle, so stop before the slow steps.
echo "fetching the CPU build of torch"
PYTHON=$PYTHON bash scripts/torch.sh "$stage/wheels" cpu >/dev/null || exit $?

# 1. qa's wheel, built from a clean copy (a stale build/ folder cannot leak files into it). qa/ is
#    copied whole, ignored files included: weights added as package data ship even if git ignores them.
src=$work/src
mkdir -p "$src"
cp -a pyproject.toml README.md seeds "$src/"
tar -C "$ROOT" --exclude=__pycache__ --exclude='*.pyc' -cf - qa | tar -C "$src" -xf -
echo "building qa $VERSION's wheel"
pip wheel --quiet --no-deps --wheel-dir "$stage/wheels" "$src"
QA_WHEEL=$(ls "$stage"/wheels/qa-"$VERSION"-*.whl)

# 2. Every dependency's wheel. CPU torch is in the folder already (step 0), so the resolver takes it
#    (2.13.0+cpu sorts above 2.13.0).
echo "collecting the dependencies' wheels for $PLATFORM, Python $PYVER"
pip wheel --quiet --find-links "$stage/wheels" --wheel-dir "$stage/wheels" "$QA_WHEEL" "$TORCH"

# 3. Each extra: the wheels it needs beyond the core set, resolved with the core versions pinned.
"$PYTHON" - "$stage/wheels" > "$work/core-pins.txt" <<'EOF'
import pathlib, sys
for w in sorted(pathlib.Path(sys.argv[1]).glob("*.whl")):
    name, version = w.name.split("-")[:2]
    print(f"{name}=={version}")
EOF
for extra in $EXTRAS; do
  echo "collecting the $extra extra"
  mkdir -p "$work/extra-$extra" "$stage/extras/$extra"
  pip wheel --quiet --find-links "$stage/wheels" --constraint "$work/core-pins.txt" \
    --wheel-dir "$work/extra-$extra" "$QA_WHEEL[$extra]" "$TORCH"
  for w in "$work/extra-$extra"/*.whl; do
    [ -e "$stage/wheels/$(basename "$w")" ] || mv "$w" "$stage/extras/$extra/"
  done
done

# 4. The installer, what the bundle was built for, and every file's sha256.
cp scripts/offline_install.sh "$stage/install.sh"
cat > "$stage/BUILT_FOR" <<EOF
QA_VERSION=$VERSION
PYTHON_VERSION=$PYVER
PLATFORM=$PLATFORM
BUNDLED_EXTRAS="$EXTRAS"
BUILT_AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
EOF
(cd "$stage" && find . -type f ! -name SHA256SUMS | sed 's#^\./##' | LC_ALL=C sort | xargs -d '\n' sha256sum > SHA256SUMS)
tar -C "$work" -cf "$OUT/$NAME.tar" "$NAME"
size=$(du -h "$OUT/$NAME.tar" | cut -f1)
echo "wrote $OUT/$NAME.tar: $size, $(grep -c . "$stage/SHA256SUMS") files, in $(($(date +%s) - start)) s"
echo "on the server: tar xf $NAME.tar && bash $NAME/install.sh [PREFIX]"
