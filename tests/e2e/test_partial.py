# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Partial stops: a stop the monitor may have seen only the end of.

- The monitor started right after `docker stop -t 1` sent SIGTERM to a PID 1
  that ignores it: it sees only the SIGKILL and the exit. The stop is partial,
  and its reason says how long the monitor had really been running when the
  SIGKILL came (between its launch and its monitor_started record), what it
  saw, and that a stop signal sent before it started was not seen.
- Long after the monitor started (past the 10 s window): a kill with no stop
  signal before it is judged on what was seen, killed_without_grace, not
  partial; and a docker stop is whole.
"""

import subprocess
import time

import stlib
from stlib import check, get, short
from test_timelines import (DefaultMonitor, _finish, _one_timeline, _setup, _start,
                            _verdict, _wait_timeline)

WINDOW_S = 10  # the partial window of the monitor's start (docs/records.md)


def _wait_kill_event(events, c, timeout=20):
    """Wait until dockerd says it sent c its stop signal (docker events: kill)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = events.stdout.readline()
        if not line:
            break
        if c.id in line and "kill" in line:
            return
    stlib.fail("docker events showed no kill of %s within %d s" % (c.name, timeout))


def test_partial_monitor_started_after_stop_signal():
    """docker stop -t 1 of a PID 1 that ignores SIGTERM; the monitor started
    once dockerd had sent SIGTERM: partial, with the monitor's real age."""
    _setup()
    c = _start("sleep", "1000")
    events = subprocess.Popen(["docker", "events", "--filter", "container=" + c.id,
                               "--filter", "event=kill", "--format", "{{.ID}} {{.Action}}"],
                              stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    stop = None
    try:
        time.sleep(0.5)  # docker events is listening
        stop = subprocess.Popen(["docker", "stop", "-t", "1", c.name], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _wait_kill_event(events, c)
        mon = DefaultMonitor("--container", c.id)
        launched = time.time_ns()
        with mon:
            started = mon.start()
            check(stop.wait(timeout=60) == 0, "bench: docker stop of %s failed: %s"
                  % (c.name, stop.stderr.read()))
            _wait_timeline(mon, c)
            _finish(mon)
            _, tl = _one_timeline(mon, c)
    finally:
        events.kill()
        events.wait()
        if stop and stop.poll() is None:
            stop.kill()
            stop.wait()
    what = "stop_timeline of %s: %s" % (c.name, short(tl, 1500))
    check(tl.get("partial") is True, "not partial, though the monitor started after SIGTERM "
          "was sent: %s" % what)
    _verdict(tl, "killed_without_grace")
    check(not [e for e in tl["events"] if e.get("signal") == "SIGTERM"],
          "SIGTERM is on the timeline though it was sent before the monitor started: " + what)
    reason = tl["reason"]
    head = "The monitor started "
    check(reason.startswith(head), "the reason does not say how long the monitor had run: "
          + what)
    ms = int(reason[len(head):].split(" ", 1)[0])
    # it began seeing events between its launch and its monitor_started record
    first_ns = stlib.time_ns(tl["started"])
    seeing_ns = first_ns - ms * 1000000
    check(launched - 2000000 <= seeing_ns <= stlib.time_ns(started["time"]) + 2000000,
          "the reason says the monitor started %d ms before the SIGKILL, which puts its start "
          "before its launch or after its monitor_started record: %s" % (ms, what))
    check(ms < 1000, "the monitor started %d ms before the SIGKILL of docker stop -t 1, "
          "launched after the SIGTERM: %s" % (ms, what))
    for part in ("ms before this stop's first event: it saw SIGKILL from ",
                 " and the exit of PID 1, killed by SIGKILL; a stop signal sent before it "
                 "started was not seen"):
        check(part in reason, "the reason does not say %r: %s" % (part, what))
    check("no chance" not in reason and "just after" not in reason,
          "the reason claims what the monitor could not see: " + what)


def test_partial_not_long_after_start():
    """Past the window: docker kill is killed_without_grace, docker stop whole."""
    _setup()
    killed = _start("sleep", "1000")
    stopped = _start("sleep", "1000")
    mon = DefaultMonitor("--container", killed.id, "--container", stopped.id)
    with mon:
        mon.start()
        time.sleep(WINDOW_S + 1)
        stlib.docker("kill", killed.name, timeout=60)
        stlib.docker("stop", "-t", "1", stopped.name, timeout=60)
        _wait_timeline(mon, killed)
        _wait_timeline(mon, stopped)
        _finish(mon)
        _, tk = _one_timeline(mon, killed)
        _, ts = _one_timeline(mon, stopped)
    what = "stop_timeline of %s: %s" % (killed.name, short(tk, 1500))
    check(tk.get("partial") is False, "partial %d s after the monitor started: %s"
          % (WINDOW_S + 1, what))
    _verdict(tk, "killed_without_grace")
    check("no chance to shut down" in tk["reason"] and "monitor" not in tk["reason"],
          "the reason of a kill without a stop signal, long after the start: " + what)
    check(get(tk, "sender.comm") and tk.get("stop_signal") == "SIGKILL",
          "the kill's sender and signal: " + what)
    check(ts.get("partial") is False, "docker stop long after the start is partial: %s"
          % short(ts, 1500))
    _verdict(ts, "stop_signal_ignored")
