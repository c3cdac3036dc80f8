# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Real servers and language runtimes stopped the way users stop them.

Each test runs a real program from Debian's packages as PID 1 (the image
stoptrace-test/programs:1) or a Go program built by Debian's Go (the image
stoptrace-test/go:1, from tests/helpers/go/), stops it with docker stop (the
default SIGTERM, or the stop signal its image would declare), and asserts what
an operator reads: the verdict, the reason's key words, the stop signal, the
exit and the grace. What each program does with its stop signal was checked
against its source and its timeline:

- nginx: the master handles SIGTERM (fast shutdown) and SIGQUIT (graceful
  shutdown, waiting for the requests in flight); its workers exit first.
- redis-server: its SIGTERM handler schedules the shutdown: it saves (unless
  --save '') and exits 0. Its threads die by exit_group.
- haproxy: standalone (-db) it handles SIGUSR1 (soft stop) but not SIGTERM:
  its hard stop is SIGTERM's default action, which a namespace init does not
  have. Its master (-W) handles SIGTERM and sends it on to its worker.
- python3: with a handler (that exits, that carries on, that allocates past
  the memory limit, during which someone runs kill -9 1 in the container),
  without one, and with SIGINT (KeyboardInterrupt, then the interpreter
  kill()s itself with SIGINT and SIG_DFL, and returns 130 when that does
  nothing).
- Go: without signal.Notify the runtime raises SIGTERM again with the default
  action, then calls exit(2); with Notify it is the program's; signal.Ignore
  sets SIG_IGN.
"""

import os
import shutil
import subprocess
import tempfile
import time

import stlib
from stlib import check, expect, get, short
from test_dropped import _has
from test_timelines import (Background, DefaultMonitor, _alert_before, _events, _finish,
                            _no_alerts, _one_timeline, _resolved_after, _verdict,
                            _wait_timeline)

PROGRAMS = "stoptrace-test/programs:1"
GO = "stoptrace-test/go:1"
NGINX = ("nginx", "-g", "daemon off;")
SIGNUMS = {"SIGINT": 2, "SIGQUIT": 3, "SIGUSR1": 10, "SIGTERM": 15}

HAPROXY_CFG = """global
    log stdout format raw local0
defaults
    mode http
    timeout connect 1s
    timeout client 60s
    timeout server 60s
frontend web
    bind 127.0.0.1:8080
    http-request return status 200 content-type text/plain string ok
"""

PY_READY = "print('ready', flush=True)\n"
PY_EXIT = """import signal, sys, time
def on_term(sig, frame):
    print('bye', flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
""" + PY_READY + "while True:\n    time.sleep(1)\n"
PY_SLOW_EXIT = """import signal, sys, time
def on_term(sig, frame):
    print('cleaning up', flush=True)
    time.sleep(2)
    sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
""" + PY_READY + "while True:\n    time.sleep(1)\n"
PY_CARRY_ON = """import signal, time
def on_term(sig, frame):
    print('carrying on', flush=True)
signal.signal(signal.SIGTERM, on_term)
""" + PY_READY + "while True:\n    time.sleep(1)\n"
PY_PLAIN = "import time\n" + PY_READY + "while True:\n    time.sleep(1)\n"
PY_ALLOCATE = """import signal, time
keep = []
def on_term(sig, frame):
    while True:
        keep.append(bytearray(8 << 20))
signal.signal(signal.SIGTERM, on_term)
""" + PY_READY + "while True:\n    time.sleep(1)\n"
# A client inside the container holding a request half sent: nginx's graceful shutdown waits.
PY_HOLD = """import socket, time
s = socket.create_connection(('127.0.0.1', %d))
s.sendall(b'GET / HTTP/1.1\\r\\nHost: x\\r\\n')
print('held', flush=True)
time.sleep(120)
"""


# ---------------------------------------------------------------- helpers

def _setup(image):
    stlib.require_root()
    stlib.require_docker()
    if stlib.docker("image", "inspect", image, check=False).returncode != 0:
        stlib.fail("test image %s is missing: run tools/testbench up (it builds it from "
                   "Debian's packages)" % image)


def _logs(c):
    res = stlib.docker("logs", c.name, check=False)
    return res.stdout + res.stderr


def _wait_log(c, text, timeout=20):
    """Wait until the container's output says text (the program is set up)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in _logs(c):
            return
        time.sleep(0.1)
    stlib.fail("%s did not print %r within %d s; its output: %s"
               % (c.name, text, timeout, _logs(c)[-1500:]))


def _status_mask(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1], 16)
    return 0


