# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The command line as an operator meets it: errors name the cause and the fix,
bad usage exits 2, other errors 1, SIGTERM ends the monitor cleanly."""

import json
import os
import signal
import subprocess
import time

from stlib import Monitor, check, require_root, skip

BINARY = os.path.abspath(os.environ.get("STOPTRACE", "./stoptrace"))


def run(argv, timeout=20):
    return subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout)


def test_cli_bad_usage():
    cases = [
        (["--format", "xml"], "--format takes 'text' or 'json', not 'xml'"),
        (["--stop-alert-after", "-5"], "--stop-alert-after takes 1 to 86400 seconds"),
        (["--teardown-timeout", "3x"], "--teardown-timeout takes 1 to 86400 seconds"),
        (["--ringbuf-size", "3"], "--ringbuf-size takes a power of two"),
        (["--storage-root", "relative/dir"], "--storage-root takes an absolute path"),
        (["frobnicate"], "unknown command 'frobnicate'"),
        (["--no-such-option"], "Try 'stoptrace --help'"),
    ]
    for args, want in cases:
        r = run([BINARY] + args)
        err = r.stderr.decode(errors="replace")
        check(r.returncode == 2, "%s: exit %d, want 2 (stderr: %r)" % (args, r.returncode, err))
        check(want in err, "%s: stderr %r lacks %r" % (args, err, want))
        check(r.stdout == b"", "%s: printed on stdout: %r" % (args, r.stdout[:200]))


def test_cli_help_and_version():
    r = run([BINARY, "--help"])
    out = r.stdout.decode()
    check(r.returncode == 0, "--help exit %d" % r.returncode)
    for want in ("USAGE", "EXAMPLES", "--format", "--output", "--events", "--container",
                 "--stop-alert-after", "--teardown-timeout", "--storage-root",
                 "--syslog[=SOCKET]", "--metrics-file PATH"):
        check(want in out, "--help lacks %r" % want)
    r = run([BINARY, "--version"])
    check(r.returncode == 0 and r.stdout.startswith(b"stoptrace "),
          "--version: exit %d, %r" % (r.returncode, r.stdout))


def test_cli_not_root():
    """Without privileges: one line naming the cause and the fix, exit 1."""
    if os.geteuid() == 0:
        argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", BINARY]
    else:
        argv = [BINARY]
    r = run(argv)
    err = r.stderr.decode(errors="replace")
    check(r.returncode == 1, "exit %d, want 1 (stderr %r)" % (r.returncode, err))
    check("needs root or CAP_BPF+CAP_PERFMON" in err, "stderr %r does not say what it needs" % err)
    check(len(err.strip().splitlines()) == 1, "more than one line: %r" % err)
    check(r.stdout == b"", "printed records without privileges: %r" % r.stdout[:200])


def test_cli_output_unwritable():
    require_root()
    r = run([BINARY, "--output", "/nonexistent-dir/out.jsonl"])
    err = r.stderr.decode(errors="replace")
    check(r.returncode == 1, "exit %d, want 1 (stderr %r)" % (r.returncode, err))
    check("cannot open output file '/nonexistent-dir/out.jsonl'" in err and
          "No such file or directory" in err, "stderr %r" % err)


def test_cli_sigterm_stops_cleanly():
    """SIGTERM, like SIGINT, ends with monitor_stopped and exit 0."""
    require_root()
    with Monitor() as mon:
        mon.start()
        mon.proc.send_signal(signal.SIGTERM)
        try:
            rc = mon.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            skip_msg = "monitor did not exit within 20 s of SIGTERM"
            check(False, skip_msg)
        check(rc == 0, "exit %d after SIGTERM, want 0" % rc)
        with open(mon.output, "rb") as f:
            lines = [json.loads(l) for l in f.read().splitlines() if l.strip()]
        check(lines and lines[0]["type"] == "monitor_started", "first record not monitor_started")
        check(lines[-1]["type"] == "monitor_stopped", "last record %r" % lines[-1].get("type"))
        check(lines[-1]["records"] == len(lines),
              "monitor_stopped counts %d records, file has %d" % (lines[-1]["records"], len(lines)))


def test_cli_stats_interval():
    """--stats-interval 1 gives monitor_stats records with the counters."""
    require_root()
    with Monitor("--stats-interval", "1") as mon:
        mon.start()
        rec = mon.wait_for(lambda r: r.get("type") == "monitor_stats", 10, "monitor_stats")
        for key in ("records", "lost", "sink_errors", "containers", "open_stops",
                    "alert_latency_ms"):
            check(key in rec, "monitor_stats lacks %r: %r" % (key, rec))
        check(rec["lost"] == 0, "records lost on an idle host: %r" % rec)
        mon.stop()


_ = (time, skip)
