# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Removal evidence only from trusted callers (issue 13, item 1).

Hostile tenants and host users make unmount and removal calls whose path text
names container storage, and processes that call themselves runc or dockerd.
None of it may become removal evidence: every test asserts that the monitor
wrote no rootfs_removal_failed alert and no removal_timeline, and that a
bystander's `docker stop -t 2` of a `sleep` is still judged
stop_signal_ignored. With --events, a container's own call is that
container's event, its path marked "path_view": "container"; a host user's
call is dropped in the kernel (counted in fs_untrusted).

- traversal to a host canary: a default container makes
  /var/lib/docker/overlay2/<its layer>/diff in its rootfs and, as uid 65534,
  unlinks <that>/../../../../../../../../<canary> (EPERM: a root-owned file
  in a sticky directory of its own rootfs); on the host, a canary at the path
  the text names is watched with inotify and must see no open or access;
- the same naming the bystander's layer;
- an unprivileged host user failing an unlink under /var/lib/docker (EACCES);
- processes named runc and dockerd in a container, and under unshare -Urm on
  the host (whose successful and failing calls in the bystander's upper dir
  must count for nothing);
- umount2 from a --privileged container and from a seccomp-unconfined one.

The calls are made by tests/helpers/fscall.c (static): the test image has it
as /bin/fscall once tools/testbench built it; until then a copy built here is
bind-mounted into the containers.
"""

import ctypes
import os
import shutil
import struct
import subprocess
import tempfile
import time

import stlib
from stlib import check, fail, get, note, short
from test_timelines import Background, _mine, _remove, _setup, _start, _verdict

HERE = os.path.dirname(os.path.abspath(__file__))
HELPER_SRC = os.path.normpath(os.path.join(HERE, "..", "helpers", "fscall.c"))
IN_ACCESS = 0x1
IN_OPEN = 0x20
EPERM, EACCES, EBUSY, EISDIR, EINVAL, ENOTEMPTY = 1, 13, 16, 21, 22, 39
EVENT_TIMEOUT = 15
QUIET = 4           # s after the attacks for a forged record to show up

_built = {}


def _host_helper():
    """A static build of fscall.c in a directory any user may read."""
    if "path" in _built and os.path.exists(_built["path"]):
        return _built["path"]
    cc = shutil.which("gcc") or shutil.which("cc")
    if not cc:
        stlib.skip("no C compiler to build tests/helpers/fscall.c")
    d = tempfile.mkdtemp(prefix="st-fscall-")
    os.chmod(d, 0o755)
    out = os.path.join(d, "fscall")
    res = subprocess.run([cc, "-static", "-O2", "-o", out, HELPER_SRC], capture_output=True,
                         text=True, stdin=subprocess.DEVNULL)
    check(res.returncode == 0, "cannot build %s: %s" % (HELPER_SRC, res.stderr.strip()))
    os.chmod(out, 0o755)
    _built["path"] = out
    return out


def _fscall_in_image():
    if "image" not in _built:
        res = stlib.docker("run", "--rm", "--network", "none", stlib.IMAGE, "test", "-x",
                           "/bin/fscall", check=False)
        _built["image"] = res.returncode == 0
    return _built["image"]


def _attacker(*docker_args):
    """A container that sleeps, with fscall at /bin/fscall or /st-bin/fscall."""
    args = list(docker_args)
    if _fscall_in_image():
        path = "/bin/fscall"
    else:
        args += ["-v", "%s:/st-bin/fscall:ro" % _host_helper()]
        path = "/st-bin/fscall"
    c = _start("sleep", "1000", docker_args=args)
    c.fscall = path
    return c


def _layer(c):
    up = stlib.docker("inspect", "--type", "container", "-f",
                      "{{.GraphDriver.Data.UpperDir}}", c.name).stdout.strip()
    check(up.startswith("/var/lib/docker/overlay2/") and up.endswith("/diff"),
          "UpperDir of %s is %r, not under /var/lib/docker/overlay2" % (c.name, up))
    return up


def _exec(c, *argv, user=None):
    args = ["exec"] + (["-u", user] if user else []) + [c.name] + list(argv)
    return stlib.docker(*args).stdout


def _call(c, op, path, comm=None, user=None):
    """fscall in c; returns the negative errno (0 for success)."""
    argv = [c.fscall] + (["-c", comm] if comm else []) + [op, path]
    return _result(_exec(c, *argv, user=user), op)


def _host_call(prefix, op, path, comm=None):
    argv = list(prefix) + [_host_helper()] + (["-c", comm] if comm else []) + [op, path]
    res = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                         timeout=30)
    check(res.returncode == 0, "%s failed (%d): %s" % (argv, res.returncode, res.stderr))
    return _result(res.stdout, op)


def _result(out, op):
    line = out.strip().splitlines()[-1] if out.strip() else ""
    check(line.startswith(op + " ") and " -> " in line, "fscall printed %r" % out)
    return int(line.rsplit(" -> ", 1)[1])


class Canary:
    """A host file watched for opens and reads: inotify (on it and its
    directory) says whether anything opened it, fanotify says who."""

    FAN_CLASS_NOTIF, FAN_CLOEXEC, FAN_NONBLOCK, FAN_MARK_ADD = 0, 1, 2, 1
    FAN_ACCESS, FAN_OPEN = 0x1, 0x20
    AT_FDCWD = -100

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="st-canary-", dir="/tmp")
        self.file = os.path.join(self.dir, "victim")
        with open(self.file, "w") as f:
            f.write("canary\n")
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.fd = self.libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        check(self.fd >= 0, "inotify_init1 failed: errno %d" % ctypes.get_errno())
        self.wds = {}
        for p in (self.file, self.dir):
            wd = self.libc.inotify_add_watch(self.fd, p.encode(), IN_OPEN | IN_ACCESS)
            check(wd >= 0, "inotify_add_watch %s failed: errno %d" % (p, ctypes.get_errno()))
            self.wds[wd] = p
        self.libc.fanotify_mark.argtypes = [ctypes.c_int, ctypes.c_uint, ctypes.c_uint64,
                                            ctypes.c_int, ctypes.c_char_p]
        self.fan = self.libc.fanotify_init(self.FAN_CLASS_NOTIF | self.FAN_CLOEXEC
                                           | self.FAN_NONBLOCK, os.O_RDONLY)
        check(self.fan >= 0, "fanotify_init failed: errno %d" % ctypes.get_errno())
        for p in (self.file, self.dir):
            rc = self.libc.fanotify_mark(self.fan, self.FAN_MARK_ADD,
                                         self.FAN_OPEN | self.FAN_ACCESS, self.AT_FDCWD,
                                         p.encode())
            check(rc == 0, "fanotify_mark %s failed: errno %d" % (p, ctypes.get_errno()))
        # the watches work: an open of ours is seen by both (and drained)
        with open(self.file) as f:
            f.read()
        check(self.events(), "inotify saw no open of the canary by the test itself")
        check(any(pid == os.getpid() for pid, _ in self.openers()),
              "fanotify saw no open of the canary by the test itself")

    def events(self):
        """The inotify events since the last call: (path, mask, name) each."""
        out = []
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return out
            if not data:
                return out
            off = 0
            while off + 16 <= len(data):
                wd, mask, _cookie, length = struct.unpack_from("iIII", data, off)
                name = data[off + 16:off + 16 + length].rstrip(b"\0").decode("utf-8", "replace")
                out.append((self.wds.get(wd, "?"), mask, name))
                off += 16 + length

    def openers(self):
        """The fanotify events since the last call: (pid, its executable) each."""
        out = []
        while True:
            try:
                data = os.read(self.fan, 65536)
            except BlockingIOError:
                return out
            off = 0
            while off + 24 <= len(data):
                length, _vers, _res, _mlen, _mask, fd, pid = struct.unpack_from("IBBHQii",
                                                                                 data, off)
                if fd >= 0:
                    os.close(fd)
                try:
                    exe = os.readlink("/proc/%d/exe" % pid)
                except OSError:
                    exe = "?"
                out.append((pid, exe))
                off += length if length else 24

    def check_untouched(self, mon):
        """Nothing opened it; the monitor under test least of all."""
        who = self.openers()
        seen = self.events()
        mine = [(pid, exe) for pid, exe in who if pid == mon.proc.pid]
        check(not mine, "the monitor (pid %d) opened the host canary %s that a container "
              "named" % (mon.proc.pid, self.file))
        others = [(pid, exe) for pid, exe in who if pid != mon.proc.pid]
        if others and all(os.path.basename(exe).startswith("stoptrace") or exe == "?"
                          for _, exe in others):
            # other monitors on a shared bench (older builds, some gone by now) fell for it
            note("other monitors on this host opened the canary: %s" % others)
            return
        check(not seen, "the host canary %s was opened or read after a container named "
              "it: %s (by %s)" % (self.file, seen, who))

    def close(self):
        os.close(self.fd)
        os.close(self.fan)
        shutil.rmtree(self.dir, ignore_errors=True)


def _no_forged(mon, by, attackers):
    """No rootfs_removal_failed alert for the test's containers; no removal
    timeline for an attacker (none is stopped or removed while the monitor
    runs); the bystander's (dockerd unmounts its rootfs at the stop) with no
    failure in it. Other containers on the bench come and go: their removals
    are Docker's own."""
    ids = {c.id for c in (by,) + tuple(attackers)}
    bad = [r for r in mon.poll() if get(r, "container.id") in ids
           and r.get("type") == "alert" and r.get("kind") == "rootfs_removal_failed"]
    for r in mon.poll():
        if r.get("type") != "removal_timeline" or get(r, "container.id") not in ids:
            continue
        if (get(r, "container.id") != by.id or r.get("outcome") != "removed"
                or get(r, "counts.failed") != 0 or r.get("failures")):
            bad.append(r)
    if bad:
        fail("forged removal records:\n%s" % "\n".join("    " + short(r, 800) for r in bad))


