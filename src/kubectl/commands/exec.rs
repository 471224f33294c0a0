//! `kubectl exec` and `kubectl logs`, and how both pick a pod for a
//! `deploy/x` or `sts/x` target (polymorphichelpers.AttachablePodForObject,
//! LogsForObject with podutils' orderings).

use super::Ctx;
use super::resources::resolve_type;
use super::selector::LabelSel;
use super::wait::{Waited, wait_until};
use crate::engine::api::*;
use crate::engine::apiserver::{ApiError, Reason};
use crate::kubectl::args::{Flag, FlagKind, boolf, flag, strf};
use crate::kubectl::errors::CmdError;
use std::cmp::Ordering;

pub fn exec_flags() -> Vec<Flag> {
    const {
        &[
            flag("container", Some('c'), FlagKind::Str),
            boolf("stdin").with_short('i'),
            boolf("tty").with_short('t'),
            boolf("quiet").with_short('q'),
            flag("pod-running-timeout", None, FlagKind::Duration),
            flag("filename", Some('f'), FlagKind::StrSlice),
        ]
    }
    .to_vec()
}

pub fn logs_flags() -> Vec<Flag> {
    const {
        &[
            flag("container", Some('c'), FlagKind::Str),
            boolf("previous").with_short('p'),
            boolf("follow").with_short('f'),
            flag("tail", None, FlagKind::Int),
            boolf("timestamps"),
            flag("selector", Some('l'), FlagKind::Str),
            boolf("all-containers"),
            boolf("all-pods"),
            boolf("prefix"),
            strf("since"),
            strf("since-time"),
            flag("limit-bytes", None, FlagKind::Int),
            flag("pod-running-timeout", None, FlagKind::Duration),
            boolf("ignore-errors"),
            flag("max-log-requests", None, FlagKind::Int),
        ]
    }
    .to_vec()
}

fn is_ready(p: &Pod) -> bool {
    is_condition_true(&p.status.conditions, &ConditionType::Ready)
}

fn ready_time(p: &Pod) -> Option<crate::engine::time::Time> {
    p.status.conditions.iter().find(|c| c.type_ == ConditionType::Ready && c.status == ConditionStatus::True).and_then(|c| c.last_transition_time)
}

fn max_restarts(p: &Pod) -> i32 {
    p.status.container_statuses.iter().map(|c| c.restart_count).max().unwrap_or(0)
}

/// afterOrZero(t1, t2): t1 after t2, a zero time counting as after.
fn after_or_zero(a: Option<crate::engine::time::Time>, b: Option<crate::engine::time::Time>) -> bool {
    match (a, b) {
        (None, _) | (_, None) => a.is_none(),
        (Some(a), Some(b)) => a > b,
    }
}

/// podutils.ActivePods' Less (pods more likely to be deleted first).
fn active_less(a: &Pod, b: &Pod) -> bool {
    let (an, bn) = (&a.spec.node_name, &b.spec.node_name);
    if an != bn && (an.is_empty() || bn.is_empty()) {
        return an.is_empty();
    }
    let rank = |p: &Pod| match p.status.phase {
        PodPhase::Pending => 0,
        PodPhase::Unknown => 1,
        PodPhase::Running => 2,
        _ => 0,
    };
    if rank(a) != rank(b) {
        return rank(a) < rank(b);
    }
    if is_ready(a) != is_ready(b) {
        return !is_ready(a);
    }
    let (ad, bd) = (a.metadata.deletion_timestamp, b.metadata.deletion_timestamp);
    if ad.is_some() != bd.is_some() {
        return ad.is_some();
    }
    if ad.is_some() && bd.is_some() && ad != bd {
        return ad < bd;
    }
    if is_ready(a) && is_ready(b) && ready_time(a) != ready_time(b) {
        return after_or_zero(ready_time(a), ready_time(b));
    }
    if max_restarts(a) != max_restarts(b) {
        return max_restarts(a) > max_restarts(b);
    }
    if a.metadata.creation_timestamp != b.metadata.creation_timestamp {
        return after_or_zero(a.metadata.creation_timestamp, b.metadata.creation_timestamp);
    }
    false
}

