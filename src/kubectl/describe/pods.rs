//! describePod, describeContainers, describeVolumes and DescribePodTemplate.

use super::*;
use crate::engine::quantity::Quantity;

pub(crate) fn describe_pod(w: &mut PrefixWriter, cx: &Cx, pod: &Pod) {
    let m = &pod.metadata;
    w.write(LEVEL_0, &format!("Name:\t{}\n", m.name));
    w.write(LEVEL_0, &format!("Namespace:\t{}\n", m.namespace));
    if let Some(p) = pod.spec.priority {
        w.write(LEVEL_0, &format!("Priority:\t{p}\n"));
    }
    if !pod.spec.priority_class_name.is_empty() {
        w.write(LEVEL_0, &format!("Priority Class Name:\t{}\n", pod.spec.priority_class_name));
    }
    if let Some(rc) = pod.spec.runtime_class_name.as_deref().filter(|s| !s.is_empty()) {
        w.write(LEVEL_0, &format!("Runtime Class Name:\t{rc}\n"));
    }
    if !pod.spec.service_account_name.is_empty() {
        w.write(LEVEL_0, &format!("Service Account:\t{}\n", pod.spec.service_account_name));
    }
    if pod.spec.node_name.is_empty() {
        w.write(LEVEL_0, "Node:\t<none>\n");
    } else {
        w.write(LEVEL_0, &format!("Node:\t{}/{}\n", pod.spec.node_name, pod.status.host_ip));
    }
    if let Some(t) = pod.status.start_time {
        w.write(LEVEL_0, &format!("Start Time:\t{}\n", t.rfc1123z()));
    }
    print_labels(w, "Labels", &m.labels);
    print_annotations(w, "Annotations", &m.annotations);
    if let Some(dt) = m.deletion_timestamp.filter(|_| !pod.status.phase.is_terminal()) {
        w.write(LEVEL_0, &format!("Status:\tTerminating (lasts {})\n", age(Some(dt), cx.now)));
        w.write(LEVEL_0, &format!("Termination Grace Period:\t{}s\n", m.deletion_grace_period_seconds.unwrap_or(0)));
    } else {
        w.write(LEVEL_0, &format!("Status:\t{}\n", pod.status.phase));
    }
    if !pod.status.reason.is_empty() {
        w.write(LEVEL_0, &format!("Reason:\t{}\n", pod.status.reason));
    }
    if !pod.status.message.is_empty() {
        w.write(LEVEL_0, &format!("Message:\t{}\n", pod.status.message));
    }
    if let Some(profile) = pod.spec.security_context.as_ref().and_then(|s| s.get("seccompProfile")) {
        let t = profile.get("type").and_then(|v| v.as_str()).unwrap_or("");
        w.write(LEVEL_0, &format!("SeccompProfile:\t{t}\n"));
        if t == "Localhost" {
            let lp = profile.get("localhostProfile").and_then(|v| v.as_str()).unwrap_or("");
            w.write(LEVEL_0, &format!("LocalhostProfile:\t{lp}\n"));
        }
    }
    w.write(LEVEL_0, &format!("IP:\t{}\n", pod.status.pod_ip));
    if pod.status.pod_ips.is_empty() {
        w.write(LEVEL_0, "IPs:\t<none>\n");
    } else {
        w.write(LEVEL_0, "IPs:\n");
        for ip in &pod.status.pod_ips {
            w.write(LEVEL_1, &format!("IP:\t{}\n", ip.ip));
        }
    }
    if let Some(c) = controlled_by(m) {
        w.write(LEVEL_0, &format!("Controlled By:\t{c}\n"));
    }
    if !pod.status.nominated_node_name.is_empty() {
        w.write(LEVEL_0, &format!("NominatedNodeName:\t{}\n", pod.status.nominated_node_name));
    }
    if !pod.spec.init_containers.is_empty() {
        describe_containers(w, "Init Containers", &pod.spec.init_containers, Some(&pod.status.init_container_statuses), Some(pod), "");
    }
    describe_containers(w, "Containers", &pod.spec.containers, Some(&pod.status.container_statuses), Some(pod), "");
    if !pod.spec.readiness_gates.is_empty() {
        w.write(LEVEL_0, "Readiness Gates:\n  Type\tStatus\n");
        for g in &pod.spec.readiness_gates {
            let ct = g.get("conditionType").and_then(|v| v.as_str()).unwrap_or("");
            let status = pod.status.conditions.iter().find(|c| c.type_.as_str() == ct).map(|c| c.status.clone()).unwrap_or_else(|| "<none>".into());
            w.write(LEVEL_1, &format!("{ct} \t{status} \n"));
        }
    }
    if !pod.status.conditions.is_empty() {
        w.write(LEVEL_0, "Conditions:\n  Type\tStatus\n");
        for c in &pod.status.conditions {
            w.write(LEVEL_1, &format!("{} \t{} \n", c.type_, c.status));
        }
    }
    describe_volumes(w, &pod.spec.volumes, "");
    let qos = if pod.status.qos_class.is_empty() { crate::engine::apiserver::admission::qos_class(&pod.spec) } else { pod.status.qos_class.clone() };
    w.write(LEVEL_0, &format!("QoS Class:\t{qos}\n"));
    print_labels(w, "Node-Selectors", &pod.spec.node_selector);
    print_tolerations(w, "", "Tolerations", &pod.spec.tolerations);
    describe_topology_spread(w, &pod.spec.topology_spread_constraints, "");
    let events = cx.events(&Object::Pod(pod.clone()));
    describe_events(w, cx, events);
}

