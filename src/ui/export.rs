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

/// A heredoc delimiter that is no line of the body (so the body, whatever
/// it holds, cannot end the heredoc early and run as commands).
fn heredoc_delimiter(body: &str) -> String {
    let mut d = "KUBARIUM_EOF".to_string();
    while body.lines().any(|l| l == d || l.trim_end_matches('\r') == d) {
        d.push('_');
    }
    d
}

/// One word for bash, as data: left bare when it has only characters that
/// mean nothing to the shell, otherwise single-quoted (a `'` inside becomes
/// `'\''`). No expansion, substitution or word splitting can happen to it.
pub fn shell_quote(w: &str) -> String {
    let plain = !w.is_empty() && w.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./:=@%+,".contains(&b));
    if plain { w.to_string() } else { format!("'{}'", w.replace('\'', "'\\''")) }
}

/// Text for a `#` comment line: anything that could end the line (and so
/// start a command) is written as an escape instead.
fn comment_text(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect()
}

/// A kubectl command line as the simulator read it (its own word
/// splitting), each word quoted as data, Kubarium node names replaced by
/// kind's (as shell variables).
fn kubectl_line(words: &[String], nodes: &[(String, String, String)]) -> String {
    let mut out = String::from("kubectl");
    for w in &words[1..] {
        out.push(' ');
        let node = nodes.iter().find_map(|(n, _, _)| {
            if w == n {
                Some(format!("\"${{{}}}\"", var(n)))
            } else if w.strip_prefix("node/") == Some(n.as_str()) {
                Some(format!("\"node/${{{}}}\"", var(n)))
            } else {
                None
            }
        });
        out.push_str(&node.unwrap_or_else(|| shell_quote(w)));
    }
    out
}

