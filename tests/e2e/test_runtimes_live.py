# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Runtimes other than Docker, for real: plain containerd (ctr run) and LXC.

Each test runs the monitor, makes a container with the runtime's own tools,
stops it the way its users do, and asserts what the stop_timeline says of
it: the container's id, name and runtime, its cgroup, the stop signal sent
and the one its runtime is configured with.

Every monitor records, and its replay must write what the live monitor
wrote: a plain containerd container is one because containerd keeps a task
directory for it, which the recording says (a "container" fact), since a
replay has no host to look at.
"""

import os
import shutil
import subprocess
import tempfile
import time

import stlib
from stlib import check, expect, fail, get, note, short

CTR_SOCK = "/run/docker/containerd/containerd.sock"
CTR_NS = "default"
CTR_IMAGE = "docker.io/" + stlib.IMAGE
LXC_CONF = "lxc.net.0.type = empty\nlxc.apparmor.profile = unconfined\n"


class LiveMonitor(stlib.Monitor):
    """The monitor as an operator runs it (no --events); its stop() checks the replay."""

    events = False


def _run(argv, timeout=120, check_rc=True):
    res = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                         timeout=timeout)
    if check_rc and res.returncode != 0:
        fail("%s failed (status %d): %s" % (" ".join(argv), res.returncode,
                                             (res.stderr or res.stdout).strip()))
    return res


def _timeline_of(mon, cid, runtime, timeout=40):
    pred = (lambda r: r.get("type") == "stop_timeline" and get(r, "container.id") == cid
            and get(r, "container.runtime") == runtime)
    mon.wait_for(pred, timeout, "stop_timeline for %s container %s" % (runtime, cid))
    time.sleep(2.0)  # a duplicate would come now
    mon.stop()
    tls = mon.find(pred)
    check(len(tls) == 1, "%d stop_timeline records for %s, want 1:\n%s"
          % (len(tls), cid, "\n".join("    " + short(r, 800) for r in tls)))
    return tls[0]


def _signals_to(tl, pid):
    return [ev.get("signal") for ev in tl.get("events") or []
            if ev.get("event") == "signal_generate" and get(ev, "process.pid") == pid]


# ---------------------------------------------------------------- containerd

def _ctr(*args, timeout=120, check_rc=True):
    return _run(["ctr", "-a", CTR_SOCK, "-n", CTR_NS, *args], timeout, check_rc)


def _ctr_image():
    """The test image, imported into containerd's default namespace once."""
    if _ctr("image", "ls", "-q").stdout.split().count(CTR_IMAGE):
        return
    tmp = tempfile.mkdtemp(prefix="stoptrace-ctr-")
    try:
        tar = os.path.join(tmp, "img.tar")
        stlib.docker("save", stlib.IMAGE, "-o", tar)
        _ctr("image", "import", "--all-platforms", tar, timeout=300)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _ctr_remove(cid):
    _ctr("task", "kill", "-s", "SIGKILL", cid, check_rc=False)
    for _ in range(50):
        if _ctr("task", "delete", cid, check_rc=False).returncode == 0 or not any(
                line.split()[:1] == [cid] for line in _ctr("task", "ls").stdout.splitlines()):
            break
        time.sleep(0.1)
    _ctr("container", "rm", cid, check_rc=False)


def _ctr_pid(cid):
    for line in _ctr("task", "ls").stdout.splitlines()[1:]:
        f = line.split()
        if len(f) >= 3 and f[0] == cid and f[2] == "RUNNING":
            return int(f[1])
    return 0


def _ctr_start(cid):
    _ctr("run", "-d", CTR_IMAGE, cid, "sleep", "1000")
    deadline = time.monotonic() + 20
    while not _ctr_pid(cid):
        check(time.monotonic() < deadline, "ctr task %s not running after 20 s" % cid)
        time.sleep(0.1)
    return _ctr_pid(cid)


def _ctr_stop(cid, pid):
    """ctr task kill (SIGTERM, which sleep as PID 1 never sees), then SIGKILL."""
    _ctr("task", "kill", cid)
    time.sleep(2.0)
    check(os.path.exists("/proc/%d" % pid), "PID 1 of %s (host pid %d) died of SIGTERM: "
          "sleep as a namespace init should not" % (cid, pid))
    _ctr("task", "kill", "-s", "SIGKILL", cid)


