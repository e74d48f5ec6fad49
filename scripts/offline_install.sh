#!/usr/bin/env bash
# install.sh of the offline bundle (scripts/bundle.sh copies it in): install qa on a server with no
# network. Usage: bash install.sh [PREFIX] [--extras "ocr ray"]
#   PREFIX   where the venv goes (default: /opt/qa as root, else ~/.local/opt/qa); an earlier install
#            there is upgraded in place. Data (indexes, collections, audit log, model cache) lives in
#            data_dir, outside PREFIX: QA_DATA_DIR if set, else ~/.local/share/qa; the service's is /var/lib/qa.
# Checks every file's sha256 first, installs with pip --no-index from the bundle's wheels only,
# materialises the bundled model, builds the seed index and says how to start qa.
set -euo pipefail
BUNDLE=$(cd "$(dirname "$0")" && pwd)
PREFIX=""
EXTRAS=""
while [ $# -gt 0 ]; do
  case "$1" in
    --extras) EXTRAS=$2; shift 2 ;;
    --extras=*) EXTRAS=${1#--extras=}; shift ;;
    -h|--help) sed -n 2,9p "$0"; exit 0 ;;
    *) PREFIX=$1; shift ;;
  esac
done
if [ -z "$PREFIX" ]; then
  if [ "$(id -u)" = 0 ]; then PREFIX=/opt/qa; else PREFIX=$HOME/.local/opt/qa; fi
fi
fail() { echo "install.sh: $*" >&2; exit 1; }
# shellcheck source=/dev/null
. "$BUNDLE/BUILT_FOR"

# What the bundle was built for, against this machine: one line when they differ.
here_platform="$(uname -s | tr '[:upper:]' '[:lower:]')-$(uname -m)"
PY=${PYTHON:-}
if [ -z "$PY" ]; then
  for candidate in "python$PYTHON_VERSION" python3; do
    if command -v "$candidate" >/dev/null 2>&1; then PY=$(command -v "$candidate"); break; fi
  done
fi
here_python=$([ -n "$PY" ] && "$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo none)
if [ "$here_platform" != "$PLATFORM" ] || [ "$here_python" != "$PYTHON_VERSION" ]; then
  fail "this bundle is for Python $PYTHON_VERSION on $PLATFORM; this machine has Python $here_python on $here_platform (set PYTHON=/path/to/python$PYTHON_VERSION, or build the bundle for this machine)"
fi

echo "checking the bundle's sha256s"
(cd "$BUNDLE" && sha256sum --check --quiet --strict SHA256SUMS) || fail "a file of the bundle is damaged or missing (sha256 check above); copy the .tar again"

# pip sees the bundle's wheels and nothing else: no index, no pip.conf of this machine, no cache.
export PIP_CONFIG_FILE=/dev/null PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
links=(--find-links "$BUNDLE/wheels")
spec=qa
if [ -n "$EXTRAS" ]; then
  for extra in $EXTRAS; do
    [ -d "$BUNDLE/extras/$extra" ] || fail "the extra '$extra' is not in this bundle (it has: ${BUNDLED_EXTRAS:-none})"
    links+=(--find-links "$BUNDLE/extras/$extra")
  done
  spec="qa[$(echo "$EXTRAS" | tr ' ' ',')]"
fi

start=$(date +%s)
if [ -x "$PREFIX/venv/bin/python" ]; then
  echo "upgrading the install in $PREFIX (data_dir and settings are kept)"
else
  echo "creating the venv $PREFIX/venv"
  mkdir -p "$PREFIX"
  "$PY" -m venv "$PREFIX/venv" || fail "$PY -m venv failed; on Debian/Ubuntu install python$PYTHON_VERSION-venv"
fi
VPY=$PREFIX/venv/bin/python
echo "installing $spec from the bundle (pip --no-index)"
"$VPY" -m pip install --quiet --no-index "${links[@]}" --upgrade "$spec" torch==2.13.0
# The same version number may carry new code: qa itself is always replaced, its dependencies only as needed.
"$VPY" -m pip install --quiet --no-index --no-deps --force-reinstall "$BUNDLE"/wheels/qa-"$QA_VERSION"-*.whl

echo "materialising the bundled model and building the seed index"
"$PREFIX/venv/bin/qa" collections  # the default collection (the seeds) is built on first use
data_dir=$("$VPY" -I -c 'from qa.config import Settings; print(Settings.load().data_path)')
echo "installed qa $QA_VERSION in $PREFIX in $(($(date +%s) - start)) s; data_dir: $data_dir"
cat <<EOF

Start it:
  $PREFIX/venv/bin/qa ask "2020年度长三角地区主要领导座谈会在哪里举行？"
  $PREFIX/venv/bin/qa serve            # http://127.0.0.1:7860/  (widget: /embed, API: /api/ask)
As a service (systemd, runs as user qa, settings in /etc/qa/qa.env, data in /var/lib/qa):
  sudo $PREFIX/venv/bin/qa service install && sudo systemctl enable --now qa
EOF
