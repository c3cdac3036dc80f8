# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Stop timelines and alerts: one real Docker stop per verdict.

Each test runs the monitor in its default mode (no --events: the stream is
alerts and timelines only), stops a container one way, and asserts on the
stop_timeline, alert and alert_resolved records of that container: the one
verdict, the signals, the grace, the exit, and that alerts came in real time,
before the timeline that closes the stop.
"""

import os
import subprocess
import threading
import time

import stlib
from stlib import check, expect, fail, get, note, short

NS_PER_S = 10**9


# ---------------------------------------------------------------- helpers

class DefaultMonitor(stlib.Monitor):
    """The monitor as an operator runs it: JSON to a file, without --events."""

    events = False

    def summary(self, limit=8):
        recs = self.poll()
        text = "%d records in %s" % (len(recs), self.output)
        tail = [r for r in recs if r.get("type") not in ("monitor_started", "monitor_stats")]
        if tail:
            text += "; last records:\n" + "\n".join("    " + short(r, 400)
                                                    for r in tail[-limit:])
        return text


def _setup():
    stlib.require_root()
    stlib.require_docker()


def _start(*cmd, docker_args=(), running=True):
    """docker run -d a test container; unlike stlib.run_container it may
    already have exited when running is False (OOM, short-lived init)."""
    if running:
        return stlib.run_container(*cmd, docker_args=docker_args)
    c = stlib.Container(stlib.new_name())
    stlib._containers.append(c.name)
    stlib.docker("run", "-d", "--network", "none", "--name", c.name, *docker_args,
                 stlib.IMAGE, *cmd)
    c.refresh()
    return c


def _remove(c):
    """Force-remove a container of this test (the runner does it again, harmlessly)."""
    res = stlib.docker("rm", "-f", c.name, check=False, timeout=60)
    if res.returncode != 0 and "No such container" not in res.stderr:
        note("cleanup: docker rm -f %s: %s" % (c.name, res.stderr.strip()))


def _wait_comm(c, comm, timeout=10):
    """Wait until the container's PID 1 runs comm (its handlers are then set up
    within a few microseconds; a short pause covers that)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with open("/proc/%d/comm" % c.pid) as f:
                if f.read().strip() == comm:
                    break
        except OSError:
            pass
        check(time.monotonic() < deadline, "PID 1 of %s (host pid %d) is not %s after %d s"
              % (c.name, c.pid, comm, timeout))
        time.sleep(0.05)
    time.sleep(0.5)


def _mine(c, rtype, kind=None):
    return lambda r: (r.get("type") == rtype and get(r, "container.id") == c.id
                      and (kind is None or r.get("kind") == kind))


def _lines(mon, c, rtype, kind=None):
    """(line index, record) of c's records of one type (and alert kind)."""
    pred = _mine(c, rtype, kind)
    return [(i, r) for i, r in enumerate(mon.poll()) if pred(r)]


def _check_container(rec, c, what):
    expect(rec, "container.id", c.id, what)
    expect(rec, "container.name", c.name, what)
    expect(rec, "container.runtime", "docker", what)


def _one_timeline(mon, c):
    """The single stop_timeline of c, with its line index. Call after mon.stop()."""
    tls = _lines(mon, c, "stop_timeline")
    check(len(tls) == 1, "%d stop_timeline records for %s, want exactly 1:\n%s"
          % (len(tls), c.name, "\n".join("    " + short(r, 600) for _, r in tls)))
    idx, tl = tls[0]
    _check_container(tl, c, "stop_timeline")
    return idx, tl


def _wait_timeline(mon, c, timeout=40):
    return mon.wait_for(_mine(c, "stop_timeline"), timeout,
                        "stop_timeline for %s (%s)" % (c.name, c.id[:12]))


def _finish(mon, settle=2.0):
    """Give late duplicates a chance to show, then stop the monitor cleanly."""
    time.sleep(settle)
    mon.stop()


def _verdict(tl, want):
    what = "stop_timeline of %s" % get(tl, "container.name")
    if tl.get("verdict") != want:
        fail("%s: verdict is %r, want %r (findings %r, reason %r): %s"
             % (what, tl.get("verdict"), want, tl.get("findings"), tl.get("reason"),
                short(tl, 1500)))
    findings = tl.get("findings")
    check(isinstance(findings, list) and want in findings,
          "%s: findings %r do not contain the verdict %r" % (what, findings, want))
    check(isinstance(tl.get("reason"), str) and tl["reason"],
          "%s: reason is %r, want a sentence" % (what, tl.get("reason")))


