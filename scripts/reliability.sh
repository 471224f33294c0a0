#!/usr/bin/env bash
# Reproduces the figures of RELIABILITY.md (issue 11): each case feeds a
# session to `kubarium shell` (or a file to `kubectl apply -f`) and prints
# the wall time, the peak memory, the exit status and the last lines of
# output. Cases are bounded by a timeout so a hang shows as "timeout".
#
#   scripts/reliability.sh [CASE...]          every case, or the named ones
#   BIN=/path/to/kubarium scripts/reliability.sh   another build (default:
#                                             target/release/kubarium)
#   LIMIT=60 scripts/reliability.sh           the per-case timeout in seconds
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${BIN:-target/release/kubarium}")
LIMIT=${LIMIT:-60}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

gen() { python3 - "$@"; }

# A pod that stays running, to exec into.
POD='kubectl run box --image=busybox:1.36 -- sleep 100000
kubectl wait --for=condition=Ready pod/box --timeout=2m'

case_input() { # name -> the shell session on stdout
    case $1 in
    node-name-64) echo "cluster node add $(printf 'n%.0s' {1..64})" ;;
    node-zone-invalid) echo "cluster node add node-d --zone 'not a zone!'" ;;
    advance-2p53ms) echo "cluster advance 9007199254740992ms" ;;
    advance-1000h) echo "cluster advance 1000h" ;;
    advance-168h) echo "cluster advance 168h"; echo "kubectl get nodes" ;;
    advance-100000h) echo "cluster advance 100000h" ;;
    advance-1e300) echo "cluster advance 1e300" ;;
    advance-9999999999999h) echo "cluster advance 9999999999999h" ;;
    sleep-infinity) echo "sleep infinity"; echo "kubectl get nodes" ;;
    exec-doubling) echo "$POD"; echo "kubectl exec box -- sh -c 'x=a; while true; do x=\$x\$x; done'" ;;
    replicas-1e6) echo "kubectl create deployment big --image=nginx --replicas=1000000"; echo "cluster advance 1m"; echo "kubectl get deploy big" ;;
    replicas-1e9) echo "kubectl create deployment big --image=nginx --replicas=1000000000"; echo "cluster advance 1m"; echo "kubectl get deploy big" ;;
    sts-100000-advance-10m)
        printf 'kubectl apply -f - <<EOF\napiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: big\nspec:\n  replicas: 100000\n  serviceName: big\n  selector:\n    matchLabels: {app: big}\n  template:\n    metadata:\n      labels: {app: big}\n    spec:\n      containers:\n      - name: c\n        image: nginx\nEOF\n'
        echo "cluster advance 10m"; echo "kubectl get sts big" ;;
    replicas-inf | replicas-nan | replicas-1e400)
        local v=${1#replicas-}; [ "$v" = inf ] && v=.inf; [ "$v" = nan ] && v=.nan
        printf 'kubectl apply -f - <<EOF\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: %s\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: c\n        image: nginx\nEOF\n' "$v"
        echo "kubectl get deploy web" ;;
    replicas-2000000000)
        printf 'kubectl apply -f - <<EOF\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2000000000\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: c\n        image: nginx\nEOF\n'
        echo "cluster advance 10s"; echo "kubectl get deploy,rs"; echo "kubectl get events --field-selector involvedObject.kind=ReplicaSet" ;;
    delete-pod-dead-node)
        # A crash-looping pod keeps the cluster busy for the whole week the
        # delete waits for a pod its dead node never confirms.
        echo "kubectl run crash --image=busybox:1.36 -- false"
        echo "kubectl run stuck --image=nginx --overrides='{\"spec\":{\"nodeName\":\"node-b\"}}'"
        echo "cluster advance 30s"; echo "cluster node stop node-b"; echo "cluster advance 10m"
        echo "kubectl delete pod stuck" ;;
    shell-bad-line) printf 'kubectl get nodes\n\xff\xfe\nkubectl get ns\n' ;;
    shell-heredoc-utf8) printf 'kubectl apply -f - <<EOF\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: "\xff"\n  b: c\nEOF\nkubectl get cm x -o jsonpath={.data}\n' ;;
    *) echo "unknown case $1" >&2; return 1 ;;
    esac
}

