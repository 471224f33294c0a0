//! The page: a thin Yew layer over the engine. It sends commands to the
//! [`Cluster`] and draws its state; it never simulates anything itself.

mod map;

use crate::engine::api::{Node, StorageClass};
use crate::engine::Cluster;
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// The simulated cluster shared by the page's components.
#[derive(Clone)]
pub struct ClusterHandle(pub Rc<RefCell<Cluster>>);

impl PartialEq for ClusterHandle {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// A snapshot of what the map draws, taken from the engine's state.
#[derive(Clone, PartialEq)]
pub struct MapModel {
    pub zones: Vec<ZoneModel>,
    pub classes: Vec<ClassModel>,
}

#[derive(Clone, PartialEq)]
pub struct ZoneModel {
    pub name: String,
    pub nodes: Vec<NodeModel>,
}

#[derive(Clone, PartialEq)]
pub struct NodeModel {
    pub name: String,
    pub zone: String,
    pub ready: bool,
    pub cpu: String,
    pub memory: String,
}

#[derive(Clone, PartialEq)]
pub struct ClassModel {
    pub name: String,
    pub provisioner: String,
    pub binding_mode: String,
    pub reclaim: String,
    pub default: bool,
}

impl MapModel {
    pub fn from_cluster(c: &Cluster) -> MapModel {
        let mut zones: Vec<ZoneModel> = vec![];
        for n in c.api.store.list_t::<Node>() {
            let zone = n.metadata.label("topology.kubernetes.io/zone").unwrap_or("(no zone)").to_string();
            let ready = n.status.conditions.iter().any(|c| c.type_ == "Ready" && c.status == "True");
            let model = NodeModel {
                name: n.metadata.name.clone(),
                zone: zone.clone(),
                ready,
                cpu: n.status.capacity.get("cpu").map(|q| q.to_string()).unwrap_or_default(),
                memory: n.status.capacity.get("memory").map(|q| q.to_string()).unwrap_or_default(),
            };
            match zones.iter_mut().find(|z| z.name == zone) {
                Some(z) => z.nodes.push(model),
                None => zones.push(ZoneModel { name: zone, nodes: vec![model] }),
            }
        }
        zones.sort_by(|a, b| a.name.cmp(&b.name));
        let classes = c
            .api
            .store
            .list_t::<StorageClass>()
            .map(|s| ClassModel {
                name: s.metadata.name.clone(),
                provisioner: s.provisioner.clone(),
                binding_mode: s.binding_mode().to_string(),
                reclaim: s.reclaim().to_string(),
                default: s.is_default(),
            })
            .collect();
        MapModel { zones, classes }
    }
}

#[function_component(App)]
fn app() -> Html {
    let cluster = use_state(|| ClusterHandle(Rc::new(RefCell::new(Cluster::new(1)))));
    let model = MapModel::from_cluster(&cluster.0.borrow());
    html! {
        <div class="app">
            <header class="topbar">
                <h1><img src="favicon.svg" alt="" width="24" height="24" />{" Kubarium"}</h1>
                <p class="tagline">{"A Kubernetes cluster in your browser tab"}</p>
            </header>
            <main class="workspace">
                <map::ClusterMap model={model} />
            </main>
        </div>
    }
}

/// Mounts the page on `<body>`.
pub fn start() {
    yew::Renderer::<App>::new().render();
}
