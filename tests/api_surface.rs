//! Every built-in kind of Kubernetes 1.36 is served (issue: the API
//! surface): manifests of each, written in the shapes real applications and
//! the documentation use (tests/manifests/api-surface/), apply with no
//! unknown kind or field, list, print as YAML, and are refused with the API
//! server's words when a field is misspelt.

use kubarium::engine::api::{Kind, Object, schema};
use kubarium::kubectl::session::Session;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/manifests/api-surface")
}

fn run(s: &mut Session, line: &str) -> (String, i32) {
    let out = s.run(line, "");
    (out.output, out.exit_code)
}

fn files() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir()).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "yaml")).collect();
    v.sort();
    v
}

#[test]
fn a_manifest_of_every_served_kind_applies_lists_and_prints() {
    let mut s = Session::new(1);
    let mut applied: BTreeSet<String> = BTreeSet::new();
    for f in files() {
        let out = s.run("kubectl apply -f -", &std::fs::read_to_string(&f).unwrap());
        let (out, code) = (out.output, out.exit_code);
        assert_eq!(code, 0, "{}:\n{out}", f.display());
        for line in out.lines() {
            assert!(line.ends_with(" created"), "{}: {line}", f.display());
            applied.insert(line.split('/').next().unwrap().to_string());
        }
    }
    // Every kind the server serves has a manifest here: the typed kinds
    // through the other tests and transcripts, every generic one here.
    for k in Kind::ALL.iter().filter(|k| k.is_generic()) {
        let name = k.info().qualified_singular();
        assert!(applied.contains(&name), "no manifest of {name} in tests/manifests/api-surface");
        let (out, code) = run(&mut s, &format!("kubectl get {} -A", k.info().qualified_plural()));
        assert_eq!(code, 0, "{name}: {out}");
        assert!(out.lines().count() >= 2, "{name}: {out}");
        let (yaml, code) = run(&mut s, &format!("kubectl get {} -A -o yaml", k.info().qualified_plural()));
        assert_eq!(code, 0, "{name}: {yaml}");
        assert!(yaml.contains(&format!("  kind: {}\n", k.info().kind)), "{name}: {yaml}");
    }
    // An object is shown in the version it was written in (no conversion).
    let (yaml, _) = run(&mut s, "kubectl get hpa php-apache -o yaml");
    assert!(yaml.starts_with("apiVersion: autoscaling/v1\n"), "{yaml}");
    // Applied again: nothing changed, but for the aggregated ClusterRole:
    // its `rules: []` replaces the rules the aggregation controller filled
    // in (which it then fills in again), as on a real cluster.
    for f in files() {
        let out = s.run("kubectl apply -f -", &std::fs::read_to_string(&f).unwrap()).output;
        let aggregated = |l: &str| l == "clusterrole.rbac.authorization.k8s.io/monitoring configured";
        assert!(out.lines().all(|l| l.ends_with(" unchanged") || aggregated(l)), "{}:\n{out}", f.display());
    }
}

#[test]
fn a_misspelt_field_of_a_generic_kind_is_refused_as_the_api_server_refuses_it() {
    let mut s = Session::new(1);
    let out = s.run(
        "kubectl apply -f -",
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: pi\nspec:\n  backofLimit: 4\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: pi\n        image: perl\n        comand: [perl]\n",
    );
    assert_eq!(
        out.output,
        "Error from server (BadRequest): error when creating \"STDIN\": Job in version \"v1\" cannot be handled as a Job: strict decoding error: unknown field \"spec.backofLimit\", unknown field \"spec.template.spec.containers[0].comand\"\n"
    );
    let out = s.run("kubectl apply -f -", "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: x\nspec:\n  rules:\n  - host: 5\n");
    assert_eq!(
        out.output,
        "Error from server (BadRequest): error when creating \"STDIN\": Ingress in version \"v1\" cannot be handled as a Ingress: json: cannot unmarshal number into Go struct field IngressRule.spec.rules.host of type string\n"
    );
}