def _events(tl, name, signame=None, pid=None):
    """(position, event) of the timeline's events of one kind."""
    out = []
    for i, ev in enumerate(tl.get("events") or []):
        if ev.get("event") != name:
            continue
        if signame is not None and ev.get("signal") != signame:
            continue
        if pid is not None and get(ev, "process.pid") != pid:
            continue
        out.append((i, ev))
    return out


def _event_pids(tl):
    """The container's processes its events name (an fs_call's is the runtime's caller)."""
    return {get(ev, "process.pid") for ev in tl.get("events") or []
            if get(ev, "process.pid") is not None and ev.get("event") != "fs_call"}


def _no_alerts(mon, c, *kinds):
    for kind in kinds:
        found = _lines(mon, c, "alert", kind)
        check(not found, "%s: unexpected %s alert: %s"
              % (c.name, kind, short(found[0][1], 800) if found else ""))


def _alert_before(mon, c, kind, tl_idx, tl):
    """The one alert of kind for c: written before the timeline line, inside
    the stop (not after its end); returns (line index, alert)."""
    alerts = _lines(mon, c, "alert", kind)
    check(alerts, "no %s alert for %s; %s" % (kind, c.name, mon.summary()))
    check(len(alerts) == 1, "%d %s alerts for %s, want 1: %s"
          % (len(alerts), kind, c.name, "\n".join(short(a) for _, a in alerts)))
    idx, alert = alerts[0]
    _check_container(alert, c, "%s alert" % kind)
    check(isinstance(alert.get("alert_id"), str) and alert["alert_id"],
          "%s alert has no alert_id: %s" % (kind, short(alert)))
    for key in ("message", "action"):
        check(isinstance(alert.get(key), str) and alert[key],
              "%s alert: %s is %r, want words" % (kind, key, alert.get(key)))
    check(idx < tl_idx, "%s alert is line %d, after the stop_timeline (line %d): it must "
          "come while the stop runs" % (kind, idx + 1, tl_idx + 1))
    return idx, alert


def _resolved_after(mon, c, kind, alert, after_idx):
    res = [(i, r) for i, r in _lines(mon, c, "alert_resolved")
           if r.get("alert_id") == alert["alert_id"]]
    check(len(res) == 1, "%d alert_resolved records with alert_id %s (%s), want 1"
          % (len(res), alert["alert_id"], kind))
    idx, rec = res[0]
    expect(rec, "kind", kind, "alert_resolved")
    _check_container(rec, c, "alert_resolved")
    check(idx > after_idx, "alert_resolved %s is line %d, not after line %d"
          % (alert["alert_id"], idx + 1, after_idx + 1))
    return rec


def _no_raw_events(mon):
    raw = [r for r in mon.poll() if r.get("type") == "event"]
    check(not raw, "%d raw event records without --events (the default stream is alerts "
          "and timelines); first: %s" % (len(raw), short(raw[0]) if raw else ""))


class Background:
    """A command run in the background, so the test can watch the monitor
    while it is still going on."""

    def __init__(self, argv):
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)

    def running(self):
        return self.proc.poll() is None

    def wait(self, timeout=90):
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
            fail("%s did not finish within %d s" % (" ".join(self.argv), timeout))
        check(self.proc.returncode == 0, "%s failed (status %d): %s"
              % (" ".join(self.argv), self.proc.returncode, err.strip()))
        return out

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


# ---------------------------------------------------------------- tests

