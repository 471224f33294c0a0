//! DefaultPreemption, the PostFilter plugin
//! (pkg/scheduler/framework/plugins/defaultpreemption), with the
//! framework's evaluator and executor (pkg/scheduler/framework/preemption):
//! when no node fits a pod, find nodes where taking away pods of lower
//! priority would make it fit, pick one, nominate the pod there and delete
//! its victims. The pod is scheduled once they are gone (their graceful
//! termination honoured); meanwhile the filters count it on that node for
//! pods of no higher priority (the scheduler's `nominated`).
//!
//! Every node is checked (minCandidateNodesAbsolute is 100). The dry run
//! takes victims away from what NodeResourcesFit and NodePorts count; the
//! spreading and inter-pod affinity counts stay as the cycle computed them
//! (upstream's PreFilter extensions RemovePod/AddPod update them), so a
//! node refused on those alone is not made feasible by preemption.

use super::*;
use crate::engine::apiserver::DeleteOptions;

/// A node where preemption makes the pod fit, and the pods to delete there.
pub struct Candidate {
    pub node: String,
    pub victims: Vec<ObjKey>,
}

/// util.MoreImportantPod's order: higher priority first, then the pod
/// that started first (a pod not started yet counts as starting now).
fn importance(p: &Pod, now: Time) -> (i32, Time) {
    (-priority(p), p.status.start_time.unwrap_or(now))
}

/// podTerminatingByPreemption.
fn terminating_by_preemption(p: &Pod) -> bool {
    p.metadata.deletion_timestamp.is_some()
        && p.status
            .conditions
            .iter()
            .find(|c| c.type_ == ConditionType::DisruptionTarget)
            .is_some_and(|c| c.status == ConditionStatus::True && c.reason == "PreemptionByScheduler")
}

/// Evaluator.Preempt up to the choice among candidates: the candidates that
/// tie on pickOneNodeForPreemption's criteria (the caller picks one, as
/// Go's map order would), or the plugin's message (after "preemption: ")
/// and the nomination to write.
pub fn preempt<'a>(
    api: &'a Api,
    pod: &Pod,
    views: &[NodeView<'a>],
    st: &PodState,
    fs: &FilterState<'_>,
    statuses: &Statuses,
) -> Result<Vec<Candidate>, (String, Option<String>)> {
    // PodEligibleToPreemptOthers
    if pod.spec.preemption_policy.as_deref() == Some("Never") {
        return Err(("not eligible due to preemptionPolicy=Never.".into(), None));
    }
    let nnn = &pod.status.nominated_node_name;
    if !nnn.is_empty()
        && statuses.get(nnn).is_some_and(|s| s.code == Code::Unschedulable)
        && api.store.pods_on_node(nnn).any(|p| priority(p) < priority(pod) && terminating_by_preemption(p))
    {
        return Err(("not eligible due to a terminating pod on the nominated node.".into(), None));
    }
    // findCandidates and DryRunPreemption, over the nodes that failed with
    // Unschedulable (not UnschedulableAndUnresolvable).
    let pdbs: Vec<&PodDisruptionBudget> = api.store.list_t::<PodDisruptionBudget>().collect();
    let mut failed = Statuses::new();
    let mut found: Vec<(Candidate, [i64; 5])> = vec![];
    for (i, v) in views.iter().enumerate() {
        let name = &v.node.metadata.name;
        if statuses.get(name).is_none_or(|s| s.code != Code::Unschedulable) {
            continue;
        }
        match select_victims(api, pod, i, v, st, fs, &pdbs) {
            Ok((victims, violations)) => {
                let score = scores(&victims, violations, api.now);
                found.push((Candidate { node: name.clone(), victims: victims.iter().map(|p| p.key()).collect() }, score));
            }
            Err(s) => {
                failed.insert(name.clone(), Box::new(s));
            }
        }
    }
    if found.is_empty() {
        let total = views.len();
        return Err((fit_error_message(total, &failed, Some("Preemption is not helpful for scheduling")), Some(String::new())));
    }
    // pickOneNodeForPreemption: each criterion in turn keeps the best.
    let best = found.iter().map(|(_, s)| *s).max().expect("candidates");
    Ok(found.into_iter().filter(|(_, s)| *s == best).map(|(c, _)| c).collect())
}