#[test]
fn a_pod_takes_its_priority_from_a_priority_class_written_by_the_user() {
    let mut s = Session::new(1);
    let code = s.run("kubectl apply -f -", &std::fs::read_to_string(dir().join("scheduling-node.yaml")).unwrap()).exit_code;
    assert_eq!(code, 0);
    let out = s.run("kubectl apply -f -", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: urgent\nspec:\n  priorityClassName: high-priority\n  containers:\n  - name: c\n    image: nginx:1.25\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: batch\nspec:\n  priorityClassName: batch-low\n  containers:\n  - name: c\n    image: nginx:1.25\n");
    assert_eq!(out.output, "pod/urgent created\npod/batch created\n");
    let (out, _) = run(&mut s, "kubectl get pods -o custom-columns=NAME:.metadata.name,PRIORITY:.spec.priority,PREEMPTION:.spec.preemptionPolicy");
    assert_eq!(out, "NAME     PRIORITY   PREEMPTION\nbatch    100        Never\nurgent   1000000    PreemptLowerPriority\n");
    // A global default class applies to pods that name none.
    let out = s.run("kubectl apply -f -", "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata:\n  name: everyday\nvalue: 10\nglobalDefault: true\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: plain\nspec:\n  containers:\n  - name: c\n    image: nginx:1.25\n");
    assert_eq!(out.output, "priorityclass.scheduling.k8s.io/everyday created\npod/plain created\n");
    let (out, _) = run(&mut s, "kubectl get pod plain -o custom-columns=CLASS:.spec.priorityClassName,PRIORITY:.spec.priority");
    assert_eq!(out, "CLASS      PRIORITY\neveryday   10\n");
}

/// A value of every field of a type in the schema table (a few levels deep).
fn sample(s: &schema::Schema, ty: &str, go: &str, depth: usize) -> serde_json::Value {
    use serde_json::json;
    if let Some(inner) = ty.strip_prefix("[]") {
        return json!([sample(s, inner, go.trim_start_matches("[]"), depth)]);
    }
    if let Some(inner) = ty.strip_prefix("map[string]") {
        return json!({ "k": sample(s, inner, go.split_once(']').map(|x| x.1).unwrap_or(""), depth) });
    }
    match ty {
        "string" if go.ends_with("Time") => json!("2026-01-01T00:00:00Z"),
        "string" => json!("x"),
        "integer" => json!(1),
        "number" => json!(1.5),
        "boolean" => json!(true),
        "Quantity" => json!("1"),
        "IntOrString" => json!(1),
        _ => match s.types.get(ty) {
            Some(te) if depth < 7 => serde_json::Value::Object(te.f.iter().map(|f| (f.0.clone(), sample(s, &f.1, &f.5, depth + 1))).collect()),
            _ => json!({}),
        },
    }
}

#[test]
fn every_field_kubernetes_has_is_accepted_by_the_kinds_the_engine_interprets_and_kept() {
    let s = schema::get().expect("the schema table");
    for k in Kind::ALL.iter().filter(|k| !k.is_generic()) {
        let i = k.info();
        let mut v = sample(s, s.root(&i.api_version(), i.kind).unwrap(), "", 0);
        v["apiVersion"] = serde_json::json!(i.api_version());
        v["kind"] = serde_json::json!(i.kind);
        let (o, unknown) = Object::from_value(*k, &v).unwrap_or_else(|e| panic!("{}: {}", i.kind, e.message));
        let unknown: Vec<&str> = unknown.iter().map(|u| u.path.as_str()).collect();
        assert!(unknown.is_empty(), "{}: refused {unknown:?}", i.kind);
        // What the Rust type does not model comes back as written.
        let (again, unknown) = Object::from_value(*k, &o.to_value()).unwrap();
        assert!(unknown.is_empty());
        assert_eq!(again.to_value(), o.to_value(), "{}", i.kind);
    }
}

/// The API server defaults the Container item (SetDefaults_LimitRangeItem:
/// memory's default request from its default limit), as describe shows.
#[test]
fn a_limit_range_is_described_as_kubectl_describes_it() {
    let mut s = Session::new(1);
    let lr = "apiVersion: v1\nkind: LimitRange\nmetadata:\n  name: limits\nspec:\n  limits:\n  - type: Container\n    default: {cpu: 500m, memory: 512Mi}\n    defaultRequest: {cpu: 0.25}\n    max: {memory: 1Gi}\n  - type: PersistentVolumeClaim\n    min: {storage: 1Gi}\n";
    assert_eq!(s.run("kubectl apply -f -", lr).exit_code, 0);
    let (out, code) = run(&mut s, "kubectl describe limits limits");
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "Name:                  limits\nNamespace:             default\n\
         Type                   Resource  Min  Max  Default Request  Default Limit  Max Limit/Request Ratio\n\
         ----                   --------  ---  ---  ---------------  -------------  -----------------------\n\
         Container              cpu       -    -    250m             500m           -\n\
         Container              memory    -    1Gi  512Mi            512Mi          -\n\
         PersistentVolumeClaim  storage   1Gi  -    -                -              -\n"
    );
}

