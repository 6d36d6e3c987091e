#!/usr/bin/env bash
# Runs every fuzz target for a time budget, two at a time, and prints one line of figures per
# target (executions, seconds, corpus size, crash artifacts). See docs/fuzzing.md.
#   fuzz/run.sh [SECONDS_PER_TARGET] [PARALLEL]        (defaults: 600 s, 2 at a time)
#   FUZZ_TARGETS="checklist coverage" fuzz/run.sh 60   (a subset)
# Needs cargo-fuzz (installed here if missing) and a C++ compiler (libFuzzer is built from
# source). cargo-fuzz needs nightly flags: RUSTC_BOOTSTRAP=1 lets the stable toolchain take them.
# Corpora are kept in fuzz/corpus/<target> between runs; crashes land in fuzz/artifacts/<target>.
set -euo pipefail
secs=${1:-600}
parallel=${2:-2}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$here"
export RUSTC_BOOTSTRAP=1
# Known sanitizer false positives (see the file); real leaks still stop the run.
export LSAN_OPTIONS="suppressions=$here/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export CARGO_TARGET_DIR=${FUZZ_TARGET_DIR:-$here/target}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
all=$(sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | grep -v '^readyctl-fuzz$')
targets=${FUZZ_TARGETS:-$all}

# Seeds: the project's own fixtures, prefixed with the selector byte each target expects.
seed() { # seed TARGET NAME SELECTOR_BYTE FILE
    local d="corpus/$1"; mkdir -p "$d"
    { [ -n "$3" ] && printf "\\x$3"; cat "$4"; } > "$d/seed-$2"
}
seed_all() {
    local i=0 f
    while IFS= read -r f; do i=$((i + 1)); seed checklist "$i" "" "$f"; done \
        < <(find "$root/checklists" "$root/fixtures" -name '*.yaml' -o -name '*.yml' | sort)
    i=0
    while IFS= read -r f; do
        i=$((i + 1)); seed test_reports "$i" 06 "$f"; seed coverage "$i" 0a "$f"
    done < <(find "$root/fixtures/formats" -type f ! -name README.md -size -200k | sort)
    i=0
    while IFS= read -r f; do
        i=$((i + 1))
        case "$f" in
            */flyway/*) s=00 ;; */golang-migrate/*) s=01 ;; */goose*|*/dbmate/*) s=02 ;;
            */alembic/*) s=03 ;; */django/*) s=04 ;; */atlas/*) s=05 ;; *.rb) s=0a ;;
            *.js|*.ts) s=0b ;; */liquibase/*) s=0c ;; */refinery/*) s=0d ;; *) s=08 ;;
        esac
        seed migrations "$i" "$s" "$f"
        case "$f" in *.sql) seed sql_lint "$i" 00 "$f"; seed sql_lint "$i-tx" 01 "$f" ;; esac
    done < <(find "$root/fixtures/migrations" -type f ! -name README.md -size -100k | sort)
    i=0
    while IFS= read -r f; do i=$((i + 1)); seed claims_import "$i" "" "$f"; done \
        < <(find "$root/fixtures/claims" "$root/docs" -name '*.md' | sort)
    # A real sealed run and its pack, when a readyctl binary is at hand.
    local bin=${READYCTL_BIN:-}
    for b in "$root/target/release/readyctl" "${CARGO_TARGET_DIR%/*}/target-hardening/release/readyctl"; do
        [ -z "$bin" ] && [ -x "$b" ] && bin=$b
    done
    if [ -n "$bin" ]; then
        local w; w=$(mktemp -d)
        printf 'version: 1\nchecks:\n  - { id: t, command: { run: ["echo", "ok"] } }\n' > "$w/readiness.yaml"
        (cd "$w" && git init -q && "$bin" keygen --out "$w/key" >/dev/null 2>&1 || true)
        "$bin" check "$w" --out "$w/run" --format json >/dev/null 2>&1 || true
        "$bin" sign "$w/run" --key "$w/key.key" >/dev/null 2>&1 || true
        if [ -f "$w/run/manifest.json" ]; then
            mkdir -p corpus/verify_dir corpus/verify_pack
            { cat "$w/run/manifest.json"; printf '\n=====\n'; cat "$w/run/manifest.dsse.json" 2>/dev/null
              printf '\n=====\n'; cat "$w/run/SHA256SUMS"; } > corpus/verify_dir/seed-run
            "$bin" pack --out "$w/pack.tar.gz" "$w/run" >/dev/null 2>&1 &&
                { printf '\x01'; cat "$w/pack.tar.gz"; } > corpus/verify_pack/seed-gz &&
                { printf '\x00'; gzip -dc "$w/pack.tar.gz"; } > corpus/verify_pack/seed-tar
        fi
        rm -rf "$w"
    else
        echo "note: no readyctl binary (READYCTL_BIN): verify targets start from an empty corpus" >&2
    fi
}
seed_all

if [ -z "${FUZZ_TARGETS:-}" ]; then
    cargo fuzz build -O 2>&1 | tail -3
else
    for t in $targets; do cargo fuzz build -O "$t" 2>&1 | tail -3; done
fi
mkdir -p logs

run_one() { # a finding must not stop the other targets, nor lose this target's status
    local t=$1 rc=0
    cargo fuzz run -O "$t" -- -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -malloc_limit_mb=1024 -print_final_stats=1 > "logs/$t.log" 2>&1 || rc=$?
    echo "$rc" > "logs/$t.rc"
}
running=0
for t in $targets; do rm -f "logs/$t.rc"; done
for t in $targets; do
    run_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$parallel" ]; then wait -n || true; running=$((running - 1)); fi
done
wait

printf '%-14s %12s %8s %8s %10s %s\n' target executions seconds exec/s corpus result
status=0
for t in $targets; do
    log=logs/$t.log
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    corpus=$(find "corpus/$t" -type f | wc -l)
    crashes=$(find "artifacts/$t" -type f 2>/dev/null | wc -l)
    if [ "$(cat "logs/$t.rc")" = 0 ] && [ "$crashes" = 0 ]; then result=ok; else
        result="FAILED (see $here/logs/$t.log, artifacts/$t)"; status=1; fi
    printf '%-14s %12s %8s %8s %10s %s\n' "$t" "${runs:-?}" "${took:-?}" "${rate:-?}" "$corpus" "$result"
done
exit $status
