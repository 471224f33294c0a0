//! Nodes, Services, Endpoints, Namespaces, ConfigMaps, Secrets,
//! ServiceAccounts, ResourceQuotas, PodDisruptionBudgets.

use super::*;
use crate::engine::quantity::Quantity;
use crate::kubectl::printers::{format_label_selector, node_roles};

pub(crate) fn describe_node(w: &mut PrefixWriter, cx: &Cx, n: &Node) {
    let m = &n.metadata;
    w.write(LEVEL_0, &format!("Name:\t{}\n", m.name));
    let roles = node_roles(n);
    w.write(LEVEL_0, &format!("Roles:\t{}\n", if roles.is_empty() { "<none>".to_string() } else { roles.join(",") }));
    print_labels(w, "Labels", &m.labels);
    print_annotations(w, "Annotations", &m.annotations);
    w.write(LEVEL_0, &format!("CreationTimestamp:\t{}\n", time_fmt(m.creation_timestamp)));
    print_taints(w, "Taints", &n.spec.taints);
    w.write(LEVEL_0, &format!("Unschedulable:\t{}\n", n.spec.unschedulable));
    match cx.api.get_t::<Lease>("kube-node-lease", &m.name) {
        Some(l) => {
            w.write(LEVEL_0, "Lease:\n");
            w.write(LEVEL_1, &format!("HolderIdentity:\t{}\n", l.spec.holder_identity.clone().unwrap_or_else(|| "<unset>".into())));
            let t = |t: Option<crate::engine::time::MicroTime>| t.map(|t| t.0.rfc1123z()).unwrap_or_else(|| "<unset>".into());
            w.write(LEVEL_1, &format!("AcquireTime:\t{}\n", t(l.spec.acquire_time)));
            w.write(LEVEL_1, &format!("RenewTime:\t{}\n", t(l.spec.renew_time)));
        }
        None => w.write(LEVEL_0, &format!("Lease:\tFailed to get lease: leases.coordination.k8s.io \"{}\" not found\n", m.name)),
    }
    if !n.status.conditions.is_empty() {
        w.write(LEVEL_0, "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n");
        w.write(LEVEL_1, "----\t------\t-----------------\t------------------\t------\t-------\n");
        for c in &n.status.conditions {
            w.write(
                LEVEL_1,
                &format!(
                    "{} \t{} \t{} \t{} \t{} \t{}\n",
                    c.type_,
                    c.status,
                    time_fmt(c.last_heartbeat_time),
                    time_fmt(c.last_transition_time),
                    c.reason,
                    c.message
                ),
            );
        }
    }
    w.write(LEVEL_0, "Addresses:\n");
    for a in &n.status.addresses {
        w.write(LEVEL_1, &format!("{}:\t{}\n", a.type_, a.address));
    }
    let print_list = |w: &mut PrefixWriter, list: &ResourceList| {
        for (k, v) in list {
            w.write(LEVEL_0, &format!("  {k}:\t{v}\n"));
        }
    };
    if !n.status.capacity.is_empty() {
        w.write(LEVEL_0, "Capacity:\n");
        print_list(w, &n.status.capacity);
    }
    if !n.status.allocatable.is_empty() {
        w.write(LEVEL_0, "Allocatable:\n");
        print_list(w, &n.status.allocatable);
    }
    let i = &n.status.node_info;
    w.write(LEVEL_0, "System Info:\n");
    w.write(LEVEL_0, &format!("  Machine ID:\t{}\n", i.machine_id));
    w.write(LEVEL_0, &format!("  System UUID:\t{}\n", i.system_uuid));
    w.write(LEVEL_0, &format!("  Boot ID:\t{}\n", i.boot_id));
    w.write(LEVEL_0, &format!("  Kernel Version:\t{}\n", i.kernel_version));
    w.write(LEVEL_0, &format!("  OS Image:\t{}\n", i.os_image));
    w.write(LEVEL_0, &format!("  Operating System:\t{}\n", i.operating_system));
    w.write(LEVEL_0, &format!("  Architecture:\t{}\n", i.architecture));
    w.write(LEVEL_0, &format!("  Container Runtime Version:\t{}\n", i.container_runtime_version));
    w.write(LEVEL_0, &format!("  Kubelet Version:\t{}\n", i.kubelet_version));
    if !n.spec.pod_cidr.is_empty() {
        w.write(LEVEL_0, &format!("PodCIDR:\t{}\n", n.spec.pod_cidr));
    }
    if !n.spec.pod_cidrs.is_empty() {
        w.write(LEVEL_0, &format!("PodCIDRs:\t{}\n", n.spec.pod_cidrs.join(",")));
    }
    if !n.spec.provider_id.is_empty() {
        w.write(LEVEL_0, &format!("ProviderID:\t{}\n", n.spec.provider_id));
    }
    let pods: Vec<&Pod> = cx.api.store.pods_on_node(&m.name).filter(|p| !p.status.phase.is_terminal()).collect();
    describe_node_resource(w, cx, n, &pods);
    // Events about the node by its uid, and the kubelet's (whose uid is the node name).
    let mut events: Vec<Event> = cx.events(&Object::Node(n.clone()));
    if m.uid != m.name {
        for e in cx.api.events_for(Kind::Node, "", &m.name, &m.name) {
            if e.involved_object.uid == m.name {
                events.push(e.clone());
            }
        }
    }
    describe_events(w, cx, events);
}