#[test]
fn the_workload_kinds_get_the_defaults_the_api_server_gives_them() {
    let mut s = Session::new(1);
    let docs = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: pi\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: pi\n        image: perl:5.34.0\n---\napiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: hello\nspec:\n  schedule: \"* * * * *\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: OnFailure\n          containers:\n          - name: hello\n            image: busybox:1.28\n---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent\nspec:\n  selector:\n    matchLabels: {app: agent}\n  template:\n    metadata:\n      labels: {app: agent}\n    spec:\n      containers:\n      - name: agent\n        image: fluentd:latest\n---\napiVersion: v1\nkind: ReplicationController\nmetadata:\n  name: nginx\nspec:\n  template:\n    metadata:\n      labels: {app: nginx}\n    spec:\n      containers:\n      - name: nginx\n        image: nginx\n";
    assert_eq!(s.run("kubectl apply -f -", docs).exit_code, 0);
    let get = |s: &mut Session, what: &str, path: &str| run(s, &format!("kubectl get {what} -o jsonpath='{path}'")).0;
    let uid = get(&mut s, "job pi", "{.metadata.uid}");
    assert_eq!(get(&mut s, "job pi", "{.spec.selector.matchLabels}"), format!("{{\"batch.kubernetes.io/controller-uid\":\"{uid}\"}}"));
    assert_eq!(get(&mut s, "job pi", "{.metadata.labels.job-name}"), "pi");
    assert_eq!(
        get(&mut s, "job pi", "{.spec.completions} {.spec.parallelism} {.spec.backoffLimit} {.spec.completionMode} {.metadata.generation}"),
        "1 1 6 NonIndexed 1"
    );
    assert_eq!(get(&mut s, "job pi", "{.spec.template.spec.containers[0].imagePullPolicy}"), "IfNotPresent");
    assert_eq!(get(&mut s, "cronjob hello", "{.spec.concurrencyPolicy} {.spec.successfulJobsHistoryLimit} {.spec.failedJobsHistoryLimit}"), "Allow 3 1");
    assert_eq!(get(&mut s, "ds agent", "{.spec.updateStrategy.rollingUpdate.maxUnavailable} {.spec.revisionHistoryLimit}"), "1 10");
    assert_eq!(get(&mut s, "ds agent", "{.spec.template.spec.containers[0].imagePullPolicy}"), "Always");
    assert_eq!(get(&mut s, "rc nginx", "{.spec.replicas} {.spec.selector.app} {.metadata.labels.app}"), "1 nginx nginx");
}

#[test]
fn a_session_with_custom_resources_and_rbac_replays_to_the_same_cluster() {
    let mut s = Session::new(7);
    let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  scope: Namespaced\n  names: {plural: widgets, kind: Widget}\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n        x-kubernetes-preserve-unknown-fields: true\n";
    assert_eq!(s.run("kubectl apply -f -", crd).exit_code, 0);
    let w = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w1\nspec:\n  size: 3\n";
    assert_eq!(s.run("kubectl apply -f -", w).exit_code, 0);
    assert_eq!(run(&mut s, "kubectl create role r --verb=get --resource=widgets.example.com").1, 0);
    // can-i resolves a custom resource's name as create role does (no
    // "doesn't have a resource type" warning)
    assert_eq!(run(&mut s, "kubectl auth can-i get widgets.example.com"), ("yes\n".to_string(), 0));
    assert_eq!(run(&mut s, "kubectl create deployment web --image=nginx --replicas=2").1, 0);
    assert_eq!(run(&mut s, "sleep 30").1, 0);
    let again = kubarium::engine::cluster::Cluster::replay(7, s.cluster.log());
    let dump = |c: &kubarium::engine::cluster::Cluster| {
        let mut kinds: Vec<Kind> = Kind::ALL.to_vec();
        kinds.extend(kubarium::engine::apiserver::crd::kinds(&c.api.store).into_iter().map(|(k, _)| k));
        kinds.iter().flat_map(|k| c.api.store.list(*k).map(|o| o.to_value().to_string()).collect::<Vec<_>>()).collect::<Vec<_>>()
    };
    let (a, b) = (dump(&s.cluster), dump(&again));
    assert!(a.iter().any(|o| o.contains("\"kind\":\"Widget\"")), "the custom resource is stored");
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y, "the replay differs");
    }
}