/// podutils.ByLogging's Less (the pod whose logs to show first).
fn logging_less(a: &Pod, b: &Pod) -> bool {
    let (an, bn) = (&a.spec.node_name, &b.spec.node_name);
    if an != bn && (an.is_empty() || bn.is_empty()) {
        return !an.is_empty();
    }
    let rank = |p: &Pod| match p.status.phase {
        PodPhase::Running => 0,
        PodPhase::Unknown => 1,
        PodPhase::Pending => 2,
        _ => 0,
    };
    if rank(a) != rank(b) {
        return rank(a) < rank(b);
    }
    if is_ready(a) != is_ready(b) {
        return is_ready(a);
    }
    if is_ready(a) && is_ready(b) && ready_time(a) != ready_time(b) {
        return after_or_zero(ready_time(b), ready_time(a));
    }
    if max_restarts(a) != max_restarts(b) {
        return max_restarts(a) > max_restarts(b);
    }
    if a.metadata.creation_timestamp != b.metadata.creation_timestamp {
        return after_or_zero(b.metadata.creation_timestamp, a.metadata.creation_timestamp);
    }
    false
}

fn ordering(less: fn(&Pod, &Pod) -> bool, a: &Pod, b: &Pod) -> Ordering {
    if less(a, b) {
        Ordering::Less
    } else if less(b, a) {
        Ordering::Greater
    } else {
        Ordering::Equal
    }
}

/// The pod selector of an object that owns pods (SelectorsForObject).
fn selector_of(o: &Object) -> Result<LabelSel, CmdError> {
    let s = match o {
        Object::Deployment(d) => d.spec.selector.clone(),
        Object::ReplicaSet(r) => r.spec.selector.clone(),
        Object::StatefulSet(s) => s.spec.selector.clone(),
        Object::Service(s) => {
            if s.spec.selector.is_empty() {
                return Err(CmdError::msg(format!("invalid service '{}': Service is defined without a selector", s.metadata.name)));
            }
            Some(LabelSelector { match_labels: s.spec.selector.clone(), match_expressions: vec![] })
        }
        // SelectorsForObject's other kinds, stored as generic objects.
        Object::Generic(g) if g.kind == Kind::ReplicationController => {
            let m = g.field("spec").get("selector").and_then(|s| s.as_object());
            let labels = crate::engine::sort::map_from(m.into_iter().flatten().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())));
            Some(LabelSelector { match_labels: labels, match_expressions: vec![] })
        }
        Object::Generic(g) if matches!(g.kind, Kind::DaemonSet | Kind::Job) => match g.field("spec").get("selector") {
            Some(v) if !v.is_null() => crate::engine::decode::from_json(v),
            _ => return Ok(LabelSel::nothing()),
        },
        other => return Err(CmdError::msg(format!("selector for *v1.{} not implemented", other.kind().info().kind))),
    };
    Ok(LabelSel::from_label_selector(&s.unwrap_or_default()))
}

/// The pods of namespace `ns` whose labels `sel` matches, in store order.
fn matching_pods(c: &crate::engine::cluster::Cluster, ns: &str, sel: &LabelSel) -> Vec<Pod> {
    c.api.store.list_ns_t::<Pod>(ns).filter(|p| sel.matches(&p.metadata.labels)).cloned().collect()
}

/// Resolves `POD` or `TYPE/NAME` to the pods it names, waiting up to
/// `timeout` for one to exist when the target selects pods. Never empty;
/// the pod kubectl picks comes first (by logging order for logs, else the
/// most active).
fn pods_for_target(ctx: &mut Ctx, target: &str, timeout: i64, for_logs: bool) -> Result<Vec<Pod>, CmdError> {
    let (kind, name) = match target.split_once('/') {
        Some((t, n)) => (resolve_type(&ctx.api().store, t)?, n.to_string()),
        None => (Kind::Pod, target.to_string()),
    };
    let ns = ctx.ns.clone();
    let obj = ctx.api().get(kind, &ns, &name).map_err(CmdError::Api)?;
    if let Object::Pod(p) = &*obj {
        return Ok(vec![p.clone()]);
    }
    let sel = selector_of(&obj)?;
    let mut pods = matching_pods(ctx.cluster(), &ns, &sel);
    if pods.is_empty() {
        let deadline = ctx.cluster().now().0 + timeout;
        match wait_until(ctx.cluster(), deadline, |c| Ok(!matching_pods(c, &ns, &sel).is_empty()))? {
            Waited::Met => pods = matching_pods(ctx.cluster(), &ns, &sel),
            _ => return Err(CmdError::msg("timed out waiting for the condition")),
        }
    }
    if for_logs {
        crate::engine::sort::sort_by(&mut pods, |a, b| ordering(logging_less, a, b));
    } else {
        // sort.Reverse(ActivePods): the best pod first
        crate::engine::sort::sort_by(&mut pods, |a, b| ordering(active_less, b, a));
    }
    Ok(pods)
}

