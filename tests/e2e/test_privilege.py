# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Least privilege and the files the monitor writes, as an operator checks
them on a running monitor and as a local attacker tries them.

Once monitor_started is out the monitor runs as nobody (uid and gid 65534
in all four slots, no supplementary group) with exactly the runtime set,
no_new_privs and its seccomp filter (Seccomp: 2); its file helper stays uid
0 with no capability at all and a filter of its own. It still judges a
stop and a failed removal right, reopens --output on SIGHUP after a
logrotate-style rename and rewrites --metrics-file with mode 0644. Symlinks
planted in a world-writable textfile directory for the metrics temporary
(the old <path>.<pid>.tmp and plausible random names) never lead it to
write their target; --output through a symlink in /tmp and --record to a
FIFO are refused with a clear line; --output /dev/stdout is taken.
docs/capabilities.md, docs/metrics.md, docs/outputs.md."""

import hashlib
import json
import os
import secrets
import signal
import subprocess
import tempfile
import time

import stlib
import test_capabilities as tc
import test_removal as tr
import test_timelines as tt
from stlib import check, expect, note, short

BINARY = os.path.abspath(os.environ.get("STOPTRACE", "./stoptrace"))
NOBODY = 65534


def _status(pid):
    """/proc/PID/status as a dict of strings."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            out[key] = value.strip()
    return out


def _helper_of(pid):
    """The pid of the monitor's file helper (a child named stoptrace-files), or None."""
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            children = [int(c) for c in f.read().split()]
    except OSError:
        return None
    for c in children:
        try:
            if _status(c).get("Name") == "stoptrace-files":
                return c
        except OSError:
            pass
    return None


def _check_unprivileged(mon, started):
    """Every thread: uid/gid nobody, no groups, the runtime set, no_new_privs,
    seccomp filter mode. The helper: uid 0, no capability, filtered."""
    want = tc.runtime_set(True)
    expect(started, "uid", NOBODY, "monitor_started")
    expect(started, "seccomp", True, "monitor_started")
    # NOROOT, NO_SETUID_FIXUP, NO_CAP_AMBIENT_RAISE and their locks; KEEP_CAPS off, locked
    expect(started, "securebits", 0xef, "monitor_started")
    expect(started, "capabilities", tc.ordered(want), "monitor_started")
    pid = mon.proc.pid
    for tid in (int(t) for t in os.listdir("/proc/%d/task" % pid)):
        with open("/proc/%d/task/%d/status" % (pid, tid)) as f:
            st = dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
        check(st["Uid"].split() == [str(NOBODY)] * 4 and st["Gid"].split() == [str(NOBODY)] * 4,
              "thread %d of the monitor: Uid %r Gid %r, want %d everywhere"
              % (tid, st["Uid"], st["Gid"], NOBODY))
        check(st.get("Groups", "").strip() == "", "thread %d keeps groups %r" % (tid, st["Groups"]))
        check(int(st["CapEff"], 16) == tc.mask(want) and int(st["CapPrm"], 16) == tc.mask(want),
              "thread %d: CapEff %s CapPrm %s, want %#x" % (tid, st["CapEff"], st["CapPrm"],
                                                           tc.mask(want)))
        check(st.get("NoNewPrivs") == "1", "thread %d: NoNewPrivs %r" % (tid, st.get("NoNewPrivs")))
        check(st.get("Seccomp") == "2", "thread %d: Seccomp %r, want 2 (filter)"
              % (tid, st.get("Seccomp")))
    helper = _helper_of(pid)
    check(helper is not None, "no file helper (stoptrace-files) under the monitor %d" % pid)
    hs = _status(helper)
    check(hs["Uid"].split() == ["0"] * 4, "the file helper runs as %r, want uid 0" % hs["Uid"])
    for key in ("CapEff", "CapPrm", "CapBnd", "CapInh", "CapAmb"):
        check(int(hs[key], 16) == 0, "the file helper's %s is %s, want 0" % (key, hs[key]))
    check(hs.get("NoNewPrivs") == "1" and hs.get("Seccomp") == "2",
          "the file helper: NoNewPrivs %r Seccomp %r" % (hs.get("NoNewPrivs"), hs.get("Seccomp")))


