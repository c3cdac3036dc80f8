#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""End-to-end test helpers for stoptrace, and the test runner.

Tests are functions named test_* in modules tests/e2e/test_*.py. They drive
real processes, cgroups and Docker containers, run the monitor
(`stoptrace --format json --events --output FILE`) and assert on the JSON
lines it writes. Python standard library only.

Run from the repository root:

    python3 tests/e2e/stlib.py [NAME_SUBSTRING...]

Environment:
    STOPTRACE                 monitor binary (default ./stoptrace)
    CI=true, STOPTRACE_REQUIRE_E2E=1
                              a skipped test counts as a failure
    STOPTRACE_E2E_TIMEOUT     seconds one test may take (default 300)
    STOPTRACE_E2E_KEEP=1      keep every monitor output directory

Strings that come from containers are hostile: nothing here passes them to a
shell; every external command is an argument list.
"""

import calendar
import ctypes
import errno
import importlib
import json
import os
import re
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

IMAGE = "stoptrace-test/busybox:1"
START_TIMEOUT = 20          # monitor_started must come within this many seconds
STOP_TIMEOUT = 20           # and the monitor must exit this long after SIGINT
MAX_LINE = 8192             # contract: no record line over 8 KiB

# What the runner cleans up after every test, whatever happened.
_monitors = []
_containers = []
_processes = []
_cgroups = []


class Skip(Exception):
    """The test cannot run here (not root, no Docker, ...)."""


class TestTimeout(AssertionError):
    pass


def fail(msg):
    raise AssertionError(msg)


def skip(reason):
    raise Skip(reason)


def check(cond, msg):
    if not cond:
        fail(msg)


def note(msg):
    """Print an informational line under the running test."""
    print("  # " + str(msg), flush=True)


def require_root():
    if os.geteuid() != 0:
        skip("needs root (runs the eBPF monitor, creates cgroups, drives Docker)")


# ---------------------------------------------------------------- records

_RFC3339 = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})"
                      r"(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$")


def time_ns(text):
    """Nanoseconds since the epoch of an RFC 3339 time such as
    2025-01-02T03:04:05.123456789Z (float seconds would lose the nanoseconds)."""
    m = _RFC3339.match(text) if isinstance(text, str) else None
    if not m:
        fail("not an RFC 3339 time with at most nanoseconds: %r" % (text,))
    y, mo, d, h, mi, s, frac, tz = m.groups()
    secs = calendar.timegm((int(y), int(mo), int(d), int(h), int(mi), int(s)))
    if tz != "Z":
        off = int(tz[1:3]) * 3600 + int(tz[4:6]) * 60
        secs -= off if tz[0] == "+" else -off
    return secs * 10**9 + int((frac or "0").ljust(9, "0"))


def get(rec, path, default=None):
    """rec["a"]["b"] for path "a.b", or default when any step is missing."""
    cur = rec
    for key in path.split("."):
        if not isinstance(cur, dict) or key not in cur:
            return default
        cur = cur[key]
    return cur


def expect(rec, path, want, what="record"):
    """Fail unless field path of rec equals want (type included: 1 != True)."""
    have = get(rec, path, _MISSING)
    if have is _MISSING:
        fail("%s has no field %s (want %r): %s" % (what, path, want, short(rec)))
    if have != want or type(have) is not type(want):
        fail("%s: %s is %r, want %r: %s" % (what, path, have, want, short(rec)))


_MISSING = object()


def is_event(rec, name=None):
    return rec.get("type") == "event" and (name is None or rec.get("event") == name)


def mentions_pid(obj, pid):
    """True when any object inside obj has "pid" or "tid" equal to pid."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in ("pid", "tid") and type(v) is int and v == pid:
                return True
            if mentions_pid(v, pid):
                return True
    elif isinstance(obj, list):
        return any(mentions_pid(v, pid) for v in obj)
    return False


def short(rec, limit=400):
    text = json.dumps(rec, sort_keys=True)
    return text if len(text) <= limit else text[:limit] + "..."


def _tail(path, limit=2000):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return ""
    text = data[-limit:].decode("utf-8", "replace").strip()
    return text


