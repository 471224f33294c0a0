//! Plain-language answers to "why is it like this?" for what looks stuck:
//! Pending and Terminating pods, crash loops, unbound claims, released
//! volumes, dead nodes. Built only from the engine's own state: object
//! conditions, statuses and the latest events, the way an experienced
//! person reads `kubectl describe`.

use crate::engine::Cluster;
use crate::engine::api::*;
use crate::engine::storage;

fn latest_warning(c: &Cluster, kind: Kind, ns: &str, name: &str) -> Option<(String, String)> {
    let evs = c.api.events_for(kind, ns, name, "");
    evs.iter().rev().find(|e| e.type_ == "Warning").map(|e| (e.reason.clone(), e.message.clone()))
}

fn latest_event(c: &Cluster, kind: Kind, ns: &str, name: &str) -> Option<(String, String)> {
    let evs = c.api.events_for(kind, ns, name, "");
    evs.last().map(|e| (e.reason.clone(), e.message.clone()))
}

/// Is the node able to run and confirm things (powered, kubelet reporting)?
fn node_trouble(c: &Cluster, node: &str) -> Option<String> {
    let Some(n) = c.api.get_t::<Node>("", node) else { return Some(format!("node {node} no longer exists")) };
    if !c.world.is_powered(node) {
        return Some(format!("{node} is powered off"));
    }
    match get_condition(&n.status.conditions, &ConditionType::Ready).map(|x| &x.status) {
        Some(ConditionStatus::True) => None,
        Some(ConditionStatus::False) => Some(format!("{node} reports NotReady")),
        _ => Some(format!("{node} stopped reporting (its kubelet is unreachable)")),
    }
}

/// Where a claim's volume lives, in words, and whether that place is reachable.
fn claim_home(c: &Cluster, ns: &str, claim: &str) -> Option<String> {
    let pvc = c.api.get_t::<PersistentVolumeClaim>(ns, claim)?;
    let pv = storage::claim_volume(&c.api, pvc)?;
    let homes = storage::pv_home_nodes(&c.api, pv);
    let all = c.api.store.list_t::<Node>().count();
    if pv.spec.node_affinity.is_none() || homes.len() == all {
        return None;
    }
    let alive: Vec<&String> = homes.iter().filter(|n| node_trouble(c, n).is_none()).collect();
    let place = if homes.len() == 1 { format!("on node {}", homes[0]) } else { format!("on nodes {}", homes.join(", ")) };
    if alive.is_empty() {
        let why: Vec<String> = homes.iter().filter_map(|n| node_trouble(c, n)).collect();
        if homes.is_empty() {
            return Some(format!("volume {} of claim {claim} can only be used where its node affinity allows, and no node there exists now", pv.metadata.name));
        }
        return Some(format!("no node can mount claim {claim}: its volume {} lives {place}, and {}", pv.metadata.name, why.join("; ")));
    }
    Some(format!("claim {claim}'s volume {} lives {place}, so the pod can only run there", pv.metadata.name))
}