/// resourcehelper.PodRequests / PodLimits: containers (and sidecars) summed,
/// then the maximum with each init container.
fn pod_totals(p: &Pod, limits: bool) -> ResourceList {
    let pick = |c: &Container| if limits { c.resources.limits.clone() } else { c.resources.requests.clone() };
    let add = |acc: &mut ResourceList, l: &ResourceList| {
        for (k, v) in l {
            let cur = acc.get(k).copied().unwrap_or_default();
            acc.insert(k.clone(), cur.add(v));
        }
    };
    let mut total = ResourceList::new();
    for c in &p.spec.containers {
        add(&mut total, &pick(c));
    }
    let mut sidecars = ResourceList::new();
    let mut init_max = ResourceList::new();
    for c in &p.spec.init_containers {
        if c.restart_policy.as_deref() == Some("Always") {
            add(&mut total, &pick(c));
            add(&mut sidecars, &pick(c));
        } else {
            let mut this = sidecars.clone();
            add(&mut this, &pick(c));
            for (k, v) in this {
                if init_max.get(&k).is_none_or(|cur| *cur < v) {
                    init_max.insert(k, v);
                }
            }
        }
    }
    for (k, v) in init_max {
        if total.get(&k).is_none_or(|cur| *cur < v) {
            total.insert(k, v);
        }
    }
    if let Some(o) = p.spec.overhead.as_ref().and_then(|o| o.as_object()) {
        for (k, v) in o {
            if let Some(q) = v.as_str().and_then(|s| Quantity::parse(s).ok())
                && (total.contains_key(k) || !limits)
            {
                let cur = total.get(k).copied().unwrap_or_default();
                total.insert(k.clone(), cur.add(&q));
            }
        }
    }
    total
}

fn percent(part: i64, whole: i64) -> i64 {
    if whole == 0 {
        return 0;
    }
    (part as f64 / whole as f64 * 100.0) as i64
}

