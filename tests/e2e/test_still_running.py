# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""What was still running when a stop's grace ran out: real programs.

Each test starts a real program whose children outlive the stop signal,
stops it with docker stop -t 2, and asserts what an operator reads in the
stop_timeline: the processes of the container at the last sample before the
SIGKILL (comm, pid in the container, state, whether the stop signal was sent
to it), and the reason naming the programs. The monitor's stop() replays its
recording and wants the same records; the list is compared once more here.
A tenant forking more processes than a sample holds is cut at 256, and the
monitor keeps up with another stop meanwhile; more stops at once than are
sampled a second are each sampled in turn, and the seconds skipped counted.
"""

import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time

import stlib
from stlib import check, expect, get, short
from test_timelines import DefaultMonitor, _finish, _one_timeline, _verdict, _wait_timeline

IMAGE = "stoptrace-test/programs:1"
BASH_IGNORES = 'trap "" TERM; sleep 300 & sleep 301 & wait'
PY_CARRIES_ON = """
import signal, subprocess, time
signal.signal(signal.SIGTERM, lambda s, f: None)
kids = [subprocess.Popen(["sleep", str(300 + i)]) for i in range(3)]
while True:
    time.sleep(1)
"""
PY_BLOCKS = """
import signal, subprocess, time
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
kids = [subprocess.Popen(["sleep", "300"])]
while True:
    time.sleep(1)
"""
# a tenant that forks more processes than a sample holds
FORKS = 'trap "" TERM; for i in $(seq 400); do sleep 300 & done; wait'


def _setup():
    stlib.require_root()
    stlib.require_docker()
    if stlib.docker("image", "inspect", IMAGE, check=False).returncode != 0:
        stlib.fail("test image %s is missing: run tools/testbench up" % IMAGE)


def _run(*cmd):
    """docker run -d a container named st-running-<hex> of the programs image."""
    c = stlib.Container("st-running-" + secrets.token_hex(5))
    stlib._containers.append(c.name)
    stlib.docker("run", "-d", "--network", "none", "--name", c.name, IMAGE, *cmd)
    data = c.refresh()
    check(data["State"]["Running"] and c.pid > 0, "container %s is not running" % c.name)
    return c


def _procs(c):
    """host pid -> (comm, ns pid) of every process of c's cgroup, from /proc."""
    out = {}
    for pid in stlib.docker("top", c.name, "-eo", "pid").stdout.split()[1:]:
        try:
            with open("/proc/%s/status" % pid) as f:
                st = dict(ln.split(":", 1) for ln in f.read().splitlines() if ":" in ln)
        except OSError:
            continue
        out[int(pid)] = (st["Name"].strip(), int(st["NSpid"].split()[-1]))
    return out


