"""Coupled SGD against its SME-1 reference (weak order 2 on M substeps) on
sde-compare's quadratic:d=100, with numpy: blocks of paths, drifts as BLAS
matrix products, one thread, float64; path-steps per second.

Problem (lib/problem_catalog.c, quadratic:d=100): L = x^T H x / 2 in
d = 100 dimensions, H = Q diag(lam) Q^T with lam_i = cond^(-i/(d-1)),
i = 0..d-1, cond = 10, Q Haar-random orthogonal; Gaussian noise with the
constant factor S = I (r = d); x0 = (1, ..., 1).  With --problem-file, H
and x0 are those `bench_sgd --problem quadratic:d=100` prints (d, then H,
then x0: sdekit's own matrix); without, Q is drawn here (same spectrum).

Per eta-step k (eta = T / STEPS, tau = 0.5, sigma = sqrt(tau / eta)), as
sde-compare --engine=mc --reference=sme1:scheme=weak2,substeps=M computes:
F = 2M fine standard normal vectors z_f in R^r (F = M with --no-check);
SGD x' = x - eta (H x + sigma S xi) with xi = -sum_f z_f / sqrt(F); the
SME-1 dX = -H X dt + sqrt(tau) S dW by Platen's weak order 2 scheme for
additive noise, U = X + a h + s dW, X' = X + (a(U) + a) h / 2 + s dW
(a = -H X, s = sqrt(tau) S, h = eta / M), on M substeps with dW the sums of
consecutive pairs of sqrt(eta / F) z_f, and sdekit's reference check, the
same scheme on 2M substeps with dW = sqrt(eta / F) z_f.  phi = |x|^2 at
every step; the paired differences give the weak error e (the largest
|mean| over the steps, with its SE), printed as a comment.

usage: d100_numpy.py PATHS STEPS SUBSTEPS [options]
       d100_numpy.py --dgemm
Prints "numpy-d100 SECONDS PATHSTEPS_PER_SECOND": the wall time of the
simulation and PATHS * STEPS / SECONDS, a path-step being one eta-step of
all three processes (CPU time in the comment line before).  --dgemm
prints numpy's one-thread dgemm rate, "numpy-dgemm M N K GFLOPS CPU_GFLOPS"
(medians of 5, per second of wall and of CPU time), for the products used
here and a large square.

FLOPs per path-step, dense H (d x d) and a constant dense S (d x r), at 2
flops per multiply-add, counting each process's own matrix-vector
products: SGD H x (2 d^2) and S xi (2 d r); each weak order 2 substep the
drifts H X and H U (4 d^2) and S dW (2 d r, used twice); in all
2 d^2 + 2 d r + 3 M (4 d^2 + 2 d r) with the 2M-substep check and
2 d^2 + 2 d r + M (4 d^2 + 2 d r) without: 7.6e5 and 2.8e5 at d = r = 100,
M = 4.  Sharing the noise products (S z_f once per fine normal, 2 F d r,
every process's S dW a sum of them) makes it 2 d^2 + 12 M d^2 + 4 M d r =
6.6e5 (2 d^2 + 4 M d^2 + 2 M d r = 2.6e5 without the check): what
--dense-s runs, with S = I as a dense matrix.  By default S = I is not
multiplied: 2 d^2 + 12 M d^2 = 5.0e5 (1.8e5 without the check).  Besides,
O(d) per process and substep, and F r normals."""
import argparse
import math
import os
import time

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import numpy as np  # noqa: E402


def problem(args):
    """H, x0 and the noise factor S (None for I)."""
    if args.problem_file:
        with open(args.problem_file) as f:
            rows = [line.split() for line in f if line.strip()]
        d = int(rows[0][0])
        H = np.array([[float(v) for v in r] for r in rows[1:1 + d]])
        x0 = np.array([float(v) for v in rows[1 + d]])
        return H, x0, np.eye(d) if args.dense_s else None
    d = args.d
    lam = args.cond ** (-np.arange(d) / (d - 1.0))
    A = np.random.default_rng(args.seed).standard_normal((d, d))
    Q, R = np.linalg.qr(A)
    Q *= np.sign(np.diag(R))  # Haar: fold R's signs into Q
    H = (Q * lam) @ Q.T
    S = np.eye(d) if args.dense_s else None
    return 0.5 * (H + H.T), np.ones(d), S


