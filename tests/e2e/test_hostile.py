# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Hostile containers: tenants choose their process names, file names and
container names, and none of them may forge or break the monitor's output.

- An image derived from the test image holds executables whose names carry
  quotes, backslashes, newlines, ANSI escape sequences, invalid UTF-8, bidi
  controls and fragments of forged JSON fields; the container runs them, so
  they are the comm of its processes and the names of files its removal
  deletes.
- Containers under odd but legal names: long, dotted, dashed, looking like a
  container id (even like another container's id), like JSON numbers.
- A container that stops itself in a tight loop (restart policy always).

With --format json every line must parse with Python's json module as one
object, the names must come back as docs/records.md says they are escaped,
and nothing a tenant chose may show up as a field or value of its own. With
--format text no raw control character may reach the terminal, and the
escapes must be visible.
"""

import hashlib
import io
import os
import re
import secrets
import subprocess
import tarfile
import time

import stlib
from stlib import Monitor, TextMonitor, check, fail, get, is_event, note, short

HOSTILE_IMAGE = "stoptrace-test/hostile:1"
LABEL = "stoptrace.recipe"

# The children: each a script that sleeps forever, started by /h/run.
CHILD_NAMES = [
    b'q"uo\\te\\\\back"',
    b"nl\nline\r\ttab",
    b"\x1b[31mred\x1b]0;t\x07\x1b[0m",
    b"bad\xff\xfe\xc3(\xed\xa0\x80\xc0\xafutf8",
    b'"}\n{"schema":1,"type":"alert","kind":"oom_killed',
    b"c0\x01\x02\x1f\x7fdel",
    b"bidi\xe2\x80\xaeevil\xc2\x9bcsi",
    b"\\u0022\\n\\x1b",
    b"zero\xe2\x80\x8bwidth\xc2\xad",
]
# PID 1: a name that tries to end the comm string and set the verdict. It has
# no SIGTERM handler, so the real verdict is stop_signal_ignored.
INIT_NAME = b'","verdict":"graceful'
# The self-stopping container's PID 1.
LOOP_NAME = b'loop"\x1b[2J\nx'

_SCRIPT_SLEEP = b"#!/bin/sh\nwhile :; do sleep 1; done\n"
# SIGTERM to itself, handled: exits at once, and Docker starts it again.
_SCRIPT_LOOP = b"#!/bin/sh\ntrap 'exit 0' TERM\nwhile :; do kill -TERM $$; done\n"
# Copies of the children in the container's writable layer: their removal
# by dockerd passes the hostile names through the removal hooks.
_SCRIPT_RUN = (b"#!/bin/sh\n"
               b"for f in /h/p/*; do cp \"$f\" /tmp/; \"$f\" & done\n"
               b"for f in /h/i/*; do exec \"$f\"; done\n")


def _octal(name):
    """A shell word that printf turns into exactly these bytes."""
    return "\"$(printf '" + "".join("\\%03o" % b for b in name) + "')\""


def _recipe():
    """mk.sh: run inside the build, ASCII only, it writes every file."""
    lines = ["set -e", "mkdir -p /h/p /h/i /h/l"]

    def put(path_word, content):
        lines.append("printf '%s' " + _octal(content) + " > " + path_word)
        lines.append("chmod 755 " + path_word)

    for n in CHILD_NAMES:
        put("\"/h/p/\"" + _octal(n), _SCRIPT_SLEEP)
    put("\"/h/i/\"" + _octal(INIT_NAME), _SCRIPT_SLEEP)
    put("\"/h/l/\"" + _octal(LOOP_NAME), _SCRIPT_LOOP)
    put("/h/run", _SCRIPT_RUN)
    return ("\n".join(lines) + "\n").encode()


def hostile_image():
    """Build HOSTILE_IMAGE from the test image unless it is up to date.

    Reproducible: the label holds a hash of the base image's id and of the
    recipe, and the image is rebuilt whenever either changes.
    """
    base = stlib.docker("image", "inspect", "-f", "{{.Id}}", stlib.IMAGE).stdout.strip()
    dockerfile = ("FROM %s\nCOPY mk.sh /mk.sh\nRUN sh /mk.sh && rm /mk.sh\n"
                  "CMD [\"/h/run\"]\n" % stlib.IMAGE).encode()
    mk = _recipe()
    want = hashlib.sha256(base.encode() + b"\0" + dockerfile + b"\0" + mk).hexdigest()
    res = stlib.docker("image", "inspect", "-f",
                       "{{index .Config.Labels \"%s\"}}" % LABEL, HOSTILE_IMAGE, check=False)
    if res.returncode == 0 and res.stdout.strip() == want:
        return
    old = stlib.docker("image", "inspect", "-f", "{{.Id}}", HOSTILE_IMAGE,
                       check=False).stdout.strip()
    ctx = io.BytesIO()
    with tarfile.open(fileobj=ctx, mode="w") as tar:
        for name, data in (("Dockerfile", dockerfile), ("mk.sh", mk)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            tar.addfile(info, io.BytesIO(data))
    env = dict(os.environ, DOCKER_BUILDKIT="0")
    res = subprocess.run(["docker", "build", "--network", "none", "-q", "--label",
                          "%s=%s" % (LABEL, want), "-t", HOSTILE_IMAGE, "-"],
                         input=ctx.getvalue(), capture_output=True, timeout=300, env=env)
    check(res.returncode == 0, "docker build of %s failed: %s"
          % (HOSTILE_IMAGE, res.stderr.decode("utf-8", "replace")[-1500:]))
    note("built %s" % HOSTILE_IMAGE)
    if old:
        # the stale one, now untagged: gone unless a container still uses it
        stlib.docker("rmi", old, check=False)


# ---------------------------------------------------------------- escaping

def json_form(raw):
    """What a JSON string of these bytes decodes to (docs/records.md): the
    bytes themselves, except that each ill-formed sequence (its maximal
    subpart, as Python's decoder takes it) becomes U+FFFD; the raw bytes are
    in the field's _hex sibling (check_hex_siblings)."""
    return raw.decode("utf-8", "replace")


def check_hex_siblings(obj, where):
    """Every <key>_hex is the raw bytes of <key>, bytes that are not UTF-8,
    and <key> is them with U+FFFD; a string with a U+FFFD a tenant did not
    type has its sibling."""
    if isinstance(obj, list):
        for v in obj:
            check_hex_siblings(v, where)
        return
    if not isinstance(obj, dict):
        return
    for k, v in obj.items():
        if k.endswith("_hex"):
            base = k[:-4]
            check(isinstance(obj.get(base), str) and isinstance(v, str),
                  "%s: %s without a string %s: %s" % (where, k, base, short(obj)))
            check(re.fullmatch(r"(?:[0-9a-f]{2})+", v) is not None,
                  "%s: %s is not lowercase hex: %r" % (where, k, v))
            raw = bytes.fromhex(v)
            try:
                raw.decode("utf-8")
                fail("%s: %s holds valid UTF-8 %r" % (where, k, raw))
            except UnicodeDecodeError:
                pass
            check(raw.decode("utf-8", "replace") == obj[base],
                  "%s: %s=%r does not decode to %s=%r" % (where, k, v, base, obj[base]))
        else:
            check_hex_siblings(v, where)


def _text_char(ch):
    cp = ord(ch)
    named = {"\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r", "\x1b": "\\e"}
    if ch in named:
        return named[ch]
    if cp < 0x20 or cp == 0x7f:
        return "\\x%02x" % cp
    if cp in HIDDEN:
        return "\\U%08x" % cp if cp > 0xffff else "\\u%04x" % cp
    return ch


# Unicode's explicit bidi controls and marks: they reorder what a terminal shows.
BIDI = set(range(0x202a, 0x202f)) | set(range(0x2066, 0x206a)) | {0x200e, 0x200f, 0x061c}
# What both formats escape though it is valid UTF-8 (docs/records.md): C1,
# bidi, separators, and the characters that show nothing.
HIDDEN = (set(range(0x80, 0xa0)) | BIDI | {0x2028, 0x2029, 0x00ad, 0x180e, 0xfeff}
          | set(range(0x200b, 0x200e)) | set(range(0x2060, 0x2065)) | set(range(0x206a, 0x2070))
          | set(range(0xfff9, 0xfffc)) | set(range(0xe0000, 0xe0080)))


def text_form(raw):
    """How --format text shows these bytes: control characters as \\n, \\t,
    \\r, \\e or \\xNN, a backslash doubled, C1, bidi and invisible characters
    as \\uNNNN, bytes that are not valid UTF-8 as \\xNN."""
    out = []
    i = 0
    while i < len(raw):
        for n in (1, 2, 3, 4):
            try:
                ch = raw[i:i + n].decode("utf-8")
            except UnicodeDecodeError:
                continue
            out.append(_text_char(ch))
            i += n
            break
        else:
            out.append("\\x%02x" % raw[i])
            i += 1
    return "".join(out)


def comm(raw):
    """The kernel keeps the first 15 bytes of an executable's name."""
    return raw[:15]


def check_terminal_safe(data, where):
    """No byte a terminal acts on: controls other than the newline ending a
    line, DEL, and no C1 control or bidi control encoded in UTF-8."""
    for i, b in enumerate(data):
        if (b < 0x20 and b != 0x0a) or b == 0x7f:
            fail("%s: raw control byte 0x%02x at offset %d: %r"
                 % (where, b, i, data[max(0, i - 60):i + 20]))
    text = data.decode("utf-8", "replace")
    for ch in text:
        cp = ord(ch)
        check(cp not in HIDDEN, "%s: raw control or invisible U+%04X in the text" % (where, cp))


# ---------------------------------------------------------------- monitors

def _setup():
    stlib.require_root()
    stlib.require_docker()
    hostile_image()


def _run(name, *args, image=HOSTILE_IMAGE, cmd=()):
    c = stlib.Container(name)
    stlib._containers.append(name)
    stlib.docker("run", "-d", "--network", "none", "--name", name, *args, image, *cmd)
    c.refresh()
    return c


def _walk(obj, path=""):
    """(dotted key path, value) of every scalar in obj."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _walk(v, path + "." + k if path else k)
    elif isinstance(obj, list):
        for v in obj:
            yield from _walk(v, path + "[]")
    else:
        yield path, obj


def check_no_forgery(records, allowed_comms):
    """Every record is one object with the fields of the contract; a tenant's
    string is only ever the value of a string field."""
    types = {"monitor_started", "monitor_stats", "monitor_stopped", "event", "alert",
             "alert_resolved", "stop_timeline", "removal_timeline"}
    for r in records:
        check(r.get("type") in types, "record of unknown type: %s" % short(r))
        check_hex_siblings(r, "record")
        for path, value in _walk(r):
            key = path.rsplit(".", 1)[-1]
            check(all(c.isalnum() or c in "_[]" for c in key),
                  "a key that is not one of ours: %r in %s" % (path, short(r)))
            if key == "comm":
                check(isinstance(value, str), "comm is not a string: %s" % short(r))
                if any(c in value for c in "\"\\\n\x1b{}\x7f") or not value.isprintable():
                    check(value in allowed_comms, "comm %r at %s is none of the names the "
                          "container used: %s" % (value, path, short(r)))
        check(r.get("kind") != "oom_killed", "a forged oom_killed alert: %s" % short(r))


# ---------------------------------------------------------------- tests

def test_hostile_process_names():
    """Processes named with quotes, escapes and invalid UTF-8, stopped and removed."""
    _setup()
    names = CHILD_NAMES + [INIT_NAME]
    want_comms = {json_form(comm(n)) for n in names}
    text_mon = TextMonitor()
    with Monitor() as mon:
        mon.start()
        c = _run("faults-hostile-" + secrets.token_hex(4))
        # every child and PID 1 must have been exec'd under its name
        for n in names:
            want = json_form(comm(n))
            mon.wait_for(lambda r: is_event(r, "process_exec") and get(r, "container.id") == c.id
                         and get(r, "process.comm") == want, 20, "exec of %r" % want)
        stlib.docker("stop", "-t", "2", c.name, timeout=60)
        tl = mon.wait_for(lambda r: r.get("type") == "stop_timeline"
                          and get(r, "container.id") == c.id, 30, "stop_timeline")
        stlib.docker("rm", c.name, timeout=60)
        mon.wait_for(lambda r: r.get("type") == "removal_timeline"
                     and get(r, "container.id") == c.id, 30, "removal_timeline")
        last = mon.stop()
        text = text_mon.stop()
        with open(mon.output, "rb") as f:
            raw = f.read()

    records = mon.records
    lines = raw.split(b"\n")
    check(lines[-1] == b"" and len(lines) - 1 == len(records),
          "%d lines but %d records" % (len(lines) - 1, len(records)))
    for line in lines[:-1]:
        check(line.startswith(b'{"schema":1,"type":"') and line.endswith(b"}"),
              "a line that is not one whole record: %r" % line[:200])
    check(last.get("lost") == 0, "kernel records lost, the checks below would be weak: %s"
          % short(last))
    check_no_forgery(records, want_comms)

    # the verdict is the real one, not the one PID 1's name spells
    check(tl.get("verdict") == "stop_signal_ignored", "verdict %r, want stop_signal_ignored: %s"
          % (tl.get("verdict"), short(tl)))
    stops = [r for r in records if r.get("type") == "stop_timeline"
             and get(r, "container.id") == c.id]
    check(len(stops) == 1, "%d stop timelines for the container, want 1" % len(stops))
    alerts = [r for r in records if r.get("type") == "alert" and get(r, "container.id") == c.id]
    check([a.get("kind") for a in alerts] == ["stop_signal_ignored"],
          "alerts %r, want one stop_signal_ignored" % [a.get("kind") for a in alerts])
    check(get(alerts[0], "process.comm") == json_form(comm(INIT_NAME)),
          "the alert names PID 1 %r, want %r" % (get(alerts[0], "process.comm"),
                                                 json_form(comm(INIT_NAME))))

    # every name round-trips: the comm of its exec, and the SIGKILL of the
    # namespace teardown as the timeline shows it
    tl_comms = {get(e, "process.comm") for e in tl.get("events", [])}
    for n in CHILD_NAMES:
        check(json_form(comm(n)) in tl_comms or tl.get("events_left_out"),
              "the stop timeline never names %r: %s" % (json_form(comm(n)), sorted(
                  x for x in tl_comms if x)))
    # and the full names, in the paths dockerd removed from the writable layer
    paths = {get(r, "path") for r in records if is_event(r, "fs_call")
             and isinstance(get(r, "path"), str)}
    found = [n for n in CHILD_NAMES if any(p.endswith("/tmp/" + json_form(n)) for p in paths)]
    note("%d of %d names seen in removal paths" % (len(found), len(CHILD_NAMES)))
    check(found, "no removal path carries a hostile name; fs_call paths: %r"
          % sorted(paths)[:10])

    # text: nothing a terminal acts on, and every name shown escaped
    check_terminal_safe(text, "text output")
    shown = text.decode("utf-8", "replace")
    for n in names:
        check(text_form(comm(n)) in shown, "text output never shows %r as %r"
              % (comm(n), text_form(comm(n))))
    for esc in ("\\e[31m", "\\n", "\\xff", "\\x7f", "\\u202e", "\\u009b", "\\u200b"):
        check(esc in shown, "text output has no visible %r" % esc)
    # an invalid name's comm: U+FFFD, and its raw bytes beside it
    bad = comm(CHILD_NAMES[3])
    hexed = [r for r in records if is_event(r, "process_exec")
             and get(r, "process.comm_hex") == bad.hex()]
    check(hexed and get(hexed[0], "process.comm") == json_form(bad),
          "no exec record with comm %r and comm_hex %s" % (json_form(bad), bad.hex()))


def _idlike(n):
    return secrets.token_hex(n // 2 + 1)[:n]


def test_hostile_container_names():
    """Odd but legal names: long, dots and dashes, like ids, like JSON numbers."""
    _setup()
    pid_hex = _idlike(64)
    names = [
        "faults-" + "a.b-c_" * 40 + secrets.token_hex(4),
        "faults.." + secrets.token_hex(3) + "--__..x",
        pid_hex,                                       # a full id
        "9" + "".join(secrets.choice("0123456789") for _ in range(24)),   # a number
        "1e999" + "".join(secrets.choice("0123456789") for _ in range(6)),  # a float
    ]
    text_mon = TextMonitor()
    with Monitor() as mon:
        mon.start()
        conts = [_run(n, image=stlib.IMAGE, cmd=("sleep", "1000")) for n in names]
        # one more named like the first one's short id: a name that is also an id prefix
        conts.append(_run(conts[0].id[:12], image=stlib.IMAGE, cmd=("sleep", "1000")))
        time.sleep(1)
        stlib.docker("stop", "-t", "1", *[c.name for c in conts], timeout=120)
        for c in conts:
            tl = mon.wait_for(lambda r: r.get("type") == "stop_timeline"
                              and get(r, "container.id") == c.id, 30,
                              "stop_timeline of %s" % c.name)
            stlib.expect(tl, "container.name", c.name, "stop_timeline of %s" % c.name)
            stlib.expect(tl, "verdict", "stop_signal_ignored", "stop_timeline of %s" % c.name)
        last = mon.stop()
        text = text_mon.stop()
    check_no_forgery(mon.records, set())
    by_id = {c.id: c.name for c in conts}
    for r in mon.records:
        cid = get(r, "container.id")
        if cid in by_id:
            # dockerd's calls while it creates the container (its -init layer) come before
            # it writes the name: no name yet, never a wrong one
            unnamed_yet = r.get("event") == "fs_call" and not get(r, "container.name")
            check(get(r, "container.name") == by_id[cid] or unnamed_yet,
                  "container %s named %r, want %r: %s"
                  % (cid[:12], get(r, "container.name"), by_id[cid], short(r)))
    check(last.get("sink_errors") == 0, "output errors: %s" % short(last))
    check_terminal_safe(text, "text output")
    shown = text.decode("utf-8", "replace")
    for c in conts:
        # a name too long for the line is cut, and says so with "..."
        m = re.search(r"stop of (\S+) \(docker %s\)" % c.id[:12], shown)
        check(m, "text output has no stop of %s" % c.name)
        label = m.group(1)
        check(label == c.name or (label.endswith("...") and len(label) >= 35
                                  and c.name.startswith(label[:-3])),
              "text output shows %s as %r" % (c.name, label))


def test_hostile_self_stopping_loop():
    """A container that stops itself over and over (restart always): every
    stop told, under the right name, every line whole, no alert flood."""
    _setup()
    text_mon = TextMonitor()
    with Monitor() as mon:
        mon.start()
        name = "faults-loop-" + secrets.token_hex(4)
        stlib._containers.append(name)
        # the entrypoint is found by glob inside the container: no hostile argv
        stlib.docker("run", "-d", "--network", "none", "--name", name, "--restart", "always",
                     "--entrypoint", "/bin/sh", HOSTILE_IMAGE, "-c",
                     "for f in /h/l/*; do exec \"$f\"; done")
        deadline = time.monotonic() + 40
        while True:
            stops = mon.find(lambda r: r.get("type") == "stop_timeline"
                             and get(r, "container.name") == name)
            if len(stops) >= 4:
                break
            check(mon.running(), "monitor died: %s" % mon.stderr())
            check(time.monotonic() < deadline, "only %d stops of the looping container "
                  "in 40 s; %s" % (len(stops), mon.summary()))
            time.sleep(0.2)
        stlib.docker("rm", "-f", name, timeout=60)
        time.sleep(1)
        last = mon.stop()
        text = text_mon.stop()
    check_no_forgery(mon.records, {json_form(comm(LOOP_NAME))})
    stops = [r for r in mon.records if r.get("type") == "stop_timeline"
             and get(r, "container.name") == name]
    ids = {get(r, "container.id") for r in stops}
    check(len(ids) == 1, "the looping container's stops carry ids %r" % ids)
    loop_comm = json_form(comm(LOOP_NAME))
    named = [s for s in stops if any(get(e, "process.comm") == loop_comm
                                     for e in s.get("events", []))]
    check(named, "no stop timeline names the looping PID 1 %r" % loop_comm)
    alerts = [r for r in mon.records if r.get("type") == "alert"
              and get(r, "container.name") == name]
    kinds = [a.get("kind") for a in alerts]
    check(len(kinds) == len(set(kinds)), "alerts repeat instead of being counted: %r" % kinds)
    note("%d stops, alerts %r, %s lost" % (len(stops), kinds, last.get("lost")))
    check_terminal_safe(text, "text output")
    check(text_form(comm(LOOP_NAME)) in text.decode("utf-8", "replace"),
          "text output never shows %r" % text_form(comm(LOOP_NAME)))
