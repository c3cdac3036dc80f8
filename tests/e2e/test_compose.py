# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Docker Compose, for real: docker-compose up -d, then docker-compose down.

Debian's docker-compose (1.29) drives the local dockerd. The test writes a
compose file of three services on the test image into a temporary
directory (network_mode: none: no network is reachable, and none is
created), starts them, starts the monitor for their containers, and takes
the project down. down stops every service (each with its own stop signal
and grace period) and removes its container: one stop_timeline and one
removal_timeline per service, each with the container's compose name.
docker-compose stop, then docker-compose rm -f, split the two: the stop
writes no removal, the rm no second stop.
"""

import os
import secrets
import shutil
import subprocess
import tempfile
import time

import stlib
from stlib import check, expect, fail, get, note, short

QUIET = 6       # s after down: a second timeline would come by now
TIMEOUT = 60    # s for the records of down

# service -> (its compose lines, the stop signal, the verdict, the exit)
SERVICES = {
    # stop_signal: SIGUSR1, handled by PID 1 (a shell that exits 0 on it)
    "usr1": ('    stop_signal: SIGUSR1\n'
             '    command: ["sh", "-c", "trap \'exit 0\' USR1; sleep 300 & wait"]\n',
             "SIGUSR1", "graceful", {"code": 0}),
    # SIGTERM set to SIG_IGN by PID 1: killed after its short grace period
    "stubborn": ('    stop_grace_period: 2s\n'
                 '    command: ["sh", "-c", "trap \'\' TERM; sleep 300 & wait"]\n',
                 "SIGTERM", "stop_signal_ignored", {"signal": "SIGKILL"}),
    # nothing set: SIGTERM, which trapexit handles and exits 0
    "plain": ('    command: ["trapexit"]\n', "SIGTERM", "graceful", {"code": 0}),
}


class ComposeMonitor(stlib.Monitor):
    """The monitor as an operator runs it (no --events); stop() checks the replay."""

    events = False


def _compose_file():
    text = 'version: "2.4"\nservices:\n'
    for svc, (lines, _sig, _verdict, _exit) in SERVICES.items():
        text += "  %s:\n    image: %s\n    network_mode: none\n%s" % (svc, stlib.IMAGE, lines)
    return text


def _compose(directory, project, *args, timeout=120):
    res = subprocess.run(["docker-compose", "-p", project, *args], cwd=directory,
                         stdin=subprocess.DEVNULL, capture_output=True, text=True,
                         timeout=timeout)
    if res.returncode != 0:
        fail("docker-compose %s failed (status %d): %s" % (" ".join(args), res.returncode,
                                                           (res.stderr or res.stdout).strip()))
    return res


def _project_containers(project):
    """service -> stlib.Container of the project, from dockerd's labels."""
    ids = stlib.docker("ps", "-aq", "--no-trunc", "--filter",
                       "label=com.docker.compose.project=" + project).stdout.split()
    out = {}
    for cid in ids:
        data = stlib.inspect(cid)
        svc = data["Config"]["Labels"].get("com.docker.compose.service")
        c = stlib.Container(data["Name"].lstrip("/"))
        c.refresh()
        check(c.pid > 0, "bench: compose service %s (%s) is not running" % (svc, c.name))
        out[svc] = c
    return out


def _mine(c, kind):
    return lambda r: r.get("type") == kind and get(r, "container.id") == c.id


def _check_stop(mon, svc, c):
    _lines, sig, verdict, exit_ = SERVICES[svc]
    what = "stop_timeline of compose service %s (%s)" % (svc, c.name)
    tls = mon.find(_mine(c, "stop_timeline"))
    check(len(tls) == 1, "%d stop_timelines for %s, want 1:\n%s" % (len(tls), c.name, "\n".join(
        "    " + short(r, 800) for r in tls)))
    tl = tls[0]
    expect(tl, "container.name", c.name, what)
    expect(tl, "container.runtime", "docker", what)
    expect(tl, "container.cgroup", "/docker/" + c.id, what)
    expect(tl, "stop_signal", sig, what)
    expect(tl, "configured_stop_signal", sig, what)
    expect(tl, "verdict", verdict, what)
    expect(tl, "exit", exit_, what)
    expect(tl, "init.pid", c.pid, what)
    check(get(tl, "sender.comm") == "runc" and not get(tl, "sender.from_inside"),
          "%s: sender %r, want runc from outside" % (what, tl.get("sender")))
    if verdict == "stop_signal_ignored":
        grace = tl.get("grace_ms")
        check(type(grace) is int and 1900 <= grace <= 4000, "%s: grace_ms %r, want about 2000 "
              "(stop_grace_period: 2s)" % (what, grace))
        check("SIG_IGN" in (tl.get("reason") or ""), "%s: the reason does not say PID 1 set "
              "SIGTERM to SIG_IGN: %r" % (what, tl.get("reason")))
    note("%s: %s, %s" % (c.name, tl.get("verdict"), tl.get("reason")))


