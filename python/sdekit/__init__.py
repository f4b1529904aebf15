"""sdekit: weak errors of stochastic optimizers against their SDE limits,
from Python.

The functions run the library's experiment, the one the command-line
tools run, so a call gives bitwise the numbers of the tool with the same
options and seed:

=====================  ===============  =================================
function               tool             result tables
=====================  ===============  =================================
``compare(**kw)``      ``sde-compare``  ``errors``, ``fits``
``slow(**kw)``         ``sde-slow``     ``errors``, ``fits``
``simulate(**kw)``     ``sde-sim``      ``moments``
=====================  ===============  =================================

Keywords are the tools' long options with dashes as underscores
(``noise_cov=``, ``target_ci=``, ``max_seconds=``); values are strings in
the tools' syntax (``eta="2^-3:2^-9"``) or Python numbers and lists
(``eta=[0.25, 0.125]``, ``x0=[1, 0]``, ``methods=["sgd",
"sgdm:beta=0.9"]``).  ``problem=`` also takes a ``Problem``: a loss whose
gradient is a Python (numpy or PyTorch) function.  An unknown keyword
raises TypeError; a value the tool refuses raises ValueError with the
tool's message.

>>> import sdekit
>>> r = sdekit.compare(methods="sgd", eta="2^-3:2^-5", paths=2000,
...                    target_ci=0, progress="never")
>>> r.errors[["eta", "method", "error", "se"]]      # doctest: +SKIP
>>> sdekit.plot(r, "fig.pdf")                       # doctest: +SKIP

A long run prints progress on stderr (``progress="auto"``: on a terminal
or in a notebook) and stops cleanly on Ctrl-C: the call returns the rows
finished so far with ``result.interrupted`` set (a second Ctrl-C raises
KeyboardInterrupt at once).
"""
from ._lib import lib as _lib
from ._options import OPTIONS as _OPTIONS
from ._plot import plot
from ._problem import Problem
from ._result import Expectation, Result, Verdict
from ._run import RunError, SdekitWarning, run as _run

__version__ = "0.1.0"


def _keywords(kind):
    return ", ".join(o.replace("-", "_") for o in _OPTIONS[kind])


def compare(**kw):
    """Weak errors of optimizers against their SDE limit over a grid of
    learning rates, with CIs, floor flags and fitted orders: the
    experiment of ``sde-compare`` (see ``man sde-compare``).

    Without keywords: SGD and SGDM (beta = 0.9) against SME-1 on the
    double well, eta = 2^-3 ... 2^-9, paths added until every 95% CI is
    within 10% of |e|.

    Keywords (the long options of sde-compare): {keywords}.
    ``problem`` is a catalog spec ("quadratic:h=1,4") or a ``Problem``;
    ``progress`` is "auto", "always" or "never" (or True/False);
    ``expect_order`` (with ``tolerance``) fills ``result.expected``.

    Returns a ``Result``.  Raises TypeError for an unknown keyword,
    ValueError with the tool's message for a value it refuses, RunError
    when the run fails after it started, and what a ``Problem``'s
    function raised.
    """
    return _run("compare", kw)


def slow(**kw):
    """SGD and SGDM near a manifold of minimizers against the slow SDE
    over t / eta^2 steps, observed at Phi(x): the experiment of
    ``sde-slow`` (see ``man sde-slow``).  Without keywords: the unit circle
    with anisotropic noise.

    Keywords (the long options of sde-slow): {keywords}.

    Returns a ``Result`` (``errors``, ``fits``); raises as ``compare``.
    """
    return _run("slow", kw)


def simulate(**kw):
    """Moments of one SDE with a scheme (``scheme=``, ``step=``): from the
    catalog (``sde=``) or from expressions (``drift=``, ``diffusion=``,
    ``x0=``, ``stratonovich=True``, ``moments=`` for its exact moments),
    or of optimizers on a problem (``problem=``
    or ``loss=`` with ``method=`` and ``eta=``), with standard errors and,
    where they are known, the exact values: the run of ``sde-sim`` (see ``man
    sde-sim``).

    Keywords (the long options of sde-sim, and ``progress``): {keywords}.

    Returns a ``Result`` whose ``moments`` holds the table; raises as
    ``compare``.
    """
    return _run("simulate", kw)


compare.__doc__ = compare.__doc__.format(keywords=_keywords("compare"))
slow.__doc__ = slow.__doc__.format(keywords=_keywords("slow"))
simulate.__doc__ = simulate.__doc__.format(keywords=_keywords("simulate"))


def problems():
    """The catalog of problems: a list of (name, description, parameters)
    as ``sde-compare --list-problems`` prints them."""
    from ._lib import ffi
    out = []
    i = 0
    while True:
        desc = ffi.new("const char **")
        params = ffi.new("const char **")
        name = _lib.sde_problem_name(i, desc, params)
        if name == ffi.NULL:
            return out
        out.append((ffi.string(name).decode(), ffi.string(desc[0]).decode(),
                    ffi.string(params[0]).decode()))
        i += 1


__all__ = ["compare", "slow", "simulate", "Problem", "Result", "Verdict",
           "Expectation", "RunError", "SdekitWarning", "plot", "problems"]
