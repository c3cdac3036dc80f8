# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The deployment manifests in tools/deploy/ parse, and hold what running
stoptrace on a node needs: the DaemonSet in the host pid namespace, with
exactly the load set of capabilities, every host path read-only but its log
directory, the monitor writing JSON there; Fluent Bit tailing that directory
with a JSON parser and shipping to Loki and Elasticsearch."""

import fnmatch
import glob
import os
import shlex

from stlib import check, skip, without_root

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEPLOY = os.path.join(REPO, "tools", "deploy")

LOAD_SET = {"BPF", "PERFMON", "DAC_READ_SEARCH", "SYS_PTRACE", "SETPCAP", "SYS_RESOURCE"}


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


@without_root
def test_deploy_manifests_parse():
    paths = sorted(glob.glob(os.path.join(DEPLOY, "*.yaml")))
    check(len(paths) >= 2, "no YAML manifests in %s" % DEPLOY)
    for path in paths:
        check(load_yaml(path), "%s holds no document" % path)


@without_root
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


@without_root
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
