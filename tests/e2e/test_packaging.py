# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""`make install` as a packager runs it (PREFIX=/usr into a DESTDIR): every file
lands where and with the mode it should, stoptrace(8) renders without a
warning and documents every option of --help, the systemd unit passes
systemd-analyze verify and holds exactly the load set, the logrotate snippet
parses, and the installed binary runs."""

import os
import re
import shutil
import stat
import subprocess
import tempfile

from stlib import check, note

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# docs/capabilities.md: the load set.
LOAD_SET = {"CAP_BPF", "CAP_PERFMON", "CAP_DAC_READ_SEARCH", "CAP_SYS_PTRACE", "CAP_SETPCAP",
            "CAP_SYS_RESOURCE", "CAP_SETUID", "CAP_SETGID"}

INSTALLED = {
    "usr/sbin/stoptrace": 0o755,
    "usr/share/man/man8/stoptrace.8": 0o644,
    "usr/lib/systemd/system/stoptrace.service": 0o644,
    "etc/logrotate.d/stoptrace": 0o644,
}
INSTALLED.update({"usr/share/doc/stoptrace/" + name: 0o644
                  for name in os.listdir(os.path.join(REPO, "docs")) if name.endswith(".md")})


def run(argv, **kw):
    return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=kw.pop("timeout", 300), **kw)


def make_install(dest):
    res = run(["make", "--no-print-directory", "-C", REPO, "install", "DESTDIR=" + dest,
               "PREFIX=/usr"])
    check(res.returncode == 0, "make install failed (status %d):\n%s%s"
          % (res.returncode, res.stdout[-2000:], res.stderr[-2000:]))


def installed_files(dest):
    found = {}
    for top, dirs, files in os.walk(dest):
        for name in files:
            path = os.path.join(top, name)
            found[os.path.relpath(path, dest)] = stat.S_IMODE(os.lstat(path).st_mode)
    return found


def help_options():
    """Every long option `stoptrace --help` lists."""
    res = run([os.path.join(REPO, "stoptrace"), "--help"], timeout=20)
    check(res.returncode == 0, "stoptrace --help: status %d" % res.returncode)
    opts = set(re.findall(r"(?m)^\s+(?:-h, )?(--[a-z][a-z-]*)", res.stdout))
    check(len(opts) >= 10, "found only %r in --help" % sorted(opts))
    return opts


def check_man(page):
    res = run(["groff", "-man", "-Tutf8", "-ww", "-z", page], timeout=60)
    check(res.returncode == 0 and res.stderr == "",
          "groff -man -ww warns about %s:\n%s" % (page, res.stderr))
    if shutil.which("man"):
        env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8")
        res = run(["man", "--warnings=w", "-l", page], env=env, timeout=60)
        check(res.returncode == 0 and res.stderr == "" and "CAPABILITIES" in res.stdout,
              "man -l %s: status %d, stderr %r" % (page, res.returncode, res.stderr))
    with open(page) as f:
        src = f.read()
    check(src.startswith(".\\\"") and re.search(r"(?m)^\.TH STOPTRACE 8 ", src),
          "no .TH STOPTRACE 8 header")
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "OPTIONS", "RECORDS",
                    "SIGNALS", "EXIT STATUS", "CAPABILITIES", "FILES", "EXAMPLES"):
        check(re.search(r'(?m)^\.SH "?%s"?$' % section, src), "no %s section" % section)
    # every option of --help, and those of the commands being added
    for opt in sorted(help_options() | {"--syslog", "--metrics-file", "--record", "--timeout"}):
        check(opt.replace("-", "\\-") in src, "stoptrace(8) does not document %s" % opt)
    for word in ("diagnose", "trace", "replay", "SIGHUP", "SIGTERM", "monitor_started",
                 "CAP_BPF", "CAP_PERFMON"):
        check(word in src, "stoptrace(8) does not mention %s" % word)


def unit_values(text, key):
    return [line.split("=", 1)[1].strip() for line in text.splitlines()
            if line.startswith(key + "=")]


def check_unit(dest, unit):
    with open(unit) as f:
        text = f.read()
    execs = unit_values(text, "ExecStart")
    check(len(execs) == 1, "ExecStart lines: %r" % execs)
    argv = execs[0].split()
    check(argv[0] == "/usr/sbin/stoptrace", "ExecStart runs %s, want /usr/sbin/stoptrace "
          "(PREFIX=/usr)" % argv[0])
    check(argv[1:] == ["--format", "json", "--output", "/var/log/stoptrace/stoptrace.json"],
          "ExecStart arguments %r" % argv[1:])
    for key in ("CapabilityBoundingSet", "AmbientCapabilities"):
        vals = unit_values(text, key)
        check(len(vals) == 1 and set(vals[0].split()) == LOAD_SET,
              "%s is %r, want exactly the load set %s" % (key, vals, sorted(LOAD_SET)))
    for key, want in (("Type", "simple"), ("Restart", "on-failure"), ("NoNewPrivileges", "yes"),
                      ("ProtectSystem", "strict"), ("LogsDirectory", "stoptrace"),
                      ("RestrictAddressFamilies", "AF_UNIX"), ("PrivateTmp", "yes")):
        check(unit_values(text, key) == [want], "%s is %r, want %r"
              % (key, unit_values(text, key), want))
    if not shutil.which("systemd-analyze"):
        note("systemd-analyze not installed: the unit's syntax is not verified")
        return
    # verify checks that ExecStart exists: point it at the installed binary
    copy = os.path.join(dest, "verify", "stoptrace.service")
    os.makedirs(os.path.dirname(copy))
    with open(copy, "w") as f:
        f.write(text.replace("ExecStart=/usr/sbin/stoptrace ",
                             "ExecStart=%s/usr/sbin/stoptrace " % dest))
    res = run(["systemd-analyze", "verify", "--man=no", copy], timeout=60)
    out = (res.stdout + res.stderr).strip()
    check(res.returncode == 0 and out == "",
          "systemd-analyze verify: status %d:\n%s" % (res.returncode, out))


def check_logrotate(dest, snippet):
    if not shutil.which("logrotate"):
        note("logrotate not installed: the snippet is not parsed")
        return
    logdir = os.path.join(dest, "log")
    os.makedirs(logdir)
    with open(os.path.join(logdir, "stoptrace.json"), "w") as f:
        f.write('{"schema":1}\n')
    with open(snippet) as f:
        text = f.read()
    check("/var/log/stoptrace/*.json" in text and "postrotate" in text and "HUP" in text,
          "the logrotate snippet does not rotate /var/log/stoptrace/*.json with SIGHUP")
    conf = os.path.join(dest, "logrotate.conf")
    with open(conf, "w") as f:
        f.write(text.replace("/var/log/stoptrace", logdir))
    os.chmod(conf, 0o644)
    res = run(["logrotate", "-d", "-s", os.path.join(dest, "state"), conf], timeout=60)
    out = res.stdout + res.stderr
    check(res.returncode == 0 and "error" not in out.lower(),
          "logrotate -d: status %d:\n%s" % (res.returncode, out))
    check("considering log %s/stoptrace.json" % logdir in out,
          "logrotate does not consider the log:\n%s" % out)


def test_make_install():
    dest = tempfile.mkdtemp(prefix="stoptrace-install-")
    try:
        make_install(dest)
        found = installed_files(dest)
        check(found == INSTALLED, "installed files and modes:\n  %s\nwant:\n  %s"
              % ("\n  ".join("%o %s" % (m, p) for p, m in sorted(found.items())),
                 "\n  ".join("%o %s" % (m, p) for p, m in sorted(INSTALLED.items()))))
        for doc in ("records.md", "capabilities.md", "deploy.md"):
            check("usr/share/doc/stoptrace/" + doc in found, "%s is not installed" % doc)
        binary = os.path.join(dest, "usr/sbin/stoptrace")
        res = run([binary, "--version"], timeout=20)
        check(res.returncode == 0 and res.stdout.startswith("stoptrace "),
              "installed binary --version: status %d, %r" % (res.returncode, res.stdout))
        check_man(os.path.join(dest, "usr/share/man/man8/stoptrace.8"))
        check_unit(dest, os.path.join(dest, "usr/lib/systemd/system/stoptrace.service"))
        check_logrotate(dest, os.path.join(dest, "etc/logrotate.d/stoptrace"))
    finally:
        shutil.rmtree(dest, ignore_errors=True)


def test_make_install_default_prefix():
    """Without PREFIX: /usr/local, and the unit's ExecStart follows it."""
    dest = tempfile.mkdtemp(prefix="stoptrace-install-")
    try:
        res = run(["make", "--no-print-directory", "-C", REPO, "install", "DESTDIR=" + dest])
        check(res.returncode == 0, "make install failed: %s" % res.stderr[-2000:])
        found = installed_files(dest)
        want = {p.replace("usr/", "usr/local/", 1) if p.startswith("usr/") else p: m
                for p, m in INSTALLED.items()}
        check(found == want, "installed %r, want %r" % (sorted(found), sorted(want)))
        with open(os.path.join(dest, "usr/local/lib/systemd/system/stoptrace.service")) as f:
            execs = unit_values(f.read(), "ExecStart")
        check(execs and execs[0].startswith("/usr/local/sbin/stoptrace "),
              "ExecStart %r" % execs)
    finally:
        shutil.rmtree(dest, ignore_errors=True)


# they need no root: they run for every user
test_make_install.no_root = True
test_make_install_default_prefix.no_root = True