pub fn pod(c: &Cluster, p: &Pod) -> Vec<String> {
    let mut out = vec![];
    let ns = &p.metadata.namespace;
    let name = &p.metadata.name;
    let claims: Vec<String> = p.spec.volumes.iter().filter_map(|v| v.persistent_volume_claim.as_ref().map(|c| c.claim_name.clone())).collect();
    if p.metadata.is_deleting() {
        let node = &p.spec.node_name;
        if let Some(why) = preempted(c, p) {
            out.push(why);
        }
        match (node.is_empty(), node_trouble(c, node)) {
            (false, Some(trouble)) => {
                out.push(format!("{name} was deleted, but {trouble}, so no kubelet can confirm that its containers stopped. The API keeps the pod (Terminating) until someone does."));
                if p.metadata.controller_ref().is_some_and(|r| r.kind == "StatefulSet") {
                    out.push(format!("A StatefulSet never runs two pods with the same identity, so it will not create a new {name} until this one is gone. To let it move on: `kubectl delete pod {name} --force --grace-period=0` (only if the node is really dead), delete the Node, or taint it node.kubernetes.io/out-of-service=nodeshutdown:NoExecute."));
                } else if p.metadata.controller_ref().is_some_and(|r| r.kind == "DaemonSet") {
                    out.push(format!("Its DaemonSet starts a new pod on {node} only once this one is gone."));
                } else if p.metadata.controller_ref().is_some_and(|r| r.kind == "ReplicaSet") {
                    out.push("Its ReplicaSet does not wait: it already counts the pod as gone and has started a replacement.".into());
                }
            }
            _ if !p.metadata.finalizers.is_empty() => {
                out.push(format!("{name} is being deleted and waits for its finalizers: {}.", p.metadata.finalizers.join(", ")))
            }
            _ => {
                let grace = p.metadata.deletion_grace_period_seconds.unwrap_or(30);
                out.push(format!(
                    "{name} is shutting down gracefully: its containers got SIGTERM and have up to {grace}s (terminationGracePeriodSeconds) before SIGKILL."
                ));
            }
        }
        return out;
    }
    if p.spec.node_name.is_empty() {
        let msg = p
            .status
            .conditions
            .iter()
            .find(|x| x.type_ == ConditionType::PodScheduled && x.status == ConditionStatus::False)
            .map(|x| x.message.clone())
            .unwrap_or_default();
        if msg.is_empty() {
            out.push(format!("{name} has not been looked at by the scheduler yet."));
        } else {
            out.push(format!("The scheduler cannot place {name}: {msg}"));
        }
        let nominated = &p.status.nominated_node_name;
        if !nominated.is_empty() {
            out.push(format!(
                "It has priority {} and preempted pods of lower priority on {nominated} (its nominated node): it is scheduled there once they are gone, and meanwhile no pod of lower priority takes their place.",
                p.spec.priority.unwrap_or(0)
            ));
        } else if p.spec.preemption_policy.as_deref() == Some("Never") && !msg.is_empty() {
            out.push("Its preemptionPolicy is Never: it waits for room instead of preempting pods of lower priority.".into());
        }
        for cl in &claims {
            match c.api.get_t::<PersistentVolumeClaim>(ns, cl) {
                None => out.push(format!("It needs claim {cl}, which does not exist.")),
                Some(pvc) if pvc.status.phase != PersistentVolumeClaimPhase::Bound => {
                    out.push(format!("Its claim {cl} is {}: {}", pvc.status.phase, claim(c, pvc).join(" ")));
                }
                _ => {
                    if let Some(h) = claim_home(c, ns, cl) {
                        out.push(format!("{}.", capitalize(&h)));
                    }
                }
            }
        }
        if msg.contains("untolerated taint") {
            out.push("Tainted nodes repel pods that do not tolerate the taint (a stopped node gets node.kubernetes.io/unreachable; a cordoned one is unschedulable).".into());
        }
        return out;
    }
    if let Some(t) = node_trouble(c, &p.spec.node_name) {
        out.push(format!("{name} runs on {}, and {t}. The control plane cannot see its containers any more; after the node is marked unreachable, pods are evicted once their toleration (300s by default) runs out.", p.spec.node_name));
    }
    for cs in &p.status.container_statuses {
        if let Some(w) = &cs.state.waiting {
            match w.reason.as_str() {
                "CrashLoopBackOff" => {
                    let last = cs.last_state.terminated.as_ref();
                    let code = last.map(|t| t.exit_code).unwrap_or_default();
                    out.push(format!(
                        "Container {} keeps exiting (exit code {code}, {} restarts); the kubelet waits longer before each restart (10s, 20s, 40s ... up to 5m). `kubectl logs {name} -c {} --previous` shows why it stopped.",
                        cs.name, cs.restart_count, cs.name
                    ));
                }
                "ErrImagePull" | "ImagePullBackOff" => out.push(format!("The image {} cannot be pulled: {}", cs.image, w.message)),
                "ContainerCreating" | "PodInitializing" => {
                    if let Some((reason, msg)) = latest_warning(c, Kind::Pod, ns, name)
                        && (reason == "FailedMount" || reason == "FailedAttachVolume")
                    {
                        out.push(format!("{name} is on {} but its volumes are not ready ({reason}): {msg}", p.spec.node_name));
                        if msg.contains("Multi-Attach") {
                            out.push("A ReadWriteOnce block disk can be attached to one node at a time; it is still attached to the node the old pod ran on. It is detached once that pod is gone (after a node failure, the attach/detach controller force-detaches after 6 minutes).".into());
                        }
                    }
                }
                "CreateContainerConfigError" => out.push(format!("Container {} cannot start: {}", cs.name, w.message)),
                _ => {}
            }
        }
        if cs.state.running.is_some() && !cs.ready {
            if let Some((reason, msg)) = latest_warning(c, Kind::Pod, ns, name).filter(|(r, _)| r == "Unhealthy") {
                out.push(format!("Container {} runs but is not ready ({reason}): {msg}", cs.name));
            } else {
                out.push(format!("Container {} runs but is not ready yet (readiness probe pending).", cs.name));
            }
        }
    }
    if out.is_empty() {
        let s = crate::kubectl::printers::rows::pod_summary(p);
        out.push(format!("{name} is {} on {} ({}/{} containers ready).", s.reason, p.spec.node_name, s.ready, s.total));
        for cl in &claims {
            if let Some(h) = claim_home(c, ns, cl) {
                out.push(format!("{}.", capitalize(&h)));
            }
        }
    }
    // A looping HTTP client: where its requests go now.
    for l in c.runtime.loads.iter().filter(|l| l.client.0 == p.metadata.uid) {
        let n = crate::engine::programs::load::flows(&c.runtime, &c.api).iter().filter(|f| f.0 == p.metadata.uid).count();
        out.push(format!("It requests http://{}:{} in a loop; {n} pods answer (the Service spreads the requests over its ready endpoints).", l.host, l.port));
    }
    // Where its own data lives: what dies with the pod.
    let storage = crate::ui::model::PodStorage::of(c);
    let own = crate::ui::model::pod_model_with(p, &storage);
    if let Some(data) = own.own_data() {
        out.push(format!(
            "It holds data of its own ({data}): a container's writable layer and an emptyDir live and die with the pod, so its replacement starts without them.{}",
            if claims.is_empty() { " Data that must outlive the pod belongs on a PersistentVolumeClaim." } else { "" }
        ));
    }
    out
}

/// A pod the scheduler is deleting to make room for one of higher priority
/// (DisruptionTarget, reason PreemptionByScheduler): by which pod, and why.
fn preempted(c: &Cluster, p: &Pod) -> Option<String> {
    get_condition(&p.status.conditions, &ConditionType::DisruptionTarget).filter(|x| x.reason == "PreemptionByScheduler")?;
    let (_, msg) = c
        .api
        .events_for(Kind::Pod, &p.metadata.namespace, &p.metadata.name, "")
        .iter()
        .rev()
        .find(|e| e.reason == "Preempted")
        .map(|e| (e.reason.clone(), e.message.clone()))?;
    let uid = msg.strip_prefix("Preempted by pod ").and_then(|m| m.split(' ').next()).unwrap_or_default();
    let by = c
        .api
        .store
        .by_uid(uid)
        .and_then(|o| Pod::from_object(o))
        .map_or_else(|| "a pod of higher priority".to_string(), |q| format!("{} (priority {})", q.metadata.name, q.spec.priority.unwrap_or(0)));
    Some(format!(
        "{} was preempted: it has priority {}, and the scheduler found no node for {by} without taking away pods of lower priority, so it chose {} and is deleting this pod there (the DisruptionTarget condition says PreemptionByScheduler).",
        p.metadata.name,
        p.spec.priority.unwrap_or(0),
        p.spec.node_name
    ))
}

fn capitalize(s: &str) -> String {
    let mut ch = s.chars();
    match ch.next() {
        Some(f) => f.to_uppercase().collect::<String>() + ch.as_str(),
        None => String::new(),
    }
}

