//! pkg/controller/daemon/util (daemonset_util.go) and the node predicates
//! of daemon_controller.go: the pod a DaemonSet runs on a node (the
//! tolerations it adds, the node affinity pinning it), whether a node
//! should run it, and whether a pod is of the current template.

use crate::engine::api::*;

/// `extensions.DaemonSetTemplateGenerationKey`: the pod label.
pub const TEMPLATE_GENERATION_LABEL: &str = "pod-template-generation";
/// The DaemonSet annotation the API server keeps the template generation in.
pub const TEMPLATE_GENERATION_ANNOTATION: &str = "deprecated.daemonset.template.generation";
/// `apps.DefaultDaemonSetUniqueLabelKey` (also on its ControllerRevisions).
pub const REVISION_HASH_LABEL: &str = "controller-revision-hash";

/// `AddOrUpdateDaemonPodTolerations`: daemon pods stay on nodes that are
/// not ready, unreachable, under pressure or cordoned.
pub fn add_daemon_tolerations(spec: &mut PodSpec) {
    let mut add = |key: &str, effect: &str| {
        let t = Toleration { key: key.into(), operator: "Exists".into(), effect: effect.into(), ..Default::default() };
        // AddOrUpdateTolerationInPodSpec: one per key and effect
        match spec.tolerations.iter_mut().find(|x| x.key == t.key && x.effect == t.effect) {
            Some(x) => *x = t,
            None => spec.tolerations.push(t),
        }
    };
    add("node.kubernetes.io/not-ready", "NoExecute");
    add("node.kubernetes.io/unreachable", "NoExecute");
    add("node.kubernetes.io/disk-pressure", "NoSchedule");
    add("node.kubernetes.io/memory-pressure", "NoSchedule");
    add("node.kubernetes.io/pid-pressure", "NoSchedule");
    add("node.kubernetes.io/unschedulable", "NoSchedule");
    if spec.host_network {
        add("node.kubernetes.io/network-unavailable", "NoSchedule");
    }
}

/// `CreatePodTemplate`: the tolerations, the generation and hash labels.
pub fn create_pod_template(template: &PodTemplateSpec, generation: Option<i64>, hash: &str) -> PodTemplateSpec {
    let mut t = template.clone();
    add_daemon_tolerations(&mut t.spec);
    if let Some(g) = generation {
        t.metadata.labels.insert(TEMPLATE_GENERATION_LABEL.into(), g.to_string());
    }
    if !hash.is_empty() {
        t.metadata.labels.insert(REVISION_HASH_LABEL.into(), hash.into());
    }
    t
}

/// `ReplaceDaemonSetPodNodeNameNodeAffinity`: the pod may only go to `node`.
pub fn pin_to_node(spec: &mut PodSpec, node: &str) {
    let term = NodeSelectorTerm {
        match_fields: vec![NodeSelectorRequirement { key: "metadata.name".into(), operator: "In".into(), values: vec![node.into()] }],
        ..Default::default()
    };
    let affinity = spec.affinity.get_or_insert_with(Default::default);
    let na = affinity.node_affinity.get_or_insert_with(Default::default);
    match &mut na.required_during_scheduling_ignored_during_execution {
        Some(sel) => sel.node_selector_terms = vec![term],
        None => na.required_during_scheduling_ignored_during_execution = Some(NodeSelector { node_selector_terms: vec![term] }),
    }
}

/// `GetTargetNodeName`: the node a daemon pod is on or pinned to.
pub fn target_node(p: &Pod) -> Option<String> {
    if !p.spec.node_name.is_empty() {
        return Some(p.spec.node_name.clone());
    }
    let sel = p.spec.affinity.as_ref()?.node_affinity.as_ref()?.required_during_scheduling_ignored_during_execution.as_ref()?;
    sel.node_selector_terms
        .iter()
        .flat_map(|t| &t.match_fields)
        .find(|r| r.key == "metadata.name" && r.operator == "In" && r.values.len() == 1)
        .map(|r| r.values[0].clone())
}

