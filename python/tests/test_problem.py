"""The user's own problem: numpy functions over blocks of paths.  A numpy
double well is the catalog's bitwise; the results do not depend on the
threads; a callback quadratic agrees with the exact engine within its
CIs; constant Hessians give the exact engine; errors in the callbacks
come back as exceptions."""
import math

import numpy as np
import pytest

from conftest import assert_bitwise, sdekit


def dw_grad(x):
    """The catalog double well's gradient, x (x^2 - a), a = 1, in the
    catalog's order of operations."""
    return x * (x * x - 1)


def test_numpy_double_well_is_the_catalogs(quiet):
    """With the tools' chunk, a Problem computing what doublewell computes
    gives its table bitwise: the callbacks see the library's arrays."""
    p = sdekit.Problem(1, grad=dw_grad, x0=0.5, chunk=256, name="dw")
    kw = dict(eta="2^-2:2^-4", paths=2000, target_ci=0, engine="mc",
              **quiet)
    mine = sdekit.compare(problem=p, **kw)
    cat = sdekit.compare(problem="doublewell", **kw)
    assert_bitwise(mine.errors, cat.errors)
    assert mine.provenance["problem"] == "dw"
    assert mine.provenance["command"].startswith(
        "sde-compare '--problem=<python:dw>'")


def test_out_argument_and_views(quiet):
    """grad(x, out) may write in place; x is a read-only (d, P) view."""
    seen = []

    def grad(x, out):
        seen.append((x.shape, x.flags.writeable, out.shape, x.base is None))
        np.multiply(x, x, out=out)
        out -= 1
        out *= x

    p = sdekit.Problem(1, grad=grad, x0=0.5, name="dw")
    r = sdekit.compare(problem=p, eta="2^-2:2^-3", paths=1000, target_ci=0,
                       **quiet)
    q = sdekit.compare(problem=sdekit.Problem(1, grad=dw_grad, x0=0.5,
                                              name="dw"),
                       eta="2^-2:2^-3", paths=1000, target_ci=0, **quiet)
    assert_bitwise(r.errors, q.errors)
    shapes = {s[0] for s in seen}
    assert (1, 4096) in shapes or (1, 1000) in shapes, shapes
    assert not any(s[1] for s in seen)          # x read-only
    assert all(s[0] == s[2] for s in seen)
    assert not any(s[3] for s in seen)          # views, not copies
    assert "4096 paths per canonical chunk" in r.provenance["chunk"]


def test_threads_do_not_change_the_numbers(quiet):
    """Two threads call the function concurrently (each with the GIL):
    bitwise the one-thread table."""
    p = sdekit.Problem(2, grad=lambda x: x * (x * x - 1), x0=[0.5, -0.3],
                       factor=[[1.0, 0.0], [0.5, 0.5]], name="dw2",
                       chunk=512)
    kw = dict(eta="2^-2:2^-4", paths=4096, target_ci=0, **quiet)
    one = sdekit.compare(problem=p, threads=1, **kw)
    two = sdekit.compare(problem=p, threads=2, **kw)
    assert_bitwise(one.errors, two.errors)
    assert_bitwise(one.fits, two.fits)


def test_callback_quadratic_against_the_exact_engine(quiet):
    """SGD and SGDM on L = (x0^2 + 4 x1^2)/2 with S = I, gradient by a
    numpy callback and Monte Carlo: the exact engine's error (no sampling
    error) lies within each row's 95% CI.  The reference takes 16
    substeps, so its own error (ref_error) is far below the CIs."""
    h = np.array([[1.0], [4.0]])
    p = sdekit.Problem(2, grad=lambda x: h * x, x0=1.0, name="quad")
    kw = dict(eta="2^-2:2^-4", methods="sgd,sgdm:beta=0.5", paths=8192,
              target_ci=0, reference="sme1:scheme=weak2,substeps=16",
              **quiet)
    mc = sdekit.compare(problem=p, **kw)
    ex = sdekit.compare(problem="quadratic:h=1,4", engine="exact", **kw)
    assert mc.provenance["engine"].startswith("mc")
    assert ex.provenance["engine"].startswith("exact")
    assert len(mc.errors) == len(ex.errors) == 6
    for (_, a), (_, b) in zip(mc.errors.iterrows(), ex.errors.iterrows()):
        assert (a["eta"], a["method"]) == (b["eta"], b["method"])
        assert a["ci_lo"] <= b["error"] <= a["ci_hi"], (a, b["error"])
        assert abs(a["ref_error"]) < 0.1 * (a["ci_hi"] - a["ci_lo"])


def test_constant_hessian_gives_the_exact_engine(quiet):
    """hess and xstar constant declare the quadratic: the exact engine
    runs on the Problem and gives the catalog quadratic's numbers."""
    p = sdekit.Problem(2, grad=lambda x: np.array([[1.0], [4.0]]) * x,
                       x0=1.0, hess=np.diag([1.0, 4.0]), xstar=[0, 0],
                       name="quad")
    kw = dict(eta="2^-2:2^-6", **quiet)
    mine = sdekit.compare(problem=p, **kw)
    assert mine.provenance["engine"].startswith("exact")
    cat = sdekit.compare(problem="quadratic:h=1,4", **kw)
    assert_bitwise(mine.errors, cat.errors)