# ---------------------------------------------------------------- monitor

class Monitor:
    """The monitor as a subprocess writing JSON lines to a private file.

    with Monitor() as mon:
        mon.start()                       # waits for monitor_started
        ...
        mon.wait_for(pred, 10, "what")    # polls the parsed records
        mon.stop()                        # SIGINT, exit 0, monitor_stopped last
    """

    events = True               # --events: every raw kernel event too

    def __init__(self, *extra_args):
        self.binary = os.path.abspath(os.environ.get("STOPTRACE", "./stoptrace"))
        self.extra_args = list(extra_args)
        self.dir = tempfile.mkdtemp(prefix="stoptrace-e2e-")
        self.output = os.path.join(self.dir, "records.jsonl")
        self.rotated = []           # earlier output files (a test's logrotate), oldest first
        # Every monitor records; stop() replays the recording and wants the same records.
        self.recording = None
        if "--record" not in self.extra_args and os.environ.get("STOPTRACE_E2E_RECORD") != "0":
            self.recording = os.path.join(self.dir, "recording.rec.gz")
        self.stdout_path = os.path.join(self.dir, "stdout")
        self.stderr_path = os.path.join(self.dir, "stderr")
        self.proc = None
        self.records = []
        self._offset = 0
        self._partial = b""
        self._lines = 0
        self.failed = False

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.close(keep=exc_type is not None)
        return False

    def start(self, timeout=START_TIMEOUT):
        if not os.path.isfile(self.binary) or not os.access(self.binary, os.X_OK):
            fail("monitor binary %s not found or not executable: build it with `make` "
                 "(or point STOPTRACE at it)" % self.binary)
        argv = [self.binary, "--format", "json"] + (["--events"] if self.events else [])
        argv += ["--output", self.output] + self.extra_args
        if self.recording:
            argv += ["--record", self.recording]
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=err)
        _monitors.append(self)
        deadline = time.monotonic() + timeout
        while True:
            recs = self.poll()
            if recs:
                first = recs[0]
                if first.get("type") != "monitor_started":
                    fail("first record is %r, want monitor_started: %s"
                         % (first.get("type"), short(first)))
                return first
            if self.proc.poll() is not None:
                fail("monitor exited with status %d before monitor_started; stderr: %s"
                     % (self.proc.returncode, self.stderr() or "(empty)"))
            if time.monotonic() > deadline:
                fail("no monitor_started record within %d s; stderr: %s"
                     % (timeout, self.stderr() or "(empty)"))
            time.sleep(0.1)

    def stderr(self):
        return _tail(self.stderr_path)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def poll(self):
        """Parse the complete lines written since the last call; return all records.

        Every line must be one JSON object with the common fields of the
        contract: a line that is not is a test failure by itself.
        """
        try:
            with open(self.output, "rb") as f:
                f.seek(self._offset)
                data = f.read()
        except FileNotFoundError:
            return self.records
        self._offset += len(data)
        lines = (self._partial + data).split(b"\n")
        self._partial = lines.pop()
        for raw in lines:
            self._lines += 1
            self.records.append(self._parse(raw, self._lines))
        return self.records

    def _parse(self, raw, lineno):
        where = "monitor output line %d" % lineno
        if len(raw) > MAX_LINE:
            fail("%s is %d bytes, over the 8 KiB limit: %r..." % (where, len(raw), raw[:200]))
        try:
            rec = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            fail("%s is not valid UTF-8 JSON (%s): %r" % (where, e, raw[:300]))
        if not isinstance(rec, dict):
            fail("%s is not a JSON object: %r" % (where, raw[:300]))
        if rec.get("schema") != 1 or type(rec.get("schema")) is not int:
            fail("%s: schema is %r, want 1: %s" % (where, rec.get("schema"), short(rec)))
        for key in ("type", "host"):
            if not isinstance(rec.get(key), str) or not rec[key]:
                fail("%s: %s missing or not a non-empty string: %s" % (where, key, short(rec)))
        time_ns(rec.get("time"))
        return rec

    def mark(self):
        """Index for wait_for(since=...): only records written after now count."""
        return len(self.poll())

    def find(self, pred, since=0):
        return [r for r in self.poll()[since:] if pred(r)]

    def wait_for(self, pred, timeout=15, what="a matching record", since=0):
        """Poll until a record satisfies pred; return the first such record."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.find(pred, since)
            if found:
                return found[0]
            if not self.running():
                fail("monitor exited (status %s) while waiting for %s; stderr: %s"
                     % (self.proc.returncode if self.proc else None, what,
                        self.stderr() or "(empty)"))
            if time.monotonic() > deadline:
                fail("no %s within %d s; %s" % (what, timeout, self.summary()))
            time.sleep(0.1)

    def summary(self, limit=8):
        """A few words on what the monitor did write, for failure messages."""
        recs = self.poll()
        events = [r for r in recs if is_event(r)]
        text = "%d records (%d events) in %s" % (len(recs), len(events), self.output)
        if events:
            text += "; last events:\n" + "\n".join("    " + short(r, 300)
                                                   for r in events[-limit:])
        return text

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGINT; the monitor must exit 0 and write monitor_stopped last."""
        check(self.proc is not None, "monitor was never started")
        if self.proc.poll() is not None:
            fail("monitor died before it was stopped (status %d); stderr: %s"
                 % (self.proc.returncode, self.stderr() or "(empty)"))
        self.proc.send_signal(signal.SIGINT)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            fail("monitor still running %d s after SIGINT (killed it)" % timeout)
        check(rc == 0, "monitor exited with status %d after SIGINT, want 0; stderr: %s"
              % (rc, self.stderr() or "(empty)"))
        recs = self.poll()
        check(not self._partial, "monitor output ends with an unterminated line: %r"
              % self._partial[:300])
        check(recs, "monitor output is empty after stop")
        last = recs[-1]
        check(last.get("type") == "monitor_stopped",
              "last record is %r, want monitor_stopped: %s" % (last.get("type"), short(last)))
        stopped = [r for r in recs if r.get("type") == "monitor_stopped"]
        check(len(stopped) == 1, "%d monitor_stopped records, want 1" % len(stopped))
        lost = get(last, "lost", get(last, "counters.lost"))
        if lost:
            note("monitor reports %r lost events" % (lost,))
        if self.recording:
            self.check_replay()
        return last

    def replay_args(self):
        """The options that shape the stream, for a replay that must match it."""
        args = ["--format", "json"] + (["--events"] if self.events else [])
        it = iter(self.extra_args)
        for a in it:
            if a in ("--container",):
                args += [a, next(it)]
            elif a == "--alerts-only":
                args.append(a)
        return args

    def check_replay(self):
        """stoptrace replay of this monitor's recording writes what it wrote live."""
        live = [l for path in self.rotated + [self.output] for l in _stream_lines(path)]
        res = subprocess.run([self.binary, "replay", self.recording, *self.replay_args()],
                             stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
        check(res.returncode == 0, "stoptrace replay %s exited %d: %s"
              % (self.recording, res.returncode, res.stderr.decode("utf-8", "replace").strip()))
        compare_streams(live, res.stdout.split(b"\n")[:-1] if res.stdout else [],
                        "the live monitor", "stoptrace replay of its recording")
        golden = os.environ.get("STOPTRACE_GOLDEN_DIR")
        if golden:
            _save_golden(golden, self)

    def close(self, keep=False):
        """Kill the monitor if it still runs; remove its files unless kept."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self in _monitors:
            _monitors.remove(self)
        if self.proc is not None and (keep or os.environ.get("STOPTRACE_E2E_KEEP") == "1"):
            note("monitor output kept in %s" % self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


class TextMonitor:
    """stoptrace --format text --events --output FILE, beside a JSON Monitor;
    its raw bytes are what a terminal would get."""

    def __init__(self, *extra):
        self.dir = tempfile.mkdtemp(prefix="stoptrace-e2e-text-")
        self.output = os.path.join(self.dir, "records.txt")
        self.stderr_path = os.path.join(self.dir, "stderr")
        binary = os.path.abspath(os.environ.get("STOPTRACE", "./stoptrace"))
        with open(self.stderr_path, "wb") as err:
            self.popen = subprocess.Popen([binary, "--format", "text", "--events", "--output",
                                           self.output, *extra],
                                          stdin=subprocess.DEVNULL,
                                          stdout=subprocess.DEVNULL, stderr=err)
        self.pid = self.popen.pid
        _processes.append(self)
        deadline = time.monotonic() + START_TIMEOUT
        while not self.data().startswith(b"stoptrace ") or b"\n" not in self.data():
            check(self.popen.poll() is None, "text monitor exited with %s: %s"
                  % (self.popen.returncode, _tail(self.stderr_path)))
            check(time.monotonic() < deadline, "text monitor wrote no first line in %d s"
                  % START_TIMEOUT)
            time.sleep(0.1)

    def data(self):
        try:
            with open(self.output, "rb") as f:
                return f.read()
        except FileNotFoundError:
            return b""

    def stop(self):
        self.popen.send_signal(signal.SIGINT)
        rc = self.popen.wait(STOP_TIMEOUT)
        check(rc == 0, "text monitor exited %d: %s" % (rc, _tail(self.stderr_path)))
        return self.data()

    def kill(self):
        """At teardown: gone, with its files."""
        if self.popen.poll() is None:
            self.popen.kill()
        self.popen.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


def _stream_lines(path):
    """The records of a monitor's output that a replay rebuilds (not monitor_*)."""
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    return [l for l in lines if l and not l.startswith(b'{"schema":1,"type":"monitor_')]


def compare_streams(want, got, want_name, got_name):
    """Fail at the first line where got differs from want."""
    for i, (a, b) in enumerate(zip(want, got)):
        if a != b:
            fail("%s and %s differ at record %d:\n    %s\n    %s"
                 % (want_name, got_name, i + 1, short(a.decode("utf-8", "replace"), 1500),
                    short(b.decode("utf-8", "replace"), 1500)))
    if len(want) != len(got):
        extra = (want[len(got):] or got[len(want):])[0].decode("utf-8", "replace")
        fail("%s wrote %d records, %s %d; the first extra one: %s"
             % (want_name, len(want), got_name, len(got), short(extra, 600)))


_golden_seq = {}


def _save_golden(directory, mon):
    """Keep a monitor's recording and expected records as a golden test."""
    name = re.sub(r"[^a-z0-9_]", "_", (_current_test or "monitor").lower())
    n = _golden_seq.get(name, 0) + 1
    _golden_seq[name] = n
    base = os.path.join(directory, name if n == 1 else "%s_%d" % (name, n))
    os.makedirs(directory, exist_ok=True)
    shutil.copyfile(mon.recording, base + ".rec.gz")
    with open(base + ".jsonl", "wb") as f:
        f.write(b"".join(l + b"\n" for l in _stream_lines(mon.output)))
    with open(base + ".args", "w") as f:
        json.dump(mon.replay_args(), f)
        f.write("\n")
    note("golden test kept: %s.{rec.gz,jsonl,args}" % base)


# ---------------------------------------------------------------- docker

def docker(*args, timeout=120, check=True):
    """Run docker with an argument list; return the CompletedProcess (text)."""
    try:
        res = subprocess.run(["docker", *args], stdin=subprocess.DEVNULL,
                             capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        fail("docker %s did not finish within %d s" % (" ".join(args), timeout))
    if check and res.returncode != 0:
        fail("docker %s failed (status %d): %s"
             % (" ".join(args), res.returncode, res.stderr.strip()))
    return res


def require_docker():
    """Skip unless docker answers and the test image exists."""
    if not shutil.which("docker"):
        skip("docker is not installed (run tools/testbench up)")
    try:
        res = subprocess.run(["docker", "info"], capture_output=True, timeout=30)
    except subprocess.TimeoutExpired:
        skip("`docker info` hangs (run tools/testbench up)")
    if res.returncode != 0:
        skip("dockerd does not answer (run tools/testbench up)")
    if docker("image", "inspect", IMAGE, check=False).returncode != 0:
        skip("test image %s is missing (run tools/testbench up)" % IMAGE)


def dockerd_pid():
    """The pid of the running dockerd (its pid file), or None."""
    try:
        with open("/var/run/docker.pid") as f:
            pid = int(f.read().strip())
        with open("/proc/%d/comm" % pid) as f:
            return pid if f.read().strip() == "dockerd" else None
    except (OSError, ValueError):
        return None


def inspect(name_or_id):
    res = docker("inspect", "--type", "container", name_or_id)
    data = json.loads(res.stdout)
    check(isinstance(data, list) and len(data) == 1, "docker inspect %s: unexpected %r"
          % (name_or_id, res.stdout[:200]))
    return data[0]


class Container:
    def __init__(self, name):
        self.name = name
        self.id = None
        self.pid = None

    def refresh(self):
        data = inspect(self.name)
        self.id = data["Id"]
        check(data["Name"].lstrip("/") == self.name, "docker inspect names %r, want %r"
              % (data["Name"], self.name))
        self.pid = data["State"]["Pid"]
        return data


def new_name():
    return "st-" + secrets.token_hex(6)


def run_container(*cmd, docker_args=(), image=IMAGE):
    """docker run -d --network none --name st-<random> [docker_args] image cmd...

    Returns a Container with its full id and the host pid of its PID 1; the
    runner force-removes it after the test.
    """
    c = Container(new_name())
    _containers.append(c.name)
    docker("run", "-d", "--network", "none", "--name", c.name, *docker_args, image, *cmd)
    data = c.refresh()
    check(data["State"]["Running"] and c.pid > 0, "container %s is not running: %s"
          % (c.name, data["State"]))
    return c


def remove_containers():
    while _containers:
        name = _containers.pop()
        res = docker("rm", "-f", name, check=False, timeout=60)
        if res.returncode != 0 and "No such container" not in res.stderr:
            note("cleanup: docker rm -f %s failed: %s" % (name, res.stderr.strip()))


# ---------------------------------------------------------------- processes

class Process:
    """A host process the test started; killed with SIGKILL at teardown."""

    def __init__(self, argv):
        self.popen = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
        self.pid = self.popen.pid
        _processes.append(self)

    def alive(self):
        return _alive(self.pid)

    def kill(self):
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.reap()

    def reap(self, timeout=10):
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            fail("process %d did not exit within %d s" % (self.pid, timeout))


def _alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat[stat.rindex(")") + 2] not in "ZX"


def ns_pids(pid):
    """The NSpid line of /proc/PID/status: [host pid, ..., innermost pid]."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("NSpid:"):
                return [int(x) for x in line.split()[1:]]
    return []


# The middle process: unshare(CLONE_NEWPID), fork; the child is pid 1 of the
# new namespace and execs argv. Only the middle knows the child's host pid:
# it writes it on stdout, then waits for the child. Both die with their parent.
_NS_INIT_CODE = r"""
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG, CLONE_NEWPID = 1, 0x20000000
libc.prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0)
if libc.unshare(CLONE_NEWPID) != 0:
    sys.stderr.write("unshare(CLONE_NEWPID): %s\n" % os.strerror(ctypes.get_errno()))
    sys.exit(1)
pid = os.fork()
if pid == 0:
    try:
        libc.prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0)
        os.execvp(sys.argv[1], sys.argv[1:])
    finally:
        os._exit(127)
