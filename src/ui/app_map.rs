//! The cluster map: zones containing nodes, and the storage classes.

use super::{ClassModel, MapModel, NodeModel};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct MapProps {
    pub model: MapModel,
}

const NODE_W: f64 = 250.0;
const NODE_H: f64 = 150.0;
const ZONE_PAD: f64 = 16.0;
const ZONE_HEAD: f64 = 34.0;

#[function_component(ClusterMap)]
pub fn cluster_map(props: &MapProps) -> Html {
    let m = &props.model;
    let mut x = 0.0;
    let mut zones = vec![];
    let mut height: f64 = 0.0;
    for z in &m.zones {
        let w = ZONE_PAD + z.nodes.len() as f64 * (NODE_W + ZONE_PAD);
        let h = ZONE_HEAD + NODE_H + ZONE_PAD;
        height = height.max(h);
        let nodes: Html = z.nodes.iter().enumerate().map(|(i, n)| node(n, x + ZONE_PAD + i as f64 * (NODE_W + ZONE_PAD), ZONE_HEAD)).collect();
        zones.push(html! {
            <g class="zone" data-zone={z.name.clone()}>
                <rect class="zone-box" x={x.to_string()} y="0" width={w.to_string()} height={h.to_string()} rx="14" />
                <text class="zone-label" x={(x + ZONE_PAD).to_string()} y="23">{ &z.name }</text>
                { nodes }
            </g>
        });
        x += w + 20.0;
    }
    let width = (x - 20.0).max(1.0);
    html! {
        <section class="map" aria-label="Cluster map">
            <svg class="map-svg" viewBox={format!("-2 -2 {} {}", width + 4.0, height + 4.0)} role="img"
                 aria-label={format!("{} nodes in {} zones", m.zones.iter().map(|z| z.nodes.len()).sum::<usize>(), m.zones.len())}>
                { for zones }
            </svg>
            <div class="classes" aria-label="Storage classes">
                <h2>{"Storage classes"}</h2>
                <ul>{ for m.classes.iter().map(class) }</ul>
            </div>
        </section>
    }
}

fn node(n: &NodeModel, x: f64, y: f64) -> Html {
    let status = if n.ready { "Ready" } else { "NotReady" };
    html! {
        <g class={classes!("node", if n.ready { "ready" } else { "not-ready" })} data-node={n.name.clone()}
           transform={format!("translate({x} {y})")}>
            <title>{ format!("{} ({}): {}", n.name, n.zone, status) }</title>
            <rect class="node-box" width={NODE_W.to_string()} height={NODE_H.to_string()} rx="10" />
            <text class="node-name" x="14" y="26">{ &n.name }</text>
            <text class="node-status" x={(NODE_W - 14.0).to_string()} y="26" text-anchor="end">{ status }</text>
            <text class="node-meta" x="14" y="48">{ format!("topology.kubernetes.io/zone={}", n.zone) }</text>
            <text class="node-meta" x="14" y="66">{ format!("{} CPU · {} memory", n.cpu, n.memory) }</text>
            <text class="node-empty" x={(NODE_W / 2.0).to_string()} y="112" text-anchor="middle">{"no pods"}</text>
        </g>
    }
}

fn class(c: &ClassModel) -> Html {
    html! {
        <li class="class" data-class={c.name.clone()}>
            <span class="class-name">{ &c.name }{ if c.default { html!{<span class="badge">{"default"}</span>} } else { html!{} } }</span>
            <span class="class-meta">{ format!("{} · {} · reclaim {}", c.provisioner, c.binding_mode, c.reclaim) }</span>
        </li>
    }
}