/// podcmd.AllContainerNames.
fn all_container_names(p: &Pod) -> String {
    let mut v: Vec<String> = p.spec.containers.iter().map(|c| c.name.clone()).collect();
    v.extend(p.spec.init_containers.iter().map(|c| format!("{} (init)", c.name)));
    v.join(", ")
}

/// The container to use: `-c`, the default-container annotation, or the first.
fn pick_container(ctx: &mut Ctx, p: &Pod, requested: Option<&str>, quiet: bool) -> Result<String, CmdError> {
    let exists = |n: &str| p.spec.containers.iter().chain(&p.spec.init_containers).any(|c| c.name == n);
    if let Some(c) = requested {
        if !exists(c) {
            return Err(CmdError::msg(format!("container {c} is not valid for pod {} out of: {}", p.metadata.name, all_container_names(p))));
        }
        return Ok(c.to_string());
    }
    if let Some(d) = p.metadata.annotation("kubectl.kubernetes.io/default-container")
        && exists(d)
    {
        return Ok(d.to_string());
    }
    let Some(first) = p.spec.containers.first() else {
        return Err(CmdError::msg(format!("pod {}/{} does not have any containers", p.metadata.namespace, p.metadata.name)));
    };
    if !quiet && (p.spec.containers.len() > 1 || !p.spec.init_containers.is_empty()) {
        ctx.print(&format!("Defaulted container {:?} out of: {}\n", first.name, all_container_names(p)));
    }
    Ok(first.name.clone())
}

pub fn run_exec(ctx: &mut Ctx) -> Result<(), CmdError> {
    let args = ctx.f.args.clone();
    let (target, command) = match ctx.f.dash_at {
        Some(0) => (None, args.clone()),
        Some(i) => (Some(args[0].clone()), args[i..].to_vec()),
        None => {
            if args.len() > 1 {
                return Err(ctx.usage_error("exec [POD] [COMMAND] is not supported anymore. Use exec [POD] -- [COMMAND] instead"));
            }
            (args.first().cloned(), vec![])
        }
    };
    let Some(target) = target else {
        return Err(CmdError::msg("pod, type/name or --filename must be specified"));
    };
    if command.is_empty() {
        return Err(CmdError::msg("you must specify at least one command for the container"));
    }
    let timeout = ctx.f.duration("pod-running-timeout").unwrap_or(60_000);
    let pod = pods_for_target(ctx, &target, timeout, false)?.remove(0);
    if pod.status.phase.is_terminal() {
        return Err(CmdError::msg(format!("cannot exec into a container in a completed pod; current phase is {}", pod.status.phase)));
    }
    let quiet = ctx.f.bool("quiet");
    let container = pick_container(ctx, &pod, ctx.f.str("container").map(|s| s.to_string()).as_deref(), quiet)?;
    if ctx.f.bool("tty") && ctx.f.bool("stdin") && !quiet {
        // standard input is never a terminal here (SetupTTY)
        ctx.print("Unable to use a TTY - input is not a terminal or the right kind of file\n");
    }
    let stdin = if ctx.f.bool("stdin") { ctx.stdin.to_string() } else { String::new() };
    let ns = pod.metadata.namespace.clone();
    let r = ctx.cluster().exec(&ns, &pod.metadata.name, &container, &command, &stdin);
    ctx.print(&r.output);
    if r.exit_code != 0 {
        let note = format!("command terminated with exit code {}\n", r.exit_code);
        let already = r.output.ends_with(&note);
        let connection_error = r.output.starts_with("error: ") || r.output.starts_with("Error from server");
        if !already && !connection_error {
            ctx.print(&note);
        }
        return Err(CmdError::Exit(r.exit_code));
    }
    Ok(())
}

