#!/usr/bin/env bash
# Where one `readyctl check` of 100 `run: 'sleep 0.2'` checks spends its wall time, from the
# kernel's process tracepoints (perf, sched:sched_process_exec/exit, all CPUs): the start
# (readyctl's exec to the first shell or sleep it starts), when the last sleep started (the
# window in which 100 sh and 100 sleep start on the machine's cores), and the end (the last
# sleep's exit to readyctl's). Same for the peer, `sh` starting the same 100 `sh -c 'sleep
# 0.2'`. Needs perf and permission to trace (root, or kernel.perf_event_paranoid <= -1).
# Usage: bench/phases.sh READYCTL_BIN [RUNS]      (default 5 runs, each readyctl then peer)
set -euo pipefail
bin=$1
runs=${2:-5}
command -v perf >/dev/null || { echo "phases.sh: perf not found (Debian: linux-perf)" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/readyctl-phases.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/sched"
{ echo "version: 1"; echo "checks:"
  for i in $(seq 1 100); do echo "  - { id: s$i, command: { run: 'sleep 0.2' } }"; done; } > "$work/sched/readiness.yaml"
phases() {
    perf script -i "$work/trace.data" 2>/dev/null | python3 -c '
import re, sys
ev = []
for line in sys.stdin:
    m = re.search(r"(\d+\.\d+): sched:(\w+): (.*)", line)
    if m:
        ev.append((float(m.group(1)), m.group(2), m.group(3)))
t0 = ev[0][0]
first = [t for t, k, r in ev if k == "sched_process_exec"][0]
started = [t for t, k, r in ev if k == "sched_process_exec" and t > first and re.search(r"filename=\S*/(sh|dash|sleep) ", r + " ")]
sleeps = [t for t, k, r in ev if k == "sched_process_exec" and "/sleep " in r + " "]
ended = [t for t, k, r in ev if k == "sched_process_exit" and "comm=sleep " in r + " "]
ms = lambda t: (t - first) * 1000
print(f"start {ms(min(started)):6.1f} ms   last sleep started {ms(max(sleeps)):6.1f} ms   "
      f"end {(ev[-1][0] - max(ended)) * 1000:5.1f} ms   total {ms(ev[-1][0]):6.1f} ms")
'
}
for r in $(seq 1 "$runs"); do
    printf 'readyctl: '
    perf record -q -e sched:sched_process_exec,sched:sched_process_exit -a -o "$work/trace.data" -- \
        "$bin" check "$work/sched" --jobs 100 --out "$work/out-$r" >/dev/null 2>&1 || true
    phases
    printf 'peer:     '
    perf record -q -e sched:sched_process_exec,sched:sched_process_exit -a -o "$work/trace.data" -- \
        sh -c 'for i in $(seq 100); do sh -c "sleep 0.2" & done; wait' >/dev/null 2>&1
    phases
done