def _digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _wait_rewritten(path, since_ino, timeout=15):
    """Wait until path is a new file (the rename of a new temporary); its stat."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            st = os.lstat(path)
            if st.st_ino != since_ino:
                return st
        except FileNotFoundError:
            pass
        check(time.monotonic() < deadline, "%s was not rewritten within %d s" % (path, timeout))
        time.sleep(0.2)


def test_privilege_nobody_seccomp_stop_reopen_metrics():
    """Runs as nobody under seccomp, judges a stop, reopens its output on
    SIGHUP, rewrites the metrics file 0644 in a shared world-writable
    directory where symlinks planted for the temporary's name point at a
    canary that is never written."""
    tt._setup()
    shared = tempfile.mkdtemp(prefix="stoptrace-textfile-")
    os.chmod(shared, 0o1777)
    canary = os.path.join(tempfile.mkdtemp(prefix="stoptrace-canary-"), "canary")
    with open(canary, "w") as f:
        f.write("canary\n")
    metrics = os.path.join(shared, "stoptrace.prom")
    try:
        with tt.DefaultMonitor("--metrics-file", metrics, "--stats-interval", "1") as mon:
            old_mask = os.umask(0o077)
            try:
                started = mon.start()
            finally:
                os.umask(old_mask)
            _check_unprivileged(mon, started)
            # an attacker in the shared directory plants the names it can guess
            planted = [metrics + ".%d.tmp" % mon.proc.pid, metrics + ".tmp",
                       metrics + "." + secrets.token_hex(8) + ".tmp"]
            planted += [metrics + ".%d.tmp" % p for p in range(mon.proc.pid - 5,
                                                                mon.proc.pid + 6)]
            for p in set(planted):
                if not os.path.lexists(p):
                    os.symlink(canary, p)
            before = _digest(canary), os.stat(canary).st_mtime_ns
            st = _wait_rewritten(metrics, os.lstat(metrics).st_ino)
            st = _wait_rewritten(metrics, st.st_ino)
            check(st.st_mode & 0o777 == 0o644, "metrics file mode %o, want 0644 (under umask "
                  "077)" % (st.st_mode & 0o777))
            check(st.st_uid == 0, "metrics file owned by %d, want root (the helper)" % st.st_uid)
            with open(metrics) as f:
                text = f.read()
            check("stoptrace_build_info" in text, "metrics file lacks its series: %r"
                  % text[:300])
            check((_digest(canary), os.stat(canary).st_mtime_ns) == before,
                  "the canary behind a planted temporary name was written")
            for p in set(planted):
                check(os.path.islink(p), "planted symlink %s was replaced or removed" % p)
            leftovers = [n for n in os.listdir(shared) if n.endswith(".tmp")
                         and not os.path.islink(os.path.join(shared, n))]
            check(not leftovers, "temporary files left in the textfile directory: %s" % leftovers)

            _stop_ignored(mon)

            # logrotate without copytruncate: rename, then SIGHUP
            rotated = mon.output + ".1"
            mark = mon.mark()
            os.rename(mon.output, rotated)
            mon.rotated.append(rotated)
            mon._offset = 0
            mon._partial = b""
            mon.proc.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 10
            while not (os.path.exists(mon.output) and os.path.getsize(mon.output) > 0):
                check(time.monotonic() < deadline, "no new %s 10 s after SIGHUP; stderr: %s"
                      % (mon.output, mon.stderr()))
                time.sleep(0.2)
            ost = os.stat(mon.output)
            # created 0640 less the umask (077 here): root's, no one else writes it
            check(ost.st_uid == 0 and ost.st_mode & 0o137 == 0,
                  "reopened output: uid %d mode %o, want root's, 0640 at most"
                  % (ost.st_uid, ost.st_mode & 0o777))
            mon.wait_for(lambda r: r.get("type") == "monitor_stats", 10,
                         "a monitor_stats in the reopened output", since=mark)
            check(mon.stderr() == "", "the monitor complained (a seccomp refusal?): %s"
                  % mon.stderr())
            mon.proc.send_signal(signal.SIGINT)
            check(mon.proc.wait(30) == 0, "exit status after SIGINT")
            check(mon.stderr() == "", "stderr at exit: %s" % mon.stderr())
            check(_digest(canary) == before[0], "the canary was written at exit")
    finally:
        for d in (shared, os.path.dirname(canary)):
            subprocess.run(["rm", "-rf", d])


def _stop_ignored(mon):
    """docker stop -t 2 of a sleep PID 1, under the unprivileged monitor."""
    c = tt._start("sleep", "1000")
    try:
        stop = tt.Background(["docker", "stop", "-t", "2", c.name])
        mon.wait_for(tt._mine(c, "alert", "stop_signal_ignored"), 20,
                     "stop_signal_ignored alert for %s" % c.name)
        stop.wait()
        tt._wait_timeline(mon, c)
        _, tl = tt._one_timeline(mon, c)
        tt._verdict(tl, "stop_signal_ignored")
        expect(tl, "init.pid", c.pid, "stop_timeline")
    finally:
        tt._remove(c)


def test_privilege_removal_failure_as_nobody():
    """chattr +i in the upper dir, docker rm: rootfs_removal_failed names the
    file and the immutable flag, read as nobody with CAP_DAC_READ_SEARCH."""
    tt._setup()
    tr._require_overlay2()
    bench = tr.Bench()
    c = None
    try:
        c, up, keep = tr._prepare("echo x > /keep", "/keep")
        bench.chattr_immutable(keep)
        with tt.DefaultMonitor() as mon:
            started = mon.start()
            _check_unprivileged(mon, started)
            res = stlib.docker("rm", c.name, check=False, timeout=120)
            check(res.returncode != 0, "bench: docker rm %s succeeded despite chattr +i" % c.name)
            alert = tr._wait_alert(mon, c)
            tr._check_alert(alert, c, "EPERM", keep)
            expect(alert, "attributes.immutable", True, "rootfs_removal_failed alert")
            tl = tr._wait_removal(mon, c, "failed")
            tr._check_removal_timeline(tl, c, "failed")
            check(mon.stderr() == "", "the monitor complained: %s" % mon.stderr())
            mon.stop()
    finally:
        bench.cleanup()
        if c:
            tr._final_remove(c)


def _run_monitor(args, timeout=30):
    return subprocess.run([BINARY, "--format", "json"] + args, stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=timeout)


def test_privilege_file_refusals():
    """--output through a symlink in /tmp, --record to a FIFO, --metrics-file
    a symlink: exit 1, one line naming the path and why, nothing written
    through them. --output /dev/stdout: monitor_started on standard output."""
    stlib.require_root()
    tmp = tempfile.mkdtemp(prefix="stoptrace-priv-")
    canary = os.path.join(tmp, "canary")
    with open(canary, "w") as f:
        f.write("canary\n")
    link = os.path.join("/tmp", "st-out-%s.json" % secrets.token_hex(6))
    fifo = os.path.join(tmp, "rec.fifo")
    os.mkfifo(fifo)
    mlink = os.path.join(tmp, "m.prom")
    os.symlink(canary, mlink)
    try:
        os.symlink(canary, link)
        res = _run_monitor(["--output", link])
        err = res.stderr.decode(errors="replace")
        check(res.returncode == 1, "--output via a symlink in /tmp: exit %d, want 1; %r"
              % (res.returncode, err))
        check(link in err and "symlink in a directory others can write" in err,
              "--output via a symlink in /tmp: stderr %r" % err)
        out = os.path.join(tmp, "out.jsonl")
        res = _run_monitor(["--output", out, "--record", fifo])
        err = res.stderr.decode(errors="replace")
        check(res.returncode == 1 and fifo in err and "a FIFO, not a regular file" in err,
              "--record to a FIFO: exit %d, stderr %r" % (res.returncode, err))
        res = _run_monitor(["--output", out, "--metrics-file", mlink])
        err = res.stderr.decode(errors="replace")
        check(res.returncode == 1 and mlink in err and "a symlink, not a regular file" in err,
              "--metrics-file a symlink: exit %d, stderr %r" % (res.returncode, err))
        with open(canary) as f:
            check(f.read() == "canary\n", "the canary was written through a refused path")

        stdout, stderr = os.path.join(tmp, "stdout"), os.path.join(tmp, "stderr")
        with open(stdout, "wb") as so, open(stderr, "wb") as se:
            proc = subprocess.Popen([BINARY, "--format", "json", "--output", "/dev/stdout",
                                     "--stats-interval", "1"],
                                    stdin=subprocess.DEVNULL, stdout=so, stderr=se)
        try:
            deadline = time.monotonic() + 60
            first = None
            while first is None:
                if proc.poll() is not None:
                    with open(stderr, "rb") as f:
                        check(False, "--output /dev/stdout: exited %s: %r"
                              % (proc.returncode, f.read()))
                check(time.monotonic() < deadline, "--output /dev/stdout: no monitor_started")
                with open(stdout, "rb") as f:
                    line = f.readline()
                if line.endswith(b"\n"):
                    first = json.loads(line)
                time.sleep(0.2)
            expect(first, "type", "monitor_started", "first record on /dev/stdout")
            # SIGHUP reopens /dev/stdout (by the helper): still this file, not the helper's
            proc.send_signal(signal.SIGHUP)
            time.sleep(0.5)
            size = os.path.getsize(stdout)
            deadline = time.monotonic() + 10
            while os.path.getsize(stdout) == size:
                check(time.monotonic() < deadline, "no record on standard output after SIGHUP")
                time.sleep(0.2)
            proc.send_signal(signal.SIGINT)
            check(proc.wait(30) == 0, "--output /dev/stdout: exit status after SIGINT")
            note("--output /dev/stdout: %s" % short(first, 120))
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    finally:
        for p in (link,):
            if os.path.lexists(p):
                os.unlink(p)
        subprocess.run(["rm", "-rf", tmp])


def test_privilege_debug_switches():
    """--user root --seccomp off: the documented way to debug; uid 0, no
    filter, and a warning that says so."""
    tt._setup()
    with tt.DefaultMonitor("--user", "root", "--seccomp", "off") as mon:
        started = mon.start()
        expect(started, "uid", 0, "monitor_started")
        expect(started, "seccomp", False, "monitor_started")
        expect(started, "securebits", 0, "monitor_started")
        st = _status(mon.proc.pid)
        check(st["Uid"].split()[1] == "0" and st["Seccomp"] == "0",
              "with --user root --seccomp off: Uid %r Seccomp %r" % (st["Uid"], st["Seccomp"]))
        check("--seccomp off" in mon.stderr(), "no warning for --seccomp off: %r" % mon.stderr())
        check(_helper_of(mon.proc.pid) is None, "a file helper without a uid switch")
        mon.stop()
