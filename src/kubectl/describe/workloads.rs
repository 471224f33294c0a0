//! Deployments, ReplicaSets, StatefulSets.

use super::pods::describe_pod_template;
use super::*;
use crate::kubectl::printers::{format_label_selector, pvc_class, selector_string};

/// getPodStatusForController: the phases of the pods the controller owns
/// (and its selector matches).
pub(crate) fn pod_phases(cx: &Cx, owner: &ObjectMeta, selector: Option<&LabelSelector>) -> (usize, usize, usize, usize) {
    let (mut running, mut waiting, mut succeeded, mut failed) = (0, 0, 0, 0);
    let Some(selector) = selector else { return (0, 0, 0, 0) };
    let mut refs: Vec<&ObjRef> = cx.api.store.dependents(&owner.uid).filter(|r| r.kind == Kind::Pod).collect();
    crate::engine::sort::sort(&mut refs);
    for r in refs {
        let Some(Object::Pod(p)) = cx.api.store.get_ref(r).map(|o| &**o) else { continue };
        if p.metadata.namespace != owner.namespace || !selector.matches(&p.metadata.labels) {
            continue;
        }
        if p.metadata.controller_ref().is_none_or(|c| c.uid != owner.uid) {
            continue;
        }
        match p.status.phase {
            PodPhase::Running => running += 1,
            PodPhase::Pending => waiting += 1,
            PodPhase::Succeeded => succeeded += 1,
            PodPhase::Failed => failed += 1,
            _ => {}
        }
    }
    (running, waiting, succeeded, failed)
}

fn conditions(w: &mut PrefixWriter, conds: &[crate::engine::api::DeploymentCondition]) {
    if conds.is_empty() {
        return;
    }
    w.write(LEVEL_0, "Conditions:\n  Type\tStatus\tReason\n");
    w.write(LEVEL_1, "----\t------\t------\n");
    for c in conds {
        w.write(LEVEL_1, &format!("{} \t{}\t{}\n", c.type_, c.status, c.reason));
    }
}

pub(crate) fn describe_replica_set(w: &mut PrefixWriter, cx: &Cx, r: &ReplicaSet) {
    let m = &r.metadata;
    w.write(LEVEL_0, &format!("Name:\t{}\n", m.name));
    w.write(LEVEL_0, &format!("Namespace:\t{}\n", m.namespace));
    w.write(LEVEL_0, &format!("Selector:\t{}\n", format_label_selector(r.spec.selector.as_ref())));
    print_labels(w, "Labels", &m.labels);
    print_annotations(w, "Annotations", &m.annotations);
    if let Some(c) = controlled_by(m) {
        w.write(LEVEL_0, &format!("Controlled By:\t{c}\n"));
    }
    w.write(LEVEL_0, &format!("Replicas:\t{} current / {} desired\n", r.status.replicas, r.spec.replicas.unwrap_or(0)));
    let (running, waiting, succeeded, failed) = pod_phases(cx, m, r.spec.selector.as_ref());
    w.write(LEVEL_0, "Pods Status:\t");
    w.write(LEVEL_0, &format!("{running} Running / {waiting} Waiting / {succeeded} Succeeded / {failed} Failed\n"));
    describe_pod_template(w, &r.spec.template);
    conditions(w, &r.status.conditions);
    describe_events(w, cx, cx.events(&Object::ReplicaSet(r.clone())));
}

/// EqualIgnoreHash: pod templates equal once the pod-template-hash label is dropped.
fn equal_ignore_hash(a: &PodTemplateSpec, b: &PodTemplateSpec) -> bool {
    let strip = |t: &PodTemplateSpec| {
        let mut t = t.clone();
        t.metadata.labels.remove("pod-template-hash");
        crate::engine::api::to_json(&t)
    };
    strip(a) == strip(b)
}