def test_factor_hessian_loss_callbacks(quiet):
    """A state-dependent noise factor (d, r, P), a Hessian (d, d, P) for
    SME-2 and a loss (P,) for the observable."""
    def factor(x):
        return np.stack([np.stack([1 + 0.1 * x[0] ** 2, 0 * x[0]]),
                         np.stack([0 * x[0], 1 + 0 * x[1]])])

    def hess(x, out):
        out[0, 0] = 3 * x[0] ** 2 - 1
        out[0, 1] = out[1, 0] = 0
        out[1, 1] = 1

    p = sdekit.Problem(2, grad=lambda x: np.stack([x[0] ** 3 - x[0], x[1]]),
                       loss=lambda x: (x[0] ** 2 - 1) ** 2 / 4 + x[1] ** 2 / 2,
                       hess=hess, factor=factor, noise_dim=2, x0=[0.5, 0.5],
                       name="nc")
    r = sdekit.compare(problem=p, eta="2^-3:2^-5", paths=2048,
                       target_ci=0, observable="loss,norm2",
                       reference="sme2", sigma=0.5, methods="sgd", **quiet)
    assert len(r.errors) == 6
    assert np.isfinite(r.errors["error"]).all()
    s = sdekit.simulate(problem=p, method="sgd", eta=0.05, paths=2048,
                        observable="loss", **quiet)
    assert len(s.moments) == 4 and np.isfinite(s.moments["mean"]).all()


def test_torch_function(quiet):
    torch = pytest.importorskip("torch")

    def grad(x):
        t = torch.from_numpy(np.array(x))
        return t * (t * t - 1)

    p = sdekit.Problem(1, grad=grad, x0=0.5, chunk=256, name="dw")
    kw = dict(eta="2^-2:2^-3", paths=1000, target_ci=0, engine="mc",
              **quiet)
    assert_bitwise(sdekit.compare(problem=p, **kw).errors,
                   sdekit.compare(problem="doublewell", **kw).errors)


def test_errors_in_callbacks_come_back(quiet):
    def bad(x):
        raise ZeroDivisionError("in the user's gradient")

    with pytest.raises(ZeroDivisionError, match="user's gradient"):
        sdekit.compare(problem=sdekit.Problem(1, grad=bad), eta="2^-2",
                       paths=300, target_ci=0, **quiet)
    with pytest.raises(ValueError, match=r"returned an array of shape \(3,\)"):
        sdekit.compare(problem=sdekit.Problem(1, grad=lambda x: np.ones(3)),
                       eta="2^-2", paths=300, target_ci=0, **quiet)
    with pytest.raises(ValueError, match="x0 must be one or 2"):
        sdekit.Problem(2, grad=dw_grad, x0=[1, 2, 3])
    with pytest.raises(ValueError, match="factor must be"):
        sdekit.Problem(2, grad=dw_grad, factor=np.ones((3, 2)))
    with pytest.raises(ValueError, match="noise must be one of"):
        sdekit.Problem(1, grad=dw_grad, noise="minibatch")
    with pytest.raises(ValueError, match="exclude each other"):
        sdekit.compare(problem=sdekit.Problem(1, grad=dw_grad),
                       loss="x0^2", **quiet)


def test_slow_with_a_python_problem(quiet):
    """The circle L = (|x|^2 - 1)^2 / 2 near its manifold of minima, in
    numpy with the catalog's order of operations (Hessian, third
    derivative and the closed-form Phi(x) = x / |x| too): with the tools'
    chunk, the slow SDE's table is the catalog circle's bitwise."""
    def r2(x):
        return x[0] * x[0] + x[1] * x[1]

    def hess(x):
        out = np.empty((2, 2, x.shape[1]))
        for i in range(2):
            for j in range(2):
                out[i, j] = (2 * (r2(x) - 1) if i == j else 0) + 4 * x[i] * x[j]
        return out

    def third(x, S):
        tr = S[0, 0] + S[1, 1]
        out = np.empty_like(x)
        for i in range(2):
            v = x[i] * tr
            for j in range(2):
                v = v + (S[i, j] + S[j, i]) * x[j]
            out[i] = 4 * v
        return out

    p = sdekit.Problem(2, grad=lambda x: 2 * (r2(x) - 1) * x, hess=hess,
                       third=third, phi=lambda x: x * (1 / np.sqrt(r2(x))),
                       factor=np.diag([1.0, 0.5]), x0=[1.0, 0.0],
                       name="circle", chunk=256)
    kw = dict(eta="2^-2", paths=256, target_ci=0, methods="sgd", **quiet)
    mine = sdekit.slow(problem=p, **kw)
    cat = sdekit.slow(problem="circle:s=1,0.25", **kw)
    assert_bitwise(mine.errors, cat.errors)
    assert math.isfinite(mine.errors["estimate"][0])
