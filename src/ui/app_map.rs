//! The cluster map in SVG: zones containing nodes, pods inside their node
//! (keyed by uid so a recreated pod is a new element that fades in at its
//! place), disks pinned to the node, zone or shared strip where their bytes
//! live, lines from pods to the claims they mount and from disks to the
//! nodes they are attached to, and the waiting area for Pending pods and
//! unbound claims. Positions are CSS transforms, so moves animate.

use crate::engine::api::Kind;
use crate::ui::model::{DiskModel, Home, LayerKind, Layout, MapModel, NODE_HEAD, NodeModel, NodeState, PodLook, PodModel, Rect, count_looks};
use crate::ui::state::Selection;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, Clone)]
pub struct MapProps {
    pub model: Rc<MapModel>,
    pub layout: Rc<Layout>,
    pub selected: Option<Selection>,
    pub on_select: Callback<Selection>,
}

impl PartialEq for MapProps {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.model, &o.model) && Rc::ptr_eq(&self.layout, &o.layout) && self.selected == o.selected
    }
}

fn tr(r: &Rect) -> String {
    format!("transform: translate({}px, {}px)", r.x, r.y)
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let t: String = s.chars().take(n.saturating_sub(1)).collect();
        format!("{t}…")
    }
}

/// A pod name that fits its box: the start and the end, where a
/// ReplicaSet's random suffix makes each Deployment pod visibly new.
fn short_name(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    if chars.len() <= 17 {
        return name.to_string();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 12..].iter().collect();
    format!("{head}…{tail}")
}

fn is_sel(sel: &Option<Selection>, kind: Kind, ns: &str, name: &str) -> bool {
    sel.as_ref().is_some_and(|s| s.kind == kind && s.name == name && (s.namespace == ns || !kind.namespaced()))
}

/// Keyboard activation (Enter/Space) for SVG elements with role=button.
fn keyed(cb: Callback<()>) -> Callback<KeyboardEvent> {
    Callback::from(move |e: KeyboardEvent| {
        if e.key() == "Enter" || e.key() == " " {
            e.prevent_default();
            cb.emit(());
        }
    })
}

