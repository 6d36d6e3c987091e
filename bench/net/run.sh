#!/bin/sh
# Network probe benchmark: load probe vs wrk, `samples: 100` vs curl, on a local Rust server.
# Needs `wrk` and `curl` (Debian packages). Prints ratios; see docs/probes-net.md.
# Usage: bench/net/run.sh   (NET_BENCH_CONCURRENCY=4 NET_BENCH_SECONDS=3 NET_BENCH_ROUNDS=3 by default)
set -eu
cd "$(dirname "$0")/../.."
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 2; }
command -v curl >/dev/null || { echo "curl not found: apt-get install curl" >&2; exit 2; }
exec cargo bench --bench net