fn describe_node_resource(w: &mut PrefixWriter, cx: &Cx, n: &Node, pods: &[&Pod]) {
    w.write(LEVEL_0, &format!("Non-terminated Pods:\t({} in total)\n", pods.len()));
    w.write(LEVEL_1, "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n");
    w.write(LEVEL_1, "---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n");
    let alloc = if n.status.allocatable.is_empty() { &n.status.capacity } else { &n.status.allocatable };
    let get = |l: &ResourceList, k: &str| l.get(k).copied().unwrap_or_default();
    let (acpu, amem, aeph) = (get(alloc, "cpu").milli_value(), get(alloc, "memory").value(), get(alloc, "ephemeral-storage").value());
    let mut reqs = ResourceList::new();
    let mut lims = ResourceList::new();
    for p in pods {
        let req = pod_totals(p, false);
        let lim = pod_totals(p, true);
        let (cr, cl, mr, ml) = (get(&req, "cpu"), get(&lim, "cpu"), get(&req, "memory"), get(&lim, "memory"));
        w.write(
            LEVEL_1,
            &format!(
                "{}\t{}\t\t{cr} ({}%)\t{cl} ({}%)\t{mr} ({}%)\t{ml} ({}%)\t{}\n",
                p.metadata.namespace,
                p.metadata.name,
                percent(cr.milli_value(), acpu),
                percent(cl.milli_value(), acpu),
                percent(mr.value(), amem),
                percent(ml.value(), amem),
                age(p.metadata.creation_timestamp, cx.now)
            ),
        );
        for (k, v) in req {
            let cur = get(&reqs, &k);
            reqs.insert(k, cur.add(&v));
        }
        for (k, v) in lim {
            let cur = get(&lims, &k);
            lims.insert(k, cur.add(&v));
        }
    }
    w.write(LEVEL_0, "Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n");
    w.write(LEVEL_1, "Resource\tRequests\tLimits\n");
    w.write(LEVEL_1, "--------\t--------\t------\n");
    for (name, whole, milli) in [("cpu", acpu, true), ("memory", amem, false), ("ephemeral-storage", aeph, false)] {
        let (r, l) = (get(&reqs, name), get(&lims, name));
        let v = |q: Quantity| if milli { q.milli_value() } else { q.value() };
        w.write(LEVEL_1, &format!("{name}\t{r} ({}%)\t{l} ({}%)\n", percent(v(r), whole), percent(v(l), whole)));
    }
    let mut huge: Vec<&String> = alloc.keys().filter(|k| k.starts_with("hugepages-")).collect();
    crate::engine::sort::sort(&mut huge);
    for k in huge {
        let (r, l, a) = (get(&reqs, k), get(&lims, k), get(alloc, k));
        w.write(LEVEL_1, &format!("{k}\t{r} ({}%)\t{l} ({}%)\n", percent(r.value(), a.value()), percent(l.value(), a.value())));
    }
    // Extended resources: anything that is not a standard container resource.
    let standard = ["cpu", "memory", "ephemeral-storage", "storage", "pods"];
    for k in alloc.keys().filter(|k| !k.starts_with("hugepages-") && !standard.contains(&k.as_str()) && k.contains('/')) {
        w.write(LEVEL_1, &format!("{k}\t{}\t{}\n", get(&reqs, k), get(&lims, k)));
    }
}

