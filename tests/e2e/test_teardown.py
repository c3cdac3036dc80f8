# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Stuck pid namespace teardown (S5): a container shares its pid namespace
with a paused one; stopping it hangs until the other is unpaused. While it
hangs the monitor must say so and name the culprit; after the unpause the
stop's timeline carries the teardown time and the alert is resolved."""

import time

import stlib
import test_timelines as tt
from stlib import check, expect, get, short


def test_ns_teardown_stuck_paused_sharer():
    tt._setup()
    parent = tt._start("sleep", "1000")
    child = tt._start("sleep", "1000", docker_args=("--pid", "container:" + parent.name))
    stop = None
    try:
        child_pid = child.pid
        stlib.docker("pause", child.name)
        with tt.DefaultMonitor("--teardown-timeout", "2") as mon:
            mon.start()
            stop = tt.Background(["docker", "stop", "-t", "2", parent.name])
            # SIGTERM ignored at once, SIGKILL after 2 s, then teardown hangs on the child
            alert = mon.wait_for(tt._mine(parent, "alert", "ns_teardown_stuck"), 30,
                                 "ns_teardown_stuck alert for %s" % parent.name)
            check(stop.running(), "docker stop returned before the stuck alert: the "
                  "teardown did not hang (is the child really paused?)")
            check(not mon.find(tt._mine(parent, "stop_timeline")),
                  "the stop_timeline was written while the teardown still hung")
            tt._check_container(alert, parent, "ns_teardown_stuck alert")
            culprits = alert.get("culprits") or []
            mine = [c for c in culprits if c.get("pid") == child_pid]
            check(mine, "the alert does not name the child's process (host pid %d): %s"
                  % (child_pid, short(alert, 1500)))
            cul = mine[0]
            expect(cul, "container.id", child.id, "culprit")
            expect(cul, "container.name", child.name, "culprit")
            expect(cul, "frozen", True, "culprit")
            check(cul.get("state") == "D", "culprit state %r, want D (v1-frozen tasks sleep "
                  "uninterruptibly)" % cul.get("state"))
            check(("docker unpause " + child.name) in alert.get("action", ""),
                  "action %r does not say docker unpause %s" % (alert.get("action"), child.name))
            check(child.name in alert.get("message", ""), "message does not name the child: %r"
                  % alert.get("message"))
            first_ms = alert.get("duration_ms")
            check(type(first_ms) is int and first_ms >= 2000,
                  "duration_ms %r, want >= the 2 s teardown timeout" % (first_ms,))

            # still stuck: sent again with a growing duration, same alert id
            again = mon.wait_for(lambda r: tt._mine(parent, "alert", "ns_teardown_stuck")(r)
                                 and r.get("duration_ms", 0) > first_ms, 20,
                                 "a repeated ns_teardown_stuck alert with a longer duration")
            expect(again, "alert_id", alert["alert_id"], "repeated alert")

            stlib.docker("unpause", child.name)
            stop.wait(timeout=60)
            tl = tt._wait_timeline(mon, parent, timeout=30)
            resolved = mon.wait_for(tt._mine(parent, "alert_resolved", "ns_teardown_stuck"),
                                    10, "alert_resolved for ns_teardown_stuck")
            expect(resolved, "alert_id", alert["alert_id"], "alert_resolved")
            tt._finish(mon)

            _, tl = tt._one_timeline(mon, parent)
            tt._verdict(tl, "ns_teardown_stuck")
            findings = tl.get("findings") or []
            check("stop_signal_ignored" in findings,
                  "findings %r lack stop_signal_ignored (sleep ignores SIGTERM)" % findings)
            td = tl.get("teardown_ms")
            check(type(td) is int and td >= 2000,
                  "teardown_ms %r, want >= 2000 (it hung until the unpause)" % (td,))
            names = [get(c, "container.name") for c in tl.get("culprits") or []]
            check(child.name in names, "timeline culprits %r lack %s" % (names, child.name))
            released = tt._events(tl, "init_released")
            check(released, "the timeline lacks the init's release: %s"
                  % short(tl.get("events"), 1200))
    finally:
        if stop:
            stop.kill()
        stlib.docker("unpause", child.name, check=False)
        tt._remove(child)
        tt._remove(parent)


_ = time
