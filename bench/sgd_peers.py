"""The SGD ensemble x' = x - eta (H x + sigma xi), xi ~ N(0, I), vectorized
over paths as a careful user writes it with numpy or PyTorch: preallocated
arrays, in-place operations, one thread, float64.

usage: sgd_peers.py BACKEND CASE PROBLEM_FILE NPATHS NSTEPS ETA SIGMA

BACKEND is numpy or torch; PROBLEM_FILE is what `bench_sgd --problem SPEC`
prints (d, then H, then x0).  Prints "CASE BACKEND RATE CPURATE MEAN SE NOTE"
like bench_sgd: RATE and CPURATE are path-steps per second of wall and of
process CPU time, the medians over 10 timed blocks of steps; MEAN and SE are
those of x_0 at the last step.  A peer that would
take more than SDE_BENCH_PEER_LIMIT seconds (default 60) runs fewer paths,
and NOTE says so."""
import os
import sys
import time

# One thread everywhere, before numpy (and its BLAS) or torch load.
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import numpy as np  # noqa: E402

BLOCKS = 10


def read_problem(path):
    with open(path) as f:
        rows = [line.split() for line in f if line.strip()]
    d = int(rows[0][0])
    H = np.array([[float(v) for v in r] for r in rows[1:1 + d]])
    x0 = np.array([float(v) for v in rows[1 + d]])
    return d, H, x0


class NumpySGD:
    name = "numpy"

    def __init__(self, d, H, x0, n, eta, sigma, seed=1):
        self.d, self.h, self.HT = d, float(H[0, 0]), np.ascontiguousarray(H.T)
        self.x0, self.eta, self.sigma = x0, eta, sigma
        self.rng = np.random.default_rng(seed)
        shape = (n,) if d == 1 else (n, d)
        self.x, self.z, self.g = (np.empty(shape) for _ in range(3))
        self.reset()

    def reset(self):
        self.x[...] = self.x0[0] if self.d == 1 else self.x0

    def steps(self, k):
        x, z, g = self.x, self.z, self.g
        rng, eta, sigma = self.rng, self.eta, self.sigma
        if self.d == 1:
            h = self.h
            for _ in range(k):
                rng.standard_normal(out=z)
                np.multiply(x, h, out=g)  # H x
                z *= sigma
                g += z  # g = H x + sigma xi
                g *= eta
                x -= g
        else:
            HT = self.HT
            for _ in range(k):
                rng.standard_normal(out=z)
                np.matmul(x, HT, out=g)  # rows are paths: (H x)^T = x^T H^T
                z *= sigma
                g += z
                g *= eta
                x -= g

    def first(self):
        v = self.x if self.d == 1 else self.x[:, 0]
        return float(v.mean()), float(v.std(ddof=1) / np.sqrt(v.size))


class TorchSGD:
    name = "torch"

    def __init__(self, d, H, x0, n, eta, sigma, seed=1):
        import torch

        torch.set_num_threads(1)
        self.torch = torch
        self.d, self.h, self.x0 = d, float(H[0, 0]), x0
        self.HT = torch.tensor(H.T.copy(), dtype=torch.float64)
        self.eta, self.sigma = eta, sigma
        self.gen = torch.Generator().manual_seed(seed)
        self.shape = (n,) if d == 1 else (n, d)
        self.x, self.z, self.g = (
            torch.empty(self.shape, dtype=torch.float64) for _ in range(3))
        self.reset()

    def reset(self):
        if self.d == 1:
            self.x.fill_(float(self.x0[0]))
        else:
            self.x.copy_(self.torch.tensor(self.x0).expand(self.shape))

    def steps(self, k):
        torch, x, z, g = self.torch, self.x, self.z, self.g
        gen, eta, sigma, shape = self.gen, self.eta, self.sigma, self.shape
        if self.d == 1:
            h = self.h
            for _ in range(k):
                torch.randn(shape, generator=gen, dtype=torch.float64, out=z)
                torch.mul(x, h, out=g)
                g.add_(z, alpha=sigma)
                x.add_(g, alpha=-eta)
        else:
            HT = self.HT
            for _ in range(k):
                torch.randn(shape, generator=gen, dtype=torch.float64, out=z)
                torch.matmul(x, HT, out=g)
                g.add_(z, alpha=sigma)
                x.add_(g, alpha=-eta)

    def first(self):
        v = self.x if self.d == 1 else self.x[:, 0]
        return float(v.mean()), float(v.std() / v.numel() ** 0.5)


def median(v):
    v, m = sorted(v), len(v)
    return v[m // 2] if m % 2 else 0.5 * (v[m // 2 - 1] + v[m // 2])


def main():
    if len(sys.argv) != 8:
        sys.exit(__doc__)
    backend, case, pfile = sys.argv[1:4]
    n, K = int(sys.argv[4]), int(sys.argv[5])
    eta, sigma = float(sys.argv[6]), float(sys.argv[7])
    limit = float(os.environ.get("SDE_BENCH_PEER_LIMIT", "60"))
    d, H, x0 = read_problem(pfile)
    cls = {"numpy": NumpySGD, "torch": TorchSGD}[backend]
    sim = cls(d, H, x0, n, eta, sigma)
    # A probe on all the paths: warms up, and scales a slow peer down.
    probe = max(2, K // 100)
    t0 = time.perf_counter()
    sim.steps(probe)
    projected = (time.perf_counter() - t0) * K / probe
    nrun, note = n, "full:%d_paths_x_%d_steps" % (n, K)
    if projected > limit:
        nrun = max(1000, int(n * limit / projected))
        note = ("SCALED:ran_%d_of_%d_paths_(projected_%.0fs_>_limit_%gs)"
                % (nrun, n, projected, limit))
        sim = cls(d, H, x0, nrun, eta, sim.sigma)
        sim.steps(probe)
    sim.reset()
    rates, cpu, t00 = [], [], time.perf_counter()
    per = -(-K // BLOCKS)
    done = 0
    while done < K:
        k = min(per, K - done)
        t0, c0 = time.perf_counter(), time.process_time()
        sim.steps(k)
        rates.append(nrun * k / (time.perf_counter() - t0))
        cpu.append(nrun * k / (time.process_time() - c0))
        done += k
    secs = time.perf_counter() - t00
    mean, se = sim.first()
    print("# %s %s: %.2f s in all, %d timed blocks from %.4g to %.4g /s"
          % (case, backend, secs, len(rates), min(rates), max(rates)))
    print("%s %s %.4g %.4g %.9g %.3g %s"
          % (case, backend, median(rates), median(cpu), mean, se, note))


if __name__ == "__main__":
    main()