def _none(recs, what):
    if recs:
        fail("%s: %s" % (what, short(recs[0], 800)))


def _fs_events(mon, c=None):
    return [r for r in mon.poll() if stlib.is_event(r, "fs_call")
            and (c is None or get(r, "container.id") == c.id)]


def _wait_fs_event(mon, c, syscall, errno_value, since=0):
    def pred(r):
        return (stlib.is_event(r, "fs_call") and get(r, "container.id") == c.id
                and r.get("syscall") == syscall and r.get("ret") == -errno_value)
    rec = mon.wait_for(pred, EVENT_TIMEOUT, "the %s event of %s" % (syscall, c.name), since)
    check(rec.get("path_view") == "container",
          "a container's call is not marked as its own view: %s" % short(rec, 800))
    return rec


def _attack_events(mon, needle):
    """The fs_call events whose path holds needle (the attack's own text)."""
    return [r for r in _fs_events(mon) if needle in (r.get("path") or "")]


def _container_views(mon, att, needle):
    """Every event of the attack's calls is the attacker's own, in its view."""
    recs = _attack_events(mon, needle)
    check(recs, "no event of the attack's calls (%s) at all: %s" % (needle, mon.summary()))
    for r in recs:
        check(r.get("path_view") == "container" and get(r, "container.id") == att.id,
              "an attack's call is not its container's own view: %s" % short(r, 800))


