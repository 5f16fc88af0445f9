#!/usr/bin/env bash
# quickstart.sh as a user who cannot install packages: a user without root
# and without sudo or apt-get, on a machine where nothing is installed yet,
# must be told which packages to install and how, not see
# "sudo: command not found". The demo must ask only for what it needs.
#   quickstart_test.sh PATH/TO/quickstart.sh
set -euo pipefail
script=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
cp "$script" "$work/quickstart.sh"
mkdir "$work/bin"
# Only the tools the script's first steps use; no sudo, no apt-get.
for tool in bash dirname id grep cat env; do ln -s "$(command -v $tool)" "$work/bin/$tool"; done
# dpkg-query that finds nothing installed.
printf '#!/bin/sh\nexit 1\n' > "$work/bin/dpkg-query"
chmod 755 "$work/bin/dpkg-query"

as_user=()
[[ $(id -u) -eq 0 ]] && as_user=(runuser -u nobody --)
fail=0
for mode in demo test; do
  set +e
  out=$("${as_user[@]}" env -i PATH="$work/bin" bash "$work/quickstart.sh" "$mode" 2>&1)
  rc=$?
  set -e
  check() {  # check DESCRIPTION COMMAND...
    if ! "${@:2}"; then echo "FAIL ($mode): $1"; echo "$out"; fail=1; fi
  }
  check "exits 1, got $rc" test "$rc" -eq 1
  check "no 'command not found'" bash -c "! grep -q 'command not found' <<<\"\$0\"" "$out"
  check "says how to install" grep -q 'apt-get update && apt-get install -y' <<<"$out"
  check "names a package" grep -q 'libinsighttoolkit5-dev' <<<"$out"
  if [[ $mode == demo ]]; then
    check "demo asks for no test packages" bash -c "! grep -Eq 'clang|gnuplot|libbenchmark|libgtest' <<<\"\$0\"" "$out"
  else
    check "test asks for the test packages" grep -q 'libgtest-dev' <<<"$out"
  fi
done
# Without dpkg-query at all: it says what is needed and tries to build.
rm "$work/bin/dpkg-query"
set +e
out=$("${as_user[@]}" env -i PATH="$work/bin" bash "$work/quickstart.sh" demo 2>&1)
set -e
grep -q 'no dpkg-query here' <<<"$out" || { echo "FAIL: no dpkg-query not reported"; echo "$out"; fail=1; }
grep -q 'apt-get update && apt-get install -y' <<<"$out" || { echo "FAIL: no install hint"; fail=1; }
if ((fail)); then exit 1; fi
echo "quickstart: 3 passed, 0 failed"
