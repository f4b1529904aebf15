"""The default sde-compare table computed with numpy by the same coupled
estimator as sdekit, at the same paths and substeps, for a side-by-side time.

Problem (sde-compare's default): the double well L = (x^2 - 1)^2 / 4,
x0 = 0.5, noisy gradient g = L'(x) + sigma xi, sigma = sqrt(tau / eta),
tau = 0.5; SGD x' = x - eta g; SGDM (normalized) m' = beta m + (1 - beta) g,
x' = x - eta m', beta = 0.9, m0 = 0; the reference SME-1
dX = -L'(X) dt + sqrt(tau) dW integrated with Platen's explicit weak order
2 scheme (Kloeden & Platen 1992, eq. 15.1.3), which for additive noise is
U = X + a h + s dW, X' = X + (a(U) + a) h / 2 + s dW with a = -L', s =
sqrt(tau), h = eta / M, on M substeps per eta; and, as sdekit's reference
check, the same scheme on 2M substeps (--no-check drops it).

Coupled estimator (sdekit's MATH.md 8.3): every eta-interval is cut into
F = 2M fine Brownian steps (F = M with --no-check) of standard normals z_f;
the 2M-substep SDE takes dW = sqrt(eta / F) z_f, the M-substep SDE the sums
of consecutive pairs, and both methods take xi_k = -dW_k / sqrt(eta) =
-sum_f z_f / sqrt(F).  Observable phi = x^2 at every step k = 1..T/eta
(sde-compare thins its checkpoints beyond 4096 steps; this script does
not, which matters only for eta < T / 4096).
For each method, the paired differences D_k = phi(x_k) - phi(X_{k eta})
over the paths give mean and SE at each k; the error e is the mean at the
k with the largest |mean| (with its sign), its SE the SE there, and the
CI half-width z SE with Sidak's simultaneous z over the T/eta checkpoints,
as sdekit reports it.  The reference error is -(4/3) times the mean of
phi(X^2M) - phi(X^M) at that k (weak order 2).

The paths N and substeps M of each eta come from sdekit's own table
(--sdekit-csv, the output of `sde-compare --format=csv`: columns eta, N,
substeps, ...) or from --eta, --paths and --substeps.  Vectorized over
chunks of --chunk paths (memory bounded by the chunk), float64, one thread,
normals from numpy's fastest Generator (SFC64).

Prints the table, comment lines starting with '#', lines
"numpy-row ETA METHOD E SE" and "numpy-eta ETA N M SECONDS", with
--sdekit-csv a comparison with sdekit's rows, and the last line
"numpy-coupled SECONDS": the wall time of the computation (python start-up
and imports excluded; its CPU time is the comment line before)."""
import argparse
import csv
import math
import os
import sys
import time
from statistics import NormalDist

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import numpy as np  # noqa: E402

METHODS = ("sgd", "sgdm:beta=0.9")


def parse_grid(spec):
    def value(s):
        s = s.strip()
        return 2.0 ** float(s[2:]) if s.startswith("2^") else float(s)

    if ":" in spec:
        a, b = (math.log2(value(s)) for s in spec.split(":"))
        if a != round(a) or b != round(b):
            sys.exit("table_numpy_coupled.py: A:B needs powers of two")
        return [2.0 ** e for e in range(int(max(a, b)), int(min(a, b)) - 1,
                                        -1)]
    return sorted((value(s) for s in spec.split(",")), reverse=True)


def read_sdekit(path):
    """Rows of the errors table of sde-compare's CSV, as dicts."""
    lines = []
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                continue
            if not line.strip():
                if lines:
                    break
                continue
            lines.append(line)
    rows = list(csv.DictReader(lines))
    if not rows or "eta" not in rows[0]:
        sys.exit("table_numpy_coupled.py: %s: no errors table" % path)
    return rows


def sidak(K):
    """Sidak's simultaneous 95% critical value over K checkpoints."""
    if K <= 1:
        return NormalDist().inv_cdf(0.975)
    alpha = -math.expm1(math.log(0.95) / K)
    return NormalDist().inv_cdf(1 - alpha / 2)


