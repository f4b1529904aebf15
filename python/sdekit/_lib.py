"""The compiled part of the package: cffi's ffi and lib (the module
_sdekit_cffi, made at build time from python/build_cffi.py), with GSL's
error handler replaced at import by one that keeps the library's reason
instead of aborting the process."""
from ._sdekit_cffi import ffi, lib

lib.sdekit_py_init()

#: GSL's status for an allocation that failed (gsl_errno.h).
GSL_ENOMEM = 8


def reason():
    """The library's last one-line reason and its GSL status."""
    code = ffi.new("int *")
    text = ffi.string(lib.sdekit_py_reason(code)).decode("utf-8", "replace")
    return text, code[0]


def quote(text, limit):
    """TEXT as the tools print it in a message (sde_quote): control
    characters escaped, at most LIMIT characters then "..."."""
    raw = text.encode("utf-8", "surrogateescape")
    buf = ffi.new("char[]", 4 * len(raw) + 16)
    lib.sde_quote(buf, len(buf), raw, limit)
    return ffi.string(buf).decode("utf-8", "replace")


def shortest(value):
    """VALUE in the shortest %g form that reads back to the same double."""
    buf = ffi.new("char[]", 40)
    lib.sde_shortest(buf, len(buf), value)
    return ffi.string(buf).decode()
