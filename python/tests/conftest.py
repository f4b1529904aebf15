"""Shared helpers of the package's tests: the tools of the build tree,
their JSON, and bitwise comparisons of tables.

The tests run from `make check` (tests/cli/python.sh), which puts the
build tree's package first on PYTHONPATH and names the tools' folder in
SDEKIT_TOOLS."""
import json
import os
import subprocess

import numpy as np
import pandas as pd
import pytest

import sdekit

TOOLS = os.environ.get("SDEKIT_TOOLS", "")
CLI = {"compare": "sde-compare", "slow": "sde-slow", "simulate": "sde-sim"}


def tool(kind):
    path = os.path.join(TOOLS, CLI[kind])
    if not os.access(path, os.X_OK):
        pytest.fail("no %s in SDEKIT_TOOLS=%r (run the tests with make check)"
                    % (CLI[kind], TOOLS))
    return path


def cli(kind, *args, check=True):
    """Runs the tool with ARGS; its CompletedProcess (text)."""
    p = subprocess.run([tool(kind)] + list(args), capture_output=True,
                       text=True, timeout=300)
    if check and p.returncode != 0:
        pytest.fail("%s %s: status %d: %s" % (CLI[kind], " ".join(args),
                                               p.returncode, p.stderr))
    return p


def cli_json(kind, *args):
    """The tool's --format=json document for ARGS, parsed, with
    --format=json (the last option) left out of its command line."""
    doc = json.loads(cli(kind, *args, "--format=json").stdout)
    cmd = doc["provenance"]["command"]
    if cmd.endswith(" --format=json"):
        doc["provenance"]["command"] = cmd[:-len(" --format=json")]
    return doc


def frame(records):
    """A table of a JSON document as the schema's page reads it."""
    return pd.DataFrame(records)


def assert_bitwise(got, want, skip=("seconds",)):
    """Two tables with the same columns, rows and bits: doubles compared
    as integers (so -0.0 and 0.0 differ, and NaN equals NaN)."""
    assert list(got.columns) == list(want.columns)
    assert len(got) == len(want)
    for c in got.columns:
        if c in skip:
            continue
        x, y = _values(got[c]), _values(want[c])
        if isinstance(x, list) or isinstance(y, list):
            assert x == y, c
        else:
            assert np.array_equal(x.view(np.int64), y.view(np.int64)), (
                c, x.tolist(), y.tolist())


def _values(col):
    """A column as float64 when it is numbers (null as NaN), else a list."""
    vals = col.tolist()
    if all(v is None or (isinstance(v, (int, float, np.number))
                         and not isinstance(v, (bool, np.bool_)))
           for v in vals):
        return np.array([np.nan if v is None else v for v in vals],
                        dtype=np.float64)
    return vals


@pytest.fixture
def quiet():
    """Keywords every test run takes: no progress line."""
    return {"progress": "never"}


__all__ = ["sdekit", "cli", "cli_json", "frame", "assert_bitwise"]
