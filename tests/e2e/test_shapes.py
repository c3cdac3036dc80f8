# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The shapes of PID 1 that decide a stop: real shells and init shims.

A shell as PID 1 that runs the application as its child (a compound
`sh -c`, a wrapper script; dash, bash, busybox sh) drops or defers the stop
signal and passes nothing on; one whose trap sends it on is graceful. An init
shim (tini, docker-init from `docker run --init`, dumb-init) forwards the
stop signal, and the stop is judged by what the application did with it.
Each test stops the real program with docker stop and asserts what an
operator reads: the verdict, the reason's key words (PID 1's program, the
shape, the application, the fix), the stop signal, and the forward on the
timeline.
"""

import os
import secrets
import shutil
import tempfile
import time

import stlib
from stlib import check, expect, get, short
from test_timelines import (DefaultMonitor, _alert_before, _events, _finish, _no_alerts,
                            _one_timeline, _verdict, _wait_timeline)

PROGRAMS = "stoptrace-test/programs:1"
BUSYBOX = "stoptrace-test/busybox:1"
CATATONIT = "/usr/bin/catatonit"
SIGTERM_BIT = 1 << (15 - 1)

PY_CARRY_ON = """
import signal, time
signal.signal(signal.SIGTERM, lambda *a: None)
while True:
    time.sleep(1)
"""
PY_EXIT = """
import signal, sys, time
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
while True:
    time.sleep(1)
"""
SCRIPTS = {
    # a wrapper script: the application is the shell's child
    "wrapper.sh": "#!/bin/bash\necho starting\nsleep 300\necho done\n",
    # a trap the shell runs only once sleep returns
    "deferred.sh": "#!/bin/sh\ntrap 'exit 0' TERM\nsleep 300\necho after\n",
    # a trap that passes SIGTERM on and waits
    "forward.sh": "#!/bin/bash\ntrap 'kill -TERM $child; wait $child' TERM\n"
                  "sleep 300 & child=$!\nwait $child\n",
}


def _setup(image=PROGRAMS):
    stlib.require_root()
    stlib.require_docker()
    if stlib.docker("image", "inspect", image, check=False).returncode != 0:
        stlib.fail("test image %s is missing: run tools/testbench up" % image)


def _run(*cmd, docker_args=(), image=PROGRAMS):
    """docker run -d a container named st-shapes-<random>; removed after the test."""
    c = stlib.Container("st-shapes-" + secrets.token_hex(5))
    stlib._containers.append(c.name)
    stlib.docker("run", "-d", "--network", "none", "--name", c.name, *docker_args, image, *cmd)
    data = c.refresh()
    check(data["State"]["Running"] and c.pid > 0, "container %s is not running: %s"
          % (c.name, data["State"]))
    return c


def _scripts():
    """The scripts in a directory to bind-mount read-only at /s."""
    tmp = tempfile.mkdtemp(prefix="st-shapes.")
    os.chmod(tmp, 0o755)
    for name, text in SCRIPTS.items():
        path = os.path.join(tmp, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o755)
    return tmp, ["-v", "%s:/s:ro" % tmp]


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def _caught(pid):
    lines = [ln for ln in _read("/proc/%d/status" % pid).splitlines()
             if ln.startswith("SigCgt:")]
    return bool(lines) and bool(int(lines[0].split()[1], 16) & SIGTERM_BIT)


def _children(pid):
    kids = _read("/proc/%d/task/%d/children" % (pid, pid)).split()
    return [(int(k), _read("/proc/%s/comm" % k).strip()) for k in kids]


def _wait_child(c, comm, caught=False, timeout=10):
    """Wait until PID 1 has a child running comm (with a SIGTERM handler if caught);
    "sh>sleep": a child sh that runs sleep as its own child."""
    comm, _, grandchild = comm.partition(">")
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        seen = _children(c.pid)
        for pid, name in seen:
            if name != comm or (caught and not _caught(pid)):
                continue
            if not grandchild or grandchild in [n for _, n in _children(pid)]:
                return pid
        time.sleep(0.05)
    stlib.fail("PID 1 of %s (host pid %d) has no child %s%s after %d s: %r"
               % (c.name, c.pid, comm, " with a SIGTERM handler" if caught else "", timeout,
                  seen))


def _stop(mon, c, grace):
    stlib.docker("stop", "-t", str(grace), c.name, timeout=90)
    _wait_timeline(mon, c)
    _finish(mon)
    return _one_timeline(mon, c)


def _stopped(c, grace, child, caught=False):
    """Start the monitor, wait for PID 1's child, docker stop: (monitor, index, timeline)."""
    with DefaultMonitor() as mon:
        mon.start()
        _wait_child(c, child, caught)
        idx, tl = _stop(mon, c, grace)
    return mon, idx, tl


