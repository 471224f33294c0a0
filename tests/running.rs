//! Commands that wait, run in slices (`Session::begin`, `Running::poll`)
//! as the page runs them, give byte for byte what `Session::run` gives: the
//! same output and exit code, the same cluster and the same input log (so
//! a replay of it is the same cluster too); Ctrl+C (`Running::interrupt`)
//! stops a wait where it is.

use kubarium::engine::api::Kind;
use kubarium::engine::cluster::Cluster;
use kubarium::engine::time::{MINUTE, Time};
use kubarium::kubectl::session::{CmdOutput, Session};

const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      terminationGracePeriodSeconds: 5\n      containers:\n      - name: nginx\n        image: nginx:1.25\n";
const STS: &str = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  replicas: 2\n  serviceName: db\n  selector:\n    matchLabels: {app: db}\n  template:\n    metadata:\n      labels: {app: db}\n    spec:\n      containers:\n      - name: nginx\n        image: nginx:1.25\n        volumeMounts: [{name: data, mountPath: /data}]\n  volumeClaimTemplates:\n  - metadata: {name: data}\n    spec:\n      accessModes: [ReadWriteOnce]\n      resources: {requests: {storage: 1Gi}}\n";

/// A session of commands that wait in every way kubectl waits.
fn script() -> Vec<(&'static str, &'static str)> {
    vec![
        ("kubectl apply -f -", DEPLOY),
        ("kubectl rollout status deployment/web", ""),
        ("kubectl apply -f -", STS),
        ("kubectl wait --for=condition=Ready pod/db-1 --timeout=5m", ""),
        ("kubectl wait --for=create configmap/later --timeout=20s", ""),
        ("kubectl scale deployment web --replicas=5 --timeout=2m", ""),
        ("kubectl set image deployment/web nginx=nginx:1.26", ""),
        ("kubectl rollout status deployment/web --timeout=10m", ""),
        ("sleep 30", ""),
        ("kubectl drain node-a --ignore-daemonsets --delete-emptydir-data", ""),
        ("cluster advance 2m", ""),
        ("kubectl delete pod db-0", ""),
        ("kubectl run pinned --image=nginx --overrides='{\"spec\":{\"nodeName\":\"node-b\"}}'", ""),
        ("cluster node stop node-b", ""),
        ("cluster advance 1m", ""),
        // A pod on a dead node: its deletion is never confirmed. (A
        // crash-looping pod keeps the cluster busy, so the wait runs to its
        // timeout rather than ending on an idle cluster.)
        ("kubectl run crash --image=busybox:1.36 -- false", ""),
        ("kubectl delete pod pinned --timeout=30m", ""),
        ("kubectl wait --for=delete pod/nothing --timeout=1s", ""),
        ("cluster settle", ""),
        ("kubectl get pods -o wide", ""),
    ]
}

fn fingerprint(c: &Cluster) -> String {
    let mut s = format!("{} {}\n", c.now(), c.api.store.resource_version());
    for kind in Kind::ALL {
        for o in c.api.store.list(*kind) {
            s.push_str(&o.to_value().to_string());
            s.push('\n');
        }
    }
    s.push_str(&format!("{:?}", c.world.volumes));
    s
}

/// Runs a command in slices: the clock may move at most `step` ms and the
/// cluster do at most `budget` units of work per poll.
fn sliced(s: &mut Session, line: &str, stdin: &str, step: i64, budget: u64) -> (CmdOutput, usize) {
    let mut r = s.begin(line, stdin);
    let mut polls = 0;
    loop {
        polls += 1;
        let until = Time(s.cluster.now().0 + step);
        if let Some(out) = r.poll(s, until, budget) {
            return (out, polls);
        }
        assert!(polls < 5_000_000, "{line} never ends");
    }
}

