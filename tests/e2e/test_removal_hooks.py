# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""When the removal hooks (the syscall tracepoint programs) are attached.

By default they are attached only while a removal can be under way: a
container that a runtime keeps without running it (created, exited), a stop
under way and the minute after it, a removal under way. Checked from two
sides: the monitor's own counters (monitor_stats' removal_hooks) and what
the kernel shows it holds (`bpftool perf show`: its syscalls tracepoints).
The removals in the other files' tests run in the default mode too, so they
show nothing is missed; here the attach and the detach themselves.
"""
import json
import os
import subprocess
import time

import stlib
from stlib import check, docker, expect, fail, get, note, short

SYSCALL_HOOKS = {"sys_enter_umount", "sys_exit_umount", "sys_enter_unlink", "sys_exit_unlink",
                 "sys_enter_unlinkat", "sys_exit_unlinkat", "sys_enter_rmdir", "sys_exit_rmdir"}


def _syscall_hooks(pid):
    """The syscall tracepoints process pid has BPF programs on."""
    res = subprocess.run(["bpftool", "perf", "show", "--json"], capture_output=True, text=True,
                         timeout=30)
    check(res.returncode == 0, "bpftool perf show: %s" % res.stderr.strip())
    return {e.get("tracepoint") for e in json.loads(res.stdout)
            if e.get("pid") == pid and str(e.get("tracepoint", "")).startswith("sys_")}


def _idle_containers():
    res = docker("ps", "-a", "--filter", "status=created", "--filter", "status=exited",
                 "--filter", "status=dead", "--format", "{{.Names}}")
    return [n for n in res.stdout.split() if n]


def _wait_no_idle(timeout=60):
    """Another test's exited container would keep the hooks attached: wait for it to go."""
    deadline = time.monotonic() + timeout
    while _idle_containers():
        if time.monotonic() > deadline:
            fail("containers kept without running for %d s: %s (the hooks stay attached "
                 "for them; remove them to run this test)" % (timeout, _idle_containers()))
        time.sleep(1)


def _wait_hooks(mon, attached, timeout, what, since=0):
    """The next monitor_stats that says attached, and the kernel's view agreeing."""
    rec = mon.wait_for(lambda r: r.get("type") == "monitor_stats"
                       and get(r, "removal_hooks.attached") is attached,
                       timeout, "monitor_stats with removal_hooks.attached=%s (%s)"
                       % (attached, what), since=since)
    # detaching waits for the kernel (an RCU grace period per tracepoint): a thread of the
    # monitor's does it, so the kernel's view may lag the counters by a second or so
    deadline = time.monotonic() + 5
    hooks = _syscall_hooks(mon.proc.pid)
    while hooks and not attached and time.monotonic() < deadline:
        time.sleep(0.2)
        hooks = _syscall_hooks(mon.proc.pid)
    if attached:
        check(hooks == SYSCALL_HOOKS, "%s: the monitor holds programs on %s, want all of %s"
              % (what, sorted(hooks), sorted(SYSCALL_HOOKS)))
    else:
        check(not hooks, "%s: the monitor still holds programs on %s" % (what, sorted(hooks)))
    return rec


def _removal(mon, c, outcome, timeout=20):
    return mon.wait_for(lambda r: r.get("type") == "removal_timeline"
                        and get(r, "container.id") == c.id and r.get("outcome") == outcome,
                        timeout, "removal_timeline %s for %s" % (outcome, c.name))


def test_removal_hooks_on_demand():
    """Detached on an idle host; attached for a created container, for a stop,
    and the removals are seen; detached again once nothing can be removed."""
    stlib.require_root()
    stlib.require_docker()
    _wait_no_idle()
    with stlib.Monitor("--stats-interval", "1") as mon:
        mon.events = False
        mon.start()
        started = mon.find(lambda r: r.get("type") == "monitor_started")[0]
        expect(started, "removal_hooks", "on-demand", "monitor_started")
        check("CAP_PERFMON" in started.get("capabilities", []),
              "on demand the monitor keeps CAP_PERFMON to attach later; it kept %s"
              % started.get("capabilities"))
        rec = _wait_hooks(mon, False, 30, "idle host")
        expect(rec, "removal_hooks.mode", "on-demand", "monitor_stats")
        expect(rec, "removal_hooks.idle_containers", 0, "monitor_stats")

        # docker create: a container that is not running, whose rm can come any time
        c = stlib.Container(stlib.new_name())
        stlib._containers.append(c.name)
        docker("create", "--network", "none", "--name", c.name, stlib.IMAGE, "true")
        c.refresh()
        mark = mon.mark()
        rec = _wait_hooks(mon, True, 10, "a created container", since=mark)
        check(get(rec, "removal_hooks.idle_containers", 0) >= 1,
              "attached for a created container, but idle_containers is %s"
              % get(rec, "removal_hooks.idle_containers"))
        docker("rm", c.name)
        _removal(mon, c, "removed")
        mark = mon.mark()
        rec = _wait_hooks(mon, False, 30, "after the created container's removal", since=mark)
        attaches = get(rec, "removal_hooks.attaches", 0)
        check(attaches >= 1, "removal_hooks.attaches is %s after an attach" % attaches)

        # a running container is no reason; its stop is, and docker rm right after is seen
        c2 = stlib.run_container("sleep", "1000")
        time.sleep(2)
        mark = mon.mark()
        _wait_hooks(mon, False, 30, "a running container only", since=mark)
        docker("stop", "-t", "1", c2.name)
        mark = mon.mark()
        _wait_hooks(mon, True, 10, "after a stop", since=mark)
        docker("rm", c2.name)
        _removal(mon, c2, "removed")
        mon.stop()
        stopped = mon.records[-1]
        check(get(stopped, "removal_hooks.attaches", 0) >= 2,
              "monitor_stopped: %s attaches, want at least 2 (create, stop): %s"
              % (get(stopped, "removal_hooks.attaches"), short(stopped.get("removal_hooks"))))
        expect(stopped, "removal_hooks.errors", 0, "monitor_stopped")


def test_removal_hooks_always():
    """--removal-hooks always: attached from start to end, no CAP_PERFMON kept."""
    stlib.require_root()
    stlib.require_docker()
    with stlib.Monitor("--stats-interval", "1", "--removal-hooks", "always") as mon:
        mon.events = False
        mon.start()
        started = mon.find(lambda r: r.get("type") == "monitor_started")[0]
        expect(started, "removal_hooks", "always", "monitor_started")
        check("CAP_PERFMON" not in started.get("capabilities", []),
              "--removal-hooks always kept CAP_PERFMON: %s" % started.get("capabilities"))
        rec = _wait_hooks(mon, True, 10, "--removal-hooks always")
        expect(rec, "removal_hooks.mode", "always", "monitor_stats")
        expect(rec, "removal_hooks.attaches", 0, "monitor_stats")
        mon.stop()


def test_removal_hooks_bad_value():
    """A mode that does not exist is a usage error naming the three."""
    binary = os.path.abspath(os.environ.get("STOPTRACE", "./stoptrace"))
    res = subprocess.run([binary, "--removal-hooks", "sometimes"],
                         capture_output=True, text=True, timeout=30)
    check(res.returncode == 2, "--removal-hooks sometimes exited %d, want 2" % res.returncode)
    check("auto, on-demand or always" in res.stderr,
          "--removal-hooks sometimes: the error does not name the modes: %s"
          % res.stderr.strip())
    note(res.stderr.strip().splitlines()[0])


test_removal_hooks_bad_value.no_root = True
