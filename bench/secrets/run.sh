#!/bin/sh
# `secrets` scan speed vs ripgrep (same files, the scanner's combined prefilter pattern) and vs
# Python detect-secrets (same files). Not a timed test: prints times and ratios.
# Usage: bench/secrets/run.sh [TREE] [DS_MIB]
#   TREE     source tree to scan (default ~/.cargo/registry/src)
#   DS_MIB   size of the subset given to detect-secrets, which is far slower (default 40 MiB;
#            the same subset is also scanned by readyctl for the ratio; 0 skips it)
# Needs: rg, a release build of readyctl, and detect-secrets on PATH or in $DETECT_SECRETS
# (e.g. python3 -m venv /tmp/v && /tmp/v/bin/pip install detect-secrets).
set -eu
TREE=${1:-$HOME/.cargo/registry/src}
DS_MIB=${2:-40}
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --release --quiet
BIN="$CARGO_TARGET_DIR/release/readyctl"
DS=${DETECT_SECRETS:-detect-secrets}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/readyctl-secrets-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# The scanner matches bytes with ASCII classes (`\b`, `\s`, `(?i)`); `(?-u)` gives ripgrep the
# same semantics (with Unicode classes it is ~10x slower on this pattern).
PAT="(?-u)$("$BIN" secrets rules --pattern)"
now() { date +%s.%N; }
# Warm the page cache for every tool alike.
find "$TREE" -type f -size -5M -print0 | xargs -0 cat > /dev/null 2>&1 || true
FILES=$(find "$TREE" -type f | wc -l)
BYTES=$(du -sb "$TREE" | cut -f1)
echo "tree: $TREE  $FILES files, $((BYTES / 1048576)) MiB, $(nproc) CPUs"

best() { # best of 3 wall-clock seconds of "$@"
  B=""
  for i in 1 2 3; do
    S=$(now); "$@" > /dev/null 2>&1 || true; E=$(now)
    T=$(echo "$E - $S" | bc -l)
    if [ -z "$B" ] || [ "$(echo "$T < $B" | bc -l)" = 1 ]; then B=$T; fi
  done
  echo "$B"
}
OURS=$(best "$BIN" secrets baseline "$TREE" -o "$WORK/baseline.json")
# Same selection as the scanner: gitignore-aware, hidden files, 5 MiB limit, the scanner's skips.
RG=$(best rg --count --no-messages --hidden --max-filesize 5M \
  -g '!Cargo.lock' -g '!package-lock.json' -g '!yarn.lock' -g '!pnpm-lock.yaml' -g '!poetry.lock' \
  -g '!go.sum' -g '!*.min.js' -g '!*.js.map' -g '!.git' -e "$PAT" "$TREE")
"$BIN" secrets baseline "$TREE" -o "$WORK/baseline.json" 2> "$WORK/ours.err"
printf 'readyctl secrets: %.2fs (%s)\n' "$OURS" "$(sed 's/^wrote [^ ]* //' "$WORK/ours.err")"
printf 'rg (combined pattern): %.2fs\n' "$RG"
printf 'ratio readyctl/rg: %.2fx (target <= 2x)\n' "$(echo "$OURS / $RG" | bc -l)"

[ "$DS_MIB" -eq 0 ] && exit 0
# detect-secrets on a subset: whole crates until DS_MIB.
SUB="$WORK/subset"; mkdir "$SUB"
TOTAL=0
for d in "$TREE"/*/*/; do
  SZ=$(du -sb "$d" | cut -f1)
  cp -r "$d" "$SUB/"
  TOTAL=$((TOTAL + SZ))
  [ "$TOTAL" -ge $((DS_MIB * 1048576)) ] && break
done
SUBFILES=$(find "$SUB" -type f | wc -l)
echo "subset: $SUBFILES files, $((TOTAL / 1048576)) MiB"
OURS_SUB=$(best "$BIN" secrets baseline "$SUB" -o "$WORK/sub.json")
S=$(now); (cd "$SUB" && "$DS" scan --all-files > "$WORK/ds.json" 2> "$WORK/ds.err") || true; E=$(now)
DST=$(echo "$E - $S" | bc -l)
printf 'readyctl secrets (subset): %.2fs\n' "$OURS_SUB"
printf 'detect-secrets scan --all-files (subset, one run): %.2fs\n' "$DST"
printf 'ratio detect-secrets/readyctl: %.1fx (target >= 20x)\n' "$(echo "$DST / $OURS_SUB" | bc -l)"
