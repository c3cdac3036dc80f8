# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Identity that cannot be spoofed: look-alike cgroups never make a container.

A cgroup is a container only where its runtime puts containers (or where
the runtime's own state knows its id), never in a subtree a non-root user
may write, and the outermost container owns every cgroup below it. Each
test attacks that with real cgroups and real Docker containers, and checks
what an operator would: no record names the look-alike as a container, no
timeline for it, and the real containers' stops judged right.
"""

import json
import os
import secrets
import subprocess
import time

import stlib
from stlib import check, expect, fail, get, note, short

NOBODY = 65534


# ---------------------------------------------------------------- helpers

def _setup():
    stlib.require_root()
    stlib.require_docker()
    if not os.path.exists("/usr/bin/setpriv") and not os.path.exists("/bin/setpriv"):
        stlib.skip("setpriv (util-linux) is needed to act as an unprivileged user")


def _roots():
    """The mounted hierarchies the monitor may track: cgroup2, v1 memory and pids."""
    roots = [stlib.cgroup2_root(), stlib.cgroup1_root("memory"), stlib.cgroup1_root("pids")]
    roots = [r for r in roots if r]
    if not roots:
        fail("no cgroup hierarchy mounted")
    return list(dict.fromkeys(roots))


def _as_nobody(*argv, check_rc=True):
    res = subprocess.run(["setpriv", "--reuid", str(NOBODY), "--regid", str(NOBODY),
                          "--clear-groups", *argv], capture_output=True, text=True,
                         timeout=30)
    if check_rc and res.returncode != 0:
        fail("as uid %d: %s: exit %d: %s" % (NOBODY, " ".join(argv), res.returncode,
                                             res.stderr.strip()))
    return res


def _move(pid, cgdir):
    with open(os.path.join(cgdir, "cgroup.procs"), "w") as f:
        f.write("%d\n" % pid)


def _rmdir(d, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        try:
            os.rmdir(d)
            return
        except FileNotFoundError:
            return
        except OSError as e:
            if time.monotonic() > deadline:
                note("cleanup: rmdir %s: %s" % (d, e))
                return
            time.sleep(0.1)


def _mine(cid, rtype, kind=None):
    return lambda r: (r.get("type") == rtype and get(r, "container.id") == cid
                      and (kind is None or r.get("kind") == kind))


def _one_timeline(mon, c, verdict):
    tls = mon.find(_mine(c.id, "stop_timeline"))
    check(len(tls) == 1, "%d stop_timeline records for %s, want exactly 1:\n%s"
          % (len(tls), c.name, "\n".join("    " + short(r, 600) for r in tls)))
    tl = tls[0]
    expect(tl, "container.name", c.name, "stop_timeline")
    expect(tl, "container.runtime", "docker", "stop_timeline")
    if tl.get("verdict") != verdict:
        fail("stop_timeline of %s: verdict %r, want %r (reason %r): %s"
             % (c.name, tl.get("verdict"), verdict, tl.get("reason"), short(tl, 1500)))
    return tl


def _last_stats(mon):
    stats = [r for r in mon.poll() if r.get("type") == "monitor_stats"]
    check(stats, "no monitor_stats record (--stats-interval 1)")
    return stats[-1]


def _no_container_named(mon, needle, what):
    """No record names needle (a look-alike's id or cgroup) in its container."""
    for r in mon.poll():
        cont = r.get("container")
        text = json.dumps(cont) if cont is not None else ""
        if needle in text:
            fail("%s became a container: %s" % (what, short(r, 800)))


def _host_pid_of(c, argv, timeout=10):
    """The host pid of the process of container c running argv (a docker exec)."""
    want = "\0".join(argv) + "\0"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % name) as f:
                    cmd = f.read()
                with open("/proc/%s/cgroup" % name) as f:
                    cg = f.read()
            except OSError:
                continue
            if cmd == want and c.id in cg:
                return int(name)
        time.sleep(0.1)
    fail("no process %r of container %s found" % (argv, c.name))


def _stop_ignored(mon, c, grace=2):
    """docker stop -t grace of a sleep container: stop_signal_ignored, one timeline."""
    t0 = time.monotonic()
    stlib.docker("stop", "-t", str(grace), c.name, timeout=90)
    took = time.monotonic() - t0
    check(took >= grace - 0.5, "docker stop -t %d of %s returned after %.1f s" % (grace,
                                                                                 c.name, took))
    mon.wait_for(_mine(c.id, "stop_timeline"), 40, "stop_timeline for %s" % c.name)


# ---------------------------------------------------------------- tests

def test_delegated_lookalike():
    """A non-root user with a delegated cgroup subtree names cgroups like Docker's,
    with a random id and with a running container's id, moves its processes in
    and gets them killed: no record names them as a container, no timeline,
    the refusals are counted, and the real container's stop is judged right."""
    _setup()
    by = stlib.run_container("sleep", "1000")
    fake = secrets.token_hex(32)
    tag = "st-deleg-" + secrets.token_hex(4)
    made = []
    tops = []
    procs = []
    try:
        with stlib.Monitor("--stats-interval", "1") as mon:
            mon.start()
            for root in _roots():
                top = os.path.join(root, tag)
                os.mkdir(top)
                made.append(top)
                tops.append(top)
                os.chown(top, NOBODY, NOBODY)
                # the user's own names: Docker's shapes, a fake id and the bystander's
                names = ["docker-%s.scope" % fake, "docker-%s.scope" % by.id, "docker",
                         "docker/" + fake, "docker/" + by.id]
                for n in names:
                    _as_nobody("mkdir", os.path.join(top, n))
                made[:0] = [os.path.join(top, n) for n in reversed(names)]
            # a process of that user in each look-alike, then killed from the host
            for leaf, sig in (("docker-%s.scope" % fake, 15), ("docker-%s.scope" % by.id, 15),
                              ("docker/" + fake, 9), ("docker/" + by.id, 9)):
                p = stlib.Process(["setpriv", "--reuid", str(NOBODY), "--regid", str(NOBODY),
                                   "--clear-groups", "sleep", "1000"])
                procs.append(p)
                time.sleep(0.2)
                for root in _roots():
                    _move(p.pid, os.path.join(root, tag, leaf))
                with open("/proc/%d/cgroup" % p.pid) as f:
                    check(leaf in f.read(), "pid %d was not moved into %s" % (p.pid, leaf))
                time.sleep(0.3)
                os.kill(p.pid, sig)
                p.reap()
            # the user removes its cgroups again
            for d in made:
                if d not in tops:
                    _as_nobody("rmdir", d)
            made = [d for d in made if os.path.isdir(d)]
            _stop_ignored(mon, by)
            time.sleep(2)
            mon.stop()

            _no_container_named(mon, fake, "the delegated look-alike " + fake[:12])
            _no_container_named(mon, tag, "a cgroup of the delegated subtree " + tag)
            for p in procs:
                for r in mon.poll():
                    if stlib.mentions_pid(r, p.pid):
                        fail("a record mentions pid %d, killed in the delegated look-alike: %s"
                             % (p.pid, short(r, 800)))
            tl = _one_timeline(mon, by, "stop_signal_ignored")
            expect(tl, "container.cgroup", "/docker/" + by.id, "stop_timeline")
            expect(tl, "exit.signal", "SIGKILL", "stop_timeline")
            expect(tl, "init.pid", by.pid, "stop_timeline")
            # refused because a user could make them (the bystander's id is Docker's own)
            stats = _last_stats(mon)
            check(stats.get("cgroups_delegated", 0) >= 2,
                  "cgroups_delegated is %r in the last monitor_stats, want at least 2: the "
                  "look-alikes named after the bystander were not refused as delegated"
                  % stats.get("cgroups_delegated"))
            full = get(stats, "table_full", {})
            check(isinstance(full, dict) and full.get("tracked_cgroups") == 0,
                  "table_full in monitor_stats: %r" % (full,))
    finally:
        for p in procs:
            p.kill()
        for d in made:
            _rmdir(d)


def test_nested_lookalike():
    """Inside a real container A's cgroup, /docker/A/docker/<B>: a process of A
    moved there is A's (its events are A's), B never appears as a container,
    removing a nested cgroup (before the stop, and while the stop waits) does
    not end A's stop, and A's one timeline has the right verdict."""
    _setup()
    a = stlib.run_container("sleep", "1000")
    # one nested cgroup is named after another real container: it is A's all the same
    other = stlib.run_container("sleep", "1000")
    b_keep, b_mid = (secrets.token_hex(32) for _ in range(2))
    b_gone = other.id
    made = []
    stop = None
    try:
        with stlib.Monitor("--stats-interval", "1") as mon:
            mon.start()
            stlib.docker("exec", "-d", a.name, "sleep", "2000")
            stlib.docker("exec", "-d", a.name, "sleep", "3000")
            q = _host_pid_of(a, ["sleep", "2000"])
            r = _host_pid_of(a, ["sleep", "3000"])
            for root in _roots():
                own = os.path.join(root, "docker", a.id)
                check(os.path.isdir(own), "container %s has no cgroup %s" % (a.name, own))
                os.makedirs(os.path.join(own, "docker"), exist_ok=True)
                for b in (b_keep, b_gone, b_mid):
                    d = os.path.join(own, "docker", b)
                    os.mkdir(d)
                    made.insert(0, d)
                made.append(os.path.join(own, "docker"))
            for root in _roots():
                _move(q, os.path.join(root, "docker", a.id, "docker", b_keep))
                _move(r, os.path.join(root, "docker", a.id, "docker", b_gone))
            with open("/proc/%d/cgroup" % q) as f:
                check(b_keep in f.read(), "pid %d is not in the nested cgroup" % q)
            time.sleep(1)
            # r dies in its nested cgroup, which is then removed: before the stop
            os.kill(r, 9)
            time.sleep(0.5)
            for root in _roots():
                _rmdir(os.path.join(root, "docker", a.id, "docker", b_gone))
            time.sleep(1.5)
            check(not mon.find(_mine(a.id, "stop_timeline")),
                  "a stop_timeline for %s after a nested cgroup was removed" % a.name)

            # the stop, and a nested cgroup removed while it waits for the grace
            t0 = time.monotonic()
            stop = subprocess.Popen(["docker", "stop", "-t", "4", a.name],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            mon.wait_for(_mine(a.id, "alert", "stop_signal_ignored"), 20,
                         "stop_signal_ignored alert for %s" % a.name)
            for root in _roots():
                _rmdir(os.path.join(root, "docker", a.id, "docker", b_mid))
            time.sleep(1)
            check(not mon.find(_mine(a.id, "stop_timeline")),
                  "the removal of a nested cgroup ended the stop of %s" % a.name)
            stop.wait(timeout=90)
            check(time.monotonic() - t0 >= 3.5, "docker stop -t 4 returned too early")
            mon.wait_for(_mine(a.id, "stop_timeline"), 40, "stop_timeline for %s" % a.name)
            time.sleep(2)
            mon.stop()

            tl = _one_timeline(mon, a, "stop_signal_ignored")
            expect(tl, "container.cgroup", "/docker/" + a.id, "stop_timeline")
            expect(tl, "exit.signal", "SIGKILL", "stop_timeline")
            expect(tl, "init.pid", a.pid, "stop_timeline")
            grace = tl.get("grace_ms")
            check(type(grace) is int and grace >= 3500,
                  "grace_ms %r: the stop ended before its SIGKILL" % (grace,))
            for b in (b_keep, b_mid):
                _no_container_named(mon, b, "the nested look-alike " + b[:12])
            for x in mon.poll():
                if get(x, "container.id") == other.id and stlib.mentions_pid(x, r):
                    fail("pid %d of %s, in /docker/A/docker/<%s's id>, was taken as %s's: %s"
                         % (r, a.name, other.name, other.name, short(x, 800)))
            check(not mon.find(_mine(other.id, "stop_timeline")),
                  "a stop_timeline for %s, which was not stopped" % other.name)
            # the nested cgroups' processes are A's now: their events are A's
            for pid, what in ((q, "kept"), (r, "removed")):
                mine = [x for x in mon.poll() if stlib.is_event(x)
                        and get(x, "container.id") == a.id and stlib.mentions_pid(x, pid)]
                check(mine, "no event of %s mentions pid %d, in the %s nested cgroup"
                      % (a.name, pid, what))
    finally:
        if stop and stop.poll() is None:
            stop.kill()
        for d in made:
            _rmdir(d)


def test_init_in_sub_cgroup():
    """PID 1 in a sub-cgroup of its container, as systemd in a container puts
    itself (/docker/A/init.scope), with the monitor started afterwards: the
    stop is A's, with the right verdict and init, and no other container."""
    _setup()
    a = stlib.run_container("sleep", "1000")
    made = []
    try:
        for root in _roots():
            d = os.path.join(root, "docker", a.id, "init.scope")
            os.mkdir(d)
            made.append(d)
            _move(a.pid, d)
        with open("/proc/%d/cgroup" % a.pid) as f:
            check("init.scope" in f.read(), "PID 1 of %s is not in init.scope" % a.name)
        with stlib.Monitor() as mon:
            mon.start()
            _stop_ignored(mon, a)
            time.sleep(2)
            mon.stop()
            tl = _one_timeline(mon, a, "stop_signal_ignored")
            expect(tl, "container.cgroup", "/docker/" + a.id, "stop_timeline")
            expect(tl, "init.pid", a.pid, "stop_timeline")
            expect(tl, "stop_signal", "SIGTERM", "stop_timeline")
            expect(tl, "exit.signal", "SIGKILL", "stop_timeline")
            _no_container_named(mon, "init.scope", "the init's sub-cgroup")
    finally:
        for d in made:
            _rmdir(d, timeout=2)


if __name__ == "__main__":
    import sys
    sys.exit(stlib.main(sys.argv[1:]))