def _bystander_stop(mon, by):
    stop = Background(["docker", "stop", "-t", "2", by.name])
    stop.wait()
    tl = mon.wait_for(_mine(by, "stop_timeline"), 30, "stop_timeline of %s" % by.name)
    _verdict(tl, "stop_signal_ignored")


def _finish(mon, by, *others):
    _bystander_stop(mon, by)
    time.sleep(QUIET)
    _no_forged(mon, by, others)
    return mon.stop()


def _monitor():
    mon = stlib.Monitor("--removal-hooks", "always")
    started = mon.start()
    trust = started.get("trust")
    check(isinstance(trust, dict) and "host_mntns_known" in trust,
          "monitor_started has no trust object: %s" % short(started, 1500))
    note("trust: %s" % short(trust, 600))
    return mon


def _traversal(target_layer_of):
    _setup()
    canary = Canary()
    try:
        by = _start("sleep", "1000")
        att = _attacker()
        with _monitor() as mon:
            fake = _layer(target_layer_of(att, by))
            _exec(att, "sh", "-c", 'mkdir -p "$1" "$2" && chmod 1777 "$2" && touch "$2/victim"',
                  "sh", fake, canary.dir)
            text = fake + "/.." * 8 + canary.file
            since = mon.mark()
            for op in ("unlink", "unlinkat"):
                ret = _call(att, op, text, user="65534")
                check(ret == -EPERM, "%s of a root file in a sticky directory as 65534: %d, "
                      "want -EPERM" % (op, ret))
            _wait_fs_event(mon, att, "unlink", EPERM, since)
            _wait_fs_event(mon, att, "unlinkat", EPERM, since)
            _container_views(mon, att, fake + "/..")
            _finish(mon, by, att)
            canary.check_untouched(mon)
            _remove(att)
    finally:
        canary.close()


