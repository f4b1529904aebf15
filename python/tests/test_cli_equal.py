"""The numbers of sdekit.compare, slow and simulate are bitwise those of
the tools' --format=json for the same options and seed: keywords as
strings in the tools' syntax, as Python numbers and lists; every engine
and each kind of experiment."""
import re

import pytest

from conftest import assert_bitwise, cli, cli_json, frame, sdekit

SMALL = ("--eta=2^-2:2^-5", "--paths=2000", "--target-ci=0", "--seed=3")


def kwargs(args):
    """The keywords of long options ("--target-ci=0" -> target_ci="0")."""
    kw = {}
    for a in args:
        k, v = a[2:].split("=", 1)
        kw[k.replace("-", "_")] = v
    return kw


def same(res, doc, tables=("errors", "fits")):
    for t in tables:
        assert_bitwise(res.tables[t], frame(doc[t]))
    assert res.notes == doc["notes"]
    assert [(v.passed, v.text) for v in res.verdicts] == [
        (v["pass"], v["text"]) for v in doc["verdicts"]]


@pytest.mark.parametrize("args", [
    SMALL,
    # the exact engine: no path counts (null), every bit of its algebra
    ("--problem=quadratic:h=1,4", "--eta=2^-2:2^-8"),
    # a CI target, SVAG, another reference and observable
    ("--methods=sgd,svag:l=2,sgd", "--eta=2^-2:2^-4", "--paths=1500",
     "--target-ci=0.3", "--observable=x0,norm2", "--seed=11"),
    ("--loss=(x0^2 - 1)^2/4 + x1^2", "--noise-cov=diag(1, 0.5)",
     "--x0=0.5,1", "--eta=2^-2:2^-4", "--paths=1024", "--target-ci=0",
     "--reference=sme1:scheme=em,substeps=8"),
])
def test_compare_equals_cli(args, quiet):
    doc = cli_json("compare", *args)
    res = sdekit.compare(**kwargs(args), **quiet)
    same(res, doc)
    # The provenance too: the command line is the tool's for these
    # keywords, so the whole record is the same.
    assert res.provenance == doc["provenance"]
    assert not res.interrupted and not res.stopped and not res.failed


def test_json_text_is_the_tools(quiet):
    """The document itself, but for the per-eta timings."""
    text = cli("compare", *SMALL, "--format=json").stdout
    res = sdekit.compare(**kwargs(SMALL), **quiet)
    strip = re.compile(r'"seconds": [-+0-9.e]+| --format=json')
    assert strip.sub("", res.json) == strip.sub("", text)


def test_python_numbers(quiet):
    """Python numbers and lists are the tools' numbers: floats in their
    shortest round-trip form, integers, lists joined by commas."""
    doc = cli_json("compare", "--eta=0.25,0.125,0.0625", "--tau=0.3",
                   "--paths=1536", "--target-ci=0", "--seed=12345678901",
                   "--x0=0.7", "--methods=sgd,sgdm:beta=0.5",
                   "--horizon=1.5", "--bound=1e3")
    res = sdekit.compare(eta=[0.25, 0.125, 0.0625], tau=0.3, paths=1536.0,
                         target_ci=0, seed=12345678901, x0=[0.7],
                         methods=["sgd", "sgdm:beta=0.5"], horizon=1.5,
                         bound=1e3, **quiet)
    same(res, doc)


def test_numbers_in_the_tools_syntax(quiet):
    """Strings in the tools' syntax: powers of two and exponents."""
    doc = cli_json("compare", "--eta=2^-2,2^-3", "--paths=2^11",
                   "--target-ci=0", "--tau=5e-1", "--seed=7")
    res = sdekit.compare(eta="2^-2,2^-3", paths="2^11", target_ci="0",
                         tau="5e-1", seed="7", **quiet)
    same(res, doc)


def test_slow_equals_cli(quiet):
    args = ("--eta=2^-2:2^-3", "--paths=1024", "--target-ci=0",
            "--methods=sgd")
    doc = cli_json("slow", *args)
    res = sdekit.slow(**kwargs(args), **quiet)
    same(res, doc)
    assert res.provenance == doc["provenance"]


@pytest.mark.parametrize("args", [
    ("--sde=ou", "--scheme=weak2", "--step=0.05", "--paths=5000"),
    ("--problem=nonconvex2d", "--method=sgd,sgdm:beta=0.9", "--eta=0.05",
     "--paths=3000", "--observable=loss,x1", "--times=every"),
    ("--drift=-x0, x0 - x1", "--diffusion=diag(0.5, 0.5*x1)", "--x0=1,0",
     "--scheme=milstein", "--paths=2000", "--observable=x0,expr:x0*x1"),
])
def test_simulate_equals_cli(args, quiet):
    doc = cli_json("simulate", *args)
    res = sdekit.simulate(**kwargs(args), **quiet)
    same(res, doc, tables=("moments",))
    assert res.provenance == doc["provenance"]
    assert len(res.errors) == 0 and len(res.fits) == 0


def test_simulate_stratonovich_equals_cli(quiet):
    """The flag: stratonovich=True is --stratonovich."""
    args = ("--drift=0", "--diffusion=x0", "--x0=1", "--paths=2000",
            "--moments=x0: exp(t/2)")
    doc = cli_json("simulate", *args, "--stratonovich")
    res = sdekit.simulate(**kwargs(args), stratonovich=True, **quiet)
    same(res, doc, tables=("moments",))
    assert res.provenance == doc["provenance"]
    with pytest.raises(TypeError):
        sdekit.simulate(**kwargs(args), stratonovich="yes", **quiet)


def test_numeric_columns(quiet):
    """Numbers are numeric columns, flags booleans, lists lists."""
    res = sdekit.compare(**kwargs(SMALL), **quiet)
    e, f = res.errors, res.fits
    for c in ("eta", "error", "se", "ci_lo", "ci_hi", "grid_error"):
        assert e[c].dtype.kind == "f", c
    assert e["N"].dtype.kind == "i" and e["floor"].dtype.kind == "b"
    assert f["order"].dtype.kind == "f"
    assert isinstance(f["local_slopes"][0], list)
    exact = sdekit.compare(problem="quadratic:h=1", eta="2^-2:2^-4", **quiet)
    assert exact.errors["N"].dtype.kind == "f"  # null: no paths