def _started_first(grace, child, *cmd, docker_args=(), image=PROGRAMS, caught=False):
    """The monitor starts before the container, so it sees PID 1 fork its child."""
    with DefaultMonitor() as mon:
        mon.start()
        c = _run(*cmd, docker_args=docker_args, image=image)
        _wait_child(c, child, caught)
        idx, tl = _stop(mon, c, grace)
    return mon, c, idx, tl


def _has(text, *words):
    for w in words:
        check(isinstance(text, str) and w in text, "%r does not say %r" % (text, w))


def _lacks(text, *words):
    for w in words:
        check(isinstance(text, str) and w not in text, "%r says %r" % (text, w))


def _forward(tl, c, pid):
    """PID 1's SIGTERM to its child pid, on the timeline: the forward."""
    fwd = [ev for _, ev in _events(tl, "signal_generate", "SIGTERM", pid)
           if get(ev, "sender.pid") == c.pid]
    check(fwd, "no SIGTERM from PID 1 (%d) to %d on the timeline: %s"
          % (c.pid, pid, short(tl, 2000)))
    return fwd[0]


def _shell_ignored(mon, c, idx, tl, shell, app):
    """The stop signal dropped by a shell PID 1; the reason names it, its child and the fix."""
    _verdict(tl, "stop_signal_ignored")
    expect(tl, "stop_signal", "SIGTERM", "stop_timeline")
    expect(tl, "exit.signal", "SIGKILL", "stop_timeline")
    _has(tl["reason"], "SIGTERM to PID 1 (%s) was ignored" % shell, "PID 1 is a shell",
         "does not pass signals on to its child", "%s (pid " % app, "never got SIGTERM",
         "exec form of CMD", "`exec %s` in the script" % app)
    ign = _events(tl, "signal_generate", "SIGTERM", c.pid)
    check(ign and ign[0][1].get("result") == "ignored",
          "the SIGTERM to PID 1 is not ignored: %s" % short(tl, 1500))
    _, alert = _alert_before(mon, c, "stop_signal_ignored", idx, tl)
    expect(alert, "process.comm", shell, "stop_signal_ignored alert")
    _has(alert["message"], "PID 1 (%s)" % shell, "shell")
    _has(alert["action"], "exec form of CMD")


# ---------------------------------------------------------------- shells

def test_shape_dash_compound():
    """sh -c 'sleep 300; echo done' with dash (Debian's sh): sleep is its child."""
    _setup()
    mon, c, idx, tl = _started_first(2, "sleep", "sh", "-c", "sleep 300; echo done")
    _shell_ignored(mon, c, idx, tl, "sh", "sleep")


def test_shape_bash_compound():
    """bash -c 'sleep 300; echo done'."""
    _setup()
    mon, c, idx, tl = _started_first(2, "sleep", "bash", "-c", "sleep 300; echo done")
    _shell_ignored(mon, c, idx, tl, "bash", "sleep")


def test_shape_busybox_compound_seen_late():
    """busybox sh -c, the monitor started after the container: no fork seen, the
    namespace teardown's kills name what the shell ran."""
    _setup(BUSYBOX)
    c = _run("sh", "-c", "sleep 300; echo done", image=BUSYBOX)
    mon, idx, tl = _stopped(c, 2, "sleep")
    _verdict(tl, "stop_signal_ignored")
    expect(tl, "stop_signal", "SIGTERM", "stop_timeline")
    _has(tl["reason"], "SIGTERM to PID 1 (sh) was ignored", "PID 1 is a shell",
         "sleep (pid ", "never got SIGTERM", "exec form of CMD")