def simulate(H, x0, S, N, K, M, args):
    """Sums over the paths of the paired differences of |x|^2."""
    d, eta = H.shape[0], args.T / K
    r = d if S is None else S.shape[1]
    F = 2 * M if args.check else M
    c_xi = math.sqrt(args.tau / (eta * F))  # -sigma xi = c_xi S sum_f z_f
    c_dw = math.sqrt(args.tau * eta / F)  # s dW per fine normal
    rng = np.random.Generator(np.random.SFC64(args.seed))
    nd = 2 if args.check else 1
    s1, s2 = np.zeros((K, nd)), np.zeros((K, nd))
    B = min(args.block, N)
    zb, wb = np.empty(F * B * r), np.empty(F * B * d)
    buf = [np.empty(B * d) for _ in range(6)]
    pb = [np.empty(B) for _ in range(2)]
    for p0 in range(0, N, B):
        P = min(B, N - p0)
        z = zb[:F * P * r].reshape(F, P, r)  # rows are paths
        w = z if S is None else wb[:F * P * d].reshape(F, P, d)
        xs, xr, xc, g, u, nz = (b[:P * d].reshape(P, d) for b in buf)
        pr, dv = (b[:P] for b in pb)
        wr = wb[:M * P * d].reshape(M, P, d) if S is None else np.empty(
            (M, P, d))
        for x in (xs, xr, xc):
            x[...] = x0
        for k in range(K):
            rng.standard_normal(out=z)
            if S is not None:
                np.matmul(z, S.T, out=w)  # S z_f
            np.sum(w, axis=0, out=nz)
            nz *= c_xi * eta  # -eta sigma S xi
            # SGD: x' = x - eta H x - eta sigma S xi.
            np.matmul(xs, H, out=g)  # (H x)^T = x^T H, H symmetric
            g *= eta
            xs -= g
            xs += nz
            if args.check:
                np.add(w[0::2], w[1::2], out=wr)
                wr *= c_dw
                w *= c_dw
                sdes = ((xr, M, wr), (xc, 2 * M, w))
            else:
                w *= c_dw
                sdes = ((xr, M, w),)
            for x, m, dw in sdes:
                h = args.T / (K * m)
                for j in range(m):
                    np.matmul(x, H, out=g)  # -a
                    np.multiply(g, -h, out=u)
                    u += x
                    u += dw[j]  # U = x + a h + s dW
                    np.matmul(u, H, out=x)  # -a(U), into x
                    x -= g
                    x *= -0.5 * h
                    x += u  # U + (a(U) - a) h / 2
            np.einsum("pd,pd->p", xr, xr, out=pr)
            for i, x in enumerate((xs, xc)[:nd]):
                np.einsum("pd,pd->p", x, x, out=dv)
                dv -= pr
                s1[k, i] += dv.sum()
                s2[k, i] += dv.dot(dv)
    return s1, s2


def dgemm_rates(block):
    rng = np.random.default_rng(1)
    for m, n, k in ((block, 100, 100), (2 * block, 100, 100),
                    (1000, 1000, 1000)):
        a, b = rng.standard_normal((m, k)), rng.standard_normal((k, n))
        c = np.empty((m, n))
        reps = max(3, int(2e9 / (2.0 * m * n * k)))
        wall, cpu = [], []
        for _ in range(5):
            t0, c0 = time.perf_counter(), time.process_time()
            for _ in range(reps):
                np.matmul(a, b, out=c)
            flops = 2.0 * m * n * k * reps / 1e9
            wall.append(flops / (time.perf_counter() - t0))
            cpu.append(flops / (time.process_time() - c0))
        print("numpy-dgemm %d %d %d %.4g %.4g" % (m, n, k, sorted(wall)[2],
                                                 sorted(cpu)[2]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("paths", type=int, nargs="?")
    ap.add_argument("steps", type=int, nargs="?", help="T / eta")
    ap.add_argument("substeps", type=int, nargs="?", help="M")
    ap.add_argument("--dgemm", action="store_true")
    ap.add_argument("--problem-file")
    ap.add_argument("--d", type=int, default=100)
    ap.add_argument("--cond", type=float, default=10.0)
    ap.add_argument("--tau", type=float, default=0.5)
    ap.add_argument("--T", type=float, default=1.0)
    ap.add_argument("--no-check", dest="check", action="store_false",
                    help="leave out sdekit's reference check on 2M substeps")
    ap.add_argument("--dense-s", action="store_true",
                    help="multiply by the noise factor S = I as a dense "
                    "matrix, as for a general constant S")
    ap.add_argument("--block", type=int, default=256,
                    help="paths per block (default 256)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if args.dgemm:
        dgemm_rates(args.block)
        return
    if args.substeps is None:
        ap.error("give PATHS STEPS SUBSTEPS, or --dgemm")
    N, K, M = args.paths, args.steps, args.substeps
    H, x0, S = problem(args)
    t0, c0 = time.perf_counter(), time.process_time()
    s1, s2 = simulate(H, x0, S, N, K, M, args)
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    mean = s1 / N
    se = np.sqrt(np.maximum(s2 / N - mean * mean, 0) / (N - 1))
    k = int(np.argmax(np.abs(mean[:, 0])))
    print("# d %d, %d paths x %d steps (eta %g), M %d%s, blocks of %d: "
          "sgd e %.6g se %.3g at t %g" % (H.shape[0], N, K, args.T / K, M,
                                          ", check 2M" if args.check else "",
                                          args.block, mean[k, 0], se[k, 0],
                                          (k + 1) * args.T / K))
    if args.check:
        print("# reference error (4/3 of check - reference at t): %.3g "
              "se %.3g" % (-4 / 3 * mean[k, 1], 4 / 3 * se[k, 1]))
    print("# process CPU seconds %.3f: %.6g path-steps per CPU second"
          % (cpu, N * K / cpu))
    print("numpy-d100 %.6f %.6g" % (secs, N * K / secs))


if __name__ == "__main__":
    main()