pub(crate) fn describe_service(w: &mut PrefixWriter, cx: &Cx, s: &Service) {
    let m = &s.metadata;
    w.write(LEVEL_0, &format!("Name:\t{}\n", m.name));
    w.write(LEVEL_0, &format!("Namespace:\t{}\n", m.namespace));
    print_labels(w, "Labels", &m.labels);
    print_annotations(w, "Annotations", &m.annotations);
    w.write(LEVEL_0, &format!("Selector:\t{}\n", format_labels(&s.spec.selector)));
    w.write(LEVEL_0, &format!("Type:\t{}\n", s.spec.type_));
    if let Some(p) = &s.spec.ip_family_policy {
        w.write(LEVEL_0, &format!("IP Family Policy:\t{p}\n"));
    }
    w.write(LEVEL_0, &format!("IP Families:\t{}\n", if s.spec.ip_families.is_empty() { "<none>".into() } else { s.spec.ip_families.join(",") }));
    w.write(LEVEL_0, &format!("IP:\t{}\n", s.spec.cluster_ip));
    w.write(LEVEL_0, &format!("IPs:\t{}\n", if s.spec.cluster_ips.is_empty() { "<none>".into() } else { s.spec.cluster_ips.join(",") }));
    if !s.spec.external_ips.is_empty() {
        w.write(LEVEL_0, &format!("External IPs:\t{}\n", s.spec.external_ips.join(",")));
    }
    if !s.spec.load_balancer_ip.is_empty() {
        w.write(LEVEL_0, &format!("Desired LoadBalancer IP:\t{}\n", s.spec.load_balancer_ip));
    }
    if !s.spec.external_name.is_empty() {
        w.write(LEVEL_0, &format!("External Name:\t{}\n", s.spec.external_name));
    }
    if let Some(ingress) = s.status.load_balancer.get("ingress").and_then(|i| i.as_array()).filter(|i| !i.is_empty()) {
        let list: Vec<String> = ingress
            .iter()
            .map(|i| {
                let ip = i.get("ip").and_then(|v| v.as_str()).unwrap_or("");
                if ip.is_empty() {
                    i.get("hostname").and_then(|v| v.as_str()).unwrap_or("").to_string()
                } else if let Some(mode) = i.get("ipMode").and_then(|v| v.as_str()) {
                    format!("{ip} ({mode})")
                } else {
                    ip.to_string()
                }
            })
            .collect();
        w.write(LEVEL_0, &format!("LoadBalancer Ingress:\t{}\n", list.join(", ")));
    }
    let endpoints = cx.api.get_t::<Endpoints>(&m.namespace, &m.name);
    for p in &s.spec.ports {
        let name = if p.name.is_empty() { "<unset>" } else { p.name.as_str() };
        w.write(LEVEL_0, &format!("Port:\t{name}\t{}/{}\n", p.port, p.protocol));
        match &p.target_port {
            Some(IntOrString::Str(t)) => w.write(LEVEL_0, &format!("TargetPort:\t{t}/{}\n", p.protocol)),
            Some(IntOrString::Int(t)) => w.write(LEVEL_0, &format!("TargetPort:\t{t}/{}\n", p.protocol)),
            None => w.write(LEVEL_0, &format!("TargetPort:\t0/{}\n", p.protocol)),
        }
        if let Some(a) = &p.app_protocol {
            w.write(LEVEL_0, &format!("AppProtocol:\t{a}\n"));
        }
        if p.node_port != 0 {
            w.write(LEVEL_0, &format!("NodePort:\t{name}\t{}/{}\n", p.node_port, p.protocol));
        }
        w.write(LEVEL_0, &format!("Endpoints:\t{}\n", service_endpoints(endpoints, &p.name)));
    }
    w.write(LEVEL_0, &format!("Session Affinity:\t{}\n", s.spec.session_affinity));
    if !s.spec.external_traffic_policy.is_empty() {
        w.write(LEVEL_0, &format!("External Traffic Policy:\t{}\n", s.spec.external_traffic_policy));
    }
    if let Some(p) = &s.spec.internal_traffic_policy {
        w.write(LEVEL_0, &format!("Internal Traffic Policy:\t{p}\n"));
    }
    if let Some(t) = &s.spec.traffic_distribution {
        w.write(LEVEL_0, &format!("Traffic Distribution:\t{t}\n"));
    }
    describe_events(w, cx, cx.events(&Object::Service(s.clone())));
}

/// formatEndpointSlices for one port name, over the service's endpoints
/// (the EndpointSlice mirror of its Endpoints object): ready addresses as
/// `ip:port`, at most three, then `+ N more...`; `<none>` without endpoints.
fn service_endpoints(ep: Option<&Endpoints>, port_name: &str) -> String {
    let Some(ep) = ep else { return "<none>".into() };
    let max = 3;
    let mut list: Vec<String> = vec![];
    let mut more = false;
    let mut count = 0;
    for ss in &ep.subsets {
        if ss.ports.is_empty() {
            for a in &ss.addresses {
                if list.len() == max {
                    more = true;
                }
                if !more {
                    list.push(a.ip.clone());
                }
                count += 1;
            }
            continue;
        }
        for p in ss.ports.iter().filter(|p| p.name == port_name) {
            for a in &ss.addresses {
                if list.len() == max {
                    more = true;
                }
                if !more {
                    list.push(if a.ip.contains(':') { format!("[{}]:{}", a.ip, p.port) } else { format!("{}:{}", a.ip, p.port) });
                }
                count += 1;
            }
        }
    }
    let ret = list.join(",");
    if more { format!("{ret} + {} more...", count - max) } else { ret }
}

