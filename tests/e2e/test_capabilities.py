# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Capabilities as the operator sees them: once monitor_started is out, the
monitor holds exactly the runtime set (docs/capabilities.md) in its effective,
permitted and bounding sets, says so in monitor_started, and still explains
real Docker stops and stuck teardowns; started with only the load set (as the
systemd unit and the DaemonSet start it) it works the same; without
CAP_BPF or CAP_PERFMON it stops at once with one clear line and exit 1."""

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import time

import stlib
import test_timelines as tt
from stlib import check, expect, get, short

BINARY = os.path.abspath(os.environ.get("STOPTRACE", "./stoptrace"))

NUMBERS = {
    "CAP_DAC_READ_SEARCH": 2,
    "CAP_SETGID": 6,
    "CAP_SETUID": 7,
    "CAP_SETPCAP": 8,
    "CAP_SYS_PTRACE": 19,
    "CAP_SYS_ADMIN": 21,
    "CAP_SYS_RESOURCE": 24,
    "CAP_PERFMON": 38,
    "CAP_BPF": 39,
}

# The documented load set, in setpriv's spelling.
LOAD = ["bpf", "perfmon", "sys_resource", "dac_read_search", "sys_ptrace", "setpcap", "setuid",
        "setgid"]


def held(caps):
    """The capabilities of caps (setpriv names) in this process's bounding set:
    setpriv cannot hand on what the test itself was started without (a
    sandboxed test host may lack CAP_SYS_RESOURCE, needed on kernels before 5.11
    only)."""
    bounding = proc_caps(os.getpid())["CapBnd"]
    return [c for c in caps if bounding & (1 << NUMBERS["CAP_" + c.upper()])]


def runtime_set(on_demand=True):
    """The documented runtime set on this kernel: the host readers, plus the
    BPF privilege where bpf() commands on open descriptors need it (before
    5.19, with kernel.unprivileged_bpf_disabled set), plus CAP_PERFMON (5.8
    and later) to attach the removal hooks on demand (the default)."""
    names = {"CAP_DAC_READ_SEARCH", "CAP_SYS_PTRACE"}
    m = re.match(r"(\d+)\.(\d+)", os.uname().release)
    release = (int(m.group(1)), int(m.group(2)))
    if on_demand and release >= (5, 8):
        names.add("CAP_PERFMON")
    with open("/proc/sys/kernel/unprivileged_bpf_disabled") as f:
        gated = f.read().strip() != "0"
    if release < (5, 19) and gated:
        names.add("CAP_BPF" if release >= (5, 8) else "CAP_SYS_ADMIN")
    return names


def mask(names):
    return sum(1 << NUMBERS[n] for n in names)


def ordered(names):
    return sorted(names, key=lambda n: NUMBERS[n])


def proc_caps(pid, tid=None):
    """CapInh, CapPrm, CapEff, CapBnd, CapAmb (ints) and NoNewPrivs of pid
    (of its thread tid when given)."""
    out = {}
    path = "/proc/%d/status" % pid if tid is None else "/proc/%d/task/%d/status" % (pid, tid)
    with open(path) as f:
        for line in f:
            key, _, value = line.partition(":")
            if key.startswith("Cap"):
                out[key] = int(value.strip(), 16)
            elif key == "NoNewPrivs":
                out[key] = int(value.strip())
    return out


def check_runtime_caps(mon, started):
    """monitor_started names the runtime set, and every thread of the monitor
    holds exactly it (credentials are per thread)."""
    on_demand = "--removal-hooks" not in mon.extra_args
    want = runtime_set(on_demand)
    expect(started, "capabilities", ordered(want), "monitor_started")
    expect(started, "removal_hooks", "on-demand" if on_demand else "always", "monitor_started")
    tids = [int(t) for t in os.listdir("/proc/%d/task" % mon.proc.pid)]
    for tid in tids:
        caps = proc_caps(mon.proc.pid, tid)
        for key in ("CapEff", "CapPrm", "CapBnd"):
            check(caps[key] == mask(want), "%s of the monitor's thread %d is %#x, want %#x "
                  "(%s): %r" % (key, tid, caps[key], mask(want), ", ".join(ordered(want)), caps))
        check(caps["CapInh"] == 0 and caps["CapAmb"] == 0,
              "inheritable or ambient capabilities left in thread %d: %r" % (tid, caps))
        check(caps.get("NoNewPrivs") == 1, "no_new_privs is not set in thread %d: %r"
              % (tid, caps))
    return len(tids)


def setpriv_argv(caps, argv):
    """argv run by setpriv with inheritable, ambient and bounding sets limited
    to caps (setpriv names: "bpf", ...); as root, execve then gives exactly
    those in the permitted set."""
    spec = ",".join("+" + c for c in caps)
    return ["setpriv", "--inh-caps=-all," + spec, "--ambient-caps=-all," + spec,
            "--bounding-set=-all," + spec, "--"] + argv


class PrivMonitor(tt.DefaultMonitor):
    """The monitor (alerts and timelines to a file) started through setpriv:
    its binary is a wrapper that execs setpriv, which execs stoptrace with
    the arguments the monitor class gives it (the pid stays the same)."""

    def __init__(self, caps, *extra):
        super().__init__(*extra)
        wrapper = os.path.join(self.dir, "stoptrace-setpriv")
        with open(wrapper, "w") as f:
            f.write("#!/bin/sh\nexec %s \"$@\"\n"
                    % " ".join(shlex.quote(a) for a in setpriv_argv(caps, [self.binary])))
        os.chmod(wrapper, 0o755)
        self.binary = wrapper


def _stop_ignored_timeline(mon):
    """A container started after the drop (learnt through a map update made
    without the load capabilities), stopped with docker stop -t 2: its PID 1
    ignores SIGTERM; the timeline must say so, with SIGKILL after the grace."""
    c = tt._start("sleep", "1000")
    try:
        stop = tt.Background(["docker", "stop", "-t", "2", c.name])
        mon.wait_for(tt._mine(c, "alert", "stop_signal_ignored"), 20,
                     "stop_signal_ignored alert for %s" % c.name)
        stop.wait()
        tt._wait_timeline(mon, c)
        tt._finish(mon)
        _, tl = tt._one_timeline(mon, c)
        tt._verdict(tl, "stop_signal_ignored")
        expect(tl, "stop_signal", "SIGTERM", "stop_timeline")
        expect(tl, "exit.signal", "SIGKILL", "stop_timeline")
        expect(tl, "init.pid", c.pid, "stop_timeline")
        terms = tt._events(tl, "signal_generate", "SIGTERM", c.pid)
        kills = tt._events(tl, "signal_generate", "SIGKILL", c.pid)
        check(terms and kills, "events lack SIGTERM or SIGKILL to PID 1: %s"
              % short(tl.get("events"), 1500))
        expect(terms[0][1], "result", "ignored", "SIGTERM event")
        check(isinstance(get(tl, "sender.comm"), str) and get(tl, "sender.comm"),
              "no sender: %s" % short(tl, 800))
    finally:
        tt._remove(c)


def test_capabilities_runtime_set_and_stop_timeline():
    tt._setup()
    with tt.DefaultMonitor() as mon:
        started = mon.start()
        check_runtime_caps(mon, started)
        check(mon.stderr() == "", "warnings on a full-root start: %s" % mon.stderr())
        _stop_ignored_timeline(mon)


class PausedSharer:
    """A container (sleep as PID 1) and a paused one sharing its pid namespace:
    stopping the first hangs in namespace teardown until the second is unpaused
    (S5). Both are removed on exit."""

    def __enter__(self):
        self.stop = None
        self.parent = tt._start("sleep", "1000")
        self.child = tt._start("sleep", "1000",
                               docker_args=("--pid", "container:" + self.parent.name))
        stlib.docker("pause", self.child.name)
        return self

    def stop_parent(self):
        self.stop = tt.Background(["docker", "stop", "-t", "2", self.parent.name])

    def unpause(self):
        stlib.docker("unpause", self.child.name)
        self.stop.wait(timeout=60)

    def check_culprit(self, alert):
        """The ns_teardown_stuck alert names the paused child, read from /proc."""
        mine = [c for c in alert.get("culprits") or [] if c.get("pid") == self.child.pid]
        check(mine, "the alert does not name the child (host pid %d): %s"
              % (self.child.pid, short(alert, 1500)))
        expect(mine[0], "container.name", self.child.name, "culprit")
        expect(mine[0], "frozen", True, "culprit")
        check(mine[0].get("state") == "D", "culprit state %r, want D" % mine[0].get("state"))
        check(mine[0].get("wchan"), "culprit has no wchan (ptrace access lost?): %s"
              % short(mine[0]))

    def __exit__(self, *exc):
        if self.stop:
            self.stop.kill()
        stlib.docker("unpause", self.child.name, check=False)
        tt._remove(self.child)
        tt._remove(self.parent)
        return False


def test_capabilities_runtime_set_teardown_culprit():
    """After the drop, /proc of other (more privileged) processes is still
    read: the paused sharer of a pid namespace is named as the culprit, by the
    monitor's alert and by stoptrace diagnose (which drops to its set too)."""
    tt._setup()
    with tt.DefaultMonitor("--teardown-timeout", "2") as mon, PausedSharer() as ps:
        started = mon.start()
        check_runtime_caps(mon, started)
        res = subprocess.run([BINARY, "diagnose", ps.parent.name, "--format", "json"],
                             stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        check(res.returncode == 3, "diagnose exit %d, want 3; stderr %r"
              % (res.returncode, res.stderr))
        rec = json.loads(res.stdout)
        expect(rec, "capabilities", ["CAP_DAC_READ_SEARCH", "CAP_SYS_PTRACE"], "diagnosis")
        stuck = [p for p in rec["problems"] if p["kind"] == "ns_teardown_stuck"]
        check(len(stuck) == 1 and stuck[0]["action"] == "docker unpause " + ps.child.name,
              "diagnose: ns_teardown_stuck problems %s" % short(rec["problems"], 1000))
        procs = {p["pid"]: p for p in rec["processes"]}
        check(ps.child.pid in procs and procs[ps.child.pid]["frozen"] is True,
              "diagnose does not list the paused child %d: %s"
              % (ps.child.pid, short(rec["processes"], 1000)))

        ps.stop_parent()
        alert = mon.wait_for(tt._mine(ps.parent, "alert", "ns_teardown_stuck"), 30,
                             "ns_teardown_stuck alert for %s" % ps.parent.name)
        ps.check_culprit(alert)
        ps.unpause()
        tt._wait_timeline(mon, ps.parent, timeout=30)
        tt._finish(mon)
        _, tl = tt._one_timeline(mon, ps.parent)
        tt._verdict(tl, "ns_teardown_stuck")


def test_capabilities_load_set_only():
    """Bounding, inheritable and ambient sets limited to the load set, as the
    systemd unit does: it starts, drops to the runtime set, and works."""
    tt._setup()
    with PrivMonitor(held(LOAD)) as mon:
        started = mon.start()
        check_runtime_caps(mon, started)
        check(mon.stderr() == "", "warnings with the load set: %s" % mon.stderr())
        _stop_ignored_timeline(mon)


def test_capabilities_missing_bpf_or_perfmon():
    """Without CAP_BPF or CAP_PERFMON (and without CAP_SYS_ADMIN): one line
    naming what is missing, exit 1, no records, no crash."""
    stlib.require_root()
    out = os.path.join(os.environ.get("TMPDIR", "/tmp"), "stoptrace-caps-%d.jsonl" % os.getpid())
    for missing, name in (("perfmon", "CAP_PERFMON"), ("bpf", "CAP_BPF")):
        argv = setpriv_argv([c for c in held(LOAD) if c != missing],
                            [BINARY, "--format", "json", "--output", out])
        try:
            res = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                                 timeout=30)
            err = res.stderr.decode(errors="replace")
            check(res.returncode == 1, "without %s: exit %d, want 1; stderr %r"
                  % (name, res.returncode, err))
            check("needs root or CAP_BPF+CAP_PERFMON" in err and
                  ("%s is missing" % name) in err,
                  "without %s: stderr does not say what is missing: %r" % (name, err))
            check(len(err.strip().splitlines()) == 1, "more than one line: %r" % err)
            check(not os.path.exists(out) or os.path.getsize(out) == 0,
                  "records written without %s" % name)
        finally:
            if os.path.exists(out):
                os.unlink(out)