/// pickOneNodeForPreemption's criteria, greater is better: fewest PDB
/// violations, lowest highest victim priority, lowest sum of priorities,
/// fewest victims, latest start of the highest-priority victims.
fn scores(victims: &[&Pod], violations: usize, now: Time) -> [i64; 5] {
    let top = victims.first().map_or(0, |p| priority(p));
    let sum: i64 = victims.iter().map(|p| i64::from(priority(p)) + (1 << 31)).sum();
    // util.GetEarliestPodStartTime
    let earliest = victims.iter().filter(|p| priority(p) == top).map(|p| p.status.start_time.unwrap_or(now)).min().unwrap_or(now);
    [-(violations as i64), -i64::from(top), -sum, -(victims.len() as i64), earliest.0]
}

/// SelectVictimsOnNode: take away every pod of lower priority; if the pod
/// then fits, give back as many as still let it fit, most important first,
/// the ones whose eviction would violate a PodDisruptionBudget before the
/// others. The victims (most important first) and how many violate a budget.
fn select_victims<'a>(
    api: &'a Api,
    pod: &Pod,
    i: usize,
    v: &NodeView<'a>,
    st: &PodState,
    fs: &FilterState<'_>,
    pdbs: &[&PodDisruptionBudget],
) -> Result<(Vec<&'a Pod>, usize), NodeStatus> {
    let prio = priority(pod);
    if v.info.priorities.first().is_none_or(|lowest| *lowest >= prio) {
        return Err(NodeStatus::new(Code::Unresolvable, "No preemption victims found for incoming pod"));
    }
    let mut potential: Vec<&'a Pod> = api.store.pods_on_node(&v.node.metadata.name).filter(|p| occupies(p) && priority(p) < prio).collect();
    if potential.is_empty() {
        return Err(NodeStatus::new(Code::Unresolvable, "No preemption victims found for incoming pod"));
    }
    if let Some(s) = filter_node(api, pod, i, &v.without(potential.clone()), st, fs) {
        return Err(s);
    }
    crate::engine::sort::sort_by_key(&mut potential, |p| importance(p, api.now));
    let (violating, rest) = split_by_budgets(&potential, pdbs);
    let mut removed = potential.clone();
    let mut victims: Vec<&'a Pod> = vec![];
    let mut violations = 0;
    let both = !violating.is_empty() && !rest.is_empty();
    for (p, violates) in violating.into_iter().map(|p| (p, true)).chain(rest.into_iter().map(|p| (p, false))) {
        // give it back; keep it taken away if the pod no longer fits
        let at = removed.iter().position(|r| std::ptr::eq(*r, p)).unwrap_or_default();
        let back = removed.swap_remove(at);
        if filter_node(api, pod, i, &v.without(removed.clone()), st, fs).is_some() {
            removed.push(back);
            victims.push(p);
            violations += usize::from(violates);
        }
    }
    if both {
        crate::engine::sort::sort_by_key(&mut victims, |p| importance(p, api.now));
    }
    if victims.is_empty() {
        return Err(NodeStatus::new(Code::Unresolvable, format!("expected at least one victim pod on node {:?}", v.node.metadata.name)));
    }
    Ok((victims, violations))
}

/// filterPodsWithPDBViolation: the pods (in order) whose eviction, counted
/// against each budget's disruptionsAllowed, would take a budget below
/// zero, and the others. A budget with an empty selector, or one that lists
/// the pod among its disruptedPods, is not charged.
fn split_by_budgets<'a>(pods: &[&'a Pod], pdbs: &[&PodDisruptionBudget]) -> (Vec<&'a Pod>, Vec<&'a Pod>) {
    let mut allowed: Vec<i32> = pdbs.iter().map(|b| b.status.disruptions_allowed).collect();
    let (mut violating, mut rest) = (vec![], vec![]);
    for p in pods {
        let mut violated = false;
        if !p.metadata.labels.is_empty() {
            for (b, left) in pdbs.iter().zip(allowed.iter_mut()) {
                let Some(sel) = b.spec.selector.as_ref() else { continue };
                if b.metadata.namespace != p.metadata.namespace
                    || sel.is_empty()
                    || !sel.matches(&p.metadata.labels)
                    || b.status.disrupted_pods.contains_key(&p.metadata.name)
                {
                    continue;
                }
                *left -= 1;
                violated |= *left < 0;
            }
        }
        if violated { violating.push(*p) } else { rest.push(*p) }
    }
    (violating, rest)
}