pub(crate) fn describe_endpoints(w: &mut PrefixWriter, cx: &Cx, e: &Endpoints) {
    let m = &e.metadata;
    w.write(LEVEL_0, &format!("Name:\t{}\n", m.name));
    w.write(LEVEL_0, &format!("Namespace:\t{}\n", m.namespace));
    print_labels(w, "Labels", &m.labels);
    print_annotations(w, "Annotations", &m.annotations);
    w.write(LEVEL_0, "Subsets:\n");
    for ss in &e.subsets {
        let join = |a: &[EndpointAddress]| or_none(&a.iter().map(|x| x.ip.clone()).collect::<Vec<_>>().join(","));
        w.write(LEVEL_1, &format!("Addresses:\t{}\n", join(&ss.addresses)));
        w.write(LEVEL_1, &format!("NotReadyAddresses:\t{}\n", join(&ss.not_ready_addresses)));
        if !ss.ports.is_empty() {
            w.write(LEVEL_1, "Ports:\n");
            w.write(LEVEL_2, "Name\tPort\tProtocol\n");
            w.write(LEVEL_2, "----\t----\t--------\n");
            for p in &ss.ports {
                let name = if p.name.is_empty() { "<unset>" } else { p.name.as_str() };
                w.write(LEVEL_2, &format!("{name}\t{}\t{}\n", p.port, p.protocol));
            }
        }
        w.write(LEVEL_0, "\n");
    }
    describe_events(w, cx, cx.events(&Object::Endpoints(e.clone())));
}

pub(crate) fn describe_namespace(w: &mut PrefixWriter, cx: &Cx, n: &Namespace) {
    let m = &n.metadata;
    w.write(LEVEL_0, &format!("Name:\t{}\n", m.name));
    print_labels(w, "Labels", &m.labels);
    print_annotations(w, "Annotations", &m.annotations);
    w.write(LEVEL_0, &format!("Status:\t{}\n", n.status.phase));
    w.write(LEVEL_0, "\n");
    let quotas: Vec<&ResourceQuota> = cx.api.store.list_ns_t::<ResourceQuota>(&m.name).collect();
    if quotas.is_empty() {
        w.write(LEVEL_0, "No resource quota.\n");
    } else {
        w.write(LEVEL_0, "Resource Quotas\n");
        for q in quotas {
            w.write(LEVEL_1, &format!("Name:\t{}\n", q.metadata.name));
            write_scopes(w, LEVEL_1, &q.spec.scopes, "* ");
            w.write(LEVEL_1, "Resource\tUsed\tHard\n");
            w.write(LEVEL_1, "--------\t---\t---\n");
            for (res, hard) in &q.status.hard {
                let used = q.status.used.get(res).copied().unwrap_or_default();
                w.write(LEVEL_1, &format!("{res}\t{used}\t{hard}\n"));
            }
        }
    }
    // The simulated API serves no LimitRanges, so there are none.
    w.write(LEVEL_0, "\n");
    w.write(LEVEL_0, "No LimitRange resource.\n");
}

fn scope_help(scope: &str) -> &'static str {
    match scope {
        "Terminating" => {
            "Matches all pods that have an active deadline. These pods have a limited lifespan on a node before being actively terminated by the system."
        }
        "NotTerminating" => {
            "Matches all pods that do not have an active deadline. These pods usually include long running pods whose container command is not expected to terminate."
        }
        "BestEffort" => "Matches all pods that do not have resource requirements set. These pods have a best effort quality of service.",
        "NotBestEffort" => "Matches all pods that have at least one resource requirement set. These pods have a burstable or guaranteed quality of service.",
        _ => "",
    }
}

