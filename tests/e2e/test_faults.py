# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Faults around the monitor, with real Docker (docs/outputs.md says what
each one must do):

- --output on a small tmpfs that fills up: monitoring goes on, the records
  lost are counted (monitor_stats, monitor_stopped) and said on standard
  error, no half line is left in the file, writing resumes with space.
- standard output closed at start, and a pipe whose reader goes away: exit
  status 1 and one clear line on standard error.
- the kernel ring buffer overflowing (--ringbuf-size 4K) under a fork and
  signal storm in a container: the loss is in monitor_stats and on the
  timeline it touched, with "incomplete: N records lost", never silent.
- the monitor started while a container is already stopping: the timeline
  is partial and claims nothing it did not see.
- dockerd killed and started again while `docker stop -t 10` runs: the
  monitor goes on and still names the container.
"""

import os
import re
import secrets
import signal
import subprocess
import tempfile
import time

import stlib
from stlib import Monitor, check, fail, get, note, short

def STOPTRACE():
    """The monitor binary, as stlib.Monitor finds it."""
    return os.path.abspath(os.environ.get("STOPTRACE", "./stoptrace"))


def _setup():
    stlib.require_root()
    stlib.require_docker()


def _run(prefix, *args, cmd=("sleep", "1000")):
    name = "faults-%s-%s" % (prefix, secrets.token_hex(4))
    c = stlib.Container(name)
    stlib._containers.append(name)
    stlib.docker("run", "-d", "--network", "none", "--name", name, *args, stlib.IMAGE, *cmd)
    c.refresh()
    return c


def _timeline(mon, c, timeout=30, since=0):
    return mon.wait_for(lambda r: r.get("type") == "stop_timeline"
                        and get(r, "container.id") == c.id, timeout,
                        "stop_timeline of " + c.name, since)


def _stats_after(mon, pred, timeout, what):
    return mon.wait_for(lambda r: r.get("type") == "monitor_stats" and pred(r), timeout, what)


# ---------------------------------------------------------------- full disk

class Tmpfs:
    """A small tmpfs of our own, unmounted at teardown."""

    def __init__(self, size_kib):
        self.dir = tempfile.mkdtemp(prefix="stoptrace-e2e-tmpfs-")
        res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dk" % size_kib,
                              "stoptrace-e2e", self.dir], capture_output=True, text=True)
        if res.returncode != 0:
            os.rmdir(self.dir)
            stlib.skip("cannot mount a tmpfs: %s" % res.stderr.strip())
        self.pid = None
        stlib._processes.append(self)   # kill() below: the runner's cleanup hook

    def fill(self):
        """Take every free block, in a file of its own."""
        fd = os.open(os.path.join(self.dir, "filler"), os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            while os.write(fd, b"\0" * 4096) > 0:
                pass
        except OSError:
            pass
        finally:
            os.close(fd)
        st = os.statvfs(self.dir)
        check(st.f_bavail == 0, "tmpfs still has %d free blocks" % st.f_bavail)

    def free(self):
        os.unlink(os.path.join(self.dir, "filler"))

    def kill(self):
        subprocess.run(["umount", "-l", self.dir], capture_output=True)
        try:
            os.rmdir(self.dir)
        except OSError:
            pass


def test_faults_full_disk():
    """--output on a full tmpfs: counted, said, resumed, no half line."""
    _setup()
    fs = Tmpfs(256)
    mon = Monitor("--stats-interval", "1")
    mon.output = os.path.join(fs.dir, "records.jsonl")
    mon.recording = None        # the live output misses what the full disk lost: no replay check
    with mon:
        mon.start()
        _stats_after(mon, lambda r: True, 10, "a first monitor_stats")
        fs.fill()
        # not a poll while the disk is full: a half line is there until taken back
        c = _run("full")
        stlib.docker("stop", "-t", "1", c.name, timeout=60)
        time.sleep(3)
        check(mon.running(), "monitor died on a full disk: %s" % mon.stderr())
        check("cannot write to '%s': No space left on device" % mon.output in mon.stderr(),
              "standard error does not say the output is full: %r" % mon.stderr())
        fs.free()
        # writing resumes: a stats record written after the space came back counts the loss
        stats = _stats_after(mon, lambda r: r.get("sink_errors", 0) > 0, 10,
                             "monitor_stats counting the records lost to the full disk")
        err = re.search(r"writing to '%s' again; (\d+) records were lost"
                        % re.escape(mon.output), mon.stderr())
        check(err, "standard error does not say writing resumed: %r" % mon.stderr())
        # a full tmpfs still takes a record that fits in its file's last page: the
        # failures can come in more than one run, each said with its count
        # monitoring went on: a stop after the disk was full is written whole
        c2 = _run("full2")
        stlib.docker("stop", "-t", "1", c2.name, timeout=60)
        _timeline(mon, c2)
        last = mon.stop()
        with open(mon.output, "rb") as f:
            lines = f.read().split(b"\n")
        said = re.findall(r"writing to '%s' again; (\d+) records were lost"
                          % re.escape(mon.output), mon.stderr())
        lost_said = sum(int(n) for n in said)

    errors = get(last, "sinks.output.errors")
    check(errors == last.get("sink_errors") and errors > 0,
          "monitor_stopped counts %r output errors (sink_errors %r), want the same, above 0"
          % (errors, last.get("sink_errors")))
    check(errors == lost_said, "standard error said %d records were lost, monitor_stopped "
          "counts %d" % (lost_said, errors))
    check(stats["sink_errors"] <= errors, "stats %r, stopped %r" % (stats["sink_errors"], errors))
    # every line whole (Monitor.poll parsed each), and every record accounted for:
    # written + errors + dropped = what the monitor handed over
    check(len(lines) - 1 == get(last, "sinks.output.written") + 1,
          "%d lines in the file, monitor_stopped says %d written (+ itself)"
          % (len(lines) - 1, get(last, "sinks.output.written")))
    check(last.get("records") == len(lines) - 1, "records %r, lines %d"
          % (last.get("records"), len(lines) - 1))
    # the stop during the full disk is lost, and counted: not silently gone
    note("%d records lost to the full disk, %d lines written" % (errors, len(lines) - 1))


# ---------------------------------------------------------------- standard output

def test_faults_stdout_closed():
    """Standard output closed at start: exit 1 and a message; with --output it is not reused."""
    _setup()
    res = subprocess.run([STOPTRACE(), "--format", "json"], stdin=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, preexec_fn=lambda: os.close(1), timeout=30)
    check(res.returncode == 1, "exit status %d with standard output closed, want 1; stderr %r"
          % (res.returncode, res.stderr))
    check(b"standard output is closed" in res.stderr, "no clear message: %r" % res.stderr)
    check(res.stderr.count(b"\n") == 1, "want one line on standard error: %r" % res.stderr)

    # with --output the monitor runs, and what it opens never becomes descriptor 1
    with tempfile.TemporaryDirectory(prefix="stoptrace-e2e-") as d:
        out = os.path.join(d, "records.jsonl")
        err = os.path.join(d, "stderr")
        with open(err, "wb") as e:
            p = subprocess.Popen([STOPTRACE(), "--format", "json", "--output", out],
                                 stdin=subprocess.DEVNULL, stderr=e,
                                 preexec_fn=lambda: os.close(1))
        stlib._processes.append(_Popen(p))
        deadline = time.monotonic() + stlib.START_TIMEOUT
        while not (os.path.exists(out) and b"monitor_started" in open(out, "rb").read()):
            check(p.poll() is None, "monitor exited %s: %s" % (p.returncode, stlib._tail(err)))
            check(time.monotonic() < deadline, "no monitor_started")
            time.sleep(0.1)
        fd1 = os.readlink("/proc/%d/fd/1" % p.pid)
        p.send_signal(signal.SIGINT)
        rc = p.wait(stlib.STOP_TIMEOUT)
        check(fd1 == "/dev/null", "descriptor 1 of the monitor is %r, want /dev/null" % fd1)
        check(rc == 0, "exit %d after SIGINT: %s" % (rc, stlib._tail(err)))
        with open(out, "rb") as f:
            recs = f.read().split(b"\n")
        check(recs[-2].startswith(b'{"schema":1,"type":"monitor_stopped"'),
              "the output does not end with monitor_stopped: %r" % recs[-2][:200])


class _Popen:
    """A subprocess.Popen for the runner's cleanup."""

    def __init__(self, popen):
        self.popen = popen
        self.pid = popen.pid

    def kill(self):
        if self.popen.poll() is None:
            self.popen.kill()
        self.popen.wait(10)