def _check_ctr_timeline(tl, cid, pid):
    what = "stop_timeline of ctr container %s" % cid
    expect(tl, "container.id", cid, what)
    expect(tl, "container.name", cid, what)
    expect(tl, "container.runtime", "containerd", what)
    expect(tl, "container.cgroup", "/%s/%s" % (CTR_NS, cid), what)
    expect(tl, "stop_signal", "SIGTERM", what)
    expect(tl, "configured_stop_signal", "SIGTERM", what)
    expect(tl, "exit.signal", "SIGKILL", what)
    expect(tl, "init.pid", pid, what)
    expect(tl, "verdict", "stop_signal_ignored", what)
    sigs = _signals_to(tl, pid)
    check("SIGTERM" in sigs and "SIGKILL" in sigs and sigs.index("SIGTERM") <
          sigs.index("SIGKILL"), "%s: want SIGTERM then SIGKILL to PID 1, got %r: %s"
          % (what, sigs, short(tl, 1500)))


def test_containerd_ctr_stop():
    """ctr run before and after the monitor starts, ctr task kill, then SIGKILL: one
    stop_timeline each, with the id, the id as name, runtime containerd."""
    stlib.require_root()
    stlib.require_docker()
    check(shutil.which("ctr"), "ctr is not installed (Debian's containerd package)")
    check(os.path.exists(CTR_SOCK), "%s missing: dockerd's containerd is not running"
          % CTR_SOCK)
    _ctr_image()
    before, after = stlib.new_name(), stlib.new_name()
    try:
        pid_before = _ctr_start(before)
        with LiveMonitor() as mon:
            mon.start()
            pid_after = _ctr_start(after)
            time.sleep(0.5)
            _ctr_stop(after, pid_after)
            tl_after = mon.wait_for(
                lambda r: r.get("type") == "stop_timeline" and get(r, "container.id") == after,
                40, "stop_timeline for ctr container %s" % after)
            _ctr_stop(before, pid_before)
            tl_before = _timeline_of(mon, before, "containerd")
            _check_ctr_timeline(tl_after, after, pid_after)
            _check_ctr_timeline(tl_before, before, pid_before)
            n = len(mon.find(lambda r: r.get("type") == "stop_timeline"
                             and get(r, "container.id") == after))
            check(n == 1, "%d stop_timeline records for %s, want 1" % (n, after))
    finally:
        _ctr_remove(after)
        _ctr_remove(before)


def _removals_of(mon, cid):
    return mon.find(lambda r: r.get("type") == "removal_timeline"
                    and get(r, "container.id") == cid)


def _ctr_killed(mon, cid):
    """ctr task kill -s SIGKILL, its stop_timeline, ctr task delete: a stop, no removal."""
    _ctr("task", "kill", "-s", "SIGKILL", cid)
    mon.wait_for(lambda r: r.get("type") == "stop_timeline" and get(r, "container.id") == cid,
                 40, "stop_timeline for ctr container %s" % cid)
    _ctr("task", "delete", cid)
    time.sleep(3.0)  # the task bundle's removal, and a removal_timeline if one came
    rms = _removals_of(mon, cid)
    check(not rms, "a stop and ctr task delete wrote a removal_timeline for %s, which still "
          "exists: %s" % (cid, short(rms[0], 800) if rms else ""))


def _check_one_removal(mon, cid):
    rm = mon.wait_for(lambda r: r.get("type") == "removal_timeline"
                      and get(r, "container.id") == cid, 30,
                      "removal_timeline for ctr container %s" % cid)
    time.sleep(2.0)  # a second one would come now
    rms = _removals_of(mon, cid)
    check(len(rms) == 1, "%d removal_timeline records for %s, want 1:\n%s"
          % (len(rms), cid, "\n".join("    " + short(r, 800) for r in rms)))
    what = "removal_timeline of ctr container %s" % cid
    expect(rm, "container.runtime", "containerd", what)
    expect(rm, "container.name", cid, what)
    expect(rm, "container.cgroup", "/%s/%s" % (CTR_NS, cid), what)
    expect(rm, "outcome", "removed", what)
    expect(rm, "caller.comm", "containerd", what)
    return rm


