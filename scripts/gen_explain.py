#!/usr/bin/env python3
"""Generates the schema table `kubectl explain` reads
(src/kubectl/commands/explain_data.json) from the Kubernetes API sources.

    scripts/gen_explain.py KUBERNETES_TREE > src/kubectl/commands/explain_data.json

KUBERNETES_TREE is the root of a Kubernetes source tree of the simulated
version (1.36): the one with `staging/src/k8s.io/api` in it. Either clone
kubernetes/kubernetes at the matching tag, or use the copy
openshift/microshift vendors under deps/github.com/openshift/kubernetes:

    git clone --depth 1 https://github.com/openshift/microshift
    scripts/gen_explain.py microshift/deps/github.com/openshift/kubernetes > ...

For every kind Kubarium serves it walks the Go types reachable from the
kind (k8s.io/api core, apps, storage, policy, coordination; apimachinery's
meta/v1) and records, per struct: its description, and per field its JSON
name, its OpenAPI type as `kubectl explain` names it (`string`, `integer`,
`[]Container`, `map[string]Quantity`, ...), whether it is required, its
description and its enum values. Descriptions come from the
types_swagger_doc_generated.go maps (the Go doc comments as the API
server's OpenAPI publishes them); enum-typed fields get the
"Possible enum values" lines openapi-gen appends. Output is deterministic.
"""

import json
import re
import sys
from pathlib import Path

PACKAGES = {
    "core": "staging/src/k8s.io/api/core/v1",
    "apps": "staging/src/k8s.io/api/apps/v1",
    "storage": "staging/src/k8s.io/api/storage/v1",
    "policy": "staging/src/k8s.io/api/policy/v1",
    "coordination": "staging/src/k8s.io/api/coordination/v1",
    "meta": "staging/src/k8s.io/apimachinery/pkg/apis/meta/v1",
}

# import alias -> package key
ALIASES = {"v1": "core", "corev1": "core", "metav1": "meta", "appsv1": "apps", "storagev1": "storage", "policyv1": "policy"}

# kind -> (package, Go type, group, version)
KINDS = [
    ("Namespace", "core", "", "v1"),
    ("Node", "core", "", "v1"),
    ("Pod", "core", "", "v1"),
    ("Service", "core", "", "v1"),
    ("Endpoints", "core", "", "v1"),
    ("ConfigMap", "core", "", "v1"),
    ("Secret", "core", "", "v1"),
    ("ServiceAccount", "core", "", "v1"),
    ("Event", "core", "", "v1"),
    ("PersistentVolume", "core", "", "v1"),
    ("PersistentVolumeClaim", "core", "", "v1"),
    ("ResourceQuota", "core", "", "v1"),
    ("Deployment", "apps", "apps", "v1"),
    ("ReplicaSet", "apps", "apps", "v1"),
    ("StatefulSet", "apps", "apps", "v1"),
    ("ControllerRevision", "apps", "apps", "v1"),
    ("StorageClass", "storage", "storage.k8s.io", "v1"),
    ("VolumeAttachment", "storage", "storage.k8s.io", "v1"),
    ("CSIDriver", "storage", "storage.k8s.io", "v1"),
    ("CSINode", "storage", "storage.k8s.io", "v1"),
    ("PodDisruptionBudget", "policy", "policy", "v1"),
    ("Lease", "coordination", "coordination.k8s.io", "v1"),
]

# Types with their own OpenAPI definitions (no struct walk).
SPECIAL = {
    ("meta", "Time"): "string",
    ("meta", "MicroTime"): "string",
    ("meta", "Duration"): "string",
    ("resource", "Quantity"): "Quantity",
    ("intstr", "IntOrString"): "IntOrString",
    ("runtime", "RawExtension"): "RawExtension",
    ("types", "UID"): "string",
    ("meta", "FieldsV1"): "FieldsV1",
}

PRIMS = {"string": "string", "bool": "boolean", "int": "integer", "int32": "integer", "int64": "integer", "uint64": "integer", "float32": "number", "float64": "number", "byte": "integer"}


