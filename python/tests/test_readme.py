"""The README's Python section runs as written, and doc/example.py prints
the main table and saves its figure."""
import os
import re
import subprocess
import sys

import pytest

SRC = os.environ.get("top_srcdir") or os.path.join(
    os.path.dirname(__file__), "..", "..")


def blocks():
    with open(os.path.join(SRC, "README.md"), encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"^## Python\n(.*?)(?=^## )", text, re.S | re.M)
    assert m, "README.md has no '## Python' section"
    return re.findall(r"```python\n(.*?)```", m.group(1), re.S)


def test_readme_has_examples():
    assert len(blocks()) >= 2


@pytest.mark.parametrize("i", range(2))
def test_readme_example_runs(i, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = blocks()[i]
    exec(compile(code, "README.md python block %d" % i, "exec"), {})
    if "sgd.pdf" in code:
        with open(tmp_path / "sgd.pdf", "rb") as f:
            assert f.read(5) == b"%PDF-"


def test_doc_example(tmp_path):
    fig = tmp_path / "main.png"
    p = subprocess.run([sys.executable, os.path.join(SRC, "doc",
                                                     "example.py"),
                        str(fig)], capture_output=True, text=True,
                       env=os.environ, cwd=tmp_path, timeout=300)
    assert p.returncode == 0, p.stderr
    assert "# command: sde-compare" in p.stdout
    rows = [l for l in p.stdout.splitlines() if l.startswith("0.")]
    assert len(rows) == 14  # 7 etas, SGD and SGDM
    assert "# pass: sgd vs SME-1" in p.stdout
    with open(fig, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