fn describe_topology_spread(w: &mut PrefixWriter, tscs: &[Value], space: &str) {
    if tscs.is_empty() {
        return;
    }
    let key = |t: &Value| t.get("topologyKey").and_then(|v| v.as_str()).unwrap_or("").to_string();
    let mut sorted: Vec<&Value> = tscs.iter().collect();
    crate::engine::sort::sort_by_key(&mut sorted, |t| key(t));
    w.write(LEVEL_0, &format!("{space}Topology Spread Constraints:\t"));
    for (i, t) in sorted.iter().enumerate() {
        if i != 0 {
            w.write(LEVEL_0, space);
            w.write(LEVEL_0, "\t");
        }
        let when = t.get("whenUnsatisfiable").and_then(|v| v.as_str()).unwrap_or("");
        let skew = t.get("maxSkew").and_then(|v| v.as_i64()).unwrap_or(0);
        let mut s = format!("{}:{when} when max skew {skew} is exceeded", key(t));
        if let Some(sel) = t.get("labelSelector").filter(|v| !v.is_null()) {
            let sel: LabelSelector = crate::engine::decode::from_json(sel).unwrap_or_default();
            s.push_str(&format!(" for selector {}", crate::kubectl::printers::format_label_selector(Some(&sel))));
        }
        w.write(LEVEL_0, &format!("{s}\n"));
    }
}