def test_shape_hostile_child_comm():
    """A child of the shell renames itself with an escape sequence and a quote: the reason
    names it, and no output line holds the raw bytes."""
    _setup()
    hostile = 'x\x1b[2J"y'
    with DefaultMonitor() as mon:
        mon.start()
        c = _run("sh", "-c", '( printf "x\\033[2J\\"y" > /proc/self/comm; '
                 'while :; do sleep 1; done ); echo done')
        _wait_child(c, hostile)
        idx, tl = _stop(mon, c, 2)
        with open(mon.output, "rb") as f:
            raw = f.read()
    _verdict(tl, "stop_signal_ignored")
    _has(tl["reason"], "PID 1 (sh)", "PID 1 is a shell", "%s (pid " % hostile)
    check(b"\x1b" not in raw, "a raw escape byte in the monitor's output")


def test_shape_bash_wrapper_script():
    """A bash wrapper script as PID 1: the kernel names PID 1 after the script."""
    _setup()
    tmp, mount = _scripts()
    try:
        mon, c, idx, tl = _started_first(2, "sleep", "/s/wrapper.sh", docker_args=mount)
        _shell_ignored(mon, c, idx, tl, "wrapper.sh", "sleep")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_shape_dash_trap_deferred():
    """A dash script with trap 'exit 0' TERM waiting for sleep: the trap waits for
    sleep to return, sleep never gets SIGTERM, SIGKILL after the grace."""
    _setup()
    tmp, mount = _scripts()
    try:
        mon, c, idx, tl = _started_first(2, "sleep", "/s/deferred.sh", docker_args=mount)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _verdict(tl, "grace_period_exceeded")
    expect(tl, "stop_signal", "SIGTERM", "stop_timeline")
    expect(tl, "exit.signal", "SIGKILL", "stop_timeline")
    _has(tl["reason"], "PID 1 (deferred.sh) is a shell with a trap for SIGTERM",
         "only once the command it waits for returns", "sleep (pid ", "never got SIGTERM",
         "`exec sleep`", "trap 'kill -TERM $pid")
    handled = _events(tl, "signal_deliver", "SIGTERM", c.pid)
    check(handled and handled[0][1].get("action") == "handler",
          "the SIGTERM was not delivered to the shell's trap: %s" % short(tl, 1500))


def test_shape_bash_trap_forwards():
    """trap 'kill -TERM $child; wait $child' TERM: the shell passes it on, graceful."""
    _setup()
    tmp, mount = _scripts()
    try:
        mon, c, idx, tl = _started_first(10, "sleep", "/s/forward.sh", docker_args=mount)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _verdict(tl, "graceful")
    expect(tl, "stop_signal", "SIGTERM", "stop_timeline")
    expect(tl, "exit.code", 143, "stop_timeline")
    _has(tl["reason"], "PID 1 (forward.sh) passed SIGTERM to sleep (pid ",
         "killed by SIGTERM", "with code 143")
    _lacks(tl["reason"], "never got", "Fix")
    _no_alerts(mon, c, "stop_signal_ignored", "stop_signal_blocked")


# ---------------------------------------------------------------- init shims

def _shim_graceful(mon, c, tl, shim, app):
    _verdict(tl, "graceful")
    expect(tl, "stop_signal", "SIGTERM", "stop_timeline")
    _has(tl["reason"], "PID 1 (%s) is an init shim: it forwarded SIGTERM to %s (pid "
         % (shim, app))
    kids = [get(ev, "process.pid") for _, ev in _events(tl, "process_exit")
            if get(ev, "process.comm") == app]
    check(kids, "no exit of %s on the timeline: %s" % (app, short(tl, 1500)))
    _forward(tl, c, kids[0])
    _no_alerts(mon, c, "stop_signal_ignored", "stop_signal_blocked")


def test_shape_tini_app_killed():
    """tini -- sleep 300: tini forwards SIGTERM, sleep dies of it, tini exits 143."""
    _setup()
    mon, c, idx, tl = _started_first(10, "sleep", "tini", "--", "sleep", "300")
    _shim_graceful(mon, c, tl, "tini", "sleep")
    expect(tl, "exit.code", 143, "stop_timeline")
    _has(tl["reason"], "which was killed by SIGTERM", "with code 143")


def test_shape_docker_init_app_killed():
    """docker run --init ... sleep 300: docker-init (tini) as PID 1."""
    _setup()
    mon, c, idx, tl = _started_first(10, "sleep", "sleep", "300", docker_args=["--init"])
    _shim_graceful(mon, c, tl, "docker-init", "sleep")
    _has(tl["reason"], "which was killed by SIGTERM", "with code 143")