pub fn claim(c: &Cluster, pvc: &PersistentVolumeClaim) -> Vec<String> {
    let ns = &pvc.metadata.namespace;
    let name = &pvc.metadata.name;
    let mut out = vec![];
    if pvc.metadata.is_deleting() {
        let users: Vec<String> =
            c.api.store.pods_using_claim(ns, name).filter(|p| !crate::engine::storage::is_pod_terminated(p)).map(|p| p.metadata.name.clone()).collect();
        if users.is_empty() {
            out.push(format!("{name} is being deleted."));
        } else {
            out.push(format!("{name} was deleted but is still used by {}: the kubernetes.io/pvc-protection finalizer keeps it until no pod uses it, so data is never pulled from under a running pod.", users.join(", ")));
        }
        return out;
    }
    match pvc.status.phase {
        PersistentVolumeClaimPhase::Bound => {
            out.push(format!("{name} is bound to volume {}.", pvc.spec.volume_name));
            if let Some(h) = claim_home(c, ns, name) {
                out.push(format!("{}.", capitalize(&h)));
            }
        }
        PersistentVolumeClaimPhase::Lost => out.push(format!("{name} lost its volume {}: the PersistentVolume is gone; the data cannot be reached through this claim.", pvc.spec.volume_name)),
        _ => match latest_event(c, Kind::PersistentVolumeClaim, ns, name) {
            Some((r, m)) if r == "WaitForFirstConsumer" => out.push(format!("{name} waits for a pod that uses it: its class binds volumes only once that pod is scheduled (volumeBindingMode: WaitForFirstConsumer), so the volume is made where the pod can run. ({m})")),
            Some((r, m)) if r == "WaitForPodScheduled" => out.push(format!("{name} waits until its pod is scheduled: {m}")),
            Some((r, m)) if r == "ExternalProvisioning" => out.push(format!("{name} waits for a provisioner: {m} If that provisioner is not installed, it waits forever.")),
            Some((r, m)) if r == "ProvisioningFailed" => out.push(format!("The provisioner could not make a volume for {name}: {m}")),
            Some((r, m)) if r == "FailedBinding" => out.push(format!("{name} cannot bind: {m}. No PersistentVolume matches its class, size and access modes, and no provisioner makes one.")),
            Some((r, m)) => out.push(format!("{name} is {}. Latest event: {r}: {m}", pvc.status.phase)),
            None => out.push(format!("{name} is {}: the volume controller has not found or made a volume yet.", pvc.status.phase)),
        },
    }
    out
}

pub fn volume(_c: &Cluster, pv: &PersistentVolume) -> Vec<String> {
    let name = &pv.metadata.name;
    let mut out = vec![];
    let claim = pv.spec.claim_ref.as_ref().map(|r| format!("{}/{}", r.namespace, r.name)).unwrap_or_default();
    match &pv.status.phase {
        PersistentVolumePhase::Available => out.push(format!("{name} is free: any claim of class {:?} whose size and access modes it covers can bind it.", pv.spec.storage_class_name)),
        PersistentVolumePhase::Bound => out.push(format!("{name} is bound to claim {claim}.")),
        PersistentVolumePhase::Released => out.push(format!(
            "{name}'s claim {claim} was deleted. Reclaim policy {}: the data is still there, but the volume keeps its claimRef and will not bind again until an administrator removes spec.claimRef (or deletes the volume).",
            pv.spec.persistent_volume_reclaim_policy
        )),
        PersistentVolumePhase::Failed => out.push(format!("{name} failed to be reclaimed: {}", pv.status.message)),
        p => out.push(format!("{name} is {p}.")),
    }
    out
}

pub fn node(c: &Cluster, n: &Node) -> Vec<String> {
    let name = &n.metadata.name;
    let mut out = vec![];
    if !c.world.is_powered(name) {
        out.push(format!("{name} is powered off. Its kubelet stopped sending heartbeats; after the grace period (50s) the node controller marks it Ready=Unknown and taints it node.kubernetes.io/unreachable, and pods are evicted after their 300s toleration. Their deletion cannot finish while no kubelet confirms it."));
    } else if let Some(t) = node_trouble(c, name) {
        out.push(format!("{t}."));
    } else {
        out.push(format!("{name} is Ready."));
    }
    if n.spec.unschedulable {
        out.push(format!("{name} is cordoned: new pods are not scheduled here; running pods stay (drain evicts them)."));
    }
    for t in &n.spec.taints {
        out.push(format!(
            "Taint {}{}:{}: pods without a matching toleration {}.",
            t.key,
            if t.value.is_empty() { String::new() } else { format!("={}", t.value) },
            t.effect,
            if t.effect == "NoExecute" { "are evicted" } else { "are not scheduled here" }
        ));
    }
    out
}

/// The pods a controller owns, by name.
fn owned_pods<'a>(c: &'a Cluster, uid: &str) -> Vec<&'a Pod> {
    let mut v: Vec<&Pod> = c.api.store.dependents_of_kind(uid, Kind::Pod).filter_map(|r| c.api.get_t::<Pod>(&r.key.namespace, &r.key.name)).collect();
    crate::engine::sort::sort_by(&mut v, |a, b| a.metadata.name.cmp(&b.metadata.name));
    v
}

fn is_ready(p: &Pod) -> bool {
    is_condition_true(&p.status.conditions, &ConditionType::Ready)
}

/// The first thing that holds a set of pods back, from the first pod that
/// is not ready (its own explanation).
fn first_stuck_pod(c: &Cluster, pods: &[&Pod]) -> Option<String> {
    let p = pods.iter().find(|p| !is_ready(p) || p.metadata.is_deleting())?;
    Some(format!("{}: {}", p.metadata.name, pod(c, p).join(" ")))
}

