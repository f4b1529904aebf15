"""The standard convergence figure with matplotlib, as the tools draw it
(tools/figure.c): |e| against eta on log-log axes per method and
observable, 95% CIs as error bars, points in the noise floor hollow, the
fitted power law of each series dashed, the theory's slope per method
dotted, and legends with the fitted order +- its SE."""
import json
import math

# The tools' colours and marks, so a figure from Python matches one from
# sde-compare --plot.
_COLORS = ("#1F77B4", "#D62728", "#2CA02C", "#FF7F0E", "#9467BD",
           "#8C564B", "#000000", "#E377C2", "#17BECF", "#7F7F7F")
_MARKS = ("o", "s", "^", "D", "p")
_FLOOR = "in the noise floor (|e| < 2 SE), not fitted"


def _document(result):
    """The JSON document of a Result, of a saved file or of its text."""
    if hasattr(result, "json") and hasattr(result, "provenance"):
        return json.loads(result.json), getattr(result, "title", "")
    if isinstance(result, dict):
        return result, ""
    text = str(result)
    if not text.lstrip().startswith("{"):
        with open(text, encoding="utf-8") as f:
            text = f.read()
    return json.loads(text), ""


def _num(v):
    return float("nan") if v is None else float(v)


def _title(doc):
    """"PROBLEM: weak error against REFERENCE" from the provenance, as
    sde-plot titles a saved table."""
    prov = doc.get("provenance", {})
    problem = prov.get("problem", "")
    ref = prov.get("reference")
    head = problem + (": " if problem else "")
    if ref is None:
        return head + "weak error"
    name = ref.split(", ")[0]
    return head + "weak error against " + (
        "the " if name.endswith("SDE") else "") + name


def _halfwidth(r):
    h = _num(r.get("ci_hi")) - _num(r.get("error"))
    if math.isfinite(h) and h >= 0:
        return h
    z, se = _num(r.get("ci_z")), _num(r.get("se"))
    return z * se if math.isfinite(z) and math.isfinite(se) and se > 0 else 0


def _drawable(r):
    e, eta = _num(r.get("error")), _num(r.get("eta"))
    return math.isfinite(e) and e != 0 and math.isfinite(eta) and eta > 0


def _order_text(fit):
    order, se = _num(fit.get("order")), _num(fit.get("se"))
    if not math.isfinite(order):
        return ""
    if math.isfinite(se):
        return ": order %.2f \u00b1 %.2f" % (order, se)
    return ": order %.2f" % order


def plot(result, path=None, title=None, ax=None):
    """Draws the convergence figure of a ``compare`` or ``slow`` result.

    |e| against eta, log-log: one colour and mark per method and
    observable, error bars the 95% CIs, points in the Monte Carlo noise
    floor hollow (and not fitted), each series' fitted power law dashed
    with its order +- SE in the legend, and for each method with a theory
    the theory's slope as a dotted line through its first point.

    Parameters
    ----------
    result : Result, or a JSON file (path) or document (text, dict)
        A run of ``compare`` or ``slow``, or a table saved with
        ``--format=json`` (``result.json`` too).
    path : str, optional
        Where to save the figure; the extension picks the format (.pdf,
        .png, .svg, ... as matplotlib writes them).
    title : str, optional
        The title (default: "PROBLEM: weak error against REFERENCE").
    ax : matplotlib Axes, optional
        Draw into these axes instead of a new figure.

    Returns the matplotlib Figure.  Raises ValueError for a result without
    an errors table (``simulate``).
    """
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    doc, own_title = _document(result)
    rows = doc.get("errors")
    if not rows:
        raise ValueError("plot: the result has no errors table (simulate "
                         "writes moments; an interrupted run may have no "
                         "row yet)")
    fits = {(f["method"], f["observable"]): f for f in doc.get("fits", [])}
    methods, observables = [], []
    for r in rows:
        if r["method"] not in methods:
            methods.append(r["method"])
        if r["observable"] not in observables:
            observables.append(r["observable"])
    no = len(observables)

    if ax is None:
        fig = Figure(figsize=(6.4, 5.2))
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    floored_any = False
    handles, labels = [], []
    for m, meth in enumerate(methods):
        for o, obs in enumerate(observables):
            k = m * no + o
            color, mark = _COLORS[k % len(_COLORS)], _MARKS[k % len(_MARKS)]
            pts = [r for r in rows if r["method"] == meth
                   and r["observable"] == obs and _drawable(r)]
            if not pts:
                continue
            fit = fits.get((meth, obs), {})
            label = "%s, %s%s" % (meth, obs, _order_text(fit))
            nfloor = sum(1 for r in pts if r.get("floor"))
            for hollow in (False, True):
                sel = [r for r in pts if bool(r.get("floor")) == hollow]
                if not sel:
                    continue
                x = [_num(r["eta"]) for r in sel]
                y = [abs(_num(r["error"])) for r in sel]
                h = [_halfwidth(r) for r in sel]
                lo = [hh if yy - hh > 1e-2 * yy else 0.99 * yy
                      for yy, hh in zip(y, h)]
                legend = not hollow or nfloor == len(pts)
                bars = ax.errorbar(x, y, yerr=[lo, h], fmt=mark,
                                   color=color, markersize=6, capsize=2,
                                   linewidth=1, markerfacecolor="white"
                                   if hollow else color)
                if legend:
                    handles.append(bars)
                    labels.append(label)
                floored_any |= hollow
            lo_eta = min(_num(r["eta"]) for r in pts)
            hi_eta = max(_num(r["eta"]) for r in pts)
            order, logc = _num(fit.get("order")), _num(fit.get("log_c"))
            if (math.isfinite(order) and math.isfinite(logc)
                    and lo_eta < hi_eta):
                ax.plot([hi_eta, lo_eta],
                        [math.exp(logc) * hi_eta ** order,
                         math.exp(logc) * lo_eta ** order],
                        "--", color=color, linewidth=1)
    # The theory's slope per method, through its first drawable point.
    for m, meth in enumerate(methods):
        pts = [r for r in rows if r["method"] == meth and _drawable(r)
               and r["observable"] in observables]
        f = next((f for (mm, _), f in fits.items() if mm == meth), {})
        p = _num(f.get("theory"))
        if not pts or not math.isfinite(p) or p == 0:
            continue
        first = pts[0]
        lo_eta = min(_num(r["eta"]) for r in pts)
        hi_eta = max(_num(r["eta"]) for r in pts)
        if not lo_eta < hi_eta:
            continue
        e0, eta0 = abs(_num(first["error"])), _num(first["eta"])
        k = m * no + observables.index(first["observable"])
        bound = f.get("theory_kind") == "bound"
        handles += ax.plot([hi_eta, lo_eta], [e0 * (hi_eta / eta0) ** p,
                                              e0 * (lo_eta / eta0) ** p],
                           ":", color=_COLORS[k % len(_COLORS)],
                           linewidth=2.5)
        labels.append("%s: slope %g%s" % (meth, p,
                                          " (a bound)" if bound else ""))
    if floored_any:
        handles.append(Line2D([], [], linestyle="none", marker="o",
                              color="black", markerfacecolor="white"))
        labels.append(_FLOOR)
    ax.set_xlabel("learning rate \u03b7")
    ax.set_ylabel("weak error |e|")
    ax.set_title(title if title is not None else (own_title or _title(doc)),
                 fontsize=10)
    ax.grid(True, which="major", alpha=0.4)
    ax.legend(handles, labels, loc="upper center", fontsize=8,
              bbox_to_anchor=(0.5, -0.14), ncol=1, frameon=False)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, bbox_inches="tight")
    return fig