def parse_package(path):
    """Struct fields, named types, enum constants and swagger docs of a package."""
    structs, named, enums, consts, docs, enum_types = {}, {}, {}, {}, {}, set()
    for f in sorted(Path(path).glob("*.go")):
        if f.name.endswith("_test.go") or f.name.startswith("zz_") or f.name.startswith("generated"):
            continue
        text = f.read_text()
        if f.name == "types_swagger_doc_generated.go":
            for m in re.finditer(r"var map_(\w+) = map\[string\]string\{(.*?)\n\}", text, re.S):
                entries = {}
                for em in re.finditer(r'^\s*"([^"]*)":\s*"((?:[^"\\]|\\.)*)",\s*$', m.group(2), re.M):
                    entries[em.group(1)] = json.loads('"' + em.group(2) + '"')
                docs[m.group(1)] = entries
            continue
        lines = text.split("\n")
        i = 0
        comment = []
        while i < len(lines):
            line = lines[i]
            s = line.strip()
            if s.startswith("//"):
                comment.append(s[2:])
                i += 1
                continue
            m = re.match(r"^type (\w+) struct \{\s*$", line)
            if m:
                name = m.group(1)
                fields = []
                fc = []
                i += 1
                while i < len(lines) and not lines[i].startswith("}"):
                    fl = lines[i].strip()
                    i += 1
                    if fl.startswith("//"):
                        fc.append(fl[2:])
                        continue
                    if not fl:
                        fc = []
                        continue
                    fm = re.match(r"^(?:(\w+)\s+)?([\*\[\]\w\.]+)\s*`([^`]*)`", fl)
                    if fm:
                        gname, gtype, tags = fm.group(1), fm.group(2), fm.group(3)
                        jm = re.search(r'json:"([^"]*)"', tags)
                        jtag = jm.group(1) if jm else ""
                        if gname is None:
                            # embedded
                            fields.append({"embedded": True, "type": gtype, "json": jtag, "comment": fc})
                        else:
                            fields.append({"go": gname, "type": gtype, "json": jtag, "comment": fc})
                    fc = []
                structs[name] = fields
                comment = []
                i += 1
                continue
            m = re.match(r"^type (\w+) ([\w\.\[\]\*]+)\s*$", line)
            if m:
                named[m.group(1)] = m.group(2)
                if any(c.strip() == "+enum" for c in comment):
                    enum_types.add(m.group(1))
                comment = []
                i += 1
                continue
            if s.startswith("const ("):
                i += 1
                cc = []
                while i < len(lines) and lines[i].strip() != ")":
                    cl = lines[i].strip()
                    i += 1
                    if cl.startswith("//"):
                        cc.append(cl[2:])
                        continue
                    cm = re.match(r'^(\w+)\s+(\w+)\s*=\s*"([^"]*)"', cl)
                    if cm:
                        consts.setdefault(cm.group(2), []).append((cm.group(3), [c[1:] if c.startswith(" ") else c for c in cc]))
                    cc = []
                comment = []
                i += 1
                continue
            comment = []
            i += 1
    return {"structs": structs, "named": named, "enums": enum_types, "consts": consts, "docs": docs}


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: scripts/gen_explain.py KUBERNETES_TREE > src/kubectl/commands/explain_data.json\n"
                 "(the root of a Kubernetes 1.36 source tree; see the docstring)")
    root = Path(sys.argv[1])
    if not (root / PACKAGES["core"]).is_dir():
        sys.exit(f"{root} is not a Kubernetes source tree: {root / PACKAGES['core']} does not exist")
    pkgs = {k: parse_package(root / p) for k, p in PACKAGES.items()}
    out_types = {}

    def qual(pkg, t):
        """(package, name) of a Go type reference as written in `pkg`."""
        if "." in t:
            a, n = t.split(".", 1)
            return (ALIASES.get(a, a), n)
        return (pkg, t)

    def type_expr(pkg, gtype, want):
        """OpenAPI type name as kubectl explain prints it, and enum values."""
        t = gtype.lstrip("*")
        if t.startswith("[]"):
            inner = t[2:]
            if inner == "byte":
                return "string", None
            e, _ = type_expr(pkg, inner, want)
            return "[]" + e, None
        m = re.match(r"^map\[([\w\.]+)\](.+)$", t)
        if m:
            e, _ = type_expr(pkg, m.group(2), want)
            return "map[string]" + e, None
        if t in PRIMS:
            return PRIMS[t], None
        p, n = qual(pkg, t)
        if (p, n) in SPECIAL:
            return SPECIAL[(p, n)], None
        info = pkgs.get(p)
        if info is None:
            return "Object", None
        if n in info["named"]:
            base = info["named"][n]
            e, _ = type_expr(p, base, want)
            values = None
            if n in info["enums"]:
                values = sorted(info["consts"].get(n, []), key=lambda v: v[0])
            return e, values
        if n in info["structs"]:
            want.append((p, n))
            return n, None
        return "Object", None

    def enum_lines(values):
        lines = ["", "Possible enum values:"]
        for v, c in values:
            line = " - `%s`" % json.dumps(v)
            comment = " ".join(x for x in c if not x.strip().startswith("+")).strip()
            if comment:
                line += " " + comment
            lines.append(line)
        return "\n".join(lines[1:])

    def walk(pkg, name):
        key = name
        if key in out_types:
            return
        info = pkgs[pkg]
        docs = info["docs"].get(name, {})
        fields = []
        want = []

        def add_fields(p, sname):
            sinfo = pkgs[p]
            sdocs = sinfo["docs"].get(sname, {})
            for f in sinfo["structs"].get(sname, []):
                jname = f["json"].split(",")[0]
                if jname == "-":
                    continue
                if not jname and (f.get("embedded") or ",inline" in f["json"]):
                    ep, en = qual(p, f["type"].lstrip("*"))
                    if ep in pkgs and en in pkgs[ep]["structs"]:
                        add_fields(ep, en)
                    continue
                if not jname:
                    continue
                optional = "omitempty" in f["json"] or any(c.strip() == "+optional" for c in f["comment"])
                texpr, values = type_expr(p, f["type"], want)
                desc = sdocs.get(jname, "")
                if values:
                    desc = (desc + "\n\n" + enum_lines(values)) if desc else enum_lines(values)
                entry = [jname, texpr, desc, 0 if optional else 1, [v for v, _ in values] if values else None]
                fields.append(entry)

        add_fields(pkg, name)
        fields.sort(key=lambda e: e[0])
        out_types[key] = {"d": docs.get("", ""), "f": fields}
        for p, n in want:
            walk(p, n)

    kinds = {}
    for kind, pkg, group, version in KINDS:
        walk(pkg, kind)
        i = [k[0] for k in KINDS].index(kind)
        kinds[kind] = {"group": group, "version": version}
    json.dump({"kinds": kinds, "types": dict(sorted(out_types.items()))}, sys.stdout, separators=(",", ":"), sort_keys=False, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