def _catatonit():
    """The host's static catatonit (Debian's package), to bind-mount read-only."""
    if not os.access(CATATONIT, os.X_OK):
        stlib.fail("%s is missing: run tools/testbench up (it installs catatonit)" % CATATONIT)
    return ["-v", "%s:/catatonit:ro" % CATATONIT]


def test_shape_catatonit_app_killed():
    """catatonit (podman's --init) reads its blocked signals from a signalfd and
    forwards SIGTERM: sleep dies of it, catatonit exits 143."""
    _setup(BUSYBOX)
    mon, c, idx, tl = _started_first(10, "sleep", "/catatonit", "--", "sleep", "300",
                                     docker_args=_catatonit(), image=BUSYBOX)
    _shim_graceful(mon, c, tl, "catatonit", "sleep")
    _has(tl["reason"], "which was killed by SIGTERM", "with code 143")


def test_shape_docker_init_app_exits():
    """docker run --init python3 whose handler exits 0: graceful, the app's exit named."""
    _setup()
    mon, c, idx, tl = _started_first(10, "python3", "python3", "-c", PY_EXIT,
                                     docker_args=["--init"], caught=True)
    _shim_graceful(mon, c, tl, "docker-init", "python3")
    _has(tl["reason"], "which exited with code 0")


def test_shape_tini_app_ignores():
    """tini -- sh -c 'trap "" TERM; sleep 300': the app ignores the forwarded SIGTERM:
    stop_signal_ignored, naming the app, not tini."""
    _setup()
    mon, c, idx, tl = _started_first(2, "sh", "tini", "--", "sh", "-c",
                                     'trap "" TERM; sleep 300')
    _verdict(tl, "stop_signal_ignored")
    expect(tl, "stop_signal", "SIGTERM", "stop_timeline")
    expect(tl, "exit.signal", "SIGKILL", "stop_timeline")
    _has(tl["reason"], "PID 1 (tini) is an init shim: it forwarded SIGTERM to sh (pid ",
         "ignores it (SIG_IGN)", "Fix: handle SIGTERM in sh")
    _lacks(tl["reason"], "run with an init")
    _, alert = _alert_before(mon, c, "stop_signal_ignored", idx, tl)
    expect(alert, "process.comm", "sh", "stop_signal_ignored alert")
    _has(alert["message"], "PID 1 (tini) is an init shim")
    fwd = [ev for _, ev in _events(tl, "signal_generate", "SIGTERM")
           if get(ev, "sender.pid") == c.pid]
    check(fwd and fwd[0].get("result") == "ignored",
          "the forwarded SIGTERM is not ignored: %s" % short(tl, 1500))
    _no_alerts(mon, c, "stop_signal_blocked")


def test_shape_dumb_init_group():
    """dumb-init sh -c 'sleep 300; echo done': dumb-init sends SIGTERM to its child's
    process group, one signal_generate per process; its child sh is the one named."""
    _setup()
    mon, c, idx, tl = _started_first(10, "sh>sleep", "dumb-init", "sh", "-c",
                                     "sleep 300; echo done")
    _verdict(tl, "graceful")
    expect(tl, "stop_signal", "SIGTERM", "stop_timeline")
    expect(tl, "exit.code", 143, "stop_timeline")
    _has(tl["reason"], "PID 1 (dumb-init) is an init shim: it forwarded SIGTERM to sh (pid ",
         "and 1 other process of its group", "which was killed by SIGTERM")
    targets = {get(ev, "process.comm") for _, ev in _events(tl, "signal_generate", "SIGTERM")
               if get(ev, "sender.pid") == c.pid}
    check(targets == {"sh", "sleep"}, "dumb-init's SIGTERM reached %r, want sh and sleep: %s"
          % (targets, short(tl, 2000)))


def test_shape_dumb_init_app_carries_on():
    """dumb-init python3 whose handler carries on: grace_period_exceeded naming python3."""
    _setup()
    mon, c, idx, tl = _started_first(2, "python3", "dumb-init", "python3", "-c", PY_CARRY_ON,
                                     caught=True)
    _verdict(tl, "grace_period_exceeded")
    expect(tl, "stop_signal", "SIGTERM", "stop_timeline")
    expect(tl, "exit.signal", "SIGKILL", "stop_timeline")
    _has(tl["reason"], "PID 1 (dumb-init) is an init shim: it forwarded SIGTERM to python3 (pid ",
         "which handles it but was still running when SIGKILL came",
         "make python3 shut down faster")
    _no_alerts(mon, c, "stop_signal_blocked", "stop_signal_ignored")


