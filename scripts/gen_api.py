#!/usr/bin/env python3
"""Generates Kubarium's API surface from the Kubernetes API sources: the one
place the kinds and fields the simulated API server serves come from.

    scripts/gen_api.py KUBERNETES_TREE

writes two files:

* src/engine/api/kinds.rs: the `kinds!` table (kind, group, served
  versions with the preferred first, plural, singular, short names, scope,
  categories) of every kind a 1.36 API server serves with create and list
  in its stable versions, from the discovery documents (api/discovery). The
  kinds listed in TYPED below are interpreted by the engine and have Rust
  types; every other kind is stored as api::Generic and checked against the
  schema table.
* src/engine/api/explain_data.json: the schema table. For every served
  (apiVersion, kind) the Go type at its root, and for every struct reachable
  from one: its description and per field its JSON name, its OpenAPI type
  as `kubectl explain` names it (`string`, `integer`, `[]Container`,
  `map[string]Quantity`, ...), whether it is required, its description, its
  enum values and its Go type as encoding/json's errors print it. The
  decoder of generic kinds (api::schema), `kubectl explain` and
  `api-resources` read it. Descriptions come from the
  types_swagger_doc_generated.go maps (the Go doc comments as the API
  server's OpenAPI publishes them); enum-typed fields get the "Possible enum
  values" lines openapi-gen appends. Output is deterministic.

KUBERNETES_TREE is the root of a Kubernetes source tree of the simulated
version (1.36): the one with `staging/src/k8s.io/api` and `api/discovery`
in it. Either clone kubernetes/kubernetes at the matching tag, or use the
copy openshift/microshift vendors under deps/github.com/openshift/kubernetes:

    git clone --depth 1 https://github.com/openshift/microshift
    scripts/gen_api.py microshift/deps/github.com/openshift/kubernetes

To serve a new kind: nothing here (a kind the tree serves is generated).
To make the engine interpret one: add its Rust type and its line to TYPED.
"""

import json
import re
import sys
from pathlib import Path

# package key -> (directory in the tree, Go package name as reflect prints it)
PACKAGES = {
    "core": ("staging/src/k8s.io/api/core/v1", "v1"),
    "apps": ("staging/src/k8s.io/api/apps/v1", "v1"),
    "storage": ("staging/src/k8s.io/api/storage/v1", "v1"),
    "policy": ("staging/src/k8s.io/api/policy/v1", "v1"),
    "coordination": ("staging/src/k8s.io/api/coordination/v1", "v1"),
    "meta": ("staging/src/k8s.io/apimachinery/pkg/apis/meta/v1", "v1"),
    "batch": ("staging/src/k8s.io/api/batch/v1", "v1"),
    "autoscaling": ("staging/src/k8s.io/api/autoscaling/v1", "v1"),
    "autoscalingv2": ("staging/src/k8s.io/api/autoscaling/v2", "v2"),
    "networking": ("staging/src/k8s.io/api/networking/v1", "v1"),
    "rbac": ("staging/src/k8s.io/api/rbac/v1", "v1"),
    "scheduling": ("staging/src/k8s.io/api/scheduling/v1", "v1"),
    "node": ("staging/src/k8s.io/api/node/v1", "v1"),
    "discovery": ("staging/src/k8s.io/api/discovery/v1", "v1"),
    "admissionregistration": ("staging/src/k8s.io/api/admissionregistration/v1", "v1"),
    "certificates": ("staging/src/k8s.io/api/certificates/v1", "v1"),
    "flowcontrol": ("staging/src/k8s.io/api/flowcontrol/v1", "v1"),
    "resourceapi": ("staging/src/k8s.io/api/resource/v1", "v1"),
    "events": ("staging/src/k8s.io/api/events/v1", "v1"),
    "apiextensions": ("staging/src/k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1", "v1"),
    "apiregistration": ("staging/src/k8s.io/kube-aggregator/pkg/apis/apiregistration/v1", "v1"),
}

# import alias -> package key (the API packages import core/v1 and meta/v1 under these names)
ALIASES = {"v1": "core", "corev1": "core", "apiv1": "core", "metav1": "meta", "appsv1": "apps", "storagev1": "storage", "policyv1": "policy"}

# (group, version) -> package key
GROUP_VERSIONS = {
    ("", "v1"): "core",
    ("apps", "v1"): "apps",
    ("storage.k8s.io", "v1"): "storage",
    ("policy", "v1"): "policy",
    ("coordination.k8s.io", "v1"): "coordination",
    ("batch", "v1"): "batch",
    ("autoscaling", "v1"): "autoscaling",
    ("autoscaling", "v2"): "autoscalingv2",
    ("networking.k8s.io", "v1"): "networking",
    ("rbac.authorization.k8s.io", "v1"): "rbac",
    ("scheduling.k8s.io", "v1"): "scheduling",
    ("node.k8s.io", "v1"): "node",
    ("discovery.k8s.io", "v1"): "discovery",
    ("admissionregistration.k8s.io", "v1"): "admissionregistration",
    ("certificates.k8s.io", "v1"): "certificates",
    ("flowcontrol.apiserver.k8s.io", "v1"): "flowcontrol",
    ("resource.k8s.io", "v1"): "resourceapi",
    ("events.k8s.io", "v1"): "events",
    ("apiextensions.k8s.io", "v1"): "apiextensions",
    ("apiregistration.k8s.io", "v1"): "apiregistration",
}

