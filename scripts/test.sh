#!/usr/bin/env bash
# Sets up .venv (see setup.sh), runs `meta check`, then each package's tests (foundation first)
# and meta's own, and ends with one line `total: N passed, M failed[, K skipped]`.
# Exits non-zero when setup, the check or any suite fails.
# By default the whole suite; arguments name suites instead (package folders, or `meta`), for
# example `bash scripts/test.sh $(meta changed --base origin/main)`; `meta check` then covers the
# named packages only.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh || { echo "setup failed"; exit 1; }
# shellcheck disable=SC1091
source .venv/bin/activate  # tests that start `polymath` in a subprocess find it on PATH

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
passed=0 failed=0 skipped=0
failures=()
summaries=()

# The number before WORD in a pytest summary line, or 0.
count() { grep -oE "[0-9]+ $1" <<<"$2" | head -n 1 | grep -oE '^[0-9]+' || echo 0; }

# run_suite NAME FOLDER [SCRIPT]: pytest in FOLDER, or SCRIPT (a package's tests/scripts/*_extra.sh,
# which runs tests that need an optional extra in a throw-away environment and prints pytest's summary).
run_suite() {
  local name=$1 folder=$2 script=${3:-} log="$logs/${1//\//_}.log" rc summary p f s
  echo "== $name: ${script:-pytest}"
  if [ -n "$script" ]; then
    timeout -k 30 "${POLYMATH_SUITE_TIMEOUT:-1800}" bash "$script" 2>&1 | tee "$log"
  else
    (cd "$folder" && timeout -k 30 "${POLYMATH_SUITE_TIMEOUT:-1800}" \
      python -m pytest -q -p no:cacheprovider) 2>&1 | tee "$log"
  fi
  rc=${PIPESTATUS[0]}
  summary=$(grep -E '[0-9]+ (passed|failed|skipped|errors?|deselected)|no tests ran' "$log" |
    grep -E ' in [0-9.]+s' | tail -n 1 | tr -d '=' | sed -E 's/^ +| +$//g')
  p=$(count passed "$summary")
  f=$(($(count failed "$summary") + $(count 'errors?' "$summary")))
  s=$(count skipped "$summary")
  if [ "$rc" -eq 5 ] && [ ! -d "$folder/tests" ]; then
    rc=0  # no tests folder, nothing to collect
  elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1  # a crash, a timeout or an empty tests/ folder counts as one failure
  fi
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
  summaries+=("$name: ${summary:-no summary (exit $rc)}")
  [ "$rc" -eq 0 ] || failures+=("$name")
}

if [ $# -gt 0 ]; then
  suites=("$@")
else
  mapfile -t suites < <(meta --root . list)
  suites+=(meta)
fi
checked=()
for suite in "${suites[@]}"; do [ "$suite" = meta ] || checked+=("$suite"); done
echo "== meta check ${checked[*]}"
if [ $# -eq 0 ] || [ ${#checked[@]} -gt 0 ]; then
  meta --root . check "${checked[@]}" || failures+=("meta check")
fi

for suite in "${suites[@]}"; do
  run_suite "$suite" "$suite"
  for extra in "$suite"/tests/scripts/*_extra.sh; do
    [ -f "$extra" ] && run_suite "$suite/$(basename "$extra" .sh)" "$suite" "$extra"
  done
done

echo "== summary"
printf '%s\n' "${summaries[@]}"
[ ${#failures[@]} -eq 0 ] || echo "FAILED: ${failures[*]}"
line="total: $passed passed, $failed failed"
[ "$skipped" -eq 0 ] || line="$line, $skipped skipped"
echo "$line"
[ ${#failures[@]} -eq 0 ]