/// describeContainers. `statuses` is None for pod templates.
pub(crate) fn describe_containers(
    w: &mut PrefixWriter,
    label: &str,
    containers: &[Container],
    statuses: Option<&[ContainerStatus]>,
    pod: Option<&Pod>,
    space: &str,
) {
    let none = if containers.is_empty() { " <none>" } else { "" };
    w.write(LEVEL_0, &format!("{space}{label}:{none}\n"));
    for c in containers {
        let status = statuses.and_then(|s| s.iter().rev().find(|st| st.name == c.name));
        let name_indent = if space.is_empty() { "" } else { " " };
        w.write(LEVEL_1, &format!("{name_indent}{}:\n", c.name));
        if let Some(s) = status {
            w.write(LEVEL_2, &format!("Container ID:\t{}\n", s.container_id));
        }
        w.write(LEVEL_2, &format!("Image:\t{}\n", c.image));
        if let Some(s) = status {
            w.write(LEVEL_2, &format!("Image ID:\t{}\n", s.image_id));
        }
        let ports = port_list(&c.ports, false);
        if ports.contains(',') {
            w.write(LEVEL_2, &format!("Ports:\t{ports}\n"));
        } else {
            w.write(LEVEL_2, &format!("Port:\t{}\n", or_none(&ports)));
        }
        let host_ports = port_list(&c.ports, true);
        if host_ports.contains(',') {
            w.write(LEVEL_2, &format!("Host Ports:\t{host_ports}\n"));
        } else {
            w.write(LEVEL_2, &format!("Host Port:\t{}\n", or_none(&host_ports)));
        }
        if let Some(profile) = c.security_context.as_ref().and_then(|s| s.get("seccompProfile")) {
            let t = profile.get("type").and_then(|v| v.as_str()).unwrap_or("");
            w.write(LEVEL_2, &format!("SeccompProfile:\t{t}\n"));
            if t == "Localhost" {
                let lp = profile.get("localhostProfile").and_then(|v| v.as_str()).unwrap_or("");
                w.write(LEVEL_3, &format!("LocalhostProfile:\t{lp}\n"));
            }
        }
        if !c.command.is_empty() {
            w.write(LEVEL_2, "Command:\n");
            for cmd in &c.command {
                for s in cmd.split('\n') {
                    w.write(LEVEL_3, &format!("{s}\n"));
                }
            }
        }
        if !c.args.is_empty() {
            w.write(LEVEL_2, "Args:\n");
            for a in &c.args {
                for s in a.split('\n') {
                    w.write(LEVEL_3, &format!("{s}\n"));
                }
            }
        }
        if let Some(s) = status {
            describe_state(w, "State", &s.state);
            if s.last_state.terminated.is_some() {
                describe_state(w, "Last State", &s.last_state);
            }
            w.write(LEVEL_2, &format!("Ready:\t{}\n", if s.ready { "True" } else { "False" }));
            w.write(LEVEL_2, &format!("Restart Count:\t{}\n", s.restart_count));
        }
        describe_resources(w, &c.resources, LEVEL_2);
        for (title, probe) in [("Liveness", &c.liveness_probe), ("Readiness", &c.readiness_probe), ("Startup", &c.startup_probe)] {
            if let Some(p) = probe {
                w.write(LEVEL_2, &format!("{title}:\t{}\n", describe_probe(p)));
            }
        }
        if !c.env_from.is_empty() {
            w.write(LEVEL_2, "Environment Variables from:\n");
            for e in &c.env_from {
                let (from, name, optional) = if let Some(r) = &e.config_map_ref {
                    ("ConfigMap", r.name.as_str(), r.optional == Some(true))
                } else if let Some(r) = &e.secret_ref {
                    ("Secret", r.name.as_str(), r.optional == Some(true))
                } else {
                    ("", "", false)
                };
                if e.prefix.is_empty() {
                    w.write(LEVEL_3, &format!("{name}\t{from}\tOptional: {optional}\n"));
                } else {
                    w.write(LEVEL_3, &format!("{name}\t{from} with prefix '{}'\tOptional: {optional}\n", e.prefix));
                }
            }
        }
        describe_env(w, c, pod);
        let none = if c.volume_mounts.is_empty() { "\t<none>" } else { "" };
        w.write(LEVEL_2, &format!("Mounts:{none}\n"));
        let mut mounts: Vec<&VolumeMount> = c.volume_mounts.iter().collect();
        crate::engine::sort::sort_by(&mut mounts, |a, b| a.mount_path.cmp(&b.mount_path));
        for vm in mounts {
            let mut flags = vec![if vm.read_only { "ro".to_string() } else { "rw".to_string() }];
            if !vm.sub_path.is_empty() {
                flags.push(format!("path={}", crate::kubectl::jsonpath::go_quote(&vm.sub_path)));
            }
            w.write(LEVEL_3, &format!("{} from {} ({})\n", vm.mount_path, vm.name, flags.join(",")));
        }
        if !c.volume_devices.is_empty() {
            w.write(LEVEL_2, &format!("Devices:{none}\n"));
            let mut devices: Vec<(String, String)> = c
                .volume_devices
                .iter()
                .map(|d| {
                    let s = |k: &str| d.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
                    (s("devicePath"), s("name"))
                })
                .collect();
            crate::engine::sort::sort(&mut devices);
            for (path, name) in devices {
                w.write(LEVEL_3, &format!("{path} from {name}\n"));
            }
        }
    }
}

