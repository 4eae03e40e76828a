#!/usr/bin/env bash
# The reliability drills of issue 14, each bounded in count and time, then their figures:
#   resume       20 random kills of counting-transformers smoke runs (in turn with 0 and 2 DataLoader
#                workers), each resumed and compared
#   corruption   60 damaged shard sets and 60 writers killed mid-overwrite (H3's drill)
#   bad inputs   the table of bad command-line values (H1's drill)
#   concurrent_runs  3 first runs at once in a folder with no store, twice
#                (not concurrent.py: a drill's folder comes first on sys.path, and would shadow
#                the standard library's concurrent package)
#   outage       the tracking server stopped under a run: back after 15 s, and gone for good
# Usage: bash scripts/drills.sh [resume corruption bad_inputs concurrent_runs outage]
# Each drill's log goes to $POLYMATH_DRILL_LOGS (default: a temporary folder); exits 1 when a
# drill fails or is missing.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck disable=SC1091
[ -f .venv/bin/activate ] && source .venv/bin/activate
export OMP_NUM_THREADS=1

logs=${POLYMATH_DRILL_LOGS:-$(mktemp -d -t polymath-drills-XXXX)}
mkdir -p "$logs"
declare -A limits=([resume]=3000 [corruption]=900 [bad_inputs]=900 [concurrent_runs]=900 [outage]=900)
declare -A args=([resume]="--cycles 20 --budget-s 2700" [corruption]="--corruptions 60 --kills 60"
                 [bad_inputs]="" [concurrent_runs]="--runs 3 --rounds 2" [outage]="--down-s 15")
drills=("$@")
[ ${#drills[@]} -eq 0 ] && drills=(resume corruption bad_inputs concurrent_runs outage)

status=0
figures=()
for drill in "${drills[@]}"; do
  script="foundation/drills/$drill.py"
  if [ ! -f "$script" ]; then
    echo "== $drill: $script does not exist yet: not run"
    figures+=("$drill: MISSING ($script does not exist)")
    status=1
    continue
  fi
  echo "== $drill (at most ${limits[$drill]} s): python $script ${args[$drill]}"
  started=$SECONDS
  # shellcheck disable=SC2086
  timeout -k 30 "${limits[$drill]}" python "$script" ${args[$drill]} 2>&1 | tee "$logs/$drill.log"
  rc=${PIPESTATUS[0]}
  took=$((SECONDS - started))
  figure=$(grep -iE "^([a-z ,-]*drill[^:]*|corruptions|kills|bad[a-z _-]*):" "$logs/$drill.log" |
    paste -sd ';' -)
  [ -z "$figure" ] && figure=$(tail -n 1 "$logs/$drill.log")
  case $rc in
    0) verdict=passed ;;
    124|137) verdict="TIMED OUT after ${limits[$drill]} s"; status=1 ;;
    *) verdict="FAILED (exit $rc)"; status=1 ;;
  esac
  figures+=("$drill: $verdict in ${took} s: $figure")
done

echo
echo "== drill figures (logs in $logs)"
printf '%s\n' "${figures[@]}"
exit $status
