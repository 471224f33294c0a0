//! "Take it to a real cluster": the session as a bash script of kubectl
//! commands (manifests inline), and a kind cluster config with the same
//! nodes and zones. Simulator-only verbs become their nearest real
//! equivalent (a stopped node is a stopped kind node container) or a
//! comment saying there is none.

use crate::engine::Cluster;
use crate::ui::state::ConsoleEntry;

pub const KIND_CLUSTER: &str = "kubarium";

/// kind's container names: the first worker is `<cluster>-worker`, then `-worker2`, ...
fn kind_workers(c: &Cluster) -> Vec<(String, String, String)> {
    c.world
        .machines
        .iter()
        .enumerate()
        .map(|(i, (name, m))| (name.clone(), m.zone.clone(), if i == 0 { format!("{KIND_CLUSTER}-worker") } else { format!("{KIND_CLUSTER}-worker{}", i + 1) }))
        .collect()
}

fn var(node: &str) -> String {
    let v: String = node.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect();
    format!("NODE_{v}")
}

/// A kind config: one control plane, one worker per simulated node, each
/// labelled with its zone.
pub fn kind_config(c: &Cluster) -> String {
    let mut out = format!(
        "# kind create cluster --name {KIND_CLUSTER} --config kind.yaml\n# One worker per Kubarium node, labelled with its zone.\nkind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n- role: control-plane\n"
    );
    for (name, zone, kind_name) in kind_workers(c) {
        out.push_str(&format!("- role: worker # Kubarium's {name} (kind calls it {kind_name})\n  labels:\n    topology.kubernetes.io/zone: {zone}\n"));
    }
    out
}

/// Seconds for `sleep` from a Go-style duration (`90s`, `2m`, `1m30s`).
fn seconds(d: &str) -> Option<i64> {
    crate::engine::time::parse_duration(d).ok().map(|ms| (ms + 999) / 1000)
}

fn heredoc_delimiter(body: &str) -> String {
    let mut d = "KUBARIUM_EOF".to_string();
    while body.lines().any(|l| l == d) {
        d.push('_');
    }
    d
}