#[test]
fn polling_in_slices_is_running_in_one_go() {
    let mut whole = Session::new(7);
    let outputs: Vec<CmdOutput> = script().iter().map(|(l, i)| whole.run(l, i)).collect();
    assert!(outputs[1].output.ends_with("deployment \"web\" successfully rolled out\n"), "{}", outputs[1].output);
    assert_eq!(outputs[16].output, "pod \"pinned\" deleted from default namespace\nerror: timed out waiting for the condition on pods/pinned\n");
    for (step, budget, deferred) in [(1_000, 50, false), (250, 7, true), (MINUTE, 1_000, true), (3_600_000, 100_000, false)] {
        let mut s = Session::new(7);
        s.cluster.set_deferred(deferred);
        let mut waited = 0;
        for ((line, stdin), want) in script().iter().zip(&outputs) {
            let (got, polls) = sliced(&mut s, line, stdin, step, budget);
            assert_eq!(&got, want, "{line} (step {step}, budget {budget})");
            waited += polls;
        }
        assert!(budget > 1_000 || waited > script().len() + 10, "the waits took several polls ({waited})");
        s.cluster.finish_pending();
        assert_eq!(fingerprint(&s.cluster), fingerprint(&whole.cluster), "step {step}, budget {budget}, deferred {deferred}");
        assert_eq!(s.cluster.log(), whole.cluster.log());
    }
    let replayed = Cluster::replay(7, whole.cluster.log());
    assert_eq!(fingerprint(&replayed), fingerprint(&whole.cluster));
}

#[test]
fn ctrl_c_stops_a_wait_where_it_is_and_the_log_replays_to_it() {
    let mut s = Session::new(3);
    s.run("kubectl apply -f -", DEPLOY);
    s.run("cluster node stop node-a", "");
    s.run("cluster advance 6m", "");
    let stuck = s.run("kubectl get pods -o wide --field-selector spec.nodeName=node-a -o name", "").output;
    let pod = stuck.lines().next().expect("a pod on node-a").to_string();
    let start = s.cluster.now().0;
    let mut r = s.begin(&format!("kubectl delete {pod}"), "");
    assert_eq!(r.output(), format!("pod \"{}\" deleted from default namespace\n", pod.trim_start_matches("pod/")));
    assert!(r.is_waiting());
    for _ in 0..10 {
        let until = Time(s.cluster.now().0 + MINUTE);
        assert!(r.poll(&mut s, until, 10_000).is_none());
    }
    assert_eq!(s.cluster.now().0 - start, 10 * MINUTE, "the wait moved the clock with the polls, not by a week at once");
    let out = r.interrupt(&mut s);
    assert_eq!(out.output, format!("pod \"{}\" deleted from default namespace\n^C\n", pod.trim_start_matches("pod/")));
    assert_eq!(out.exit_code, 130);
    // The session goes on, and its log replays to the same cluster.
    assert_eq!(s.run("kubectl get deploy web -o name", "").output, "deployment.apps/web\n");
    let replayed = Cluster::replay(3, s.cluster.log());
    assert_eq!(fingerprint(&replayed), fingerprint(&s.cluster));
}

/// The page's frame: however big the cluster's work, one poll does at most
/// about its budget.
#[test]
fn a_poll_does_about_its_budget_of_work() {
    let mut s = Session::new(5);
    s.cluster.set_deferred(true);
    let mut r = s.begin("kubectl create deployment big --image=nginx --replicas=300", "");
    let now = s.cluster.now();
    assert!(r.poll(&mut s, now, 100).is_some(), "a create does not wait");
    assert!(s.cluster.has_pending_work(), "the scale's work is left to the frames");
    let mut r = s.begin("cluster advance 1m", "");
    let mut polls = 0;
    loop {
        let before = s.cluster.work();
        let done = r.poll(&mut s, Time(i64::MAX), 200).is_some();
        assert!(s.cluster.work() - before <= 200 + 400, "{}", s.cluster.work() - before);
        polls += 1;
        if done {
            break;
        }
    }
    assert!(polls > 10, "{polls}");
}
