# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Foundation: the monitor sees a real `docker stop`, attributes signals to
containers, and stays silent about everything else."""

import os
import signal
import time

import stlib
from stlib import check, expect, get, is_event, note


def _signal_to(pid, signame):
    return lambda r: (is_event(r, "signal_generate") and get(r, "target.pid") == pid
                      and r.get("signal") == signame)


def _silence(mon, pid, what):
    offenders = [r for r in mon.poll() if stlib.mentions_pid(r, pid)]
    check(not offenders, "%d record(s) mention %s (pid %d), want none; first: %s"
          % (len(offenders), what, pid, stlib.short(offenders[0]) if offenders else ""))


def test_docker_stop_sleep():
    """docker stop -t 2 of a container whose PID 1 is sleep: the kernel drops
    SIGTERM (namespace init, no handler), SIGKILL follows after the grace."""
    stlib.require_root()
    stlib.require_docker()
    c = stlib.run_container("sleep", "1000")
    with stlib.Monitor() as mon:
        mon.start()
        t0 = time.monotonic()
        stlib.docker("stop", "-t", "2", c.name, timeout=90)
        took = time.monotonic() - t0
        check(took >= 1.5, "docker stop -t 2 returned after %.2f s: the bench's sleep "
              "should have ignored SIGTERM and waited out the grace" % took)

        mine = lambda r: is_event(r) and get(r, "container.id") == c.id
        exited = mon.wait_for(
            lambda r: mine(r) and r.get("event") == "process_exit"
            and get(r, "process.pid") == c.pid,
            30, "process_exit record of %s's PID 1 (host pid %d)" % (c.name, c.pid))

        terms = mon.find(lambda r: mine(r) and is_event(r, "signal_generate")
                         and r.get("signal") == "SIGTERM")
        check(terms, "no signal_generate SIGTERM record for container %s; %s"
              % (c.id, mon.summary()))
        term = terms[0]
        what = "SIGTERM signal_generate"
        expect(term, "target.pid", c.pid, what)
        expect(term, "result", "ignored", what)
        expect(term, "target.ns_pid", 1, what)
        expect(term, "target.ns_init", True, what)
        expect(term, "disposition", "default", what)
        sender = get(term, "sender.comm")
        check(isinstance(sender, str) and sender, "%s: sender.comm is %r, want a name: %s"
              % (what, sender, stlib.short(term)))
        note("SIGTERM sent by %s (pid %s)" % (sender, get(term, "sender.pid")))

        kills = mon.find(lambda r: mine(r) and _signal_to(c.pid, "SIGKILL")(r))
        check(kills, "no signal_generate SIGKILL record for pid %d of %s; %s"
              % (c.pid, c.name, mon.summary()))
        kill = kills[0]
        expect(kill, "result", "delivered", "SIGKILL signal_generate")
        note("SIGKILL sent by %s" % get(kill, "sender.comm"))
        grace = (stlib.time_ns(kill["time"]) - stlib.time_ns(term["time"])) / 1e9
        check(grace >= 1.5, "SIGKILL came %.3f s after SIGTERM, want >= 1.5 s (-t 2)" % grace)

        expect(exited, "exit.signal", "SIGKILL", "process_exit")
        check(stlib.time_ns(exited["time"]) >= stlib.time_ns(kill["time"]),
              "process_exit (%s) is stamped before the SIGKILL (%s)"
              % (exited["time"], kill["time"]))

        for rec, what in ((term, "SIGTERM record"), (kill, "SIGKILL record"),
                          (exited, "process_exit record")):
            expect(rec, "container.name", c.name, what)
            expect(rec, "container.runtime", "docker", what)
        mon.stop()


def test_host_process_silent():
    """A host process that is signalled and dies leaves no trace in the output.

    Control: a process in a Docker-shaped cgroup is signalled right after; its
    record proves the monitor was live and had read that far."""
    stlib.require_root()
    with stlib.Monitor() as mon:
        mon.start()
        cg = stlib.FakeDockerCgroup().create()
        stlib.settle_cgroup(mon, cg)
        control = stlib.Process(["sleep", "1000"])
        cg.add(control.pid)

        host = stlib.Process(["sleep", "100"])
        os.kill(host.pid, signal.SIGTERM)
        check(host.reap() == -signal.SIGTERM, "host sleep did not die of SIGTERM")
        t_kill = time.monotonic()

        os.kill(control.pid, signal.SIGTERM)
        mon.wait_for(_signal_to(control.pid, "SIGTERM"), 20,
                     "control: SIGTERM record for pid %d in %s" % (control.pid, cg.path))
        time.sleep(max(0.0, 1.0 - (time.monotonic() - t_kill)))
        _silence(mon, host.pid, "the host sleep")
        mon.stop()


def test_fake_container_cgroup():
    """A namespace init in a Docker-shaped cgroup the monitor learnt from
    cgroup_mkdir: its dropped SIGTERM is reported and attributed. A namespace
    init outside any container cgroup is not a container: nothing is said."""
    stlib.require_root()
    with stlib.Monitor() as mon:
        mon.start()
        cg = stlib.FakeDockerCgroup().create()
        stlib.settle_cgroup(mon, cg)
        init = stlib.NsInit(["sleep", "1000"])
        cg.add(init.pid)

        os.kill(init.pid, signal.SIGTERM)
        rec = mon.wait_for(_signal_to(init.pid, "SIGTERM"), 20,
                           "SIGTERM record for namespace init pid %d in %s"
                           % (init.pid, cg.path))
        what = "SIGTERM signal_generate"
        expect(rec, "result", "ignored", what)
        expect(rec, "target.ns_init", True, what)
        expect(rec, "target.ns_pid", 1, what)
        expect(rec, "container.id", cg.id, what)
        expect(rec, "container.runtime", "docker", what)
        time.sleep(0.2)
        check(init.alive(), "the namespace init died of SIGTERM: the kernel should have "
              "dropped it (bench problem)")

        # Same kind of process, own pid namespace, but in the test's own cgroup.
        since = mon.mark()
        other = stlib.NsInit(["sleep", "1000"])
        os.kill(other.pid, signal.SIGTERM)
        t_kill = time.monotonic()
        os.kill(init.pid, signal.SIGTERM)   # control: must be reported again
        mon.wait_for(_signal_to(init.pid, "SIGTERM"), 20,
                     "control: second SIGTERM record for pid %d" % init.pid, since=since)
        time.sleep(max(0.0, 1.0 - (time.monotonic() - t_kill)))
        check(other.alive(), "the non-container namespace init died of SIGTERM")
        _silence(mon, other.pid, "a namespace init outside any container cgroup")
        mon.stop()
