//! PersistentVolumeClaims, PersistentVolumes, StorageClasses, CSINodes.

use super::*;
use crate::kubectl::printers::{access_modes_string, pv_class, pvc_class, quantity_string};

pub(crate) fn describe_pvc(w: &mut PrefixWriter, cx: &Cx, c: &PersistentVolumeClaim) {
    print_pvc_full(w, cx, c);
    // getPodsForPVC: pods mounting the claim (once per volume naming it), then
    // pods that own it.
    let mut used_by: Vec<String> = vec![];
    let mut uids: Vec<&str> = vec![];
    for p in cx.api.store.pods_using_claim(&c.metadata.namespace, &c.metadata.name) {
        for v in &p.spec.volumes {
            if v.persistent_volume_claim.as_ref().is_some_and(|s| s.claim_name == c.metadata.name) {
                used_by.push(p.metadata.name.clone());
                uids.push(&p.metadata.uid);
            }
        }
    }
    for owner in &c.metadata.owner_references {
        if owner.kind != "Pod" {
            continue;
        }
        if let Some(Object::Pod(p)) = cx.api.store.by_uid(&owner.uid).map(|o| &**o)
            && p.metadata.namespace == c.metadata.namespace
            && !uids.contains(&p.metadata.uid.as_str())
        {
            used_by.push(p.metadata.name.clone());
        }
    }
    print_pods(w, "Used By", &used_by);
    if !c.status.conditions.is_empty() {
        w.write(LEVEL_0, "Conditions:\n");
        w.write(LEVEL_1, "Type\tStatus\tLastProbeTime\tLastTransitionTime\tReason\tMessage\n");
        w.write(LEVEL_1, "----\t------\t-----------------\t------------------\t------\t-------\n");
        for cond in &c.status.conditions {
            w.write(
                LEVEL_1,
                &format!(
                    "{} \t{} \t{} \t{} \t{} \t{}\n",
                    cond.type_,
                    cond.status,
                    time_fmt(cond.last_probe_time),
                    time_fmt(cond.last_transition_time),
                    cond.reason,
                    cond.message
                ),
            );
        }
    }
    describe_events(w, cx, cx.events(&Object::PersistentVolumeClaim(c.clone())));
}

fn print_pvc_full(w: &mut PrefixWriter, cx: &Cx, c: &PersistentVolumeClaim) {
    w.write(LEVEL_0, &format!("Name:\t{}\n", c.metadata.name));
    w.write(LEVEL_0, &format!("Namespace:\t{}\n", c.metadata.namespace));
    w.write(LEVEL_0, &format!("StorageClass:\t{}\n", pvc_class(c)));
    if let Some(dt) = c.metadata.deletion_timestamp {
        w.write(LEVEL_0, &format!("Status:\tTerminating (lasts {})\n", age(Some(dt), cx.now)));
    } else {
        w.write(LEVEL_0, &format!("Status:\t{}\n", c.status.phase));
    }
    print_pvc_rest(w, c, true);
}

/// printPersistentVolumeClaim with isFullPVC false (ephemeral volume templates).
pub(crate) fn print_pvc(w: &mut PrefixWriter, c: &PersistentVolumeClaim, full: bool) {
    w.write(LEVEL_0, &format!("StorageClass:\t{}\n", pvc_class(c)));
    print_pvc_rest(w, c, full);
}

fn print_pvc_rest(w: &mut PrefixWriter, c: &PersistentVolumeClaim, full: bool) {
    w.write(LEVEL_0, &format!("Volume:\t{}\n", c.spec.volume_name));
    print_labels(w, "Labels", &c.metadata.labels);
    print_annotations(w, "Annotations", &c.metadata.annotations);
    if full {
        w.write(LEVEL_0, &format!("Finalizers:\t{}\n", go_list(&c.metadata.finalizers)));
    }
    let (capacity, modes) = if c.spec.volume_name.is_empty() {
        (String::new(), String::new())
    } else {
        (quantity_string(c.status.capacity.get("storage")), access_modes_string(&c.status.access_modes))
    };
    w.write(LEVEL_0, &format!("Capacity:\t{capacity}\n"));
    w.write(LEVEL_0, &format!("Access Modes:\t{modes}\n"));
    if let Some(m) = &c.spec.volume_mode {
        w.write(LEVEL_0, &format!("VolumeMode:\t{m}\n"));
    }
    if let Some(ds) = c.spec.data_source.as_ref().filter(|d| !d.is_null()) {
        let s = |k: &str| ds.get(k).and_then(|v| v.as_str()).map(String::from);
        w.write(LEVEL_0, "DataSource:\n");
        if let Some(g) = s("apiGroup") {
            w.write(LEVEL_1, &format!("APIGroup:\t{g}\n"));
        }
        w.write(LEVEL_1, &format!("Kind:\t{}\n", s("kind").unwrap_or_default()));
        w.write(LEVEL_1, &format!("Name:\t{}\n", s("name").unwrap_or_default()));
    }
}