/// The session's commands as a runnable bash script. Everything in it that
/// comes from the session (commands, names, manifests, comments) is written
/// as data: a session opened from someone else's link cannot make the script
/// run anything but the kubectl, kind and docker commands it shows.
pub fn shell_script(console: &[ConsoleEntry], c: &Cluster) -> String {
    let nodes = kind_workers(c);
    let mut out = String::from(
        "#!/usr/bin/env bash\n# Replays a Kubarium session on a real cluster (kubectl 1.36).\n# CREATE_CLUSTER=1 makes a kind cluster shaped like the simulated one first\n# (needs kind and docker); otherwise the current kubectl context is used.\nset -euo pipefail\n\n",
    );
    let kind_yaml = kind_config(c);
    let kd = heredoc_delimiter(&kind_yaml).replace("KUBARIUM_EOF", "KIND_EOF");
    out.push_str(&format!("if [ \"${{CREATE_CLUSTER:-0}}\" = 1 ]; then\n  cat > kind.yaml <<'{kd}'\n{kind_yaml}{kd}\n  kind create cluster --name {KIND_CLUSTER} --config kind.yaml\n  # Kubarium's local-path class (kind's own `standard` class is the same provisioner).\n  kubectl apply -f - <<'SC_EOF'\napiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: local-path\nprovisioner: rancher.io/local-path\nvolumeBindingMode: WaitForFirstConsumer\nreclaimPolicy: Delete\nSC_EOF\nfi\n\n"));
    out.push_str("# Kubarium's node names and kind's node containers.\n");
    for (n, _, k) in &nodes {
        out.push_str(&format!("{}={}\n", var(n), shell_quote(k)));
    }
    out.push('\n');
    for e in console {
        out.push_str(&format!("# {} in Kubarium: {}\n", crate::ui::state::clock(e.at), comment_text(&e.command)));
        let tolerate = if e.exit_code != 0 { " || true  # failed in Kubarium too" } else { "" };
        let words = match crate::kubectl::args::split_words(&e.command) {
            Ok((w, _)) => w,
            Err(_) => {
                out.push_str("# (not a command bash can read: it failed in Kubarium too)\n\n");
                continue;
            }
        };
        let w: Vec<&str> = words.iter().map(|s| s.as_str()).collect();
        let line = match w.as_slice() {
            ["kubectl" | "k", ..] => {
                let cmd = kubectl_line(&words, &nodes);
                if e.stdin.is_empty() {
                    format!("{cmd}{tolerate}\n")
                } else {
                    let d = heredoc_delimiter(&e.stdin);
                    let body = if e.stdin.ends_with('\n') { e.stdin.clone() } else { format!("{}\n", e.stdin) };
                    format!("{cmd} <<'{d}'{tolerate}\n{body}{d}\n")
                }
            }
            ["cluster", "node", "stop", n] => format!("docker stop \"${{{}}}\"{tolerate}\n", var(n)),
            ["cluster", "node", "start", n] => format!("docker start \"${{{}}}\"{tolerate}\n", var(n)),
            ["cluster", "advance", d] | ["sleep", d] => match seconds(d) {
                Some(s) if e.exit_code == 0 => format!("sleep {s}\n"),
                _ => format!("# (the duration {} was refused)\n", comment_text(&format!("{d:?}"))),
            },
            ["cluster", "settle"] => "sleep 60  # let the cluster finish what it is doing\n".to_string(),
            ["cluster", "node", "add", n, ..] => {
                format!("# kind cannot add a node to a running cluster: add a worker for {} to kind.yaml and recreate it.\n", comment_text(n))
            }
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

    /// A session opened from a hostile share link: console entries whose
    /// commands, comments and manifests try to run something. The exported
    /// script, run with bash as the page tells people to, runs only the
    /// kubectl, kind and docker commands it shows (stubs on PATH record
    /// their arguments) and creates no file but kind.yaml.
    #[cfg(unix)]
    #[test]
    fn a_hostile_sessions_script_runs_only_its_kubectl_kind_and_docker_commands() {
        use crate::ui::state::{ConsoleEntry, Page};
        use std::os::unix::fs::PermissionsExt;
        let Ok(found) = std::process::Command::new("bash").args(["-c", "command -v bash"]).output() else { return };
        let bash = String::from_utf8_lossy(&found.stdout).trim().to_string();
        let entry = |command: &str, stdin: &str, exit_code: i32| ConsoleEntry {
            command: command.into(),
            output: String::new(),
            exit_code,
            at: 1500,
            stdin: stdin.into(),
            changed: false,
        };
        let mut saved = Page::new().save();
        saved.console = vec![
            entry("kubectl get pods\ntouch pwned-newline", "", 0),
            entry("kubectl get pods $(touch pwned-subst) `touch pwned-backtick`", "", 0),
            entry("kubectl get pods '; touch pwned-quote; '", "", 0),
            entry("kubectl get pods -o jsonpath={.items[*].metadata.name} ~ *", "", 0),
            entry(
                "kubectl apply -f - <<EOF",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: $(touch pwned-body)\nKUBARIUM_EOF\ntouch pwned-delimiter\nKUBARIUM_EOF_\n",
                0,
            ),
            entry("kubectl cordon node-a", "", 0),
            entry("cluster node stop node-b; touch pwned-verb", "", 1),
            entry("cluster node stop $(touch pwned-node)", "", 1),
            entry("cluster advance 90s\r\ntouch pwned-cr", "", 0),
            entry("sleep 5", "", 0),
            entry("k get ns \"$(touch pwned-dq)\"", "", 1),
            entry("echo hi > pwned-redirect", "", 127),
            entry("kubectl 'unterminated", "", 2),
        ];
        // Through a link and back, as a visitor would get it.
        let link = crate::ui::share::encode(&saved, None);
        let (decoded, _) = crate::ui::share::decode(&link).unwrap();
        let p = Page::restore(decoded).unwrap();
        let script = shell_script(&p.console, p.cluster());

        let dir = std::env::temp_dir().join(format!("kubarium-export-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let bin = dir.join("bin");
        let work = dir.join("work");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::create_dir_all(&work).unwrap();
        let log = dir.join("calls.log");
        for stub in ["kubectl", "kind", "docker", "sleep"] {
            let path = bin.join(stub);
            // Records its name, its arguments (one per line, NUL-free) and its stdin's size.
            std::fs::write(
                &path,
                format!(
                    "#!/bin/bash\n{{ printf '%s' {stub}; for a in \"$@\"; do printf ' [%s]' \"$a\"; done; printf '\\n'; }} >> {}\ncat > /dev/null\n",
                    log.display()
                ),
            )
            .unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        // `cat` writes kind.yaml; nothing else is on PATH.
        if let Ok(cat) = std::process::Command::new("bash").args(["-c", "command -v cat"]).output() {
            std::os::unix::fs::symlink(String::from_utf8_lossy(&cat.stdout).trim(), bin.join("cat")).unwrap();
        }
        std::fs::write(dir.join("session.sh"), &script).unwrap();
        let out = std::process::Command::new(&bash)
            .arg(dir.join("session.sh"))
            .current_dir(&work)
            .env_clear()
            .env("PATH", &bin)
            .env("CREATE_CLUSTER", "1")
            .output()
            .unwrap();
        let calls = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(
            out.status.success(),
            "the script failed: {}\n{}\ncalls:\n{calls}\nscript:\n{script}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        let files: Vec<String> = std::fs::read_dir(&work).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        assert_eq!(files, ["kind.yaml"], "only kind.yaml is written\nscript:\n{script}");
        let expected = [
            "kind [create] [cluster] [--name] [kubarium] [--config] [kind.yaml]",
            "kubectl [apply] [-f] [-]",
            "kubectl [get] [pods] [touch] [pwned-newline]",
            "kubectl [get] [pods] [; touch pwned-quote; ]",
            "kubectl [get] [pods] [-o] [jsonpath={.items[*].metadata.name}] [~] [*]",
            "kubectl [apply] [-f] [-]",
            "kubectl [cordon] [kubarium-worker]",
            "sleep [5]",
            "kubectl [get] [ns] [$(touch pwned-dq)]",
        ];
        // (`$(...)` and backquotes are not simulated: those entries, and a
        // line with extra words after a verb, are comments in the script.)
        assert_eq!(calls.lines().collect::<Vec<_>>(), expected, "script:\n{script}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
