#!/bin/sh
# Precision and recall of readyctl's `secrets` probe beside detect-secrets and trufflehog3 (both
# from PyPI, installed into a venv here) on the labelled corpus fixtures/secrets-corpus (written
# by bench/secrets/gen_corpus.py; `labels.json` says which lines are secrets and which decoys).
# Prints a Markdown table with the wall-clock time of one run of each tool. Not a timed test;
# the goal (precision >= 90%, recall >= 95%) is held by `cargo test --lib secrets::corpus`.
# Usage: bench/secrets/corpus.sh [VENV]   (default VENV: $TMPDIR/readyctl-secrets-venv)
set -eu
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
VENV=${1:-${TMPDIR:-/tmp}/readyctl-secrets-venv}
if [ ! -x "$VENV/bin/trufflehog3" ] || [ ! -x "$VENV/bin/detect-secrets" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet detect-secrets trufflehog3
fi
cargo build --release --quiet
BIN="$ROOT/$CARGO_TARGET_DIR/release/readyctl"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/readyctl-secrets-corpus.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# A copy outside any git repository, so no tool sees this repository's ignore files or history.
cp -r fixtures/secrets-corpus/files "$WORK/corpus"
printf 'version: 1\nchecks:\n  - id: security.secrets\n    severity: critical\n    secrets: {}\n' > "$WORK/checklist.yaml"
now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc -l; }

S=$(now)
"$BIN" check -c "$WORK/checklist.yaml" --out "$WORK/run" "$WORK/corpus" > /dev/null 2>&1 || true
RT=$(elapsed "$S" "$(now)")
SUMMARY=$(find "$WORK/run" -name summary.json | head -1)

S=$(now)
(cd "$WORK/corpus" && "$VENV/bin/detect-secrets" scan --all-files > "$WORK/ds.json" 2> /dev/null) || true
DT=$(elapsed "$S" "$(now)")

S=$(now)
(cd "$WORK/corpus" && "$VENV/bin/trufflehog3" -z --no-history -f JSON -o "$WORK/th3.json" . > /dev/null 2>&1) || true
TT=$(elapsed "$S" "$(now)")

echo "detect-secrets $("$VENV/bin/detect-secrets" --version), trufflehog3 $("$VENV/bin/trufflehog3" -V 2>&1 | tail -1), $(nproc) CPUs"
python3 bench/secrets/score.py fixtures/secrets-corpus/labels.json \
  "readyctl (blocking: medium and above)=readyctl:$SUMMARY:$RT" \
  "readyctl (every finding, low included)=readyctl-all:$SUMMARY" \
  "detect-secrets (scan --all-files)=ds:$WORK/ds.json:$DT" \
  "trufflehog3 (--no-history, all severities)=th3:$WORK/th3.json:$TT" \
  "trufflehog3 (MEDIUM and HIGH)=th3-medium:$WORK/th3.json"
