#!/usr/bin/env bash
# Runs tests/test_well.py with the `well` extra: our Well files through the-well's WellDataset.
# the-well pins fsspec==2024.10.0, which must not replace the fsspec Lightning and MLflow use, so
# the test runs in a throw-away environment layered on the active one (its packages come first).
# Usage, from an activated environment with polymath-mpp installed: bash tests/scripts/well_extra.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
shared=$(python -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python -m venv "$work/env"
layered=$("$work/env/bin/python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
echo "import site; site.addsitedir('$shared')" >"$layered/shared.pth"
"$work/env/bin/pip" install -q --no-deps "the-well>=1.2,<2" "fsspec==2024.10.0" "einops>=0.8"
"$work/env/bin/python" -m pytest -q -p no:cacheprovider tests/test_well.py
