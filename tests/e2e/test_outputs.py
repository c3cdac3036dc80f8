# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Outputs for log pipelines, against the real programs an operator runs:

- syslog: a real rsyslogd with its own configuration in a temporary
  directory, listening on its own socket; the monitor sends to it with
  --syslog=SOCKET. What rsyslog stored must be what the monitor wrote to its
  own --output, with the facility and severity of each record type.
- rsyslogd killed and started again while the monitor runs: the monitor goes
  on, counts what it could not deliver, and delivers again.
- logrotate: the output file renamed and SIGHUP: no line lost or doubled.
- the metrics file, parsed strictly, after a real container stop.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import stlib
from stlib import Monitor, check, fail, get, note, short

RSYSLOGD = "/usr/sbin/rsyslogd"
FACILITY_DAEMON = 3
SEVERITY = {"alert": 4, "alert_resolved": 5, "stop_timeline": 6, "removal_timeline": 6,
            "monitor_started": 6, "monitor_stats": 6, "monitor_stopped": 6, "event": 7}
SYSLOG_MSG_MAX = 8096       # rsyslog's default maximum message size, header included

# One stored line: facility|severity|msgid|the raw message as received.
_CONF = """\
global(workDirectory="{dir}")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="{sock}" UseSpecialParser="off" ParseHostname="on")
template(name="raw" type="string" string="%syslogfacility%|%syslogseverity%|%msgid%|%rawmsg%\\n")
*.* action(type="omfile" file="{out}" template="raw")
"""

_HEADER = re.compile(r"^<(\d{1,3})>1 (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z) (\S{1,255}) "
                     r"stoptrace (\d+) (\S{1,32}) - (.*)$", re.S)


def _pairs(kv):
    keys = [k for k, _ in kv]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate key")
    return dict(kv)


def strict_json(text, where):
    def const(c):
        raise ValueError("not JSON: " + c)
    try:
        rec = json.loads(text, object_pairs_hook=_pairs, parse_constant=const)
    except ValueError as e:
        fail("%s is not strict JSON (%s): %r" % (where, e, text[:300]))
    check(isinstance(rec, dict), "%s is not a JSON object: %r" % (where, text[:300]))
    return rec


