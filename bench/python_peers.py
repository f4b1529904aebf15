"""The Python package against its peers, each ratio measured in one run with
the contenders interleaved (trial by trial, in rotating order; medians of
wall time, with process CPU time beside it):

  overhead      sdekit.compare() on the default table (double well, SGD and
                SGDM against SME-1, eta = 2^-3..2^-9, CIs within 10%) in a
                running interpreter, against the process `sde-compare`;
                goal <= 1.1.  Also reported: a fresh `python3 -c "import
                sdekit; sdekit.compare()"`, interpreter start and imports
                included.
  callback      the same table with the double well's gradient as a numpy
                function (sdekit.Problem), against the catalog's built-in
                double well: reported (no goal), per table and per path
                (a Problem counts paths in chunks of 4096, so its table
                runs more of them); and with chunk=256, where the table is
                the built-in one bitwise.
  sgd-loop      the moments of SGD on the double well (E x^2 and its SE at
                every step, eta = 2^-7, 128 steps, 2^17 paths) by
                sdekit.simulate with that numpy gradient, against the plain
                numpy loop a user would write with the same function
                (vectorized over all paths at once, numpy's generator, one
                independent normal per path and step); goal > 1 (sdekit
                faster).
  weak-error    the weak error of SGD against SME-1 at eta = 2^-3..2^-6 with
                the numpy gradient at equal paths (16384 per eta):
                sdekit.compare (coupled, weak order-2 reference with
                automatic substeps, a pilot for t_max) against numpy SGD
                and Euler-Maruyama on 4 substeps, sampled independently:
                time and SE ratios, reported (no goal).

All runs take one thread (the numpy loops have one).  Prints the tables,
then lines "ratio NAME VALUE goal GOAL met|short" (GOAL "none" and
"reported" for a figure without a goal).

usage: python_peers.py --tools DIR [--trials N] [--only NAME,...]
"""
import argparse
import math
import os
import resource
import statistics
import subprocess
import sys
import time

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np  # noqa: E402

import sdekit  # noqa: E402


def grad(x):
    """The double well's gradient L'(x) = x (x^2 - 1), as a user writes
    it in numpy: the same function for sdekit and for the numpy loops."""
    return x * (x * x - 1)


def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(fn):
    """Wall and CPU seconds of FN() (CPU of this process and its
    children), and its value."""
    c0, k0, w0 = time.process_time(), child_cpu(), time.perf_counter()
    v = fn()
    w = time.perf_counter() - w0
    return w, time.process_time() - c0 + child_cpu() - k0, v


def interleave(contenders, trials):
    """{name: ([wall], [cpu], last value)} over TRIALS rounds, the order
    rotating from round to round."""
    names = list(contenders)
    out = {n: ([], [], None) for n in names}
    for t in range(trials):
        for n in names[t % len(names):] + names[:t % len(names)]:
            w, c, v = timed(contenders[n])
            out[n][0].append(w)
            out[n][1].append(c)
            out[n] = (out[n][0], out[n][1], v)
    return out


def med(xs):
    return statistics.median(xs)


def line(name, value, goal=None, better="low"):
    if goal is None:
        print("ratio %s %.3g goal none reported" % (name, value))
        return
    ok = value <= goal if better == "low" else value > goal
    print("ratio %s %.3g goal %s%g %s" % (name, value,
                                         "<=" if better == "low" else ">",
                                         goal, "met" if ok else "short"))


# ---- overhead ----

def bench_overhead(args, ratios):
    cli = os.path.join(args.tools, "sde-compare")
    py = sys.executable
    r = interleave({
        "sde-compare": lambda: subprocess.run(
            [cli, "--threads=1", "--format=json"], check=True,
            stdout=subprocess.DEVNULL),
        "sdekit.compare": lambda: sdekit.compare(threads=1,
                                                 progress="never"),
        "python3 -c": lambda: subprocess.run(
            [py, "-c", "import sdekit; sdekit.compare(threads=1, "
             "progress='never')"], check=True),
    }, args.trials)
    base_w, base_c = med(r["sde-compare"][0]), med(r["sde-compare"][1])
    print("\n-- overhead: the default table, one thread, median of %d "
          "interleaved runs" % args.trials)
    print("%-40s %10s %10s %10s %10s" % ("", "wall s", "x CLI", "CPU s",
                                         "x CLI"))
    for n, label in (("sde-compare", "sde-compare (a process)"),
                     ("sdekit.compare", "sdekit.compare() in a session"),
                     ("python3 -c", "python3 -c 'import sdekit; ...'")):
        w, c = med(r[n][0]), med(r[n][1])
        print("%-40s %10.3f %10.3f %10.3f %10.3f" % (label, w, w / base_w,
                                                     c, c / base_c))
    ratios.append(("overhead", med(r["sdekit.compare"][0]) / base_w, 1.1,
                   "low"))
    ratios.append(("overhead-with-startup", med(r["python3 -c"][0]) / base_w,
                   None, None))