def test_containerd_ctr_removal():
    """ctr container rm, ctr run --rm, and ctr container rm --keep-snapshot then ctr snapshot
    rm: one removal_timeline each, when the container's snapshot goes, by containerd; a stop
    and ctr task delete (its task bundle goes) write none."""
    stlib.require_root()
    stlib.require_docker()
    check(shutil.which("ctr"), "ctr is not installed (Debian's containerd package)")
    _ctr_image()
    rm_c, run_rm, keep = _lxc_name(), _lxc_name(), _lxc_name()
    try:
        with LiveMonitor() as mon:
            mon.start()
            _ctr_start(rm_c)
            _ctr_killed(mon, rm_c)
            _ctr("container", "rm", rm_c)
            _check_one_removal(mon, rm_c)

            _ctr("run", "--rm", CTR_IMAGE, run_rm, "sh", "-c", "exit 3", check_rc=False)
            mon.wait_for(lambda r: r.get("type") == "stop_timeline"
                         and get(r, "container.id") == run_rm, 40,
                         "stop_timeline for ctr run --rm %s" % run_rm)
            _check_one_removal(mon, run_rm)

            _ctr_start(keep)
            _ctr_killed(mon, keep)
            # containerd's garbage collector takes a snapshot no container holds within
            # seconds: ctr snapshot rm, or the collector before it, removes it
            _ctr("container", "rm", "--keep-snapshot", keep)
            _ctr("snapshot", "rm", keep, check_rc=False)
            _check_one_removal(mon, keep)
            mon.stop()
    finally:
        for cid in (rm_c, run_rm, keep):
            _ctr_remove(cid)
            _ctr("snapshot", "rm", cid, check_rc=False)


def test_containerd_lookalike_cgroup():
    """A /<namespace>/<id> cgroup containerd has no task for is no container."""
    stlib.require_root()
    root = stlib.cgroup2_root()
    ns, cid = "st-ns-" + stlib.new_name()[3:], stlib.new_name()
    path = os.path.join(root, ns, cid)
    with stlib.Monitor() as mon:  # with --events: no record of it at all
        mon.start()
        os.makedirs(path)
        try:
            pid = os.fork()
            if pid == 0:
                try:
                    with open(os.path.join(path, "cgroup.procs"), "w") as f:
                        f.write("0")
                    os.kill(os.getpid(), 19)  # SIGSTOP: then SIGTERM, SIGKILL below
                finally:
                    os._exit(0)
            time.sleep(0.5)
            os.kill(pid, 15)
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            time.sleep(1.0)
        finally:
            os.rmdir(path)
            os.rmdir(os.path.join(root, ns))
        time.sleep(1.0)
        mon.stop()
        mine = [r for r in mon.records if get(r, "container.id") == cid
                or get(r, "container.cgroup", "").startswith("/" + ns)]
        check(not mine, "records for the look-alike cgroup /%s/%s: %s"
              % (ns, cid, short(mine[0], 800) if mine else ""))


# ---------------------------------------------------------------- LXC

def _lxc_destroy(name):
    _run(["lxc-stop", "-n", name, "-k"], check_rc=False)
    _run(["lxc-destroy", "-n", name, "-f"], check_rc=False)


def _lxc_init_pid(name):
    res = _run(["lxc-info", "-n", name, "-p", "-H"], check_rc=False)
    try:
        return int(res.stdout.strip())
    except ValueError:
        return 0


def _lxc_name():
    return "st-lxcctr-" + stlib.new_name()[3:]


def _helper(tmp, name):
    """tests/helpers/<name>.c built static into tmp, for a container's rootfs."""
    check(shutil.which("gcc"), "gcc is not installed (tools/testbench)")
    out = os.path.join(tmp, name)
    _run(["gcc", "-static", "-O2", "-Wall", "-Werror", "-o", out,
          os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "helpers",
                       name + ".c")])
    return out


def _lxc_create(name, tmp, halt=None, init=None, copy=()):
    """lxc-create -t busybox, then its config's lxc.signal.halt replaced by halt (None: kept,
    "": removed) and, with init, lxc.init.cmd set to that binary copied into its rootfs;
    the binaries of copy go to its /bin too."""
    for tool in ("lxc-create", "lxc-start", "lxc-stop", "lxc-destroy"):
        check(shutil.which(tool), "%s is not installed (Debian's lxc and lxc-templates)" % tool)
    conf = os.path.join(tmp, "lxc.conf")
    with open(conf, "w") as f:
        f.write(LXC_CONF)
    _run(["lxc-create", "-n", name, "-t", "busybox", "-f", conf], timeout=300)
    path = "/var/lib/lxc/%s/config" % name
    with open(path) as f:
        text = f.read()
    check("lxc.signal.halt = SIGUSR1" in text, "busybox's template no longer sets "
          "lxc.signal.halt = SIGUSR1: the test's premise changed")
    if halt is not None:
        text = text.replace("lxc.signal.halt = SIGUSR1\n",
                            "lxc.signal.halt = %s\n" % halt if halt else "")
    for binary in list(copy) + ([init] if init else []):
        shutil.copy(binary, "/var/lib/lxc/%s/rootfs/bin/%s" % (name, os.path.basename(binary)))
    if init:
        text += "lxc.init.cmd = /bin/%s\n" % os.path.basename(init)
    with open(path, "w") as f:
        f.write(text)


