# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Rootfs removal (S6): real `docker rm` runs that fail, recover, or just work.

Each test builds the failure for real on Docker's overlay2 storage, checks
that Docker did what the scenario needs (its error text, the container's
state), and only then asserts on what the monitor wrote in its default
stream (no --events): the removal_timeline of each removal and, when the
runtime gives up, exactly one rootfs_removal_failed alert.

- EPERM: an immutable file (chattr +i) in the container's upper dir.
- EBUSY: a directory of the upper dir that a loop keeps bind-mounting while
  `docker rm` runs (Docker unmounts and retries EBUSY for about 5 s).
- transient EBUSY: the same loop, stopped after about 1.5 s; Docker's retry
  then succeeds: a removed timeline, and no alert.
- a plain `docker rm -f`: a removed timeline with counted calls, no alert.
- stops are not removals: `docker stop` then `docker rm`, `docker run --rm`,
  `docker rm -f` of a running container each write exactly one removed
  timeline, for the removal alone, and stoptrace_removals_total counts one.
  The unmount of the rootfs and the removals of the run's files that dockerd
  makes after a plain `docker stop` (after the cgroup is gone) are events of
  the stop's timeline.

Whatever happens, each test undoes what it did, in order: chattr -i, stop the
remount loop, unmount every mount it made, then docker rm -f: a container
left dead must be removable at the end.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import stlib
from stlib import check, expect, fail, note, short
from test_outputs import metric, read_metrics
from test_timelines import (Background, DefaultMonitor, _check_container, _lines,
                            _mine, _no_raw_events, _remove, _setup, _start)

ALERT = "rootfs_removal_failed"
ALERT_TIMEOUT = 20          # s after docker rm returns: the monitor may need Docker's state
TIMELINE_TIMEOUT = 30       # s after docker rm returns
QUIET = 15                  # s without an alert after a removal that succeeded
STOP_QUIET = 8              # s after a stop: its removal_timeline, if any, and a metrics rewrite
LOOP_LIMIT = 120            # s: the remount loop ends by itself after this, whatever happens
PRELOAD = 150               # stacked mounts before docker rm (wins the race with its unmount)
CAP = 250                   # the loop keeps at most this many (bounds the clean-up)
TRANSIENT_S = 1.5           # s the loop runs after docker rm starts, in the transient test
TRANSIENT_TRIES = 3


# ---------------------------------------------------------------- the bench

def _require_overlay2():
    driver = stlib.docker("info", "-f", "{{.Driver}}").stdout.strip()
    if driver != "overlay2":
        stlib.skip("Docker's storage driver is %r; these scenarios need overlay2" % driver)
    for tool in ("chattr", "lsattr", "mount", "umount"):
        if not shutil.which(tool):
            stlib.skip("%s is not installed (e2fsprogs, util-linux)" % tool)


def _run(argv, timeout=60):
    try:
        return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        fail("%s did not finish within %d s" % (" ".join(argv), timeout))


def _status(c):
    """Docker's State.Status of c, or None when Docker no longer knows it."""
    res = stlib.docker("inspect", "--type", "container", "-f", "{{.State.Status}}", c.name,
                       check=False)
    if res.returncode != 0:
        check("No such" in res.stderr, "docker inspect %s failed: %s"
              % (c.name, res.stderr.strip()))
        return None
    return res.stdout.strip()


def _upper_dir(c):
    res = stlib.docker("inspect", "--type", "container", "-f",
                       "{{.GraphDriver.Data.UpperDir}}", c.name)
    up = res.stdout.strip()
    check(up.startswith("/") and os.path.isdir(up), "container %s: UpperDir %r is not a "
          "directory" % (c.name, up))
    return up


def _prepare(script, made):
    """Run a container whose PID 1 makes something in its layer (made: the path
    inside it), stop it, and return (container, upper dir, host path of made)."""
    c = _start("sh", "-c", script + "; sleep 1000")
    up = _upper_dir(c)
    host = up + made
    deadline = time.monotonic() + 15
    while not os.path.lexists(host):
        check(time.monotonic() < deadline, "%s did not appear in the upper dir of %s within "
              "15 s (%s)" % (made, c.name, host))
        time.sleep(0.1)
    stlib.docker("stop", "-t", "1", c.name, timeout=90)
    state = _status(c)
    check(state == "exited", "%s is %r after docker stop, want exited" % (c.name, state))
    return c, up, host


