"""doc/example.py [FIGURE]: the README's main table from Python.

sde-compare with no arguments, as a call: SGD and SGDM (beta = 0.9, equal
effective learning rate) against SME-1 on the double well
L = (x^2 - 1)^2 / 4, eta from 2^-3 to 2^-9, paths added until every 95%
CI is within 10% of |e|, fitted orders with their CIs.  The numbers are
bitwise those of `sde-compare --format=json`.  Prints the error table and
the fits and saves the figure to FIGURE (default example.pdf; .png and
.svg work too).

Run it with Debian's Python: /usr/bin/python3 doc/example.py fig.pdf
"""
import sys

import sdekit


def main():
    figure = sys.argv[1] if len(sys.argv) > 1 else "example.pdf"
    r = sdekit.compare()

    for key, value in r.provenance.items():
        print("# %s: %s" % (key, value))
    e = r.errors
    print("%-10s %-14s %-6s %24s %8s %5s" % ("eta", "method", "phi",
                                           "error +- 95% CI", "N", "floor"))
    for _, row in e.iterrows():
        half = row["ci_hi"] - row["error"]
        print("%-10.6g %-14s %-6s %13.4e +- %.2e %8d %5s" % (
            row["eta"], row["method"], row["observable"], row["error"],
            half, row["N"], "*" if row["floor"] else ""))
    print()
    print("%-14s %-6s %16s %7s %-6s %4s %9s" % ("method", "phi", "order +- CI",
                                              "theory", "kind", "pts",
                                              "chi2/dof"))
    for _, f in r.fits.iterrows():
        print("%-14s %-6s %8.3f +- %.3f %7g %-6s %4d %9.3g" % (
            f["method"], f["observable"], f["order"],
            f["ci_hi"] - f["order"], f["theory"], f["theory_kind"],
            f["points"], f["chi2_dof"]))
    for v in r.verdicts:
        print("# %s: %s" % ("pass" if v.passed else "FAIL", v.text))
    sdekit.plot(r, figure)
    print("# figure: %s" % figure)


if __name__ == "__main__":
    main()
