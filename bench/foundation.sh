#!/usr/bin/env bash
# Benchmarks of the foundation (issue 2), each against its obvious peer on the same input:
#   1. scheduler: 100 independent `sleep 0.2` checks vs the ideal wall time (0.2 s)
#   2. overhead: `readyctl check` around one trivial command vs the command alone
#   3. search: one regex over a large real source tree vs ripgrep, same ignore rules
#   4. loading: `readyctl list` on a 1,000-check checklist
# Usage: bench/foundation.sh [SOURCE_TREE]   (default: the cargo registry sources)
# Needs hyperfine and rg (Debian packages `hyperfine`, `ripgrep`). Not run by CI.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-$PWD/target}/release/readyctl"
tree="${1:-$HOME/.cargo/registry/src}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "machine: $(nproc) cores, $(uname -sr); $(rg --version | head -1); $("$bin" --version)"

# 1. Scheduler
mkdir -p "$work/sched"
{ echo "version: 1"; echo "checks:"; for i in $(seq 1 100); do echo "  - { id: s$i, command: { run: 'sleep 0.2' } }"; done; } > "$work/sched/readiness.yaml"
hyperfine --warmup 1 --runs 5 --export-json "$work/sched.json" \
  "$bin check $work/sched --jobs 100 --out $work/sched/run-{i} --format json" --parameter-scan i 1 5 >/dev/null 2>&1 ||
hyperfine --warmup 1 --runs 5 --export-json "$work/sched.json" \
  "rm -rf $work/sched/.readyctl; $bin check $work/sched --jobs 100 --format json >/dev/null" >/dev/null
python3 - "$work/sched.json" <<'PY'
import json,sys; r=json.load(open(sys.argv[1]))["results"][0]
print(f"1. scheduler: 100 x sleep 0.2, --jobs 100: median {r['median']:.3f} s (ideal 0.200 s, target < 1 s)")
PY

# 2. Overhead around one trivial command
mkdir -p "$work/one"
printf 'version: 1\nchecks:\n  - { id: t, command: { run: ["true"] } }\n' > "$work/one/readiness.yaml"
hyperfine -N --warmup 3 --runs 30 --export-json "$work/one.json" \
  "true" "$bin check $work/one --format json --out $work/one/run" \
  --prepare "rm -rf $work/one/run" >/dev/null
python3 - "$work/one.json" <<'PY'
import json,sys; r=json.load(open(sys.argv[1]))["results"]
d=(r[1]['median']-r[0]['median'])*1000
print(f"2. overhead: true {r[0]['median']*1000:.1f} ms, readyctl check around it {r[1]['median']*1000:.1f} ms: +{d:.1f} ms (target < 50 ms)")
PY

# 3. Search vs ripgrep over the same tree and rules
files=$(rg --files "$tree" | wc -l)
mkdir -p "$work/search"
printf 'version: 1\nchecks:\n  - { id: s, search: { pattern: "fn [a-z_]+_unchecked\\\\(", expect: some } }\n' > "$work/search/readiness.yaml"
hyperfine --warmup 2 --runs 10 --export-json "$work/search.json" \
  "rg -c 'fn [a-z_]+_unchecked\\(' $tree" \
  "$bin check $tree --checklist $work/search/readiness.yaml --format json --out $work/search/run" \
  --prepare "rm -rf $work/search/run" -i >/dev/null
python3 - "$work/search.json" "$files" <<'PY'
import json,sys; r=json.load(open(sys.argv[1]))["results"]
print(f"3. search over {sys.argv[2]} files: rg {r[0]['median']*1000:.0f} ms, readyctl {r[1]['median']*1000:.0f} ms: ratio {r[1]['median']/r[0]['median']:.2f}x (target <= 1.5x)")
PY

# 4. Loading 1,000 checks
mkdir -p "$work/big"
{ echo "version: 1"; echo "vars: { root: src }"; echo "checks:"; for i in $(seq 1 1000); do
  echo "  - id: c$i"; echo "    severity: medium"; echo "    needs: [$([ $i -gt 1 ] && echo c$((i-1)))]";
  echo "    search: { pattern: 'TODO$i', paths: ['\${root}/**'] }"; done; } > "$work/big/readiness.yaml"
hyperfine -N --warmup 3 --runs 20 --export-json "$work/big.json" "$bin list $work/big --format json" >/dev/null
python3 - "$work/big.json" <<'PY'
import json,sys; r=json.load(open(sys.argv[1]))["results"][0]
print(f"4. list on 1,000 checks: median {r['median']*1000:.1f} ms (target < 100 ms)")
PY
