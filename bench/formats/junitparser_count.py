"""Parse a JUnit file with junitparser and count cases by result, timing only the parse+count."""
import sys
import time

from junitparser import Error, Failure, JUnitXml, Skipped

start = time.perf_counter()
xml = JUnitXml.fromfile(sys.argv[1])
total = failed = skipped = 0
for suite in xml:
    for case in suite:
        total += 1
        for r in case.result:
            if isinstance(r, (Failure, Error)):
                failed += 1
                break
            if isinstance(r, Skipped):
                skipped += 1
                break
ms = (time.perf_counter() - start) * 1000
print(f"total={total} failed={failed} skipped={skipped} ms={ms:.1f}")
