#!/usr/bin/env bash
# The three performance targets of issue 20 (item 7), for one or two readyctl binaries measured
# in the same run, interleaved round by round, against the same peers on the same inputs:
#   sched   100 independent `run: 'sleep 0.2'` checks, `--jobs 100`: whole `readyctl check` wall
#           time under 0.3 s (peer: `sh` starting the same 100 `sh -c 'sleep 0.2'` at once and
#           waiting for them: the same 200 processes, since dash forks the sleep and waits)
#   sched-argv  the same 100 checks written `run: [sleep, '0.2']`: no `sh` per check (peer:
#           `sh` starting the same 100 sleeps)
#   junit   a `tests` check on a 100,000-case JUnit file (whole `readyctl check`) within 2× of
#           `xmllint --stream --noout` on the same file (libxml2's streaming reader reading the
#           whole document, no tree, no output: the least work that still reads all of it)
#   search  a `search` check over a large real tree (the cargo registry sources) within 1.2× of
#           `rg -c` with the same pattern
# Usage: bench/compare.sh OLD_BIN [NEW_BIN] [RUNS]      (RUNS default 11: medians of 11 rounds)
#   e.g. bench/compare.sh /tmp/readyctl-134bb3d target/release/readyctl 11
#   BENCH_ONLY="sched junit" to run a subset; TREE=/path for the search tree.
# With one binary it times that one (bench/run-all.sh does so). Needs rg (ripgrep) and xmllint
# (libxml2-utils) and python3. Figures are wall and CPU medians plus each binary's ratio to the
# peer of the same round; on a shared machine prefer the ratios and the CPU times.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || { sed -n '2,20p' "$0" >&2; exit 2; }
old=$1
new=${2:-}
runs=${3:-${RUNS:-11}}
case "$new" in ''|*[!0-9]*) ;; *) runs=$new; new= ;; esac
tree=${TREE:-$HOME/.cargo/registry/src}
only=${BENCH_ONLY:-sched sched-argv junit search}
for t in rg xmllint python3; do
    command -v "$t" >/dev/null || { echo "compare.sh: $t not found (Debian: ripgrep, libxml2-utils, python3)" >&2; exit 2; }
done
abs() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
if [ -n "$new" ]; then bins=("old=$(abs "$old")" "new=$(abs "$new")"); else bins=("readyctl=$(abs "$old")"); fi
for b in "${bins[@]}"; do [ -x "${b#*=}" ] || { echo "compare.sh: ${b#*=} is not an executable" >&2; exit 2; }; done

work=$(mktemp -d "${TMPDIR:-/tmp}/readyctl-compare.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "$tree" > "$work/tree.txt"

# sched: 100 independent checks.
mkdir -p "$work/sched"
{ echo "version: 1"; echo "checks:"
  for i in $(seq 1 100); do echo "  - { id: s$i, command: { run: 'sleep 0.2' } }"; done; } > "$work/sched/readiness.yaml"
mkdir -p "$work/sched-argv"
{ echo "version: 1"; echo "checks:"
  for i in $(seq 1 100); do echo "  - { id: s$i, command: { run: [sleep, '0.2'] } }"; done; } > "$work/sched-argv/readiness.yaml"

# junit: the 100,000-case file of bench/formats (same generator: 5% failures, 2% skipped), and a
# check that reads it and passes (every case counted, failures allowed).
mkdir -p "$work/junit"
python3 - "$work/junit/junit.xml" <<'PY'
import sys
cases, per = 100000, 1000
with open(sys.argv[1], "w") as w:
    w.write('<?xml version="1.0" encoding="utf-8"?>\n<testsuites name="bench">\n')
    for s in range((cases + per - 1) // per):
        w.write(f'  <testsuite name="pkg.suite{s}" tests="{per}">\n')
        for i in range(min(per, cases - s * per)):
            n = s * per + i
            w.write(f'    <testcase classname="pkg.suite{s}.Class{i % 10}" name="test_case_{n}" time="0.{n % 1000:03}"')
            if n % 20 == 7:
                w.write(f'><failure message="assert {n} == {n + 1}">Traceback (most recent call last):\n'
                        f'  File "tests/test_{s}.py", line {i}, in test_case_{n}\n'
                        f'AssertionError: assert {n} == {n + 1}</failure></testcase>\n')
            elif n % 50 == 3:
                w.write('><skipped message="not today"/></testcase>\n')
            else:
                w.write('/>\n')
        w.write('  </testsuite>\n')
    w.write('</testsuites>\n')
PY
printf 'version: 1\nchecks:\n  - { id: junit, tests: { results: junit.xml, format: junit, min_total: 100000, max_failed: any } }\n' \
    > "$work/junit/readiness.yaml"

# search: the pattern and tree of bench/foundation.sh.
printf 'version: 1\nchecks:\n  - { id: s, search: { pattern: "fn [a-z_]+_unchecked\\\\(", expect: some } }\n' > "$work/search.yaml"

echo "machine: $(nproc) cores, $(uname -sr); $(rg --version | head -1); $(xmllint --version 2>&1 | head -1)"
for b in "${bins[@]}"; do echo "${b%%=*}: ${b#*=} ($("${b#*=}" --version))"; done
echo "inputs: junit.xml $(wc -c < "$work/junit/junit.xml") bytes; search tree $tree: $(rg --files "$tree" | wc -l) files"
python3 "$here/compare.py" "$work" "$runs" "$only" "${bins[@]}"