pub(crate) fn describe_pv(w: &mut PrefixWriter, cx: &Cx, v: &PersistentVolume) {
    w.write(LEVEL_0, &format!("Name:\t{}\n", v.metadata.name));
    print_labels(w, "Labels", &v.metadata.labels);
    print_annotations(w, "Annotations", &v.metadata.annotations);
    w.write(LEVEL_0, &format!("Finalizers:\t{}\n", go_list(&v.metadata.finalizers)));
    w.write(LEVEL_0, &format!("StorageClass:\t{}\n", pv_class(v)));
    if let Some(dt) = v.metadata.deletion_timestamp {
        w.write(LEVEL_0, &format!("Status:\tTerminating (lasts {})\n", age(Some(dt), cx.now)));
    } else {
        w.write(LEVEL_0, &format!("Status:\t{}\n", v.status.phase));
    }
    match &v.spec.claim_ref {
        Some(c) => w.write(LEVEL_0, &format!("Claim:\t{}/{}\n", c.namespace, c.name)),
        None => w.write(LEVEL_0, "Claim:\t\n"),
    }
    w.write(LEVEL_0, &format!("Reclaim Policy:\t{}\n", v.spec.persistent_volume_reclaim_policy));
    w.write(LEVEL_0, &format!("Access Modes:\t{}\n", access_modes_string(&v.spec.access_modes)));
    if let Some(m) = &v.spec.volume_mode {
        w.write(LEVEL_0, &format!("VolumeMode:\t{m}\n"));
    }
    w.write(LEVEL_0, &format!("Capacity:\t{}\n", quantity_string(v.spec.capacity.get("storage"))));
    // printVolumeNodeAffinity
    w.write(LEVEL_0, "Node Affinity:\t");
    match v.spec.node_affinity.as_ref().and_then(|a| a.required.as_ref()) {
        None => w.write_line("<none>"),
        Some(req) => {
            w.write_line("");
            w.write(LEVEL_1, "Required Terms:\t");
            if req.node_selector_terms.is_empty() {
                w.write_line("<none>");
            } else {
                w.write_line("");
                for (i, term) in req.node_selector_terms.iter().enumerate() {
                    print_node_selector_term(w, LEVEL_2, &format!("Term {i}"), "\t", &term.match_expressions);
                }
            }
        }
    }
    w.write(LEVEL_0, &format!("Message:\t{}\n", v.status.message));
    w.write(LEVEL_0, "Source:\n");
    if let Some(h) = &v.spec.host_path {
        super::pods::print_host_path(w, h);
    } else if let Some(n) = &v.spec.nfs {
        super::pods::print_nfs(w, n);
    } else if let Some(l) = &v.spec.local {
        w.write(LEVEL_2, &format!("Type:\tLocalVolume (a persistent volume backed by local storage on a node)\n    Path:\t{}\n", l.path));
    } else if let Some(c) = &v.spec.csi {
        w.write(
            LEVEL_2,
            &format!(
                "Type:\tCSI (a Container Storage Interface (CSI) volume source)\n    Driver:\t{}\n    FSType:\t{}\n    VolumeHandle:\t{}\n    ReadOnly:\t{}\n",
                c.driver, c.fs_type, c.volume_handle, c.read_only
            ),
        );
        print_csi_attributes(w, &c.volume_attributes);
    } else {
        w.write(LEVEL_1, "<unknown>\n");
    }
    describe_events(w, cx, cx.events(&Object::PersistentVolume(v.clone())));
}

/// printNodeSelectorTermsMultilineWithIndent: `key in [a, b]`.
fn print_node_selector_term(w: &mut PrefixWriter, level: usize, title: &str, inner: &str, reqs: &[NodeSelectorRequirement]) {
    w.write(level, &format!("{title}:{inner}"));
    if reqs.is_empty() {
        w.write_line("<none>");
        return;
    }
    for (i, r) in reqs.iter().enumerate() {
        if i != 0 {
            w.write(level, inner);
        }
        let mut expr = format!("{} {}", r.key, r.operator.to_lowercase());
        if !r.values.is_empty() {
            expr = format!("{expr} [{}]", r.values.join(", "));
        }
        w.write(LEVEL_0, &format!("{expr}\n"));
    }
}

