#!/usr/bin/env bash
# Set up (first time only) and start the web app on the seed corpus: http://127.0.0.1:7860/
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh app
exec .venv/bin/qa serve "$@"
