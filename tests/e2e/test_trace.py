"""stoptrace trace CONTAINER: follows one container to the end of its next
stop, prints that stop's alerts and timeline (nothing about other containers,
no monitor_* records), and exits by the verdict: 0 graceful, 3 went wrong,
4 no such container, 1 --timeout expired. Also the usage errors of trace and
replay, and a trace recorded with --record replayed to the same lines."""

import json
import os
import subprocess
import tempfile
import time

import stlib
from stlib import check, compare_streams, expect, fail, get, note, short
from test_timelines import _setup, _wait_comm

TRACE_START = 15    # the traced container's stop comes this long after trace starts, at most


class Trace:
    """stoptrace trace as a subprocess, JSON lines on its standard output."""

    def __init__(self, what, *args):
        self.dir = tempfile.mkdtemp(prefix="stoptrace-trace-")
        self.out = os.path.join(self.dir, "out")
        self.err = os.path.join(self.dir, "err")
        argv = [os.path.abspath(os.environ.get("STOPTRACE", "./stoptrace")), "trace", what,
                "--format", "json", *args]
        with open(self.out, "wb") as o, open(self.err, "wb") as e:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=o, stderr=e)

    def ready(self, timeout=TRACE_START):
        """Wait for the 'tracing ...' line: the programs are attached by then."""
        deadline = time.monotonic() + timeout
        while "until its next stop is over" not in self.stderr():
            if self.proc.poll() is not None:
                fail("trace exited %d before it was ready: %s"
                     % (self.proc.returncode, self.stderr()))
            check(time.monotonic() < deadline, "trace not ready after %d s: %s"
                  % (timeout, self.stderr()))
            time.sleep(0.1)

    def wait(self, timeout=60):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            fail("trace still running %d s later (killed): %s" % (timeout, self.stderr()))

    def stderr(self):
        with open(self.err, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def lines(self):
        with open(self.out, "rb") as f:
            return [l for l in f.read().split(b"\n") if l]

    def records(self):
        out = []
        for l in self.lines():
            try:
                out.append(json.loads(l))
            except ValueError:
                fail("trace wrote a line that is not JSON: %r" % l[:300])
        return out


def _only(recs, c):
    for r in recs:
        check(not r.get("type", "").startswith("monitor_"),
              "trace wrote a %s record: %s" % (r.get("type"), short(r)))
        check(get(r, "container.id") == c.id, "trace of %s wrote a record about another "
              "container: %s" % (c.name, short(r, 600)))


def _timeline(recs, c):
    tls = [r for r in recs if r.get("type") == "stop_timeline"]
    check(len(tls) == 1, "trace wrote %d stop_timeline records, want 1: %s"
          % (len(tls), [short(t, 300) for t in tls]))
    return tls[0]


def test_trace_ignored_exit_3():
    """PID 1 ignores SIGTERM: trace prints the alert and the timeline, exits 3,
    and says nothing of a neighbour stopped at the same time."""
    _setup()
    c = stlib.run_container("sleep", "1000")
    other = stlib.run_container("sleep", "1000", docker_args=("--init",))
    _wait_comm(c, "sleep")
    t = Trace(c.name)
    t.ready()
    stlib.docker("stop", "-t", "2", c.name, other.name)
    rc = t.wait()
    recs = t.records()
    check(rc == 3, "trace exited %d after a stop whose SIGTERM was ignored, want 3: %s"
          % (rc, t.stderr()))
    _only(recs, c)
    tl = _timeline(recs, c)
    expect(tl, "verdict", "stop_signal_ignored", "traced stop_timeline")
    expect(tl, "container.name", c.name, "traced stop_timeline")
    alerts = [r for r in recs if r.get("type") == "alert"]
    check(any(a.get("kind") == "stop_signal_ignored" for a in alerts),
          "trace wrote no stop_signal_ignored alert: %s" % [short(a) for a in alerts])
    # after the timeline only the end of what it alerted: alert_resolved
    after = recs[recs.index(tl) + 1:]
    check(all(r.get("type") == "alert_resolved" for r in after),
          "trace wrote more than alert_resolved after the stop_timeline: %s"
          % [short(r, 200) for r in after])
    check(c.name in t.stderr() and c.id[:12] in t.stderr(),
          "trace's first message does not name the container: %s" % t.stderr())


def test_trace_graceful_exit_0_by_id_prefix():
    """An init that handles SIGTERM: exit 0, verdict graceful; the container
    named by a prefix of its id."""
    _setup()
    c = stlib.run_container("sleep", "1000", docker_args=("--init",))
    t = Trace(c.id[:10])
    t.ready()
    stlib.docker("stop", "-t", "10", c.name)
    rc = t.wait()
    recs = t.records()
    check(rc == 0, "trace exited %d after a graceful stop, want 0: %s" % (rc, t.stderr()))
    _only(recs, c)
    tl = _timeline(recs, c)
    expect(tl, "verdict", "graceful", "traced stop_timeline")
    check(not [r for r in recs if r.get("type") == "alert"],
          "alerts for a graceful stop: %s" % [short(r) for r in recs if r.get("type") == "alert"])


def test_trace_no_such_container_exit_4():
    """An unknown container: exit 4 at once, a message that names it, no output."""
    t = Trace("st-no-such-container-" + stlib.new_name())
    rc = t.wait(30)
    check(rc == 4, "trace of an unknown container exited %d, want 4: %s" % (rc, t.stderr()))
    check("no such container" in t.stderr(), "trace's message: %r" % t.stderr())
    check(not t.lines(), "trace of an unknown container wrote records: %r" % t.lines()[:2])


def test_trace_timeout_exit_1():
    """Nobody stops it: --timeout ends the trace with exit 1 and says why."""
    _setup()
    c = stlib.run_container("sleep", "1000", docker_args=("--init",))
    t = Trace(c.name, "--timeout", "3")
    rc = t.wait(60)
    check(rc == 1, "trace --timeout 3 of a container nobody stops exited %d, want 1: %s"
          % (rc, t.stderr()))
    check("did not stop within 3 s" in t.stderr(), "trace's message: %r" % t.stderr())
    check(not t.lines(), "trace wrote records although nothing stopped: %r" % t.lines()[:2])


def test_trace_recorded_replays_the_same():
    """trace --record: stoptrace replay --container <id> writes trace's lines."""
    _setup()
    c = stlib.run_container("sleep", "1000")
    _wait_comm(c, "sleep")
    rec = os.path.join(tempfile.mkdtemp(prefix="stoptrace-trace-rec-"), "t.rec.gz")
    t = Trace(c.name, "--record", rec)
    t.ready()
    stlib.docker("stop", "-t", "1", c.name)
    check(t.wait() == 3, "trace exited %d, want 3: %s" % (t.proc.returncode, t.stderr()))
    res = subprocess.run([os.path.abspath(os.environ.get("STOPTRACE", "./stoptrace")),
                          "replay", rec, "--format", "json", "--container", c.id],
                         stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    check(res.returncode == 0, "replay of trace's recording exited %d: %s"
          % (res.returncode, res.stderr.decode("utf-8", "replace")))
    mode = os.stat(rec).st_mode & 0o777
    check(mode == 0o640, "the recording's mode is %o, want 640" % mode)
    compare_streams(t.lines(), [l for l in res.stdout.split(b"\n") if l], "trace",
                    "the replay of its recording")


def _usage(args, words):
    res = subprocess.run([os.path.abspath(os.environ.get("STOPTRACE", "./stoptrace")), *args],
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
    check(res.returncode == 2, "stoptrace %s exited %d, want 2 (bad usage): %s"
          % (" ".join(args), res.returncode, res.stderr.strip()))
    check(words in res.stderr, "stoptrace %s: %r not in its message %r"
          % (" ".join(args), words, res.stderr.strip()))
    check(not res.stdout, "stoptrace %s wrote to stdout: %r" % (" ".join(args), res.stdout))


def test_trace_and_replay_usage():
    """Options that mean nothing there, a missing argument: exit 2, a reason."""
    _usage(["trace"], "trace needs one container")
    _usage(["trace", "a", "b"], "trace needs one container")
    _usage(["trace", "x", "--container", "y"], "--container does not apply to trace")
    _usage(["trace", "x", "--timeout", "0"], "--timeout takes 1 to 604800 seconds")
    _usage(["replay"], "replay needs one recording file")
    _usage(["replay", "f", "--stop-alert-after", "5"],
           "--stop-alert-after does not apply to replay")
    _usage(["replay", "f", "--record", "g"], "--record does not apply to replay")
    _usage(["--timeout", "5"], "--timeout does not apply to the monitor")


test_trace_and_replay_usage.no_root = True


def test_replay_not_a_recording():
    """Replay of a file that is no recording: exit 1, and why."""
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl") as f:
        f.write('{"schema":1,"type":"alert"}\n')
        f.flush()
        res = subprocess.run([os.path.abspath(os.environ.get("STOPTRACE", "./stoptrace")),
                              "replay", f.name], stdin=subprocess.DEVNULL,
                             capture_output=True, text=True, timeout=30)
    check(res.returncode == 1, "replay of a non-recording exited %d, want 1" % res.returncode)
    check("is not a stoptrace recording" in res.stderr, "replay's message: %r" % res.stderr)


test_replay_not_a_recording.no_root = True