# ---- callback against built-in ----

def bench_callback(args, ratios):
    p = sdekit.Problem(1, grad=grad, x0=0.5, name="doublewell (numpy)")
    p256 = sdekit.Problem(1, grad=grad, x0=0.5, name="doublewell (numpy)",
                          chunk=256)
    run = lambda prob: lambda: sdekit.compare(  # noqa: E731
        problem=prob, threads=1, progress="never")
    r = interleave({"built-in": run("doublewell"), "numpy": run(p),
                    "numpy, chunk 256": run(p256)}, args.trials)
    paths = {n: int(r[n][2].errors["N"].sum() + r[n][2].errors["pilot"].sum())
             for n in r}
    base = med(r["built-in"][0])
    print("\n-- callback: the default table with the double well's gradient "
          "in numpy, one thread, median of %d" % args.trials)
    print("%-28s %10s %10s %12s %12s" % ("", "wall s", "x built-in",
                                         "paths", "per path x"))
    for n in ("built-in", "numpy", "numpy, chunk 256"):
        w = med(r[n][0])
        print("%-28s %10.3f %10.2f %12d %12.2f" % (
            n, w, w / base, paths[n],
            (w / paths[n]) / (base / paths["built-in"])))
    same = r["numpy, chunk 256"][2].errors.drop(columns="seconds").equals(
        r["built-in"][2].errors.drop(columns="seconds"))
    print("  chunk 256: the table is the built-in one bitwise: %s" % same)
    ratios.append(("callback-vs-builtin-table", med(r["numpy"][0]) / base,
                   None, None))
    ratios.append(("callback-vs-builtin-per-path",
                   (med(r["numpy"][0]) / paths["numpy"])
                   / (base / paths["built-in"]), None, None))
    ratios.append(("callback-chunk256-vs-builtin",
                   med(r["numpy, chunk 256"][0]) / base, None, None))


# ---- the SGD loop ----

def numpy_sgd(N, eta, K, tau, x0, seed):
    """SGD on the double well as a user writes it with numpy: all paths at
    once, E x^2 and its SE at every step."""
    rng = np.random.default_rng(seed)
    sigma = math.sqrt(tau / eta)
    x = np.full((1, N), x0)
    mean, se = np.empty(K), np.empty(K)
    for k in range(K):
        g = grad(x) + sigma * rng.standard_normal((1, N))
        x = x - eta * g
        phi = (x * x).sum(axis=0)
        mean[k] = phi.mean()
        se[k] = phi.std(ddof=1) / math.sqrt(N)
    return mean, se


def bench_sgd(args, ratios):
    N, eta, K, tau, x0 = 1 << 17, 2.0 ** -7, 128, 0.5, 0.5
    p = sdekit.Problem(1, grad=grad, x0=x0, name="doublewell (numpy)")
    r = interleave({
        "numpy": lambda: numpy_sgd(N, eta, K, tau, x0, 1),
        "sdekit": lambda: sdekit.simulate(
            problem=p, method="sgd", eta=eta, tau=tau, horizon=K * eta,
            paths=N, observable="norm2", times="every", threads=1,
            progress="never"),
        "sdekit built-in": lambda: sdekit.simulate(
            problem="doublewell", method="sgd", eta=eta, tau=tau,
            horizon=K * eta, paths=N, observable="norm2", times="every",
            threads=1, progress="never"),
    }, args.trials)
    mean, se = r["numpy"][2]
    m = r["sdekit"][2].moments
    z = (m["mean"].iloc[-1] - mean[-1]) / math.hypot(m["se_mean"].iloc[-1],
                                                      se[-1])
    base = med(r["numpy"][0])
    print("\n-- sgd-loop: E x^2 of SGD at every step, double well, eta 2^-7, "
          "%d steps, %d paths, one thread, median of %d" % (K, N,
                                                            args.trials))
    print("%-36s %10s %12s %14s" % ("", "wall s", "path-steps/s",
                                    "numpy / this"))
    for n, label in (("numpy", "numpy loop (same gradient function)"),
                     ("sdekit", "sdekit.simulate, numpy gradient"),
                     ("sdekit built-in", "sdekit.simulate, built-in")):
        w = med(r[n][0])
        print("%-36s %10.3f %12.4g %14.2f" % (label, w, N * K / w, base / w))
    print("  E x^2 at the last step: sdekit %.6f +- %.6f, numpy %.6f +- "
          "%.6f (z = %.2f: the same law)" % (m["mean"].iloc[-1],
                                             m["se_mean"].iloc[-1], mean[-1],
                                             se[-1], z))
    ratios.append(("sgd-loop-numpy-over-sdekit", base / med(r["sdekit"][0]),
                   1.0, "high"))