def test_stop_signal_ignored():
    """sleep as PID 1, docker stop -t 2: the kernel drops SIGTERM, the alert
    comes at once (while docker stop still waits), SIGKILL after the grace."""
    _setup()
    c = _start("sleep", "1000")
    stop = None
    try:
        with DefaultMonitor() as mon:
            mon.start()
            t0 = time.monotonic()
            stop = Background(["docker", "stop", "-t", "2", c.name])
            alert = mon.wait_for(_mine(c, "alert", "stop_signal_ignored"), 20,
                                 "stop_signal_ignored alert for %s" % c.name)
            still = stop.running()
            early = mon.find(_mine(c, "stop_timeline"))
            stop.wait()
            took = time.monotonic() - t0
            check(took >= 1.5, "docker stop -t 2 returned after %.2f s: sleep should have "
                  "ignored SIGTERM" % took)
            check(still, "the stop_signal_ignored alert was not written until docker stop "
                  "had returned (%.1f s): it must come while the stop waits" % took)
            check(not early, "the stop_timeline was written before the alert was seen")
            _wait_timeline(mon, c)
            _finish(mon)

            tl_idx, tl = _one_timeline(mon, c)
            _verdict(tl, "stop_signal_ignored")
            what = "stop_timeline"
            expect(tl, "stop_signal", "SIGTERM", what)
            expect(tl, "exit.signal", "SIGKILL", what)
            expect(tl, "init.pid", c.pid, what)
            grace = tl.get("grace_ms")
            check(type(grace) is int and 1500 <= grace <= 6000,
                  "grace_ms is %r, want 1500..6000 for docker stop -t 2" % (grace,))
            sender = get(tl, "sender.comm")
            check(isinstance(sender, str) and sender, "sender.comm is %r, want the name of "
                  "who sent SIGTERM: %s" % (sender, short(tl, 800)))
            terms = _events(tl, "signal_generate", "SIGTERM", c.pid)
            kills = _events(tl, "signal_generate", "SIGKILL", c.pid)
            check(terms and kills, "events lack SIGTERM or SIGKILL to PID 1 (host pid %d): %s"
                  % (c.pid, short(tl.get("events"), 1500)))
            expect(terms[0][1], "result", "ignored", "SIGTERM event")
            expect(kills[0][1], "result", "delivered", "SIGKILL event")
            check(terms[0][0] < kills[0][0] and terms[0][1]["t_ms"] < kills[0][1]["t_ms"],
                  "SIGTERM (t_ms %r) is not before SIGKILL (t_ms %r)"
                  % (terms[0][1].get("t_ms"), kills[0][1].get("t_ms")))
            exits = _events(tl, "process_exit", pid=c.pid)
            check(exits, "no process_exit event of PID 1 in the timeline")

            a_idx, alert = _alert_before(mon, c, "stop_signal_ignored", tl_idx, tl)
            expect(alert, "signal", "SIGTERM", "stop_signal_ignored alert")
            expect(alert, "process.pid", c.pid, "stop_signal_ignored alert")
            lead = (stlib.time_ns(tl["time"]) - stlib.time_ns(alert["time"])) / NS_PER_S
            check(lead >= 1.0, "alert time %s is only %.3f s before the timeline's end %s, "
                  "want >= 1 s (the alert must not wait for the stop to end)"
                  % (alert["time"], lead, tl["time"]))
            _resolved_after(mon, c, "stop_signal_ignored", alert, a_idx)
            _no_alerts(mon, c, "stop_signal_blocked")
            _no_raw_events(mon)
    finally:
        if stop:
            stop.kill()
        _remove(c)


def test_graceful():
    """trapexit as PID 1 handles SIGTERM and exits 0 at once: graceful."""
    _setup()
    c = None
    try:
        with DefaultMonitor() as mon:
            mon.start()
            c = _start("trapexit")
            _wait_comm(c, "trapexit")
            stlib.docker("stop", "-t", "10", c.name, timeout=90)
            _wait_timeline(mon, c)
            _finish(mon)

            _, tl = _one_timeline(mon, c)
            _verdict(tl, "graceful")
            expect(tl, "stop_signal", "SIGTERM", "stop_timeline")
            expect(tl, "exit.code", 0, "stop_timeline")
            check(get(tl, "exit.signal") is None, "exit has a signal: %r" % tl.get("exit"))
            check("grace_ms" in tl and tl["grace_ms"] is None,
                  "grace_ms is %r, want null (no SIGKILL was needed)" % tl.get("grace_ms"))
            check(not _events(tl, "signal_generate", "SIGKILL", c.pid),
                  "a SIGKILL to PID 1 in a graceful stop: %s" % short(tl.get("events"), 1500))
            _no_alerts(mon, c, "stop_signal_ignored", "stop_signal_blocked",
                       "stop_still_running", "oom_killed")
            _no_raw_events(mon)
    finally:
        if c:
            _remove(c)


