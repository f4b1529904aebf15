"""The default sde-compare table computed the way a researcher would with
numpy, without coupling: independent Monte Carlo samples of SGD, of SGDM and
of the SDE, paths added until the 95% CI of each weak error is within 10%.

Problem: the double well L = (x^2 - 1)^2 / 4, x0 = 0.5, noisy gradient
g = L'(x) + sigma xi with sigma = sqrt(tau / eta), tau = 0.5; SGD
x' = x - eta g; SGDM (normalized) m' = beta m + (1 - beta) g, x' = x - eta m',
beta = 0.9, m0 = 0; SME-1 dX = -L'(X) dt + sqrt(tau) dW, integrated with the
simplified weak order-2 Taylor scheme (Kloeden & Platen 14.2.1; additive
noise) on 4 substeps per eta.  Observable phi = x^2 at every step k = 1..T/eta,
and the weak error is e = max_k |E phi(x_k) - E phi(X_{k eta})| with the
sign of the maximizing difference, its SE from the two independent sample
variances at the maximizing step.  Paths: 10000 first, then grown by the
estimated need (at least 1.5x, at most 16x per round) until
1.96 SE <= 0.1 |e| for both methods (SGDM stops growing once its row is
done; SGD and the SDE keep one path count).

Wall-time limits: an eta stops with "cap" at --max-paths, or with "budget"
when the next round, or the estimated total to reach the target, would take
more than --budget seconds.  For such an eta the script PROJECTS the time to
the target: paths needed N = (1.96 sqrt(v_m + v_sde) / (0.1 |e|))^2 per
method, with the per-path variances v measured here at the maximizing time
and |e| (and that time) taken from sdekit's table (--sdekit-csv, the csv of
sde-compare) when given, else from this run's own estimate; times the
measured seconds per path of each process.

Prints the table (comment lines start with '#') and summary lines
"numpy-table KEY VALUE" for run-sgd.sh."""
import argparse
import math
import os
import sys
import time

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import numpy as np  # noqa: E402

Z95 = 1.959963984540054
METHODS = ("sgd", "sgdm:beta=0.9")


def parse_grid(spec):
    def value(s):
        s = s.strip()
        if s.startswith("2^"):
            return 2.0 ** float(s[2:])
        return float(s)

    if ":" in spec:
        a, b = spec.split(":")
        ea, eb = math.log2(value(a)), math.log2(value(b))
        if ea != round(ea) or eb != round(eb):
            sys.exit("table_numpy.py: A:B needs powers of two")
        hi, lo = int(max(ea, eb)), int(min(ea, eb))
        return [2.0 ** e for e in range(hi, lo - 1, -1)]
    return sorted((value(s) for s in spec.split(",")), reverse=True)


def read_sdekit(path):
    """(eta, method) -> (error, t_max) from sde-compare's csv errors table."""
    out = {}
    if not path:
        return out
    header = None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("#") or not line:
                if header is not None and not line:
                    break
                continue
            cols = line.split(",")
            if header is None:
                if cols[0] == "eta":
                    header = cols
                continue
            row = dict(zip(header, cols))
            out[(float(row["eta"]), row["method"])] = (
                float(row["error"]), float(row["t_max"]))
    return out


def lookup(table, eta, method):
    for (e, m), v in table.items():
        if m == method and abs(e - eta) <= 1e-5 * eta:
            return v
    return None