pub fn run_logs(ctx: &mut Ctx) -> Result<(), CmdError> {
    if ctx.f.bool("follow") {
        return Err(CmdError::msg("following logs (-f) is not simulated by Kubarium: let time pass with `cluster advance`, then run `kubectl logs` again"));
    }
    let args = ctx.f.args.clone();
    let selector = ctx.f.str("selector").map(|s| s.to_string());
    let mut container = ctx.f.str("container").map(|s| s.to_string());
    let target = match args.as_slice() {
        [] if selector.is_some() => None,
        [] => return Err(ctx.usage_error("expected POD or TYPE/NAME is a required argument for the logs command")),
        [_] if selector.is_some() => return Err(ctx.usage_error("only a selector (-l) or a POD name is allowed")),
        [t] => Some(t.clone()),
        [t, c] => {
            if container.is_some() {
                return Err(CmdError::msg("only one of -c or an inline [CONTAINER] arg is allowed"));
            }
            container = Some(c.clone());
            Some(t.clone())
        }
        _ => return Err(ctx.usage_error("expected POD or TYPE/NAME is a required argument for the logs command")),
    };
    let mut tail = ctx.f.int("tail");
    if let Some(t) = tail
        && t < -1
    {
        return Err(CmdError::msg("--tail must be greater than or equal to -1"));
    }
    let all_pods = ctx.f.bool("all-pods");
    let opts = LogOpts { previous: ctx.f.bool("previous"), prefix: ctx.f.bool("prefix") || all_pods, all_containers: ctx.f.bool("all-containers"), tail };
    if opts.all_containers
        && let Some(c) = &container
    {
        return Err(CmdError::msg(format!("--all-containers=true should not be specified with container name {c}")));
    }
    let Some(target) = target else {
        // `-l`: every pod the selector matches, the last 10 lines of each
        // unless --tail says otherwise (logs.go's selectorTail).
        let sel = super::selector::parse_label_selector(selector.as_deref().unwrap_or_default()).map_err(CmdError::msg)?;
        let ns = ctx.ns.clone();
        let pods = matching_pods(ctx.cluster(), &ns, &sel);
        if pods.is_empty() {
            ctx.print(&format!("No resources found in {ns} namespace.\n"));
            return Ok(());
        }
        if !ctx.f.changed("tail") {
            tail = Some(10);
        }
        let opts = LogOpts { tail, ..opts };
        for pod in &pods {
            pod_logs(ctx, pod, container.as_deref(), all_pods, &opts)?;
        }
        return Ok(());
    };
    let timeout = ctx.f.duration("pod-running-timeout").unwrap_or(20_000);
    let pods = pods_for_target(ctx, &target, timeout, true)?;
    if pods.len() > 1 && all_pods {
        // --all-pods: every pod the object selects, each line prefixed.
        for pod in &pods {
            pod_logs(ctx, pod, container.as_deref(), true, &opts)?;
        }
        return Ok(());
    }
    let pod = &pods[0];
    if pods.len() > 1 {
        ctx.print(&format!("Found {} pods, using pod/{}\n", pods.len(), pod.metadata.name));
    }
    pod_logs(ctx, pod, container.as_deref(), false, &opts)
}

/// What `kubectl logs` prints of each container.
struct LogOpts {
    previous: bool,
    prefix: bool,
    all_containers: bool,
    tail: Option<i64>,
}