/// Replaces Kubarium node names in a command with kind's (as shell variables).
fn map_nodes(cmd: &str, nodes: &[(String, String, String)]) -> String {
    cmd.split(' ')
        .map(|w| {
            for (n, _, _) in nodes {
                if w == n {
                    return format!("\"${{{}}}\"", var(n));
                }
                if let Some(rest) = w.strip_prefix(&format!("node/{n}")) {
                    if rest.is_empty() {
                        return format!("\"node/${{{}}}\"", var(n));
                    }
                }
            }
            w.to_string()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The session's commands as a runnable bash script.
pub fn shell_script(console: &[ConsoleEntry], c: &Cluster) -> String {
    let nodes = kind_workers(c);
    let mut out = String::from(
        "#!/usr/bin/env bash\n# Replays a Kubarium session on a real cluster (kubectl 1.36).\n# CREATE_CLUSTER=1 makes a kind cluster shaped like the simulated one first\n# (needs kind and docker); otherwise the current kubectl context is used.\nset -euo pipefail\n\n",
    );
    out.push_str(&format!("if [ \"${{CREATE_CLUSTER:-0}}\" = 1 ]; then\n  cat > kind.yaml <<'KIND_EOF'\n{}KIND_EOF\n  kind create cluster --name {KIND_CLUSTER} --config kind.yaml\n  # Kubarium's local-path class (kind's own `standard` class is the same provisioner).\n  kubectl apply -f - <<'SC_EOF'\napiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: local-path\nprovisioner: rancher.io/local-path\nvolumeBindingMode: WaitForFirstConsumer\nreclaimPolicy: Delete\nSC_EOF\nfi\n\n", kind_config(c)));
    out.push_str("# Kubarium's node names and kind's node containers.\n");
    for (n, _, k) in &nodes {
        out.push_str(&format!("{}={k}\n", var(n)));
    }
    out.push('\n');
    for e in console {
        let words: Vec<&str> = e.command.split_whitespace().collect();
        out.push_str(&format!("# {} in Kubarium: {}\n", crate::ui::state::clock(e.at), e.command));
        let tolerate = if e.exit_code != 0 { " || true  # failed in Kubarium too" } else { "" };
        let line = match words.as_slice() {
            ["kubectl" | "k", ..] => {
                // A lesson's command may carry its own heredoc marker (`<<EOF`); the body follows below.
                let typed = match e.command.find(" <<") {
                    Some(i) if !e.stdin.is_empty() => &e.command[..i],
                    _ => e.command.as_str(),
                };
                let cmd = map_nodes(typed, &nodes).replacen("k ", "kubectl ", usize::from(words[0] == "k"));
                if e.stdin.is_empty() {
                    format!("{cmd}{tolerate}\n")
                } else {
                    let d = heredoc_delimiter(&e.stdin);
                    let body = if e.stdin.ends_with('\n') { e.stdin.clone() } else { format!("{}\n", e.stdin) };
                    format!("{cmd} <<'{d}'{tolerate}\n{body}{d}\n")
                }
            }
            ["cluster", "node", "stop", n] => format!("docker stop \"${{{}}}\"\n", var(n)),
            ["cluster", "node", "start", n] => format!("docker start \"${{{}}}\"\n", var(n)),
            ["cluster", "advance", d] | ["sleep", d] => match seconds(d) {
                Some(s) => format!("sleep {s}\n"),
                None => format!("# (could not read the duration {d:?})\n"),
            },
            ["cluster", "settle"] => "sleep 60  # let the cluster finish what it is doing\n".to_string(),
            ["cluster", "node", "add", n, ..] => format!("# kind cannot add a node to a running cluster: add a worker for {n} to kind.yaml and recreate it.\n"),
            ["cluster", ..] => "# no equivalent on a real cluster (a Kubarium-only command)\n".to_string(),
            _ => "# not a kubectl command\n".to_string(),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::state::Page;

    fn session() -> Page {
        let mut p = Page::new();
        p.set_editor("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tricky\ndata:\n  script: echo $HOME `date` \"$(id)\"\n  eof: KUBARIUM_EOF\n".into());
        p.apply();
        p.run("kubectl apply -f - <<EOF", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-a-lesson\n");
        p.run("kubectl cordon node-a", "");
        p.run("cluster node stop node-b", "");
        p.run("cluster advance 1m30s", "");
        p.run("kubectl get node node-b", "");
        p.run("kubectl get pod nope", "");
        p.run("cluster driver uninstall ebs.csi.aws.com", "");
        p.run("cluster node start node-b", "");
        p
    }

    #[test]
    fn the_script_is_valid_bash_with_intact_manifests() {
        let p = session();
        let s = shell_script(&p.console, p.cluster());
        assert!(s.starts_with("#!/usr/bin/env bash\n"));
        assert!(s.contains("kubectl cordon \"${NODE_NODE_A}\"\n"), "{s}");
        assert!(s.contains("kubectl apply -f - <<'KUBARIUM_EOF'\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-a-lesson\nKUBARIUM_EOF\n"), "{s}");
        assert!(s.contains("docker stop \"${NODE_NODE_B}\"\n"));
        assert!(s.contains("sleep 90\n"));
        assert!(s.contains("kubectl get pod nope || true  # failed in Kubarium too\n"));
        assert!(s.contains("NODE_NODE_C=kubarium-worker3\n"));
        assert!(s.contains("kubectl apply -f - <<'KUBARIUM_EOF'\n"), "a quoted delimiter: no expansion in the body");
        assert!(s.contains("  script: echo $HOME `date` \"$(id)\"\n  eof: KUBARIUM_EOF\nKUBARIUM_EOF\n"));
        assert_eq!(heredoc_delimiter("a\nKUBARIUM_EOF\nKUBARIUM_EOF_\n"), "KUBARIUM_EOF__");
        assert!(s.contains("# no equivalent on a real cluster"));
        if let Ok(out) = std::process::Command::new("bash").arg("-n").arg("-c").arg(&s).output() {
            assert!(out.status.success(), "bash -n: {}", String::from_utf8_lossy(&out.stderr));
        }
    }

    #[test]
    fn the_kind_config_has_a_worker_per_node_with_its_zone() {
        let mut p = Page::new();
        p.run("cluster node add node-d --zone zone-a", "");
        let y = kind_config(p.cluster());
        let docs = crate::engine::yaml::parse_stream(&y).unwrap();
        let v = docs[0].node.to_json();
        assert_eq!(v["kind"], "Cluster");
        assert_eq!(v["apiVersion"], "kind.x-k8s.io/v1alpha4");
        let nodes = v["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), 5);
        assert_eq!(nodes[0]["role"], "control-plane");
        let zones: Vec<&str> = nodes[1..].iter().map(|n| n["labels"]["topology.kubernetes.io/zone"].as_str().unwrap()).collect();
        assert_eq!(zones, ["zone-a", "zone-b", "zone-c", "zone-a"]);
    }
}