fn write_scopes(w: &mut PrefixWriter, level: usize, scopes: &[String], bullet: &str) {
    if scopes.is_empty() {
        return;
    }
    let mut sorted = scopes.to_vec();
    crate::engine::sort::sort(&mut sorted);
    w.write(level, &format!("Scopes:\t{}\n", sorted.join(", ")));
    for s in &sorted {
        let help = scope_help(s);
        if !help.is_empty() {
            w.write(level, &format!("{bullet}{help}\n"));
        }
    }
}

pub(crate) fn describe_quota(w: &mut PrefixWriter, q: &ResourceQuota) {
    w.write(LEVEL_0, &format!("Name:\t{}\n", q.metadata.name));
    w.write(LEVEL_0, &format!("Namespace:\t{}\n", q.metadata.namespace));
    write_scopes(w, LEVEL_0, &q.spec.scopes, " * ");
    w.write(LEVEL_0, "Resource\tUsed\tHard\n");
    w.write(LEVEL_0, "--------\t----\t----\n");
    for (res, hard) in &q.status.hard {
        let mut used = q.status.used.get(res).copied().unwrap_or_default();
        if hard.format() != used.format() {
            used = Quantity::from_units(used.value(), hard.format());
        }
        w.write(LEVEL_0, &format!("{res}\t{used}\t{hard}\n"));
    }
}

pub(crate) fn describe_config_map(w: &mut PrefixWriter, cx: &Cx, c: &ConfigMap) {
    w.write(LEVEL_0, &format!("Name:\t{}\n", c.metadata.name));
    w.write(LEVEL_0, &format!("Namespace:\t{}\n", c.metadata.namespace));
    print_labels(w, "Labels", &c.metadata.labels);
    print_annotations(w, "Annotations", &c.metadata.annotations);
    w.write(LEVEL_0, "\nData\n====\n");
    for (k, v) in &c.data {
        w.write(LEVEL_0, &format!("{k}:\n----\n"));
        w.write(LEVEL_0, &format!("{v}\n"));
        w.write(LEVEL_0, "\n");
    }
    w.write(LEVEL_0, "\nBinaryData\n====\n");
    for (k, v) in &c.binary_data {
        w.write(LEVEL_0, &format!("{k}: {} bytes\n", base64_len(v)));
    }
    w.write(LEVEL_0, "\n");
    describe_events(w, cx, cx.events(&Object::ConfigMap(c.clone())));
}

/// The decoded length of a base64 value (how many bytes the data holds).
fn base64_len(s: &str) -> usize {
    let t = s.trim_end_matches('=');
    t.len() * 3 / 4
}

pub(crate) fn describe_secret(w: &mut PrefixWriter, s: &Secret) {
    w.write(LEVEL_0, &format!("Name:\t{}\n", s.metadata.name));
    w.write(LEVEL_0, &format!("Namespace:\t{}\n", s.metadata.namespace));
    print_labels(w, "Labels", &s.metadata.labels);
    print_annotations(w, "Annotations", &s.metadata.annotations);
    w.write(LEVEL_0, &format!("\nType:\t{}\n", s.type_));
    w.write(LEVEL_0, "\nData\n====\n");
    for (k, v) in &s.data {
        if k == "token" && s.type_ == "kubernetes.io/service-account-token" {
            w.write(LEVEL_0, &format!("{k}:\t{}\n", crate::engine::base64::decode_text(v)));
        } else {
            w.write(LEVEL_0, &format!("{k}:\t{} bytes\n", base64_len(v)));
        }
    }
}