file_input() { # name -> a file for `kubectl apply -f`, on stdout
    case $1 in
    alias-100k-x2000) gen <<'EOF'
s = "a" * 100_000
print("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\n  annotations:\n    a: &a " + s)
print("data:\n  k: x\nx:\n" + "".join("- *a\n" for _ in range(2000)), end="")
EOF
    ;;
    alias-1m-x1000) gen <<'EOF'
s = "a" * 1_000_000
print("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\n  annotations:\n    a: &a " + s)
print("x:\n" + "".join("- *a\n" for _ in range(1000)), end="")
EOF
    ;;
    keys-1k | keys-4k | keys-16k | keys-64k) local n=${1#keys-}; n=${n%k}; gen "$n" <<'EOF'
import sys
n = int(sys.argv[1]) * 1000
print("apiVersion: v1\nkind: Parsed\nmetadata:\n  name: k\nx:")
for i in range(n): print(f"  k{i}: v")
EOF
    ;;
    configmap-16000-keys | configmap-100000-keys | configmap-100000-keys-apply) local n=${1#configmap-}; n=${n%-apply}; n=${n%-keys}; gen "$n" <<'EOF'
import sys
n = int(sys.argv[1])
print("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: many\ndata:")
for i in range(n): print(f"  k{i}: v")
EOF
    ;;
    configmap-10mb) gen <<'EOF'
print("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  a: " + "x" * 10_000_000)
EOF
    ;;
    depth-2000 | depth-30000) local n=${1#depth-}; gen "$n" <<'EOF'
import sys
print("- " * int(sys.argv[1]) + "x")
EOF
    ;;
    docs-25000) gen <<'EOF'
for i in range(25000): print(f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}")
EOF
    ;;
    invalid-utf8) printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: "\xff\xfe"\n' ;;
    *) return 1 ;;
    esac
}

CASES=(node-name-64 node-zone-invalid advance-2p53ms advance-168h advance-1000h advance-100000h advance-1e300 advance-9999999999999h
    sleep-infinity exec-doubling replicas-1e6 replicas-1e9 sts-100000-advance-10m replicas-inf replicas-nan replicas-1e400
    replicas-2000000000 delete-pod-dead-node shell-bad-line shell-heredoc-utf8
    alias-100k-x2000 alias-1m-x1000 keys-1k keys-4k keys-16k keys-64k configmap-16000-keys configmap-100000-keys configmap-100000-keys-apply
    configmap-10mb depth-2000 depth-30000 docs-25000 invalid-utf8)
[ $# -gt 0 ] && CASES=("$@")

# Memory is capped at 4 GiB so an allocation bomb fails instead of taking the machine.
printf '%-26s %9s %10s %6s  %s\n' case seconds peak-MB exit "last output"
for c in "${CASES[@]}"; do
    in=$WORK/$c.in
    if file_input "$c" >"$WORK/$c.yaml" 2>/dev/null; then
        # `kubectl create` for the big ConfigMaps: `apply` keeps a copy in an
        # annotation, which the API server caps at 256 KiB (as on a real cluster).
        verb=apply; case $c in configmap-*-keys) verb=create ;; esac
        printf 'kubectl %s -f %s\n' "$verb" "$c.yaml" >"$in"
    else
        case_input "$c" >"$in" || continue
    fi
    ( cd "$WORK" && ulimit -v 4194304 && exec /usr/bin/time -f '%e %M' -o "$WORK/$c.time" timeout "$LIMIT" "$BIN" shell <"$in" >"$WORK/$c.out" 2>&1 )
    rc=$?
    read -r secs kb < <(tail -1 "$WORK/$c.time" 2>/dev/null) || { secs=?; kb=0; }
    [ "$rc" = 124 ] && rc=timeout
    last=$(grep -v '^\s*$' "$WORK/$c.out" | grep -v '^Command exited' | tail -2 | cut -c1-110 | tr '\n' '|')
    printf '%-26s %9s %10s %6s  %s\n' "$c" "$secs" "$((kb / 1024))" "$rc" "$last"
done