class Process:
    """Independent paths of one process; phi sums at every eta-step."""

    def __init__(self, kind, eta, nsteps, args, seed):
        self.kind, self.eta, self.nsteps = kind, eta, nsteps
        self.tau, self.x0, self.beta = args.tau, args.x0, args.beta
        self.batch = args.batch
        self.rng = np.random.default_rng(seed)
        self.shift = args.x0 * args.x0  # sums of phi - phi(x0): less rounding
        self.s1 = np.zeros(nsteps)
        self.s2 = np.zeros(nsteps)
        self.n = 0
        self.seconds = 0.0

    def extend(self, want):
        t0 = time.perf_counter()
        while self.n < want:
            b = min(self.batch, want - self.n)
            getattr(self, "_" + self.kind)(b)
            self.n += b
        self.seconds += time.perf_counter() - t0

    def _observe(self, k, x, t):
        np.multiply(x, x, out=t)
        t -= self.shift
        self.s1[k] += t.sum()
        self.s2[k] += t.dot(t)

    def _sgd(self, b):
        eta, sigma = self.eta, math.sqrt(self.tau / self.eta)
        x = np.full(b, self.x0)
        z, g, t = np.empty(b), np.empty(b), np.empty(b)
        rng = self.rng
        for k in range(self.nsteps):
            rng.standard_normal(out=z)
            np.multiply(x, x, out=g)
            g -= 1
            g *= x  # L'(x) = x^3 - x
            z *= sigma
            g += z
            g *= eta
            x -= g
            self._observe(k, x, t)

    def _sgdm(self, b):
        eta, sigma = self.eta, math.sqrt(self.tau / self.eta)
        beta = self.beta
        x = np.full(b, self.x0)
        m = np.zeros(b)
        z, g, t = np.empty(b), np.empty(b), np.empty(b)
        rng = self.rng
        for k in range(self.nsteps):
            rng.standard_normal(out=z)
            np.multiply(x, x, out=g)
            g -= 1
            g *= x
            z *= sigma
            g += z
            g *= 1 - beta
            m *= beta
            m += g  # m' = beta m + (1 - beta) g
            np.multiply(m, eta, out=g)
            x -= g
            self._observe(k, x, t)

    def _sde(self, b):
        # Simplified weak order-2 Taylor scheme for dX = a dt + s dW with
        # a = x - x^3 and constant s = sqrt(tau):
        # X' = X + a h + s dW (1 + a' h / 2) + (a a' + a'' s^2 / 2) h^2 / 2.
        M = 4
        h = self.eta / M
        s2 = self.tau
        sdw = math.sqrt(s2 * h)
        x = np.full(b, self.x0)
        u, a, a1, c, z = (np.empty(b) for _ in range(5))
        rng = self.rng
        for k in range(self.nsteps):
            for _ in range(M):
                rng.standard_normal(out=z)
                z *= sdw  # s dW
                np.multiply(x, x, out=u)
                np.subtract(1.0, u, out=a)
                a *= x  # a = x - x^3
                np.multiply(u, -3.0, out=a1)
                a1 += 1.0  # a' = 1 - 3 x^2
                np.multiply(a, a1, out=c)
                np.multiply(x, 3.0 * s2, out=u)
                c -= u  # a a' + a'' s^2 / 2, a'' = -6 x
                c *= 0.5 * h * h
                a1 *= 0.5 * h
                a1 += 1.0
                a1 *= z
                a *= h
                x += a
                x += a1
                x += c
            self._observe(k, x, u)

    def stats(self):
        n = float(self.n)
        m1, m2 = self.s1 / n, self.s2 / n
        var = np.maximum(m2 - m1 * m1, 0.0) * n / (n - 1)
        return m1 + self.shift, var


def row(proc, ref):
    """Weak error e at the maximizing step, its SE, and the step."""
    mm, vm = proc.stats()
    mr, vr = ref.stats()
    d = mm - mr
    k = int(np.argmax(np.abs(d)))
    se = math.sqrt(vm[k] / proc.n + vr[k] / ref.n)
    return dict(e=d[k], se=se, k=k, est=mm[k], ref=mr[k], vm=vm, vr=vr)


def need(r, target):
    goal = target * abs(r["e"])
    return (Z95 * r["se"] / goal) ** 2 if goal > 0 else math.inf


