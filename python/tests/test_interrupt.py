"""Ctrl-C: SIGINT to a Python process running a long compare stops the
run at the next batch of paths; the call returns the finished rows with
result.interrupted set.  A second SIGINT reaches Python at once: a
function stuck in a Problem's gradient is interrupted by
KeyboardInterrupt."""
import json
import os
import re
import signal
import subprocess
import sys
import time

LONG = r"""
import json, sdekit
r = sdekit.compare(eta="2^-2:2^-16", paths=20000, target_ci=0,
                   methods="sgd", engine="mc", threads=1, progress="always")
print(json.dumps({"interrupted": r.interrupted, "stopped": r.stopped,
                  "etas": sorted(set(r.errors.eta)), "rows": len(r.errors),
                  "fits": len(r.fits), "notes": r.notes}))
"""

STUCK = r"""
import sys, sdekit
def grad(x):
    sys.stderr.write("spinning\n"); sys.stderr.flush()
    while True:
        pass
p = sdekit.Problem(1, grad=grad)
try:
    sdekit.compare(problem=p, eta="2^-2", paths=300, target_ci=0,
                   progress="never")
except KeyboardInterrupt:
    print("KeyboardInterrupt")
"""


def start(code):
    return subprocess.Popen([sys.executable, "-c", code], env=os.environ,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def test_sigint_keeps_the_finished_rows():
    p = start(LONG)
    done = 0
    t0 = time.monotonic()
    # Progress lines name the eta being run: wait until two are finished.
    for line in p.stderr:
        m = re.search(r": eta \S+ \((\d+) of (\d+)\)", line)
        if m and int(m.group(1)) >= 3:
            done = int(m.group(1)) - 1
            break
        assert time.monotonic() - t0 < 240, "no progress"
    assert done >= 2, "the run ended before it could be interrupted"
    p.send_signal(signal.SIGINT)
    t1 = time.monotonic()
    out, err = p.communicate(timeout=120)
    stopped_in = time.monotonic() - t1
    assert p.returncode == 0, err
    r = json.loads(out)
    assert r["interrupted"] and r["stopped"]
    assert r["rows"] >= done and len(r["etas"]) == r["rows"]
    assert r["etas"][-1] == 0.25  # the largest eta runs first
    assert r["fits"] == 1
    assert any("run stopped on request" in n for n in r["notes"])
    assert "interrupted after" in err and "finished rows are kept" in err
    # The stop comes at the next piece of a batch, a fraction of a second
    # (seconds in a sanitizer build).
    assert stopped_in < 60


def test_second_sigint_raises_keyboard_interrupt():
    p = start(STUCK)
    for line in p.stderr:
        if "spinning" in line:
            break
    p.send_signal(signal.SIGINT)
    time.sleep(0.5)
    assert p.poll() is None  # the first one waits for a batch to end
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert out.strip() == "KeyboardInterrupt", err
