# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""`stoptrace diagnose CONTAINER` on real Docker containers, as an operator on
call runs it before a stop: the exit code (0 nothing wrong, 3 a problem, 4 no
such container), one JSON record with the prediction for the stop signal,
every process of the pid namespace, and what holds the container's storage.
"""

import json
import os
import subprocess
import time

import stlib
from stlib import check, docker, note, require_docker, run_container, short, skip

BINARY = os.path.abspath(os.environ.get("STOPTRACE", "./stoptrace"))
SIGTERM_BIT = 1 << 14


def diagnose(*args, timeout=30):
    if not os.access(BINARY, os.X_OK):
        stlib.fail("%s not found or not executable: build it with `make`" % BINARY)
    return subprocess.run([BINARY, "diagnose", *args], stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=timeout)


def record(res):
    """The one JSON record diagnose --format json printed."""
    lines = res.stdout.split(b"\n")
    check(len(lines) == 2 and lines[1] == b"",
          "want one JSON line, got %d lines: %r" % (len(lines) - 1, res.stdout[:500]))
    check(len(lines[0]) <= stlib.MAX_LINE, "record is %d bytes, over 8 KiB" % len(lines[0]))
    rec = json.loads(lines[0].decode("utf-8"))
    check(rec.get("schema") == 1 and rec.get("type") == "diagnosis" and rec.get("host"),
          "not a diagnosis record: %s" % short(rec))
    stlib.time_ns(rec.get("time"))
    return rec


def expect_exit(res, want, what):
    check(res.returncode == want, "%s: exit %d, want %d; stderr: %r; stdout: %r"
          % (what, res.returncode, want, res.stderr.decode(errors="replace"),
             res.stdout[:1500].decode(errors="replace")))


def sig_caught(pid, mask_bit):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("SigCgt:"):
                return int(line.split()[1], 16) & mask_bit != 0
    return False


def wchan(pid):
    with open("/proc/%d/wchan" % pid) as f:
        return f.read()


def wait_until(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while not pred():
        check(time.monotonic() < deadline, "%s did not happen within %d s" % (what, timeout))
        time.sleep(0.05)


def test_diagnose_paused_child_sharing_pid_namespace():
    """S5 and S2: parent's PID 1 is sleep (SIGTERM ignored); child shares its
    pid namespace and is paused, so stopping parent would hang in teardown."""
    require_docker()
    parent = run_container("sleep", "1000")
    child = run_container("sleep", "1000", docker_args=("--pid", "container:" + parent.name))
    try:
        docker("pause", child.name)
        res = diagnose(parent.name, "--format", "json")
        expect_exit(res, 3, "diagnose of the parent of a paused child")
        rec = record(res)
        check(rec["container"]["id"] == parent.id and rec["container"]["name"] == parent.name,
              "wrong container: %s" % short(rec["container"]))
        check(rec["running"] is True and rec["init"]["pid"] == parent.pid,
              "init is %r, want pid %d" % (rec.get("init"), parent.pid))
        check(rec["stop_signal"] == "SIGTERM" and rec["stop_signal_prediction"] == "ignored",
              "stop signal %r predicted %r, want SIGTERM ignored"
              % (rec["stop_signal"], rec["stop_signal_prediction"]))
        procs = {p["pid"]: p for p in rec["processes"]}
        check(child.pid in procs, "child's pid %d not among the processes: %s"
              % (child.pid, short(rec["processes"])))
        cp = procs[child.pid]
        check(cp["frozen"] is True and cp["container"]["name"] == child.name
              and cp["container"]["id"] == child.id and cp["ns_pid"] != 1,
              "child's process: %s" % short(cp))
        check(procs[parent.pid]["frozen"] is False, "parent's PID 1 marked frozen")
        kinds = [p["kind"] for p in rec["problems"]]
        check("stop_signal_ignored" in kinds, "no stop_signal_ignored in %r" % kinds)
        stuck = [p for p in rec["problems"] if p["kind"] == "ns_teardown_stuck"]
        check(len(stuck) == 1 and stuck[0]["action"] == "docker unpause " + child.name,
              "ns_teardown_stuck problems: %s" % short(stuck))
        check(child.name in stuck[0]["message"], "message does not name the child: %r"
              % stuck[0]["message"])

        res = diagnose(parent.name, "--format", "text")
        expect_exit(res, 3, "diagnose --format text")
        out = res.stdout.decode()
        for want in ("Stop signal", "Pid namespace", "Removal", "Verdict",
                     "fix: docker unpause " + child.name):
            check(want in out, "text report lacks %r:\n%s" % (want, out))

        docker("unpause", child.name)
        res = diagnose(parent.name, "--format", "json")
        expect_exit(res, 3, "diagnose after unpause (SIGTERM is still ignored)")
        rec = record(res)
        check([p["kind"] for p in rec["problems"]] == ["stop_signal_ignored"],
              "after unpause, problems are %s" % short(rec["problems"]))
    finally:
        docker("unpause", child.name, check=False)
        stlib.remove_containers()


def test_diagnose_trapexit_nothing_wrong():
    """PID 1 handles SIGTERM and nothing holds the namespace or storage: exit 0."""
    require_docker()
    c = run_container("trapexit")
    try:
        wait_until(lambda: sig_caught(c.pid, SIGTERM_BIT), 10, "trapexit's SIGTERM handler")
        res = diagnose(c.name, "--format", "json")
        expect_exit(res, 0, "diagnose of trapexit")
        rec = record(res)
        check(rec["stop_signal_prediction"] == "handled", "prediction %r, want handled"
              % rec["stop_signal_prediction"])
        check(rec["problems"] == [] and rec["removal_hazards"] == [],
              "problems: %s" % short(rec["problems"]))
        check(rec["removal"]["checked"] is True, "storage not checked: %s"
              % short(rec["removal"]))
        check([p["pid"] for p in rec["processes"]] == [c.pid],
              "processes: %s" % short(rec["processes"]))

        # the id prefix finds it too
        res = diagnose(c.id[:12], "--format", "json")
        expect_exit(res, 0, "diagnose by id prefix")
        check(record(res)["container"]["name"] == c.name, "id prefix found another container")
    finally:
        stlib.remove_containers()


def test_diagnose_docker_init_waits_for_sigterm():
    """docker run --init: tini blocks SIGTERM and collects it with sigtimedwait."""
    require_docker()
    try:
        c = run_container("sleep", "1000", docker_args=("--init",))
    except AssertionError as e:
        skip("docker run --init failed (no docker-init binary?): %s" % e)
    try:
        wait_until(lambda: "sigtimedwait" in wchan(c.pid), 10,
                   "docker-init sleeping in sigtimedwait")
        res = diagnose(c.name, "--format", "json")
        expect_exit(res, 0, "diagnose of a container run with --init")
        rec = record(res)
        check(rec["stop_signal_prediction"] == "waited_for",
              "prediction %r, want waited_for: %s" % (rec["stop_signal_prediction"],
                                                     rec.get("stop_signal_reason")))
        check(len(rec["processes"]) == 2, "want docker-init and sleep: %s"
              % short(rec["processes"]))
    finally:
        stlib.remove_containers()


def test_diagnose_storage_held_by_foreign_mount_namespace():
    """S6: a process that made its own mount namespace after the container
    started holds a copy of the container's overlay mount."""
    require_docker()
    c = run_container("trapexit")
    try:
        holder = stlib.Process(["unshare", "--mount", "--propagation", "private",
                                "sleep", "300"])
        own = os.readlink("/proc/self/ns/mnt")
        wait_until(lambda: os.readlink("/proc/%d/ns/mnt" % holder.pid) != own
                   and stlib._comm(holder.pid) == "sleep", 10,
                   "unshare making its mount namespace")
        wait_until(lambda: sig_caught(c.pid, SIGTERM_BIT), 10, "trapexit's SIGTERM handler")
        res = diagnose(c.name, "--format", "json")
        expect_exit(res, 3, "diagnose with the storage held elsewhere")
        rec = record(res)
        mine = [h for h in rec["removal_hazards"] if h["pid"] == holder.pid]
        check(mine and mine[0]["path"].endswith("/merged")
              and mine[0]["path"].startswith(rec["removal"]["storage"]),
              "no hazard naming pid %d holding %s/merged: %s"
              % (holder.pid, rec["removal"].get("storage"), short(rec["removal_hazards"])))
        msgs = [p["message"] for p in rec["problems"] if p["kind"] == "rootfs_removal_failed"]
        check(any(("process %d (sleep)" % holder.pid) in m for m in msgs),
              "no rootfs_removal_failed problem for pid %d: %r" % (holder.pid, msgs))
        holder.kill()
        res = diagnose(c.name, "--format", "json")
        expect_exit(res, 0, "diagnose once the holder is gone")
    finally:
        stlib.kill_processes()
        stlib.remove_containers()


def test_diagnose_no_such_container():
    """One clear line on stderr, exit 4, nothing on stdout."""
    require_docker()
    res = diagnose("nosuchcontainer")
    expect_exit(res, 4, "diagnose nosuchcontainer")
    err = res.stderr.decode(errors="replace")
    check(err == "stoptrace: container 'nosuchcontainer' not found\n",
          "stderr is %r, want one line naming the container" % err)
    check(res.stdout == b"", "printed on stdout: %r" % res.stdout[:200])
    res = diagnose()
    expect_exit(res, 2, "diagnose without a container")
    note("usage error: %s" % res.stderr.decode(errors="replace").splitlines()[0])
