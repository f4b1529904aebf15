"""compare, slow and simulate: keywords in, the library's experiment run
into an in-memory JSON report, a Result out; progress on stderr and
Ctrl-C as a clean stop."""
import math
import sys
import time
import warnings

from ._lib import GSL_ENOMEM, ffi, lib, quote, reason
from ._options import Settings
from ._problem import Problem
from ._result import Expectation, Result

_KINDS = {"compare": lib.SDE_EXPERIMENT_COMPARE,
          "slow": lib.SDE_EXPERIMENT_SLOW,
          "simulate": lib.SDE_EXPERIMENT_SIMULATE}


class SdekitWarning(UserWarning):
    """A warning of the run (a fit that is not reliable, a generator that
    repeats): the notes that ``sde-compare`` also prints on stderr."""


class RunError(RuntimeError):
    """The run failed after it started (every path diverged, the density
    engine could not vouch for a row, memory ran out).  The message is
    the tool's; ``result`` holds the rows finished before the failure."""

    def __init__(self, message, result):
        super().__init__(message)
        self.result = result


def _duration(s):
    if not (s >= 0) or math.isnan(s):
        return "?"
    if s < 90:
        return "%.0f s" % s
    if s < 5400:
        return "%.0f min" % (s / 60)
    return "%.1f h" % (s / 3600)


def _interactive():
    try:
        if sys.stderr is not None and sys.stderr.isatty():
            return True
    except (AttributeError, ValueError):
        return False
    return "ipykernel" in sys.modules


class _Progress:
    """The progress line on stderr, as the tools write it: on a terminal
    one line rewritten in place, elsewhere a line at most every second;
    nothing in the first second."""

    def __init__(self, prog, mode):
        self.prog = prog
        self.on = mode == "always" or (mode == "auto" and _interactive())
        try:
            self.tty = self.on and sys.stderr.isatty()
        except (AttributeError, ValueError):
            self.tty = False
        self.last = -1e9
        self.shown = False

    def __call__(self, p):
        if p.elapsed < 1.0 or (p.elapsed - self.last < (0.1 if self.tty
                                                        else 1.0)):
            return
        self.last = p.elapsed
        line = "%s: eta %g (%d of %d): %d paths, %s elapsed, about %s left" % (
            self.prog, p.eta, p.eta_index + 1, p.neta, p.paths,
            _duration(p.elapsed), _duration(p.remaining))
        sys.stderr.write("\r" + line + "\033[K" if self.tty else line + "\n")
        sys.stderr.flush()
        self.shown = True

    def done(self):
        if self.shown and self.tty:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


class _Run:
    """What the progress callback reaches through its handle."""

    def __init__(self, progress):
        self.progress = progress
        self.error = None


@ffi.def_extern()
def sdekit_py_cb_progress(ctx, p):
    run = ffi.from_handle(ctx)
    try:
        run.progress(p)
        return 0
    except BaseException as e:  # noqa: B902 (a closed stderr, Ctrl-C)
        if run.error is None:
            run.error = e
        return 1


def _refuse():
    """The library's refusal as the tool's message (after "prog: ")."""
    text, code = reason()
    if code == GSL_ENOMEM:
        return MemoryError(text or "out of memory")
    return ValueError(quote("--" + text, 600))


def _experiment(s, kind):
    """The experiment of the settings S (its strings kept alive by the
    returned list until it is freed), or the tool's refusal."""
    o = ffi.new("sde_experiment_opts *")
    lib.sde_experiment_defaults(o, _KINDS[kind])
    keep = [o]
    for field, value in s.fields.items():
        if isinstance(value, bytes):
            buf = ffi.new("char[]", value)
            keep.append(buf)
            setattr(o, field, buf)
        else:
            setattr(o, field, value)
    if s.user is not None:
        o.user = s.user._pb
        o.chunk = s.user.chunk
        if "threads" not in s.fields:
            o.threads = 1
        keep.append(s.user)
    lib.sdekit_py_reason_clear()
    x = lib.sde_experiment_alloc(o)
    if x == ffi.NULL:
        raise _refuse()
    return ffi.gc(x, lib.sde_experiment_free), keep


def run(kind, kw, stacklevel=3):
    """Runs an experiment of KIND ("compare", "slow", "simulate") with the
    keywords KW; see compare()."""
    s = Settings(kind, kw, Problem)
    x, keep = _experiment(s, kind)
    lib.sde_experiment_annotate(x, b"command", s.command.encode(
        "utf-8", "surrogateescape"))
    prog = "sdekit." + kind
    progress = _Progress(prog, s.progress)
    state = _Run(progress)
    handle = ffi.new_handle(state)
    r = ffi.new("sdekit_py_run *")
    r.progress = lib.sdekit_py_cb_progress if progress.on else ffi.NULL
    r.ctx = handle
    r.period = 0.25
    r.catch_sigint = 1
    user = s.user
    if user is not None:
        user._start()
    lib.sdekit_py_reason_clear()
    t0 = time.monotonic()
    try:
        st = lib.sdekit_py_run_json(x, r)
    finally:
        progress.done()
        err = user._finish() if user is not None else None
    text, _ = reason()
    doc = ""
    if r.doc != ffi.NULL:
        doc = ffi.unpack(r.doc, r.len).decode("utf-8", "replace")
        lib.sdekit_py_free(r.doc)
    if err is not None:
        # The user's function raised: that is the error to see.
        raise err
    if st == GSL_ENOMEM and not doc:
        raise MemoryError(text or "out of memory")
    stopped = st == lib.SDE_ESTOP
    res = Result(kind, doc, x, keep + [handle], r.interrupted, stopped)
    for note in res.notes:
        if note.startswith("warning: "):
            warnings.warn(note[len("warning: "):], SdekitWarning,
                          stacklevel=stacklevel)
    if st and not stopped:
        raise RunError(quote(text or "the run failed", 600), res)
    if res.interrupted:
        rows = len(res.moments) if kind == "simulate" else len(res.errors)
        sys.stderr.write("%s: interrupted after %.1f s: the %d finished rows "
                         "are kept (result.interrupted is True)\n"
                         % (prog, time.monotonic() - t0, rows))
        sys.stderr.flush()
    elif stopped:
        sys.stderr.write("%s: stopped by max_seconds; the finished rows are "
                         "kept\n" % prog)
        sys.stderr.flush()
    if s.expect is not None:
        res.expected = res.expect(s.expect, s.tolerance)
    return res


__all__ = ["run", "RunError", "SdekitWarning", "Expectation"]