def _lxc_start(name):
    _run(["lxc-start", "-n", name])
    _run(["lxc-wait", "-n", name, "-s", "RUNNING", "-t", "20"])
    time.sleep(1.0)  # the init sets up its signals
    pid = _lxc_init_pid(name)
    check(pid > 0, "lxc-info gives no init pid for %s" % name)
    return pid


def _check_lxc_identity(tl, name, pid, halt):
    what = "stop_timeline of LXC container %s" % name
    expect(tl, "container.id", name, what)
    expect(tl, "container.name", name, what)
    expect(tl, "container.runtime", "lxc", what)
    expect(tl, "container.cgroup", "/lxc.payload." + name, what)
    expect(tl, "configured_stop_signal", halt, what)
    expect(tl, "stop_signal", halt, what)
    expect(tl, "sender.comm", "lxc-stop", what)
    expect(tl, "init.pid", pid, what)
    sigs = _signals_to(tl, pid)
    check(sigs and sigs[0] == halt, "%s: the first signal to PID 1 is not lxc-stop's %s: %r"
          % (what, halt, sigs))
    check(not tl.get("partial"), "%s is partial, though the monitor saw the whole stop: %s"
          % (what, short(tl, 1500)))
    return what


def _removal_of(mon, name, timeout=30):
    pred = (lambda r: r.get("type") == "removal_timeline" and get(r, "container.id") == name)
    rm = mon.wait_for(pred, timeout, "removal_timeline for LXC container %s" % name)
    time.sleep(2.0)  # a second one would come now
    return rm, pred


def test_lxc_stop():
    """lxc-create -t busybox, lxc-start, lxc-stop, lxc-destroy: one stop_timeline with the
    name, runtime lxc, the config's halt signal (SIGUSR1) as stop signal, graceful (busybox's
    init halts through reboot(2)); then one removal_timeline, for lxc-destroy only."""
    stlib.require_root()
    name = _lxc_name()
    tmp = tempfile.mkdtemp(prefix="stoptrace-lxc-")
    try:
        _lxc_create(name, tmp)
        with LiveMonitor() as mon:
            mon.start()
            pid = _lxc_start(name)
            t0 = time.monotonic()
            _run(["lxc-stop", "-n", name, "-t", "10"], timeout=60)
            took = time.monotonic() - t0
            pred = (lambda r: r.get("type") == "stop_timeline" and get(r, "container.id") == name)
            tl = mon.wait_for(pred, 40, "stop_timeline for LXC container %s" % name)
            time.sleep(2.0)
            check(not mon.find(lambda r: r.get("type") == "removal_timeline"
                               and get(r, "container.id") == name),
                  "lxc-stop wrote a removal_timeline for %s, which still exists" % name)
            _run(["lxc-destroy", "-n", name], timeout=60)
            rm, rm_pred = _removal_of(mon, name)
            mon.stop()
            tls = mon.find(pred)
            check(len(tls) == 1, "%d stop_timeline records for %s, want 1" % (len(tls), name))
            what = _check_lxc_identity(tl, name, pid, "SIGUSR1")
            check(took < 9, "lxc-stop -t 10 took %.1f s: busybox's init should halt at "
                  "once" % took)
            # busybox's init halts through reboot(2): reboot_pid_ns SIGKILLs it, a clean halt
            expect(tl, "verdict", "graceful", what)
            reason = tl.get("reason") or ""
            check("halted through reboot(2)" in reason and "killed by" not in reason,
                  "%s: the reason does not say the init halted through reboot(2): %r"
                  % (what, reason))
            check(tl.get("grace_ms") is None, "%s: grace_ms %r, though no SIGKILL came "
                  "from outside" % (what, tl.get("grace_ms")))
            rms = mon.find(rm_pred)
            check(len(rms) == 1, "%d removal_timeline records for %s, want 1:\n%s"
                  % (len(rms), name, "\n".join("    " + short(r, 800) for r in rms)))
            expect(rm, "container.runtime", "lxc", "removal_timeline of %s" % name)
            expect(rm, "outcome", "removed", "removal_timeline of %s" % name)
    finally:
        _lxc_destroy(name)
        shutil.rmtree(tmp, ignore_errors=True)