/// The executor (prepareCandidate, PreemptPod): lower-priority pods
/// nominated to the node lose their nomination, and each victim not
/// already being deleted gets the DisruptionTarget condition, is deleted
/// (gracefully) and gets the `Preempted` event.
pub fn actuate(cx: &mut Cx, nominated: &BTreeMap<ObjKey, Box<Assumed>>, preemptor: &Pod, c: &Candidate) {
    let prio = priority(preemptor);
    let lower: Vec<ObjKey> = nominated
        .iter()
        .filter(|(k, a)| a.node == c.node && **k != preemptor.key() && cx.api.get_t::<Pod>(&k.namespace, &k.name).is_some_and(|p| priority(p) < prio))
        .map(|(k, _)| k.clone())
        .collect();
    for k in lower {
        if let Some(p) = cx.api.get_t::<Pod>(&k.namespace, &k.name) {
            let mut p = p.clone();
            p.status.nominated_node_name.clear();
            let _ = cx.api.update_status(Object::Pod(p));
        }
    }
    let message = format!("Preempted by pod {} on node {}", preemptor.metadata.uid, c.node);
    for k in &c.victims {
        let Some(victim) = cx.api.get_t::<Pod>(&k.namespace, &k.name).filter(|p| p.metadata.deletion_timestamp.is_none()) else { continue };
        let mut p = victim.clone();
        let generation = p.metadata.generation;
        set_condition(
            &mut p.status.conditions,
            PodCondition {
                type_: ConditionType::DisruptionTarget,
                status: ConditionStatus::True,
                observed_generation: generation,
                last_probe_time: None,
                last_transition_time: Some(cx.api.now),
                reason: "PreemptionByScheduler".into(),
                message: format!("{SCHEDULER_NAME}: preempting to accommodate a higher priority pod"),
            },
        );
        let _ = cx.api.update_status(Object::Pod(p.clone()));
        if cx.api.delete(Kind::Pod, &k.namespace, &k.name, &DeleteOptions::default()).is_ok() {
            cx.api.event(&Object::Pod(p), "Normal", "Preempted", &message, SCHEDULER_NAME);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, prio: i32, labels: &[(&str, &str)]) -> Pod {
        let mut p = Pod { metadata: ObjectMeta::named("default", name), ..Default::default() };
        p.metadata.labels = crate::engine::sort::map_from(labels.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        p.spec.priority = Some(prio);
        p
    }

    #[test]
    fn budgets_split_victims_by_what_they_still_allow() {
        let mut pdb = PodDisruptionBudget { metadata: ObjectMeta::named("default", "web"), ..Default::default() };
        pdb.spec.selector = Some(LabelSelector { match_labels: crate::engine::sort::map_from([("app".to_string(), "web".to_string())]), ..Default::default() });
        pdb.status.disruptions_allowed = 1;
        let (a, b, c) = (pod("a", 1, &[("app", "web")]), pod("b", 1, &[("app", "web")]), pod("c", 1, &[]));
        let (violating, rest) = split_by_budgets(&[&a, &b, &c], &[&pdb]);
        assert_eq!(violating.iter().map(|p| p.metadata.name.as_str()).collect::<Vec<_>>(), ["b"]);
        assert_eq!(rest.iter().map(|p| p.metadata.name.as_str()).collect::<Vec<_>>(), ["a", "c"]);
        // a pod the budget already counts as disrupted is not charged again
        pdb.status.disrupted_pods.insert("a".into(), Time(0));
        let (violating, _) = split_by_budgets(&[&a, &b], &[&pdb]);
        assert!(violating.is_empty());
    }

    #[test]
    fn node_choice_prefers_fewer_violations_then_lower_priorities() {
        let now = Time(1_000);
        let (low, mid, high) = (pod("low", 1, &[]), pod("mid", 100, &[]), pod("high", 1000, &[]));
        // a violation weighs more than any priority
        assert!(scores(&[&high], 0, now) > scores(&[&low], 1, now));
        // the lowest highest-priority victim wins, then the lowest sum
        assert!(scores(&[&mid, &low], 0, now) > scores(&[&high], 0, now));
        assert!(scores(&[&mid], 0, now) > scores(&[&mid, &low], 0, now));
        // then the latest start
        let (mut early, mut late) = (pod("e", 1, &[]), pod("l", 1, &[]));
        early.status.start_time = Some(Time(10));
        late.status.start_time = Some(Time(20));
        assert!(scores(&[&late], 0, now) > scores(&[&early], 0, now));
    }

    #[test]
    fn preemption_by_scheduler_marks_terminating_victims() {
        let mut p = pod("v", 1, &[]);
        assert!(!terminating_by_preemption(&p));
        p.metadata.deletion_timestamp = Some(Time(5));
        p.status.conditions.push(PodCondition {
            type_: ConditionType::DisruptionTarget,
            status: ConditionStatus::True,
            reason: "PreemptionByScheduler".into(),
            ..Default::default()
        });
        assert!(terminating_by_preemption(&p));
    }
}