# ---------------------------------------------------------------- tests

def test_traversal_to_host_canary():
    """Its own layer: no alert, no timeline, the host canary never opened."""
    _traversal(lambda att, by: att)


def test_traversal_naming_another_layer():
    """The bystander's layer: the bystander gets no removal record."""
    _traversal(lambda att, by: by)


def test_unprivileged_host_user():
    """uid 65534 on the host, unlink under /var/lib/docker: EACCES, dropped in the kernel."""
    _setup()
    if not shutil.which("setpriv"):
        stlib.skip("setpriv (util-linux) is not installed")
    by = _start("sleep", "1000")
    with _monitor() as mon:
        target = _layer(by) + "/etc/hostname"
        nobody = ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"]
        for op in ("unlink", "unlinkat", "rmdir"):
            ret = _host_call(nobody, op, target)
            check(ret == -EACCES, "%s of %s as uid 65534: %d, want -EACCES" % (op, target, ret))
        _none(_attack_events(mon, target), "a host user's call became an event")
        stopped = _finish(mon, by)
        check(stopped.get("fs_untrusted", 0) >= 3,
              "monitor_stopped counts %r untrusted calls, want at least the 3 made: %s"
              % (stopped.get("fs_untrusted"), short(stopped, 1200)))


def test_runtime_comms_in_a_container():
    """runc and dockerd by comm in a default container: successes never recorded,
    failures its own events only."""
    _setup()
    by = _start("sleep", "1000")
    att = _attacker()
    with _monitor() as mon:
        fake = _layer(att)
        ok_a, ok_b = "/tmp/st-ok-a-" + att.name, "/tmp/st-ok-b-" + att.name
        _exec(att, "sh", "-c", 'mkdir -p "$1/full" && touch "$1/full/f" "$2" "$3"', "sh",
              fake, ok_a, ok_b)
        since = mon.mark()
        check(_call(att, "unlink", ok_a, comm="runc") == 0, "unlink %s failed" % ok_a)
        check(_call(att, "unlinkat", ok_b, comm="dockerd") == 0, "unlinkat %s failed" % ok_b)
        check(_call(att, "rmdir", fake + "/full", comm="runc") == -ENOTEMPTY,
              "rmdir of a full directory did not fail with ENOTEMPTY")
        check(_call(att, "rmdir", "/", comm="dockerd") == -EBUSY, "rmdir / did not give EBUSY")
        # the layer's own path, in its view: were it taken for the host's, a removal
        check(_call(att, "rmdir", os.path.dirname(fake), comm="dockerd") == -ENOTEMPTY,
              "rmdir of its fake layer did not fail with ENOTEMPTY")
        _wait_fs_event(mon, att, "rmdir", ENOTEMPTY, since)
        _wait_fs_event(mon, att, "rmdir", EBUSY, since)
        _none(_attack_events(mon, "/tmp/st-ok-"), "a container's successful call was recorded")
        _container_views(mon, att, fake + "/full")
        _finish(mon, by, att)
        _remove(att)


