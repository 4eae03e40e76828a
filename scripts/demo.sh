#!/usr/bin/env bash
# Sets up .venv (see setup.sh), then runs every installed package's quick recipe through
# `polymath demo`, tracked in ./mlflow.db, and prints the summary table. Two recipes run at a
# time, each on one thread (most quick recipes gain little from a second thread, so this halves
# the demo on a 2-core machine); `bash scripts/demo.sh --jobs 1` runs them one after the other.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
exec .venv/bin/polymath demo --jobs 2 "$@"