def test_grace_period_exceeded():
    """trapexit 5 with docker stop -t 1: the handler runs, but too slowly."""
    _setup()
    c = None
    try:
        with DefaultMonitor() as mon:
            mon.start()
            c = _start("trapexit", "5")
            _wait_comm(c, "trapexit")
            stlib.docker("stop", "-t", "1", c.name, timeout=90)
            _wait_timeline(mon, c)
            _finish(mon)

            _, tl = _one_timeline(mon, c)
            _verdict(tl, "grace_period_exceeded")
            expect(tl, "stop_signal", "SIGTERM", "stop_timeline")
            expect(tl, "exit.signal", "SIGKILL", "stop_timeline")
            grace = tl.get("grace_ms")
            check(type(grace) is int and 700 <= grace <= 4500,
                  "grace_ms is %r, want about 1000 for docker stop -t 1" % (grace,))
            terms = _events(tl, "signal_generate", "SIGTERM", c.pid)
            check(terms, "no SIGTERM to PID 1 in the events")
            expect(terms[0][1], "result", "delivered", "SIGTERM event")
            _no_alerts(mon, c, "stop_signal_ignored", "stop_signal_blocked")
            _no_raw_events(mon)
    finally:
        if c:
            _remove(c)


def test_stop_signal_blocked():
    """blocksig as PID 1 blocks SIGTERM: pending, not ignored; its own alert."""
    _setup()
    c = None
    try:
        with DefaultMonitor() as mon:
            mon.start()
            c = _start("blocksig")
            _wait_comm(c, "blocksig")
            stlib.docker("stop", "-t", "2", c.name, timeout=90)
            _wait_timeline(mon, c)
            _finish(mon)

            tl_idx, tl = _one_timeline(mon, c)
            _verdict(tl, "stop_signal_blocked")
            expect(tl, "stop_signal", "SIGTERM", "stop_timeline")
            expect(tl, "exit.signal", "SIGKILL", "stop_timeline")
            terms = _events(tl, "signal_generate", "SIGTERM", c.pid)
            check(terms, "no SIGTERM to PID 1 in the events")
            check(terms[0][1].get("result") != "ignored", "a blocked SIGTERM is reported as "
                  "ignored: %s" % short(terms[0][1]))
            check("stop_signal_ignored" not in tl.get("findings", []),
                  "findings %r claim the blocked SIGTERM was ignored" % tl.get("findings"))
            a_idx, alert = _alert_before(mon, c, "stop_signal_blocked", tl_idx, tl)
            expect(alert, "signal", "SIGTERM", "stop_signal_blocked alert")
            _resolved_after(mon, c, "stop_signal_blocked", alert, a_idx)
            _no_alerts(mon, c, "stop_signal_ignored")
            _no_raw_events(mon)
    finally:
        if c:
            _remove(c)


def _killed_without_grace(how):
    _setup()
    c = None
    try:
        with DefaultMonitor() as mon:
            mon.start()
            c = _start("sleep", "1000")
            _wait_comm(c, "sleep")
            stlib.docker(*how, c.name, timeout=90)
            _wait_timeline(mon, c)
            _finish(mon)

            _, tl = _one_timeline(mon, c)
            _verdict(tl, "killed_without_grace")
            expect(tl, "stop_signal", "SIGKILL", "stop_timeline")
            expect(tl, "exit.signal", "SIGKILL", "stop_timeline")
            sender = get(tl, "sender.comm")
            check(isinstance(sender, str) and sender, "sender.comm is %r, want who killed "
                  "it" % (sender,))
            check(not _events(tl, "signal_generate", "SIGTERM", c.pid),
                  "a SIGTERM in a stop with no grace: %s" % short(tl.get("events"), 1500))
            _no_alerts(mon, c, "stop_signal_ignored", "stop_signal_blocked")
            _no_raw_events(mon)
    finally:
        if c:
            _remove(c)


def test_killed_without_grace_docker_kill():
    """docker kill: SIGKILL with no stop signal before it."""
    _killed_without_grace(("kill",))


def test_killed_without_grace_rm_force():
    """docker rm -f of a running container: SIGKILL with no grace."""
    _killed_without_grace(("rm", "-f"))