/// The logs of one pod: its default (or named) container, or all of them.
/// `quiet`: no "Defaulted container" note (several pods at once).
fn pod_logs(ctx: &mut Ctx, pod: &Pod, container: Option<&str>, quiet: bool, o: &LogOpts) -> Result<(), CmdError> {
    let containers: Vec<String> = if o.all_containers {
        pod.spec.init_containers.iter().chain(&pod.spec.containers).map(|c| c.name.clone()).collect()
    } else {
        vec![pick_container(ctx, pod, container, quiet)?]
    };
    for c in containers {
        let text = container_log(ctx, pod, &c, o.previous)?;
        let mut lines: Vec<&str> = text.lines().collect();
        if let Some(t) = o.tail
            && t >= 0
            && (t as usize) < lines.len()
        {
            lines = lines.split_off(lines.len() - t as usize);
        }
        for l in lines {
            if o.prefix {
                ctx.print(&format!("[pod/{}/{}] ", pod.metadata.name, c));
            }
            ctx.println(l);
        }
    }
    Ok(())
}

/// What the kubelet serves for a container's log (validateContainerLogStatus).
fn container_log(ctx: &Ctx, pod: &Pod, container: &str, previous: bool) -> Result<String, CmdError> {
    let bad = |m: String| CmdError::Api(ApiError::new(Reason::BadRequest, m));
    let (pn, cn) = (&pod.metadata.name, container);
    if pod.spec.node_name.is_empty() {
        // the API server has no node to ask: empty logs
        return Ok(String::new());
    }
    let status = pod.status.container_statuses.iter().chain(&pod.status.init_container_statuses).find(|s| s.name == container);
    let Some(st) = status else {
        return Err(bad(format!("container {cn:?} in pod {pn:?} is not available")));
    };
    let instance = if previous {
        if st.last_state.terminated.is_none() {
            return Err(bad(format!("previous terminated container {cn:?} in pod {pn:?} not found")));
        }
        st.restart_count - 1
    } else if st.state.running.is_some() || st.state.terminated.is_some() {
        st.restart_count
    } else if st.last_state.terminated.is_some() {
        st.restart_count - 1
    } else if let Some(w) = &st.state.waiting {
        return Err(bad(match w.reason.as_str() {
            "ErrImagePull" => format!("container {cn:?} in pod {pn:?} is waiting to start: image can't be pulled"),
            "ImagePullBackOff" => format!("container {cn:?} in pod {pn:?} is waiting to start: trying and failing to pull image"),
            "" => format!("container {cn:?} in pod {pn:?} is waiting to start - no logs yet"),
            r => format!("container {cn:?} in pod {pn:?} is waiting to start: {r}"),
        }));
    } else {
        return Err(bad(format!("container {cn:?} in pod {pn:?} is waiting to start - no logs yet")));
    };
    let key = (pod.metadata.uid.clone(), container.to_string(), instance.max(0) as u32);
    Ok(ctx.session.cluster.world.logs.get(&key).cloned().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::time::Time;

    fn pod(name: &str, node: &str, phase: &str, ready: bool, created: i64) -> Pod {
        let mut p = Pod::default();
        p.metadata.name = name.into();
        p.metadata.creation_timestamp = Some(Time(created));
        p.spec.node_name = node.into();
        p.status.phase = phase.into();
        if ready {
            p.status.conditions.push(PodCondition {
                type_: ConditionType::Ready,
                status: ConditionStatus::True,
                last_transition_time: Some(Time(created + 5)),
                ..Default::default()
            });
        }
        p
    }

    #[test]
    fn exec_prefers_running_ready_pods_and_logs_too() {
        let mut v = vec![pod("pending", "", "Pending", false, 3), pod("old", "n", "Running", true, 1), pod("new", "n", "Running", true, 2)];
        crate::engine::sort::sort_by(&mut v, |a, b| ordering(active_less, b, a));
        assert_eq!(v[0].metadata.name, "old");
        crate::engine::sort::sort_by(&mut v, |a, b| ordering(logging_less, a, b));
        assert_eq!(v[0].metadata.name, "old");
        let mut deleting = pod("deleting", "n", "Running", true, 0);
        deleting.metadata.deletion_timestamp = Some(Time(10));
        let mut v = vec![deleting, pod("fresh", "n", "Running", true, 5)];
        crate::engine::sort::sort_by(&mut v, |a, b| ordering(active_less, b, a));
        assert_eq!(v[0].metadata.name, "fresh");
    }
}