def run_eta(eta, N, M, args, seed):
    """Sums of the paired differences at every step, over N paths."""
    K = round(args.T / eta)
    if abs(K * eta - args.T) > 1e-9 * args.T:
        sys.exit("table_numpy_coupled.py: eta %g does not divide T" % eta)
    F = 2 * M if args.check else M
    tau, beta, x0 = args.tau, args.beta, args.x0
    c_xi = math.sqrt(tau / (eta * F))  # -sigma xi = c_xi sum_f z_f
    c_ref = math.sqrt(tau * eta / F)  # s dW per fine normal
    rng = np.random.Generator(np.random.SFC64(seed))
    nd = 3 if args.check else 2  # sgd, sgdm, check minus reference
    s1 = np.zeros((K, nd))
    s2 = np.zeros((K, nd))
    sr = np.zeros(K)  # sums of phi(X^M), for the estimates
    C = min(args.chunk, N)
    z = np.empty(F * C)
    buf = [np.empty(C) for _ in range(11)]
    dbuf = np.empty(M * C)
    for p0 in range(0, N, C):
        P = min(C, N - p0)
        zz = z[:F * P].reshape(F, P)  # contiguous for the generator
        xs, xm, mm, xr, xc, nz, a, t, u, dc, pr = (b[:P] for b in buf)
        dref = dbuf[:M * P].reshape(M, P)
        xs.fill(x0), xm.fill(x0), xr.fill(x0), xc.fill(x0)
        mm.fill(0.0)  # minus the momentum
        for k in range(K):
            rng.standard_normal(out=zz)
            np.sum(zz, axis=0, out=nz)
            nz *= c_xi  # -sigma xi
            # SGD: x' = x + eta (x - x^3 - sigma xi).
            np.multiply(xs, xs, out=t)
            np.subtract(1.0, t, out=t)
            t *= xs
            t += nz
            t *= eta
            xs += t
            # SGDM with mm = -m: mm' = beta mm + (1 - beta) (a - sigma xi).
            np.multiply(xm, xm, out=t)
            np.subtract(1.0, t, out=t)
            t *= xm
            t += nz
            t *= 1 - beta
            mm *= beta
            mm += t
            np.multiply(mm, eta, out=t)
            xm += t
            # The SDE: s dW of the M substeps (pair sums if checked), and
            # of the 2M substeps in place in z.
            if args.check:
                np.add(zz[0::2], zz[1::2], out=dref)
                dref *= c_ref
                zz *= c_ref
            else:
                zz *= c_ref
                dref = zz
            sdes = ((xr, M, dref), (xc, 2 * M, zz)) if args.check else (
                (xr, M, dref),)
            for x, m, dw in sdes:
                hh, half = eta / m, 0.5 * eta / m
                for j in range(m):
                    w = dw[j]
                    np.multiply(x, x, out=t)
                    np.subtract(1.0, t, out=t)
                    np.multiply(t, x, out=a)  # a = x - x^3
                    np.multiply(a, hh, out=u)
                    u += x
                    u += w  # U = x + a h + s dW
                    np.multiply(u, u, out=t)
                    np.subtract(1.0, t, out=t)
                    t *= u  # a(U)
                    t -= a
                    t *= half
                    np.add(u, t, out=x)  # x + (a + a(U)) h/2 + s dW
            # phi = x^2 and the paired differences.
            np.multiply(xr, xr, out=pr)
            sr[k] += pr.sum()
            for i, x in enumerate((xs, xm, xc)[:nd]):
                np.multiply(x, x, out=dc)
                dc -= pr
                s1[k, i] += dc.sum()
                s2[k, i] += dc.dot(dc)
    return K, s1, s2, sr


