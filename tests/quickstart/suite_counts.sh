#!/usr/bin/env bash
# After the Release run of quickstart.sh test: one line per suite with the
# number of its tests that ran, and a failure when a suite ran none. A suite
# that was not built (an option cached OFF by an earlier configure, a package
# missing) runs no test and fails nothing, so ctest alone would pass.
#   suite_counts.sh BUILD_DIR      (BUILD_DIR/ctest.log: the run's output)
set -euo pipefail
build=$1
missing=0
count() { ctest --test-dir "$build" -N "$@" | sed -n 's/^Total Tests: //p'; }
report() {  # suite, count, what
  printf '%-10s %5s %s\n' "$1" "${2:-0}" "$3"
  if [[ "${2:-0}" -eq 0 ]]; then
    echo "quickstart: the $1 suite ran no test" >&2
    missing=1
  fi
}
echo "== tests by suite (the Release run)"
for suite in core itk cli python packaging; do
  report "$suite" "$(count -L "^$suite\$")" "ctest tests"
done
report redis "$(count -R 'Remote|Redis')" "ctest tests against a real redis-server"
# Inside the Python suites: pytest tests that ran, from their JUnit reports.
ran=$(python3 - "$build/python-results" <<'PY'
import pathlib, sys, xml.etree.ElementTree as ET
total = 0
for f in sorted(pathlib.Path(sys.argv[1]).glob("*.xml")):
    root = ET.parse(f).getroot()
    s = root if root.tag == "testsuite" else root.find("testsuite")
    n = int(s.get("tests")) - int(s.get("skipped")) - int(s.get("failures")) - int(s.get("errors"))
    print(f"  pytest {f.stem:<13} {n:5} passed, {s.get('skipped')} skipped", file=sys.stderr)
    total += n
print(total)
PY
)
report pytest "$ran" "pytest tests in the Python suites"
((missing == 0)) || exit 1
# The whole run in the plain form, as the closing line.
sed -n 's/^[0-9]*% tests passed, \([0-9]*\) tests failed out of \([0-9]*\)$/total: \2 passed, \1 failed/p' \
  "$build/ctest.log"