def test_oom_killed():
    """allocate under --memory 32m: the OOM killer ends PID 1."""
    _setup()
    c = None
    try:
        with DefaultMonitor() as mon:
            mon.start()
            c = _start("allocate", docker_args=("--memory", "32m", "--memory-swap", "32m"),
                       running=False)
            deadline = time.monotonic() + 60
            while True:
                state = c.refresh()["State"]
                if not state["Running"]:
                    break
                check(time.monotonic() < deadline, "allocate still runs after 60 s under a "
                      "32 MiB limit: the OOM killer did not end it (%s)" % state)
                time.sleep(0.5)
            check(state.get("OOMKilled") is True, "allocate stopped but Docker says "
                  "OOMKilled=%r (exit %r): the bench did not produce an OOM kill"
                  % (state.get("OOMKilled"), state.get("ExitCode")))
            _wait_timeline(mon, c)
            _finish(mon)

            tl_idx, tl = _one_timeline(mon, c)
            _verdict(tl, "oom_killed")
            expect(tl, "exit.signal", "SIGKILL", "stop_timeline")
            alerts = _lines(mon, c, "alert", "oom_killed")
            check(len(alerts) == 1, "%d oom_killed alerts for %s, want 1; %s"
                  % (len(alerts), c.name, mon.summary()))
            idx, alert = alerts[0]
            _check_container(alert, c, "oom_killed alert")
            check(idx < tl_idx, "oom_killed alert (line %d) after the timeline (line %d)"
                  % (idx + 1, tl_idx + 1))
            _no_alerts(mon, c, "stop_signal_ignored", "stop_signal_blocked")
            _no_raw_events(mon)
    finally:
        if c:
            _remove(c)


def test_exited():
    """A PID 1 that ends on its own with status 3: exited, no stop signal."""
    _setup()
    c = None
    try:
        with DefaultMonitor() as mon:
            mon.start()
            c = _start("sh", "-c", "sleep 1; exit 3", running=False)
            deadline = time.monotonic() + 30
            while c.refresh()["State"]["Running"]:
                check(time.monotonic() < deadline, "sh -c 'sleep 1; exit 3' still runs")
                time.sleep(0.2)
            _wait_timeline(mon, c)
            _finish(mon)

            _, tl = _one_timeline(mon, c)
            _verdict(tl, "exited")
            expect(tl, "exit.code", 3, "stop_timeline")
            check("stop_signal" in tl and tl["stop_signal"] is None,
                  "stop_signal is %r, want null (nobody stopped it)" % (tl.get("stop_signal"),))
            _no_alerts(mon, c, "stop_signal_ignored", "stop_signal_blocked", "oom_killed")
            _no_raw_events(mon)
    finally:
        if c:
            _remove(c)


def test_restarted_after_stop():
    """--restart always, PID 1 killed from the host: a timeline, then the
    container comes back and restarted_after_stop says so."""
    _setup()
    c = None
    try:
        with DefaultMonitor() as mon:
            mon.start()
            c = _start("sleep", "1000", docker_args=("--restart", "always"))
            _wait_comm(c, "sleep")
            old_pid = c.pid
            res = subprocess.run(["kill", "-KILL", str(old_pid)], capture_output=True,
                                 text=True, timeout=30)
            check(res.returncode == 0, "kill -KILL %d failed: %s" % (old_pid, res.stderr))
            alert = mon.wait_for(_mine(c, "alert", "restarted_after_stop"), 40,
                                 "restarted_after_stop alert for %s" % c.name)
            deadline = time.monotonic() + 30
            while True:
                state = c.refresh()["State"]
                if state["Running"] and c.pid != old_pid:
                    break
                check(time.monotonic() < deadline, "%s did not come back: %s"
                      % (c.name, state))
                time.sleep(0.2)
            _finish(mon)

            tl_idx, tl = _one_timeline(mon, c)
            expect(tl, "init.pid", old_pid, "stop_timeline")
            _verdict(tl, "killed_without_grace")
            expect(tl, "stop_signal", "SIGKILL", "stop_timeline")
            expect(tl, "sender.comm", "kill", "stop_timeline")
            alerts = _lines(mon, c, "alert", "restarted_after_stop")
            check(len(alerts) == 1, "%d restarted_after_stop alerts, want 1" % len(alerts))
            a_idx, alert = alerts[0]
            _check_container(alert, c, "restarted_after_stop alert")
            check(a_idx > tl_idx, "restarted_after_stop alert (line %d) before the stop's "
                  "timeline (line %d)" % (a_idx + 1, tl_idx + 1))
            check(stlib.time_ns(alert["time"]) >= stlib.time_ns(tl["time"]),
                  "restarted_after_stop stamped %s, before the stop ended %s"
                  % (alert["time"], tl["time"]))
            _no_raw_events(mon)
    finally:
        if c:
            _remove(c)