class Rsyslog:
    """rsyslogd -n with a private configuration, socket and log file."""

    def __init__(self):
        if not os.access(RSYSLOGD, os.X_OK):
            stlib.skip("rsyslogd is not installed (tools/testbench up installs rsyslog)")
        self.dir = tempfile.mkdtemp(prefix="stoptrace-rsyslog-")
        self.socket = os.path.join(self.dir, "log.sock")
        self.log = os.path.join(self.dir, "messages")
        self.conf = os.path.join(self.dir, "rsyslog.conf")
        self.pidfile = os.path.join(self.dir, "rsyslogd.pid")
        self.stderr_path = os.path.join(self.dir, "rsyslogd.stderr")
        with open(self.conf, "w") as f:
            f.write(_CONF.format(dir=self.dir, sock=self.socket, out=self.log))
        self.popen = None
        self.pid = None
        stlib._processes.append(self)

    def start(self, timeout=15):
        with open(self.stderr_path, "ab") as err:
            self.popen = subprocess.Popen([RSYSLOGD, "-n", "-f", self.conf, "-i", self.pidfile],
                                          stdin=subprocess.DEVNULL, stdout=err, stderr=err)
        self.pid = self.popen.pid
        deadline = time.monotonic() + timeout
        while not self._listening():
            if self.popen.poll() is not None or time.monotonic() > deadline:
                # a test that needs rsyslogd fails when it cannot run (never skips)
                fail("rsyslogd did not start listening on %s (status %r): %s"
                     % (self.socket, self.popen.poll(), stlib._tail(self.stderr_path)))
            time.sleep(0.1)
        return self

    def _listening(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            s.connect(self.socket)
            return True
        except OSError:
            return False
        finally:
            s.close()

    def crash(self):
        """SIGKILL: no chance to flush or clean up."""
        if self.popen and self.popen.poll() is None:
            self.popen.kill()
        if self.popen:
            self.popen.wait(10)

    def kill(self):
        """The runner's clean-up after the test."""
        self.crash()
        if os.environ.get("STOPTRACE_E2E_KEEP") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)

    def messages(self):
        """[(facility, severity, msgid, raw message)] stored so far, whole lines only."""
        try:
            with open(self.log, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return []
        out = []
        for raw in data.split(b"\n")[:-1]:
            text = raw.decode("utf-8")
            parts = text.split("|", 3)
            check(len(parts) == 4, "rsyslog line not in the test's template: %r" % text[:300])
            out.append((int(parts[0]), int(parts[1]), parts[2], parts[3]))
        return out

    def wait_for(self, pred, timeout, what):
        deadline = time.monotonic() + timeout
        while True:
            msgs = self.messages()
            if any(pred(m) for m in msgs):
                return msgs
            if time.monotonic() > deadline:
                fail("rsyslog stored no %s within %d s (%d messages in %s)"
                     % (what, timeout, len(msgs), self.log))
            time.sleep(0.2)


def check_message(msg, pid):
    """One stored message: facility and severity by record type, the RFC 5424
    header, MSG a strict JSON record of the type its MSGID names. Returns
    (MSG text, record)."""
    facility, severity, msgid, raw = msg
    m = _HEADER.match(raw)
    check(m, "not an RFC 5424 message from stoptrace: %r" % raw[:300])
    pri, _stamp, host, procid, hdr_msgid, body = m.groups()
    check(len(raw.encode()) <= SYSLOG_MSG_MAX, "message of %d bytes, over rsyslog's %d"
          % (len(raw.encode()), SYSLOG_MSG_MAX))
    rec = strict_json(body, "syslog MSG")
    typ = rec.get("type")
    check(typ in SEVERITY, "unknown record type %r in syslog: %s" % (typ, short(rec)))
    check(facility == FACILITY_DAEMON, "%s stored with facility %d, want 3 (daemon)"
          % (typ, facility))
    check(severity == SEVERITY[typ], "%s stored with severity %d, want %d"
          % (typ, severity, SEVERITY[typ]))
    check(int(pri) == FACILITY_DAEMON * 8 + SEVERITY[typ], "%s: PRI %s" % (typ, pri))
    check(msgid == typ and hdr_msgid == typ, "%s: MSGID %r (rsyslog parsed %r)"
          % (typ, hdr_msgid, msgid))
    check(int(procid) == pid, "%s: PROCID %s, want the monitor's pid %d" % (typ, procid, pid))
    check(host == rec["host"], "%s: HOSTNAME %r, record's host %r" % (typ, host, rec["host"]))
    return body, rec


def output_lines(path):
    with open(path, "rb") as f:
        data = f.read()
    check(data.endswith(b"\n"), "%s does not end with a newline" % path)
    return [line.decode("utf-8") for line in data.split(b"\n")[:-1]]


def _setup():
    stlib.require_root()
    stlib.require_docker()


def run_named(name, *cmd):
    """docker run -d a test container under a name chosen before (for --container)."""
    c = stlib.Container(name)
    stlib._containers.append(name)
    stlib.docker("run", "-d", "--network", "none", "--name", name, stlib.IMAGE, *cmd)
    c.refresh()
    return c


def stop_container(c, seconds=1):
    stlib.docker("stop", "-t", str(seconds), c.name, timeout=60)


def wait_timeline(mon, c, timeout=30):
    return mon.wait_for(lambda r: r.get("type") == "stop_timeline"
                        and get(r, "container.id") == c.id, timeout,
                        "stop_timeline of " + c.name)


def test_outputs_syslog_matches_output():
    """Every record reaches rsyslog as RFC 5424, facility daemon, severity by
    type, MSGID the type, MSG byte for byte the line of --output."""
    _setup()
    rs = Rsyslog().start()
    name = stlib.new_name()
    with Monitor("--syslog=" + rs.socket, "--container", name, "--stats-interval", "0") as mon:
        started = mon.start()
        # 100 children killed in the namespace teardown: a timeline too long for one line
        c = run_named(name, "sh", "-c", "for i in $(seq 100); do sleep 1000 & done; wait")
        time.sleep(1)
        stop_container(c)
        tl = wait_timeline(mon, c)
        check(tl["verdict"] == "stop_signal_ignored", "verdict %r: %s" % (tl["verdict"], short(tl)))
        check(tl["events_left_out"] > 0, "the timeline was not cut: %d events, none left out"
              % len(tl["events"]))
        stopped = mon.stop()
        lines = output_lines(mon.output)   # the monitor's directory goes with it
    msgs = rs.wait_for(lambda m: m[2] == "monitor_stopped", 10, "monitor_stopped")
    bodies = []
    types = set()
    for msg in msgs:
        body, rec = check_message(msg, started["pid"])
        bodies.append(body)
        types.add(rec["type"])
    for want in ("monitor_started", "event", "alert", "stop_timeline", "monitor_stopped"):
        check(want in types, "no %s record reached rsyslog (types: %s)" % (want, sorted(types)))
    check(bodies == lines, "rsyslog holds %d messages, --output %d lines; first difference: %s"
          % (len(bodies), len(lines), next(((i, a[:200], b[:200]) for i, (a, b) in
                                            enumerate(zip(bodies, lines)) if a != b), None)))
    sl = get(stopped, "sinks.syslog")
    out = get(stopped, "sinks.output")
    check(isinstance(sl, dict) and isinstance(out, dict), "monitor_stopped has no per-sink "
          "counters: %s" % short(stopped))
    # monitor_stopped counts what was written before it
    check(sl == {"written": len(lines) - 1, "dropped": 0, "errors": 0},
          "syslog counters %r, want %d written, none dropped or failed" % (sl, len(lines) - 1))
    check(out == {"written": len(lines) - 1, "dropped": 0, "errors": 0},
          "output counters %r, want %d written" % (out, len(lines) - 1))
    check(stopped["records"] == len(lines), "records %d, file has %d lines"
          % (stopped["records"], len(lines)))
    note("%d records in rsyslog, identical to --output" % len(bodies))


def test_outputs_syslog_with_text_format():
    """--format text on the main output: syslog still gets JSON."""
    _setup()
    rs = Rsyslog().start()
    d = tempfile.mkdtemp(prefix="stoptrace-e2e-")
    path = os.path.join(d, "out.txt")
    binary = os.path.abspath(os.environ.get("STOPTRACE", "./stoptrace"))
    # a container name that never exists: only the monitor's own records
    proc = subprocess.Popen([binary, "--format", "text", "--output", path,
                             "--syslog=" + rs.socket, "--stats-interval", "1",
                             "--container", stlib.new_name()],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        msgs = rs.wait_for(lambda m: m[2] == "monitor_stats", 20, "monitor_stats")
        proc.send_signal(signal.SIGINT)
        check(proc.wait(20) == 0, "monitor exit status %r" % proc.returncode)
        msgs = rs.wait_for(lambda m: m[2] == "monitor_stopped", 10, "monitor_stopped")
        recs = [check_message(m, proc.pid)[1] for m in msgs]
        check([r["type"] for r in recs][0] == "monitor_started", "first: %r" % recs[0])
        text = output_lines(path)
        check(text[0].startswith("stoptrace ") and "watching" in text[0],
              "text output starts with %r" % text[0])
        check(text[-1].startswith("stoptrace stopped (signal)"), "text ends with %r" % text[-1])
        for line in text:
            check(not line.startswith("{"), "JSON in the text output: %r" % line[:200])
        check(len(text) == len(recs), "%d text lines, %d syslog messages" % (len(text), len(recs)))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(d, ignore_errors=True)


def test_outputs_syslog_restart():
    """rsyslogd dies and comes back: the monitor goes on, counts the records
    it could not deliver, delivers again, and every record is accounted for."""
    _setup()
    rs = Rsyslog().start()
    names = [stlib.new_name() for _ in range(3)]
    args = ["--syslog=" + rs.socket, "--stats-interval", "0"]
    for n in names:
        args += ["--container", n]
    with Monitor(*args) as mon:
        mon.start()
        a = run_named(names[0], "sleep", "1000")
        stop_container(a)
        wait_timeline(mon, a)
        # all written so far is in rsyslog's file: nothing in flight when it dies
        deadline = time.monotonic() + 15
        while len(rs.messages()) < len(mon.poll()):
            check(time.monotonic() < deadline, "rsyslog has %d messages, --output %d lines"
                  % (len(rs.messages()), len(mon.poll())))
            time.sleep(0.2)
        before = len(rs.messages())
        rs.crash()

        # a flood of fork and exit events while nobody listens: the queue overflows
        flood = run_named(names[1], "sh", "-c", "while :; do ( : ); done")
        time.sleep(4)
        stlib.docker("kill", names[1])
        wait_timeline(mon, flood)
        check(mon.running(), "monitor died while rsyslogd was down; stderr: %s" % mon.stderr())

        rs.start()
        # what the queue still holds of the flood goes first (the sink reconnects within
        # 5 s): wait until rsyslog has it all, so that the next stop meets a queue with
        # room instead of racing the drain on a loaded machine
        deadline = time.monotonic() + 30
        last, since = -1, time.monotonic()
        while True:
            n = len(rs.messages())
            if n != last:
                last, since = n, time.monotonic()
            elif n > before and time.monotonic() - since > 1.5:
                break
            check(time.monotonic() < deadline, "rsyslog got %d messages in 30 s after its "
                  "restart, still growing or none" % n)
            time.sleep(0.2)
        c = run_named(names[2], "sleep", "1000")
        stop_container(c)
        wait_timeline(mon, c)
        # delivered again after the restart (reconnection waits at most 5 s)
        rs.wait_for(lambda m: m[2] == "stop_timeline" and c.id in m[3], 20,
                    "stop_timeline of the container stopped after the restart")
        stopped = mon.stop()
        lines = output_lines(mon.output)

    msgs = rs.wait_for(lambda m: m[2] == "monitor_stopped", 10, "monitor_stopped")
    bodies = [check_message(m, get(mon.records[0], "pid"))[0] for m in msgs]
    sl, out = get(stopped, "sinks.syslog"), get(stopped, "sinks.output")
    note("output %r, syslog %r, %d lines in --output, %d messages in rsyslog (%d before the kill)"
         % (out, sl, len(lines), len(bodies), before))
    check(sl["dropped"] > 0, "the syslog queue never overflowed while rsyslogd was down "
          "(no flood?): %r" % sl)
    # every record handed to the sinks: delivered, dropped or failed, for each sink
    check(sl["written"] + sl["dropped"] + sl["errors"] ==
          out["written"] + out["dropped"] + out["errors"],
          "syslog accounts for %d records, output for %d"
          % (sum(sl.values()), sum(out.values())))
    check(out["written"] == len(lines) - 1, "output wrote %d, file has %d lines before "
          "monitor_stopped" % (out["written"], len(lines) - 1))
    check(sl["written"] == len(bodies) - 1, "syslog sink wrote %d, rsyslog stored %d before "
          "monitor_stopped" % (sl["written"], len(bodies) - 1))
    # what rsyslog has is the output's lines, in order, none twice, some left out
    i = 0
    for body in bodies:
        while i < len(lines) and lines[i] != body:
            i += 1
        check(i < len(lines), "rsyslog message not in --output in order: %r" % body[:300])
        i += 1
    types = [strict_json(b, "MSG")["type"] for b in bodies[before:]]
    check("stop_timeline" in types, "nothing but %r delivered after the restart" % set(types))


def test_outputs_logrotate():
    """logrotate's rename and SIGHUP: F.1 then F hold every line once, whole."""
    _setup()
    name = stlib.new_name()
    with Monitor("--stats-interval", "1", "--container", name) as mon:
        mon.start()
        run_named(name, "sh", "-c", "while :; do ( : ); sleep 0.01; done")
        mon.wait_for(lambda r: r.get("type") == "monitor_stats", 10, "monitor_stats")
        rotated = mon.output + ".1"
        os.rename(mon.output, rotated)
        mon.rotated.append(rotated)         # the replay check reads it before the new file
        time.sleep(0.5)             # records keep going to the renamed file meanwhile
        mon.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while not os.path.exists(mon.output):
            check(time.monotonic() < deadline, "no new %s after SIGHUP" % mon.output)
            time.sleep(0.05)
        mon._offset, mon._partial = 0, b""      # go on reading the new file
        time.sleep(2.5)
        stopped = mon.stop()
        old, new = output_lines(rotated), output_lines(mon.output)
    recs = [strict_json(l, "line %d" % (i + 1)) for i, l in enumerate(old + new)]
    note("%d lines before the reopen, %d after" % (len(old), len(new)))
    check(len(old) > 1 and len(new) > 1, "one file got nothing: %d and %d lines"
          % (len(old), len(new)))
    check(recs[0]["type"] == "monitor_started" and recs[-1] is not None
          and recs[-1]["type"] == "monitor_stopped", "first %r, last %r"
          % (recs[0]["type"], recs[-1]["type"]))
    check(stopped["records"] == len(recs), "monitor_stopped counts %d records, the two files "
          "hold %d" % (stopped["records"], len(recs)))
    check(len(set(old + new)) == len(recs), "a line is there twice")
    events = [r for r in recs if r["type"] == "event"]
    check(events, "the container's activity produced no events")
    # monitor_stats counts the records handed to the output, itself included: its line number
    stats = [(i + 1, r) for i, r in enumerate(recs) if r["type"] == "monitor_stats"]
    check(len(stats) >= 3, "only %d monitor_stats records" % len(stats))
    for lineno, r in stats:
        check(r["records"] == lineno, "monitor_stats on line %d says %d records: a line was "
              "lost or doubled across the rotation" % (lineno, r["records"]))


# ---------------------------------------------------------------- metrics

_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


def _parse_labels(text, where):
    """{...} body after '{': returns (labels dict, rest after '}')."""
    labels = {}
    i = 0
    while True:
        if text[i:i + 1] == "}":
            return labels, text[i + 1:]
        m = _LABEL.match(text, i)
        check(m, "%s: bad label name at %r" % (where, text[i:i + 40]))
        key = m.group(0)
        i = m.end()
        check(text[i:i + 2] == '="', "%s: label %s without =\"" % (where, key))
        i += 2
        value = []
        while True:
            check(i < len(text), "%s: unterminated label value" % where)
            ch = text[i]
            if ch == "\\":
                esc = text[i + 1:i + 2]
                check(esc in ("\\", '"', "n"), "%s: bad escape \\%s" % (where, esc))
                value.append("\n" if esc == "n" else esc)
                i += 2
            elif ch == '"':
                i += 1
                break
            else:
                check(ch != "\n", "%s: raw newline in a label value" % where)
                value.append(ch)
                i += 1
        check(key not in labels, "%s: label %s twice" % (where, key))
        labels[key] = "".join(value)
        if text[i:i + 1] == ",":
            i += 1
        else:
            check(text[i:i + 1] == "}", "%s: expected , or } at %r" % (where, text[i:i + 20]))


def parse_metrics(text):
    """The text exposition format, strictly: HELP and TYPE once per family,
    before its samples; every sample of a declared family; no series twice.
    Returns ({(name, frozenset(labels.items())): value}, {name: type})."""
    check(text.endswith("\n"), "metrics file does not end with a newline")
    samples, types, helps = {}, {}, set()
    for n, line in enumerate(text[:-1].split("\n"), 1):
        where = "metrics line %d %r" % (n, line[:120])
        if line.startswith("# HELP "):
            name = line[7:].split(" ", 1)[0]
            check(_NAME.fullmatch(name) and name not in helps and name not in types,
                  "%s: HELP out of place" % where)
            helps.add(name)
            continue
        if line.startswith("# TYPE "):
            parts = line[7:].split(" ")
            check(len(parts) == 2 and parts[1] in ("counter", "gauge"), "%s: bad TYPE" % where)
            check(parts[0] in helps and parts[0] not in types, "%s: TYPE without HELP, or twice"
                  % where)
            types[parts[0]] = parts[1]
            continue
        check(not line.startswith("#") and line, "%s: stray line" % where)
        m = _NAME.match(line)
        check(m, "%s: no metric name" % where)
        name, rest = m.group(0), line[m.end():]
        check(name in types, "%s: sample before its TYPE" % where)
        check(types[name] != "counter" or name.endswith("_total"),
              "%s: counter not ending in _total" % where)
        labels = {}
        if rest.startswith("{"):
            labels, rest = _parse_labels(rest[1:], where)
        check(rest.startswith(" ") and " " not in rest[1:], "%s: bad value part" % where)
        value = float(rest[1:])
        key = (name, frozenset(labels.items()))
        check(key not in samples, "%s: series twice" % where)
        samples[key] = value
    return samples, types


def metric(samples, name, **labels):
    key = (name, frozenset(labels.items()))
    check(key in samples, "metrics file has no %s%r" % (name, labels))
    return samples[key]


VERDICTS = ("ns_teardown_stuck", "stop_signal_ignored", "stop_signal_blocked",
            "grace_period_exceeded", "oom_killed", "killed_without_grace", "graceful", "exited")
KINDS = ("stop_signal_ignored", "stop_signal_blocked", "stop_still_running", "ns_teardown_stuck",
         "rootfs_removal_failed", "restarted_after_stop", "oom_killed")


def read_metrics(path):
    with open(path) as f:
        return parse_metrics(f.read())


def test_outputs_metrics_file():
    """The metrics file after a real stop whose PID 1 ignores SIGTERM: the
    verdict, the alert kind and the counters moved by exactly what happened."""
    _setup()
    d = tempfile.mkdtemp(prefix="stoptrace-metrics-")
    path = os.path.join(d, "stoptrace.prom")
    name = stlib.new_name()
    try:
        with Monitor("--metrics-file", path, "--container", name,
                     "--stats-interval", "0") as mon:
            started = mon.start()
            base, types = read_metrics(path)
            for v in VERDICTS:
                check(metric(base, "stoptrace_stops_total", verdict=v) == 0, "verdict %s" % v)
            for k in KINDS:
                check(metric(base, "stoptrace_alerts_total", kind=k) == 0, "kind %s" % k)
            for o in ("removed", "failed"):
                metric(base, "stoptrace_removals_total", outcome=o)
            check(types["stoptrace_containers_tracked"] == "gauge", "containers_tracked type")
            check(metric(base, "stoptrace_build_info", version=started["version"]) == 1,
                  "build_info")
            start = metric(base, "stoptrace_start_time_seconds")
            check(abs(start - time.time()) < 60, "start time %r" % start)

            c = run_named(name, "sleep", "1000")
            stop_container(c)
            wait_timeline(mon, c)
            deadline = time.monotonic() + 12     # rewritten every 5 s
            while True:
                now, _ = read_metrics(path)
                if metric(now, "stoptrace_stops_total", verdict="stop_signal_ignored") >= 1:
                    break
                check(time.monotonic() < deadline, "stops_total did not move within 12 s")
                time.sleep(0.5)
            for v in VERDICTS:
                want = 1 if v == "stop_signal_ignored" else 0
                check(metric(now, "stoptrace_stops_total", verdict=v) == want,
                      "stops_total{verdict=%s} is %r, want %d"
                      % (v, metric(now, "stoptrace_stops_total", verdict=v), want))
            for k in KINDS:
                want = 1 if k == "stop_signal_ignored" else 0
                check(metric(now, "stoptrace_alerts_total", kind=k) == want,
                      "alerts_total{kind=%s} is %r, want %d"
                      % (k, metric(now, "stoptrace_alerts_total", kind=k), want))
            check(metric(now, "stoptrace_events_total") > metric(base, "stoptrace_events_total"),
                  "events_total did not move")
            check(metric(now, "stoptrace_lost_records_total", where="kernel") == 0,
                  "kernel lost records on a quiet host")
            stopped = mon.stop()
        final, _ = read_metrics(path)
        # written at exit, after the last record
        check(metric(final, "stoptrace_sink_written_total", sink="output") == stopped["records"],
              "sink_written_total{sink=output} %r, monitor_stopped records %d"
              % (metric(final, "stoptrace_sink_written_total", sink="output"),
                 stopped["records"]))
        check(metric(final, "stoptrace_sink_dropped_total", sink="output") == 0, "drops")
        check(metric(final, "stoptrace_sink_errors_total", sink="output") == 0, "errors")
        check(metric(final, "stoptrace_events_total") == stopped["events_read"],
              "events_total %r, monitor_stopped events_read %d"
              % (metric(final, "stoptrace_events_total"), stopped["events_read"]))
        check(sorted(os.listdir(d)) == ["stoptrace.prom"], "left in the directory: %r"
              % os.listdir(d))
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_outputs_startup_errors():
    """An unwritable metrics path or a syslog socket nobody listens on: exit 1, one clear line."""
    stlib.require_root()
    binary = os.path.abspath(os.environ.get("STOPTRACE", "./stoptrace"))
    cases = [
        (["--metrics-file", "/nonexistent-dir/stoptrace.prom"],
         "cannot write the metrics file '/nonexistent-dir/stoptrace.prom': No such file or "
         "directory"),
        (["--syslog=/nonexistent-dir/log"],
         "cannot connect to the syslog socket '/nonexistent-dir/log': No such file or directory"),
    ]
    for args, want in cases:
        r = subprocess.run([binary] + args, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=30)
        err = r.stderr.decode(errors="replace")
        check(r.returncode == 1, "%s: exit %d, want 1 (stderr %r)" % (args, r.returncode, err))
        check(want in err, "%s: stderr %r lacks %r" % (args, err, want))
        check(len(err.strip().splitlines()) == 1, "%s: more than one line: %r" % (args, err))
        check(r.stdout == b"", "%s: printed records: %r" % (args, r.stdout[:200]))
    r = subprocess.run([binary, "--syslog=" + "/x" * 60], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=30)
    check(r.returncode == 2 and b"--syslog=SOCKET takes a socket path" in r.stderr,
          "long socket path: exit %d, %r" % (r.returncode, r.stderr))
