# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Podman, for real: podman run, podman stop, podman rm, run --rm, rm -f.

Each test runs the monitor for its own containers (--container), makes
them with podman (Debian's package, with conmon and runc), stops or removes
them the way podman's users do, and asserts what the records say: the
container's id, its name and runtime podman, its cgroup, the stop signal
podman sent and the one its state holds (--stop-signal, or the image's
STOPSIGNAL), who sent it (runc, run by podman), the verdict, and one
removal_timeline per removal, none for a stop.

Podman runs here without systemd: --cgroup-manager cgroupfs (cgroups
/libpod_parent/libpod-<id>) and --events-backend file, passed on every call.
The test image is loaded from Docker's (docker save | podman load); no
registry is reached. Podman sets RLIMIT_NOFILE 1048576 and RLIMIT_NPROC 32768
in a root container's spec, which runc cannot set where the host's root lacks
CAP_SYS_RESOURCE: every container is run with smaller --ulimit values.
"""

import json
import os
import secrets
import shutil
import subprocess
import time

import stlib
from stlib import check, expect, fail, get, note, short

PODMAN = ["podman", "--cgroup-manager", "cgroupfs", "--events-backend", "file"]
IMAGE = "localhost/" + stlib.IMAGE
ULIMITS = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096"]
STORE = "/var/lib/containers/storage/overlay-containers"
QUIET = 6       # s after a stop or removal: a second timeline would come by now
TIMEOUT = 40    # s for a record to come


class PodmanMonitor(stlib.Monitor):
    """The monitor as an operator runs it (no --events); stop() checks the replay."""

    events = False


def podman(*args, timeout=120, check_rc=True):
    res = subprocess.run(PODMAN + list(args), stdin=subprocess.DEVNULL, capture_output=True,
                         text=True, timeout=timeout)
    if check_rc and res.returncode != 0:
        fail("podman %s failed (status %d): %s" % (" ".join(args), res.returncode,
                                                  (res.stderr or res.stdout).strip()))
    return res


def new_name():
    return "st-podcompose-" + secrets.token_hex(5)


def require_podman():
    stlib.require_root()
    stlib.require_docker()
    for tool in ("podman", "conmon"):
        check(shutil.which(tool), "%s is not installed (Debian's podman; tools/testbench up)"
              % tool)


def load_image():
    """The test image in podman's store, as Docker has it now (cheap when unchanged)."""
    save = subprocess.Popen(["docker", "save", stlib.IMAGE], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE)
    res = subprocess.run(PODMAN + ["load", "-q"], stdin=save.stdout, capture_output=True,
                         text=True, timeout=120)
    save.stdout.close()
    check(save.wait(60) == 0 and res.returncode == 0, "docker save %s | podman load failed: "
          "%s" % (stlib.IMAGE, res.stderr.strip()))


class Pod:
    """One podman container of the test; removed (podman rm -f) at the end."""

    def __init__(self, name):
        self.name = name
        self.id = None
        self.pid = 0

    def refresh(self):
        data = json.loads(podman("inspect", "--type", "container", self.name).stdout)
        check(isinstance(data, list) and len(data) == 1, "podman inspect %s: %r"
              % (self.name, data))
        self.id = data[0]["Id"]
        self.pid = data[0]["State"]["Pid"]
        return data[0]

    def exists(self):
        return podman("container", "exists", self.name, check_rc=False).returncode == 0

    def remove(self):
        podman("rm", "-f", "-t", "0", self.name, check_rc=False, timeout=60)


def run(mine, name, *cmd, args=(), image=IMAGE):
    """podman run -d --network none --name NAME [args] image cmd..."""
    c = Pod(name)
    mine.append(c)
    podman("run", "-d", "--network", "none", *ULIMITS, "--name", name, *args, image, *cmd)
    data = c.refresh()
    check(data["State"]["Running"] and c.pid > 0, "podman container %s is not running: %s"
          % (name, data["State"]))
    return c


def cleanup(mine):
    for c in mine:
        c.remove()


def monitor_of(names):
    args = []
    for n in names:
        args += ["--container", n]
    return PodmanMonitor(*args)


def of(c, kind):
    return lambda r: r.get("type") == kind and get(r, "container.name") == c.name


def cgroup_of(pid):
    """The container's cgroup2 path, from /proc/PID/cgroup (its 0:: line)."""
    with open("/proc/%d/cgroup" % pid) as f:
        for line in f:
            if line.startswith("0::"):
                return line[3:].strip()
    fail("/proc/%d/cgroup has no cgroup2 line" % pid)


def signals_to(tl, pid):
    return [ev.get("signal") for ev in tl.get("events") or []
            if ev.get("event") == "signal_generate" and get(ev, "process.pid") == pid]


def check_identity(rec, c, cgroup, what):
    expect(rec, "container.id", c.id, what)
    expect(rec, "container.name", c.name, what)
    expect(rec, "container.runtime", "podman", what)
    expect(rec, "container.cgroup", cgroup, what)


def check_sender(tl, what):
    """The stop signal came from the OCI runtime, run by podman."""
    sender = tl.get("sender") or {}
    check(sender.get("comm") in ("runc", "crun") and not sender.get("from_inside"),
          "%s: sender is %r, want runc or crun from outside: %s" % (what, sender, short(tl, 1500)))
    chain = [a.get("comm") for a in sender.get("ancestry") or []]
    check(chain[:1] == ["podman"], "%s: the sender's ancestry is %r, want podman first (podman "
          "runs the OCI runtime's kill)" % (what, chain))


def one(mon, pred, what):
    found = mon.find(pred)
    check(len(found) == 1, "%d %s, want 1:\n%s" % (len(found), what, "\n".join(
        "    " + short(r, 800) for r in found)))
    return found[0]


def check_removal(tl, c, cgroup, what):
    """The caller is podman: podman rm, or the podman container cleanup that
    conmon runs at the exit of a --rm container (conmon's own removals of
    its files at the exit come first, and are not the removal's caller)."""
    check_identity(tl, c, cgroup, what)
    expect(tl, "outcome", "removed", what)
    expect(tl, "caller.comm", "podman", what)
    counts = tl.get("counts") or {}
    check(counts.get("unlink", 0) >= 1 and counts.get("rmdir", 0) >= 1, "%s counts %r: its "
          "layer and overlay-containers/<id> go in a removal" % (what, counts))


# ---------------------------------------------------------------- tests

def test_podman_stop_then_rm():
    """podman stop -t 2 of sleep: one stop_timeline (stop_signal_ignored, SIGTERM
    from runc run by podman, SIGKILL after 2 s), no removal_timeline; the later
    podman rm is the one removal."""
    require_podman()
    load_image()
    mine = []
    c_name = new_name()
    try:
        with monitor_of([c_name]) as mon:
            mon.start()
            c = run(mine, c_name, "sleep", "300")
            cgroup = cgroup_of(c.pid)
            check(cgroup == "/libpod_parent/libpod-" + c.id, "bench: podman with cgroupfs put "
                  "%s in %s, want /libpod_parent/libpod-<id>" % (c.name, cgroup))
            time.sleep(0.5)
            podman("stop", "-t", "2", c.name, timeout=60)
            check(c.exists(), "bench: %s is gone after podman stop" % c.name)
            tl = mon.wait_for(of(c, "stop_timeline"), TIMEOUT, "stop_timeline of " + c.name)
            time.sleep(QUIET)
            early = mon.find(of(c, "removal_timeline"))
            check(not early, "podman stop of %s wrote a removal_timeline; the container still "
                  "exists: %s" % (c.name, short(early[0], 800) if early else ""))
            mark = mon.mark()
            podman("rm", c.name, timeout=60)
            check(not c.exists(), "bench: %s still exists after podman rm" % c.name)
            rm = mon.wait_for(of(c, "removal_timeline"), TIMEOUT, "removal_timeline of "
                              + c.name, since=mark)
            time.sleep(QUIET)
            mon.stop()
            what = "stop_timeline of podman container %s" % c.name
            tl = one(mon, of(c, "stop_timeline"), "stop_timelines of " + c.name)
            check_identity(tl, c, cgroup, what)
            expect(tl, "stop_signal", "SIGTERM", what)
            expect(tl, "configured_stop_signal", "SIGTERM", what)
            expect(tl, "verdict", "stop_signal_ignored", what)
            expect(tl, "exit.signal", "SIGKILL", what)
            expect(tl, "init.pid", c.pid, what)
            reason = tl.get("reason") or ""
            check("podman run --init" in reason and "docker" not in reason, "%s: the reason's "
                  "fix does not name podman's init (podman run --init), or names docker's: %s"
                  % (what, reason))
            check_sender(tl, what)
            grace = tl.get("grace_ms")
            check(type(grace) is int and 1900 <= grace <= 4000, "%s: grace_ms %r, want about "
                  "2000 (podman stop -t 2)" % (what, grace))
            sigs = signals_to(tl, c.pid)
            check(sigs[:1] == ["SIGTERM"] and "SIGKILL" in sigs, "%s: want SIGTERM then "
                  "SIGKILL to PID 1, got %r" % (what, sigs))
            rm = one(mon, of(c, "removal_timeline"), "removal_timelines of " + c.name)
            check_removal(rm, c, cgroup, "removal_timeline of " + c.name)
    finally:
        cleanup(mine)


HANDLER = "trap 'exit 0' USR1; sleep 300 & wait"


def _commit_stopsignal(sig):
    """An image whose STOPSIGNAL is sig (podman commit --change), built once per run."""
    image = "localhost/st-podcompose/stopsignal:" + sig.lower()
    base = new_name()
    podman("create", "--name", base, IMAGE, "true")
    try:
        podman("commit", "-q", "--change", "STOPSIGNAL " + sig, base, image)
    finally:
        podman("rm", "-f", base, check_rc=False)
    return image


def _check_handled(mon, c, sig, what):
    tl = one(mon, of(c, "stop_timeline"), "stop_timelines of " + c.name)
    check_identity(tl, c, "/libpod_parent/libpod-" + c.id, what)
    expect(tl, "configured_stop_signal", sig, what)
    expect(tl, "stop_signal", sig, what)
    expect(tl, "verdict", "graceful", what)
    expect(tl, "exit.code", 0, what)
    check_sender(tl, what)
    sigs = signals_to(tl, c.pid)
    check(sigs[:1] == [sig] and "SIGKILL" not in sigs, "%s: want %s and no SIGKILL to PID 1, "
          "got %r" % (what, sig, sigs))


def test_podman_stop_signal():
    """--stop-signal SIGUSR1, and an image's STOPSIGNAL SIGUSR2, each handled by
    PID 1: podman stop sends it, the stop_timeline's configured_stop_signal is
    what podman's state holds, and the stop is graceful."""
    require_podman()
    load_image()
    image = _commit_stopsignal("SIGUSR2")
    mine = []
    flag, img = new_name(), new_name()
    try:
        with monitor_of([flag, img]) as mon:
            mon.start()
            a = run(mine, flag, "sh", "-c", HANDLER, args=("--stop-signal", "SIGUSR1"))
            b = run(mine, img, "sh", "-c", HANDLER.replace("USR1", "USR2"), image=image)
            # podman 4 inspects it as a number, later podman by name
            check(b.refresh()["Config"]["StopSignal"] in (12, "SIGUSR2"), "bench: podman does "
                  "not take the image's STOPSIGNAL SIGUSR2 for %s" % b.name)
            time.sleep(1.0)  # the shells set their traps
            for c in (a, b):
                podman("stop", "-t", "10", c.name, timeout=60)
                mon.wait_for(of(c, "stop_timeline"), TIMEOUT, "stop_timeline of " + c.name)
            time.sleep(QUIET)
            mon.stop()
            _check_handled(mon, a, "SIGUSR1", "stop_timeline of %s (--stop-signal)" % a.name)
            _check_handled(mon, b, "SIGUSR2", "stop_timeline of %s (STOPSIGNAL)" % b.name)
            for c in (a, b):
                check(not mon.find(of(c, "removal_timeline")), "podman stop of %s wrote a "
                      "removal_timeline" % c.name)
    finally:
        cleanup(mine)
        podman("rmi", image, check_rc=False)


def test_podman_run_rm_and_rm_force():
    """podman run --rm, stopped (conmon's exit command removes it), and podman
    rm -f -t 0 of a running container: one stop_timeline and exactly one
    removal_timeline each."""
    require_podman()
    load_image()
    mine = []
    auto, forced = new_name(), new_name()
    try:
        with monitor_of([auto, forced]) as mon:
            mon.start()
            a = run(mine, auto, "sleep", "300", args=("--rm",))
            f = run(mine, forced, "sleep", "300")
            time.sleep(0.5)
            podman("stop", "-t", "1", a.name, timeout=60)
            podman("rm", "-f", "-t", "0", f.name, timeout=60)
            for c in (a, f):
                mon.wait_for(of(c, "removal_timeline"), TIMEOUT, "removal_timeline of "
                             + c.name)
                check(not c.exists(), "bench: %s still exists" % c.name)
            time.sleep(QUIET)
            mon.stop()
            for c, verdict in ((a, "stop_signal_ignored"), (f, "killed_without_grace")):
                what = "stop_timeline of %s" % c.name
                tl = one(mon, of(c, "stop_timeline"), "stop_timelines of " + c.name)
                check_identity(tl, c, "/libpod_parent/libpod-" + c.id, what)
                expect(tl, "verdict", verdict, what)
                rm = one(mon, of(c, "removal_timeline"), "removal_timelines of " + c.name)
                check_removal(rm, c, "/libpod_parent/libpod-" + c.id,
                              "removal_timeline of " + c.name)
                note("%s: %s, %s" % (c.name, tl.get("verdict"), tl.get("reason")))
    finally:
        cleanup(mine)


def _cgroup_dirs(rel):
    """Every mounted cgroup hierarchy's directory for path rel (v1 and v2)."""
    return [os.path.join(point, rel.lstrip("/")) for point, fstype, _ in stlib._mounts()
            if fstype in ("cgroup", "cgroup2")]


def _remove_cgroup(rel):
    for d in _cgroup_dirs(rel):
        for sub in sorted((os.path.join(d, e) for e in os.listdir(d)
                           if os.path.isdir(os.path.join(d, e))) if os.path.isdir(d) else []):
            try:
                os.rmdir(sub)
            except OSError:
                pass
        try:
            os.rmdir(d)
        except OSError:
            pass


def _lookalike(root, rel):
    """A host process in cgroup rel of the unified hierarchy that gets SIGTERM,
    then SIGKILL: a stop, had it been a container."""
    path = os.path.join(root, rel.lstrip("/"))
    os.makedirs(path)
    pid = os.fork()
    if pid == 0:
        try:
            with open(os.path.join(path, "cgroup.procs"), "w") as f:
                f.write("0")
            os.kill(os.getpid(), 19)  # SIGSTOP until the SIGKILL below
        finally:
            os._exit(0)
    time.sleep(0.5)
    os.kill(pid, 15)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    os.rmdir(path)


def test_podman_cgroup_parent_by_state():
    """podman run --cgroup-parent /st-podcompose-<x>: a libpod-<id> cgroup under a
    parent of its own is podman's container because podman's store knows the id
    (overlay-containers/<id>/), before and after the monitor starts; a
    libpod-<64 hex> cgroup there that podman's store does not know is no
    container, and writes nothing."""
    require_podman()
    load_image()
    root = stlib.cgroup2_root()
    check(root, "no cgroup2 hierarchy mounted")
    parent = "/" + new_name()
    mine = []
    before, after = new_name(), new_name()
    fake = secrets.token_hex(32)
    try:
        b = run(mine, before, "sleep", "300", args=("--cgroup-parent", parent))
        check(os.path.isdir(os.path.join(STORE, b.id)), "bench: podman's store has no "
              "%s/%s" % (STORE, b.id))
        # the replay knows no host state: it cannot tell these cgroups are podman's
        mon = monitor_of([before, after])
        mon.recording = None
        with mon:
            mon.start()
            a = run(mine, after, "sleep", "300", args=("--cgroup-parent", parent))
            _lookalike(root, parent + "/libpod-" + fake)
            for c in (b, a):
                check(cgroup_of(c.pid) == "%s/libpod-%s" % (parent, c.id), "bench: %s is in "
                      "%s, want %s/libpod-<id>" % (c.name, cgroup_of(c.pid), parent))
                podman("stop", "-t", "1", c.name, timeout=60)
                mon.wait_for(of(c, "stop_timeline"), TIMEOUT, "stop_timeline of " + c.name)
            time.sleep(QUIET)
            mon.stop()
            for c in (b, a):
                what = "stop_timeline of %s (--cgroup-parent %s)" % (c.name, parent)
                tl = one(mon, of(c, "stop_timeline"), "stop_timelines of " + c.name)
                check_identity(tl, c, "%s/libpod-%s" % (parent, c.id), what)
                expect(tl, "verdict", "stop_signal_ignored", what)
                check_sender(tl, what)
        # --container filters by name: the look-alike must not appear unfiltered either
        with PodmanMonitor("--events") as raw:
            raw.recording = None
            raw.start()
            _lookalike(root, parent + "/libpod-" + fake)
            time.sleep(1.5)
            raw.stop()
            seen = [r for r in raw.records if get(r, "container.id") == fake
                    or fake in (get(r, "container.cgroup") or "")]
            check(not seen, "records for the look-alike cgroup %s/libpod-%s that podman's "
                  "store does not know: %s" % (parent, fake, short(seen[0], 800) if seen else ""))
    finally:
        cleanup(mine)
        _remove_cgroup(parent)