def _wait_caught(c, signame, timeout=20):
    """Wait until PID 1 has a handler for signame."""
    bit = 1 << (SIGNUMS[signame] - 1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if _status_mask(c.pid, "SigCgt") & bit:
                return
        except OSError:
            pass
        time.sleep(0.05)
    stlib.fail("PID 1 of %s (host pid %d) has no %s handler after %d s"
               % (c.name, c.pid, signame, timeout))


def _children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def _wait_children(c, timeout=20):
    """PID 1's children, once it has forked them (nginx's workers)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = _children(c.pid)
        if kids:
            time.sleep(0.3)  # every worker forked
            return _children(c.pid)
        time.sleep(0.1)
    stlib.fail("PID 1 of %s forked no worker within %d s" % (c.name, timeout))


def _stopped(c, grace, during=None):
    """docker stop -t grace c, with a monitor following c alone (--container, as an
    operator watching one service does), and during(c) while docker stop waits: the
    monitor's records and c's timeline."""
    with DefaultMonitor("--container", c.id) as mon:
        mon.start()
        stop = Background(["docker", "stop", "-t", str(grace), c.name])
        if during:
            during(c)
        stop.wait(90)
        _wait_timeline(mon, c)
        _finish(mon)
        idx, tl = _one_timeline(mon, c)
        others = {get(r, "container.id") for r in mon.poll() if get(r, "container.id")}
        check(others == {c.id}, "--container %s, yet records of %s" % (c.id, others - {c.id}))
        return mon, idx, tl


def _exit_code(tl, code):
    expect(tl, "exit.code", code, "stop_timeline")
    check(get(tl, "exit.signal") is None, "exit has a signal: %r" % tl.get("exit"))


def _no_sigkill(tl):
    """Nobody had to SIGKILL it: no grace, and the reason says no SIGKILL."""
    check("grace_ms" in tl and tl["grace_ms"] is None,
          "grace_ms is %r, want null: no SIGKILL came from outside" % (tl.get("grace_ms"),))
    check("SIGKILL" not in tl["reason"], "the reason of a stop that needed no SIGKILL names "
          "one: %r" % tl["reason"])
    outside = [ev for _, ev in _events(tl, "signal_generate", "SIGKILL")
               if get(ev, "sender.pid") == get(tl, "sender.pid")]
    check(not outside, "a SIGKILL from %s: %s" % (get(tl, "sender.comm"), short(outside)))


def _graceful(mon, c, tl, signame, code):
    _verdict(tl, "graceful")
    expect(tl, "findings", ["graceful"], "stop_timeline")
    expect(tl, "stop_signal", signame, "stop_timeline")
    _exit_code(tl, code)
    _no_sigkill(tl)
    _has(tl["reason"], "after %s with code %d" % (signame, code))
    _no_alerts(mon, c, "stop_signal_ignored", "stop_signal_blocked", "stop_still_running")


def _killed_after_grace(tl, verdict, signame, grace):
    _verdict(tl, verdict)
    expect(tl, "findings", [verdict], "stop_timeline")
    expect(tl, "stop_signal", signame, "stop_timeline")
    expect(tl, "exit.signal", "SIGKILL", "stop_timeline")
    check(type(tl.get("grace_ms")) is int and grace * 1000 <= tl["grace_ms"] < grace * 1000
          + 3000, "grace_ms is %r, want the %d s of docker stop -t %d"
          % (tl.get("grace_ms"), grace, grace))


def _ignored_alert(mon, c, idx, tl, comm):
    aidx, alert = _alert_before(mon, c, "stop_signal_ignored", idx, tl)
    expect(alert, "process.comm", comm, "stop_signal_ignored alert")
    _resolved_after(mon, c, "stop_signal_ignored", alert, aidx)


def _pid1_sent(tl, c, signame):
    """The signals PID 1 itself sent of signame (re-raised, or sent on to a worker)."""
    return [ev for _, ev in _events(tl, "signal_generate", signame)
            if get(ev, "sender.pid") == c.pid]


def _haproxy(args, grace, ready, docker_args=()):
    """haproxy with a config the test wrote, bound on 127.0.0.1 (network none), stopped
    with docker stop -t grace once ready(c) returns: (c, mon, idx, tl)."""
    _setup(PROGRAMS)
    tmp = tempfile.mkdtemp(prefix="st-haproxy.")
    try:
        os.chmod(tmp, 0o755)
        with open(os.path.join(tmp, "haproxy.cfg"), "w") as f:
            f.write(HAPROXY_CFG)
        os.chmod(os.path.join(tmp, "haproxy.cfg"), 0o644)
        c = stlib.run_container("haproxy", *args, "-f", "/etc/st/haproxy.cfg",
                                docker_args=("-v", "%s:/etc/st:ro" % tmp, *docker_args),
                                image=PROGRAMS)
        ready(c)
        return (c, *_stopped(c, grace))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _haproxy_no_sigterm_handler(c):
    _wait_caught(c, "SIGUSR1")
    check(not _status_mask(c.pid, "SigCgt") & (1 << (SIGNUMS["SIGTERM"] - 1)),
          "haproxy -db catches SIGTERM: the test's premise changed")


def _go(mode, grace, docker_args=()):
    _setup(GO)
    c = stlib.run_container("/bin/gostop", mode, image=GO, docker_args=docker_args)
    _wait_log(c, "ready")
    return (c, *_stopped(c, grace))


# ---------------------------------------------------------------- nginx

def test_real_nginx_sigterm_fast_shutdown():
    """nginx with docker stop's default SIGTERM: the master's fast shutdown ends its
    workers, then it exits 0. Graceful, the workers' exits on the timeline first."""
    _setup(PROGRAMS)
    c = stlib.run_container(*NGINX, image=PROGRAMS)
    _wait_caught(c, "SIGTERM")
    workers = _wait_children(c)
    mon, _, tl = _stopped(c, 10)
    _graceful(mon, c, tl, "SIGTERM", 0)
    _nginx_workers_first(tl, c, workers)


def _nginx_workers_first(tl, c, workers):
    exits = _events(tl, "process_exit")
    init = [i for i, ev in exits if get(ev, "process.pid") == c.pid]
    gone = {get(ev, "process.pid") for i, ev in exits if init and i < init[0]}
    check(init, "no exit of PID 1 on the timeline: %s" % short(tl, 1500))
    check(set(workers) <= gone, "nginx workers %r did not all exit before the master: exits "
          "seen before it %r" % (workers, sorted(gone)))


def test_real_nginx_sigquit_graceful():
    """nginx with STOPSIGNAL SIGQUIT, as Debian's official image declares: its graceful
    shutdown; the workers finish, the master exits 0."""
    _setup(PROGRAMS)
    c = stlib.run_container(*NGINX, image=PROGRAMS, docker_args=("--stop-signal", "SIGQUIT"))
    _wait_caught(c, "SIGQUIT")
    workers = _wait_children(c)
    mon, _, tl = _stopped(c, 10)
    _graceful(mon, c, tl, "SIGQUIT", 0)
    expect(tl, "configured_stop_signal", "SIGQUIT", "stop_timeline")
    _nginx_workers_first(tl, c, workers)


def test_real_nginx_sigquit_held_connection():
    """nginx's graceful shutdown waits for a request in flight (a client inside the
    container sent half a request): SIGKILL after the grace, grace_period_exceeded."""
    _setup(PROGRAMS)
    c = stlib.run_container(*NGINX, image=PROGRAMS, docker_args=("--stop-signal", "SIGQUIT"))
    _wait_caught(c, "SIGQUIT")
    _wait_children(c)
    client = subprocess.Popen(["docker", "exec", c.name, "python3", "-c", PY_HOLD % 80],
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        line = client.stdout.readline()
        check(line.strip() == "held", "the client did not connect to nginx: %r %s"
              % (line, client.stderr.read() if client.poll() is not None else ""))
        mon, _, tl = _stopped(c, 3)
    finally:
        client.kill()
        client.wait(10)
    _killed_after_grace(tl, "grace_period_exceeded", "SIGQUIT", 3)
    _has(tl["reason"], "handles SIGQUIT and received it", "still running when SIGKILL came")
    _no_alerts(mon, c, "stop_signal_ignored", "stop_signal_blocked")


# ---------------------------------------------------------------- redis

def test_real_redis_sigterm_saves():
    """redis-server on SIGTERM saves its data set and exits 0; its named threads die by
    exit_group, and the namespace's own SIGKILL is no escalation: graceful, no grace."""
    _setup(PROGRAMS)
    c = stlib.run_container("redis-server", "--dir", "/tmp", image=PROGRAMS)
    _wait_log(c, "Ready to accept connections")
    mon, _, tl = _stopped(c, 10)
    _graceful(mon, c, tl, "SIGTERM", 0)
    _has(_logs(c), "Saving the final RDB snapshot", "DB saved on disk")


def test_real_redis_sigterm_no_save():
    """redis-server --save '': nothing to save, it exits 0 at once."""
    _setup(PROGRAMS)
    c = stlib.run_container("redis-server", "--save", "", "--dir", "/tmp", image=PROGRAMS)
    _wait_log(c, "Ready to accept connections")
    mon, _, tl = _stopped(c, 10)
    _graceful(mon, c, tl, "SIGTERM", 0)
    logs = _logs(c)
    check("Saving the final RDB snapshot" not in logs and "ready to exit" in logs,
          "redis --save '' saved, or did not exit by itself: %s" % logs[-800:])


# ---------------------------------------------------------------- haproxy

def test_real_haproxy_soft_stop_sigusr1():
    """haproxy -db with STOPSIGNAL SIGUSR1 (the official image's): soft stop, exit 0."""
    c, mon, _, tl = _haproxy(("-db",), 10, lambda c: _wait_caught(c, "SIGUSR1"),
                             docker_args=("--stop-signal", "SIGUSR1"))
    _graceful(mon, c, tl, "SIGUSR1", 0)
    expect(tl, "configured_stop_signal", "SIGUSR1", "stop_timeline")


def test_real_haproxy_sigterm_hard_stop_ignored():
    """haproxy -db as PID 1 with docker stop's SIGTERM: it has no SIGTERM handler (its
    hard stop is the default action), so the kernel drops it: stop_signal_ignored."""
    c, mon, idx, tl = _haproxy(("-db",), 3, _haproxy_no_sigterm_handler)
    _killed_after_grace(tl, "stop_signal_ignored", "SIGTERM", 3)
    _has(tl["reason"], "ignored by the kernel", "no handler", "namespace init",
         "Fix: run with an init")
    first = _events(tl, "signal_generate", "SIGTERM", c.pid)
    check(first and first[0][1].get("result") == "ignored",
          "docker stop's SIGTERM is not ignored on the timeline: %s" % short(tl, 1500))
    _ignored_alert(mon, c, idx, tl, "haproxy")


def test_real_haproxy_master_sigterm():
    """haproxy -W (master-worker): the master handles SIGTERM and sends it on to its
    worker, which dies of it; then the master exits 0. Graceful."""
    c, mon, _, tl = _haproxy(("-W", "-db"), 10, lambda c: _wait_log(c, "Loading success"))
    _graceful(mon, c, tl, "SIGTERM", 0)
    sent = _pid1_sent(tl, c, "SIGTERM")
    check(sent and get(sent[0], "process.ns_pid") != 1,
          "the master did not send SIGTERM on to its worker: %s" % short(tl, 1500))
    worker = get(sent[0], "process.pid")
    died = [ev for _, ev in _events(tl, "process_exit", pid=worker)]
    check(died and get(died[0], "exit.signal") == "SIGTERM",
          "haproxy's worker %s did not die of SIGTERM: %s" % (worker, short(tl, 1500)))


# ---------------------------------------------------------------- python

def _python(script, docker_args=()):
    _setup(PROGRAMS)
    c = stlib.run_container("python3", "-c", script, image=PROGRAMS, docker_args=docker_args)
    _wait_log(c, "ready")
    return c


def test_real_python_handler_exits():
    """python3 whose SIGTERM handler calls sys.exit(0): graceful, code 0."""
    c = _python(PY_EXIT)
    mon, _, tl = _stopped(c, 10)
    _graceful(mon, c, tl, "SIGTERM", 0)
    _has(_logs(c), "bye")


def _kill_9_pid1_inside(c):
    _wait_log(c, "cleaning up")
    res = stlib.docker("exec", c.name, "python3", "-c", "import os; os.kill(1, 9)",
                       check=False)
    check(res.returncode == 0, "kill -9 1 in %s failed: %s" % (c.name, res.stderr))


def test_real_python_kill_9_inside_ignored():
    """While python3's handler cleans up (2 s), someone runs kill -9 1 in the container:
    from inside its namespace the kernel ignores it. The handler exits 0 by itself in
    the grace: graceful, no SIGKILL, though one was sent."""
    c = _python(PY_SLOW_EXIT)
    mon, _, tl = _stopped(c, 10, during=_kill_9_pid1_inside)
    _graceful(mon, c, tl, "SIGTERM", 0)
    inside = [ev for _, ev in _events(tl, "signal_generate", "SIGKILL", c.pid)]
    check(inside and all(ev.get("result") == "ignored" for ev in inside),
          "the SIGKILL from inside is not on the timeline, ignored: %s" % short(tl, 1500))


def test_real_python_handler_carries_on():
    """python3 whose SIGTERM handler prints and returns: it carries on until SIGKILL.
    The handler ran but never ended the program: grace_period_exceeded."""
    c = _python(PY_CARRY_ON)
    mon, _, tl = _stopped(c, 3)
    _killed_after_grace(tl, "grace_period_exceeded", "SIGTERM", 3)
    _has(tl["reason"], "handles SIGTERM and received it", "still running when SIGKILL came",
         "Fix: shut down faster")
    handled = _events(tl, "signal_deliver", "SIGTERM", c.pid)
    check(handled and handled[0][1].get("action") == "handler",
          "SIGTERM was not delivered to python's handler: %s" % short(tl, 1500))
    _has(_logs(c), "carrying on")
    _no_alerts(mon, c, "stop_signal_ignored", "stop_signal_blocked")


def test_real_python_handler_oom_killed():
    """python3 whose SIGTERM handler allocates past the container's memory limit: the
    OOM killer's SIGKILL, sent by PID 1 itself as the task that allocated, ends it
    before the grace. oom_killed alone: neither a slow handler nor graceful."""
    c = _python(PY_ALLOCATE, docker_args=("--memory", "64m", "--memory-swap", "64m"))
    mon, _, tl = _stopped(c, 10)
    _verdict(tl, "oom_killed")
    expect(tl, "findings", ["oom_killed"], "stop_timeline")
    expect(tl, "stop_signal", "SIGTERM", "stop_timeline")
    expect(tl, "exit.signal", "SIGKILL", "stop_timeline")
    check(tl.get("grace_ms") is None, "grace_ms is %r, want null: docker stop sent no SIGKILL"
          % (tl.get("grace_ms"),))
    _has(tl["reason"], "OOM killer")
    oom = [r for r in mon.poll() if r.get("type") == "alert" and r.get("kind") == "oom_killed"]
    check(len(oom) == 1, "%d oom_killed alerts, want 1" % len(oom))


def test_real_python_no_handler_ignored():
    """python3 without a SIGTERM handler as PID 1: the kernel drops SIGTERM."""
    c = _python(PY_PLAIN)
    mon, idx, tl = _stopped(c, 3)
    _killed_after_grace(tl, "stop_signal_ignored", "SIGTERM", 3)
    _has(tl["reason"], "ignored by the kernel", "no handler", "Fix: run with an init")
    _ignored_alert(mon, c, idx, tl, "python3")


def test_real_python_sigint_keyboard_interrupt():
    """python3 stopped with SIGINT: KeyboardInterrupt ends the program, then the
    interpreter re-raises SIGINT with the default action (dropped: a namespace init)
    and returns 130 by itself. Graceful, code 130."""
    c = _python(PY_PLAIN, docker_args=("--stop-signal", "SIGINT"))
    mon, _, tl = _stopped(c, 10)
    _graceful(mon, c, tl, "SIGINT", 130)
    _has(tl["reason"], "re-raised SIGINT with the default action", "exited by itself")
    again = _pid1_sent(tl, c, "SIGINT")
    check(again and again[0].get("result") == "ignored",
          "python's own SIGINT is not on the timeline, ignored: %s" % short(tl, 1500))
    _has(_logs(c), "KeyboardInterrupt")


def test_real_tini_child_carries_on():
    """tini as PID 1 takes SIGTERM with sigtimedwait and sends it on to python3, whose
    handler carries on: SIGKILL after the grace. PID 1 took the stop signal and ran on:
    grace_period_exceeded (not "exited without a stop")."""
    _setup(PROGRAMS)
    c = stlib.run_container("tini", "--", "python3", "-c", PY_CARRY_ON, image=PROGRAMS)
    _wait_log(c, "ready")
    mon, _, tl = _stopped(c, 3)
    _killed_after_grace(tl, "grace_period_exceeded", "SIGTERM", 3)
    check("without a stop" not in tl["reason"], "reason: %r" % tl["reason"])
    sent = _pid1_sent(tl, c, "SIGTERM")
    check(sent and get(sent[0], "process.comm") == "python3",
          "tini did not send SIGTERM on to python3: %s" % short(tl, 1500))
    _has(_logs(c), "carrying on")
    _no_alerts(mon, c, "stop_signal_ignored", "stop_signal_blocked")


# ---------------------------------------------------------------- go

def test_real_go_reraise_exit():
    """A Go program without signal.Notify: its runtime raises SIGTERM again with the
    default action (dropped: a namespace init), then calls exit(2). Graceful, code 2."""
    c, mon, _, tl = _go("default", 10)
    _graceful(mon, c, tl, "SIGTERM", 2)
    _has(tl["reason"], "PID 1 (gostop) handled SIGTERM", "re-raised SIGTERM with the default "
         "action", "exited by itself")
    again = _pid1_sent(tl, c, "SIGTERM")
    check([ev for ev in again if ev.get("result") == "ignored"],
          "the runtime's re-raised SIGTERM is not on the timeline, ignored: %s"
          % short(tl, 1500))


def test_real_go_notify_exit():
    """A Go program with signal.Notify that exits 0 on SIGTERM: graceful, no re-raise."""
    c, mon, _, tl = _go("notify", 10)
    _graceful(mon, c, tl, "SIGTERM", 0)
    check(not _pid1_sent(tl, c, "SIGTERM"), "a Go program with signal.Notify re-raised "
          "SIGTERM: %s" % short(tl, 1500))
    check("re-raised" not in tl["reason"], "reason: %r" % tl["reason"])
    _has(_logs(c), "stopping")


def test_real_go_ignore():
    """A Go program with signal.Ignore(SIGTERM): SIG_IGN, stop_signal_ignored."""
    c, mon, idx, tl = _go("ignore", 3)
    _killed_after_grace(tl, "stop_signal_ignored", "SIGTERM", 3)
    _has(tl["reason"], "SIG_IGN", "Fix: do not ignore SIGTERM")
    _ignored_alert(mon, c, idx, tl, "gostop")
