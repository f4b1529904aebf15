"""Bad arguments raise: an unknown keyword TypeError, a value the tool
refuses ValueError with the tool's own message (its stderr line without
the program's name), whether the tools' number checks or the library's
experiment refuse it; and the keywords are the tools' long options."""
import re

import pytest

from conftest import cli, sdekit
from sdekit._options import OPTIONS, OUTPUT_ONLY


def message(kind, *args):
    """The tool's one-line usage error for ARGS, after "prog: "."""
    p = cli(kind, *args, check=False)
    assert p.returncode == 2, (args, p.returncode, p.stderr)
    line = p.stderr.strip()
    assert "\n" not in line
    prog = line.split(": ", 1)[0]
    return line[len(prog) + 2:]


BAD = [
    ("compare", "methods", "sgd,sgd"),
    ("compare", "tau", "abc"),
    ("compare", "tau", "-1"),
    ("compare", "tau", "nan"),
    ("compare", "paths", "1"),
    ("compare", "paths", "1.5"),
    ("compare", "seed", "-3"),
    ("compare", "seed", "18446744073709551616"),
    ("compare", "threads", "2000"),
    ("compare", "problem", "nope"),
    ("compare", "problem", "quadratic:h=1,zz=2"),
    ("compare", "eta", "2^-3:"),
    ("compare", "engine", "fast"),
    ("compare", "loss", "x0^2 + y"),
    ("compare", "reference", "sme3"),
    ("compare", "progress", "sometimes"),
    ("compare", "expect-order", "1000"),
    ("compare", "target-ci", "0x10"),
    ("slow", "phi", "magic"),
    ("slow", "gtol", "2"),
    ("slow", "problem", "doublewell:a=-1,\x01"),
    ("simulate", "method", "sgd,sgd"),
    ("simulate", "scheme", "rk4"),
    ("simulate", "step", "0"),
    ("simulate", "rng", "nope"),
]


@pytest.mark.parametrize("kind,opt,value", BAD)
def test_value_error_is_the_tools_message(kind, opt, value):
    want = message(kind, "--%s=%s" % (opt, value))
    fn = getattr(sdekit, kind)
    with pytest.raises(ValueError) as e:
        fn(**{"progress": "never", opt.replace("-", "_"): value})
    assert str(e.value) == want


def test_python_values_are_checked_alike():
    """A Python number is the option's text: the same checks."""
    with pytest.raises(ValueError, match=r"^--tau=-1\.0: must be in "):
        sdekit.compare(tau=-1.0)
    with pytest.raises(ValueError, match=r"^--paths=1: must be in \[2, "):
        sdekit.compare(paths=1)
    with pytest.raises(ValueError, match=r"^--horizon=inf: not a number"):
        sdekit.compare(horizon=float("inf"))
    with pytest.raises(ValueError, match=r"^--methods: sgd appears twice$"):
        sdekit.compare(methods=["sgd", "sgd"])


def test_unknown_keywords_raise_type_error():
    with pytest.raises(TypeError, match="unexpected keyword argument 'etaa'"):
        sdekit.compare(etaa=0.1)
    with pytest.raises(TypeError, match="output option"):
        sdekit.compare(format="json")
    # Each kind takes its tool's options only.
    with pytest.raises(TypeError, match="'schedule'"):
        sdekit.slow(schedule="constant")
    with pytest.raises(TypeError, match="'methods'"):
        sdekit.simulate(methods="sgd")
    with pytest.raises(TypeError, match="not bool"):
        sdekit.compare(paths=True)
    with pytest.raises(TypeError):
        sdekit.compare(eta={"a": 1})


@pytest.mark.parametrize("kind", ["compare", "slow", "simulate"])
def test_keywords_are_the_long_options(kind):
    """Every long option of the tool is a keyword or an output option,
    and every keyword is an option of the tool (progress is everyone's)."""
    help_text = cli(kind, "--help").stdout
    opts = set(re.findall(r"^\s+(?:-\w, )?--([a-z0-9-]+)", help_text, re.M))
    ours = set(OPTIONS[kind])
    assert opts - set(OUTPUT_ONLY) == ours - ({"progress"} if kind ==
                                              "simulate" else set())
