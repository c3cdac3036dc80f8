# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The monitor built with AddressSanitizer and UndefinedBehaviorSanitizer
(`make stoptrace-asan`) through a real stop: no sanitizer report, no leak.

It runs as an operator runs it (root, capabilities dropped after attach,
its writer threads), sees a container started and stopped with Docker,
and ends on SIGTERM. LeakSanitizer checks at exit by stopping the
process's threads with ptrace from a helper it forks; ASan's verbosity=2
makes it log "Attached to thread", so the test also knows the leak check
ran and did not silently fail to attach. docs/hardening.md.
"""

import os
import re
import secrets
import signal
import subprocess

import stlib
from stlib import check, fail, get, short

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# What sanitizer runtimes print when they find something, or cannot look.
_REPORT = re.compile(
    r"ERROR: (AddressSanitizer|LeakSanitizer)|: runtime error: |"
    r"LeakSanitizer has encountered a fatal error|SUMMARY: (Address|UndefinedBehavior|Leak)"
    r"Sanitizer|WARNING: AddressSanitizer")

SAN_ENV = {
    # verbosity=2: the leak check logs that it attached to the threads
    "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:verbosity=2",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
    "LSAN_OPTIONS": "report_objects=1",
}


def _binary():
    path = os.environ.get("STOPTRACE_ASAN", os.path.join(ROOT, "stoptrace-asan"))
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        fail("%s is not built: run `make stoptrace-asan` (make test builds it)" % path)
    return path


def _reports(text):
    """The lines of text that are (part of) a sanitizer report."""
    return [line for line in text.splitlines() if _REPORT.search(line)]


def test_monitor_under_asan_docker_stop():
    stlib.require_root()
    stlib.require_docker()
    binary = _binary()
    saved = {k: os.environ.get(k) for k in SAN_ENV}
    os.environ.update(SAN_ENV)
    name = "fuzz-san-" + secrets.token_hex(5)
    try:
        with stlib.Monitor() as mon:
            mon.binary = binary
            # ASan makes start-up (BTF, program load) slower
            mon.start(timeout=90)
            stlib._containers.append(name)
            stlib.docker("run", "-d", "--network", "none", "--name", name, stlib.IMAGE,
                         "sleep", "1000")
            cid = stlib.inspect(name)["Id"]
            stlib.docker("stop", "-t", "2", name)
            tl = mon.wait_for(lambda r: r.get("type") == "stop_timeline"
                              and get(r, "container.id") == cid, 60,
                              "the stop_timeline of %s" % name)
            # sleep as PID 1 has no SIGTERM handler: the kernel drops it
            check(get(tl, "verdict") == "stop_signal_ignored",
                  "verdict %r for a `sleep` PID 1 stopped with -t 2, want "
                  "stop_signal_ignored: %s" % (get(tl, "verdict"), short(tl)))
            stlib.docker("rm", name)
            mon.proc.send_signal(signal.SIGTERM)
            try:
                rc = mon.proc.wait(120)
            except subprocess.TimeoutExpired:
                mon.proc.kill()
                mon.proc.wait()
                fail("the ASan monitor still runs 120 s after SIGTERM (killed it)")
            with open(mon.stderr_path, "r", encoding="utf-8", errors="replace") as f:
                err = f.read()
            reports = _reports(err)
            check(not reports, "sanitizer reports on the monitor's stderr:\n%s\n(stderr "
                  "kept in %s)" % ("\n".join(reports[:40]), mon.dir))
            check(rc == 0, "the ASan monitor exited with status %d after SIGTERM, want 0; "
                  "stderr: %s" % (rc, mon.stderr()))
            check("Attached to thread" in err,
                  "LeakSanitizer's exit check did not attach to the monitor's threads "
                  "(no 'Attached to thread' in its stderr): leaks would go unseen; "
                  "stderr: %s" % mon.stderr())
            recs = mon.poll()
            check(recs and recs[-1].get("type") == "monitor_stopped",
                  "last record is not monitor_stopped: %s" % (short(recs[-1]) if recs else
                                                             "(no records)"))
            check(get(recs[-1], "reason") == "signal", "monitor_stopped.reason is %r, want "
                  "'signal': %s" % (get(recs[-1], "reason"), short(recs[-1])))
            # the replay of its recording, by the same binary, under the same checks
            res = subprocess.run([binary, "replay", mon.recording, *mon.replay_args()],
                                 stdin=subprocess.DEVNULL, capture_output=True, timeout=300)
            rerr = res.stderr.decode("utf-8", "replace")
            check(not _reports(rerr), "sanitizer reports from stoptrace replay:\n%s"
                  % "\n".join(_reports(rerr)[:40]))
            check(res.returncode == 0, "the ASan stoptrace replay exited %d: %s"
                  % (res.returncode, rerr[-2000:]))
            live = [line for line in stlib._stream_lines(mon.output)]
            stlib.compare_streams(live, res.stdout.split(b"\n")[:-1] if res.stdout else [],
                                  "the ASan monitor", "its replay")
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