pub fn statefulset(c: &Cluster, s: &StatefulSet) -> Vec<String> {
    let name = &s.metadata.name;
    let want = s.spec.replicas.unwrap_or(1);
    let st = &s.status;
    let mut out = vec![];
    if s.metadata.is_deleting() {
        out.push(format!("StatefulSet {name} is being deleted; its pods go with it (the claims stay unless the retention policy says Delete)."));
        return out;
    }
    out.push(format!(
        "{name} wants {want} replica{}; {} exist, {} ready, {} up to date.",
        if want == 1 { "" } else { "s" },
        st.replicas,
        st.ready_replicas,
        st.updated_replicas
    ));
    let pods = owned_pods(c, &s.metadata.uid);
    let start = s.spec.ordinals.as_ref().map(|o| o.start).unwrap_or(0);
    let names: Vec<String> = (0..want.max(0)).map(|i| format!("{name}-{}", start + i)).collect();
    let missing: Vec<&String> = names.iter().filter(|n| !pods.iter().any(|p| &&p.metadata.name == n)).collect();
    let ordered = s.spec.pod_management_policy != PodManagementPolicyType::Parallel;
    if let Some(first_missing) = missing.first() {
        if ordered {
            match first_stuck_pod(c, &pods) {
                Some(stuck) => out.push(format!(
                    "Pods are made one at a time, in order (podManagementPolicy: OrderedReady): {first_missing} is not created until every pod before it is Running and Ready. Waiting on {stuck}"
                )),
                None => out.push(format!("Pods are made one at a time, in order (OrderedReady): {first_missing} is next.")),
            }
        } else {
            out.push(format!(
                "Pods are made all at once (podManagementPolicy: Parallel); {} not created yet.",
                missing.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
    } else if let Some(stuck) = first_stuck_pod(c, &pods) {
        out.push(format!("Not every pod is ready. {stuck}"));
    }
    if let Some((reason, msg)) = latest_warning(c, Kind::StatefulSet, &s.metadata.namespace, name) {
        out.push(format!("Latest warning ({reason}): {msg}"));
    }
    if !st.update_revision.is_empty() && st.current_revision != st.update_revision && st.updated_replicas < want {
        out.push(format!(
            "A rolling update is in progress: pods are replaced one at a time from the highest ordinal down, each after the previous one is Ready ({} of {want} updated).",
            st.updated_replicas
        ));
    }
    if !s.spec.volume_claim_templates.is_empty() {
        let templates: Vec<&str> = s.spec.volume_claim_templates.iter().map(|t| t.metadata.name.as_str()).collect();
        let policy = s.spec.persistent_volume_claim_retention_policy.as_ref();
        let deletes = |w: Option<&PersistentVolumeClaimRetentionPolicyType>| w == Some(&PersistentVolumeClaimRetentionPolicyType::Delete);
        let when_deleted = deletes(policy.map(|p| &p.when_deleted));
        let when_scaled = deletes(policy.map(|p| &p.when_scaled));
        out.push(format!(
            "Each pod gets its own claim from volumeClaimTemplates ({}-{name}-0, ...), and a replacement pod with the same name mounts the same claim, so its data survives the pod. Claims are {} when the StatefulSet is deleted and {} when it scales down.",
            templates.join(", "),
            if when_deleted { "deleted" } else { "kept" },
            if when_scaled { "deleted" } else { "kept" }
        ));
    }
    out
}

pub fn deployment(c: &Cluster, d: &Deployment) -> Vec<String> {
    let name = &d.metadata.name;
    let ns = &d.metadata.namespace;
    let want = d.spec.replicas.unwrap_or(1);
    let st = &d.status;
    let mut out = vec![];
    if d.metadata.is_deleting() {
        out.push(format!("Deployment {name} is being deleted; its ReplicaSets and pods go with it."));
        return out;
    }
    out.push(format!(
        "{name} wants {want} replica{}; {} ready, {} up to date, {} available.",
        if want == 1 { "" } else { "s" },
        st.ready_replicas,
        st.updated_replicas,
        st.available_replicas
    ));
    if d.spec.paused {
        out.push("The rollout is paused (kubectl rollout resume continues it).".into());
    }
    if let Some(p) = get_condition(&d.status.conditions, &ConditionType::Progressing) {
        match p.reason.as_str() {
            "ProgressDeadlineExceeded" => out.push(format!("The rollout is stuck: {} (progressDeadlineSeconds passed without progress).", p.message)),
            "NewReplicaSetAvailable" => {}
            _ if !p.message.is_empty() => out.push(format!("Rollout: {}", p.message)),
            _ => {}
        }
    }
    let rss: Vec<&ReplicaSet> =
        c.api.store.dependents_of_kind(&d.metadata.uid, Kind::ReplicaSet).filter_map(|r| c.api.get_t::<ReplicaSet>(ns, &r.key.name)).collect();
    let live: Vec<String> = rss
        .iter()
        .filter(|r| r.spec.replicas.unwrap_or(0) > 0 || r.status.replicas > 0)
        .map(|r| format!("{} ({} pods)", r.metadata.name, r.status.replicas))
        .collect();
    if live.len() > 1 {
        out.push(format!("Two generations of pods run side by side during the rollout: {}.", live.join(", ")));
    }
    let pods: Vec<&Pod> = rss.iter().flat_map(|r| owned_pods(c, &r.metadata.uid)).collect();
    if let Some(stuck) = first_stuck_pod(c, &pods) {
        out.push(format!("Not every pod is ready. {stuck}"));
    }
    if let Some((reason, msg)) =
        latest_warning(c, Kind::Deployment, ns, name).or_else(|| rss.iter().find_map(|r| latest_warning(c, Kind::ReplicaSet, ns, &r.metadata.name)))
    {
        out.push(format!("Latest warning ({reason}): {msg}"));
    }
    let claims: Vec<&str> = d.spec.template.spec.volumes.iter().filter_map(|v| v.persistent_volume_claim.as_ref().map(|c| c.claim_name.as_str())).collect();
    if claims.is_empty() {
        out.push("Its pods are interchangeable (random names) and keep their data only in their containers' layers or emptyDirs, which are thrown away with each pod.".into());
    } else {
        out.push(format!(
            "Every replica mounts the same claim{} ({}): a Deployment has no per-pod storage, so replicas share one volume (a ReadWriteOnce volume can only be used on one node).",
            if claims.len() == 1 { "" } else { "s" },
            claims.join(", ")
        ));
    }
    out
}

pub fn replicaset(c: &Cluster, r: &ReplicaSet) -> Vec<String> {
    let name = &r.metadata.name;
    let want = r.spec.replicas.unwrap_or(1);
    let mut out = vec![format!("{name} wants {want} pod{}; {} exist, {} ready.", if want == 1 { "" } else { "s" }, r.status.replicas, r.status.ready_replicas)];
    if let Some(owner) = r.metadata.controller_ref() {
        out.push(format!("It belongs to {} {}, which sets its replica count during rollouts.", owner.kind, owner.name));
    }
    let pods = owned_pods(c, &r.metadata.uid);
    if let Some(stuck) = first_stuck_pod(c, &pods) {
        out.push(format!("Not every pod is ready. {stuck}"));
    }
    if let Some((reason, msg)) = latest_warning(c, Kind::ReplicaSet, &r.metadata.namespace, name) {
        out.push(format!("Latest warning ({reason}): {msg}"));
    }
    out
}

fn int(v: &serde_json::Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

/// A Job: how far it is, and what holds it (back-off, suspension, deadline).
fn job(c: &Cluster, g: &Generic) -> Vec<String> {
    let (spec, st, name, ns) = (g.field("spec"), g.field("status"), &g.metadata.name, &g.metadata.namespace);
    let mut out = vec![];
    let cond = |t: &str| st["conditions"].as_array().and_then(|cs| cs.iter().find(|c| c["type"] == t && c["status"] == "True").cloned());
    let (ok, failed, active) = (int(&st["succeeded"]), int(&st["failed"]), int(&st["active"]));
    let want = match spec["completions"].as_i64() {
        Some(n) if n != 1 => format!("{n} pods to succeed"),
        _ => "one pod to succeed".into(),
    };
    if let Some(c) = cond("Complete") {
        out.push(format!(
            "{name} is complete: {ok} pods succeeded ({}). Its pods stay, Completed, until the Job is deleted.",
            c["message"].as_str().unwrap_or("")
        ));
        if let Some(ttl) = spec["ttlSecondsAfterFinished"].as_i64() {
            out.push(format!("ttlSecondsAfterFinished is {ttl}: the Job and its pods are deleted {ttl}s after it finished."));
        }
        return out;
    }
    if let Some(c) = cond("Failed").or_else(|| cond("FailureTarget")) {
        out.push(format!("{name} failed: {}. It starts no more pods; {failed} failed.", c["message"].as_str().unwrap_or("").trim_end_matches('.')));
        return out;
    }
    if spec["suspend"] == true {
        out.push(format!("{name} is suspended: it runs no pods until spec.suspend is false again."));
        return out;
    }
    out.push(format!("{name} wants {want}, at most {} at a time: {ok} succeeded, {failed} failed, {active} running.", int(&spec["parallelism"]).max(1)));
    if failed > 0 {
        out.push(format!(
            "Each failure is retried after a back-off that doubles from 10s; after more than backoffLimit ({}) failures the Job fails.",
            int(&spec["backoffLimit"])
        ));
    }
    if let Some(d) = spec["activeDeadlineSeconds"].as_i64() {
        out.push(format!("activeDeadlineSeconds is {d}: if it runs longer, the Job fails and its pods are stopped."));
    }
    if let Some((reason, msg)) = latest_warning(c, Kind::Job, ns, name) {
        out.push(format!("Latest warning ({reason}): {msg}"));
    }
    out
}

/// A CronJob: its schedule on the simulated clock, and its Jobs.
fn cronjob(c: &Cluster, g: &Generic) -> Vec<String> {
    let (spec, st, name, ns) = (g.field("spec"), g.field("status"), &g.metadata.name, &g.metadata.namespace);
    let sched = spec["schedule"].as_str().unwrap_or("");
    let mut out = vec![];
    if spec["suspend"] == true {
        out.push(format!("{name} is suspended: no Job is started for schedule {sched} until spec.suspend is false."));
    } else {
        let next = crate::engine::api::cron::parse(sched).ok().and_then(|s| s.next(c.api.now, crate::engine::api::cron::Zone::UTC));
        let when = next.map(|t| format!(", next at {} (in {})", t.rfc3339(), crate::engine::time::human_duration(t.0 - c.api.now.0))).unwrap_or_default();
        out.push(format!("{name} starts a Job on schedule {sched:?}{when}; each Job is named {name}-<minutes since 1970>."));
    }
    let active = st["active"].as_array().map_or(0, |a| a.len());
    out.push(format!(
        "{active} of its Jobs are running; concurrencyPolicy is {} and it keeps the last {} successful and {} failed Jobs.",
        spec["concurrencyPolicy"].as_str().unwrap_or("Allow"),
        int(&spec["successfulJobsHistoryLimit"]),
        int(&spec["failedJobsHistoryLimit"])
    ));
    if let Some((reason, msg)) = latest_warning(c, Kind::CronJob, ns, name) {
        out.push(format!("Latest warning ({reason}): {msg}"));
    }
    out
}

/// A DaemonSet: one pod per node that should run it.
fn daemonset(c: &Cluster, g: &Generic) -> Vec<String> {
    let (st, name, ns) = (g.field("status"), &g.metadata.name, &g.metadata.namespace);
    let (desired, current, ready, updated) =
        (int(&st["desiredNumberScheduled"]), int(&st["currentNumberScheduled"]), int(&st["numberReady"]), int(&st["updatedNumberScheduled"]));
    let nodes = c.api.store.list_t::<Node>().count() as i64;
    let mut out = vec![format!("{name} runs one pod on each node that should run it: {desired} of the {nodes} nodes; {current} have one, {ready} ready.")];
    if desired < nodes {
        out.push("A node is left out when it does not match the pod template's nodeSelector or node affinity, or has a taint the pods do not tolerate (daemon pods tolerate cordons and not-ready nodes).".into());
    }
    if updated < desired {
        out.push(format!("{updated} of {desired} pods run the current template: the rollout replaces the others node by node."));
    }
    if let Some((reason, msg)) = latest_warning(c, Kind::DaemonSet, ns, name) {
        out.push(format!("Latest warning ({reason}): {msg}"));
    }
    out
}

/// A HorizontalPodAutoscaler: what it keeps near its target, and what
/// holds it back (no metrics, a stabilization window, its bounds).
fn hpa(c: &Cluster, g: &Generic) -> Vec<String> {
    let (spec, st, name) = (g.field("spec"), g.field("status"), &g.metadata.name);
    let r = &spec["scaleTargetRef"];
    let target = spec["metrics"][0]["resource"]["target"]["averageUtilization"]
        .as_i64()
        .map_or("its metrics' targets".to_string(), |u| format!("CPU at {u}% of the pods' request"));
    let mut out = vec![format!(
        "{name} sets the replicas of {}/{} between {} and {} to keep {target}; it looks every 15 seconds. Now: {} replicas, {} wanted.",
        r["kind"].as_str().unwrap_or(""),
        r["name"].as_str().unwrap_or(""),
        spec["minReplicas"].as_i64().unwrap_or(1),
        int(&spec["maxReplicas"]),
        int(&st["currentReplicas"]),
        int(&st["desiredReplicas"])
    )];
    let cond = |t: &str| st["conditions"].as_array().and_then(|cs| cs.iter().find(|x| x["type"] == t)).cloned().unwrap_or_default();
    let (active, able, limited) = (cond("ScalingActive"), cond("AbleToScale"), cond("ScalingLimited"));
    if active["status"] == "False" {
        out.push(format!("It cannot scale now ({}): {}", active["reason"].as_str().unwrap_or(""), active["message"].as_str().unwrap_or("")));
        if !crate::engine::apiserver::metrics::available(&c.api) {
            out.push("There is no resource metrics API: install the metrics-server with `cluster addon install metrics-server`.".into());
        }
    }
    if able["reason"] == "ScaleDownStabilized" {
        out.push("It waits before scaling down: a higher recommendation from the last 5 minutes still stands (the downscale stabilization window).".into());
    }
    if limited["status"] == "True" {
        out.push(format!("Its wish is capped ({}): {}.", limited["reason"].as_str().unwrap_or(""), limited["message"].as_str().unwrap_or("")));
    }
    out
}

/// Which controller serves an Ingress's class, whether it runs, its
/// address, and where each rule leads: Service, ready endpoints.
fn ingress(c: &Cluster, g: &Generic) -> Vec<String> {
    use crate::engine::programs::ingress as ingressnginx;
    let (ns, name) = (&g.metadata.namespace, &g.metadata.name);
    let class = ingressnginx::class_of(g);
    let asks = class.map_or("no class (so a controller that watches Ingresses without one takes it)".to_string(), |c| format!("class {c}"));
    let mut out = vec![format!("{name} asks for {asks}.")];
    if !ingressnginx::serves(g) {
        let cls = class.unwrap_or_default();
        let ctl = c.api.store.list(Kind::IngressClass).find(|o| o.meta().name == cls).and_then(|o| match &**o {
            Object::Generic(k) => k.field("spec")["controller"].as_str().map(str::to_string),
            _ => None,
        });
        out.push(match ctl {
            Some(ctl) => format!("IngressClass {cls} names controller {ctl}, and none runs in this cluster: nothing routes its rules or sets its address."),
            None => format!("There is no IngressClass {cls} and no controller for it: nothing routes its rules or sets its address."),
        });
        return out;
    }
    match ingressnginx::running_controller(&c.api) {
        Some(p) => out.push(format!("ingress-nginx serves it: its controller pod {} runs on {}.", p.metadata.name, p.spec.node_name)),
        None if c.api.get_t::<Namespace>("", ingressnginx::NS).is_none() => {
            out.push("No ingress controller is installed, so nothing routes it: install one with `cluster addon install ingress-nginx`.".into())
        }
        None => out.push("ingress-nginx is installed but its controller pod does not run now: nothing routes it and no address is published.".into()),
    }
    let addrs: Vec<&str> =
        g.field("status")["loadBalancer"]["ingress"].as_array().into_iter().flatten().filter_map(|a| a["hostname"].as_str().or(a["ip"].as_str())).collect();
    out.push(if addrs.is_empty() {
        "It has no address yet: the controller publishes it (localhost on kind) at its next status sync, every 60 seconds.".into()
    } else {
        format!("Its address: {}.", addrs.join(", "))
    });
    let spec = g.field("spec");
    let mut routes: Vec<(String, &serde_json::Value)> = vec![];
    for r in spec["rules"].as_array().into_iter().flatten() {
        for p in r["http"]["paths"].as_array().into_iter().flatten() {
            let t = p["pathType"].as_str().unwrap_or("");
            routes.push((format!("{}{} ({t})", r["host"].as_str().unwrap_or("*"), p["path"].as_str().unwrap_or("/")), &p["backend"]));
        }
    }
    if spec["defaultBackend"].is_object() {
        routes.push(("anything else".into(), &spec["defaultBackend"]));
    }
    for (what, b) in routes {
        let svc = b["service"]["name"].as_str().unwrap_or("");
        let ready = c.api.get_t::<Endpoints>(ns, svc).map(|e| e.subsets.iter().map(|s| s.addresses.len()).sum::<usize>());
        out.push(match ready {
            _ if c.api.get_t::<Service>(ns, svc).is_none() => format!("{what} → Service {svc}, which does not exist: the controller answers 503."),
            Some(n) if n > 0 => format!("{what} → Service {svc}: {n} ready endpoint{}.", if n == 1 { "" } else { "s" }),
            _ => format!("{what} → Service {svc}, which has no ready endpoints: the controller answers 503."),
        });
    }
    out.push("A request no rule matches gets the controller's 404 Not Found.".into());
    out
}

/// Explanation for any object the page can select.
pub fn explain(c: &Cluster, kind: Kind, ns: &str, name: &str) -> Vec<String> {
    match kind {
        Kind::Pod => c.api.get_t::<Pod>(ns, name).map(|p| pod(c, p)),
        Kind::StatefulSet => c.api.get_t::<StatefulSet>(ns, name).map(|s| statefulset(c, s)),
        Kind::Deployment => c.api.get_t::<Deployment>(ns, name).map(|d| deployment(c, d)),
        Kind::ReplicaSet => c.api.get_t::<ReplicaSet>(ns, name).map(|r| replicaset(c, r)),
        Kind::PersistentVolumeClaim => c.api.get_t::<PersistentVolumeClaim>(ns, name).map(|p| claim(c, p)),
        Kind::PersistentVolume => c.api.get_t::<PersistentVolume>("", name).map(|p| volume(c, p)),
        Kind::Node => c.api.get_t::<Node>("", name).map(|n| node(c, n)),
        Kind::Job | Kind::CronJob | Kind::DaemonSet | Kind::HorizontalPodAutoscaler | Kind::Ingress => {
            match c.api.store.get(kind, &ObjKey::new(ns, name)).map(|o| &**o) {
                Some(Object::Generic(g)) if kind == Kind::Job => Some(job(c, g)),
                Some(Object::Generic(g)) if kind == Kind::CronJob => Some(cronjob(c, g)),
                Some(Object::Generic(g)) if kind == Kind::HorizontalPodAutoscaler => Some(hpa(c, g)),
                Some(Object::Generic(g)) if kind == Kind::Ingress => Some(ingress(c, g)),
                Some(Object::Generic(g)) => Some(daemonset(c, g)),
                _ => None,
            }
        }
        _ => c
            .api
            .store
            .list(kind)
            .find(|o| o.meta().name == name && (!kind.namespaced() || o.meta().namespace == ns))
            .map(|_| vec![format!("{} {name} exists; Describe and YAML show it in full.", kind.info().kind)]),
    }
    .unwrap_or_else(|| vec![format!("{name} does not exist (any more).")])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::time::MINUTE;
    use crate::kubectl::session::Session;

    fn sts(class: &str) -> String {
        format!(
            "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: web\nspec:\n  serviceName: web\n  replicas: 1\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: nginx\n        image: nginx:1.25\n        volumeMounts:\n        - name: www\n          mountPath: /usr/share/nginx/html\n  volumeClaimTemplates:\n  - metadata:\n      name: www\n    spec:\n      accessModes: [ReadWriteOnce]\n      storageClassName: {class}\n      resources:\n        requests:\n          storage: 1Gi\n"
        )
    }

    #[test]
    fn a_pod_on_a_dead_node_says_why_it_stays_terminating() {
        let mut s = Session::new(1);
        s.run("kubectl apply -f -", &sts("local-path"));
        s.cluster.settle();
        let node = s.cluster.get::<Pod>("default", "web-0").unwrap().spec.node_name.clone();
        s.run(&format!("cluster node stop {node}"), "");
        s.cluster.advance(7 * MINUTE);
        let p = s.cluster.get::<Pod>("default", "web-0").unwrap().clone();
        assert!(p.metadata.is_deleting(), "evicted after 300s");
        let why = pod(&s.cluster, &p).join(" ");
        assert!(why.contains("powered off") && why.contains("will not create a new web-0") && why.contains("--force --grace-period=0"), "{why}");
        let n = s.cluster.get::<Node>("", &node).unwrap().clone();
        assert!(node_fn(&s.cluster, &n).contains("powered off"));
    }

    #[test]
    fn a_preempted_pod_and_its_preemptor_explain_themselves() {
        let mut s = Session::new(1);
        let class = |name: &str, value: i32| format!("apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata:\n  name: {name}\nvalue: {value}\n");
        s.run("kubectl apply -f -", &format!("{}---\n{}", class("low", 1), class("high", 1000)));
        let pod = |name: &str, class: &str| {
            format!(
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  priorityClassName: {class}\n  containers:\n  - name: c\n    image: nginx:1.25\n    resources:\n      requests:\n        cpu: '3'\n"
            )
        };
        for i in 0..3 {
            s.run("kubectl apply -f -", &pod(&format!("low-{i}"), "low"));
        }
        s.cluster.settle();
        s.run("kubectl apply -f -", &pod("urgent", "high"));
        let victim = s.cluster.api.store.list_t::<Pod>().find(|p| p.metadata.is_deleting()).expect("a victim").clone();
        let why = pod_fn(&s.cluster, &victim);
        assert!(why.contains("was preempted") && why.contains("urgent (priority 1000)") && why.contains("priority 1,"), "{why}");
        let urgent = s.cluster.get::<Pod>("default", "urgent").unwrap().clone();
        assert_eq!(urgent.status.nominated_node_name, victim.spec.node_name);
        let why = pod_fn(&s.cluster, &urgent);
        assert!(why.contains("preempted pods of lower priority on") && why.contains("nominated node"), "{why}");
        s.cluster.settle();
        let urgent = s.cluster.get::<Pod>("default", "urgent").unwrap();
        assert_eq!(urgent.spec.node_name, victim.spec.node_name, "scheduled where it preempted");
        assert!(urgent.status.nominated_node_name.is_empty(), "binding clears the nomination");
    }

    fn pod_fn(c: &Cluster, p: &Pod) -> String {
        pod(c, p).join(" ")
    }

    #[test]
    fn jobs_cronjobs_and_daemonsets_explain_themselves() {
        let mut s = Session::new(1);
        s.run("kubectl create job once --image=busybox:1.36 -- sh -c 'sleep 5'", "");
        s.run("kubectl create cronjob tick --image=busybox:1.36 '--schedule=*/5 * * * *'", "");
        s.run("kubectl apply -f -", "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent\nspec:\n  selector:\n    matchLabels:\n      app: agent\n  template:\n    metadata:\n      labels:\n        app: agent\n    spec:\n      containers:\n      - name: a\n        image: busybox:1.36\n        command: [sleep, '3600']\n");
        s.cluster.advance(3_000);
        let j = explain(&s.cluster, Kind::Job, "default", "once").join(" ");
        assert!(j.contains("once wants one pod to succeed") && j.contains("1 running"), "{j}");
        s.cluster.advance(30_000);
        let j = explain(&s.cluster, Kind::Job, "default", "once").join(" ");
        assert!(j.contains("once is complete"), "{j}");
        let cj = explain(&s.cluster, Kind::CronJob, "default", "tick").join(" ");
        assert!(cj.contains("next at") && cj.contains("concurrencyPolicy is Allow"), "{cj}");
        let ds = explain(&s.cluster, Kind::DaemonSet, "default", "agent").join(" ");
        assert!(ds.contains("3 of the 3 nodes; 3 have one, 3 ready"), "{ds}");
    }

    #[test]
    fn an_hpa_without_metrics_says_what_is_missing_and_one_that_waits_says_why() {
        let mut s = Session::new(1);
        s.run("kubectl create deployment web --image=nginx:1.27", "");
        s.run("kubectl autoscale deployment web --cpu=50% --max=3", "");
        s.cluster.advance(20_000);
        let h = explain(&s.cluster, Kind::HorizontalPodAutoscaler, "default", "web").join(" ");
        assert!(
            h.contains("keep CPU at 50%") && h.contains("It cannot scale now (FailedGetResourceMetric)") && h.contains("cluster addon install metrics-server"),
            "{h}"
        );
    }

    #[test]
    fn an_ingress_names_its_controller_address_and_backends() {
        let mut s = Session::new(1);
        let ing = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web}\nspec:\n  rules:\n  - host: web.local\n    http:\n      paths:\n      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}\n";
        s.run("kubectl apply -f -", ing);
        let w = explain(&s.cluster, Kind::Ingress, "default", "web").join(" ");
        assert!(w.contains("cluster addon install ingress-nginx") && w.contains("which does not exist: the controller answers 503"), "{w}");
        s.run("cluster addon install ingress-nginx", "");
        s.run("kubectl create deployment web --image=nginx:1.27", "");
        s.run("kubectl expose deployment web --port=80", "");
        s.cluster.advance(90_000);
        let w = explain(&s.cluster, Kind::Ingress, "default", "web").join(" ");
        assert!(
            w.contains("ingress-nginx serves it")
                && w.contains("Its address: localhost.")
                && w.contains("web.local/ (Prefix) → Service web: 1 ready endpoint."),
            "{w}"
        );
        s.run("kubectl patch ingress web -p '{\"spec\":{\"ingressClassName\":\"traefik\"}}'", "");
        let w = explain(&s.cluster, Kind::Ingress, "default", "web").join(" ");
        assert!(w.contains("There is no IngressClass traefik"), "{w}");
    }

    #[test]
    fn workloads_explain_themselves_instead_of_saying_they_do_not_exist() {
        let mut s = Session::new(1);
        s.run("kubectl apply -f -", &sts("local-path").replace("replicas: 1", "replicas: 2"));
        s.cluster.advance(3_000);
        let w = explain(&s.cluster, Kind::StatefulSet, "default", "web").join(" ");
        assert!(!w.contains("does not exist"), "{w}");
        assert!(w.contains("web wants 2 replicas") && w.contains("web-1 is not created until every pod before it is Running and Ready"), "{w}");
        assert!(w.contains("Waiting on web-0"), "{w}");
        assert!(w.contains("own claim from volumeClaimTemplates (www-web-0"), "{w}");
        s.run("kubectl create deployment app --image=nginx:1.25 --replicas=2", "");
        s.cluster.settle();
        let w = explain(&s.cluster, Kind::Deployment, "default", "app").join(" ");
        assert!(w.contains("app wants 2 replicas; 2 ready, 2 up to date, 2 available") && w.contains("interchangeable"), "{w}");
        let rs = s.cluster.api.store.list_t::<ReplicaSet>().next().unwrap().metadata.name.clone();
        let w = explain(&s.cluster, Kind::ReplicaSet, "default", &rs).join(" ");
        assert!(w.contains("belongs to Deployment app"), "{w}");
        assert_eq!(explain(&s.cluster, Kind::Deployment, "default", "gone"), ["gone does not exist (any more)."]);
    }

    fn node_fn(c: &Cluster, n: &Node) -> String {
        node(c, n).join(" ")
    }

    #[test]
    fn a_claim_of_an_unknown_class_explains_itself() {
        let mut s = Session::new(1);
        s.run("kubectl apply -f -", &sts("nope"));
        s.cluster.advance(30_000);
        let p = s.cluster.get::<Pod>("default", "web-0").unwrap().clone();
        let why = pod(&s.cluster, &p).join(" ");
        assert!(why.starts_with("The scheduler cannot place web-0"), "{why}");
        let pvc = s.cluster.get::<PersistentVolumeClaim>("default", "www-web-0").unwrap().clone();
        let w = claim(&s.cluster, &pvc).join(" ");
        assert!(w.contains("ProvisioningFailed") || w.contains("cannot bind") || w.contains("storageclass"), "{w}");
    }

    #[test]
    fn a_bound_local_claim_names_its_node() {
        let mut s = Session::new(1);
        s.run("kubectl apply -f -", &sts("local-path"));
        s.cluster.settle();
        let node = s.cluster.get::<Pod>("default", "web-0").unwrap().spec.node_name.clone();
        let w = explain(&s.cluster, Kind::PersistentVolumeClaim, "default", "www-web-0").join(" ");
        assert!(w.contains(&format!("on node {node}")), "{w}");
        s.run(&format!("cluster node stop {node}"), "");
        s.cluster.advance(MINUTE);
        let w = explain(&s.cluster, Kind::PersistentVolumeClaim, "default", "www-web-0").join(" ");
        assert!(w.contains("No node can mount claim www-web-0") && w.contains("powered off"), "{w}");
    }
}
