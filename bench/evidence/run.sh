#!/bin/sh
# Verify throughput vs sha256sum on the same files, and peak RSS of both.
# Usage: bench/evidence/run.sh [MIB]   (default 1024 MiB of evidence; needs ~2x that in $TMPDIR)
set -eu
MIB=${1:-1024}
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
BIN=$(cargo bench --bench evidence --no-run --message-format=json 2>/dev/null |
  python3 -c 'import sys,json
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m["target"]["name"]=="evidence" and m.get("executable"): print(m["executable"])')
WORK=$(mktemp -d "${TMPDIR:-/tmp}/readyctl-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
RUN="$WORK/run"; mkdir "$RUN"
"$BIN" make "$RUN" "$MIB"
# Warm the page cache for both tools alike, then measure each twice and keep the second.
cat "$RUN"/evidence/*/* > /dev/null
rss() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1"; }
for i in 1 2; do
  /usr/bin/time -v "$BIN" verify "$RUN" > "$WORK/ours.out" 2> "$WORK/ours.time"
  S0=$(date +%s.%N)
  ( cd "$RUN" && /usr/bin/time -v sha256sum --quiet -c SHA256SUMS ) 2> "$WORK/sum.time"
  S1=$(date +%s.%N)
done
OURS=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' "$WORK/ours.out")
BYTES=$(sed -n 's/.*bytes=\([0-9]*\).*/\1/p' "$WORK/ours.out")
SUMS=$(echo "$S1 - $S0" | bc -l)
echo "evidence: $BYTES bytes, $(ls "$RUN"/evidence/*/* | wc -l) files, $(nproc) CPUs"
printf 'readyctl verify (dir): %.2fs  %.0f MiB/s  peak RSS %s KiB\n' "$OURS" "$(echo "$BYTES/$OURS/1048576" | bc -l)" "$(rss "$WORK/ours.time")"
printf 'sha256sum -c:          %.2fs  %.0f MiB/s  peak RSS %s KiB\n' "$SUMS" "$(echo "$BYTES/$SUMS/1048576" | bc -l)" "$(rss "$WORK/sum.time")"
printf 'throughput ratio (readyctl / sha256sum): %.2f\n' "$(echo "$SUMS/$OURS" | bc -l)"
"$BIN" pack "$RUN" "$WORK/pack.tar.gz"
/usr/bin/time -v "$BIN" verify "$WORK/pack.tar.gz" > "$WORK/pack.out" 2> "$WORK/pack.time"
P=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' "$WORK/pack.out")
printf 'readyctl verify (pack, streamed gunzip): %.2fs  peak RSS %s KiB\n' "$P" "$(rss "$WORK/pack.time")"