# The kinds the engine interprets: (group, kind) -> Rust type (src/engine/api).
# Every other kind is served from the schema (api::Generic). Order is
# Kind::ALL's order (kubectl's tie-breaks, `get all`).
TYPED = [
    ("", "Namespace", "Namespace"),
    ("", "Node", "Node"),
    ("", "Pod", "Pod"),
    ("", "Service", "Service"),
    ("", "Endpoints", "Endpoints"),
    ("", "ConfigMap", "ConfigMap"),
    ("", "Secret", "Secret"),
    ("", "ServiceAccount", "ServiceAccount"),
    ("", "Event", "Event"),
    ("", "PersistentVolume", "PersistentVolume"),
    ("", "PersistentVolumeClaim", "PersistentVolumeClaim"),
    ("", "ResourceQuota", "ResourceQuota"),
    ("apps", "Deployment", "Deployment"),
    ("apps", "ReplicaSet", "ReplicaSet"),
    ("apps", "StatefulSet", "StatefulSet"),
    ("apps", "ControllerRevision", "ControllerRevision"),
    ("storage.k8s.io", "StorageClass", "StorageClass"),
    ("storage.k8s.io", "VolumeAttachment", "VolumeAttachment"),
    ("storage.k8s.io", "CSIDriver", "CsiDriver"),
    ("storage.k8s.io", "CSINode", "CsiNode"),
    ("policy", "PodDisruptionBudget", "PodDisruptionBudget"),
    ("coordination.k8s.io", "Lease", "Lease"),
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
    # apiextensions' schema types decode any JSON (their own UnmarshalJSON)
    ("apiextensions", "JSON"): "JSON",
    ("apiextensions", "JSONSchemaPropsOrBool"): "JSONSchemaPropsOrBool",
    ("apiextensions", "JSONSchemaPropsOrArray"): "JSONSchemaPropsOrArray",
    ("apiextensions", "JSONSchemaPropsOrStringArray"): "JSONSchemaPropsOrStringArray",
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


# Resources served without create and list (the reviews, bindings,
# componentstatuses): nothing is stored, but discovery has them, so
# `api-resources` lists them and `auth can-i` resolves their names.
UNLISTED = []


def discovery(root):
    """(group, version) -> [(kind, plural, singular, shortNames, namespaced, categories)] of
    the resources a 1.36 API server serves with create and list, in discovery order."""
    out = {}
    core = json.loads((root / "api/discovery/api__v1.json").read_text())
    agg = json.loads((root / "api/discovery/aggregated_v2.json").read_text())
    rows = []
    UNLISTED.clear()
    for r in core["resources"]:
        if "/" in r["name"]:
            continue
        if not {"create", "list"} <= set(r["verbs"]):
            UNLISTED.append(("", "v1", r["kind"], r["name"], r.get("shortNames") or [], r["namespaced"]))
            continue
        rows.append(("", "v1", r["kind"], r["name"], r["singularName"], r.get("shortNames") or [], r["namespaced"], r.get("categories") or []))
    for g in agg["items"]:
        group = g["metadata"].get("name", "")
        for v in g["versions"]:
            for r in v["resources"]:
                if not {"create", "list"} <= set(r.get("verbs", [])):
                    if v["version"].lstrip("v").isdigit():
                        UNLISTED.append((group, v["version"], r["responseKind"]["kind"], r["resource"], r.get("shortNames") or [],
                                         r["scope"] == "Namespaced"))
                    continue
                rows.append((group, v["version"], r["responseKind"]["kind"], r["resource"], r["singularResource"],
                             r.get("shortNames") or [], r["scope"] == "Namespaced", r.get("categories") or []))
    for row in rows:
        if (row[0], row[1]) in GROUP_VERSIONS:
            out.setdefault((row[0], row[1]), []).append(row[2:])
    return out, [(row[0], row[1]) for row in rows]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: scripts/gen_api.py KUBERNETES_TREE\n"
                 "(the root of a Kubernetes 1.36 source tree; see the docstring)")
    root = Path(sys.argv[1])
    if not (root / PACKAGES["core"][0]).is_dir():
        sys.exit(f"{root} is not a Kubernetes source tree: {root / PACKAGES['core'][0]} does not exist")
    pkgs = {k: parse_package(root / p) for k, (p, _) in PACKAGES.items()}
    out_types = {}
    keys = {}  # (package, Go name) -> key in the types table
    taken = set()

    def key(p, n):
        """The table's name for a type: its Go name, or Name@package when an
        earlier package has a type of that name (kubectl shows the Go name)."""
        if (p, n) not in keys:
            k = n if n not in taken else f"{n}@{p}"
            taken.add(n)
            keys[(p, n)] = k
        return keys[(p, n)]

    def qual(pkg, t):
        """(package, name) of a Go type reference as written in `pkg`."""
        if "." in t:
            a, n = t.split(".", 1)
            return (ALIASES.get(a, a), n)
        return (pkg, t)

    def go_type(pkg, gtype):
        """The field's Go type as reflect prints it in encoding/json's errors."""
        t = gtype.lstrip("*")
        if t.startswith("[]"):
            return "[]" + ("uint8" if t[2:] == "byte" else go_type(pkg, t[2:]))
        m = re.match(r"^map\[([\w\.]+)\](.+)$", t)
        if m:
            return "map[" + go_type(pkg, m.group(1)) + "]" + go_type(pkg, m.group(2))
        if t in PRIMS or t == "interface{}":
            return t
        if "." in t:
            a, n = t.split(".", 1)
            p = ALIASES.get(a, a)
            return f"{PACKAGES[p][1] if p in PACKAGES else a}.{n}"
        return f"{PACKAGES[pkg][1]}.{t}"

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
            return key(p, n), None
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
        k = key(pkg, name)
        if k in out_types:
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
                entry = [jname, texpr, desc, 0 if optional else 1, [v for v, _ in values] if values else None, go_type(p, f["type"])]
                fields.append(entry)

        out_types[k] = None  # reserve: recursive types
        add_fields(pkg, name)
        fields.sort(key=lambda e: e[0])
        out_types[k] = {"d": docs.get("", ""), "f": fields}
        for p, n in want:
            walk(p, n)

    served, order = discovery(root)
    typed = {(g, k): rust for g, k, rust in TYPED}
    # (group, kind) -> facts, versions in discovery order (the preferred first)
    kinds = {}
    for gv in dict.fromkeys(order):
        if gv not in served:
            continue
        group, version = gv
        pkg = GROUP_VERSIONS[gv]
        for kind, plural, singular, short, namespaced, cats in served[gv]:
            if kind not in pkgs[pkg]["structs"]:
                continue
            e = kinds.setdefault((group, kind), {"plural": plural, "singular": singular, "short": short,
                                                 "namespaced": namespaced, "categories": cats, "versions": []})
            e["versions"].append((version, pkg))
    for g, k, _ in TYPED:
        if (g, k) not in kinds:
            sys.exit(f"typed kind {g}/{k} is not served by this tree")
    # the typed kinds first (their explain output is unchanged), then the rest by group and kind
    ordered = [(g, k) for g, k, _ in TYPED] + sorted(k for k in kinds if k not in typed)
    table = {}
    for gk in ordered:
        for version, pkg in kinds[gk]["versions"]:
            walk(pkg, gk[1])
            av = f"{gk[0]}/{version}" if gk[0] else version
            table[f"{av}/{gk[1]}"] = key(pkg, gk[1])

    out = root_dir() / "src/engine/api/explain_data.json"
    with open(out, "w") as f:
        json.dump({"kinds": table, "types": dict(sorted(out_types.items()))}, f, separators=(",", ":"), sort_keys=False, ensure_ascii=False)
        f.write("\n")

    variants = set()
    lines = []
    for gk in ordered:
        g, k = gk
        e = kinds[gk]
        rust = typed.get(gk)
        var = rust or k
        if var in variants:
            var = g.split(".")[0].capitalize() + k
        variants.add(var)
        q = lambda xs: "[" + ", ".join(json.dumps(x) for x in xs) + "]"
        versions = [v for v, _ in e["versions"]]
        body = (f'{json.dumps(k)}, {json.dumps(g)}, {json.dumps(versions[0])}, {q(versions[1:])}, {json.dumps(e["plural"])}, '
                f'{json.dumps(e["singular"])}, {q(e["short"])}, {str(e["namespaced"]).lower()}, {q(e["categories"])};')
        lines.append(f"        {var}({rust}) = {body}" if rust else f"        {var} = {body}")
    ntyped = len(TYPED)
    rs = ("// @generated by scripts/gen_api.py from Kubernetes 1.36's API discovery\n"
          "// (api/discovery) and types; do not edit. See ARCHITECTURE.md, \"API surface\".\n"
          "kinds! {\n    typed {\n" + "\n".join(lines[:ntyped]) + "\n    }\n    generic {\n" + "\n".join(lines[ntyped:]) + "\n    }\n}\n")
    rs += ("\n/// Served without create and list: in discovery, never stored.\npub const UNLISTED: &[KindInfo] = &[\n" +
           "".join(f'    KindInfo {{ kind: {json.dumps(k)}, group: {json.dumps(g)}, version: {json.dumps(v)}, also: &[], plural: {json.dumps(p)}, '
                   f'singular: {json.dumps(k.lower())}, short_names: &{q(sh)}, namespaced: {str(ns).lower()}, categories: &[] }},\n'
                   for g, v, k, p, sh, ns in UNLISTED) + "];\n")
    (root_dir() / "src/engine/api/kinds.rs").write_text(rs)


def root_dir():
    return Path(__file__).resolve().parent.parent


if __name__ == "__main__":
    main()