def test_runtime_comms_under_unshare():
    """runc and dockerd by comm in a user and mount namespace of the host:
    calls in the bystander's upper dir that work or fail count for nothing."""
    _setup()
    if not shutil.which("unshare"):
        stlib.skip("unshare (util-linux) is not installed")
    by = _start("sh", "-c", "mkdir -p /st-empty /st-full && touch /st-full/f; exec sleep 1000")
    up = _layer(by)
    deadline = time.monotonic() + 10
    while not os.path.exists(up + "/st-full/f"):
        check(time.monotonic() < deadline, "the bystander's directories did not appear")
        time.sleep(0.1)
    with _monitor() as mon:
        userns = ["unshare", "-Urm"]
        ret = _host_call(userns, "rmdir", up + "/st-full", comm="runc")
        check(ret == -ENOTEMPTY, "rmdir of a full directory under unshare -Urm: %d" % ret)
        ret = _host_call(userns, "unlink", up + "/st-full", comm="dockerd")
        check(ret == -EISDIR, "unlink of a directory under unshare -Urm: %d" % ret)
        ret = _host_call(userns, "rmdir", up + "/st-empty", comm="runc")
        check(ret == 0, "rmdir of an empty directory under unshare -Urm: %d" % ret)
        # the layer itself: were the caller trusted, this would be a removal
        ret = _host_call(userns, "rmdir", os.path.dirname(up), comm="dockerd")
        check(ret == -ENOTEMPTY, "rmdir of the layer under unshare -Urm: %d" % ret)
        if shutil.which("setpriv"):
            nobody = ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
                      "unshare", "-Urm"]
            ret = _host_call(nobody, "rmdir", up + "/st-full", comm="dockerd")
            check(ret == -EACCES, "rmdir as 65534 under unshare -Urm: %d" % ret)
        _none(_attack_events(mon, up + "/st-"), "a call under unshare became an event")
        stopped = _finish(mon, by)
        check(stopped.get("fs_untrusted", 0) >= 2,
              "monitor_stopped counts %r untrusted calls, want at least 2: %s"
              % (stopped.get("fs_untrusted"), short(stopped, 1200)))


def _umount_from(*docker_args, want):
    _setup()
    by = _start("sleep", "1000")
    att = _attacker(*docker_args)
    with _monitor() as mon:
        merged = _layer(att)[:-len("diff")] + "merged"
        _exec(att, "mkdir", "-p", merged)
        since = mon.mark()
        for op in ("umount", "umount-detach"):
            ret = _call(att, op, merged, comm="dockerd")
            check(ret == -want, "%s %s in the container: %d, want -%d" % (op, merged, ret, want))
        rec = _wait_fs_event(mon, att, "umount", want, since)
        check(get(rec, "caller.comm") == "dockerd", "caller comm %r" % get(rec, "caller.comm"))
        _container_views(mon, att, merged)
        _finish(mon, by, att)
        _remove(att)


# capability names by number (linux/capability.h), for --cap-drop
_CAP_NAMES = ["CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID",
              "SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST",
              "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO",
              "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
              "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE",
              "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM",
              "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE"]


def _privileged_args():
    """--privileged, or where this host's dockerd cannot grant every capability (its own
    bounding set is short, as in some VM sandboxes), the same profile less the capabilities
    it lacks: every other capability, every device, no seccomp, no AppArmor, no masked
    paths. umount2 then reaches both hooks just the same."""
    res = stlib.docker("run", "--rm", "--network", "none", "--privileged", stlib.IMAGE,
                       "true", check=False)
    if res.returncode == 0:
        return ["--privileged"]
    with open("/proc/self/status") as f:
        bnd = int(next(l for l in f if l.startswith("CapBnd:")).split()[1], 16)
    missing = [n for i, n in enumerate(_CAP_NAMES) if not bnd & (1 << i)]
    note("--privileged refused here (%s); using every capability but %s instead"
         % (res.stderr.strip()[:120], ", ".join(missing) or "none"))
    args = ["--cap-add", "ALL", "--security-opt", "seccomp=unconfined",
            "--security-opt", "apparmor=unconfined", "--security-opt", "systempaths=unconfined",
            "--device-cgroup-rule", "a *:* rwm"]
    for n in missing:
        args += ["--cap-drop", n]
    res = stlib.docker("run", "--rm", "--network", "none", *args, stlib.IMAGE, "true",
                       check=False)
    check(res.returncode == 0, "the privileged profile without %s does not run either: %s"
          % (missing, res.stderr.strip()[:200]))
    return args


def test_umount_from_privileged_container():
    """--privileged: umount2 reaches both hooks (EINVAL: not a mount point)."""
    _setup()
    _umount_from(*_privileged_args(), want=EINVAL)


def test_umount_with_cap_sys_admin():
    """--cap-add SYS_ADMIN (seccomp default lets umount2 through then): EINVAL."""
    _umount_from("--cap-add", "SYS_ADMIN", "--security-opt", "apparmor=unconfined",
                 want=EINVAL)


def test_umount_from_seccomp_unconfined_container():
    """seccomp unconfined, no CAP_SYS_ADMIN: umount2 reaches both hooks (EPERM)."""
    _umount_from("--security-opt", "seccomp=unconfined", want=EPERM)