def test_capabilities_missing_ptrace_warns():
    """Without CAP_SYS_PTRACE the monitor still runs (the kernel side needs
    only the BPF pair) but warns that culprits and holders may be missing."""
    tt._setup()
    with PrivMonitor([c for c in held(LOAD) if c != "sys_ptrace"]) as mon:
        started = mon.start()
        err = mon.stderr()
        check("warning: no CAP_SYS_PTRACE" in err, "no warning about CAP_SYS_PTRACE: %r" % err)
        have = set(started.get("capabilities") or [])
        check("CAP_SYS_PTRACE" not in have and "CAP_DAC_READ_SEARCH" in have,
              "monitor_started capabilities %r" % started.get("capabilities"))
        mon.stop()


def test_capabilities_logrotate_reopen_after_drop():
    """The shipped logrotate snippet, run for real on the monitor's output
    (its postrotate signalling the monitor's pid instead of the systemd
    service): after the drop, SIGHUP still opens a new file at the path, and
    records go on there while the old ones stay in the rotated file."""
    stlib.require_root()
    if not shutil.which("logrotate"):
        stlib.skip("logrotate is not installed (tools/testbench up installs it)")
    snippet = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), "tools", "deploy", "stoptrace.logrotate")
    with tt.DefaultMonitor("--stats-interval", "1", "--removal-hooks", "always") as mon:
        started = mon.start()
        check_runtime_caps(mon, started)
        mon.wait_for(lambda r: r.get("type") == "monitor_stats", 10, "monitor_stats")
        logdir = os.path.dirname(mon.output)
        with open(snippet) as f:
            text = f.read()
        check(text.count("systemctl kill") == 1, "postrotate does not signal the service")
        text = re.sub(r"(?m)^(\s*)systemctl kill .*$", r"\1kill -HUP %d" % mon.proc.pid, text)
        text = text.replace("/var/log/stoptrace/*.json", os.path.join(logdir, "*.jsonl"))
        conf = os.path.join(logdir, "logrotate.conf")
        with open(conf, "w") as f:
            f.write(text)
        os.chmod(conf, 0o644)
        res = subprocess.run(["logrotate", "-f", "-s", os.path.join(logdir, "state"), conf],
                             stdin=subprocess.DEVNULL, capture_output=True, text=True,
                             timeout=60)
        check(res.returncode == 0, "logrotate: status %d: %s" % (res.returncode, res.stderr))
        rotated = mon.output + ".1"
        check(os.path.exists(rotated), "no %s after rotation: %s" % (rotated,
                                                                    os.listdir(logdir)))
        with open(rotated, "rb") as f:
            old = [json.loads(line) for line in f.read().splitlines()]
        check(old and old[0].get("type") == "monitor_started",
              "the rotated file does not start with monitor_started")
        deadline = time.monotonic() + 10
        new = []
        while not any(r.get("type") == "monitor_stats" for r in new):
            check(time.monotonic() < deadline, "no record in the new %s 10 s after SIGHUP; "
                  "stderr: %s" % (mon.output, mon.stderr()))
            time.sleep(0.2)
            try:
                with open(mon.output, "rb") as f:
                    new = [json.loads(line) for line in f.read().splitlines()]
            except FileNotFoundError:
                new = []
        check(mon.running(), "the monitor died on SIGHUP")
        check(mon.stderr() == "", "the monitor complained: %s" % mon.stderr())
        mon.proc.send_signal(signal.SIGINT)
        check(mon.proc.wait(20) == 0, "exit status after SIGINT")
        with open(mon.output, "rb") as f:
            new = [json.loads(line) for line in f.read().splitlines()]
        last = new[-1]
        check(last.get("type") == "monitor_stopped" and last["records"] == len(old) + len(new),
              "monitor_stopped %s, want it to count the %d + %d lines of both files"
              % (short(last), len(old), len(new)))
