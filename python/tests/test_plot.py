"""sdekit.plot draws the standard figure with matplotlib: from a result,
from a saved JSON table (the tools' own), into PDF, PNG and SVG; a
result without an errors table is refused."""
import pytest

from conftest import cli, sdekit

RUN = dict(eta="2^-2:2^-5", methods="sgd,sgdm:beta=0.5", paths=1000,
           target_ci=0, progress="never")


def test_plot_result(tmp_path):
    r = sdekit.compare(**RUN)
    fig = sdekit.plot(r, str(tmp_path / "f.pdf"))
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    # a series per method with its order +- SE, a theory slope per method
    assert any(l.startswith("sgd, norm2: order") and "\u00b1" in l
               for l in labels), labels
    assert "sgd: slope 1" in labels
    assert "sgdm:beta=0.5: slope 0.5 (a bound)" in labels
    assert ax.get_title().startswith("doublewell")
    with open(tmp_path / "f.pdf", "rb") as f:
        assert f.read(5) == b"%PDF-"
    sdekit.plot(r, str(tmp_path / "f.svg"))
    assert (tmp_path / "f.svg").read_text().lstrip().startswith("<?xml")


def test_plot_saved_json(tmp_path):
    """A table saved by the tool (or result.json) draws the same series."""
    out = tmp_path / "t.json"
    args = ["--%s=%s" % (k.replace("_", "-"), v) for k, v in RUN.items()
            if k != "progress"]
    out.write_text(cli("compare", *args, "--format=json").stdout)
    fig = sdekit.plot(str(out), str(tmp_path / "t.png"), title="saved")
    assert fig.axes[0].get_title() == "saved"
    with open(tmp_path / "t.png", "rb") as f:
        assert f.read(4) == b"\x89PNG"


def test_plot_floor_points_hollow():
    r = sdekit.compare(problem="quadratic:h=1", eta="2^-4:2^-11",
                       methods="sgd,sgdm:beta=0.5", paths=200, target_ci=0,
                       engine="mc", progress="never")
    assert r.errors["floor"].any()
    labels = [t.get_text()
              for t in sdekit.plot(r).axes[0].get_legend().get_texts()]
    assert labels[-1].startswith("in the noise floor")


def test_plot_refuses_moments():
    s = sdekit.simulate(sde="ou", paths=1000, progress="never")
    with pytest.raises(ValueError, match="no errors table"):
        sdekit.plot(s)