/// describeContainerPorts / describeContainerHostPorts.
fn port_list(ports: &[ContainerPort], host: bool) -> String {
    ports
        .iter()
        .map(|p| {
            let n = if host { p.host_port } else { p.container_port };
            let mut s = format!("{n}/{}", p.protocol);
            if !p.name.is_empty() {
                s = format!("{s} ({})", p.name);
            }
            s
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// describeStatus.
fn describe_state(w: &mut PrefixWriter, name: &str, state: &ContainerState) {
    if let Some(r) = &state.running {
        w.write(LEVEL_2, &format!("{name}:\tRunning\n"));
        w.write(LEVEL_3, &format!("Started:\t{}\n", time_fmt(r.started_at)));
    } else if let Some(wt) = &state.waiting {
        w.write(LEVEL_2, &format!("{name}:\tWaiting\n"));
        if !wt.reason.is_empty() {
            w.write(LEVEL_3, &format!("Reason:\t{}\n", wt.reason));
        }
    } else if let Some(t) = &state.terminated {
        w.write(LEVEL_2, &format!("{name}:\tTerminated\n"));
        if !t.reason.is_empty() {
            w.write(LEVEL_3, &format!("Reason:\t{}\n", t.reason));
        }
        if !t.message.is_empty() {
            w.write(LEVEL_3, &format!("Message:\t{}\n", t.message));
        }
        w.write(LEVEL_3, &format!("Exit Code:\t{}\n", t.exit_code));
        if t.signal > 0 {
            w.write(LEVEL_3, &format!("Signal:\t{}\n", t.signal));
        }
        w.write(LEVEL_3, &format!("Started:\t{}\n", time_fmt(t.started_at)));
        w.write(LEVEL_3, &format!("Finished:\t{}\n", time_fmt(t.finished_at)));
    } else {
        w.write(LEVEL_2, &format!("{name}:\tWaiting\n"));
    }
}

/// describeResources: Limits then Requests, resource names sorted.
pub(crate) fn describe_resources(w: &mut PrefixWriter, r: &ResourceRequirements, level: usize) {
    if !r.limits.is_empty() {
        w.write(level, "Limits:\n");
    }
    for (name, q) in &r.limits {
        w.write(level + 1, &format!("{name}:\t{q}\n"));
    }
    if !r.requests.is_empty() {
        w.write(level, "Requests:\n");
    }
    for (name, q) in &r.requests {
        w.write(level + 1, &format!("{name}:\t{q}\n"));
    }
}

/// DescribeProbe.
pub(crate) fn describe_probe(p: &Probe) -> String {
    let attrs = format!(
        "delay={}s timeout={}s period={}s #success={} #failure={}",
        p.initial_delay_seconds, p.timeout_seconds, p.period_seconds, p.success_threshold, p.failure_threshold
    );
    if let Some(e) = &p.exec {
        return format!("exec {} {attrs}", go_list(&e.command));
    }
    if let Some(h) = &p.http_get {
        let port = h.port.to_string();
        let host = if port.is_empty() {
            h.host.clone()
        } else if h.host.contains(':') {
            format!("[{}]:{port}", h.host)
        } else {
            format!("{}:{port}", h.host)
        };
        let scheme = h.scheme.to_lowercase();
        let mut url = if scheme.is_empty() { String::new() } else { format!("{scheme}:") };
        if !host.is_empty() || !scheme.is_empty() {
            url.push_str(&format!("//{host}"));
        }
        if !h.path.is_empty() && !h.path.starts_with('/') && !host.is_empty() {
            url.push('/');
        }
        url.push_str(&h.path);
        return format!("http-get {url} {attrs}");
    }
    if let Some(t) = &p.tcp_socket {
        return format!("tcp-socket {}:{} {attrs}", t.host, t.port);
    }
    if let Some(g) = &p.grpc {
        let port = g.get("port").and_then(|v| v.as_i64()).unwrap_or(0);
        let service = g.get("service").and_then(|v| v.as_str()).unwrap_or("");
        return format!("grpc <pod>:{port} {service} {attrs}");
    }
    format!("unknown {attrs}")
}

/// describeContainerEnvVars, resolving fieldRefs against the pod (EnvValueRetriever).
fn describe_env(w: &mut PrefixWriter, c: &Container, pod: Option<&Pod>) {
    let none = if c.env.is_empty() { "\t<none>" } else { "" };
    w.write(LEVEL_2, &format!("Environment:{none}\n"));
    for e in &c.env {
        let Some(from) = &e.value_from else {
            let value = e.value.as_deref().unwrap_or("");
            for (i, s) in value.split('\n').enumerate() {
                if i == 0 {
                    w.write(LEVEL_3, &format!("{}:\t{s}\n", e.name));
                } else {
                    w.write(LEVEL_3, &format!("\t{s}\n"));
                }
            }
            continue;
        };
        if let Some(f) = &from.field_ref {
            let api_version = f.get("apiVersion").and_then(|v| v.as_str()).unwrap_or("");
            let path = f.get("fieldPath").and_then(|v| v.as_str()).unwrap_or("");
            let value = pod.map(|p| pod_field_path(p, path)).unwrap_or_default();
            w.write(LEVEL_3, &format!("{}:\t{value} ({api_version}:{path})\n", e.name));
        } else if let Some(r) = &from.resource_field_ref {
            let resource = r.get("resource").and_then(|v| v.as_str()).unwrap_or("");
            let divisor = r.get("divisor").and_then(|v| v.as_str()).and_then(|s| Quantity::parse(s).ok());
            let mut value = container_resource_value(c, resource, divisor).unwrap_or_default();
            if value == "0" && (resource == "limits.cpu" || resource == "limits.memory") {
                value = "node allocatable".into();
            }
            w.write(LEVEL_3, &format!("{}:\t{value} ({resource})\n", e.name));
        } else if let Some(s) = &from.secret_key_ref {
            let optional = s.optional == Some(true);
            w.write(LEVEL_3, &format!("{}:\t<set to the key '{}' in secret '{}'>\tOptional: {optional}\n", e.name, s.key, s.name));
        } else if let Some(s) = &from.config_map_key_ref {
            let optional = s.optional == Some(true);
            w.write(LEVEL_3, &format!("{}:\t<set to the key '{}' of config map '{}'>\tOptional: {optional}\n", e.name, s.key, s.name));
        }
    }
}

/// fieldpath.ExtractFieldPathAsString for the paths the downward API allows.
fn pod_field_path(p: &Pod, path: &str) -> String {
    let m = &p.metadata;
    let subscript = |prefix: &str| path.strip_prefix(prefix).and_then(|r| r.strip_prefix("['")).and_then(|r| r.strip_suffix("']")).map(String::from);
    if let Some(k) = subscript("metadata.labels") {
        return m.labels.get(&k).cloned().unwrap_or_default();
    }
    if let Some(k) = subscript("metadata.annotations") {
        return m.annotations.get(&k).cloned().unwrap_or_default();
    }
    let kv = |map: &BTreeMap<String, String>| map.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect::<Vec<_>>().join("\n");
    match path {
        "metadata.name" => m.name.clone(),
        "metadata.namespace" => m.namespace.clone(),
        "metadata.uid" => m.uid.clone(),
        "metadata.labels" => kv(&m.labels),
        "metadata.annotations" => kv(&m.annotations),
        "spec.nodeName" => p.spec.node_name.clone(),
        "spec.serviceAccountName" => p.spec.service_account_name.clone(),
        "status.hostIP" => p.status.host_ip.clone(),
        "status.hostIPs" => p.status.host_ips.iter().map(|i| i.ip.clone()).collect::<Vec<_>>().join(","),
        "status.podIP" => p.status.pod_ip.clone(),
        "status.podIPs" => p.status.pod_ips.iter().map(|i| i.ip.clone()).collect::<Vec<_>>().join(","),
        _ => String::new(),
    }
}

/// ExtractContainerResourceValue: cpu rounded up in divisor units, memory in bytes / divisor.
fn container_resource_value(c: &Container, resource: &str, divisor: Option<Quantity>) -> Option<String> {
    let divisor = divisor.filter(|d| !d.is_zero()).unwrap_or_else(|| Quantity::parse("1").expect("valid"));
    let (list, name) = resource.split_once('.')?;
    let list = match list {
        "limits" => &c.resources.limits,
        "requests" => &c.resources.requests,
        _ => return None,
    };
    let q = list.get(name).copied().unwrap_or_default();
    match name {
        "cpu" => Some(((q.milli_value() as f64) / (divisor.milli_value() as f64)).ceil().to_string()),
        "memory" | "ephemeral-storage" => Some(((q.value() as f64) / (divisor.value() as f64)).ceil().to_string()),
        _ => None,
    }
}

/// describeVolumes (pod spec and pod templates).
pub(crate) fn describe_volumes(w: &mut PrefixWriter, volumes: &[Volume], space: &str) {
    if volumes.is_empty() {
        w.write(LEVEL_0, &format!("{space}Volumes:\t<none>\n"));
        return;
    }
    w.write(LEVEL_0, &format!("{space}Volumes:\n"));
    for v in volumes {
        let name_indent = if space.is_empty() { "" } else { " " };
        w.write(LEVEL_1, &format!("{name_indent}{}:\n", v.name));
        if let Some(h) = &v.host_path {
            print_host_path(w, h);
        } else if let Some(e) = &v.empty_dir {
            let size = e.size_limit.filter(|q| q > &Quantity::default()).map(|q| q.to_string()).unwrap_or_else(|| "<unset>".into());
            w.write(
                LEVEL_2,
                &format!("Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t{}\n    SizeLimit:\t{size}\n", e.medium),
            );
        } else if let Some(s) = &v.secret {
            w.write(
                LEVEL_2,
                &format!("Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t{}\n    Optional:\t{}\n", s.secret_name, s.optional == Some(true)),
            );
        } else if let Some(c) = &v.config_map {
            w.write(
                LEVEL_2,
                &format!("Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t{}\n    Optional:\t{}\n", c.name, c.optional == Some(true)),
            );
        } else if let Some(n) = &v.nfs {
            print_nfs(w, n);
        } else if let Some(c) = &v.persistent_volume_claim {
            w.write(
                LEVEL_2,
                &format!(
                    "Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n    ClaimName:\t{}\n    ReadOnly:\t{}\n",
                    c.claim_name, c.read_only
                ),
            );
        } else if let Some(e) = &v.ephemeral {
            w.write(LEVEL_2, "Type:\tEphemeralVolume (an inline specification for a volume that gets created and deleted with the pod)\n");
            if let Some(t) = e.get("volumeClaimTemplate").filter(|t| !t.is_null()) {
                let claim = PersistentVolumeClaim {
                    metadata: t.get("metadata").and_then(crate::engine::decode::from_json).unwrap_or_default(),
                    spec: t.get("spec").and_then(crate::engine::decode::from_json).unwrap_or_default(),
                    ..Default::default()
                };
                w.nested += LEVEL_2;
                super::storage::print_pvc(w, &claim, false);
                w.nested -= LEVEL_2;
            }
        } else if let Some(d) = &v.downward_api {
            w.write(LEVEL_2, "Type:\tDownwardAPI (a volume populated by information about the pod)\n    Items:\n");
            for item in d.get("items").and_then(|i| i.as_array()).into_iter().flatten() {
                let path = item.get("path").and_then(|v| v.as_str()).unwrap_or("");
                if let Some(f) = item.get("fieldRef") {
                    w.write(LEVEL_3, &format!("{} -> {path}\n", f.get("fieldPath").and_then(|v| v.as_str()).unwrap_or("")));
                }
                if let Some(r) = item.get("resourceFieldRef") {
                    w.write(LEVEL_3, &format!("{} -> {path}\n", r.get("resource").and_then(|v| v.as_str()).unwrap_or("")));
                }
            }
        } else if let Some(p) = &v.projected {
            print_projected(w, p);
        } else if let Some(c) = &v.csi {
            let s = |k: &str| c.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
            let read_only = c.get("readOnly").and_then(|v| v.as_bool()).unwrap_or(false);
            w.write(
                LEVEL_2,
                &format!(
                    "Type:\tCSI (a Container Storage Interface (CSI) volume source)\n    Driver:\t{}\n    FSType:\t{}\n    ReadOnly:\t{read_only}\n",
                    s("driver"),
                    s("fsType")
                ),
            );
            let attrs: BTreeMap<String, String> = c
                .get("volumeAttributes")
                .and_then(|a| a.as_object())
                .map(|m| crate::engine::sort::map_from(m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))))
                .unwrap_or_default();
            super::storage::print_csi_attributes(w, &attrs);
        } else {
            w.write(LEVEL_1, "<unknown>\n");
        }
    }
}

pub(crate) fn print_host_path(w: &mut PrefixWriter, h: &HostPathVolumeSource) {
    let t = h.type_.clone().unwrap_or_else(|| "<none>".into());
    w.write(LEVEL_2, &format!("Type:\tHostPath (bare host directory volume)\n    Path:\t{}\n    HostPathType:\t{t}\n", h.path));
}

pub(crate) fn print_nfs(w: &mut PrefixWriter, n: &NfsVolumeSource) {
    w.write(
        LEVEL_2,
        &format!(
            "Type:\tNFS (an NFS mount that lasts the lifetime of a pod)\n    Server:\t{}\n    Path:\t{}\n    ReadOnly:\t{}\n",
            n.server, n.path, n.read_only
        ),
    );
}

fn print_projected(w: &mut PrefixWriter, p: &Value) {
    w.write(LEVEL_2, "Type:\tProjected (a volume that contains injected data from multiple sources)\n");
    for source in p.get("sources").and_then(|s| s.as_array()).into_iter().flatten() {
        let optional = |v: &Value| v.get("optional").and_then(|o| o.as_bool()).unwrap_or(false);
        let name = |v: &Value| v.get("name").and_then(|o| o.as_str()).unwrap_or("").to_string();
        if let Some(s) = source.get("secret") {
            w.write(LEVEL_2, &format!("SecretName:\t{}\n    Optional:\t{}\n", name(s), optional(s)));
        } else if source.get("downwardAPI").is_some() {
            w.write(LEVEL_2, "DownwardAPI:\ttrue\n");
        } else if let Some(c) = source.get("configMap") {
            w.write(LEVEL_2, &format!("ConfigMapName:\t{}\n    Optional:\t{}\n", name(c), optional(c)));
        } else if let Some(t) = source.get("serviceAccountToken") {
            let secs = t.get("expirationSeconds").and_then(|v| v.as_i64()).unwrap_or(0);
            w.write(LEVEL_2, &format!("TokenExpirationSeconds:\t{secs}\n"));
        }
    }
}

/// DescribePodTemplate (Deployments, ReplicaSets, StatefulSets).
pub(crate) fn describe_pod_template(w: &mut PrefixWriter, t: &PodTemplateSpec) {
    w.write(LEVEL_0, "Pod Template:\n");
    print_labels(w, "  Labels", &t.metadata.labels);
    if !t.metadata.annotations.is_empty() {
        print_annotations(w, "  Annotations", &t.metadata.annotations);
    }
    if !t.spec.service_account_name.is_empty() {
        w.write(LEVEL_1, &format!("Service Account:\t{}\n", t.spec.service_account_name));
    }
    if !t.spec.init_containers.is_empty() {
        describe_containers(w, "Init Containers", &t.spec.init_containers, None, None, "  ");
    }
    describe_containers(w, "Containers", &t.spec.containers, None, None, "  ");
    describe_volumes(w, &t.spec.volumes, "  ");
    describe_topology_spread(w, &t.spec.topology_spread_constraints, "  ");
    if !t.spec.priority_class_name.is_empty() {
        w.write(LEVEL_1, &format!("Priority Class Name:\t{}\n", t.spec.priority_class_name));
    }
    print_labels(w, "  Node-Selectors", &t.spec.node_selector);
    print_tolerations(w, "", "  Tolerations", &t.spec.tolerations);
}
