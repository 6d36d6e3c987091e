#!/usr/bin/env bash
# The one benchmark suite: runs every benchmark script of the tool against its peer on the same
# input, REPEATS times each, plus startup and the flat-memory cases, and writes one table of
# medians and ratios, with the machine and tool versions, into docs/benchmarks.md (between the
# `run-all` markers). Not a test: run it by hand on a quiet machine.
#   bench/run-all.sh [REPEATS]                 (default 3)
#   BENCH_ONLY="startup scale" bench/run-all.sh 1   (a subset: foundation targets evidence
#                                                     formats net migrations secrets startup scale)
# `targets` is bench/compare.sh on this build alone (TARGET_ROUNDS interleaved rounds, default 5):
# the three targets of issue 20 (100 sleeps under 0.3 s, JUnit check within 2x xmllint --stream,
# search within 1.2x rg).
# Peers: hyperfine, ripgrep, wrk, curl, time (Debian), junitparser (PyPI, a venv is made when
# READYCTL_TEST_PYTHON has none), squawk-cli (npm), detect-secrets (PyPI; on PATH or in
# $DETECT_SECRETS, else that comparison is skipped: it takes ~10 minutes a run). A sub-benchmark that cannot run, fails or
# exceeds BENCH_TIMEOUT seconds (default 1800) is kept in the table with the reason.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
repeats=${1:-${REPEATS:-3}}
only=${BENCH_ONLY:-foundation targets evidence formats net migrations secrets startup scale}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
work=$(mktemp -d "${TMPDIR:-/tmp}/readyctl-run-all.XXXXXX")
trap 'rm -rf "$work"' EXIT
logs=$work/logs
mkdir -p "$logs"
wants() { case " $only " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

# GNU time for peak memory (`/usr/bin/time -v`), from the Debian package `time`.
if [ ! -x /usr/bin/time ]; then
    { apt-get install -y time || { apt-get update && apt-get install -y time; }; } >/dev/null 2>&1 ||
        echo "warning: /usr/bin/time missing and could not be installed: no peak-memory figures" >&2
fi

echo "building readyctl (release)..." >&2
cargo build --release --quiet --bins || { echo "release build failed" >&2; exit 2; }
bin=$CARGO_TARGET_DIR/release/readyctl

{
    echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
    echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "cpu: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
    echo "memory: $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
    echo "os: $(uname -sr)"
    echo "load: $(cut -d' ' -f1-3 /proc/loadavg) at start"
    echo "readyctl: $("$bin" --version)"
    echo "rustc: $(rustc --version)"
    for t in rg hyperfine wrk curl sha256sum python3 xmllint; do
        command -v "$t" >/dev/null && echo "$t: $("$t" --version 2>&1 | head -1)"
    done
} > "$work/machine.txt"

# run NAME CMD...: REPEATS runs, logs in $logs/NAME.<i>.{log,rc}.
run() {
    local name=$1 i
    shift
    for i in $(seq 1 "$repeats"); do
        echo "$name: run $i/$repeats" >&2
        timeout "${BENCH_TIMEOUT:-1800}" "$@" > "$logs/$name.$i.log" 2>&1
        echo $? > "$logs/$name.$i.rc"
    done
}
# skip NAME REASON: the table says why.
skip() { echo "$2" > "$logs/$1.skipped"; echo "$1: skipped: $2" >&2; }

wants foundation && run foundation bash bench/foundation.sh
if wants targets; then
    if command -v rg >/dev/null && command -v xmllint >/dev/null; then
        run targets bash bench/compare.sh "$bin" "${TARGET_ROUNDS:-5}"
    else
        skip targets "rg or xmllint missing (Debian packages ripgrep, libxml2-utils)"
    fi
fi
wants evidence && run evidence sh bench/evidence/run.sh "${EVIDENCE_MIB:-1024}"
if wants formats; then
    py=${READYCTL_TEST_PYTHON:-python3}
    if ! "$py" -c 'import junitparser' 2>/dev/null; then
        python3 -m venv "$work/venv" && "$work/venv/bin/pip" install -q 'junitparser>=3.1' &&
            py=$work/venv/bin/python
    fi
    if "$py" -c 'import junitparser' 2>/dev/null; then
        run formats env PY="$py" sh bench/formats/run.sh
    else
        skip formats "junitparser could not be installed (no PyPI?)"
    fi
fi
if wants net; then
    if command -v wrk >/dev/null && command -v curl >/dev/null; then
        run net sh bench/net/run.sh
    else
        skip net "wrk or curl missing (Debian packages wrk, curl)"
    fi
fi
if wants migrations; then
    if command -v squawk >/dev/null || command -v npm >/dev/null || [ -n "${SQUAWK:-}" ]; then
        run migrations bash bench/migrations/run.sh
    else
        skip migrations "neither squawk nor npm found (npm package squawk-cli)"
    fi
fi

if wants secrets; then
    if [ -n "${DETECT_SECRETS:-}" ] || command -v detect-secrets >/dev/null; then
        run secrets sh bench/secrets/run.sh "${SECRETS_TREE:-$HOME/.cargo/registry/src}" "${SECRETS_DS_MIB:-40}"
    else
        echo "detect-secrets not found (PyPI detect-secrets; set DETECT_SECRETS)" > "$logs/secrets-ds.skipped"
        run secrets sh bench/secrets/run.sh "${SECRETS_TREE:-$HOME/.cargo/registry/src}" 0
    fi
fi

# Peak RSS (KiB) and wall seconds of one command: "SECONDS KIB".
measure() { /usr/bin/time -f "%e %M" -o "$work/t" "$@" >/dev/null 2>&1; cat "$work/t" | tail -1; }

if wants startup; then
    mkdir -p "$work/big"
    { echo "version: 1"; echo "vars: { root: src }"; echo "checks:"; for i in $(seq 1 1000); do
        echo "  - id: c$i"; echo "    severity: medium"; echo "    needs: [$([ "$i" -gt 1 ] && echo "c$((i-1))")]"
        echo "    search: { pattern: 'TODO$i', paths: ['\${root}/**'] }"; done; } > "$work/big/readiness.yaml"
    for i in $(seq 1 "$repeats"); do
        hyperfine -N --warmup 3 --runs 30 --export-json "$logs/startup-version.$i.json" \
            "$bin --version" > /dev/null 2>&1
        hyperfine -N --warmup 3 --runs 20 --export-json "$logs/startup-list.$i.json" \
            "$bin list $work/big --format json" > /dev/null 2>&1
        echo "version $(measure "$bin" --version)" > "$logs/startup-mem.$i.log"
        echo "list $(measure "$bin" list "$work/big" --format json)" >> "$logs/startup-mem.$i.log"
    done
fi

if wants scale; then
    # Flat memory: 100,000 files searched, against ripgrep on the same tree.
    tree=$work/tree
    python3 - "$tree" <<'PY'
import os, sys
root = sys.argv[1]
for d in range(1000):
    p = os.path.join(root, f"d{d:04}")
    os.makedirs(p)
    for f in range(100):
        with open(os.path.join(p, f"f{f:03}.txt"), "w") as fh:
            fh.write(f"line one of file {d}/{f}\n" * 8)
            if (d * 100 + f) % 997 == 0:
                fh.write("needle_here()\n")
PY
    printf 'version: 1\nchecks:\n  - { id: s, search: { pattern: "needle_[a-z]+\\\\(", expect: some } }\n' > "$work/search.yaml"
    cat "$tree"/*/* > /dev/null
    for i in $(seq 1 "$repeats"); do
        {
            echo "files $(find "$tree" -type f | wc -l)"
            echo "rg $(measure rg -c 'needle_[a-z]+\(' "$tree")"
            rm -rf "$work/srun"
            echo "readyctl $(measure "$bin" check "$tree" --checklist "$work/search.yaml" --format json --out "$work/srun")"
        } > "$logs/scale-search.$i.log"
    done
    rm -rf "$tree"
fi

echo "load: $(cut -d' ' -f1-3 /proc/loadavg) at end" >> "$work/machine.txt"
python3 "$root/bench/run_all_table.py" "$work" "$repeats" "$root/docs/benchmarks.md"
