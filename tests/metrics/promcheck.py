#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Check one /metrics scrape and turn it into "series value" lines.
#   promcheck.py check FILE PATH_LABEL   validate; print "name{labels} value" sorted
#                                         (the path label left out), exit 1 on error
#   promcheck.py dashboard JSON NAMES     the Grafana dashboard is valid and every
#                                         metric its queries use is in NAMES (a file)
# Validation: the real parser (prometheus_client, Debian python3-prometheus-client)
# accepts it, plus what the text format 0.0.4 wants and the parser forgives:
# HELP and TYPE once per family, before its samples; valid names; counters end
# in _total; every sample has path=PATH_LABEL and non-empty instance, ifname and
# xdp_mode labels (left out of the printed series, like path); no duplicate
# series; integers.
import json
import os, re, sys

def fail(msg):
    print("promcheck: " + msg)
    sys.exit(1)

def check(path, label):
    text = open(path).read()
    if not text.endswith("\n"):
        fail("exposition does not end with a newline")
    try:
        from prometheus_client.parser import text_string_to_metric_families
    except ImportError:
        fail("python3-prometheus-client is missing (scripts/bootstrap.sh installs it)")
    try:
        fams = list(text_string_to_metric_families(text))
    except Exception as e:
        fail("prometheus_client rejects the exposition: %s" % e)
    if not fams:
        fail("no metric families")
    name_re = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
    helped, typed, sampled, seen = set(), {}, set(), set()
    for ln in text.splitlines():
        m = re.match(r"^# (HELP|TYPE) (\S+) ?(.*)$", ln)
        if m:
            kind, name, rest = m.groups()
            if not name_re.match(name):
                fail("bad metric name %r" % name)
            if name in sampled:
                fail("%s for %s after its samples" % (kind, name))
            if kind == "HELP":
                if name in helped:
                    fail("two HELP lines for " + name)
                helped.add(name)
            else:
                if name in typed:
                    fail("two TYPE lines for " + name)
                if rest not in ("counter", "gauge"):
                    fail("TYPE %s %r" % (name, rest))
                typed[name] = rest
            continue
        if ln.startswith("#") or not ln:
            fail("unexpected line %r" % ln)
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\} (\d+)$', ln)
        if not m:
            fail("sample line not 'name{labels} integer': %r" % ln)
        name, labels, _ = m.groups()
        if name not in helped or name not in typed:
            fail("sample of %s without HELP and TYPE before it" % name)
        if typed[name] == "counter" and not name.endswith("_total"):
            fail("counter %s does not end in _total" % name)
        if ('path="%s"' % label) not in labels.split(","):
            fail("sample without path=%r: %r" % (label, ln))
        for need in ("instance", "ifname", "xdp_mode"):
            if not re.search(r'(^|,)%s="[^"]+"' % need, labels):
                fail("sample without a %s label: %r" % (need, ln))
        if (name, labels) in seen:
            fail("duplicate series %r" % ln)
        seen.add((name, labels))
        sampled.add(name)
    out = []
    for f in fams:
        for s in f.samples:
            lab = ",".join("%s=%s" % kv for kv in sorted(s.labels.items())
                           if kv[0] not in ("path", "instance", "ifname", "xdp_mode"))
            out.append("%s{%s} %d" % (s.name, lab, int(s.value)))
    print("\n".join(sorted(out)))

def dashboard(path, names_file):
    d = json.load(open(path))
    names = set(open(names_file).read().split())
    if d.get("schemaVersion", 0) < 36:
        fail("schemaVersion %r: Grafana 9+ dashboards are 36 or later" % d.get("schemaVersion"))
    ds = [v for v in d.get("templating", {}).get("list", [])
          if v.get("type") == "datasource" and v.get("query") == "prometheus"]
    if not ds:
        fail("no Prometheus datasource variable in templating")
    exprs = []
    def walk(panels):
        for p in panels:
            walk(p.get("panels", []))
            for t in p.get("targets", []):
                if "expr" in t:
                    exprs.append(t["expr"])
                    if "${%s}" % ds[0]["name"] not in json.dumps(t.get("datasource", p.get("datasource"))):
                        fail("panel %r target does not use the datasource variable" % p.get("title"))
    walk(d.get("panels", []))
    if not exprs:
        fail("no queries")
    # the harness's families (bench/pathlab_bench/promfile.py) come from a
    # run's results, not from a datapath
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
    from pathlab_bench.promfile import FAMILIES
    for e in exprs:
        for n in re.findall(r"\bpathlab_[a-z0-9_]+", e):
            if n not in names and n not in FAMILIES:
                fail("query %r uses %s, which no datapath serves" % (e, n))
    if not any("rate(pathlab_packets_total" in e and "verdict" in e for e in exprs):
        fail("no pps-per-verdict panel (rate(pathlab_packets_total...) by verdict)")
    print("dashboard ok: %d queries, datasource variable ${%s}" % (len(exprs), ds[0]["name"]))

if __name__ == "__main__":
    if sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "dashboard":
        dashboard(sys.argv[2], sys.argv[3])
    else:
        fail("usage")