def run_eta(i, eta, args, sdekit):
    nsteps = round(args.T / eta)
    if abs(nsteps * eta - args.T) > 1e-9 * args.T:
        sys.exit("table_numpy.py: eta %g does not divide T" % eta)
    seeds = np.random.SeedSequence([args.seed, i]).spawn(3)
    sgd = Process("sgd", eta, nsteps, args, seeds[0])
    sgdm = Process("sgdm", eta, nsteps, args, seeds[1])
    sde = Process("sde", eta, nsteps, args, seeds[2])
    procs = (sgd, sgdm)
    t0 = time.perf_counter()
    want, frozen, stop = args.paths, [False, False], None
    while True:
        sde.extend(want)
        for j, p in enumerate(procs):
            if not frozen[j]:
                p.extend(want)
        rows = [row(p, sde) for p in procs]
        needs = [need(r, args.target) for r in rows]
        for j in range(2):
            frozen[j] = frozen[j] or needs[j] <= 1
        if all(frozen):
            stop = "target"
            break
        done = sde.n
        if done >= args.max_paths:
            stop = "cap"
            break
        elapsed = time.perf_counter() - t0
        per_path = sde.seconds / sde.n + sum(
            p.seconds / p.n for j, p in enumerate(procs) if not frozen[j])
        grow = min(max(max(needs) * 1.1, 1.5), 16.0)
        nxt = min(int(math.ceil(done * grow)), args.max_paths)
        to_target = per_path * done * (max(needs) - 1)
        if (elapsed + per_path * (nxt - done) > args.budget
                or elapsed + to_target > args.budget):
            stop = "budget"
            break
        want = nxt
    seconds = time.perf_counter() - t0
    cost = {"sgd": sgd.seconds / sgd.n, "sgdm": sgdm.seconds / sgdm.n,
            "sde": sde.seconds / sde.n}
    out = []
    for j, (name, p) in enumerate(zip(METHODS, procs)):
        r = rows[j]
        res = dict(eta=eta, method=name, n=p.n, n_sde=sde.n, stop=stop,
                   e=r["e"], se=r["se"], t=(r["k"] + 1) * eta, est=r["est"],
                   ref=r["ref"], seconds=seconds, source="", n_need=p.n)
        if stop != "target":
            # Paths to the target, from the variances measured here.
            sk = lookup(sdekit, eta, name)
            if sk is not None:
                e_abs, k = abs(sk[0]), max(round(sk[1] / eta) - 1, 0)
                res["source"] = "sdekit-e"
            else:
                e_abs, k = abs(r["e"]), r["k"]
                res["source"] = ("own-e" if abs(r["e"]) > 2 * r["se"]
                                 else "own-e-UNRESOLVED")
            v = r["vm"][k] + r["vr"][k]
            res["n_need"] = max(p.n, (Z95 * math.sqrt(v) / (args.target
                                                           * e_abs)) ** 2)
        out.append(res)
    if stop == "target":
        projected = seconds
    else:
        n_sgd, n_sgdm = out[0]["n_need"], out[1]["n_need"]
        projected = (n_sgd * cost["sgd"] + n_sgdm * cost["sgdm"]
                     + max(n_sgd, n_sgdm) * cost["sde"])
    return out, seconds, projected, cost


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--eta", default="2^-3:2^-9")
    ap.add_argument("--tau", type=float, default=0.5)
    ap.add_argument("--x0", type=float, default=0.5)
    ap.add_argument("--beta", type=float, default=0.9)
    ap.add_argument("--T", type=float, default=1.0)
    ap.add_argument("--paths", type=int, default=10000)
    ap.add_argument("--target", type=float, default=0.1)
    ap.add_argument("--max-paths", type=int, default=10**9)
    ap.add_argument("--budget", type=float, default=60.0,
                    help="seconds per eta before projecting (default 60)")
    ap.add_argument("--batch", type=int, default=1 << 16)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sdekit-csv", default=None)
    args = ap.parse_args()
    sdekit = read_sdekit(args.sdekit_csv)
    etas = parse_grid(args.eta)
    print("# numpy %s, independent samples, SDE: weak-2 Taylor, 4 substeps, "
          "batches of %d paths, budget %g s per eta, cap %d paths"
          % (np.__version__, args.batch, args.budget, args.max_paths))
    print("# %-10s %-14s %11s %11s %10s %10s %9s %9s %6s %-7s %9s %12s %s"
          % ("eta", "method", "N", "N_sde", "error", "se", "ci/|e|",
             "t_max", "", "stop", "seconds", "N_needed", "e_for_N"))
    measured, total, hit = [], 0.0, []
    for i, eta in enumerate(etas):
        rows, secs, projected, cost = run_eta(i, eta, args, sdekit)
        for r in rows:
            print("  %-10.6g %-14s %11d %11d %10.3e %10.2e %9.3f %9.4g %6s "
                  "%-7s %9.2f %12.4g %s"
                  % (r["eta"], r["method"], r["n"], r["n_sde"], r["e"],
                     r["se"], Z95 * r["se"] / abs(r["e"]) if r["e"] else
                     math.inf, r["t"], "", r["stop"], r["seconds"],
                     r["n_need"], r["source"] or "-"))
            print("numpy-row %.9g %s %.9g %.9g %s"
                  % (r["eta"], r["method"], r["e"], r["se"], r["stop"]))
        print("# eta %g: %.2f s measured; per path: sgd %.3g s, sgdm %.3g s, "
              "sde %.3g s; %s %.4g s to the target"
              % (eta, secs, cost["sgd"], cost["sgdm"], cost["sde"],
                 "measured" if rows[0]["stop"] == "target" else "PROJECTED",
                 projected))
        sys.stdout.flush()
        if rows[0]["stop"] == "target":
            measured.append(eta)
        else:
            hit.append("%g:%s" % (eta, rows[0]["stop"]))
        total += projected
        print("numpy-eta %.9g %s %.6g %.6g" % (eta, rows[0]["stop"], secs,
                                               projected))
    print("numpy-table measured_etas %s" % (
        ",".join("%.9g" % e for e in measured) or "none"))
    print("numpy-table stopped_early %s" % (",".join(hit) or "none"))
    print("numpy-table full_grid_seconds %.6g" % total)


if __name__ == "__main__":
    main()
