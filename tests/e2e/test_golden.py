"""Golden tests of the engines: recordings of real Docker stops and removals,
kept under tests/golden/, replayed by `stoptrace replay`; the records must be
those the live monitor wrote when the recording was made (kept beside it).

Each tests/golden/NAME.rec.gz comes with NAME.jsonl (the live records, less
monitor_*) and NAME.args (the replay's options, a JSON list). tools/golden-update
makes them anew from the e2e scenarios. These tests need no root and no Docker.
"""

import glob
import json
import os
import subprocess

import stlib
from stlib import check, compare_streams, fail

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.normpath(os.path.join(HERE, "..", "golden"))

# The scenarios the golden set must cover: a golden file lost or renamed fails.
REQUIRED = {
    "test_graceful": ("stop_timeline", "verdict", "graceful"),
    "test_stop_signal_ignored": ("stop_timeline", "verdict", "stop_signal_ignored"),
    "test_stop_signal_blocked": ("stop_timeline", "verdict", "stop_signal_blocked"),
    "test_grace_period_exceeded": ("stop_timeline", "verdict", "grace_period_exceeded"),
    "test_killed_without_grace_docker_kill": ("stop_timeline", "verdict",
                                              "killed_without_grace"),
    "test_oom_killed": ("stop_timeline", "verdict", "oom_killed"),
    "test_exited": ("stop_timeline", "verdict", "exited"),
    "test_ns_teardown_stuck_paused_sharer": ("stop_timeline", "verdict", "ns_teardown_stuck"),
    "test_rootfs_removal_eperm": ("removal_timeline", "outcome", "failed"),
    "test_rootfs_removal_ebusy": ("removal_timeline", "outcome", "failed"),
    # real programs (test_real_programs.py)
    "test_real_nginx_sigquit_graceful": ("stop_timeline", "verdict", "graceful"),
    "test_real_python_handler_carries_on": ("stop_timeline", "verdict", "grace_period_exceeded"),
    "test_real_go_reraise_exit": ("stop_timeline", "verdict", "graceful"),
    "test_real_haproxy_sigterm_hard_stop_ignored": ("stop_timeline", "verdict",
                                                    "stop_signal_ignored"),
}


def _binary():
    return os.path.abspath(os.environ.get("STOPTRACE", "./stoptrace"))


def _replay(base):
    with open(base + ".args") as f:
        args = json.load(f)
    check(isinstance(args, list) and all(isinstance(a, str) for a in args),
          "%s.args is not a JSON list of strings" % base)
    res = subprocess.run([_binary(), "replay", base + ".rec.gz", *args],
                         stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
    check(res.returncode == 0, "stoptrace replay %s.rec.gz exited %d: %s"
          % (base, res.returncode, res.stderr.decode("utf-8", "replace").strip()))
    return res.stdout.split(b"\n")[:-1] if res.stdout else []


def _expected(base):
    with open(base + ".jsonl", "rb") as f:
        return [l for l in f.read().split(b"\n") if l]


def _make(base):
    def test():
        want = _expected(base)
        check(want, "%s.jsonl is empty: a golden test must expect something" % base)
        compare_streams(want, _replay(base), "the recorded monitor", "its replay")
    test.no_root = True
    return test


def test_golden_set_complete():
    """Every required scenario has a golden recording with its outcome."""
    for name, (rtype, field, value) in sorted(REQUIRED.items()):
        base = os.path.join(GOLDEN, name)
        if not os.path.exists(base + ".rec.gz"):
            fail("no golden recording %s.rec.gz (make it with tools/golden-update)" % base)
        recs = [json.loads(l) for l in _expected(base)]
        seen = [r.get(field) for r in recs if r.get("type") == rtype]
        check(value in seen, "%s.jsonl: %s records with %s %r, want one %r"
              % (base, rtype, field, seen, value))


test_golden_set_complete.no_root = True


def test_replay_refuses_damage():
    """A damaged golden recording is refused with the line, not replayed wrong."""
    base = os.path.join(GOLDEN, "test_graceful")
    if not os.path.exists(base + ".rec.gz"):
        fail("no golden recording %s.rec.gz" % base)
    import gzip
    import tempfile
    with gzip.open(base + ".rec.gz", "rb") as f:
        lines = f.read().split(b"\n")
    # an answer followed by an input line: without it, that input is where an answer is due
    facts = [i for i, l in enumerate(lines[:-1]) if l.startswith(b'{"r":"fact"')
             and not lines[i + 1].startswith(b'{"r":"fact"')]
    check(facts, "the golden recording has no fact line")
    del lines[facts[-1]]
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "damaged.rec")
        with open(path, "wb") as f:
            f.write(b"\n".join(lines))
        res = subprocess.run([_binary(), "replay", path], stdin=subprocess.DEVNULL,
                             capture_output=True, timeout=60)
    err = res.stderr.decode("utf-8", "replace")
    check(res.returncode == 1, "replay of a recording missing an answer exited %d, want 1: %s"
          % (res.returncode, err))
    check("line %d" % (facts[-1] + 1) in err and "disagree" in err,
          "replay's error does not name line %d: %s" % (facts[-1] + 1, err.strip()))


test_replay_refuses_damage.no_root = True

for _path in sorted(glob.glob(os.path.join(GOLDEN, "*.rec.gz"))):
    _name = os.path.basename(_path)[:-len(".rec.gz")]
    _fn = _make(_path[:-len(".rec.gz")])
    _fn.__name__ = "test_golden_" + _name[len("test_"):] if _name.startswith("test_") \
        else "test_golden_" + _name
    _fn.__module__ = __name__
    globals()[_fn.__name__] = _fn


def test_replay_losses_without_verify_step():
    """A recording with kernel losses and no `verify` step (as made before
    that step existed) replays: the look at cgroups after losses happens only
    where the recording says it did. The loss shows on the stop's timeline."""
    import gzip
    import tempfile
    base = os.path.join(GOLDEN, "test_graceful")
    with gzip.open(base + ".rec.gz", "rb") as f:
        lines = f.read().split(b"\n")
    # the loss right after the first stop's first record, while that stop is open
    with open(base + ".jsonl", "rb") as f:
        stop = next(r for r in map(json.loads, f) if r.get("type") == "stop_timeline")
    header = json.loads(lines[0])
    # "time" is when the timeline was written, at the stop's end
    start = (stlib.time_ns(stop["time"]) - header["boot_to_real_ns"]
             - (stop["duration_ms"] + 1) * 1000000)
    at = next(i for i, l in enumerate(lines)
              if l.startswith(b'{"r":"ev"') and json.loads(l)["now"] >= start)
    now = json.loads(lines[at])["now"]
    lines.insert(at + 1, b'{"r":"lost","now":%d,"n":3}' % now)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "lost.rec")
        with open(path, "wb") as f:
            f.write(b"\n".join(lines))
        with open(base + ".args") as f:
            args = json.load(f)
        res = subprocess.run([_binary(), "replay", path, *args], stdin=subprocess.DEVNULL,
                             capture_output=True, timeout=120)
    check(res.returncode == 0, "replay of a recording with a lost line exited %d: %s"
          % (res.returncode, res.stderr.decode("utf-8", "replace").strip()))
    stops = [json.loads(l) for l in res.stdout.split(b"\n")
             if l and json.loads(l).get("type") == "stop_timeline"]
    check(stops and stops[0].get("lost") == 3,
          "the stop with 3 lost records has lost %r, want 3" % [s.get("lost") for s in stops])


test_replay_losses_without_verify_step.no_root = True
