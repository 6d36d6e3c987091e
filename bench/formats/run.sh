#!/bin/sh
# Times readyctl's JUnit and lcov readers against Python junitparser on the same inputs.
# Usage: PY=/path/to/venv/bin/python sh bench/formats/run.sh   (venv with junitparser)
# Each reader prints its own parse time (ms=, wall clock, parse and count only); GNU time adds
# the whole process's CPU seconds and peak memory. Best of 3 runs.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
PY=${PY:-${READYCTL_TEST_PYTHON:-python3}}
work=${BENCH_DIR:-$(mktemp -d)}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$work/target}
cargo build --quiet --release --manifest-path "$here/Cargo.toml"
bin=$CARGO_TARGET_DIR/release/formats-bench

"$bin" gen-junit 100000 "$work/junit-100k.xml"
"$bin" gen-lcov 1000000 "$work/lcov-1m.info"
"$bin" gen-lcov 100000 "$work/lcov-100k.info"
echo "inputs: junit-100k.xml $(wc -c < "$work/junit-100k.xml") bytes; lcov-1m.info $(wc -l < "$work/lcov-1m.info") lines; lcov-100k.info $(wc -l < "$work/lcov-100k.info") lines"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"

# Best of 3: prints "<parse ms> <cpu s> <peak KB> <reader output>".
best() {
    for _ in 1 2 3; do
        /usr/bin/time -f "TIME %U %S %M" "$@" 2>"$work/time.txt" >"$work/out.txt"
        out=$(cat "$work/out.txt")
        set -- "$@"
        awk -v out="$out" '/^TIME/ {ms=out; sub(/.*ms=/, "", ms); printf "%s %.2f %s %s\n", ms, $2+$3, $4, out}' "$work/time.txt"
    done | sort -n | head -1
}
show() { echo "$1: parse $(echo "$2" | cut -d' ' -f1) ms, process cpu $(echo "$2" | cut -d' ' -f2) s, peak $(echo "$2" | cut -d' ' -f3) KB  [$(echo "$2" | cut -d' ' -f4-)]"; }

ours=$(best "$bin" junit "$work/junit-100k.xml")
theirs=$(best "$PY" "$here/junitparser_count.py" "$work/junit-100k.xml")
show "junit 100k readyctl   " "$ours"
show "junit 100k junitparser" "$theirs"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b < 0.01) b = 0.01; printf "%.1f", a / b }'; }
echo "junit ratio (junitparser / readyctl): parse $(ratio "$(echo "$theirs" | cut -d' ' -f1)" "$(echo "$ours" | cut -d' ' -f1)")x, process cpu $(ratio "$(echo "$theirs" | cut -d' ' -f2)" "$(echo "$ours" | cut -d' ' -f2)")x"
show "lcov 1M lines         " "$(best "$bin" lcov "$work/lcov-1m.info")"
show "lcov 100k lines       " "$(best "$bin" lcov "$work/lcov-100k.info")"
