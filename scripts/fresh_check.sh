#!/usr/bin/env bash
# Run the README's test command as a new machine would, then say what it used and what pytest said.
#   bash scripts/fresh_check.sh [pytest args]   e.g. tests/test_upgrade.py; none: the whole suite, as .ci/run
#
# A fresh clone of this checkout's HEAD (committed work only) in a temporary folder, with shared/ beside
# it as the tests expect (a link to this checkout's ../shared); `env -i` with only
# PATH=/usr/local/bin:/usr/bin:/bin (Debian's own python3 first), an empty HOME (no pip settings, no
# caches) and PIP_CONFIG_FILE=/dev/null (no /etc/pip.conf either), so pip reaches PyPI alone.
# QA_TORCH_INDEX is passed on if set (scripts/torch.sh: an index URL or a folder of wheels serving
# torch==2.13.0+cpu); without it the CPU torch comes from PyTorch's CPU index, else PyPI's CUDA build.
# Then it prints the Python the fresh .venv was made with, whether any nvidia-* package got installed,
# and pytest's summary line with the skips and their reasons. Exit status: scripts/test.sh's.
# The first install downloads every dependency: minutes. QA_FRESH_KEEP=1 keeps the temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
rev=$(git rev-parse HEAD)
start=$(date +%s)
work=$(mktemp -d /tmp/qa-fresh.XXXXXX)
if [ "${QA_FRESH_KEEP:-}" = 1 ]; then
  trap 'echo "kept $work"' EXIT
else
  trap 'rm -rf "$work"' EXIT
fi

git clone --quiet --no-checkout "$ROOT" "$work/qa"
git -C "$work/qa" checkout --quiet --detach "$rev"
ln -s "$(cd "$ROOT/.." && pwd)/shared" "$work/shared"
mkdir "$work/home"
echo "fresh clone of $rev in $work/qa (uncommitted changes are not in it); HOME=$work/home"

fresh=(env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$work/home" PIP_CONFIG_FILE=/dev/null)
if [ -n "${QA_TORCH_INDEX:-}" ]; then fresh+=(QA_TORCH_INDEX="$QA_TORCH_INDEX"); fi
# pytest's own temporary folder inside this one: not the /tmp/pytest-of-<user> other runs share.
status=0
(cd "$work/qa" && "${fresh[@]}" bash scripts/test.sh -q -rs --basetemp="$work/pytest" "$@") 2>&1 | tee "$work/test.log" ||
  status=${PIPESTATUS[0]}

echo
echo "=== fresh check of $rev: $(($(date +%s) - start)) s, the install included ==="
venv=$work/qa/.venv/bin/python
if [ -x "$venv" ]; then
  "$venv" - <<'EOF'
import platform, sys
base = sys._base_executable  # the interpreter the venv was made from
print(f"python: {platform.python_version()} ({base})")
EOF
  nvidia=$("${fresh[@]}" "$venv" -m pip list --disable-pip-version-check --format=freeze 2>/dev/null | grep -ci '^nvidia-' || true)
  torch=$("${fresh[@]}" "$venv" -m pip list --disable-pip-version-check --format=freeze 2>/dev/null | grep -i '^torch==' || true)
  echo "torch: ${torch:-not installed}; nvidia-* packages installed: $nvidia"
else
  echo "python: no .venv was made"
fi
echo "pytest:"
grep -E '^(SKIPPED|FAILED|ERROR) ' "$work/test.log" || true
grep -E '([0-9]+ (passed|failed|skipped|errors?|deselected)).* in [0-9.]+s' "$work/test.log" | tail -n1 || echo "no summary line"
exit "$status"
