#!/usr/bin/env python3
"""Precision and recall of secret scanners on the labelled corpus (bench/secrets/gen_corpus.py).

Usage: score.py LABELS NAME=KIND:FILE[:SECONDS] ...   (NAME holds no `=`)
KIND is how FILE is read:
  readyctl   summary.json of the secrets probe; only findings at or above medium (blocking)
  readyctl-all  the same, every finding (low included)
  ds         detect-secrets scan JSON
  th3        trufflehog3 JSON; th3-medium keeps severity MEDIUM and HIGH only
A tool's positive is a (file, line) it reports. A secret case (line N) is found when the tool
reports that line; a file-level case (line 0) when it reports anything in the file. Every other
reported line is a false positive (decoy lines and unlabelled lines alike).
"""
import json
import sys


def positives(kind, path):
    d = json.load(open(path))
    out = set()
    if kind.startswith("readyctl"):
        for f in d["findings"]:
            if kind == "readyctl" and f["severity"] not in ("medium", "high", "critical"):
                continue
            out.add((f["path"], int(f.get("line") or 0)))
    elif kind == "ds":
        for file, items in d["results"].items():
            for it in items:
                out.add((file.lstrip("./"), int(it["line_number"])))
    elif kind.startswith("th3"):
        for it in d:
            if kind == "th3-medium" and it["rule"]["severity"] not in ("MEDIUM", "HIGH"):
                continue
            out.add((it["path"].lstrip("./"), int(it["line"])))
    return out


def score(cases, pos):
    secret_lines = {(c["file"], c["line"]) for c in cases if c["secret"]}
    file_level = {c["file"] for c in cases if c["secret"] and c["line"] == 0}
    tp = fn = 0
    for c in cases:
        if not c["secret"]:
            continue
        hit = any(p == c["file"] for p, _ in pos) if c["line"] == 0 else (c["file"], c["line"]) in pos
        tp, fn = (tp + 1, fn) if hit else (tp, fn + 1)
    fp = sum(1 for p, l in pos if (p, l) not in secret_lines and p not in file_level)
    decoy_fp = sum(1 for c in cases if not c["secret"] and (c["file"], c["line"]) in pos)
    return tp, fp, fn, decoy_fp


def main():
    labels = json.load(open(sys.argv[1]))
    cases = labels["cases"]
    n_secret = sum(1 for c in cases if c["secret"])
    print(f"corpus: {len(cases)} cases ({n_secret} secrets, {len(cases) - n_secret} decoys), seed {labels['seed']}")
    print()
    print("| scanner | TP | FP | FN | decoys flagged | precision | recall | time |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for arg in sys.argv[2:]:
        name, spec = arg.split("=", 1)
        parts = spec.split(":")
        kind, path = parts[0], parts[1]
        secs = parts[2] if len(parts) > 2 else ""
        tp, fp, fn, dfp = score(cases, positives(kind, path))
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        t = f"{float(secs):.2f} s" if secs else ""
        print(f"| {name} | {tp} | {fp} | {fn} | {dfp} | {p:.1%} | {r:.1%} | {t} |")


main()
