# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The stop signal sent again and dropped by the kernel: real programs.

A PID 1 whose SIGTERM handler re-raises SIGTERM with the default action (a
shell's trap, Python, a C handler installed with SA_RESETHAND), or another
process of the container that sends SIGTERM to PID 1 again: the kernel drops
a default-action signal to a namespace init. Each test stops a real program
with docker stop and asserts what an operator reads: the verdict, the reason
(PID 1's program, who sent the signal last, the fix), the stop signal, the
exit, and the stop_signal_ignored alert while the stop still waits.
"""

import os
import shutil
import subprocess
import tempfile
import time

import stlib
from stlib import check, expect, get, short
from test_timelines import (DefaultMonitor, _alert_before, _events, _finish, _no_alerts,
                            _one_timeline, _resolved_after, _verdict, _wait_timeline)

PY_IMAGE = "stoptrace-test/programs:1"
SIGTERM_BIT = 1 << (15 - 1)
HERE = os.path.dirname(os.path.abspath(__file__))
RERAISE_C = os.path.join(HERE, "..", "helpers", "reraise.c")

# A shell trap that resets SIGTERM and sends it to the shell itself ($$ is 1).
SH_RERAISE = 'trap "trap - TERM; kill -TERM \\$\\$" TERM; while :; do sleep 1; done'
SH_RERAISE_EXIT = 'trap "trap - TERM; kill -TERM \\$\\$; exit 3" TERM; while :; do sleep 1; done'
# ... or has another process of the container send it to PID 1.
SH_RESEND = 'trap "trap - TERM; sh -c \\"kill -TERM 1\\"" TERM; while :; do sleep 1; done'

PY_RERAISE = """
import os, signal, sys, time
def on_term(sig, frame):
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)
    if len(sys.argv) > 1:
        sys.exit(int(sys.argv[1]))
signal.signal(signal.SIGTERM, on_term)
while True:
    time.sleep(1)
"""


def _setup():
    stlib.require_root()
    stlib.require_docker()


def _wait_caught(c, comm, timeout=10):
    """Wait until PID 1 runs comm and catches SIGTERM (its handler is set up)."""
    deadline = time.monotonic() + timeout
    status = ""
    while time.monotonic() < deadline:
        try:
            with open("/proc/%d/comm" % c.pid) as f:
                now = f.read().strip()
            with open("/proc/%d/status" % c.pid) as f:
                status = f.read()
        except OSError:
            now = ""
        caught = [ln for ln in status.splitlines() if ln.startswith("SigCgt:")]
        if now == comm and caught and int(caught[0].split()[1], 16) & SIGTERM_BIT:
            return
        time.sleep(0.05)
    stlib.fail("PID 1 of %s (host pid %d) does not run %s with a SIGTERM handler after %d s"
               % (c.name, c.pid, comm, timeout))


def _stop(c, grace):
    started = time.monotonic()
    stlib.docker("stop", "-t", str(grace), c.name, timeout=90)
    return time.monotonic() - started


def _stopped(c, grace):
    """docker stop c with the monitor running; the monitor's records and c's timeline."""
    with DefaultMonitor() as mon:
        mon.start()
        _stop(c, grace)
        _wait_timeline(mon, c)
        _finish(mon)
        idx, tl = _one_timeline(mon, c)
        return mon, idx, tl


def _has(text, *words):
    for w in words:
        check(isinstance(text, str) and w in text, "%r does not say %r" % (text, w))


def _reraise_event(tl, c, sender_is_init=True):
    """The SIGTERM sent to PID 1 from inside: by PID 1 itself, or by another of its processes."""
    again = [ev for _, ev in _events(tl, "signal_generate", "SIGTERM", c.pid)
             if get(ev, "sender.pid") != get(tl, "sender.pid")]
    check(again, "no second SIGTERM to PID 1 in the events: %s" % short(tl, 1500))
    ev = again[-1]
    if sender_is_init:
        expect(ev, "sender.pid", c.pid, "the re-raised SIGTERM")
    else:
        check(get(ev, "sender.pid") != c.pid, "the resent SIGTERM came from PID 1 itself: %s"
              % short(ev))
    return ev


def _ignored_until_sigkill(mon, c, idx, tl, comm):
    """stop_signal_ignored, not grace_period_exceeded, alerted while docker stop waited."""
    _verdict(tl, "stop_signal_ignored")
    check("grace_period_exceeded" not in tl["findings"],
          "findings %r: the handler did not run too long, its signal was dropped"
          % tl["findings"])
    expect(tl, "stop_signal", "SIGTERM", "stop_timeline")
    expect(tl, "exit.signal", "SIGKILL", "stop_timeline")
    check(type(tl.get("grace_ms")) is int and tl["grace_ms"] >= 2000,
          "grace_ms is %r, want the whole grace period" % (tl.get("grace_ms"),))
    _has(tl["reason"], "PID 1 (%s) handled SIGTERM" % comm, "namespace init",
         "exit by itself", "with an init")
    handled = _events(tl, "signal_deliver", "SIGTERM", c.pid)
    check(handled and handled[0][1].get("action") == "handler",
          "the first SIGTERM was not delivered to PID 1's handler: %s" % short(tl, 1500))
    aidx, alert = _alert_before(mon, c, "stop_signal_ignored", idx, tl)
    _has(alert["message"], "still running")
    expect(alert, "process.comm", comm, "stop_signal_ignored alert")
    _resolved_after(mon, c, "stop_signal_ignored", alert, aidx)


def _graceful_by_itself(mon, c, tl, code):
    _verdict(tl, "graceful")
    expect(tl, "findings", ["graceful"], "stop_timeline")
    expect(tl, "stop_signal", "SIGTERM", "stop_timeline")
    expect(tl, "exit.code", code, "stop_timeline")
    _has(tl["reason"], "with code %d" % code, "re-raised SIGTERM", "exited by itself")
    _no_alerts(mon, c, "stop_signal_ignored", "stop_still_running")


def _reraise_binary(tmp):
    """reraise (tests/helpers/reraise.c) built static into tmp, to bind-mount read-only: the
    test does not depend on when the shared image was last rebuilt."""
    out = os.path.join(tmp, "reraise")
    res = subprocess.run(["gcc", "-static", "-O2", "-Wall", "-Werror", "-o", out, RERAISE_C],
                         capture_output=True, text=True, timeout=120)
    check(res.returncode == 0, "cannot build %s: %s" % (RERAISE_C, res.stderr.strip()))
    os.chmod(tmp, 0o755)
    return ["-v", "%s:/opt/st:ro" % tmp]


def _python(*args):
    if stlib.docker("image", "inspect", PY_IMAGE, check=False).returncode != 0:
        stlib.fail("test image %s is missing: run tools/testbench up (it builds it with "
                   "mmdebstrap from the host's apt sources)" % PY_IMAGE)
    c = stlib.run_container("python3", "-c", PY_RERAISE, *args, image=PY_IMAGE)
    _wait_caught(c, "python3")
    return c


# ---------------------------------------------------------------- tests

def test_shell_trap_reraise_ignored():
    """A shell script as PID 1 whose trap resets SIGTERM and sends it to itself:
    the kernel drops it, the shell carries on, SIGKILL after the grace."""
    _setup()
    c = stlib.run_container("sh", "-c", SH_RERAISE)
    _wait_caught(c, "sh")
    mon, idx, tl = _stopped(c, 3)
    _ignored_until_sigkill(mon, c, idx, tl, "sh")
    _has(tl["reason"], "its handler re-raised SIGTERM with the default action")
    ev = _reraise_event(tl, c)
    expect(ev, "result", "ignored", "the re-raised SIGTERM")


def test_shell_trap_reraise_then_exit():
    """The same trap, then exit 3: the stop is graceful, with the exit code."""
    _setup()
    c = stlib.run_container("sh", "-c", SH_RERAISE_EXIT)
    _wait_caught(c, "sh")
    mon, _, tl = _stopped(c, 10)
    _graceful_by_itself(mon, c, tl, 3)
    expect(_reraise_event(tl, c), "result", "ignored", "the re-raised SIGTERM")


def test_shell_trap_resend_from_inside_ignored():
    """The trap has another process of the container send SIGTERM to PID 1: dropped
    too (a namespace init takes no default-action signal from its own namespace)."""
    _setup()
    c = stlib.run_container("sh", "-c", SH_RESEND)
    _wait_caught(c, "sh")
    mon, idx, tl = _stopped(c, 3)
    _ignored_until_sigkill(mon, c, idx, tl, "sh")
    _has(tl["reason"], "sent SIGTERM to PID 1 again", "in the container")
    ev = _reraise_event(tl, c, sender_is_init=False)
    expect(ev, "result", "ignored", "the resent SIGTERM")


def test_c_resethand_reraise_ignored():
    """A C handler installed with SA_RESETHAND that raise()s SIGTERM: queued while the
    handler runs, dropped when it returns (signal_deliver, default action)."""
    _setup()
    tmp = tempfile.mkdtemp(prefix="st-reraise.")
    try:
        c = stlib.run_container("/opt/st/reraise", docker_args=_reraise_binary(tmp))
        _wait_caught(c, "reraise")
        mon, idx, tl = _stopped(c, 3)
        _ignored_until_sigkill(mon, c, idx, tl, "reraise")
        _has(tl["reason"], "SA_RESETHAND", "re-raised SIGTERM with the default action",
             "when the handler returned")
        ev = _reraise_event(tl, c)
        expect(ev, "result", "delivered", "the re-raised SIGTERM (queued, blocked)")
        expect(ev, "blocked", True, "the re-raised SIGTERM")
        dropped = [e for _, e in _events(tl, "signal_deliver", "SIGTERM", c.pid)
                   if e.get("dropped")]
        check(dropped and dropped[0].get("action") == "default",
              "no SIGTERM delivery with the default action marked dropped: %s"
              % short(tl, 1500))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_c_resethand_reraise_then_exit():
    """The same handler, then exit(2) once it returned (what Go's runtime does without
    signal.Notify): graceful, with its exit code."""
    _setup()
    tmp = tempfile.mkdtemp(prefix="st-reraise.")
    try:
        c = stlib.run_container("/opt/st/reraise", "2", docker_args=_reraise_binary(tmp))
        _wait_caught(c, "reraise")
        mon, _, tl = _stopped(c, 10)
        _graceful_by_itself(mon, c, tl, 2)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_python_reraise_ignored():
    """Python's idiom: signal.signal(SIGTERM, SIG_DFL); os.kill(os.getpid(), SIGTERM)
    in the handler, then the program carries on: stop_signal_ignored."""
    _setup()
    c = _python()
    mon, idx, tl = _stopped(c, 3)
    _ignored_until_sigkill(mon, c, idx, tl, "python3")
    _has(tl["reason"], "its handler re-raised SIGTERM with the default action")
    expect(_reraise_event(tl, c), "result", "ignored", "the re-raised SIGTERM")


def test_python_reraise_then_exit():
    """The same handler, then sys.exit(4): graceful, with its exit code."""
    _setup()
    c = _python("4")
    mon, _, tl = _stopped(c, 10)
    _graceful_by_itself(mon, c, tl, 4)
