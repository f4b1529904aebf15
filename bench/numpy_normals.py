"""Standard normals per second with numpy's default_rng (PCG64 + ziggurat),
filling a preallocated array as a careful user would; prints "numpy RATE",
the median over 7 trials of normals per second of process CPU time (as
bench_normals times its contestants: steadier than wall time on a busy
machine)."""
import sys
import time

import numpy as np

n = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000_000
g = np.random.default_rng(42)
out = np.empty(1 << 20)
reps = max(1, n // out.size)
rates = []
g.standard_normal(out=out)
for _ in range(7):
    t0 = time.process_time()
    for _ in range(reps):
        g.standard_normal(out=out)
    rates.append(reps * out.size / (time.process_time() - t0))
rates.sort()
print("numpy %.4g" % rates[len(rates) // 2])