#[function_component(ClusterMap)]
pub fn cluster_map(props: &MapProps) -> Html {
    let m = &props.model;
    let l = &props.layout;
    let sel = &props.selected;
    let pick = |kind: Kind, ns: &str, name: &str| {
        let cb = props.on_select.clone();
        let s = Selection { kind, namespace: ns.to_string(), name: name.to_string() };
        Callback::from(move |_: ()| cb.emit(s.clone()))
    };
    let zones = m.zones.iter().map(|z| {
        let r = l.zones.iter().find(|(n, _)| *n == z.name).map(|(_, r)| *r).unwrap_or_default();
        html! {
            <g class="zone" key={format!("zone-{}", z.name)} data-zone={z.name.clone()}>
                <rect class="zone-box" x={r.x.to_string()} y={r.y.to_string()} width={r.w.to_string()} height={r.h.to_string()} rx="14" />
                <text class="zone-label" x={(r.x + 12.0).to_string()} y={(r.y + 21.0).to_string()}>{ &z.name }</text>
            </g>
        }
    });
    let nodes = m.zones.iter().flat_map(|z| &z.nodes).map(|n| {
        let r = l.nodes.iter().find(|(x, _)| *x == n.name).map(|(_, r)| *r).unwrap_or_default();
        let on = pick(Kind::Node, "", &n.name);
        node(n, &r, is_sel(sel, Kind::Node, "", &n.name), l.aggregate, on)
    });
    let links = l.links.iter().map(|(uid, key, a, b)| {
        html! { <line key={format!("{uid}>{key}")} class="link" x1={a.cx().to_string()} y1={(a.y + a.h).to_string()} x2={b.cx().to_string()} y2={b.y.to_string()} /> }
    });
    // requests in flight: a dashed line from each looping client to the pods that answer it
    let flows = m.flows.iter().filter_map(|(from, to)| {
        let (a, b) = (l.pod(from)?, l.pod(to)?);
        Some(html! { <line key={format!("flow-{from}>{to}")} class="flow" x1={a.cx().to_string()} y1={a.cy().to_string()} x2={b.cx().to_string()} y2={b.cy().to_string()} /> })
    });
    let all_disks: Vec<&DiskModel> =
        m.zones.iter().flat_map(|z| z.nodes.iter().flat_map(|n| &n.disks).chain(&z.disks)).chain(&m.unbound).chain(&m.shared).collect();
    let attach_links = m.zones.iter().flat_map(|z| &z.nodes).flat_map(|n| {
        let nr = l.nodes.iter().find(|(x, _)| *x == n.name).map(|(_, r)| *r).unwrap_or_default();
        let disks = &all_disks;
        n.attached.iter().filter_map(move |pv| {
            let d = disks.iter().find(|d| d.volume.as_deref() == Some(pv.as_str()))?;
            let dr = l.disk(&d.key)?;
            Some(html! { <line key={format!("att-{}-{pv}", n.name)} class="attach" x1={dr.cx().to_string()} y1={dr.y.to_string()} x2={nr.cx().to_string()} y2={(nr.y + nr.h).to_string()} ><title>{ format!("{pv} attached to {}", n.name) }</title></line> })
        })
    });
    // The layout has the pods' boxes in this order (none when aggregated).
    let pods = m.zones.iter().flat_map(|z| &z.nodes).flat_map(|n| &n.pods).chain(&m.pending).zip(&l.pods).map(|(p, (_, r))| {
        let selected = is_sel(sel, Kind::Pod, &p.namespace, &p.name);
        html! { <PodBox key={p.uid.clone()} pod={p.clone()} r={*r} compact={l.compact} selected={selected} on_select={props.on_select.clone()} /> }
    });
    let disks = all_disks.iter().filter_map(|d| {
        let r = l.disk(&d.key)?;
        let (kind, ns, name) = match &d.claim {
            Some(c) => (Kind::PersistentVolumeClaim, d.namespace.as_str(), c.as_str()),
            None => (Kind::PersistentVolume, "", d.volume.as_deref().unwrap_or("")),
        };
        Some(disk(d, &r, is_sel(sel, kind, ns, name), pick(kind, ns, name)))
    });
    let w = l.waiting;
    let s = l.shared;
    html! {
        <svg class="map-svg" viewBox={format!("-4 -4 {} {}", l.width + 8.0, l.height + 8.0)} role="group"
             aria-label={format!("Cluster map: {} nodes in {} zones, {} pods", m.zones.iter().map(|z| z.nodes.len()).sum::<usize>(), m.zones.len(), m.pod_count())}>
            <defs>
                <pattern id="hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
                    <rect class="hatch-bg" width="8" height="8" />
                    <line class="hatch-line" x1="0" y1="0" x2="0" y2="8" />
                </pattern>
            </defs>
            { for zones }
            { for nodes }
            <g class="area waiting-area">
                <rect class="area-box" x={w.x.to_string()} y={w.y.to_string()} width={w.w.to_string()} height={w.h.to_string()} rx="12" />
                <text class="area-label" x={(w.x + 12.0).to_string()} y={(w.y + 21.0).to_string()}>{ l.waiting_label }</text>
                if l.aggregate && !m.pending.is_empty() { { counts(&m.pending, w.x + 12.0, w.y + 30.0, (w.w - 24.0).min(300.0)) } }
            </g>
            <g class="area shared-area">
                <rect class="area-box" x={s.x.to_string()} y={s.y.to_string()} width={s.w.to_string()} height={s.h.to_string()} rx="12" />
                <text class="area-label" x={(s.x + 12.0).to_string()} y={(s.y + 21.0).to_string()}>{ l.shared_label }</text>
            </g>
            { for links }
            { for flows }
            { for attach_links }
            { for disks }
            { for pods }
        </svg>
    }
}

fn node(n: &NodeModel, r: &Rect, selected: bool, aggregate: bool, on: Callback<()>) -> Html {
    // kubectl's word for the state (Ready / NotReady, SchedulingDisabled);
    // powered off is the reason, not another state.
    let cls = if n.stopped {
        "stopped"
    } else {
        match n.state {
            NodeState::Ready => "ready",
            NodeState::NotReady => "not-ready",
            NodeState::Unknown => "unknown",
        }
    };
    let taints = match n.taints.len() {
        0 => String::new(),
        1 => format!("taint {}", clip(n.taints[0].trim_start_matches("node.kubernetes.io/"), 22)),
        k => format!("taints {} +{}", clip(n.taints[0].trim_start_matches("node.kubernetes.io/"), 16), k - 1),
    };
    let line3 = if n.reason.is_empty() { format!("{} · {} CPU · {}", n.zone, n.cpu, n.memory) } else { clip(&n.reason, 30) };
    let click = on.clone();
    let label = format!("node {} in {}: {}{}", n.name, n.zone, n.status, if n.reason.is_empty() { String::new() } else { format!(" ({})", n.reason) });
    html! {
        <g key={format!("node-{}", n.name)} class={classes!("node", cls, n.cordoned.then_some("cordoned"), selected.then_some("selected"))} data-node={n.name.clone()}
           data-status={n.status.clone()} style={tr(r)} tabindex="0" role="button" aria-label={label.clone()}
           onclick={Callback::from(move |_: MouseEvent| click.emit(()))} onkeydown={keyed(on)}>
            <title>{ label }</title>
            <rect class="node-box" width={r.w.to_string()} height={r.h.to_string()} rx="10" />
            <text class="node-name" x="10" y="21">{ &n.name }</text>
            <text class="node-status" x="10" y="38" key={n.status.clone()}>{ clip(&n.status, 28) }</text>
            <text class={classes!("node-meta", (!n.reason.is_empty()).then_some("node-reason"))} x="10" y="53">{ line3 }</text>
            if !taints.is_empty() { <text class="node-taints" x="10" y="65">{ taints }</text> }
            if n.pods.is_empty() { <text class="node-empty" x={(r.w / 2.0).to_string()} y="96" text-anchor="middle">{"no pods"}</text> }
            else if aggregate { { counts(&n.pods, 10.0, NODE_HEAD, r.w - 20.0) } }
        </g>
    }
}

