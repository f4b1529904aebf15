"""The result of an experiment: the tables of the JSON document the run
wrote (the same document as the tools' --format=json, schema in
man/report-json.x.txt) as pandas DataFrames, with the provenance, notes
and verdicts."""
import collections
import json
import numbers

import pandas as pd

from ._lib import ffi, lib

#: A requested check's outcome, as the JSON's "verdicts" records.
Verdict = collections.namedtuple("Verdict", "passed text")
Verdict.__doc__ = """A verdict: ``passed`` (bool) and its ``text``."""

#: The outcome of ``expect_order``: whether every fit is consistent with
#: the order, and why not (one line per failing fit).
Expectation = collections.namedtuple("Expectation", "passed why")

_RESERVED = ("sdekit", "format", "provenance", "notes", "verdicts",
             "interrupted", "failed")


def _frame(records):
    """A table's records as a DataFrame in the table's column order, with
    numeric columns: a column that is null in every row (the exact engine
    has no path count, a Monte Carlo run no grid error) is NaN, not None."""
    if not records:
        return pd.DataFrame()
    cols = list(records[0])
    df = pd.DataFrame.from_records(records, columns=cols)
    for c in cols:
        if df[c].dtype == object:
            vals = df[c].tolist()
            if all(v is None for v in vals):
                df[c] = pd.Series([float("nan")] * len(vals), index=df.index,
                                  dtype="float64")
            elif all(v is None or (isinstance(v, numbers.Real)
                                   and not isinstance(v, bool))
                     for v in vals):
                df[c] = pd.Series([float("nan") if v is None else float(v)
                                   for v in vals], index=df.index,
                                  dtype="float64")
    return df


class Result:
    """The tables and records of one run of ``compare``, ``slow`` or
    ``simulate``.

    Attributes
    ----------
    errors : pandas.DataFrame
        The error table, one row per (eta, method, observable), with every
        column of ``sde-compare --format=json`` (eta, method, observable,
        N, floor, estimate, reference, error, se, ci_lo, ci_hi, ...);
        empty for ``simulate``.
    fits : pandas.DataFrame
        The fitted orders per method and observable (order, se, ci_lo,
        ci_hi, theory, theory_kind, chi2_dof, local_slopes, warnings,
        ...); empty for ``simulate``.
    moments : pandas.DataFrame
        ``simulate``: mean and variance with standard errors per process,
        time and observable (and the exact values where known); empty
        otherwise.
    tables : dict
        Every table of the document by name (also ``svag_fits`` when the
        run has one).
    provenance : dict
        How to reproduce the run, in order (version, the equivalent
        command line, seed, problem, noise, engine, ...).
    notes : list of str
        The notes and warnings of the run.
    verdicts : list of Verdict
        One per method and observable: whether the fitted order agrees
        with the theory, and why.
    expected : Expectation or None
        The outcome of ``expect_order=`` when it was given.
    interrupted : bool
        Ctrl-C (SIGINT) stopped the run: the tables hold the rows that
        were finished.
    stopped : bool
        The run stopped before its end (Ctrl-C or ``max_seconds``).
    failed : bool
        The run failed after the rows it holds (see ``sdekit.RunError``).
    json : str
        The JSON document (format 1), as ``--format=json`` writes it:
        ``open("t.json", "w").write(r.json)`` gives a file ``sde-plot``
        reads.
    title : str
        The figure's title ("doublewell: weak error against SME-1").
    """

    def __init__(self, kind, doc, experiment, keep, interrupted, stopped):
        self.kind = kind
        self.json = doc
        d = json.loads(doc) if doc else {}
        self._doc = d
        self.provenance = dict(d.get("provenance", {}))
        self.notes = list(d.get("notes", []))
        self.verdicts = [Verdict(bool(v.get("pass")), v.get("text", ""))
                         for v in d.get("verdicts", [])]
        self.tables = {k: _frame(v) for k, v in d.items()
                       if k not in _RESERVED and isinstance(v, list)}
        self.interrupted = bool(interrupted)
        self.stopped = bool(stopped)
        self.failed = bool(d.get("failed", False))
        self.expected = None
        self._x = experiment
        self._keep = keep
        self.title = (ffi.string(lib.sde_experiment_title(experiment))
                      .decode("utf-8", "replace") if experiment else "")

    def _table(self, name):
        t = self.tables.get(name)
        return t if t is not None else pd.DataFrame()

    @property
    def errors(self):
        """The error table (a DataFrame; empty for ``simulate``)."""
        return self._table("errors")

    @property
    def fits(self):
        """The fits table (a DataFrame; empty for ``simulate``)."""
        return self._table("fits")

    @property
    def moments(self):
        """The moments table of ``simulate`` (a DataFrame)."""
        return self._table("moments")

    def expect(self, order, tolerance=0.1):
        """As ``--expect-order=ORDER --tolerance=TOLERANCE``: an
        Expectation, passed when every fit's 95% interval reaches ORDER
        -+ TOLERANCE (only ORDER - TOLERANCE where the theory is a bound)
        and no fit has a warning; ``why`` names the fits that fail."""
        if self._x is None:
            raise ValueError("expect: this result has no experiment")
        why = ffi.new("char[]", 8192)
        st = lib.sde_experiment_expect(self._x, float(order),
                                       float(tolerance), why, len(why))
        return Expectation(st == 0, ffi.string(why).decode("utf-8",
                                                           "replace"))

    def __repr__(self):
        n = {k: len(v) for k, v in self.tables.items()}
        state = ("interrupted" if self.interrupted else
                 "failed" if self.failed else
                 "stopped" if self.stopped else "complete")
        lines = ["<sdekit.Result %s (%s): %s>" % (
            self.kind, state, ", ".join("%d %s" % (v, k)
                                        for k, v in n.items()) or "no rows")]
        f = self.fits
        if len(f) and "order" in f:
            for _, r in f.iterrows():
                lines.append("  %s, %s: order %.3g +- %.2g (theory %s)" % (
                    r["method"], r["observable"], r["order"], r["se"],
                    r.get("theory")))
        return "\n".join(lines)
