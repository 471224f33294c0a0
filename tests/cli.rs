//! The native command line (`kubarium shell`) on input a terminal or a pipe
//! may carry: bytes that are not UTF-8 in a command line, in a heredoc and
//! in a `-f` file.

use std::io::Write;
use std::process::{Command, Stdio};

fn shell(input: &[u8], dir: &std::path::Path) -> (String, String, i32) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubarium"))
        .arg("shell")
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubarium runs");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned(), out.status.code().unwrap_or(-1))
}

#[test]
fn a_line_that_is_not_utf8_is_reported_and_the_session_goes_on() {
    let dir = std::env::temp_dir();
    let (out, err, code) = shell(b"kubectl get ns default\n\xff\xfe\nkubectl get ns nope\n", &dir);
    assert_eq!(err, "kubarium: line 2: not UTF-8 text; the line was not run\n");
    assert!(out.starts_with("NAME      STATUS   AGE\ndefault   Active   2m\n"), "{out}");
    assert!(out.ends_with("Error from server (NotFound): namespaces \"nope\" not found\n"), "the line after the bad one ran: {out}");
    assert_eq!(code, 1, "the status of the last command, as bash");
}

#[test]
fn a_heredoc_that_is_not_utf8_is_read_to_its_end_and_not_applied() {
    let dir = std::env::temp_dir();
    let input = b"kubectl apply -f - <<EOF\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: \"\xff\"\n  b: c\nEOF\nkubectl get cm\n";
    let (out, err, code) = shell(input, &dir);
    assert_eq!(err, "kubarium: line 1: the here-document is not UTF-8 text (kubectl reads YAML and JSON as UTF-8); the command was not run\n");
    assert!(!out.contains("command not found"), "the body was not run as commands: {out}");
    assert!(out.contains("kube-root-ca.crt"), "the next command ran: {out}");
    assert_eq!(code, 0);
}

#[test]
fn a_file_that_is_not_utf8_gets_the_yaml_readers_error() {
    let dir = std::env::temp_dir().join(format!("kubarium-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("bad.yaml"), b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: \"\xff\xfe\"\n").unwrap();
    let (out, _, code) = shell(b"kubectl apply -f bad.yaml\nkubectl apply -f missing.yaml\n", &dir);
    assert_eq!(
        out,
        "error: error parsing bad.yaml: error converting YAML to JSON: yaml: invalid leading UTF-8 octet\nerror: the path \"missing.yaml\" does not exist\n"
    );
    assert_eq!(code, 1);
    let _ = std::fs::remove_dir_all(&dir);
}
