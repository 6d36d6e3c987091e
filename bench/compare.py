"""The timing loop of bench/compare.sh: runs each benchmark's commands (the peer and one or two
readyctl binaries) interleaved, round after round, in an order that rotates every round, and
prints medians of wall and CPU time and the ratios to the peer of the same round.

Usage: compare.py WORK RUNS BENCHES LABEL=BIN [LABEL=BIN]
  WORK holds the inputs compare.sh made (sched/, sched-argv/, junit/, search.yaml, tree path in
  tree.txt).
  BENCHES is a space-separated subset of "sched sched-argv junit search".

Each run is one process timed by os.wait4: wall time from spawn to reap, CPU time as the user +
system seconds of the process and its reaped children (readyctl reaps its checks' processes,
rg and xmllint their threads). A run whose exit code is not the expected one stops the
benchmark with that error: a failing command would make the figures meaningless.

Each readyctl run writes a new `--out` directory (WORK/outs/), removed with WORK after all the
benchmarks, never just before a timed run: on an ext4 without a journal (this VM's root file
system) the inode allocator skips inodes deleted in the last 60 to 300 seconds, reading each
one's inode-table block to see (fs/ext4/ialloc.c, recently_deleted()). Removing the previous
round's run (300 files for `sched`) just before the next timed one charged readyctl about 15 ms
that the peers, which write no files, never pay.
"""
import os
import statistics
import subprocess
import sys
import time

work, runs, benches = sys.argv[1], int(sys.argv[2]), sys.argv[3].split()
bins = [a.split("=", 1) for a in sys.argv[4:]]
tree = open(os.path.join(work, "tree.txt")).read().strip()


OUTS = os.path.join(work, "outs")
made = 0


def timed(argv, expect):
    """(wall s, cpu s) of one run of argv; an `OUT` in argv becomes a new directory's path."""
    global made
    if "OUT" in argv:
        made += 1
        argv = [os.path.join(OUTS, str(made)) if a == "OUT" else a for a in argv]
    start = time.perf_counter()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    # Reap it ourselves to get its resource usage (Popen has not waited yet).
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    p.returncode = os.waitstatus_to_exitcode(status)
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    if p.returncode != expect:
        sys.exit(f"{argv[0]} exited {p.returncode} (expected {expect}): {err.strip()[-400:]}")
    return wall, usage.ru_utime + usage.ru_stime


def commands(bench):
    """[(label, argv, expected exit code)] for one benchmark, peer first."""
    out = []
    if bench in ("sched", "sched-argv"):
        # The peer: the row's own process tree, started by one shell all at once and waited
        # for. `run: 'sleep 0.2'` is `sh -c 'sleep 0.2'` per check (dash forks the sleep and
        # waits: 200 processes); `run: [sleep, '0.2']` is the sleep alone (100).
        loop = {"sched": 'for i in $(seq 100); do sh -c "sleep 0.2" & done; wait',
                "sched-argv": "for i in $(seq 100); do sleep 0.2 & done; wait"}[bench]
        out.append(("peer", ["sh", "-c", loop], 0))
        for label, b in bins:
            out.append((label, [b, "check", os.path.join(work, bench), "--jobs", "100",
                                "--format", "json", "--out", "OUT"], 0))
    elif bench == "junit":
        xml = os.path.join(work, "junit", "junit.xml")
        out.append(("peer", ["xmllint", "--stream", "--noout", xml], 0))
        for label, b in bins:
            out.append((label, [b, "check", os.path.join(work, "junit"), "--format", "json",
                                "--out", "OUT"], 0))
    elif bench == "search":
        out.append(("peer", ["rg", "-c", r"fn [a-z_]+_unchecked\(", tree], 0))
        for label, b in bins:
            out.append((label, [b, "check", tree, "--checklist", os.path.join(work, "search.yaml"),
                                "--format", "json", "--out", "OUT"], 0))
    return out


TITLES = {
    "sched": "scheduler: 100 x run: 'sleep 0.2', --jobs 100 (peer: sh starting the same 100 sh -c 'sleep 0.2'; target: readyctl wall < 0.3 s)",
    "sched-argv": "scheduler, argv form: 100 x run: [sleep, '0.2'] (no shell per check; peer: sh starting the same 100 sleeps; target: < 0.3 s)",
    "junit": "junit: tests check on 100,000 JUnit cases (peer: xmllint --stream --noout; target: <= 2x the peer's wall)",
    "search": "search: fn [a-z_]+_unchecked\\( over the tree (peer: rg -c; target: <= 1.2x the peer's wall)",
}

print(f"load average at start: {open('/proc/loadavg').read().split()[:3]} on {os.cpu_count()} cores")
for bench in benches:
    cmds = commands(bench)
    # Warm-up round (page cache, binaries), not counted.
    for label, argv, expect in cmds:
        timed(argv, expect)
    walls = {c[0]: [] for c in cmds}
    cpus = {c[0]: [] for c in cmds}
    ratios = {c[0]: [] for c in cmds[1:]}
    for r in range(runs):
        k = r % len(cmds)
        order = cmds[k:] + cmds[:k]
        this = {}
        for label, argv, expect in order:
            w, c = timed(argv, expect)
            walls[label].append(w)
            cpus[label].append(c)
            this[label] = w
        for label in ratios:
            ratios[label].append(this[label] / this["peer"])
    load = " ".join(open("/proc/loadavg").read().split()[:3])
    print(f"== {TITLES[bench]}")
    print(f"   {runs} interleaved rounds, load average after: {load}")
    for label, _, _ in cmds:
        w, c = statistics.median(walls[label]), statistics.median(cpus[label])
        line = (f"{bench} {label}: wall median {w * 1000:.1f} ms (min {min(walls[label]) * 1000:.1f}, "
                f"max {max(walls[label]) * 1000:.1f}), cpu median {c * 1000:.1f} ms")
        if label in ratios:
            line += (f", wall ratio to peer (median of rounds) {statistics.median(ratios[label]):.2f}x, "
                     f"cpu ratio {c / max(statistics.median(cpus['peer']), 1e-6):.2f}x")
        print(line)
    if len(bins) == 2:
        (a, _), (b, _) = bins
        print(f"{bench} {b} vs {a}: wall {statistics.median(walls[b]) / statistics.median(walls[a]):.2f}x, "
              f"cpu {statistics.median(cpus[b]) / max(statistics.median(cpus[a]), 1e-6):.2f}x")
    sys.stdout.flush()