def test_lxc_halt_from_inside():
    """`halt` run in an LXC busybox container (lxc-attach): busybox's halt signals its init,
    which halts through reboot(2), with no stop from outside. One stop_timeline, exited, whose
    reason says the container halted itself, not that PID 1 was killed by SIGKILL."""
    stlib.require_root()
    name = _lxc_name()
    tmp = tempfile.mkdtemp(prefix="stoptrace-lxc-")
    try:
        _lxc_create(name, tmp)
        with LiveMonitor() as mon:
            mon.start()
            pid = _lxc_start(name)
            _run(["lxc-attach", "-n", name, "--", "/bin/busybox", "halt"], timeout=60,
                 check_rc=False)
            pred = (lambda r: r.get("type") == "stop_timeline" and get(r, "container.id") == name)
            tl = mon.wait_for(pred, 40, "stop_timeline for LXC container %s" % name)
            mon.stop()
            what = "stop_timeline of %s" % name
            expect(tl, "init.pid", pid, what)
            expect(tl, "verdict", "exited", what)
            reason = tl.get("reason") or ""
            check("halted through reboot(2), with no stop from outside" in reason
                  and "killed by" not in reason,
                  "%s: the reason does not say the container halted itself: %r" % (what, reason))
            check(tl.get("grace_ms") is None, "%s: grace_ms %r" % (what, tl.get("grace_ms")))
            # the halt itself, before PID 1's exit opened the stop, is on its timeline
            first = (tl.get("events") or [{}])[0]
            check(first.get("event") == "signal_generate" and first.get("signal") == "SIGKILL"
                  and get(first, "process.pid") == pid,
                  "%s: the halt's SIGKILL to PID 1 is not its first event: %s"
                  % (what, short(tl.get("events"), 1500)))
    finally:
        _lxc_destroy(name)
        shutil.rmtree(tmp, ignore_errors=True)


def test_lxc_default_halt_timeout():
    """No lxc.signal.halt and busybox's init, which does not block SIGRTMIN+3: lxc-stop sends
    SIGPWR, which busybox's init takes as a halt (its sequence takes 2 s: SIGTERM to every
    process, 1 s, SIGKILL, 1 s, reboot(2)); lxc-stop -t 1 ends first: the lxc-start monitor
    kills it, grace_period_exceeded with that kill."""
    stlib.require_root()
    name = _lxc_name()
    tmp = tempfile.mkdtemp(prefix="stoptrace-lxc-")
    try:
        _lxc_create(name, tmp, halt="")
        with LiveMonitor() as mon:
            mon.start()
            pid = _lxc_start(name)
            _run(["lxc-stop", "-n", name, "-t", "1"], timeout=60, check_rc=False)
            tl = _timeline_of(mon, name, "lxc")
            what = _check_lxc_identity(tl, name, pid, "SIGPWR")
            expect(tl, "verdict", "grace_period_exceeded", what)
            expect(tl, "exit.signal", "SIGKILL", what)
            check(tl.get("grace_ms") is not None and 800 <= tl["grace_ms"] <= 1900,
                  "%s: grace_ms %r, want about lxc-stop's 1 s" % (what, tl.get("grace_ms")))
            check("reboot(2)" not in (tl.get("reason") or ""), "%s: a kill after the "
                  "timeout is no halt through reboot(2): %r" % (what, tl.get("reason")))
            # busybox's init passes the stop signal on: the fix is the forward's, which
            # names no command; it must not name Docker's either
            check("docker" not in tl["reason"], "%s: the reason of an LXC container names "
                  "docker's commands: %r" % (what, tl["reason"]))
            kills = [ev for ev in tl.get("events") or [] if ev.get("event") == "signal_generate"
                     and ev.get("signal") == "SIGKILL" and get(ev, "process.pid") == pid]
            check(kills and get(kills[0], "sender.comm") == "lxc-start",
                  "%s: the SIGKILL to PID 1 is not the lxc-start monitor's: %r" % (what, kills))
    finally:
        _lxc_destroy(name)
        shutil.rmtree(tmp, ignore_errors=True)


