#!/usr/bin/env bash
# Loader scaling (issue 14): `readyctl list` on a generated checklist of N checks (default
# 100,000), table and JSON output, and a YAML document nested 200,000 brackets deep. Reports
# wall time and peak RSS (GNU time) for this tree's release build and, when given, for another
# binary (e.g. one built from an older commit) on the same inputs.
# Usage: bench/loader/run.sh [N] [OTHER_READYCTL]   Not a timed test; not run by CI.
set -euo pipefail
cd "$(dirname "$0")/../.."
n="${1:-100000}"
other="${2:-}"
cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-$PWD/target}/release/readyctl"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 - "$work" "$n" <<'PY'
import sys
work, n = sys.argv[1], int(sys.argv[2])
with open(f"{work}/checks.yaml", "w") as f:
    f.write("version: 1\nchecks:\n")
    for i in range(n):
        f.write(f"  - id: area{i % 50}.check{i}\n    command: {{ run: \"true\" }}\n")
with open(f"{work}/nested.yaml", "w") as f:
    f.write("version: 1\nchecks: " + "[" * 200000 + "]" * 200000 + "\n")
PY

echo "machine: $(nproc) cores, $(uname -sr); load $(cut -d' ' -f1-3 /proc/loadavg)"
measure() { # label binary args...
  local label="$1" b="$2"; shift 2
  /usr/bin/time -f "%e %M" -o "$work/time" "$b" "$@" >/dev/null 2>&1 || true
  # GNU time writes "Command exited with non-zero status N" first when it fails (the nested
  # document is rejected with exit 2, as it should be); the figures are the last line.
  read -r secs kb < <(tail -n 1 "$work/time")
  printf '%-6s %-52s %8s s %6s MiB\n' "$label" "${*//$work\//}" "$secs" "$((kb / 1024))"
}
for b in "$bin" ${other:+"$other"}; do
  label="$([ "$b" = "$bin" ] && echo this || echo other)"
  measure "$label" "$b" list --checklist "$work/checks.yaml"
  measure "$label" "$b" list --checklist "$work/checks.yaml" --format json
  measure "$label" "$b" list --checklist "$work/nested.yaml"
done