sys.stdout.write("%d\n" % pid)
sys.stdout.flush()
os.waitpid(pid, 0)
"""


class NsInit(Process):
    """argv running as pid 1 of a new pid namespace; .pid is its host pid."""

    def __init__(self, argv, timeout=10):
        self.popen = subprocess.Popen([sys.executable, "-c", _NS_INIT_CODE, *argv],
                                      stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
        self.pid = None
        _processes.append(self)
        ready, _, _ = select.select([self.popen.stdout], [], [], timeout)
        line = self.popen.stdout.readline() if ready else b""
        check(line.strip().isdigit(), "namespace helper did not report its child's pid "
              "(status %r)" % self.popen.poll())
        self.pid = int(line)
        comm = os.path.basename(argv[0])[:15]
        deadline = time.monotonic() + timeout
        while _comm(self.pid) != comm:
            check(time.monotonic() < deadline, "pid %d did not exec %s within %d s"
                  % (self.pid, argv[0], timeout))
            time.sleep(0.02)
        nspid = ns_pids(self.pid)
        check(len(nspid) >= 2 and nspid[-1] == 1, "pid %d is not pid 1 of its own pid "
              "namespace (NSpid %r)" % (self.pid, nspid))

    def kill(self):
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.popen.kill()
        except ProcessLookupError:
            pass
        self.popen.wait(10)
        self.popen.stdout.close()


def _comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return None


def kill_processes():
    while _processes:
        p = _processes.pop()
        try:
            p.kill()
        except Exception as e:          # cleanup goes on whatever happens
            note("cleanup: killing pid %s: %s" % (p.pid, e))


# ---------------------------------------------------------------- cgroups

def _mounts():
    """(mount point, fstype, super options) of every mount."""
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, right = line.split(" - ", 1)
            point = left.split()[4].replace("\\040", " ")
            fstype, _source, opts = right.split()[:3]
            out.append((point, fstype, opts.split(",")))
    return out


def cgroup2_root():
    """Mount point of the unified hierarchy: /sys/fs/cgroup/unified on hybrid
    hosts, /sys/fs/cgroup on cgroup v2 hosts; None when there is none."""
    points = [p for p, fstype, _ in _mounts() if fstype == "cgroup2"]
    for want in ("/sys/fs/cgroup/unified", "/sys/fs/cgroup"):
        if want in points:
            return want
    return points[0] if points else None


def cgroup1_root(controller):
    for point, fstype, opts in _mounts():
        if fstype == "cgroup" and controller in opts:
            return point
    return None


class FakeDockerCgroup:
    """A cgroup shaped like one Docker (cgroupfs driver) makes: /docker/<64 hex>
    in the unified hierarchy and, when mounted, in the v1 memory hierarchy."""

    def __init__(self):
        self.id = secrets.token_hex(32)
        self.path = "/docker/" + self.id
        self.dirs = []
        self._parents = []

    def create(self):
        roots = [cgroup2_root(), cgroup1_root("memory")]
        roots = [r for r in roots if r]
        if not roots:
            fail("no cgroup2 or v1 memory hierarchy mounted")
        _cgroups.append(self)
        for root in roots:
            parent = os.path.join(root, "docker")
            if not os.path.isdir(parent):
                os.mkdir(parent)
                self._parents.append(parent)
            d = parent + "/" + self.id
            os.mkdir(d)
            self.dirs.append(d)
        return self

    def add(self, pid):
        for d in self.dirs:
            with open(os.path.join(d, "cgroup.procs"), "w") as f:
                f.write("%d\n" % pid)
        with open("/proc/%d/cgroup" % pid) as f:
            text = f.read()
        check(self.path in text, "pid %d is not in %s after the move:\n%s"
              % (pid, self.path, text))

    def remove(self, timeout=10):
        """rmdir the cgroups, retrying while their last tasks are being reaped."""
        for d in reversed(self.dirs):
            deadline = time.monotonic() + timeout
            while True:
                try:
                    os.rmdir(d)
                    break
                except FileNotFoundError:
                    break
                except OSError as e:
                    if e.errno != errno.EBUSY or time.monotonic() > deadline:
                        note("cleanup: rmdir %s: %s" % (d, e))
                        break
                    time.sleep(0.1)
        self.dirs = []
        for p in self._parents:         # only the ones this test made, if now empty
            try:
                os.rmdir(p)
            except OSError:
                pass
        self._parents = []
        if self in _cgroups:
            _cgroups.remove(self)


def settle_cgroup(mon, cg, timeout=5):
    """Give the monitor time to learn a new container cgroup from cgroup_mkdir
    before its tasks do anything: wait for the cgroup_mkdir record if the
    monitor writes one, else a fixed second."""
    try:
        mon.wait_for(lambda r: is_event(r, "cgroup_mkdir")
                     and str(get(r, "cgroup.path", "")).endswith(cg.id),
                     timeout, "cgroup_mkdir record for " + cg.path)
    except AssertionError:
        if not mon.running():
            raise
        note("no cgroup_mkdir record for %s within %d s; going on" % (cg.path, timeout))
    time.sleep(1)


def remove_cgroups():
    while _cgroups:
        _cgroups[-1].remove()


# ---------------------------------------------------------------- runner

def teardown():
    """Undo whatever a test left behind; never raises."""
    for step in (kill_processes, lambda: [m.close(keep=True) for m in list(_monitors)],
                 remove_cgroups, remove_containers):
        try:
            step()
        except Exception as e:
            note("cleanup failed: %s" % e)


def _on_alarm(signum, frame):
    raise TestTimeout("test did not finish within %s s" % _test_timeout())


def _test_timeout():
    return int(os.environ.get("STOPTRACE_E2E_TIMEOUT", "300"))


def _strict():
    return (os.environ.get("CI") == "true"
            or os.environ.get("STOPTRACE_REQUIRE_E2E") == "1")


def _report(word, name, reason=None):
    if reason is None:
        print("%s %s" % (word, name), flush=True)
        return
    lines = str(reason).strip().splitlines() or ["(no message)"]
    print("%s %s: %s" % (word, name, lines[0]), flush=True)
    for line in lines[1:]:
        print("    " + line, flush=True)


_current_test = None


def run_test(name, func):
    """Run one test; return "pass", "fail" or "skip"."""
    global _current_test
    _current_test = name
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(_test_timeout())
    try:
        if os.geteuid() != 0 and not getattr(func, "no_root", False):
            skip("needs root (runs the eBPF monitor, creates cgroups, drives Docker)")
        func()
        outcome, reason = "pass", None
    except Skip as e:
        outcome, reason = "skip", str(e)
    except AssertionError as e:
        outcome, reason = "fail", str(e) or "assertion failed"
        tb = traceback.extract_tb(e.__traceback__)
        mine = [f for f in tb if os.path.basename(f.filename).startswith("test_")]
        if mine:
            reason += "\n(at %s:%d)" % (os.path.basename(mine[-1].filename), mine[-1].lineno)
    except Exception as e:
        outcome = "fail"
        reason = "unexpected %s: %s\n%s" % (type(e).__name__, e,
                                            "".join(traceback.format_exc(limit=-4)))
    finally:
        signal.alarm(0)
        teardown()
    if outcome == "skip" and _strict():
        outcome, reason = "fail", "skipped, but CI requires every e2e test to run: " + reason
    _report({"pass": "PASS", "fail": "FAIL", "skip": "SKIP"}[outcome], name, reason)
    return outcome


def main(args):
    here = os.path.dirname(os.path.abspath(__file__))
    if here not in sys.path:
        sys.path.insert(0, here)
    counts = {"pass": 0, "fail": 0, "skip": 0}
    for fname in sorted(os.listdir(here)):
        if not (fname.startswith("test_") and fname.endswith(".py")):
            continue
        modname = fname[:-3]
        try:
            mod = importlib.import_module(modname)
        except Exception:
            _report("FAIL", modname, "cannot import:\n" + traceback.format_exc(limit=-3))
            counts["fail"] += 1
            continue
        for name, func in list(vars(mod).items()):
            if not (name.startswith("test_") and callable(func)
                    and getattr(func, "__module__", None) == modname):
                continue
            if args and not any(a in name or a in modname for a in args):
                continue
            counts[run_test(name, func)] += 1
    print("e2e: %d passed, %d failed, %d skipped"
          % (counts["pass"], counts["fail"], counts["skip"]), flush=True)
    return 1 if counts["fail"] else 0


if __name__ == "__main__":
    # Run the runner from the importable module, so that tests share its state.
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import stlib
    try:
        sys.exit(stlib.main(sys.argv[1:]))
    except KeyboardInterrupt:
        stlib.teardown()
        sys.exit(130)