fn pod_class(p: &PodModel) -> &'static str {
    p.look().class()
}

/// A node's (or the waiting area's) pods as counts: a bar split by state
/// and the numbers, when there are too many pods to draw one by one.
fn counts(pods: &[Rc<PodModel>], x: f64, y: f64, w: f64) -> Html {
    let n = count_looks(pods.iter().map(|p| &**p));
    let total: usize = n.iter().sum();
    let mut at = 0.0;
    let bars = PodLook::ALL.iter().zip(n).filter(|(_, k)| *k > 0).map(|(look, k)| {
        let width = w * k as f64 / total.max(1) as f64;
        let r = html! { <rect class={classes!("count-bar", look.class())} x={(x + at).to_string()} y={y.to_string()} width={width.to_string()} height="12" /> };
        at += width;
        r
    });
    let text: Vec<String> = PodLook::ALL.iter().zip(n).filter(|(_, k)| *k > 0).map(|(look, k)| format!("{k} {}", look.label())).collect();
    let (line1, line2) = match text.len() {
        0..=2 => (text.join(" · "), String::new()),
        _ => (text[..2].join(" · "), text[2..].join(" · ")),
    };
    html! {
        <g class="pod-counts" data-pods={total.to_string()}>
            <rect class="count-rail" x={x.to_string()} y={y.to_string()} width={w.to_string()} height="12" rx="3" />
            { for bars }
            <text class="count-text" x={x.to_string()} y={(y + 27.0).to_string()}>{ format!("{total} pods: {line1}") }</text>
            if !line2.is_empty() { <text class="count-text" x={x.to_string()} y={(y + 40.0).to_string()}>{ line2 }</text> }
        </g>
    }
}

#[derive(Properties)]
struct PodProps {
    pod: Rc<PodModel>,
    r: Rect,
    compact: bool,
    selected: bool,
    on_select: Callback<Selection>,
}

/// The callback is left out: it is always the map's `on_select` (the same
/// message to the same page), and a new closure every render would redraw
/// every pod. With it out, a pod whose model, box and selection did not
/// change is not redrawn: at 1,000 pods a frame touches only the few that
/// moved on.
impl PartialEq for PodProps {
    fn eq(&self, o: &Self) -> bool {
        self.pod == o.pod && self.r == o.r && self.compact == o.compact && self.selected == o.selected
    }
}

#[function_component(PodBox)]
fn pod_box(props: &PodProps) -> Html {
    let p = &props.pod;
    let cb = props.on_select.clone();
    let s = Selection { kind: Kind::Pod, namespace: p.namespace.clone(), name: p.name.clone() };
    pod(p, &props.r, props.compact, props.selected, Callback::from(move |_: ()| cb.emit(s.clone())))
}