# ---------------------------------------------------------------- diagnose, before a stop

def _diagnosis(c, want_exit):
    from test_diagnose import diagnose, expect_exit, record
    res = diagnose(c.name, "--format", "json")
    expect_exit(res, want_exit, "diagnose %s" % c.name)
    return record(res)


def _ignores(pid):
    lines = [ln for ln in _read("/proc/%d/status" % pid).splitlines()
             if ln.startswith("SigIgn:")]
    return bool(lines) and bool(int(lines[0].split()[1], 16) & SIGTERM_BIT)


def test_shape_diagnose_shell_with_child():
    """diagnose predicts the shell shape: sh -c 'sleep 300; echo done' (dash)."""
    _setup()
    c = _run("sh", "-c", "sleep 300; echo done")
    _wait_child(c, "sleep")
    rec = _diagnosis(c, 3)
    expect(rec, "stop_signal_prediction", "ignored", "diagnosis")
    probs = [p for p in rec["problems"] if p["kind"] == "stop_signal_ignored"]
    check(len(probs) == 1, "want one stop_signal_ignored problem: %s" % short(rec, 2000))
    _has(probs[0]["message"], "PID 1 (sh) is a shell",
         "does not pass signals on to its child sleep (pid ")
    _has(probs[0]["action"], "exec form of CMD", "`exec sleep` in the script")


def test_shape_diagnose_shim_child_ignores():
    """diagnose of tini whose child set SIGTERM to SIG_IGN: the child is the problem."""
    _setup()
    c = _run("tini", "--", "sh", "-c", 'trap "" TERM; sleep 300')
    kid = _wait_child(c, "sh")
    deadline = time.monotonic() + 10
    while not (_ignores(kid) and "sigtimedwait" in _read("/proc/%d/wchan" % c.pid)):
        check(time.monotonic() < deadline, "tini's child %d does not ignore SIGTERM, or tini "
              "is not in sigtimedwait" % kid)
        time.sleep(0.05)
    rec = _diagnosis(c, 3)
    expect(rec, "stop_signal_prediction", "waited_for", "diagnosis")
    probs = [p for p in rec["problems"] if p["kind"] == "stop_signal_ignored"]
    check(len(probs) == 1, "want one stop_signal_ignored problem: %s" % short(rec, 2000))
    _has(probs[0]["message"], "PID 1 (tini) is an init shim", "forward it to sh (pid ",
         "ignores it (SIG_IGN)")
    _has(probs[0]["action"], "handle SIGTERM in sh")


def test_shape_diagnose_docker_init_ok():
    """docker run --init ... sleep: docker-init forwards SIGTERM, sleep dies of it: ok."""
    _setup()
    c = _run("sleep", "300", docker_args=["--init"])
    _wait_child(c, "sleep")
    deadline = time.monotonic() + 10
    while "sigtimedwait" not in _read("/proc/%d/wchan" % c.pid):
        check(time.monotonic() < deadline, "docker-init is not in sigtimedwait")
        time.sleep(0.05)
    rec = _diagnosis(c, 0)
    expect(rec, "problems", [], "diagnosis")
    _has(rec["stop_signal_reason"], "PID 1 (docker-init) is an init shim",
         "forward it to sleep (pid ", "it will die of it at once")


def test_shape_diagnose_catatonit_ok():
    """diagnose of catatonit, which blocks SIGTERM and reads it from a signalfd: not
    blocked, forwarded to sleep, which dies of it: ok."""
    _setup(BUSYBOX)
    c = _run("/catatonit", "--", "sleep", "300", docker_args=_catatonit(), image=BUSYBOX)
    _wait_child(c, "sleep")
    deadline = time.monotonic() + 10
    while "signalfd" not in _read("/proc/%d/wchan" % c.pid):
        check(time.monotonic() < deadline, "catatonit does not wait in a signalfd read")
        time.sleep(0.05)
    rec = _diagnosis(c, 0)
    expect(rec, "stop_signal_prediction", "waited_for", "diagnosis")
    expect(rec, "problems", [], "diagnosis")
    _has(rec["stop_signal_reason"], "PID 1 (catatonit) is an init shim", "(signalfd)",
         "forward it to sleep (pid ")
