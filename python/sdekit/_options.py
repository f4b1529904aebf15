"""Keyword arguments as the tools' long options: which options each kind
of experiment takes, how a Python value becomes the option's text, and
the tools' own checks of numbers (tools/sweep.c and tools/cli.c), with
their messages, so a value the CLI refuses is refused here in the same
words.  The other settings are checked by the library's experiment
(sde_experiment_alloc), which both share."""
import math
import numbers

from ._lib import ffi, lib, quote

# How a setting is read: a string for the library, or a number checked as
# cli_double (lo, lo_open, hi, hi_open) or cli_uint (lo, hi) check it.
STR, DOUBLE, UINT = "str", "double", "uint"
U32 = 1 << 32
U64_MAX = (1 << 64) - 1

# long option -> (the field of sde_experiment_opts, kind, range)
SETTINGS = {
    "problem": ("problem", STR, None),
    "loss": ("loss", STR, None),
    "noise-cov": ("cov", STR, None),
    "noise-factor": ("factor", STR, None),
    "x0": ("x0", STR, None),
    "noise": ("noise", STR, None),
    "tau": ("tau", DOUBLE, (0, True, 1e12, False)),
    "sigma": ("sigma", DOUBLE, (0, False, 1e12, False)),
    "methods": ("methods", STR, None),
    "method": ("methods", STR, None),
    "alpha": ("alpha", DOUBLE, (0, False, 1, False)),
    "c": ("c", DOUBLE, (0, True, 1e12, False)),
    "reference": ("reference", STR, None),
    "schedule": ("schedule", STR, None),
    "eta": ("eta", STR, None),
    "horizon": ("horizon", DOUBLE, (0, True, 1e9, False)),
    "checkpoints": ("checkpoints", STR, None),
    "times": ("checkpoints", STR, None),
    "observable": ("observables", STR, None),
    "engine": ("engine", STR, None),
    "density-grid": ("density_grid", STR, None),
    "estimator": ("estimator", STR, None),
    "paths": ("paths", UINT, (2, U32)),
    "max-paths": ("max_paths", UINT, (2, U32)),
    "pilot": ("pilot", UINT, (0, U32)),
    "target-ci": ("target_ci", DOUBLE, (0, False, 1e6, False)),
    "bound": ("bound", DOUBLE, (0, True, math.inf, False)),
    "seed": ("seed", UINT, (0, U64_MAX)),
    "threads": ("threads", UINT, (0, 1024)),
    "max-seconds": ("max_seconds", DOUBLE, (0, False, 1e9, False)),
    "phi": ("phi", STR, None),
    "gtol": ("gtol", DOUBLE, (0, True, 1, False)),
    "phi-steps": ("phi_steps", UINT, (1, U32)),
    "sde": ("sde", STR, None),
    "drift": ("drift", STR, None),
    "diffusion": ("diffusion", STR, None),
    "moments": ("moments", STR, None),
    "scheme": ("scheme", STR, None),
    "step": ("step", DOUBLE, (0, True, math.inf, False)),
    "rng": ("rng", STR, None),
}

# The tools' own settings that Python keeps: progress on stderr and
# --expect-order with its tolerance.
TOOL = {
    "progress": None,
    "expect-order": (-100, False, 100, False),
    "tolerance": (0, False, 100, False),
}

_SWEEP = ("problem", "loss", "noise-cov", "noise-factor", "x0", "noise",
          "sigma", "methods", "alpha", "c", "reference", "eta", "horizon",
          "checkpoints", "observable", "paths", "target-ci", "pilot",
          "max-paths", "estimator", "bound", "seed", "threads",
          "max-seconds", "progress", "expect-order", "tolerance")

# The long options of each tool that are settings, in --help's order
# where it matters little: a test checks these against the tools' --help.
OPTIONS = {
    "compare": _SWEEP + ("tau", "schedule", "engine", "density-grid"),
    "slow": _SWEEP + ("engine", "phi", "gtol", "phi-steps"),
    "simulate": ("sde", "drift", "diffusion", "stratonovich", "moments",
                 "scheme", "step", "problem", "loss", "noise-cov",
                 "noise-factor", "method", "eta", "noise", "sigma", "tau",
                 "schedule", "x0", "observable", "horizon", "times",
                 "paths", "bound", "seed", "rng", "threads", "progress"),
}

# The tools' options that write files or print lists: not keywords (a
# result has its tables, .json and sdekit.plot).
OUTPUT_ONLY = ("format", "output", "fits", "wide", "columns", "standalone",
               "plot", "plot-script", "list-problems", "list-methods",
               "list-schemes", "list-sdes", "help", "version")

TOOLS = {"compare": "sde-compare", "slow": "sde-slow", "simulate": "sde-sim"}


def keyword(option):
    """The keyword of a long option: dashes become underscores."""
    return option.replace("-", "_")


def _cli_message(text):
    """A message as cli_die prints it after "prog: " (one line, at most
    600 characters shown)."""
    return quote(text, 600)


def _q(text):
    """sde_q: a value inside a message."""
    return quote(text, 80)