fn pod(p: &PodModel, r: &Rect, compact: bool, selected: bool, on: Callback<()>) -> Html {
    let label = format!("pod {} {} ready {} restarts {}", p.name, p.status, p.ready, p.restarts);
    let click = on.clone();
    let cls = classes!("pod", pod_class(p), format!("owner-{}", p.color), selected.then_some("selected"));
    if compact {
        return html! {
            <g key={p.uid.clone()} class={cls} data-pod={p.name.clone()} style={tr(r)} tabindex="0" role="button" aria-label={label}
               onclick={Callback::from(move |_: MouseEvent| click.emit(()))} onkeydown={keyed(on)}>
                <title>{ format!("{}: {} ({})", p.name, p.status, p.ready) }</title>
                <rect class="pod-box" width={r.w.to_string()} height={r.h.to_string()} rx="4" />
            </g>
        };
    }
    let detail = if !p.waiting.is_empty() && p.look() == PodLook::Pending {
        clip(&p.waiting, 24)
    } else {
        let mut restarts = if p.restarts > 0 { format!(" ↻{}", p.restarts) } else { String::new() };
        if let Some((used, _)) = p.cpu {
            restarts.push_str(&format!(" · {used}m"));
        }
        let room = 24usize.saturating_sub(p.ready.len() + 1 + restarts.chars().count());
        format!("{} {}{restarts}", clip(&p.status, room), p.ready)
    };
    // the CPU meter: a full bar is twice the request (an HPA's usual target is half of it)
    let meter = p.cpu.map(|(used, req)| {
        let rail = r.w - 14.0;
        let of = if req > 0 { 2 * req } else { 1000 };
        let w = rail * (used as f64 / of as f64).min(1.0);
        let hot = req > 0 && used > req;
        html! {
            <g class={classes!("pod-cpu", hot.then_some("hot"))}>
                <rect class="cpu-rail" x="8" y={(r.h - 6.0).to_string()} width={rail.to_string()} height="3" rx="1.5" />
                <rect class="cpu-fill" x="8" y={(r.h - 6.0).to_string()} width={w.to_string()} height="3" rx="1.5" />
            </g>
        }
    });
    let own = p.own_data();
    html! {
        <g key={p.uid.clone()} class={cls} data-pod={p.name.clone()} data-status={p.status.clone()} data-own={own.clone().unwrap_or_default()} style={tr(r)} tabindex="0" role="button" aria-label={label}
           onclick={Callback::from(move |_: MouseEvent| click.emit(()))} onkeydown={keyed(on)}>
            <title>{ format!("{} ({}): {} {} restarts {}{}{}{}", p.name, if p.owner.is_empty() { "no owner" } else { &p.owner }, p.status, p.ready, p.restarts,
                if p.waiting.is_empty() { String::new() } else { format!("\n{}", p.waiting) },
                p.cpu.map(|(u, r)| match (u * 100).checked_div(r) {
                    Some(pct) => format!("\nCPU {u}m: {pct}% of its {r}m request"),
                    None => format!("\nCPU {u}m"),
                }).unwrap_or_default(),
                p.layers.iter().map(|l| format!("\n{} {}: {}", if l.kind == LayerKind::Container { "container layer" } else { "emptyDir" }, l.name, l.data)).collect::<String>()) }</title>
            <rect class="pod-box" width={r.w.to_string()} height={r.h.to_string()} rx="8" />
            <rect class="pod-owner" width="5" height={r.h.to_string()} rx="2" />
            <text class="pod-name" x="11" y="18">{ short_name(&p.name) }</text>
            <text class="pod-detail" x="11" y="35" key={detail.clone()}>{ detail.clone() }</text>
            { for meter }
            if let Some(own) = own {
                <g class="pod-own" key={own.clone()}>
                    <rect class="own-box" x="8" y="41" width={(r.w - 14.0).to_string()} height="13" rx="3" />
                    <text class="own-data" x="12" y="51">{ clip(&own.replace("postgres: ", "pg: "), 27) }</text>
                </g>
            }
        </g>
    }
}

fn disk(d: &DiskModel, r: &Rect, selected: bool, on: Callback<()>) -> Html {
    let name = d.claim.clone().or_else(|| d.volume.clone()).unwrap_or_default();
    let phase_cls = match d.phase.as_str() {
        "Bound" => "bound",
        "Pending" => "pending",
        "Available" => "available",
        "Released" => "released",
        "Terminating" => "terminating",
        _ => "failed",
    };
    let home = match &d.home {
        Home::Node(n) => format!("on {n}"),
        Home::Zone(z) => format!("in {z}"),
        Home::Everywhere => "shared".into(),
        Home::Nowhere => "no volume".into(),
    };
    let click = on.clone();
    html! {
        <g key={d.key.clone()} class={classes!("disk", phase_cls, selected.then_some("selected"))} data-disk={name.clone()} data-data={d.data.clone()} style={tr(r)}
           tabindex="0" role="button" aria-label={format!("{} {} {} {}", if d.claim.is_some() { "claim" } else { "volume" }, name, d.phase, d.data)}
           onclick={Callback::from(move |_: MouseEvent| click.emit(()))} onkeydown={keyed(on)}>
            <title>{ format!("{}{}\n{} · {} · {} · class {:?} · {}\ndata: {}", if d.claim.is_some() { "PVC " } else { "PV " }, name, d.phase, d.capacity, d.access, d.class, home, d.data) }</title>
            <rect class="disk-box" width={r.w.to_string()} height={r.h.to_string()} rx="12" />
            <ellipse class="disk-top" cx={(r.w / 2.0).to_string()} cy="6" rx={(r.w / 2.0 - 2.0).to_string()} ry="5" />
            <text class="disk-name" x="8" y="23">{ clip(&name, 21) }</text>
            <text class="disk-detail" x="8" y="35">{ format!("{} · {}", d.phase, d.capacity) }</text>
            <text class="disk-data" x="8" y="46" key={d.data.clone()}>{ clip(&d.data.replace("postgres: ", "pg: "), 26) }</text>
        </g>
    }
}