/// `IsPodUpdated`: of the current template, by hash or generation.
pub fn is_pod_updated(p: &Pod, hash: &str, generation: Option<i64>) -> bool {
    let by_generation = generation.is_some_and(|g| p.metadata.labels.get(TEMPLATE_GENERATION_LABEL).is_some_and(|l| *l == g.to_string()));
    let by_hash = !hash.is_empty() && p.metadata.labels.get(REVISION_HASH_LABEL).is_some_and(|h| h == hash);
    by_hash || by_generation
}

/// Whether a taint is tolerated by none of the tolerations, among the
/// taints with the given effects (FindMatchingUntoleratedTaint).
fn untolerated(taints: &[Taint], tolerations: &[Toleration], effects: &[&str]) -> bool {
    taints.iter().filter(|t| effects.contains(&t.effect.as_str())).any(|t| !tolerations.iter().any(|x| x.tolerates(t)))
}

/// `NodeShouldRunDaemonPod`: (shouldRun, shouldContinueRunning).
pub fn node_should_run(node: &Node, template: &PodTemplateSpec) -> (bool, bool) {
    let mut spec = template.spec.clone();
    add_daemon_tolerations(&mut spec);
    if !(spec.node_name.is_empty() || spec.node_name == node.metadata.name) {
        return (false, false);
    }
    // the nodeaffinity plugin's required part: nodeSelector and required terms
    let selector_ok = spec.node_selector.iter().all(|(k, v)| node.metadata.labels.get(k) == Some(v));
    let affinity_ok = spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|n| n.required_during_scheduling_ignored_during_execution.as_ref())
        .is_none_or(|s| s.matches(node));
    if !selector_ok || !affinity_ok {
        return (false, false);
    }
    let taints = &node.spec.taints;
    if untolerated(taints, &spec.tolerations, &["NoExecute", "NoSchedule"]) {
        return (false, !untolerated(taints, &spec.tolerations, &["NoExecute"]));
    }
    (true, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, taints: &[(&str, &str)]) -> Node {
        let mut n = Node { metadata: ObjectMeta::named("", name), ..Default::default() };
        n.metadata.labels.insert("kubernetes.io/os".into(), "linux".into());
        n.spec.taints = taints.iter().map(|(k, e)| Taint { key: k.to_string(), effect: e.to_string(), ..Default::default() }).collect();
        n
    }

    #[test]
    fn daemon_pods_tolerate_cordons_but_not_other_taints() {
        let t = PodTemplateSpec::default();
        assert_eq!(node_should_run(&node("a", &[]), &t), (true, true));
        assert_eq!(node_should_run(&node("a", &[("node.kubernetes.io/unschedulable", "NoSchedule")]), &t), (true, true));
        assert_eq!(node_should_run(&node("a", &[("dedicated", "NoSchedule")]), &t), (false, true), "a running pod stays");
        assert_eq!(node_should_run(&node("a", &[("dedicated", "NoExecute")]), &t), (false, false));
        let mut sel = PodTemplateSpec::default();
        sel.spec.node_selector.insert("kubernetes.io/os".into(), "windows".into());
        assert_eq!(node_should_run(&node("a", &[]), &sel), (false, false));
    }

    #[test]
    fn pods_are_pinned_to_their_node() {
        let mut s = PodSpec::default();
        pin_to_node(&mut s, "node-b");
        let p = Pod { spec: s, ..Default::default() };
        assert_eq!(target_node(&p).as_deref(), Some("node-b"));
        let t = create_pod_template(&PodTemplateSpec::default(), Some(2), "6d8f");
        assert_eq!(t.metadata.labels[TEMPLATE_GENERATION_LABEL], "2");
        assert_eq!(t.spec.tolerations.len(), 6);
    }
}
