#!/usr/bin/env python3
"""Generates the RBAC bootstrap policy the simulated API server writes when
it starts: the ClusterRoles, ClusterRoleBindings, Roles and RoleBindings a
1.36 API server's `rbac/bootstrap-roles` post-start hook ensures
(plugin/pkg/auth/authorizer/rbac/bootstrappolicy: the `view`, `edit`,
`admin` and `cluster-admin` roles, the `system:*` roles of the components
and of every kube-controller-manager controller, their bindings).

    scripts/gen_bootstrap_policy.py KUBERNETES_TREE

reads the policy's golden files (bootstrappolicy/testdata/*.yaml, which
upstream's policy_test.go keeps equal to what the hook writes) and writes
src/engine/apiserver/bootstrappolicy.json: one JSON array of the objects,
without apiVersion (all rbac.authorization.k8s.io/v1) and the golden files'
`creationTimestamp: null`, and last the ClusterRoleBinding kubeadm writes
for its admin kubeconfig's group (EnsureAdminClusterRoleBinding, which is
what gives kind's `kubectl` its rights). KUBERNETES_TREE is as for
scripts/gen_api.py.
The copy openshift/microshift vendors carries OpenShift's additions
(`system:openshift:*`, the service CA publisher's role and binding); they
are left out, so the output is upstream's policy. Output is deterministic.
"""

import json
import sys
from pathlib import Path

import yaml

FILES = [
    "cluster-roles",
    "controller-roles",
    "cluster-role-bindings",
    "controller-role-bindings",
    "namespace-roles",
    "namespace-role-bindings",
]
TESTDATA = "plugin/pkg/auth/authorizer/rbac/bootstrappolicy/testdata"
NOT_UPSTREAM = ("openshift", "service-ca-cert-publisher")
KUBEADM_ADMINS = {
    "kind": "ClusterRoleBinding",
    "metadata": {"name": "kubeadm:cluster-admins"},
    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
    "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "kubeadm:cluster-admins"}],
}


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: scripts/gen_bootstrap_policy.py KUBERNETES_TREE")
    root = Path(sys.argv[1]) / TESTDATA
    if not root.is_dir():
        sys.exit(f"{root} does not exist: not a Kubernetes source tree")
    out = []
    for name in FILES:
        for item in yaml.safe_load((root / f"{name}.yaml").read_text())["items"]:
            if any(s in json.dumps(item) for s in NOT_UPSTREAM):
                continue
            item.pop("apiVersion")
            item["metadata"].pop("creationTimestamp", None)
            out.append(item)
    out.append(KUBEADM_ADMINS)
    dest = Path(__file__).resolve().parent.parent / "src/engine/apiserver/bootstrappolicy.json"
    with open(dest, "w") as f:
        json.dump(out, f, separators=(",", ":"), ensure_ascii=False)
        f.write("\n")
    print(f"{dest}: {len(out)} objects")


if __name__ == "__main__":
    main()