def _unescape(field):
    """A mountinfo path field: octal escapes (\\040 for a space, ...) undone."""
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and i + 4 <= len(field) and field[i + 1:i + 4].isdigit():
            out.append(chr(int(field[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def _mount_depth(path):
    """How many mounts of this mount namespace sit on path (stacked binds count)."""
    n = 0
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split(" ", 5)
            if len(fields) > 4 and _unescape(fields[4]) == path:
                n += 1
    return n


# The remount loop: bind-mount src on dst again and again (stacking up to cap
# mounts), by running mount(8) with an argument list, until SIGTERM, the death
# of its parent, or limit seconds. It finishes the mount under way before it
# exits, so that nothing is mounted after it is gone.
_REMOUNT_CODE = r"""
import ctypes, os, signal, subprocess, sys, time
src, dst, limit, cap = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
stop = []
signal.signal(signal.SIGTERM, lambda s, f: stop.append(s))
try:
    ctypes.CDLL(None).prctl(1, signal.SIGTERM, 0, 0, 0)     # PR_SET_PDEATHSIG
except Exception:
    pass
if os.getppid() == 1:
    sys.exit(0)
def unescape(s):
    return (s.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n")
             .replace("\\134", "\\"))
def depth():
    n = 0
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split(" ", 5)
            if len(fields) > 4 and unescape(fields[4]) == dst:
                n += 1
    return n
end = time.monotonic() + limit
mounted = 0
while not stop and time.monotonic() < end:
    if depth() >= cap:
        time.sleep(0.002)
        continue
    r = subprocess.run(["mount", "--bind", src, dst], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if r.returncode == 0:
        mounted += 1
sys.stdout.write("%d\n" % mounted)
"""


class Bench:
    """What a test did to the host, undone by cleanup() in the brief's order."""

    def __init__(self):
        self.immutable = []
        self.loop = None
        self.mounted = []
        self.tmpdirs = []

    def chattr_immutable(self, path):
        self.immutable.append(path)
        res = _run(["chattr", "+i", path])
        check(res.returncode == 0, "chattr +i %s failed: %s" % (path, res.stderr.strip()))
        res = _run(["lsattr", "-d", path])
        flags = res.stdout.split()[0] if res.returncode == 0 and res.stdout.split() else ""
        check("i" in flags, "lsattr shows no immutable flag on %s: %r"
              % (path, res.stdout.strip() or res.stderr.strip()))

    def start_loop(self, target, preload=None, timeout=30):
        """Start the remount loop on target; return once preload mounts are stacked."""
        preload = PRELOAD if preload is None else preload
        src = tempfile.mkdtemp(prefix="stoptrace-e2e-bind-")
        self.tmpdirs.append(src)
        self.mounted.append(target)
        self.loop = subprocess.Popen([sys.executable, "-c", _REMOUNT_CODE, src, target,
                                      str(LOOP_LIMIT), str(CAP)],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + timeout
        while True:
            depth = _mount_depth(target)
            if depth >= preload:
                return depth
            if self.loop.poll() is not None:
                fail("the remount loop on %s exited (status %d) with %d mounts: %s"
                     % (target, self.loop.returncode, depth, self.loop.stderr.read().strip()))
            check(time.monotonic() < deadline, "the remount loop stacked only %d mounts on %s "
                  "in %d s, want %d" % (depth, target, timeout, preload))
            time.sleep(0.05)

    def stop_loop(self):
        """SIGTERM the loop and wait; it ends after the mount under way."""
        loop, self.loop = self.loop, None
        if loop is None:
            return None
        if loop.poll() is None:
            loop.send_signal(signal.SIGTERM)
        try:
            out, _ = loop.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            loop.kill()
            out, _ = loop.communicate()
            time.sleep(0.5)         # a mount(8) child it left may still finish
            note("the remount loop ignored SIGTERM for 15 s; killed it")
        out = (out or "").strip()
        return int(out) if out.isdigit() else None

    def unmount_all(self, timeout=90):
        """umount each target until /proc/self/mountinfo no longer has it."""
        ok = True
        for target in self.mounted:
            deadline = time.monotonic() + timeout
            while True:
                depth = _mount_depth(target)
                if not depth:
                    break
                if time.monotonic() > deadline:
                    note("cleanup: %d mounts still on %s after %d s" % (depth, target, timeout))
                    ok = False
                    break
                res = _run(["umount", target])
                if res.returncode != 0 and _mount_depth(target) >= depth:
                    _run(["umount", "-l", target])
        if ok:
            self.mounted = []
        return ok

    def cleanup(self):
        """chattr -i, stop the loop, unmount everything; never raises."""
        for path in self.immutable:
            try:
                if os.path.lexists(path):
                    res = _run(["chattr", "-i", path])
                    if res.returncode != 0:
                        note("cleanup: chattr -i %s: %s" % (path, res.stderr.strip()))
            except Exception as e:
                note("cleanup: chattr -i %s: %s" % (path, e))
        self.immutable = []
        try:
            self.stop_loop()
        except Exception as e:
            note("cleanup: stopping the remount loop: %s" % e)
        try:
            self.unmount_all()
        except Exception as e:
            note("cleanup: unmounting: %s" % e)
        for d in self.tmpdirs:
            try:
                os.rmdir(d)
            except OSError as e:
                note("cleanup: rmdir %s: %s" % (d, e))
        self.tmpdirs = []


def _final_remove(c):
    """docker rm -f c (after the bench is undone): it must go, dead or not."""
    _remove(c)
    state = _status(c)
    if state is not None:
        note("cleanup: %s is still there (state %r) after docker rm -f" % (c.name, state))


# ---------------------------------------------------------------- the records

def _is_int(v):
    return type(v) is int


def _check_removal_timeline(tl, c, outcome):
    what = "removal_timeline of %s" % c.name
    _check_container(tl, c, what)
    expect(tl, "outcome", outcome, what)
    stlib.time_ns(tl.get("started"))
    dur = tl.get("duration_ms")
    check(_is_int(dur) and dur >= 0, "%s: duration_ms is %r, want an integer >= 0: %s"
          % (what, dur, short(tl, 1500)))
    counts = tl.get("counts")
    check(isinstance(counts, dict), "%s: counts is %r, want an object: %s"
          % (what, counts, short(tl, 1500)))
    for key in ("unlink", "rmdir", "umount", "failed"):
        check(_is_int(counts.get(key)) and counts[key] >= 0, "%s: counts.%s is %r, want an "
              "integer >= 0: %s" % (what, key, counts.get(key), short(tl, 1500)))
    failures = tl.get("failures")
    check(isinstance(failures, list), "%s: failures is %r, want a list: %s"
          % (what, failures, short(tl, 1500)))
    for f in failures:
        check(isinstance(f, dict), "%s: a failure is %r, want an object" % (what, f))
        for key in ("syscall", "path", "errno"):
            check(isinstance(f.get(key), str) and f[key], "%s: failure %s is %r: %s"
                  % (what, key, f.get(key), short(f)))
        check(f["path"].startswith("/"), "%s: failure path %r is not absolute"
              % (what, f["path"]))
        check(_is_int(f.get("attempts")) and f["attempts"] >= 1,
              "%s: failure attempts is %r, want >= 1: %s" % (what, f.get("attempts"), short(f)))
        check(_is_int(f.get("first_ms")) and _is_int(f.get("last_ms"))
              and 0 <= f["first_ms"] <= f["last_ms"],
              "%s: failure first_ms %r / last_ms %r, want integers, first <= last: %s"
              % (what, f.get("first_ms"), f.get("last_ms"), short(f)))
        check(type(f.get("resolved")) is bool, "%s: failure resolved is %r, want a bool: %s"
              % (what, f.get("resolved"), short(f)))
    if outcome == "failed":
        check(counts["failed"] >= 1, "%s failed but counts.failed is %r"
              % (what, counts["failed"]))
    expect(tl, "caller.comm", "dockerd", what)
    pid = stlib.dockerd_pid()
    if pid is not None:
        expect(tl, "caller.pid", pid, what)
    return failures


def _failure(tl, errno_name, path):
    """The failure entry of tl with this errno on this path (or None)."""
    for f in tl.get("failures") or []:
        if f.get("errno") == errno_name and f.get("path") == path:
            return f
    return None


def _wait_removal(mon, c, outcome, since=0, timeout=TIMELINE_TIMEOUT):
    return mon.wait_for(lambda r: _mine(c, "removal_timeline")(r)
                        and r.get("outcome") == outcome, timeout,
                        "removal_timeline with outcome %r for %s (%s)"
                        % (outcome, c.name, c.id[:12]), since=since)


def _removal_timelines(mon, c):
    return [r for _, r in _lines(mon, c, "removal_timeline")]


def _wait_alert(mon, c):
    return mon.wait_for(_mine(c, "alert", ALERT), ALERT_TIMEOUT,
                        "%s alert for %s (%s)" % (ALERT, c.name, c.id[:12]))


def _check_alert(alert, c, errno_name, path):
    what = "%s alert" % ALERT
    _check_container(alert, c, what)
    check(isinstance(alert.get("alert_id"), str) and alert["alert_id"],
          "%s has no alert_id: %s" % (what, short(alert)))
    for key in ("message", "action"):
        check(isinstance(alert.get(key), str) and alert[key],
              "%s: %s is %r, want words" % (what, key, alert.get(key)))
    if alert.get("errno") == "ENOTEMPTY":
        fail("%s blames %s ENOTEMPTY on %r: that is a consequence (a parent that could not "
             "be emptied), the cause is %s on %s: %s"
             % (what, alert.get("syscall"), alert.get("path"), errno_name, path,
                short(alert, 1500)))
    expect(alert, "syscall", "unlinkat", what)
    expect(alert, "errno", errno_name, what)
    expect(alert, "path", path, what)
    check(_is_int(alert.get("attempts")) and alert["attempts"] >= 1,
          "%s: attempts is %r, want >= 1" % (what, alert.get("attempts")))
    expect(alert, "resolves", False, what)
    expect(alert, "runtime_state", "dead", what)


def _one_alert(mon, c):
    alerts = _lines(mon, c, "alert", ALERT)
    check(len(alerts) == 1, "%d %s alerts for %s, want exactly 1 per failed removal:\n%s"
          % (len(alerts), ALERT, c.name, "\n".join("    " + short(a, 600) for _, a in alerts)))
    return alerts[0][1]


def _never_resolved(mon, c, alert):
    res = [r for _, r in _lines(mon, c, "alert_resolved")
           if r.get("alert_id") == alert.get("alert_id")]
    check(not res, "%s is one-shot (resolves false), yet an alert_resolved came: %s"
          % (ALERT, short(res[0]) if res else ""))


def _no_alert(mon, c):
    found = _lines(mon, c, "alert", ALERT)
    check(not found, "%s: unexpected %s alert (the removal succeeded): %s"
          % (c.name, ALERT, short(found[0][1], 1200) if found else ""))


# ---------------------------------------------------------------- tests

def test_rootfs_removal_eperm():
    """An immutable /keep in the upper dir: docker rm fails with EPERM and
    leaves the container dead; one alert names the file and the flag."""
    _setup()
    _require_overlay2()
    bench = Bench()
    c = None
    try:
        c, up, keep = _prepare("echo x > /keep", "/keep")
        bench.chattr_immutable(keep)
        with DefaultMonitor() as mon:
            mon.start()
            res = stlib.docker("rm", c.name, check=False, timeout=120)
            err = res.stderr.strip()
            check(res.returncode != 0, "bench: docker rm %s succeeded despite the immutable "
                  "%s" % (c.name, keep))
            check('driver "overlay2" failed to remove root filesystem' in err
                  and "operation not permitted" in err and keep in err,
                  "bench: docker rm failed, but not with overlay2's EPERM on %s: %s"
                  % (keep, err))
            state = _status(c)
            check(state == "dead", "bench: %s is %r after the failed rm, want dead"
                  % (c.name, state))
            note("docker side: rm failed (%s), state dead" % err[err.find("driver"):])

            alert = _wait_alert(mon, c)
            _check_alert(alert, c, "EPERM", keep)
            expect(alert, "attributes.immutable", True, "%s alert" % ALERT)
            expect(alert, "attributes.append_only", False, "%s alert" % ALERT)

            tl = _wait_removal(mon, c, "failed")
            _check_removal_timeline(tl, c, "failed")
            f = _failure(tl, "EPERM", keep)
            check(f is not None, "the failed removal_timeline lists no EPERM failure on %s: %s"
                  % (keep, short(tl.get("failures"), 1500)))
            expect(f, "syscall", "unlinkat", "EPERM failure")
            expect(f, "resolved", False, "EPERM failure")
            check(len(_removal_timelines(mon, c)) == 1, "%d removal_timelines for one failed "
                  "docker rm, want 1" % len(_removal_timelines(mon, c)))

            # The operator's fix: the second removal works, and alerts nothing new.
            mark = mon.mark()
            res = _run(["chattr", "-i", keep])
            check(res.returncode == 0, "chattr -i %s: %s" % (keep, res.stderr.strip()))
            bench.immutable.remove(keep)
            stlib.docker("rm", c.name, timeout=120)
            check(_status(c) is None, "bench: %s still exists after docker rm" % c.name)
            tl2 = _wait_removal(mon, c, "removed", since=mark)
            _check_removal_timeline(tl2, c, "removed")
            time.sleep(2)
            mon.stop()

            alert = _one_alert(mon, c)
            _never_resolved(mon, c, alert)
            tls = _removal_timelines(mon, c)
            check(len(tls) == 2, "%d removal_timelines for two docker rm runs, want 2: %s"
                  % (len(tls), [t.get("outcome") for t in tls]))
            _no_raw_events(mon)
    finally:
        bench.cleanup()
        if c:
            _final_remove(c)


def test_rootfs_removal_ebusy():
    """/data of the upper dir re-mounted from a loop while docker rm runs:
    Docker unmounts and retries EBUSY for about 5 s, gives up, leaves the
    container dead; one alert names the path and the mount that holds it."""
    _setup()
    _require_overlay2()
    bench = Bench()
    c = None
    try:
        c, up, data = _prepare("mkdir /data", "/data")
        with DefaultMonitor() as mon:
            mon.start()
            depth = bench.start_loop(data)
            t0 = time.monotonic()
            res = stlib.docker("rm", c.name, check=False, timeout=120)
            took = time.monotonic() - t0
            mounted = bench.stop_loop()
            err = res.stderr.strip()
            check(res.returncode != 0, "bench: docker rm %s succeeded in %.2f s although %d "
                  "mounts were stacked on %s and the loop kept re-mounting (%r mounts)"
                  % (c.name, took, depth, data, mounted))
            check('driver "overlay2" failed to remove root filesystem' in err
                  and "device or resource busy" in err and data in err,
                  "bench: docker rm failed, but not with overlay2's EBUSY on %s: %s"
                  % (data, err))
            state = _status(c)
            check(state == "dead", "bench: %s is %r after the failed rm, want dead"
                  % (c.name, state))
            note("docker side: rm failed after %.1f s (%s), state dead; %d mounts stacked "
                 "before, %r made by the loop" % (took, err[err.find("driver"):], depth,
                                                  mounted))
            check(bench.unmount_all(), "could not unmount everything on %s" % data)

            alert = _wait_alert(mon, c)
            _check_alert(alert, c, "EBUSY", data)
            check(alert["attempts"] >= 2, "%s alert: attempts %r, but Docker retried EBUSY "
                  "for %.1f s" % (ALERT, alert["attempts"], took))
            holders = alert.get("holders")
            check(isinstance(holders, list) and holders, "%s alert for EBUSY: holders is %r, "
                  "want the mounts that hold %s: %s" % (ALERT, holders, data,
                                                         short(alert, 1500)))
            ours = [h for h in holders if isinstance(h, dict) and h.get("kind") == "mount"
                    and h.get("mount_point") == data]
            check(ours, "%s alert: no holder of kind mount on %s among %s"
                  % (ALERT, data, short(holders, 1500)))
            mntns = os.stat("/proc/self/ns/mnt").st_ino
            check(any(h.get("mount_namespace") == mntns for h in ours),
                  "%s alert: the mount on %s is held in mount namespace %d (the host's), "
                  "holders say %r" % (ALERT, data, mntns,
                                      [h.get("mount_namespace") for h in ours]))

            tl = _wait_removal(mon, c, "failed")
            _check_removal_timeline(tl, c, "failed")
            f = _failure(tl, "EBUSY", data)
            check(f is not None, "the failed removal_timeline lists no EBUSY failure on %s: %s"
                  % (data, short(tl.get("failures"), 1500)))
            expect(f, "syscall", "unlinkat", "EBUSY failure")
            expect(f, "resolved", False, "EBUSY failure")
            check(f["attempts"] >= 2 and f["last_ms"] - f["first_ms"] >= 2000,
                  "EBUSY failure: attempts %r over %r..%r ms, but Docker retried for %.1f s"
                  % (f["attempts"], f["first_ms"], f["last_ms"], took))
            check(tl["counts"]["umount"] >= 1, "removal_timeline counts.umount is %r, but "
                  "Docker unmounted %s before each retry" % (tl["counts"]["umount"], data))

            # Holder gone: the second removal works and alerts nothing new.
            mark = mon.mark()
            stlib.docker("rm", c.name, timeout=120)
            check(_status(c) is None, "bench: %s still exists after docker rm" % c.name)
            _wait_removal(mon, c, "removed", since=mark)
            time.sleep(2)
            mon.stop()

            alert = _one_alert(mon, c)
            _never_resolved(mon, c, alert)
            _no_raw_events(mon)
    finally:
        bench.cleanup()
        if c:
            _final_remove(c)


def test_rootfs_removal_transient_ebusy():
    """The remount loop stops about 1.5 s into docker rm and its mounts go:
    Docker's next retry succeeds. A removed timeline lists the EBUSY as
    resolved, and no alert comes."""
    _setup()
    _require_overlay2()
    with DefaultMonitor() as mon:
        mon.start()
        for attempt in range(1, TRANSIENT_TRIES + 1):
            bench = Bench()
            c = None
            try:
                c, up, data = _prepare("mkdir /data", "/data")
                depth = bench.start_loop(data)
                t0 = time.monotonic()
                rm = Background(["docker", "rm", c.name])
                early = None
                while time.monotonic() < t0 + TRANSIENT_S:
                    if not rm.running():
                        early = time.monotonic() - t0
                        break
                    time.sleep(0.02)
                mounted = bench.stop_loop()
                check(bench.unmount_all(), "could not unmount everything on %s" % data)
                rm.wait(90)         # fails with docker's error if the rm failed
                took = time.monotonic() - t0
                check(_status(c) is None, "bench: %s still exists after a docker rm that "
                      "succeeded" % c.name)
            finally:
                bench.cleanup()
                if c:
                    _final_remove(c)
            if early is None:
                break
            note("attempt %d: docker rm succeeded after %.2f s, before the loop stopped "
                 "(%d mounts stacked, %r made): no transient EBUSY; trying again"
                 % (attempt, early, depth, mounted))
        else:
            fail("bench: the scenario did not produce a transient EBUSY in %d attempts: "
                 "docker rm always succeeded at once, Docker's unmount won every race with "
                 "the remount loop" % TRANSIENT_TRIES)
        note("docker side: rm still retrying EBUSY %.1f s in, succeeded %.2f s after it "
             "started once the mounts were gone (%d stacked before, %r made by the loop)"
             % (TRANSIENT_S, took, depth, mounted))
        done = time.monotonic()

        tl = _wait_removal(mon, c, "removed")
        _check_removal_timeline(tl, c, "removed")
        f = _failure(tl, "EBUSY", data)
        check(f is not None, "the removed timeline lists no EBUSY failure on %s, but docker "
              "rm was retrying EBUSY for %.1f s: %s"
              % (data, TRANSIENT_S, short(tl.get("failures"), 1500)))
        expect(f, "syscall", "unlinkat", "EBUSY failure")
        expect(f, "resolved", True, "EBUSY failure (a later rmdir of %s succeeded)" % data)
        check(f["attempts"] >= 2, "EBUSY failure: attempts %r, but Docker retried for %.1f s"
              % (f["attempts"], TRANSIENT_S))
        for other in tl["failures"]:
            check(other.get("errno") not in ("EBUSY", "EPERM") or other.get("resolved") is True,
                  "the removed timeline has an unresolved failure: %s" % short(other))
        while time.monotonic() < done + QUIET:
            _no_alert(mon, c)
            time.sleep(0.5)
        mon.stop()

        _no_alert(mon, c)
        tls = _removal_timelines(mon, c)
        check(len(tls) == 1, "%d removal_timelines for one docker rm, want 1: %s"
              % (len(tls), [t.get("outcome") for t in tls]))
        _no_raw_events(mon)


def test_rootfs_removal_ok():
    """docker rm -f of a running container: one removed timeline with the
    calls counted, no failure that matters, no alert."""
    _setup()
    _require_overlay2()
    c = _start("sleep", "1000")
    try:
        with DefaultMonitor() as mon:
            mon.start()
            stlib.docker("rm", "-f", c.name, timeout=120)
            check(_status(c) is None, "bench: %s still exists after docker rm -f" % c.name)
            done = time.monotonic()

            tl = _wait_removal(mon, c, "removed")
            _check_removal_timeline(tl, c, "removed")
            counts = tl["counts"]
            check(counts["unlink"] >= 1 or counts["rmdir"] >= 1,
                  "removal_timeline counts %r: no unlink or rmdir counted for a whole "
                  "container's storage" % (counts,))
            bad = [f for f in tl["failures"] if f.get("errno") in ("EPERM", "EBUSY")]
            check(not bad, "a plain docker rm -f has EPERM/EBUSY failures: %s"
                  % short(bad, 1500))
            while time.monotonic() < done + 5:
                time.sleep(0.5)
            mon.stop()

            _no_alert(mon, c)
            tls = _removal_timelines(mon, c)
            check(len(tls) == 1, "%d removal_timelines for one docker rm -f, want 1: %s"
                  % (len(tls), [t.get("outcome") for t in tls]))
            _no_raw_events(mon)
    finally:
        _final_remove(c)


# ---------------------------------------------------------------- stops are not removals

def _named(name, *cmd, docker_args=()):
    """docker run -d under a name chosen before the monitor starts (--container)."""
    c = stlib.Container(name)
    stlib._containers.append(name)
    stlib.docker("run", "-d", "--network", "none", "--name", name, *docker_args, stlib.IMAGE,
                 *cmd)
    c.refresh()
    return c


def _gone(c, timeout=30):
    deadline = time.monotonic() + timeout
    while _status(c) is not None:
        check(time.monotonic() < deadline, "bench: %s still exists %d s after its removal "
              "began" % (c.name, timeout))
        time.sleep(0.2)


class _Metered:
    """The default monitor of one container, with a metrics file."""

    def __init__(self, name):
        self.dir = tempfile.mkdtemp(prefix="stoptrace-removals-")
        self.path = os.path.join(self.dir, "stoptrace.prom")
        self.mon = DefaultMonitor("--metrics-file", self.path, "--container", name,
                                  "--stats-interval", "0")

    def removals(self):
        samples, _ = read_metrics(self.path)
        return {o: metric(samples, "stoptrace_removals_total", outcome=o)
                for o in ("removed", "failed")}

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def _one_removal(m, c, since, what):
    """After the monitor stopped: c's only removal_timeline is removed, written
    after since, and the final metrics file counts exactly it."""
    tls = _lines(m.mon, c, "removal_timeline")
    check(len(tls) == 1, "%d removal_timelines for %s, want exactly 1 (the removal; a stop is "
          "none):\n%s" % (len(tls), what, "\n".join("    " + short(r, 600) for _, r in tls)))
    idx, tl = tls[0]
    check(idx >= since, "the removal_timeline of %s came before the removal began (line %d, "
          "removal from line %d): %s" % (what, idx, since, short(tl, 800)))
    _check_removal_timeline(tl, c, "removed")
    check(tl["counts"]["unlink"] >= 1 and tl["counts"]["rmdir"] >= 1,
          "removal_timeline of %s counts %r: a whole layer and containers/<id> go in a "
          "removal" % (what, tl["counts"]))
    _no_alert(m.mon, c)
    got = m.removals()
    check(got == {"removed": 1, "failed": 0}, "stoptrace_removals_total after %s is %r, want "
          "removed 1, failed 0" % (what, got))
    _no_raw_events(m.mon)
    return tl


def _stop_cleanup_on_timeline(tl, c):
    """The stop_timeline of a plain docker stop holds dockerd's clean-up after
    the cgroup's removal: the rootfs (merged/) unmounted and removed, the fifos
    of the run removed; fs_call events, each with its syscall, path and caller."""
    events = tl.get("events") or []
    rmdirs = [e["t_ms"] for e in events if e.get("event") == "cgroup_rmdir"]
    calls = [e for e in events if e.get("event") == "fs_call"]
    what = "stop_timeline of %s" % c.name
    check(rmdirs, "%s has no cgroup_rmdir event: %s" % (what, short(tl, 1500)))
    check(calls, "%s has no fs_call event: dockerd's unmount of the rootfs and removal of "
          "the run's files after the exit are the stop's: %s" % (what, short(tl, 1500)))
    for e in calls:
        check(e.get("syscall") in ("umount", "unlink", "unlinkat", "rmdir")
              and isinstance(e.get("path"), str) and e["path"].startswith("/")
              and e.get("ret") == 0 and stlib.get(e, "process.comm") == "dockerd",
              "%s: fs_call event %r, want a successful call of dockerd with its absolute "
              "path" % (what, e))
        check(not e["path"].endswith("/containers/" + c.id), "%s: a call on the container's "
              "own directory in a stop: %r" % (what, e))
    merged = [e for e in calls if e["syscall"] == "umount" and e["path"].endswith("/merged")]
    check(merged, "%s: no unmount of the rootfs (overlay2 <layer>/merged): %r" % (what, calls))
    check(merged[0]["t_ms"] >= rmdirs[0], "%s: dockerd unmounted the rootfs at %d ms, before "
          "the cgroup's removal at %d ms: the clean-up that follows the exit is what the "
          "linger is for" % (what, merged[0]["t_ms"], rmdirs[0]))
    check(tl["duration_ms"] <= merged[0]["t_ms"], "%s: duration_ms %d, want the stop's end "
          "at the cgroup's removal, not after the linger (unmount at %d ms)"
          % (what, tl["duration_ms"], merged[0]["t_ms"]))


def _scenario(act, what, docker_args=()):
    """A container running sleep, act(m, c) on it (returns the monitor's mark
    where the removal begins), then exactly one removal of it, counted once."""
    _setup()
    name = stlib.new_name()
    m = _Metered(name)
    c = None
    try:
        with m.mon as mon:
            mon.start()
            c = _named(name, "sleep", "1000", docker_args=docker_args)
            mark = act(m, c)
            _wait_removal(mon, c, "removed", since=mark)
            time.sleep(STOP_QUIET)
            mon.stop()
            return _one_removal(m, c, mark, what)
    finally:
        m.cleanup()
        if c:
            _final_remove(c)


def test_removal_stop_then_rm():
    """docker stop unmounts the rootfs and removes merged/ and the fifos of
    the run: no removal_timeline, none counted, the container still exists.
    The later docker rm is the one removal."""
    def act(m, c):
        mon = m.mon
        stlib.docker("stop", "-t", "1", c.name, timeout=60)
        check(_status(c) == "exited", "bench: %s is %r after docker stop, want exited"
              % (c.name, _status(c)))
        tl = mon.wait_for(_mine(c, "stop_timeline"), 30, "stop_timeline of %s" % c.name)
        _stop_cleanup_on_timeline(tl, c)
        time.sleep(STOP_QUIET)
        early = _removal_timelines(mon, c)
        check(not early, "docker stop of %s wrote a removal_timeline; the container still "
              "exists (exited): %s" % (c.name, short(early[0], 800) if early else ""))
        check(len(_lines(mon, c, "stop_timeline")) == 1, "want one stop_timeline for %s"
              % c.name)
        check(m.removals() == {"removed": 0, "failed": 0}, "stoptrace_removals_total after "
              "a docker stop is %r, want 0" % (m.removals(),))
        mark = mon.mark()
        stlib.docker("rm", c.name, timeout=60)
        check(_status(c) is None, "bench: %s still exists after docker rm" % c.name)
        return mark

    _scenario(act, "docker stop then docker rm")


def test_removal_run_rm():
    """docker run --rm, stopped: dockerd's clean-up of the stop, then at once
    its removal. One removal_timeline, one removal counted."""
    def act(m, c):
        mark = m.mon.mark()
        stlib.docker("stop", "-t", "1", c.name, timeout=60)
        _gone(c)
        return mark

    tl = _scenario(act, "a --rm container's stop", docker_args=("--rm",))
    check(tl["counts"]["umount"] >= 1, "the removal of a --rm container at its exit counts "
          "no unmount of its rootfs: %r" % (tl["counts"],))


def test_removal_rm_force():
    """docker rm -f of a running container: the kill's stop and the removal,
    one removal_timeline, one removal counted."""
    def act(m, c):
        mark = m.mon.mark()
        stlib.docker("rm", "-f", c.name, timeout=60)
        check(_status(c) is None, "bench: %s still exists after docker rm -f" % c.name)
        return mark

    _scenario(act, "docker rm -f")
