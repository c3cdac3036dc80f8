# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The deployment manifests in tools/deploy/ parse, and hold what running
stoptrace on a node needs: the DaemonSet in the host pid namespace, with
exactly the load set of capabilities, every host path read-only but its log
directory, the monitor writing JSON there; Fluent Bit tailing that directory
with a JSON parser and shipping to Loki and Elasticsearch."""

import fnmatch
import glob
import json
import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import time

import stlib
import test_capabilities as tc
import test_timelines as tt
from stlib import check, skip

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEPLOY = os.path.join(REPO, "tools", "deploy")

LOAD_SET = {"BPF", "PERFMON", "DAC_READ_SEARCH", "SYS_PTRACE", "SETPCAP", "SYS_RESOURCE", "SETUID",
            "SETGID"}


def load_yaml(path):
    try:
        import yaml
    except ImportError:
        skip("python3-yaml is not installed (tools/testbench up installs it)")
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def by_kind(docs):
    out = {}
    for d in docs:
        check(isinstance(d, dict) and d.get("kind") and d.get("apiVersion"),
              "a manifest document without kind or apiVersion: %r" % (d,))
        out.setdefault(d["kind"], []).append(d)
    return out


def daemonset():
    kinds = by_kind(load_yaml(os.path.join(DEPLOY, "daemonset.yaml")))
    for kind in ("Namespace", "ServiceAccount", "DaemonSet"):
        check(len(kinds.get(kind, [])) == 1, "daemonset.yaml: %d %s, want 1"
              % (len(kinds.get(kind, [])), kind))
    return kinds


def output_dir(container):
    """The directory of the monitor's --output, from the container's command."""
    argv = (container.get("command") or []) + (container.get("args") or [])
    check(argv and os.path.basename(argv[0]) == "stoptrace",
          "the container does not run stoptrace: %r" % argv)
    check("--format" in argv and argv[argv.index("--format") + 1] == "json",
          "stoptrace runs without --format json: %s" % shlex.join(argv))
    check("--output" in argv, "stoptrace writes to stdout, not a file: %s" % shlex.join(argv))
    return os.path.dirname(argv[argv.index("--output") + 1])


def test_deploy_manifests_parse():
    paths = sorted(glob.glob(os.path.join(DEPLOY, "*.yaml")))
    check(len(paths) >= 2, "no YAML manifests in %s" % DEPLOY)
    for path in paths:
        check(load_yaml(path), "%s holds no document" % path)


def test_deploy_daemonset():
    kinds = daemonset()
    ns = kinds["Namespace"][0]["metadata"]["name"]
    sa = kinds["ServiceAccount"][0]
    ds = kinds["DaemonSet"][0]
    check(sa["metadata"]["namespace"] == ns and ds["metadata"]["namespace"] == ns,
          "ServiceAccount and DaemonSet are not in namespace %s" % ns)
    pod = ds["spec"]["template"]["spec"]
    check(ds["spec"]["selector"]["matchLabels"].items()
          <= ds["spec"]["template"]["metadata"]["labels"].items(),
          "the selector does not select the pods")
    check(pod.get("serviceAccountName") == sa["metadata"]["name"], "pods use another account")
    check(pod.get("hostPID") is True, "hostPID is %r: /proc would not show the host's "
          "processes" % pod.get("hostPID"))
    check({"operator": "Exists"} in (pod.get("tolerations") or []),
          "no toleration of every taint: tainted nodes go unwatched")
    check(len(pod["containers"]) == 1, "want one container")
    c = pod["containers"][0]
    sc = c.get("securityContext") or {}
    check(sc.get("privileged") is not True, "privileged: the load set is enough")
    check(sc.get("runAsUser") == 0, "stoptrace runs as uid 0 (root's files read as owner)")
    caps = sc.get("capabilities") or {}
    check(caps.get("drop") == ["ALL"] and set(caps.get("add") or []) == LOAD_SET,
          "capabilities %r, want drop ALL, add exactly %s" % (caps, sorted(LOAD_SET)))
    res = c.get("resources") or {}
    for part in ("requests", "limits"):
        check(res.get(part, {}).get("memory") and
              (part == "limits" or res.get(part, {}).get("cpu")),
              "resources.%s lacks cpu or memory: %r" % (part, res))

    logdir = output_dir(c)
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = c["volumeMounts"]
    writable = []
    for m in mounts:
        v = volumes.get(m["name"])
        check(v is not None, "mount %s of no volume" % m["name"])
        if "hostPath" not in v:
            continue
        if m["mountPath"] == logdir:
            check(not m.get("readOnly"), "the log directory %s is read-only" % logdir)
            writable.append(v["hostPath"]["path"])
        else:
            check(m.get("readOnly") is True, "host path %s mounted writable at %s"
                  % (v["hostPath"]["path"], m["mountPath"]))
    check(writable == ["/var/log/stoptrace"], "host log directory %r, want /var/log/stoptrace"
          % writable)
    paths = {volumes[m["name"]]["hostPath"]["path"] for m in mounts
             if "hostPath" in volumes[m["name"]]}
    for need in ("/sys/kernel/btf", "/sys/fs/cgroup", "/var/lib/docker", "/var/lib/containerd",
                 "/run/containerd", "/var/log/pods"):
        check(need in paths, "%s is not mounted from the host" % need)
    check("/sys/kernel/tracing" in paths or "/sys/kernel/debug" in paths, "no tracefs")
    for m in mounts:
        if m["mountPath"].startswith(("/var/lib/", "/run/")):
            check(m.get("mountPropagation") == "HostToContainer",
                  "%s without HostToContainer propagation: the pod would hold container "
                  "storage mounted after the runtime unmounts it" % m["mountPath"])


def test_deploy_fluent_bit_tails_the_daemonset_logs():
    docs = load_yaml(os.path.join(DEPLOY, "fluent-bit.yaml"))
    check(len(docs) == 1 and "pipeline" in docs[0], "fluent-bit.yaml is not one Fluent Bit "
          "YAML configuration with a pipeline")
    conf = docs[0]
    kinds = daemonset()
    c = kinds["DaemonSet"][0]["spec"]["template"]["spec"]["containers"][0]
    out = next(a for a in c["command"] if a.endswith(".json"))
    tails = [i for i in conf["pipeline"]["inputs"] if i.get("name") == "tail"]
    check(len(tails) == 1, "want one tail input, got %r" % tails)
    tail = tails[0]
    check(fnmatch.fnmatch(out, tail["path"]), "tail path %r does not match the monitor's "
          "output %s" % (tail["path"], out))
    parsers = {p["name"]: p for p in conf.get("parsers") or []}
    check(tail.get("parser") in parsers and parsers[tail["parser"]].get("format") == "json",
          "the tail input's parser %r is not a JSON parser" % tail.get("parser"))
    check(parsers[tail["parser"]].get("time_key") == "time", "records keep their own time")
    outputs = {o["name"]: o for o in conf["pipeline"]["outputs"]}
    check({"loki", "es"} <= set(outputs), "outputs %r, want loki and es" % sorted(outputs))
    tags = [tail["tag"]] + [f["rule"].split()[2].replace("$1", "alert")
                            for f in conf["pipeline"].get("filters") or []
                            if f.get("name") == "rewrite_tag"]
    for name in ("loki", "es"):
        check(any(fnmatch.fnmatch(t, outputs[name]["match"]) for t in tags),
              "output %s matches none of the tags %r" % (name, tags))
    check("type=$type" in outputs["loki"].get("labels", ""), "Loki streams not labelled by "
          "record type: %r" % outputs["loki"].get("labels"))
    check(outputs["es"].get("logstash_prefix_key"), "Elasticsearch index not by record type")


# ------------------------------------------------ the DaemonSet's pod, in Docker

def _mount_is_shared(path):
    """Whether the mount holding path propagates (a "shared:" tag): a slave
    (rslave) bind of it is only possible then."""
    best, shared = "", False
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            point = fields[4]
            if (path == point or path.startswith(point.rstrip("/") + "/")) and \
                    len(point) >= len(best):
                best = point
                shared = any(x.startswith("shared:") for x in fields[6:fields.index("-")])
    return shared


def _image(binary):
    """A throw-away image holding the monitor and the libraries it links."""
    root = tempfile.mkdtemp(prefix="stoptrace-image-")
    try:
        res = subprocess.run(["ldd", binary], capture_output=True, text=True, timeout=30)
        check(res.returncode == 0, "ldd %s: %s" % (binary, res.stderr))
        libs = [w for w in res.stdout.split() if w.startswith("/")]
        for path in [binary] + libs:
            dest = os.path.join(root, path.lstrip("/")) if path != binary else \
                os.path.join(root, "usr/sbin/stoptrace")
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with open(path, "rb") as src, open(dest, "wb") as out:
                out.write(src.read())
            os.chmod(dest, 0o755)
        for d in ("proc", "sys", "dev", "etc", "var/log/stoptrace"):
            os.makedirs(os.path.join(root, d), exist_ok=True)
        tag = "stoptrace-test/monitor:" + os.path.basename(root).split("-")[-1].lower()
        tar = subprocess.Popen(["tar", "-C", root, "-c", "."], stdout=subprocess.PIPE)
        res = subprocess.run(["docker", "import", "-", tag], stdin=tar.stdout,
                             capture_output=True, text=True, timeout=120)
        tar.wait()
        check(res.returncode == 0, "docker import: %s" % res.stderr)
        return tag
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _docker_args(pod, c, image, logdir):
    """docker run arguments that give a container what the DaemonSet gives
    its pod; returns (argv, notes on what Docker here cannot do the same)."""
    notes = []
    sc = c["securityContext"]
    argv = ["run", "-d", "--name", stlib.new_name()]
    if pod.get("hostPID"):
        argv += ["--pid", "host"]
    if pod.get("hostNetwork"):
        argv += ["--network", "host", "--uts", "host"]
    else:
        argv += ["--network", "none"]
    argv += ["--user", "%d:%d" % (sc["runAsUser"], sc.get("runAsGroup", 0))]
    argv += ["--cap-drop", "ALL"]
    caps = list(sc["capabilities"]["add"])
    probe = stlib.docker("run", "--rm", "--network", "none", "--cap-drop", "ALL", "--cap-add",
                         "BPF", image, "/usr/sbin/stoptrace", "--version", check=False)
    if "unknown capability" in probe.stderr:
        # Docker before 23 does not know CAP_BPF/CAP_PERFMON: CAP_SYS_ADMIN
        # stands in (the monitor accepts either; docs/deploy.md)
        caps = [x for x in caps if x not in ("BPF", "PERFMON")] + ["SYS_ADMIN"]
        notes.append("this Docker does not know CAP_BPF: SYS_ADMIN in place of BPF+PERFMON")
    bounding = tc.proc_caps(os.getpid())["CapBnd"]
    for cap in caps:
        if not bounding & (1 << tc.NUMBERS["CAP_" + cap]):
            notes.append("this host's bounding set lacks CAP_%s: not added" % cap)
            continue
        argv += ["--cap-add", cap]
    if sc.get("allowPrivilegeEscalation") is False:
        argv += ["--security-opt", "no-new-privileges"]
    if sc.get("readOnlyRootFilesystem"):
        argv.append("--read-only")
    if (sc.get("appArmorProfile") or {}).get("type") == "Unconfined":
        argv += ["--security-opt", "apparmor=unconfined"]
    limits = c["resources"]["limits"]
    argv += ["--memory", limits["memory"].replace("Mi", "m"), "--cpus", str(limits["cpu"])]
    volumes = {v["name"]: v for v in pod["volumes"]}
    for m in c["volumeMounts"]:
        host = volumes[m["name"]]["hostPath"]["path"]
        if m["mountPath"] == "/var/log/stoptrace":
            host = logdir
        elif not os.path.exists(host):
            notes.append("%s does not exist here: not mounted" % host)
            continue
        opts = ["ro"] if m.get("readOnly") else []
        if m.get("mountPropagation") == "HostToContainer":
            if _mount_is_shared(host):
                opts.append("rslave")
            else:
                notes.append("%s is on a private mount here: mounted without rslave" % host)
        argv += ["-v", "%s:%s%s" % (host, m["mountPath"], ":" + ",".join(opts) if opts else "")]
    argv.append(image)
    return argv + c["command"] + (c.get("args") or []), notes


def _records(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in data.split(b"\n")[:-1]]


def _wait_record(path, pred, timeout, what, container):
    deadline = time.monotonic() + timeout
    while True:
        found = [r for r in _records(path) if pred(r)]
        if found:
            return found[0]
        state = stlib.inspect(container)["State"]
        if not state["Running"]:
            logs = stlib.docker("logs", container, check=False)
            check(False, "the monitor's container exited (%s) waiting for %s: %s"
                  % (state.get("ExitCode"), what, (logs.stdout + logs.stderr)[-1500:]))
        check(time.monotonic() < deadline, "no %s within %d s" % (what, timeout))
        time.sleep(0.2)


def test_deploy_daemonset_pod_in_docker():
    """The DaemonSet's container settings (host pid namespace, the load set,
    no_new_privs, read-only root and host paths, its log directory), given to
    a Docker container on this host: the monitor starts there, drops to the
    runtime set, names the paused culprit of a stuck teardown from the host's
    /proc, and writes the stop's timeline; SIGTERM ends it cleanly."""
    tt._setup()
    kinds = daemonset()
    pod = kinds["DaemonSet"][0]["spec"]["template"]["spec"]
    c = pod["containers"][0]
    logdir = tempfile.mkdtemp(prefix="stoptrace-pod-")
    out = os.path.join(logdir, os.path.basename(next(a for a in c["command"]
                                                     if a.endswith(".json"))))
    image = _image(os.path.abspath(os.environ.get("STOPTRACE", "./stoptrace")))
    monitor = None
    try:
        argv, notes = _docker_args(pod, c, image, logdir)
        for n in notes:
            stlib.note(n)
        monitor = argv[argv.index("--name") + 1]
        stlib._containers.append(monitor)
        stlib.docker(*argv)
        started = _wait_record(out, lambda r: r.get("type") == "monitor_started", 30,
                               "monitor_started", monitor)
        check(started == _records(out)[0], "monitor_started is not the first record")
        pid = stlib.inspect(monitor)["State"]["Pid"]
        # the removal hooks on demand need CAP_PERFMON kept; without it (a Docker that
        # knows no CAP_PERFMON: CAP_SYS_ADMIN loads) they stay attached
        on_demand = "--cap-add" in argv and "PERFMON" in argv
        check(started.get("removal_hooks") == ("on-demand" if on_demand else "always"),
              "removal_hooks %r with%s CAP_PERFMON" % (started.get("removal_hooks"),
                                                       "" if on_demand else "out"))
        want = tc.runtime_set(on_demand)
        check(started.get("capabilities") == tc.ordered(want),
              "capabilities %r, want %r" % (started.get("capabilities"), tc.ordered(want)))
        caps = tc.proc_caps(pid)
        for key in ("CapEff", "CapPrm", "CapBnd"):
            check(caps[key] == tc.mask(want), "%s of the pod's monitor is %#x, want %#x"
                  % (key, caps[key], tc.mask(want)))
        if pod.get("hostNetwork"):
            check(started["host"] == socket.gethostname(), "host is %r, want the node's "
                  "name %r" % (started["host"], socket.gethostname()))

        # the monitor was started before these two: they are learnt at runtime
        with tc.PausedSharer() as ps:
            ps.stop_parent()
            alert = _wait_record(out, tt._mine(ps.parent, "alert", "ns_teardown_stuck"), 40,
                                 "ns_teardown_stuck alert", monitor)
            ps.check_culprit(alert)
            ps.unpause()
            tl = _wait_record(out, tt._mine(ps.parent, "stop_timeline"), 40, "stop_timeline",
                              monitor)
            tt._verdict(tl, "ns_teardown_stuck")

        stlib.docker("stop", "-t", "20", monitor)
        state = stlib.inspect(monitor)["State"]
        check(state["ExitCode"] == 0, "the monitor exited %d on SIGTERM" % state["ExitCode"])
        recs = _records(out)
        check(recs[-1].get("type") == "monitor_stopped", "last record %s"
              % stlib.short(recs[-1]))
    finally:
        if monitor:
            stlib.docker("rm", "-f", monitor, check=False)
        stlib.docker("rmi", image, check=False)
        shutil.rmtree(logdir, ignore_errors=True)


# they need no root: they run for every user
test_deploy_manifests_parse.no_root = True
test_deploy_daemonset.no_root = True
test_deploy_fluent_bit_tails_the_daemonset_logs.no_root = True