def test_lxc_ignored_names_lxc_fix():
    """busybox's sleep applet as PID 1 (lxc.init.cmd /bin/sleep): it has no handler for lxc.signal.halt's
    SIGUSR1, which the kernel drops for a namespace init; lxc-stop -t 1 kills it. The
    verdict is stop_signal_ignored, and its fix names LXC's settings (lxc.init.cmd,
    lxc.signal.halt), not Docker's."""
    stlib.require_root()
    name = _lxc_name()
    tmp = tempfile.mkdtemp(prefix="stoptrace-lxc-")
    try:
        _lxc_create(name, tmp)
        with open("/var/lib/lxc/%s/config" % name, "a") as f:
            f.write("lxc.init.cmd = /bin/sleep 300\n")
        with LiveMonitor() as mon:
            mon.start()
            pid = _lxc_start(name)
            _run(["lxc-stop", "-n", name, "-t", "1"], timeout=60, check_rc=False)
            tl = _timeline_of(mon, name, "lxc")
            what = _check_lxc_identity(tl, name, pid, "SIGUSR1")
            expect(tl, "verdict", "stop_signal_ignored", what)
            expect(tl, "exit.signal", "SIGKILL", what)
            reason = tl.get("reason") or ""
            check("lxc.init.cmd" in reason and "(lxc.signal.halt)" in reason
                  and "docker" not in reason, "%s: the reason's fix does not name LXC's "
                  "settings (lxc.init.cmd, lxc.signal.halt), or names docker's: %r"
                  % (what, reason))
    finally:
        _lxc_destroy(name)
        shutil.rmtree(tmp, ignore_errors=True)


def test_lxc_default_halt_blocked():
    """No lxc.signal.halt and an init that blocks SIGRTMIN+3 (haltwait, as systemd does):
    lxc-stop sends it SIGRTMIN+3, the stop signal then; the init exits 0: graceful."""
    stlib.require_root()
    name = _lxc_name()
    tmp = tempfile.mkdtemp(prefix="stoptrace-lxc-")
    try:
        _lxc_create(name, tmp, halt="", init=_helper(tmp, "haltwait"))
        with LiveMonitor() as mon:
            mon.start()
            pid = _lxc_start(name)
            _run(["lxc-stop", "-n", name, "-t", "10"], timeout=60)
            tl = _timeline_of(mon, name, "lxc")
            what = _check_lxc_identity(tl, name, pid, "SIGRTMIN+3")
            expect(tl, "verdict", "graceful", what)
            expect(tl, "exit.code", 0, what)
            check(tl.get("duration_ms", 10000) < 5000, "%s: haltwait took %r ms to halt"
                  % (what, tl.get("duration_ms")))
    finally:
        _lxc_destroy(name)
        shutil.rmtree(tmp, ignore_errors=True)


def test_lxc_forged_destroy():
    """A tenant of an LXC container makes /var/lib/lxc/<its name>/rootfs in its own rootfs
    and removes it, and the directory above, as a process named lxc-destroy: the paths read
    like its storage, but its calls come from inside a container: no removal_timeline, at
    that time or with its stop."""
    stlib.require_root()
    check(shutil.which("lxc-attach"), "lxc-attach is not installed (Debian's lxc)")
    name = _lxc_name()
    tmp = tempfile.mkdtemp(prefix="stoptrace-lxc-")
    try:
        _lxc_create(name, tmp, copy=[_helper(tmp, "fscall")])
        with LiveMonitor() as mon:
            mon.start()
            _lxc_start(name)
            forged = "/var/lib/lxc/%s" % name
            res = _run(["lxc-attach", "-n", name, "--", "/bin/sh", "-c",
                        "mkdir -p %s/rootfs && /bin/fscall -c lxc-destroy rmdir %s/rootfs && "
                        "/bin/fscall -c lxc-destroy rmdir %s" % (forged, forged, forged)])
            check(res.stdout.count("-> 0") == 2, "the forged removals inside %s did not "
                  "succeed: %r" % (name, res.stdout))
            _run(["lxc-stop", "-n", name, "-t", "10"], timeout=60)
            _timeline_of(mon, name, "lxc")
            rms = mon.find(lambda r: r.get("type") == "removal_timeline"
                           and get(r, "container.id") == name)
            check(not rms, "a tenant's own rmdir of %s/rootfs, named lxc-destroy, wrote a "
                  "removal_timeline: %s" % (forged, short(rms[0], 800) if rms else ""))
            check(os.path.isdir(forged + "/rootfs"), "the host's %s/rootfs is gone" % forged)
    finally:
        _lxc_destroy(name)
        shutil.rmtree(tmp, ignore_errors=True)
