#!/usr/bin/env bash
# Creates or reuses .venv: torch, then meta, then every package folder `meta list` finds (every
# top-level folder whose pyproject names a polymath-* distribution), all editable with their test
# extras. Idempotent: when no pyproject.toml (nor this script) changed since the last
# successful run, it does no pip work at all.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

python=${PYTHON:-python3}
venv=.venv
stamp=$venv/.polymath-setup-stamp
torch_spec=${POLYMATH_TORCH:-torch==2.13.0}

fingerprint() {
  {
    echo "$torch_spec"
    cat scripts/setup.sh
    for pyproject in */pyproject.toml; do
      echo "== $pyproject"
      cat "$pyproject"
    done
  } | sha256sum | cut -d' ' -f1
}

if [ ! -x "$venv/bin/python" ]; then
  echo "setup: creating $venv with $("$python" --version)"
  "$python" -m venv "$venv"
fi

wanted=$(fingerprint)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ] && [ -x "$venv/bin/meta" ]; then
  echo "setup: $venv is up to date"
  exit 0
fi

start=$SECONDS
pip=("$venv/bin/python" -m pip install --disable-pip-version-check)
echo "setup: installing $torch_spec"
"${pip[@]}" "$torch_spec"
echo "setup: installing meta, to list the packages"
"${pip[@]}" -e "./meta[test]"
editable=()
mapfile -t packages < <("$venv/bin/meta" --root . list)
for package in "${packages[@]}"; do
  editable+=(-e "./$package[test]")
done
echo "setup: installing ${editable[*]}"
if ! "${pip[@]}" "${editable[@]}"; then
  # One package that does not install (a half-built one) must not keep the others out: install
  # them one by one, name the ones that fail, and leave the stamp unwritten so the next run retries.
  broken=()
  for package in "${packages[@]}"; do
    "${pip[@]}" -e "./$package[test]" || broken+=("$package")
  done
  echo "setup: these packages do not install: ${broken[*]:-none} (see pip's message above)"
  exit 1
fi
echo "$wanted" >"$stamp"
echo "setup: done in $((SECONDS - start)) s"