# ---- the weak error at equal paths ----

def numpy_weak(eta, N, rng, tau=0.5, x0=0.5, T=1.0, M=4):
    """e = max_k |E x_k^2 - E X_k^2| with SGD and Euler-Maruyama on M
    substeps sampled independently, N paths each; its SE."""
    K = round(T / eta)
    sigma, h = math.sqrt(tau / eta), eta / M
    s = math.sqrt(tau * h)
    x = np.full((1, N), x0)
    X = np.full((1, N), x0)
    m1, v1, m2, v2 = (np.empty(K) for _ in range(4))
    for k in range(K):
        x = x - eta * (grad(x) + sigma * rng.standard_normal((1, N)))
        phi = x[0] * x[0]
        m1[k], v1[k] = phi.mean(), phi.var(ddof=1)
        for _ in range(M):
            X = X - h * grad(X) + s * rng.standard_normal((1, N))
        phi = X[0] * X[0]
        m2[k], v2[k] = phi.mean(), phi.var(ddof=1)
    d = m1 - m2
    k = int(np.argmax(np.abs(d)))
    return d[k], math.sqrt((v1[k] + v2[k]) / N)


def bench_weak(args, ratios):
    N = 16384
    etas = [2.0 ** -k for k in range(3, 7)]
    p = sdekit.Problem(1, grad=grad, x0=0.5, name="doublewell (numpy)")
    r = interleave({
        "numpy": lambda: [numpy_weak(e, N, np.random.default_rng(i))
                          for i, e in enumerate(etas)],
        "sdekit": lambda: sdekit.compare(problem=p, methods="sgd", eta=etas,
                                         paths=N, target_ci=0, threads=1,
                                         progress="never"),
    }, args.trials)
    rows = r["sdekit"][2].errors
    nump = r["numpy"][2]
    print("\n-- weak-error: SGD against SME-1 with the numpy gradient, %d "
          "paths per eta and process, one thread, median of %d"
          % (N, args.trials))
    print("%-10s %14s %12s %14s %12s %10s" % ("eta", "sdekit e", "SE",
                                              "numpy e", "SE", "SE ratio"))
    ser = []
    for (_, row), (e, se) in zip(rows.iterrows(), nump):
        ser.append(se / row["se"])
        print("%-10g %14.4e %12.2e %14.4e %12.2e %10.0f" % (
            row["eta"], row["error"], row["se"], e, se, se / row["se"]))
    ws, wn = med(r["sdekit"][0]), med(r["numpy"][0])
    print("  wall: sdekit %.3f s (pilot of paths/4 and reference checks "
          "included), numpy %.3f s" % (ws, wn))
    print("  at equal precision numpy would need (SE ratio)^2 times the "
          "paths: %.3g to %.3g times" % (min(ser) ** 2, max(ser) ** 2))
    proj = [s * s * wn / ws for s in ser]
    print("  projected time ratio at equal SE, numpy / sdekit: %.3g to %.3g"
          % (min(proj), max(proj)))
    ratios.append(("weak-error-equal-paths-numpy-over-sdekit", wn / ws,
                   None, None))
    ratios.append(("weak-error-equal-paths-se-numpy-over-sdekit",
                   statistics.median(ser), None, None))
    ratios.append(("weak-error-equal-se-numpy-over-sdekit-projected",
                   statistics.median(proj), None, None))


BENCHES = {"overhead": bench_overhead, "callback": bench_callback,
           "sgd-loop": bench_sgd, "weak-error": bench_weak}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tools", required=True,
                    help="the folder of sde-compare")
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--only", default=",".join(BENCHES))
    args = ap.parse_args()
    print("# python %s, numpy %s, sdekit from %s; %s cores, load %s"
          % (sys.version.split()[0], np.__version__,
             os.path.dirname(sdekit.__file__), os.cpu_count(),
             " ".join(open("/proc/loadavg").read().split()[:3])))
    ratios = []
    for name in args.only.split(","):
        BENCHES[name](args, ratios)
    print()
    for name, value, goal, better in ratios:
        line(name, value, goal, better)


if __name__ == "__main__":
    main()
