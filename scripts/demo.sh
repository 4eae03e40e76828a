#!/usr/bin/env bash
# Sets up .venv (see setup.sh), then runs every installed package's quick recipe through
# `polymath demo`, tracked in ./mlflow.db, and prints the summary table.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
exec .venv/bin/polymath demo "$@"
