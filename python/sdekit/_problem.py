"""A problem whose gradient (and Hessian, noise factor, loss, ...) are
Python functions over blocks of paths, as the library's struct
sde_problem holds them (sdekit/problem.h): the callbacks receive numpy
views of the library's own arrays, coordinate-major, without a copy."""
import inspect
import threading

import numpy as np

from ._lib import ffi, lib

_LAWS = ("gaussian", "rademacher", "student", "none")


def _to_numpy(r):
    """A callback's result as something numpy can assign from: a PyTorch
    tensor is detached and moved to the CPU first."""
    if hasattr(r, "detach") and hasattr(r, "cpu"):
        return r.detach().cpu().numpy()
    return r


def _wants_out(fn):
    """Whether FN takes an ``out`` argument to write into."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "out" in params


def _callback(prob, fn, role, d, shape_out, with_s=False):
    """The function the trampoline of ROLE calls: numpy views of x
    (read-only), S and out, cached by address (the engine's buffers stay
    put from step to step), the user's FN, the copy of what it returns,
    and an exception kept for the caller (the status tells the library
    to stop)."""
    if not callable(fn):
        raise TypeError("Problem: %s must be callable" % role)
    out_arg = _wants_out(fn)
    xcache, ocache, scache = {}, {}, {}
    caches = (xcache, ocache, scache)
    failed = lib.SDEKIT_PY_ECALLBACK
    ndarray = np.ndarray

    def view(cache, ptr, shape, readonly):
        n = 1
        for k in shape:
            n *= k
        v = np.frombuffer(ffi.buffer(ptr, 8 * n), dtype=np.float64)
        v = v.reshape(shape)
        if readonly:
            v.flags.writeable = False
        cache[ptr] = v
        return v

    def call(P, x, out, S=None):
        try:
            xv = xcache.get(x)
            if xv is None or xv.shape[1] != P:
                xv = view(xcache, x, (d, P), True)
            ov = ocache.get(out)
            if ov is None or ov.shape[-1] != P:
                ov = view(ocache, out, shape_out + (P,), False)
            if with_s:
                sv = scache.get(S)
                if sv is None or sv.shape[-1] != P:
                    sv = view(scache, S, (d, d, P), True)
                args = (xv, sv)
            else:
                args = (xv,)
            if out_arg:
                r = fn(*args, out=ov)
                if r is None or r is ov:
                    return 0
            else:
                r = fn(*args)
            if type(r) is not ndarray:
                r = _to_numpy(r)
            try:
                ov[...] = r
            except ValueError:
                raise ValueError(
                    "Problem.%s returned an array of shape %s where %s (or "
                    "one that broadcasts to it) is wanted"
                    % (role, tuple(getattr(r, "shape", ())), ov.shape)
                ) from None
            return 0
        except BaseException as e:  # noqa: B902 (KeyboardInterrupt too)
            prob._failed(e)
            return failed

    call.caches = caches
    return call


def _matrix(value, rows, name):
    """A constant matrix of ROWS rows (a scalar s is s I)."""
    a = np.asarray(value, dtype=np.float64)
    if a.ndim == 0:
        a = float(a) * np.eye(rows)
    if a.ndim == 1 and rows == 1:
        a = a.reshape(1, -1)
    if a.ndim != 2 or a.shape[0] != rows:
        raise ValueError("Problem: %s must be a scalar or a matrix with %d "
                         "rows, not shape %s" % (name, rows, a.shape))
    if not np.all(np.isfinite(a)):
        raise ValueError("Problem: %s has entries that are not finite"
                         % name)
    return np.ascontiguousarray(a)


class Problem:
    """An optimization problem with the user's own gradient, for
    ``sdekit.compare(problem=Problem(...))`` (and ``slow``, ``simulate``).

    The library simulates blocks of P paths (P = 256, fewer in a last
    block) and calls each function once per block and step with ``x``, a
    read-only numpy array of shape (d, P): coordinate i of path p is
    ``x[i, p]``.  It is a view of the library's memory, valid during the
    call only (copy it to keep it).  Functions return an array of the
    output's shape (or one that broadcasts to it; a CPU PyTorch tensor is
    taken too), or, when they have an ``out`` parameter, may write into
    ``out`` and return None:

    =========  =============================  ==========================
    function   returns                        needed by
    =========  =============================  ==========================
    grad(x)    gradient, (d, P)               everything
    loss(x)    L(x), (P,)                     the observable ``loss``
    hess(x)    Hessian, (d, d, P)             SME-2, the slow SDE, trace
                                              (else finite differences)
    factor(x)  noise factor S(x), (d, r, P)   noise, SME-1 and the rest
    third(x,S) sum_jk d3L/dxi dxj dxk S_jk,   the slow SDE (else finite
               (d, P); S is (d, d, P)         differences of hess)
    phi(x)     closed-form limit of the       the slow SDE (else the
               gradient flow, (d, P)          gradient flow)
    =========  =============================  ==========================

    The noisy gradient is g = grad L(x) + sigma S(x) z with z of the law
    ``noise`` ("gaussian", "rademacher", "student" or "none"; the
    experiment's ``noise=`` may override it) and sigma set by the
    experiment's scaling (tau or sigma).  ``factor`` may be a constant
    instead: a scalar s (S = s I), or a d x r matrix; the default is the
    identity.  ``hess`` may be a constant d x d matrix; with ``xstar``
    too it declares the loss quadratic, L = (x - x*)^T H (x - x*) / 2, so
    the exact engine applies (and the gradient is then not called).

    Blocks: a call costs a few microseconds whatever its size, so a
    Problem runs in blocks (the library's canonical chunks) of ``chunk``
    paths: by default the largest power of two up to 4096 with chunk x d
    <= 65536 (at least 256).  Paths are counted in chunks (a CI target
    adds whole chunks), and the numbers depend on the chunk, which the
    provenance states when it is not the tools' 256: with ``chunk=256`` a
    Problem that computes what a catalog problem computes gives the
    catalog problem's numbers bitwise.

    Threads: a run with a Problem takes one thread unless ``threads=`` is
    given, because the functions hold the GIL; the library's threads call
    them concurrently, each holding the GIL in turn (worth it when they
    release it, as large BLAS or PyTorch operations do).  Each call sees
    its own block, so the results are the same at any thread count as
    long as the functions are pure (no state kept between calls).
    Exceptions raised inside stop the run and are raised again by the
    call that ran it.

    Parameters
    ----------
    dim : int
        d, the number of coordinates.
    grad : callable
        grad(x) -> (d, P) array, or grad(x, out).
    x0 : float or sequence of d floats
        The default start (the experiment's ``x0=`` overrides it).
    factor : None, float, (d, r) array or callable
        The noise factor S(x); callable: factor(x) -> (d, r, P).
    noise_dim : int
        r, the columns of a callable factor (default d).
    noise : str
        The noise law.
    loss, hess, third, phi : callable, optional
        As in the table; ``hess`` may be a constant matrix.
    xstar : sequence of d floats, optional
        The minimizer of a quadratic loss with constant ``hess``.
    name : str
        The problem's name in the provenance and the figure.
    chunk : int, optional
        Paths per call (see Blocks), at most 65536.
    """

    def __init__(self, dim, grad, x0=0.0, factor=None, noise="gaussian",
                 loss=None, hess=None, third=None, phi=None,
                 noise_dim=None, xstar=None, name="python", chunk=None):
        if isinstance(dim, bool) or int(dim) != dim or not 1 <= dim <= 4096:
            raise ValueError("Problem: dim must be an integer in [1, 4096]")
        d = self.dim = int(dim)
        self.name = str(name)
        if chunk is None:
            chunk = 4096
            while chunk > 256 and chunk * d > 65536:
                chunk //= 2
        if isinstance(chunk, bool) or int(chunk) != chunk or not (
                1 <= chunk <= 65536):
            raise ValueError("Problem: chunk must be an integer in [1, "
                             "65536]")
        self.chunk = int(chunk)
        if noise not in _LAWS:
            raise ValueError("Problem: noise must be one of %s, not %r"
                             % (", ".join(_LAWS), noise))
        self._c = ffi.new("sdekit_py_problem *")
        pb = self._pb = ffi.addressof(self._c, "pb")
        self._keep = []
        self._error = None
        self._lock = threading.Lock()

        self._name = ffi.new("char[]", self.name.encode("utf-8"))
        pb.name = self._name
        pb.dim = d
        x = np.asarray(x0, dtype=np.float64).ravel()
        if x.size == 1:
            x = np.full(d, float(x[0]))
        if x.size != d or not np.all(np.isfinite(x)):
            raise ValueError("Problem: x0 must be one or %d finite numbers"
                             % d)
        self.x0 = x
        pb.x0 = self._doubles(x)
        pb.law = lib.sde_oracle_law_find(noise.encode())

        self._cb = {}
        self._set("grad", grad, (d,), lib.sdekit_py_cb_grad)
        if loss is not None:
            self._set("loss", loss, (), lib.sdekit_py_cb_loss)
        if phi is not None:
            self._set("phi", phi, (d,), lib.sdekit_py_cb_phi)
        if third is not None:
            self._set("third", third, (d,), lib.sdekit_py_cb_third)

        if callable(factor):
            r = d if noise_dim is None else int(noise_dim)
            if r < 1:
                raise ValueError("Problem: noise_dim must be at least 1")
            pb.noise_dim = r
            self._set("factor", factor, (d, r), lib.sdekit_py_cb_factor)
        else:
            if noise_dim is not None:
                raise ValueError("Problem: noise_dim is for a callable "
                                 "factor (a matrix has its columns)")
            S = _matrix(1.0 if factor is None else factor, d, "factor")
            pb.noise_dim = S.shape[1]
            pb.factor_const = self._doubles(S)
            pb.factor = ffi.addressof(lib, "sdekit_py_factor_const")
        self.noise_dim = int(pb.noise_dim)

        if callable(hess):
            if xstar is not None:
                raise ValueError("Problem: xstar goes with a constant hess")
            self._set("hess", hess, (d, d), lib.sdekit_py_cb_hess)
        elif hess is not None:
            H = _matrix(hess, d, "hess")
            if H.shape != (d, d):
                raise ValueError("Problem: hess must be %d x %d" % (d, d))
            self._c.hess = self._doubles(H)
            pb.hess = ffi.addressof(lib, "sdekit_py_hess_const")
            if xstar is not None:
                xs = np.asarray(xstar, dtype=np.float64).ravel()
                if xs.size != d or not np.all(np.isfinite(xs)):
                    raise ValueError("Problem: xstar must be %d finite "
                                     "numbers" % d)
                pb.hess_const = self._c.hess
                pb.xstar = self._doubles(xs)
        elif xstar is not None:
            raise ValueError("Problem: xstar goes with a constant hess")

        self._handle = ffi.new_handle(self)
        pb.params = self._handle

    def _doubles(self, a):
        buf = ffi.new("double[]", [float(v) for v in np.ravel(a)])
        self._keep.append(buf)
        return buf

    def _set(self, role, fn, shape_out, trampoline):
        self._cb[role] = _callback(self, fn, role, self.dim, shape_out,
                                   role == "third")
        setattr(self._pb, role, trampoline)

    def __repr__(self):
        return "sdekit.Problem(%r, dim=%d, noise_dim=%d, chunk=%d: %s)" % (
            self.name, self.dim, self.noise_dim, self.chunk,
            ", ".join(sorted(self._cb)))

    # ---- for the runs ----

    def _start(self):
        self._error = None

    def _finish(self):
        for cb in self._cb.values():
            for cache in cb.caches:
                cache.clear()
        err, self._error = self._error, None
        return err

    def _failed(self, exc):
        with self._lock:
            if self._error is None:
                self._error = exc


@ffi.def_extern(error=lib.SDEKIT_PY_ECALLBACK)
def sdekit_py_cb_grad(pb, P, x, out, work):
    return ffi.from_handle(pb.params)._cb["grad"](P, x, out)


@ffi.def_extern(error=lib.SDEKIT_PY_ECALLBACK)
def sdekit_py_cb_loss(pb, P, x, out, work):
    return ffi.from_handle(pb.params)._cb["loss"](P, x, out)


@ffi.def_extern(error=lib.SDEKIT_PY_ECALLBACK)
def sdekit_py_cb_hess(pb, P, x, out, work):
    return ffi.from_handle(pb.params)._cb["hess"](P, x, out)


@ffi.def_extern(error=lib.SDEKIT_PY_ECALLBACK)
def sdekit_py_cb_factor(pb, P, x, out, work):
    return ffi.from_handle(pb.params)._cb["factor"](P, x, out)


@ffi.def_extern(error=lib.SDEKIT_PY_ECALLBACK)
def sdekit_py_cb_phi(pb, P, x, out, work):
    return ffi.from_handle(pb.params)._cb["phi"](P, x, out)


@ffi.def_extern(error=lib.SDEKIT_PY_ECALLBACK)
def sdekit_py_cb_third(pb, P, x, S, out, work):
    return ffi.from_handle(pb.params)._cb["third"](P, x, out, S)