pub(crate) fn describe_deployment(w: &mut PrefixWriter, cx: &Cx, d: &Deployment) {
    let m = &d.metadata;
    w.write(LEVEL_0, &format!("Name:\t{}\n", m.name));
    w.write(LEVEL_0, &format!("Namespace:\t{}\n", m.namespace));
    w.write(LEVEL_0, &format!("CreationTimestamp:\t{}\n", time_fmt(m.creation_timestamp)));
    print_labels(w, "Labels", &m.labels);
    print_annotations(w, "Annotations", &m.annotations);
    w.write(LEVEL_0, &format!("Selector:\t{}\n", d.spec.selector.as_ref().map(selector_string).unwrap_or_default()));
    w.write(
        LEVEL_0,
        &format!(
            "Replicas:\t{} desired | {} updated | {} total | {} available | {} unavailable\n",
            d.spec.replicas.unwrap_or(0),
            d.status.updated_replicas,
            d.status.replicas,
            d.status.available_replicas,
            d.status.unavailable_replicas
        ),
    );
    w.write(LEVEL_0, &format!("StrategyType:\t{}\n", d.spec.strategy.type_));
    w.write(LEVEL_0, &format!("MinReadySeconds:\t{}\n", d.spec.min_ready_seconds));
    if let Some(ru) = &d.spec.strategy.rolling_update {
        let s = |v: &Option<IntOrString>| v.as_ref().map(|x| x.to_string()).unwrap_or_else(|| "<nil>".into());
        w.write(LEVEL_0, &format!("RollingUpdateStrategy:\t{} max unavailable, {} max surge\n", s(&ru.max_unavailable), s(&ru.max_surge)));
    }
    describe_pod_template(w, &d.spec.template);
    conditions(w, &d.status.conditions);

    // deploymentutil.GetAllReplicaSets: the ReplicaSets it controls; the new
    // one is the oldest whose template matches the Deployment's.
    let mut owned: Vec<&ReplicaSet> = cx
        .api
        .store
        .dependents(&m.uid)
        .filter(|r| r.kind == Kind::ReplicaSet)
        .filter_map(|r| cx.api.store.get_ref(r))
        .filter_map(|o| o.as_::<ReplicaSet>())
        .filter(|rs| rs.metadata.controller_ref().is_some_and(|c| c.uid == m.uid))
        .collect();
    crate::engine::sort::sort_by(&mut owned, |a, b| a.metadata.name.cmp(&b.metadata.name));
    let mut by_age = owned.clone();
    crate::engine::sort::sort_by(&mut by_age, |a, b| (a.metadata.creation_timestamp, &a.metadata.name).cmp(&(b.metadata.creation_timestamp, &b.metadata.name)));
    let new_rs = by_age.into_iter().find(|rs| equal_ignore_hash(&rs.spec.template, &d.spec.template));
    let old: Vec<&ReplicaSet> = owned.iter().copied().filter(|rs| new_rs.is_none_or(|n| n.metadata.uid != rs.metadata.uid)).collect();
    if !old.is_empty() || new_rs.is_some() {
        let list = |rss: &[&ReplicaSet]| {
            let s = rss
                .iter()
                .map(|rs| format!("{} ({}/{} replicas created)", rs.metadata.name, rs.status.replicas, rs.spec.replicas.unwrap_or(0)))
                .collect::<Vec<_>>()
                .join(", ");
            if s.is_empty() { "<none>".to_string() } else { s }
        };
        w.write(LEVEL_0, &format!("OldReplicaSets:\t{}\n", list(&old)));
        w.write(LEVEL_0, &format!("NewReplicaSet:\t{}\n", list(&new_rs.into_iter().collect::<Vec<_>>())));
    }
    describe_events(w, cx, cx.events(&Object::Deployment(d.clone())));
}

pub(crate) fn describe_stateful_set(w: &mut PrefixWriter, cx: &Cx, s: &StatefulSet) {
    let m = &s.metadata;
    w.write(LEVEL_0, &format!("Name:\t{}\n", m.name));
    w.write(LEVEL_0, &format!("Namespace:\t{}\n", m.namespace));
    w.write(LEVEL_0, &format!("CreationTimestamp:\t{}\n", time_fmt(m.creation_timestamp)));
    w.write(LEVEL_0, &format!("Selector:\t{}\n", s.spec.selector.as_ref().map(selector_string).unwrap_or_default()));
    print_labels(w, "Labels", &m.labels);
    print_annotations(w, "Annotations", &m.annotations);
    w.write(LEVEL_0, &format!("Replicas:\t{} desired | {} total\n", s.spec.replicas.unwrap_or(0), s.status.replicas));
    w.write(LEVEL_0, &format!("Update Strategy:\t{}\n", s.spec.update_strategy.type_));
    if let Some(ru) = &s.spec.update_strategy.rolling_update
        && let Some(p) = ru.partition
    {
        w.write(LEVEL_1, &format!("Partition:\t{p}\n"));
        if let Some(mu) = &ru.max_unavailable {
            w.write(LEVEL_1, &format!("MaxUnavailable:\t{mu}\n"));
        }
    }
    let (running, waiting, succeeded, failed) = pod_phases(cx, m, s.spec.selector.as_ref());
    w.write(LEVEL_0, &format!("Pods Status:\t{running} Running / {waiting} Waiting / {succeeded} Succeeded / {failed} Failed\n"));
    describe_pod_template(w, &s.spec.template);
    // describeVolumeClaimTemplates
    if s.spec.volume_claim_templates.is_empty() {
        w.write(LEVEL_0, "Volume Claims:\t<none>\n");
    } else {
        w.write(LEVEL_0, "Volume Claims:\n");
        for c in &s.spec.volume_claim_templates {
            w.write(LEVEL_1, &format!("Name:\t{}\n", c.metadata.name));
            w.write(LEVEL_1, &format!("StorageClass:\t{}\n", pvc_class(c)));
            print_labels_indent(w, "  ", "Labels", "\t", &c.metadata.labels);
            print_labels_indent(w, "  ", "Annotations", "\t", &c.metadata.annotations);
            match c.spec.resources.requests.get("storage") {
                Some(q) => w.write(LEVEL_1, &format!("Capacity:\t{q}\n")),
                None => w.write(LEVEL_1, "Capacity:\t<default>\n"),
            }
            w.write(LEVEL_1, &format!("Access Modes:\t{}\n", go_list(&c.spec.access_modes.iter().map(|m| m.to_string()).collect::<Vec<_>>())));
        }
    }
    describe_events(w, cx, cx.events(&Object::StatefulSet(s.clone())));
}