def test_faults_stdout_reader_exits():
    """The reader of standard output goes away: exit 1 and a message, promptly."""
    _setup()
    p = subprocess.Popen([STOPTRACE(), "--format", "json", "--stats-interval", "1"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    stlib._processes.append(_Popen(p))
    first = p.stdout.readline()
    check(first.startswith(b'{"schema":1,"type":"monitor_started"'),
          "first line %r" % first[:200])
    p.stdout.close()            # the reader exits
    try:
        rc = p.wait(15)
    except subprocess.TimeoutExpired:
        fail("monitor still running 15 s after its reader went away")
    err = p.stderr.read()
    check(rc == 1, "exit status %d after the reader went away, want 1; stderr %r" % (rc, err))
    check(b"output closed (broken pipe)" in err, "no clear message on stderr: %r" % err)


# ---------------------------------------------------------------- ring buffer

STORM = ("trap '' TERM; i=0; while [ $i -lt 2 ]; do "
         "( while :; do sh -c 'kill -USR1 $$ 2>/dev/null; true'; done ) & i=$((i+1)); done; "
         "while :; do sleep 1; done")


def test_faults_ring_buffer_overflow():
    """A 4 KiB ring buffer and a fork and signal storm: every loss is told."""
    _setup()
    # the text form too, from a monitor of its own (with a buffer as small)
    text_mon = stlib.TextMonitor("--ringbuf-size", "4K")
    with Monitor("--ringbuf-size", "4K", "--stats-interval", "1") as mon:
        mon.events = False
        mon.start()
        c = _run("storm", cmd=("sh", "-c", STORM))
        stats = _stats_after(mon, lambda r: r.get("lost", 0) > 0, 30,
                             "monitor_stats with lost > 0 (a 4 KiB ring buffer under a storm)")
        mark = mon.mark()
        stlib.docker("stop", "-t", "2", c.name, timeout=60)
        tl = _timeline(mon, c, since=mark)
        time.sleep(1)
        text = text_mon.stop().decode("utf-8", "replace")
        last = mon.stop()
    m = re.search(r"stop of %s \(docker %s\)( \[partial[^]]*\])? "
                  r"\[incomplete: (\d+) records lost\]" % (re.escape(c.name), c.id[:12]), text)
    check(m and int(m.group(2)) > 0, "the text timeline of %s does not say it is incomplete: %r"
          % (c.name, [l for l in text.splitlines() if "stop of " + c.name in l]))
    note("lost %d by the first stats, %d in all; the timeline says %r"
         % (stats["lost"], last["lost"], tl.get("note")))
    check(tl.get("lost", 0) > 0, "the storm container's timeline has lost %r: %s"
          % (tl.get("lost"), short(tl)))
    check(tl.get("note") == "incomplete: %d records lost" % tl["lost"],
          "note %r, want 'incomplete: %d records lost'" % (tl.get("note"), tl["lost"]))
    check(tl["lost"] <= last["lost"], "timeline lost %d, monitor lost %d"
          % (tl["lost"], last["lost"]))
    check(last["lost"] >= stats["lost"], "monitor_stopped lost %d < stats %d"
          % (last["lost"], stats["lost"]))


def test_faults_ring_buffer_size_option():
    """--ringbuf-size: MiB, or KiB with K; a power of two, at least a page."""
    for good in ("4K", "64k", "1", "4M"):
        res = subprocess.run([STOPTRACE(), "--ringbuf-size", good, "--version"],
                             capture_output=True, timeout=10)
        check(res.returncode == 0, "--ringbuf-size %s refused: %r" % (good, res.stderr))
    for bad in ("2K", "3K", "0", "6", "2048", "1G", "4KB", "-4K", "K"):
        res = subprocess.run([STOPTRACE(), "--ringbuf-size", bad, "--version"],
                             capture_output=True, timeout=10)
        check(res.returncode == 2 and b"--ringbuf-size takes a power of two" in res.stderr,
              "--ringbuf-size %s: status %d, %r" % (bad, res.returncode, res.stderr))


test_faults_ring_buffer_size_option.no_root = True


# ---------------------------------------------------------------- mid-stop

def test_faults_monitor_started_mid_stop():
    """Started while `docker stop -t 6` waits: partial, and only what it saw."""
    _setup()
    c = _run("mid")             # sleep as PID 1: SIGTERM ignored, SIGKILL after 6 s
    stop = subprocess.Popen(["docker", "stop", "-t", "6", c.name], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stlib._processes.append(_Popen(stop))
    time.sleep(2)
    check(stop.poll() is None, "docker stop ended before the monitor started")
    with Monitor() as mon:
        mon.start()
        tl = _timeline(mon, c)
        check(stop.wait(30) == 0, "docker stop failed: %r" % stop.stderr.read())
        mon.stop()
    check(tl.get("partial") is True, "the timeline is not partial: %s" % short(tl))
    sigs = [(e.get("event"), e.get("signal")) for e in tl.get("events", [])]
    check(("signal_generate", "SIGTERM") not in sigs,
          "the timeline shows a SIGTERM sent before the monitor started: %r" % sigs)
    check(("signal_generate", "SIGKILL") in sigs, "the SIGKILL it saw is missing: %r" % sigs)
    check(get(tl, "exit.signal") == "SIGKILL", "exit %r" % tl.get("exit"))
    reason = tl.get("reason", "")
    check("no chance to shut down" not in reason and "not seen" in reason,
          "the reason claims what the monitor could not see: %r" % reason)
    check(tl.get("verdict") in ("killed_without_grace", "exited"),
          "verdict %r from a SIGKILL and an exit" % tl.get("verdict"))


# ---------------------------------------------------------------- dockerd restart

def _dockerd_up():
    """Start dockerd again the way the test bench does; fail if it does not answer."""
    here = os.path.dirname(os.path.abspath(__file__))
    # a dockerd that cleans up many containers may take longer than the bench's minute
    for attempt in range(3):
        res = subprocess.run([os.path.join(here, "..", "..", "tools", "testbench"), "up"],
                             stdin=subprocess.DEVNULL, capture_output=True, text=True,
                             timeout=180)
        if res.returncode == 0:
            return
        note("tools/testbench up failed (attempt %d): %s" % (attempt + 1, res.stderr[-300:]))
    fail("tools/testbench up failed: %s" % (res.stdout + res.stderr)[-1500:])


def test_faults_dockerd_restart_mid_stop():
    """dockerd killed while `docker stop -t 10` waits, then started again."""
    _setup()
    pid = stlib.dockerd_pid()
    if pid is None:
        stlib.skip("dockerd's pid file does not name a running dockerd")
    c = _run("dockerd")
    try:
        with Monitor() as mon:
            mon.start()
            stop = subprocess.Popen(["docker", "stop", "-t", "10", c.name],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            stlib._processes.append(_Popen(stop))
            mon.wait_for(lambda r: r.get("type") == "alert"
                         and r.get("kind") == "stop_signal_ignored"
                         and get(r, "container.id") == c.id, 15, "the SIGTERM being ignored")
            os.kill(pid, signal.SIGKILL)
            note("killed dockerd %d mid-stop" % pid)
            _dockerd_up()
            stop.wait(30)
            # the container is gone, one way or another, once dockerd is back
            res = stlib.docker("inspect", "-f", "{{.State.Running}}", c.name, check=False)
            if res.returncode == 0 and res.stdout.strip() == "true":
                stlib.docker("stop", "-t", "1", c.name, timeout=60)
            # the stop ends when its teardown is seen; if records about it were lost (a
            # busy host), the monitor's exit writes it as it stands
            try:
                _timeline(mon, c, 30)
            except AssertionError:
                if not mon.running():
                    raise
                note("no stop_timeline within 30 s of the container's end; stopping the monitor")
            check(mon.running(), "monitor died: %s" % mon.stderr())
            last = mon.stop()
    finally:
        if stlib.dockerd_pid() is None or subprocess.run(
                ["docker", "info"], capture_output=True, timeout=30).returncode != 0:
            _dockerd_up()
    tls = [r for r in mon.records if r.get("type") == "stop_timeline"
           and get(r, "container.id") == c.id]
    check(len(tls) == 1, "%d stop timelines of %s, want 1" % (len(tls), c.name))
    tl = tls[0]
    # identity resolved: the name on every record about the container
    for r in mon.records:
        if get(r, "container.id") == c.id:
            stlib.expect(r, "container.name", c.name, "record about %s" % c.name)
            stlib.expect(r, "container.runtime", "docker", "record about %s" % c.name)
    note("verdict %s, partial %s, lost %s: %s" % (tl.get("verdict"), tl.get("partial"),
                                                  tl.get("lost"), tl.get("reason", "")[:100]))
    # what it saw for certain: the SIGTERM ignored before dockerd went away
    check("stop_signal_ignored" in tl.get("findings", []), "findings %r: %s"
          % (tl.get("findings"), short(tl)))
    check(last.get("events_bad") == 0, "records that failed to decode: %s" % short(last))


# ---------------------------------------------------------------- monitor_stats

STATS_KEYS = ("records", "lost", "kernel_records", "events_read", "sink_errors", "containers",
              "open_stops", "open_removals", "alerts", "stop_timelines", "removal_timelines")


def test_faults_monitor_stats():
    """monitor_stats: records, lost, sink errors, containers tracked, open stops and removals."""
    _setup()
    with Monitor("--stats-interval", "1") as mon:
        mon.start()
        base = _stats_after(mon, lambda r: True, 10, "a first monitor_stats")
        for key in STATS_KEYS:
            check(type(base.get(key)) is int and base[key] >= 0,
                  "monitor_stats %s is %r, want a count" % (key, base.get(key)))
        c = _run("stats")       # sleep as PID 1: the stop waits its 4 s
        mark = mon.mark()
        stop = subprocess.Popen(["docker", "stop", "-t", "4", c.name], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        stlib._processes.append(_Popen(stop))
        during = mon.wait_for(lambda r: r.get("type") == "monitor_stats"
                              and r.get("open_stops", 0) >= 1, 10,
                              "monitor_stats with the stop open", since=mark)
        check(during["containers"] > 0, "no container tracked while one stops: %s" % short(during))
        check(stop.wait(30) == 0, "docker stop failed")
        tl = _timeline(mon, c)
        after = mon.wait_for(lambda r: r.get("type") == "monitor_stats"
                             and r.get("stop_timelines", 0) > during["stop_timelines"], 10,
                             "monitor_stats counting the timeline", since=mon.mark())
        last = mon.stop()
    recs = mon.records
    for i, r in enumerate(recs):
        if r.get("type") == "monitor_stats":
            # nothing dropped: records counts the lines so far, this one included
            check(r["records"] == i + 1, "monitor_stats on line %d says records %d"
                  % (i + 1, r["records"]))
            check(r["sink_errors"] == get(r, "sinks.output.errors"),
                  "sink_errors %r vs sinks.output.errors %r" % (r["sink_errors"],
                                                                get(r, "sinks.output.errors")))
    check(after["stop_timelines"] >= base["stop_timelines"] + 1, "stop_timelines did not count")
    check(after["kernel_records"] > base["kernel_records"], "kernel_records did not move")
    check(last["lost"] >= after["lost"] >= base["lost"], "lost went down")
    check(tl.get("lost") == 0 or after["lost"] > 0, "a timeline lost records the stats never "
          "counted: %s" % short(tl))