/// printCSIPersistentVolumeAttributesMultiline, with its indentation as
/// kubectl has it (every write at level 2, continuation lines included).
pub(crate) fn print_csi_attributes(w: &mut PrefixWriter, attrs: &BTreeMap<String, String>) {
    w.write(LEVEL_2, "VolumeAttributes:\t");
    if attrs.is_empty() {
        w.write_line("<none>");
        return;
    }
    for (i, (k, v)) in attrs.iter().enumerate() {
        if i != 0 {
            w.write(LEVEL_2, "");
            w.write(LEVEL_2, "\t");
        }
        let line = format!("{k}={v}");
        if line.len() > MAX_ANNOTATION_LEN {
            let mut cut = MAX_ANNOTATION_LEN;
            while !line.is_char_boundary(cut) {
                cut -= 1;
            }
            w.write(LEVEL_2, &format!("{}...\n", &line[..cut]));
        } else {
            w.write(LEVEL_2, &format!("{line}\n"));
        }
    }
}

pub(crate) fn describe_storage_class(w: &mut PrefixWriter, cx: &Cx, s: &StorageClass) {
    w.write(LEVEL_0, &format!("Name:\t{}\n", s.metadata.name));
    w.write(LEVEL_0, &format!("IsDefaultClass:\t{}\n", if s.is_default() { "Yes" } else { "No" }));
    w.write(LEVEL_0, &format!("Annotations:\t{}\n", format_labels(&s.metadata.annotations)));
    w.write(LEVEL_0, &format!("Provisioner:\t{}\n", s.provisioner));
    w.write(LEVEL_0, &format!("Parameters:\t{}\n", format_labels(&s.parameters)));
    let expansion = match s.allow_volume_expansion {
        Some(true) => "True",
        Some(false) => "False",
        None => "<unset>",
    };
    w.write(LEVEL_0, &format!("AllowVolumeExpansion:\t{expansion}\n"));
    if s.mount_options.is_empty() {
        w.write(LEVEL_0, "MountOptions:\t<none>\n");
    } else {
        w.write(LEVEL_0, "MountOptions:\n");
        for o in &s.mount_options {
            w.write(LEVEL_1, &format!("{o}\n"));
        }
    }
    if let Some(r) = &s.reclaim_policy {
        w.write(LEVEL_0, &format!("ReclaimPolicy:\t{r}\n"));
    }
    if let Some(m) = &s.volume_binding_mode {
        w.write(LEVEL_0, &format!("VolumeBindingMode:\t{m}\n"));
    }
    if !s.allowed_topologies.is_empty() {
        w.write(LEVEL_0, "AllowedTopologies:\t");
        w.write_line("");
        for (i, term) in s.allowed_topologies.iter().enumerate() {
            w.write(LEVEL_1, &format!("Term {i}:\t"));
            if term.match_label_expressions.is_empty() {
                w.write_line("<none>");
                continue;
            }
            for (j, r) in term.match_label_expressions.iter().enumerate() {
                if j != 0 {
                    w.write(LEVEL_1, "\t");
                }
                let mut expr = format!("{} in", r.key);
                if !r.values.is_empty() {
                    expr = format!("{expr} [{}]", r.values.join(", "));
                }
                w.write(LEVEL_0, &format!("{expr}\n"));
            }
        }
    }
    describe_events(w, cx, cx.events(&Object::StorageClass(s.clone())));
}

pub(crate) fn describe_csi_node(w: &mut PrefixWriter, cx: &Cx, n: &CsiNode) {
    w.write(LEVEL_0, &format!("Name:\t{}\n", n.metadata.name));
    print_labels(w, "Labels", &n.metadata.labels);
    print_annotations(w, "Annotations", &n.metadata.annotations);
    w.write(LEVEL_0, &format!("CreationTimestamp:\t{}\n", time_fmt(n.metadata.creation_timestamp)));
    w.write(LEVEL_0, "Spec:\n");
    // Go checks `Drivers != nil`; an API server always returns the list.
    w.write(LEVEL_1, "Drivers:\n");
    for d in &n.spec.drivers {
        w.write(LEVEL_2, &format!("{}:\n", d.name));
        w.write(LEVEL_3, &format!("Node ID:\t{}\n", d.node_id));
        if let Some(count) = d.allocatable.as_ref().and_then(|a| a.count) {
            w.write(LEVEL_3, "Allocatables:\n");
            w.write(LEVEL_4, &format!("Count:\t{count}\n"));
        }
        if !d.topology_keys.is_empty() {
            w.write(LEVEL_3, &format!("Topology Keys:\t{}\n", go_list(&d.topology_keys)));
        }
    }
    describe_events(w, cx, cx.events(&Object::CsiNode(n.clone())));
}
