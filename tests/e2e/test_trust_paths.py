# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Paths from records and the holder scan, tried as a hostile tenant would.

- An EBUSY rmdir loop: a trusted caller (root on the host, in the host's
  mount namespace) fails rmdir on mount points under a real container's
  layer thousands of times, then the layer itself, as a runtime's removal
  ends (a removal is one that reaches the layer or the container's
  directory; calls below them alone are a stop's). The holder scans stay within the rate limits
  (monitor_stopped says how many ran and were skipped), the monitor's CPU
  stays bounded, and a bystander's `docker stop` meanwhile is judged right
  and alerted on time.
- Symlinked directories in a container's upper dir pointing at host canaries
  (watched with fanotify, which names the process), failed removals through them and through ".."
  (then of the layer itself, so that they are a removal),
  while a real `docker rm` fails with EPERM (chattr +i): the canaries are
  never opened, the ".." path is refused and counted, and the alert of the
  real failure is still right (immutable).
"""

import ctypes
import errno
import os
import struct
import subprocess
import tempfile
import time

import stlib
from stlib import check, expect, fail, note, short
from test_removal import (ALERT, Bench, _check_alert, _failure, _final_remove, _prepare,
                          _require_overlay2, _run, _status, _wait_alert, _wait_removal)
from test_timelines import DefaultMonitor, _lines, _mine, _remove, _setup, _start, _wait_comm

SCAN_PER_REMOVAL = 4        # user/host/scan_limit.h
LOOP_S = 6                  # s of rmdir calls in the EBUSY loop
BUSY_DIRS = 12              # mount points it fails on (more than RM_MAX_FAILURES)
BYSTANDER_LATENCY_MS = 1000  # kernel event to line written, on a shared machine
CPU_SHARE = 0.5             # of one core, at most, during the loop


# ---------------------------------------------------------------- fanotify

FAN_ACCESS, FAN_MODIFY, FAN_CLOSE_WRITE, FAN_CLOSE_NOWRITE, FAN_OPEN = 0x1, 0x2, 0x8, 0x10, 0x20
FAN_CLASS_NOTIF, FAN_CLOEXEC, FAN_NONBLOCK, FAN_MARK_ADD = 0, 0x1, 0x2, 0x1
AT_FDCWD = -100
FAN_EVENT_ON_CHILD = 0x08000000
WATCH = FAN_ACCESS | FAN_MODIFY | FAN_CLOSE_WRITE | FAN_CLOSE_NOWRITE | FAN_OPEN | FAN_EVENT_ON_CHILD


class Watch:
    """Every open, read or close of the watched files, with the process that
    did it: fanotify, not inotify, because other monitors on a shared test
    machine see the same calls and may open the canaries themselves."""

    def __init__(self):
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.libc.fanotify_mark.argtypes = [ctypes.c_int, ctypes.c_uint, ctypes.c_uint64,
                                            ctypes.c_int, ctypes.c_char_p]
        self.fd = self.libc.fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK,
                                          os.O_RDONLY)
        check(self.fd >= 0, "fanotify_init: %s" % os.strerror(ctypes.get_errno()))

    def add(self, path):
        r = self.libc.fanotify_mark(self.fd, FAN_MARK_ADD, WATCH, AT_FDCWD, path.encode())
        check(r == 0, "fanotify_mark %s: %s" % (path, os.strerror(ctypes.get_errno())))

    def events(self):
        """(pid, mask, path) of each event since the last call."""
        out = []
        while True:
            try:
                buf = os.read(self.fd, 65536)
            except BlockingIOError:
                return out
            i = 0
            while i + 24 <= len(buf):
                n, _, _, _, mask, fd, pid = struct.unpack_from("IBBHQii", buf, i)
                if fd >= 0:
                    try:
                        where = os.readlink("/proc/self/fd/%d" % fd)
                    except OSError:
                        where = "?"
                    os.close(fd)
                else:
                    where = "?"
                out.append((pid, mask, where))
                i += n or 24

    def by(self, pid):
        """The events of process pid (the monitor), and a note of the others'."""
        got = self.events()
        others = [e for e in got if e[0] != pid]
        if others:
            note("canary events of other processes (other monitors on this machine?): %s"
                 % sorted({(p, w) for p, _, w in others}))
        return [e for e in got if e[0] == pid]

    def close(self):
        os.close(self.fd)


# ---------------------------------------------------------------- helpers

def _cpu_s(pid):
    """utime + stime of a process, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _bystander_start():
    b = _start("sleep", "1000")
    _wait_comm(b, "sleep")
    return b


def _bystander_check(mon, b):
    """sleep as PID 1 ignores SIGTERM: the alert, on time, and the verdict."""
    alert = mon.wait_for(_mine(b, "alert", "stop_signal_ignored"), 20,
                         "the bystander's stop_signal_ignored alert (%s)" % b.name)
    lat = alert.get("latency_ms")
    check(type(lat) is int and 0 <= lat < BYSTANDER_LATENCY_MS,
          "the bystander's alert came %r ms after its kernel event, want < %d: %s"
          % (lat, BYSTANDER_LATENCY_MS, short(alert)))
    tl = mon.wait_for(_mine(b, "stop_timeline"), 30,
                      "the bystander's stop_timeline (%s)" % b.name)
    expect(tl, "verdict", "stop_signal_ignored", "the bystander's stop_timeline")
    return lat


def _stopped_counters(last):
    scans = last.get("holder_scans")
    check(isinstance(scans, dict), "monitor_stopped has no holder_scans object: %s"
          % short(last, 1500))
    for key in ("run", "incomplete", "skipped_removal", "skipped_container", "skipped_global"):
        check(type(scans.get(key)) is int and scans[key] >= 0,
              "monitor_stopped holder_scans.%s is %r" % (key, scans.get(key)))
    refused = last.get("paths_refused")
    check(type(refused) is int and refused >= 0, "monitor_stopped paths_refused is %r"
          % (refused,))
    return scans, refused


# The EBUSY loop: rmdir on each mount point, again and again, for limit
# seconds; prints how many calls failed with EBUSY. Only failing calls:
# the mount points stay mounted throughout.
_RMDIR_LOOP = r"""
import errno, os, sys, time
paths, limit = sys.argv[2:], float(sys.argv[1])
end, busy, other = time.monotonic() + limit, 0, 0
while time.monotonic() < end:
    for p in paths:
        try:
            os.rmdir(p)
            other += 1
        except OSError as e:
            if e.errno == errno.EBUSY:
                busy += 1
            else:
                other += 1
    time.sleep(0.0005)
print(busy, other)
"""


def _rmdir_layer(up):
    """rmdir of the layer of upper dir up, as a runtime's RemoveAll ends when
    something below could not be removed: ENOTEMPTY."""
    layer = os.path.dirname(up)
    try:
        os.rmdir(layer)
        fail("bench: rmdir(%s) succeeded" % layer)
    except OSError as e:
        check(e.errno == errno.ENOTEMPTY, "bench: rmdir(%s): %s, want ENOTEMPTY" % (layer, e))


# ---------------------------------------------------------------- tests

def test_ebusy_rmdir_loop():
    """Thousands of EBUSY rmdirs on mount points of a container's layer: the
    holder scans stay within the rate limits, the monitor's CPU stays
    bounded, and a bystander's stop meanwhile is judged right and on time."""
    _setup()
    _require_overlay2()
    bench = Bench()
    c = b = None
    try:
        names = ["/d%d" % i for i in range(BUSY_DIRS)]
        c, up, _ = _prepare("mkdir %s" % " ".join(names), names[-1])
        targets = [up + n for n in names]
        src = tempfile.mkdtemp(prefix="stoptrace-e2e-bind-")
        bench.tmpdirs.append(src)
        for t in targets:
            bench.mounted.append(t)
            res = _run(["mount", "--bind", src, t])
            check(res.returncode == 0, "mount --bind %s %s: %s" % (src, t, res.stderr.strip()))
        b = _bystander_start()
        with DefaultMonitor() as mon:
            mon.start()
            cpu0, t0 = _cpu_s(mon.proc.pid), time.monotonic()
            loop = subprocess.Popen(["python3", "-c", _RMDIR_LOOP, str(LOOP_S)] + targets,
                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
            time.sleep(LOOP_S / 3)
            stlib.docker("stop", "-t", "1", b.name, timeout=90)
            out, err = loop.communicate(timeout=LOOP_S + 60)
            cpu, wall = _cpu_s(mon.proc.pid) - cpu0, time.monotonic() - t0
            check(loop.returncode == 0, "the rmdir loop failed: %s" % err.strip())
            _rmdir_layer(up)
            busy, other = (int(x) for x in out.split())
            check(busy >= 1000 and other == 0, "bench: the loop's rmdirs failed with EBUSY "
                  "%d times and otherwise %d times, want >= 1000 and 0" % (busy, other))
            note("the loop failed %d rmdirs with EBUSY in %.1f s; the monitor used %.2f s "
                 "of CPU meanwhile" % (busy, wall, cpu))
            check(cpu < CPU_SHARE * wall, "the monitor used %.2f s of CPU in %.1f s of EBUSY "
                  "flood, want < %.0f%% of a core" % (cpu, wall, CPU_SHARE * 100))
            lat = _bystander_check(mon, b)
            note("the bystander's alert: %d ms after its kernel event" % lat)

            # the flood is evidence of a trusted caller: one removal, one alert
            alert = _wait_alert(mon, c)
            expect(alert, "errno", "EBUSY", "%s alert" % ALERT)
            expect(alert, "path", targets[0], "%s alert" % ALERT)
            check(alert.get("attempts", 0) >= 100, "%s alert: attempts %r, the loop failed "
                  "%d rmdirs on %s" % (ALERT, alert.get("attempts"), busy // BUSY_DIRS,
                                       targets[0]))
            mounts = [h for h in alert.get("holders") or [] if h.get("kind") == "mount"
                      and h.get("mount_point") == targets[0]]
            check(mounts, "%s alert: no mount holder on %s: %s"
                  % (ALERT, targets[0], short(alert.get("holders"), 1200)))
            tl = _wait_removal(mon, c, "failed")
            failures = tl.get("failures") or []
            skipped = [f for f in failures if f.get("holders_incomplete") is True]
            check(skipped and all("rate limit" in f.get("holders_incomplete_reason", "")
                                  for f in skipped),
                  "removal_timeline: want failures whose holder scan the rate limit skipped "
                  "(holders_incomplete, reason rate limit): %s" % short(failures, 2000))
            last = mon.stop()
            scans, _ = _stopped_counters(last)
            check(1 <= scans["run"] <= SCAN_PER_REMOVAL,
                  "holder scans run: %d, want 1..%d for one removal (%d EBUSY calls)"
                  % (scans["run"], SCAN_PER_REMOVAL, busy))
            check(scans["skipped_removal"] >= BUSY_DIRS - SCAN_PER_REMOVAL,
                  "holder scans skipped by the per-removal limit: %d, want >= %d: %s"
                  % (scans["skipped_removal"], BUSY_DIRS - SCAN_PER_REMOVAL, scans))
            note("holder scans: %s" % scans)
    finally:
        bench.cleanup()
        if b:
            _remove(b)
        if c:
            _final_remove(c)


def test_symlinked_upper_dir():
    """Symlinks in a container's upper dir lead to host canaries; removals
    fail through them, through "..", and for real (chattr +i): nothing of
    the canaries is opened, and the real failure's alert is right."""
    _setup()
    _require_overlay2()
    bench = Bench()
    watch = None
    c = b = None
    canary = tempfile.mkdtemp(prefix="stoptrace-canary-")
    secret = os.path.join(canary, "secret")
    mnt = os.path.join(canary, "mnt")
    try:
        with open(secret, "w") as f:
            f.write("canary\n")
        os.mkdir(mnt)
        bench.chattr_immutable(secret)      # unlink through the link fails: EPERM
        c, up, keep = _prepare("ln -s %s /link && ln -s %s /linkfile && echo x > /keep"
                               % (canary, secret), "/keep")
        bench.chattr_immutable(keep)
        bench.mounted.append(mnt)
        res = _run(["mount", "-t", "tmpfs", "-o", "size=64k", "stoptrace-canary", mnt])
        check(res.returncode == 0, "mount tmpfs on %s: %s" % (mnt, res.stderr.strip()))
        watch = Watch()
        for p in (canary, secret):
            watch.add(p)
        b = _bystander_start()
        watch.events()          # what the setup itself did
        with DefaultMonitor() as mon:
            mon.start()
            dotdot = up + "/.." * 8 + secret
            attacks = [(os.unlink, up + "/link/secret", errno.EPERM),
                       (os.rmdir, up + "/link/mnt", errno.EBUSY),
                       (os.unlink, dotdot, errno.EPERM),
                       (os.rmdir, os.path.dirname(up), errno.ENOTEMPTY)]
            for call, path, want in attacks:
                try:
                    call(path)
                    fail("bench: %s(%s) succeeded" % (call.__name__, path))
                except OSError as e:
                    check(e.errno == want, "bench: %s(%s): %s, want %s"
                          % (call.__name__, path, e, errno.errorcode[want]))
            a1 = _wait_alert(mon, c)
            got = watch.by(mon.proc.pid)
            check(not got, "the monitor opened the host canaries: %s" % got)
            what = "%s alert of the unlink through the symlink" % ALERT
            expect(a1, "syscall", "unlink", what)     # os.unlink: unlink(2)
            expect(a1, "errno", "EPERM", what)
            expect(a1, "path", up + "/link/secret", what)
            check("attributes" not in a1, "%s alert reports attributes of %s/link/secret: it "
                  "opened the file the symlink leads to: %s" % (ALERT, up, short(a1, 1500)))
            tl1 = _wait_removal(mon, c, "failed")
            busy = _failure(tl1, "EBUSY", up + "/link/mnt")
            check(busy is not None, "removal_timeline lists no EBUSY on %s/link/mnt: %s"
                  % (up, short(tl1.get("failures"), 1500)))
            check(busy.get("holders_incomplete") is True
                  and "path refused" in busy.get("holders_incomplete_reason", ""),
                  "the EBUSY through the symlink: want holders_incomplete, reason path "
                  "refused: %s" % short(busy, 1500))
            check(not [f for f in tl1.get("failures") or [] if "/.." in f.get("path", "")],
                  "a path with .. became a failure of the removal: %s"
                  % short(tl1.get("failures"), 1500))

            # the real failure: docker rm, EPERM on the immutable /keep
            mark = mon.mark()
            res = stlib.docker("rm", c.name, check=False, timeout=120)
            check(res.returncode != 0 and "operation not permitted" in res.stderr,
                  "bench: docker rm %s: %s, want overlay2's EPERM on %s"
                  % (c.name, res.stderr.strip() or "succeeded", keep))
            a2 = mon.wait_for(lambda r: _mine(c, "alert", ALERT)(r) and r.get("path") == keep,
                              20, "the %s alert of docker rm on %s" % (ALERT, keep),
                              since=mark)
            _check_alert(a2, c, "EPERM", keep)
            expect(a2, "attributes.immutable", True, "%s alert" % ALERT)
            stlib.docker("stop", "-t", "1", b.name, timeout=90)
            _bystander_check(mon, b)
            last = mon.stop()
            _, refused = _stopped_counters(last)
            check(refused >= 1, "paths_refused is %d after an unlink of %s" % (refused, dotdot))
            got = watch.by(mon.proc.pid)
            check(not got, "the monitor opened the host canaries: %s" % got)
            alerts = [r for _, r in _lines(mon, c, "alert", ALERT)]
            check(len(alerts) == 2, "%d %s alerts, want 2 (the unlinks through the link, "
                  "then docker rm): %s" % (len(alerts), ALERT, [a.get("path") for a in alerts]))
    finally:
        if watch:
            watch.close()
        bench.cleanup()
        if b:
            _remove(b)
        if c:
            _final_remove(c)
        for p in (secret,):
            try:
                os.unlink(p)
            except OSError as e:
                note("cleanup: %s: %s" % (p, e))
        for d in (mnt, canary):
            try:
                os.rmdir(d)
            except OSError as e:
                note("cleanup: rmdir %s: %s" % (d, e))