def text_of(value):
    """A keyword's value as the option's text: a string as it is, a number
    in its shortest round-trip form (0.1, 1e-05, 7), a list or tuple (or
    a 1-D array) of those joined by commas."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise TypeError("a string, a number or a list of them, not bool")
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))
    if hasattr(value, "tolist") and not isinstance(value, (list, tuple)):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return ",".join(text_of(v) for v in value)
    raise TypeError("a string, a number or a list of them, not %s"
                    % type(value).__name__)


def _fmt_g(v):
    return "%g" % v


def parse_double(opt, s, rng):
    """cli_double: the whole string a finite number in the range."""
    lo, lo_open, hi, hi_open = rng
    v = ffi.new("double *")
    if "\0" in s or lib.sde_parse_double(s.encode("utf-8", "surrogateescape"),
                                         v):
        raise ValueError(_cli_message(
            "--%s=%s: not a number (write 0.5, 1e-3 or 2^-5; no hex, inf "
            "or nan)" % (opt, _q(s))))
    x = v[0]
    if x < lo or (lo_open and x == lo) or x > hi or (hi_open and x == hi):
        raise ValueError(_cli_message("--%s=%s: must be in %s%s, %s%s" % (
            opt, _q(s), "(" if lo_open else "[", _fmt_g(lo), _fmt_g(hi),
            ")" if hi_open else "]")))
    return x


def parse_uint(opt, s, rng):
    """cli_uint: plain digits exactly, else an integral number."""
    lo, hi = rng
    n = len(s) - len(s.lstrip("0123456789"))
    v = None
    if n > 0 and n == len(s) and s.isascii():
        v = int(s)
        if v > U64_MAX:
            v = None
    if v is None:
        d = ffi.new("double *")
        if ("\0" not in s
                and lib.sde_parse_double(
                    s.encode("utf-8", "surrogateescape"), d) == 0
                and d[0] >= 0 and d[0] == math.floor(d[0]) and d[0] < 1.8e19):
            v = int(d[0])
        else:
            raise ValueError(_cli_message(
                "--%s=%s: not a non-negative integer" % (opt, _q(s))))
    if v < lo or v > hi:
        raise ValueError(_cli_message("--%s=%s: must be in [%d, %d]"
                                      % (opt, _q(s), lo, hi)))
    return v


def _shell_word(arg):
    """ARG quoted for a POSIX shell as the tools' provenance quotes it."""
    plain = arg != "" and all(
        ch in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
        "0123456789-_=.,:/+^%@" for ch in arg)
    return arg if plain else "'" + arg.replace("'", "'\\''") + "'"


class Settings:
    """The parsed keywords of one call: the experiment's fields (strings
    as bytes, numbers checked), the caller's problem, the tools' own
    settings, and the equivalent command line."""

    def __init__(self, kind, kw, problem_type):
        self.kind = kind
        self.fields = {}
        self.user = None
        self.progress = "auto"
        self.expect = None
        self.tolerance = 0.1
        allowed = {keyword(o): o for o in OPTIONS[kind]}
        for name in kw:
            if name not in allowed:
                raise TypeError(self._unknown(name))
        words = [TOOLS[kind]]
        for name, value in kw.items():
            if value is None:
                continue
            opt = allowed[name]
            if opt == "problem" and isinstance(value, problem_type):
                self.user = value
                words.append("--problem=<python:%s>" % value.name)
                continue
            if opt == "stratonovich":  # a flag: True or False
                if not isinstance(value, bool):
                    raise TypeError("%s(): stratonovich=: want True or False, "
                                    "not %s" % (kind, type(value).__name__))
                if value:
                    words.append("--stratonovich")
                    self.fields["form"] = b"stratonovich"
                continue
            try:
                if opt == "progress" and isinstance(value, bool):
                    value = "always" if value else "never"
                s = text_of(value)
            except TypeError as e:
                raise TypeError("%s(): %s=: %s" % (kind, name, e)) from None
            if "\0" in s:
                raise ValueError(_cli_message(
                    "--%s: the value contains a NUL character" % opt))
            if opt != "progress":  # not a setting: no part of the run
                words.append("--%s=%s" % (opt, s))
            if opt == "progress":
                if s not in ("auto", "always", "never"):
                    raise ValueError(_cli_message(
                        "--progress=%s: use auto, always or never" % _q(s)))
                self.progress = s
            elif opt == "expect-order":
                self.expect = parse_double(opt, s, TOOL[opt])
            elif opt == "tolerance":
                self.tolerance = parse_double(opt, s, TOOL[opt])
            else:
                field, how, rng = SETTINGS[opt]
                if how == DOUBLE:
                    self.fields[field] = parse_double(opt, s, rng)
                elif how == UINT:
                    self.fields[field] = parse_uint(opt, s, rng)
                else:
                    self.fields[field] = s.encode("utf-8", "surrogateescape")
        self.command = " ".join(_shell_word(w) for w in words)

    def _unknown(self, name):
        opt = name.replace("_", "-")
        msg = "%s() got an unexpected keyword argument %r" % (self.kind, name)
        if opt in OUTPUT_ONLY:
            msg += (" (--%s is an output option of %s: a result holds its "
                    "tables, .json and sdekit.plot)" % (opt, TOOLS[self.kind]))
        return msg