def test_interleaved_stops():
    """Three containers stopped at the same moment, three ways: one timeline
    each, each with its own verdict and none of the others' processes."""
    _setup()
    ignored = _start("sleep", "1000")
    graceful = _start("trapexit")
    killed = _start("sleep", "1000")
    cs = (ignored, graceful, killed)
    try:
        _wait_comm(graceful, "trapexit")
        with DefaultMonitor() as mon:
            mon.start()
            cmds = {ignored.name: ["stop", "-t", "3", ignored.name],
                    graceful.name: ["stop", "-t", "10", graceful.name],
                    killed.name: ["kill", killed.name]}
            errors = []
            gate = threading.Barrier(len(cmds))

            def run(args):
                gate.wait(10)
                res = stlib.docker(*args, timeout=90, check=False)
                if res.returncode:
                    errors.append("docker %s: %s" % (" ".join(args), res.stderr.strip()))

            threads = [threading.Thread(target=run, args=(a,)) for a in cmds.values()]
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)
            check(not errors, "; ".join(errors))
            for c in cs:
                _wait_timeline(mon, c)
            _finish(mon)

            want = {ignored.name: "stop_signal_ignored", graceful.name: "graceful",
                    killed.name: "killed_without_grace"}
            tls = {}
            for c in cs:
                _, tl = _one_timeline(mon, c)
                tls[c.name] = tl
                _verdict(tl, want[c.name])
                expect(tl, "init.pid", c.pid, "stop_timeline of %s" % c.name)
            expect(tls[ignored.name], "stop_signal", "SIGTERM", "ignored stop")
            expect(tls[graceful.name], "stop_signal", "SIGTERM", "graceful stop")
            expect(tls[graceful.name], "exit.code", 0, "graceful stop")
            expect(tls[killed.name], "stop_signal", "SIGKILL", "killed stop")
            for c in cs:
                tl = tls[c.name]
                others = {o.pid for o in cs if o is not c}
                pids = _event_pids(tl)
                check(c.pid in pids, "%s's timeline has no event of its PID 1 (%d)"
                      % (c.name, c.pid))
                check(not pids & others, "%s's timeline holds events of other containers' "
                      "processes %r: %s" % (c.name, sorted(pids & others),
                                            short(tl.get("events"), 1500)))
                check(pids == {c.pid}, "%s's timeline names processes %r, want only its "
                      "PID 1 (%d)" % (c.name, sorted(pids), c.pid))
                # the runtime's clean-up after each stop: its own files only
                paths = [ev.get("path") or "" for ev in tl.get("events") or []
                         if ev.get("event") == "fs_call"]
                check(not [p for p in paths for o in cs if o is not c and o.id in p],
                      "%s's timeline holds calls on other containers' files: %r"
                      % (c.name, paths))
            _no_alerts(mon, graceful, "stop_signal_ignored", "stop_signal_blocked")
            _no_alerts(mon, killed, "stop_signal_ignored", "stop_signal_blocked")
            found = _lines(mon, ignored, "alert", "stop_signal_ignored")
            check(len(found) == 1, "%d stop_signal_ignored alerts for %s, want 1"
                  % (len(found), ignored.name))
            _no_raw_events(mon)
    finally:
        for c in cs:
            _remove(c)


def test_stop_still_running():
    """--stop-alert-after 2 and docker stop -t 6 of sleep: stop_still_running
    after about 2 s, while docker stop still waits, resolved at the end."""
    _setup()
    c = _start("sleep", "1000")
    stop = None
    try:
        with DefaultMonitor("--stop-alert-after", "2") as mon:
            mon.start()
            stop = Background(["docker", "stop", "-t", "6", c.name])
            mon.wait_for(_mine(c, "alert", "stop_still_running"), 30,
                         "stop_still_running alert for %s" % c.name)
            still = stop.running()
            early = mon.find(_mine(c, "stop_timeline"))
            stop.wait()
            check(still, "the stop_still_running alert was written only after docker stop "
                  "-t 6 had returned")
            check(not early, "the stop_timeline came before stop_still_running")
            _wait_timeline(mon, c)
            _finish(mon)

            tl_idx, tl = _one_timeline(mon, c)
            _verdict(tl, "stop_signal_ignored")
            a_idx, alert = _alert_before(mon, c, "stop_still_running", tl_idx, tl)
            after = (stlib.time_ns(alert["time"]) - stlib.time_ns(tl["started"])) / NS_PER_S
            check(1.5 <= after <= 5.5, "stop_still_running came %.2f s into the stop, want "
                  "about 2 (--stop-alert-after 2)" % after)
            _resolved_after(mon, c, "stop_still_running", alert, a_idx)
            _no_raw_events(mon)
    finally:
        if stop:
            stop.kill()
        _remove(c)