def _wait_procs(c, want, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        procs = _procs(c)
        if len(procs) >= want:
            return procs
        time.sleep(0.1)
    stlib.fail("%s runs %d processes after %d s, want %d" % (c.name, len(_procs(c)), timeout,
                                                           want))


def _stopped(c, grace=2, args=(), text=None):
    """docker stop -t grace with the monitor running: the monitor and c's stop_timeline."""
    with DefaultMonitor(*args) as mon:
        mon.start()
        if text is not None:
            text.append(stlib.TextMonitor())
        stlib.docker("stop", "-t", str(grace), c.name, timeout=90)
        _wait_timeline(mon, c)
        _finish(mon)
        _, tl = _one_timeline(mon, c)
        _replayed_same(mon, c, tl)
        if text:
            text[0] = text[0].stop().decode("utf-8", "replace")
        return mon, tl


def _alert(mon, c, kind):
    found = [r for r in mon.records if r.get("type") == "alert" and r.get("kind") == kind
             and get(r, "container.id") == c.id]
    check(len(found) == 1, "%d %s alerts for %s, want 1" % (len(found), kind, c.name))
    return found[0]


def _replayed_same(mon, c, tl):
    """stoptrace replay of the recording: the same still_running for c."""
    res = subprocess.run([mon.binary, "replay", mon.recording, "--format", "json"],
                         stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
    check(res.returncode == 0, "replay exited %d" % res.returncode)
    again = [r for r in map(json.loads, res.stdout.decode().splitlines())
             if r.get("type") == "stop_timeline" and get(r, "container.id") == c.id]
    check(len(again) == 1, "%d replayed stop_timelines for %s" % (len(again), c.name))
    for key in ("still_running", "still_running_incomplete", "reason"):
        expect(again[0], key, tl.get(key), "the replayed stop_timeline")


def _still(tl, procs, grace_ms):
    """The still_running list, checked against the processes /proc showed."""
    still = tl.get("still_running")
    check(isinstance(still, list) and still, "no still_running: %s" % short(tl, 1500))
    for p in still:
        check(p.get("pid") in procs, "still_running lists pid %r, not one of %s: %s"
              % (p.get("pid"), sorted(procs), short(p)))
        comm, ns_pid = procs[p["pid"]]
        expect(p, "comm", comm, "still_running pid %d" % p["pid"])
        expect(p, "ns_pid", ns_pid, "still_running pid %d" % p["pid"])
        check(p.get("state") in ("S", "R", "D"), "state %r: %s" % (p.get("state"), short(p)))
        check(isinstance(p.get("wchan"), str), "wchan %r" % (p.get("wchan"),))
        ms = p.get("since_stop_ms")
        check(isinstance(ms, int) and 0 <= ms <= grace_ms,
              "since_stop_ms %r: the last sample comes before SIGKILL at %d ms" % (ms, grace_ms))
        check(grace_ms - ms <= 1500, "the last sample, at %d ms, is more than a second and a "
              "half before SIGKILL at %d ms" % (ms, grace_ms))
    return {p["pid"]: p for p in still}


# ---------------------------------------------------------------- tests

def test_bash_ignores_children_never_told():
    """bash as PID 1 ignores SIGTERM, its two sleeps never get it: all three still run."""
    _setup()
    c = _run("bash", "-c", BASH_IGNORES)
    procs = _wait_procs(c, 3)
    text = []
    _, tl = _stopped(c, text=text)
    _verdict(tl, "stop_signal_ignored")
    still = _still(tl, procs, tl["grace_ms"])
    check(len(still) == 3, "%d processes still running, want 3: %s"
          % (len(still), short(tl["still_running"], 1000)))
    expect(tl, "still_running_incomplete", False, "stop_timeline")
    init = still[c.pid]
    expect(init, "comm", "bash", "PID 1")
    expect(init, "ns_pid", 1, "PID 1")
    expect(init, "got_stop_signal", True, "PID 1")
    expect(init, "stop_signal_result", "ignored", "PID 1")
    sleeps = [p for p in still.values() if p["comm"] == "sleep"]
    check(len(sleeps) == 2, "want 2 sleeps: %s" % short(tl["still_running"], 1000))
    for p in sleeps:
        expect(p, "got_stop_signal", False, "a sleep of bash")
        expect(p, "state", "S", "a sleep of bash")
        check("stop_signal_result" not in p, "a result for a signal never sent: %s" % short(p))
    check("Processes still running when SIGKILL came: bash, sleep (2 processes)."
          in tl["reason"], "the reason does not name the programs: %r" % tl["reason"])
    # the text output lists them too
    # (a monitor of its own: its samples are taken at other times)
    for p in still.values():
        line = r"still running at \+\d+ ms: %s\[%d/%d\] S" % (p["comm"], p["pid"], p["ns_pid"])
        check(re.search(line, text[0]), "the text output has no %r:\n%s"
              % (line, text[0][-2000:]))
    check("sent SIGTERM: ignored" in text[0] and "never sent SIGTERM" in text[0],
          "the text output does not say who got SIGTERM:\n%s" % text[0][-2000:])


def test_still_running_alert():
    """--stop-alert-after 1 with docker stop -t 4: stop_still_running lists them."""
    _setup()
    c = _run("bash", "-c", BASH_IGNORES)
    _wait_procs(c, 3)
    mon, tl = _stopped(c, grace=4, args=("--stop-alert-after", "1"))
    alert = _alert(mon, c, "stop_still_running")
    still = alert.get("still_running") or []
    check(sorted(p.get("comm") for p in still) == ["bash", "sleep", "sleep"],
          "stop_still_running lists %s" % short(still, 800))
    check(all(p.get("since_stop_ms", 9999) <= 1000 for p in still),
          "the alert's sample is not the last before it: %s" % short(still, 800))
    check("still running: bash, sleep (2 processes)" in alert["message"],
          "the alert does not name the programs: %r" % alert["message"])
    expect(tl, "still_running_incomplete", False, "stop_timeline")


def test_blocked_stop_signal():
    """python3 blocks SIGTERM, with a child: stop_signal_blocked, alert and timeline list both."""
    _setup()
    c = _run("python3", "-c", PY_BLOCKS)
    procs = _wait_procs(c, 2)
    mon, tl = _stopped(c)
    _verdict(tl, "stop_signal_blocked")
    still = _still(tl, procs, tl["grace_ms"])
    check(sorted(p["comm"] for p in still.values()) == ["python3", "sleep"],
          "still running: %s" % short(tl["still_running"], 800))
    expect(still[c.pid], "got_stop_signal", True, "PID 1")
    expect(still[c.pid], "stop_signal_result", "delivered", "PID 1 (queued, blocked)")
    alert = _alert(mon, c, "stop_signal_blocked")
    check(len(alert.get("still_running") or []) == 2, "the blocked alert lists %s"
          % short(alert.get("still_running"), 800))
    check("still running: python3, sleep" in alert["message"], alert["message"])
    check("Processes still running when SIGKILL came: python3, sleep." in tl["reason"],
          "the reason does not name the programs: %r" % tl["reason"])


def test_handler_carries_on_grace_exceeded():
    """python3 handles SIGTERM and carries on with three sleeps: grace_period_exceeded."""
    _setup()
    c = _run("python3", "-c", PY_CARRIES_ON)
    procs = _wait_procs(c, 4)
    time.sleep(0.5)  # the handler is installed before the children start
    _, tl = _stopped(c)
    _verdict(tl, "grace_period_exceeded")
    still = _still(tl, procs, tl["grace_ms"])
    check(len(still) == 4, "%d processes still running, want 4" % len(still))
    expect(still[c.pid], "got_stop_signal", True, "PID 1")
    expect(still[c.pid], "stop_signal_result", "delivered", "PID 1")
    for p in still.values():
        if p["pid"] != c.pid:
            expect(p, "comm", "sleep", "a child")
            expect(p, "got_stop_signal", False, "a child")
    check("Processes still running when SIGKILL came: python3, sleep (3 processes)."
          in tl["reason"], "the reason does not name the programs: %r" % tl["reason"])


def test_fork_many_cut_and_monitor_keeps_up():
    """400 processes: 256 sampled, marked incomplete; another stop meanwhile is timely."""
    _setup()
    c = _run("bash", "-c", FORKS)
    _wait_procs(c, 401, timeout=60)
    other = _run("sleep", "300")
    with DefaultMonitor() as mon:
        mon.start()
        stopper = subprocess.Popen(["docker", "stop", "-t", "3", c.name],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.2)  # the many-process stop is being sampled
        started = time.monotonic()
        stlib.docker("stop", "-t", "1", other.name, timeout=60)
        _wait_timeline(mon, other, timeout=10)
        took = time.monotonic() - started
        check(took < 4, "the other stop's timeline came %.1f s after its docker stop" % took)
        stopper.wait(90)
        _wait_timeline(mon, c)
        _finish(mon)
        _, tl = _one_timeline(mon, c)
        _replayed_same(mon, c, tl)
    _verdict(tl, "stop_signal_ignored")
    still = tl.get("still_running") or []
    expect(tl, "still_running_incomplete", True, "stop_timeline")
    left = tl.get("still_running_left_out", 0)
    check(len(still) >= 8 and len(still) + left == 256,
          "%d listed + %d left out, want 256 in all" % (len(still), left))
    check("(the first 256 processes; there were more)" in tl["reason"],
          "the reason does not say the list was cut: %r" % tl["reason"])
    check("sleep (" in tl["reason"], "the reason does not name sleep: %r" % tl["reason"])


def test_many_stops_sampled_in_turn():
    """12 stops at once: at most 8 sampled a second, each still gets its list, skips counted."""
    _setup()
    cs = [_run("bash", "-c", 'trap "" TERM; sleep 300 & wait') for _ in range(12)]
    for c in cs:
        _wait_procs(c, 2)
    prom = os.path.join(tempfile.mkdtemp(prefix="st-running-"), "st.prom")
    with DefaultMonitor("--metrics-file", prom) as mon:
        mon.start()
        stoppers = [subprocess.Popen(["docker", "stop", "-t", "3", c.name],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    for c in cs]
        for p in stoppers:
            p.wait(120)
        for c in cs:
            _wait_timeline(mon, c)
        _finish(mon)
        last = mon.records[-1]
        tls = [_one_timeline(mon, c)[1] for c in cs]
    for c, tl in zip(cs, tls):
        _verdict(tl, "stop_signal_ignored")
        comms = sorted(p.get("comm") for p in tl.get("still_running") or [])
        check(comms == ["bash", "sleep"], "%s: still_running %s" % (c.name, comms))
    samples, skipped = last.get("running_samples"), last.get("running_samples_skipped")
    check(isinstance(samples, int) and samples >= 12, "running_samples %r" % (samples,))
    check(isinstance(skipped, int) and skipped >= 1,
          "running_samples_skipped %r: 12 stops at once exceed 8 samples a second" % (skipped,))
    with open(prom) as f:
        metrics = f.read()
    for outcome, value in (("taken", samples), ("skipped", skipped)):
        line = 'stoptrace_running_samples_total{outcome="%s"} %d' % (outcome, value)
        check(line in metrics, "the metrics file has no %r" % line)
    shutil.rmtree(os.path.dirname(prom), ignore_errors=True)