pub(crate) fn describe_service_account(w: &mut PrefixWriter, cx: &Cx, s: &ServiceAccount) {
    w.write(LEVEL_0, &format!("Name:\t{}\n", s.metadata.name));
    w.write(LEVEL_0, &format!("Namespace:\t{}\n", s.metadata.namespace));
    print_labels(w, "Labels", &s.metadata.labels);
    print_annotations(w, "Annotations", &s.metadata.annotations);
    let v = Object::ServiceAccount(s.clone()).to_value();
    let names: Vec<String> = v
        .get("imagePullSecrets")
        .and_then(|a| a.as_array())
        .into_iter()
        .flatten()
        .map(|x| x.get("name").and_then(|n| n.as_str()).unwrap_or("").to_string())
        .collect();
    if names.is_empty() {
        w.write(LEVEL_0, "Image pull secrets:\t<none>\n");
    } else {
        let mut prefix = "Image pull secrets:";
        for n in &names {
            w.write(LEVEL_0, &format!("{prefix}\t{n}\n"));
            prefix = "                   ";
        }
    }
    describe_events(w, cx, cx.events(&Object::ServiceAccount(s.clone())));
}

pub(crate) fn describe_pdb(w: &mut PrefixWriter, cx: &Cx, p: &PodDisruptionBudget) {
    w.write(LEVEL_0, &format!("Name:\t{}\n", p.metadata.name));
    w.write(LEVEL_0, &format!("Namespace:\t{}\n", p.metadata.namespace));
    if let Some(v) = &p.spec.min_available {
        w.write(LEVEL_0, &format!("Min available:\t{v}\n"));
    } else if let Some(v) = &p.spec.max_unavailable {
        w.write(LEVEL_0, &format!("Max unavailable:\t{v}\n"));
    }
    match &p.spec.selector {
        Some(s) => w.write(LEVEL_0, &format!("Selector:\t{}\n", format_label_selector(Some(s)))),
        None => w.write(LEVEL_0, "Selector:\t<unset>\n"),
    }
    w.write(LEVEL_0, "Status:\n");
    w.write(LEVEL_2, &format!("Allowed disruptions:\t{}\n", p.status.disruptions_allowed));
    w.write(LEVEL_2, &format!("Current:\t{}\n", p.status.current_healthy));
    w.write(LEVEL_2, &format!("Desired:\t{}\n", p.status.desired_healthy));
    w.write(LEVEL_2, &format!("Total:\t{}\n", p.status.expected_pods));
    describe_events(w, cx, cx.events(&Object::PodDisruptionBudget(p.clone())));
}

/// describeLimitRange: one row per limit type and resource (Go ranges over
/// a map there, so the resources come in no set order; here by name).
pub(crate) fn describe_limit_range(w: &mut PrefixWriter, g: &crate::engine::api::Generic) {
    put(w, LEVEL_0, &["Name:\t", &g.metadata.name, "\n"]);
    put(w, LEVEL_0, &["Namespace:\t", &g.metadata.namespace, "\n"]);
    w.write(LEVEL_0, "Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\tMax Limit/Request Ratio\n");
    w.write(LEVEL_0, "----\t--------\t---\t---\t---------------\t-------------\t-----------------------\n");
    const COLS: [&str; 5] = ["min", "max", "defaultRequest", "default", "maxLimitRequestRatio"];
    for item in g.field("spec")["limits"].as_array().into_iter().flatten() {
        let mut names: Vec<&String> = COLS.iter().filter_map(|c| item[*c].as_object()).flat_map(|m| m.keys()).collect();
        crate::engine::sort::sort(&mut names);
        names.dedup();
        for k in names {
            let mut row = vec![item["type"].as_str().unwrap_or_default().to_string(), k.clone()];
            for c in COLS {
                row.push(match &item[c][k.as_str()] {
                    Value::Null => "-".into(),
                    v => {
                        let text = v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
                        Quantity::parse(&text).map(|q| q.to_string()).unwrap_or(text)
                    }
                });
            }
            put(w, LEVEL_0, &[&row.join("\t"), "\n"]);
        }
    }
}