def rows_of(eta, N, M, K, s1, s2, sr):
    """e, SE, CI z, t_max, estimate, reference and reference error."""
    mean = s1 / N
    var = np.maximum(s2 / N - mean * mean, 0.0) * N / (N - 1)
    se = np.sqrt(var / N)
    crit = sidak(K)
    out = []
    for i, name in enumerate(METHODS):
        k = int(np.argmax(np.abs(mean[:, i])))
        ref = sr[k] / N
        r = dict(eta=eta, method=name, N=N, M=M, e=mean[k, i], se=se[k, i],
                 z=crit, t=(k + 1) * eta, est=ref + mean[k, i], ref=ref,
                 ref_err=math.nan, ref_err_se=math.nan)
        if mean.shape[1] > 2:
            f = 1 / (1 - 2.0 ** -2)
            r["ref_err"], r["ref_err_se"] = -f * mean[k, 2], f * se[k, 2]
        out.append(r)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sdekit-csv", help="take eta, N and substeps from "
                    "sde-compare --format=csv output, and compare")
    ap.add_argument("--eta", default="2^-3:2^-9")
    ap.add_argument("--paths", type=int, default=10000)
    ap.add_argument("--substeps", type=int, default=4)
    ap.add_argument("--no-check", dest="check", action="store_false",
                    help="leave out the reference check on 2M substeps")
    ap.add_argument("--tau", type=float, default=0.5)
    ap.add_argument("--x0", type=float, default=0.5)
    ap.add_argument("--beta", type=float, default=0.9)
    ap.add_argument("--T", type=float, default=1.0)
    ap.add_argument("--chunk", type=int, default=32768,
                    help="paths per vectorized chunk (default 32768)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    sdk = {}
    if args.sdekit_csv:
        plan = []
        for r in read_sdekit(args.sdekit_csv):
            eta = float(r["eta"])
            if r["method"] not in METHODS:
                sys.exit("table_numpy_coupled.py: method %s: only the default"
                         " sgd,sgdm:beta=0.9" % r["method"])
            sdk[(eta, r["method"])] = r
            if not plan or plan[-1][0] != eta:
                plan.append((eta, int(r["N"]), int(r["substeps"])))
    else:
        plan = [(eta, args.paths, args.substeps)
                for eta in parse_grid(args.eta)]
    print("# numpy %s, coupled estimator, SME-1 by weak order 2 on M "
          "substeps%s, chunks of %d paths, SFC64 normals"
          % (np.__version__, " (checked on 2M)" if args.check else "",
             args.chunk))
    print("# %-10s %-14s %8s %3s %12s %10s %10s %7s %10s %10s"
          % ("eta", "method", "N", "M", "error", "se", "ci", "t_max",
             "ref_err", "seconds"))
    total, rows, c0 = 0.0, [], time.process_time()
    for i, (eta, N, M) in enumerate(plan):
        t0 = time.perf_counter()
        K, s1, s2, sr = run_eta(eta, N, M, args, [args.seed, i])
        secs = time.perf_counter() - t0
        total += secs
        for r in rows_of(eta, N, M, K, s1, s2, sr):
            rows.append(r)
            print("  %-10.6g %-14s %8d %3d %12.5e %10.3e %10.3e %7.4g "
                  "%10.2e %10.3f" % (eta, r["method"], N, M, r["e"], r["se"],
                                     r["z"] * r["se"], r["t"], r["ref_err"],
                                     secs))
            print("numpy-row %.9g %s %.9g %.9g" % (eta, r["method"], r["e"],
                                                   r["se"]))
        print("numpy-eta %.9g %d %d %.6f" % (eta, N, M, secs))
        sys.stdout.flush()
    if sdk:
        print("# side by side (same eta, N, M; different random numbers):"
              " z = (e_numpy - e_sdekit) / sqrt(se_numpy^2 + se_sdekit^2)")
        print("# %-10s %-14s %12s %10s %12s %10s %6s"
              % ("eta", "method", "sdekit e", "ci", "numpy e", "ci", "z"))
        zs, sdk_secs = [], {}
        for r in rows:
            s = sdk[(r["eta"], r["method"])]
            e, se = float(s["error"]), float(s["se"])
            sdk_secs[r["eta"]] = float(s["seconds"])
            zz = (r["e"] - e) / math.hypot(r["se"], se)
            zs.append(zz)
            print("# %-10.6g %-14s %12.5e %10.3e %12.5e %10.3e %6.2f"
                  % (r["eta"], r["method"], e, float(s["ci_z"]) * se, r["e"],
                     r["z"] * r["se"], zz))
        s = sum(sdk_secs.values())
        print("# max |z| %.2f over %d rows; chi2 %.1f on %d dof" % (
            max(abs(v) for v in zs), len(zs), sum(v * v for v in zs),
            len(zs)))
        print("# compute seconds: sdekit %.3f (its per-eta seconds), numpy "
              "%.3f: numpy / sdekit = %.1f" % (s, total, total / s))
    print("# process CPU seconds of the computation: %.3f"
          % (time.process_time() - c0))
    print("numpy-coupled %.6f" % total)


if __name__ == "__main__":
    main()