def _check_removal(mon, c, since, what):
    rms = mon.find(_mine(c, "removal_timeline"))
    check(len(rms) == 1, "%d removal_timelines for %s, want 1 (%s removes it):\n%s"
          % (len(rms), c.name, what, "\n".join("    " + short(r, 800) for r in rms)))
    check(mon.find(_mine(c, "removal_timeline"), since), "the removal_timeline of %s came "
          "before %s" % (c.name, what))
    expect(rms[0], "container.name", c.name, "removal_timeline of " + c.name)
    expect(rms[0], "outcome", "removed", "removal_timeline of " + c.name)
    expect(rms[0], "caller.comm", "dockerd", "removal_timeline of " + c.name)


def _wait_all(mon, ctrs, kind, since=0):
    for c in ctrs.values():
        mon.wait_for(lambda r, c=c: _mine(c, kind)(r), TIMEOUT, "%s of %s" % (kind, c.name),
                     since=since)


class _Project:
    """A compose project of SERVICES in a temporary directory, up; taken down at the end."""

    def __init__(self):
        stlib.require_root()
        stlib.require_docker()
        check(shutil.which("docker-compose"), "docker-compose is not installed (Debian's "
              "docker-compose; tools/testbench up)")
        self.name = "st-podcompose-" + secrets.token_hex(4)
        self.dir = tempfile.mkdtemp(prefix="stoptrace-compose-")
        with open(os.path.join(self.dir, "docker-compose.yml"), "w") as f:
            f.write(_compose_file())

    def __enter__(self):
        self.run("up", "-d")
        self.ctrs = _project_containers(self.name)
        check(sorted(self.ctrs) == sorted(SERVICES), "bench: docker-compose up made %r, want "
              "one container per service %r" % (sorted(self.ctrs), sorted(SERVICES)))
        return self

    def __exit__(self, *exc):
        subprocess.run(["docker-compose", "-p", self.name, "down", "-t", "0"], cwd=self.dir,
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
        shutil.rmtree(self.dir, ignore_errors=True)
        return False

    def run(self, *args):
        return _compose(self.dir, self.name, *args)

    def monitor(self):
        args = []
        for c in self.ctrs.values():
            args += ["--container", c.name]
        return ComposeMonitor(*args)


def test_compose_down():
    """docker-compose down of three services (a handled stop_signal SIGUSR1, a
    SIGTERM ignored with stop_grace_period 2s, a plain one): one stop_timeline
    per service with its compose name, stop signal and verdict, and one
    removal_timeline each."""
    with _Project() as p, p.monitor() as mon:
        mon.start()
        time.sleep(1.0)  # the shells set their traps
        t0 = time.monotonic()
        p.run("down")
        took = time.monotonic() - t0
        _wait_all(mon, p.ctrs, "removal_timeline")
        time.sleep(QUIET)
        mon.stop()
        for svc, c in sorted(p.ctrs.items()):
            _check_stop(mon, svc, c)
            _check_removal(mon, c, 0, "docker-compose down")
        check(took < 9, "docker-compose down took %.1f s: every service should be down "
              "within its 2 s grace or at once" % took)


def test_compose_stop_then_rm():
    """docker-compose stop: one stop_timeline per service and no removal (the
    containers still exist); docker-compose rm -f then: one removal_timeline
    each, and no second stop."""
    with _Project() as p, p.monitor() as mon:
        mon.start()
        time.sleep(1.0)  # the shells set their traps
        p.run("stop")
        _wait_all(mon, p.ctrs, "stop_timeline")
        time.sleep(QUIET)
        for c in p.ctrs.values():
            check(stlib.inspect(c.id)["State"]["Status"] == "exited", "bench: %s is not "
                  "exited after docker-compose stop" % c.name)
            early = mon.find(_mine(c, "removal_timeline"))
            check(not early, "docker-compose stop of %s wrote a removal_timeline; the "
                  "container still exists: %s" % (c.name, short(early[0], 800) if early else ""))
        mark = mon.mark()
        p.run("rm", "-f")
        _wait_all(mon, p.ctrs, "removal_timeline", since=mark)
        time.sleep(QUIET)
        mon.stop()
        for svc, c in sorted(p.ctrs.items()):
            _check_stop(mon, svc, c)
            _check_removal(mon, c, mark, "docker-compose rm -f")
