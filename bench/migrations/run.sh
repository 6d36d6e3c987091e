#!/usr/bin/env bash
# Lints 2,000 generated migration files with readyctl's `migrations` probe (lint only, no
# apply) and with squawk (squawk-cli from npm, the PostgreSQL migration linter), on the same
# files; prints both times and the ratio. Not a test: run it by hand, copy figures to
# docs/migrations.md.
#   bench/migrations/run.sh [N]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
n=${1:-2000}
work=$(mktemp -d /tmp/readyctl-bench-migrations.XXXXXX)
trap 'rm -rf "$work"' EXIT
python3 "$here/generate.py" "$work/repo/migrations" "$n"
echo "generated $n files ($(cat "$work"/repo/migrations/*.sql | wc -l) lines) in $work/repo/migrations"

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
(cd "$root" && cargo test --release --test integration --no-run -q 2>/dev/null)
bin=$(cd "$root" && cargo test --release --test integration --no-run --message-format=json 2>/dev/null \
  | python3 -c 'import json,sys; print([json.loads(l)["executable"] for l in sys.stdin if "\"executable\":\"" in l][-1])')

ms() { python3 -c 'import time; print(int(time.time()*1000))'; }
t0=$(ms)
READYCTL_BENCH_REPO="$work/repo" "$bin" db::bench_lint_driver --ignored --nocapture --test-threads=1 2>&1 | grep -o 'readyctl: .*' || true
t1=$(ms)
readyctl_ms=$((t1 - t0))
echo "readyctl wall time (process start to exit): ${readyctl_ms} ms"

squawk=${SQUAWK:-}
if [ -z "$squawk" ]; then
  if ! command -v squawk >/dev/null; then
    npm install --silent --prefix "$work/squawk" squawk-cli@2.66.0 >/dev/null 2>&1
    squawk="$work/squawk/node_modules/.bin/squawk"
  else
    squawk=squawk
  fi
fi
t0=$(ms)
"$squawk" "$work"/repo/migrations/*.sql >"$work/squawk.out" 2>&1 || true
t1=$(ms)
squawk_ms=$((t1 - t0))
echo "squawk $("$squawk" --version | awk '{print $2}'): ${squawk_ms} ms, $(grep -c 'warning\|error' "$work/squawk.out" || true) finding lines"
python3 -c "print(f'ratio readyctl/squawk: {$readyctl_ms/$squawk_ms:.2f}')"
