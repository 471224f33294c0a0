//! The clusterrole-aggregation controller (pkg/controller/clusterroleaggregation):
//! a ClusterRole with an `aggregationRule` gets the rules of every
//! ClusterRole its selectors match (by name, each rule once), which is how
//! `admin`, `edit` and `view` get theirs and how a ClusterRole labelled
//! `rbac.authorization.k8s.io/aggregate-to-view: "true"` extends them.
//!
//! Any ClusterRole change queues one key, and its sync recomputes every
//! aggregated role in name order (upstream queues each aggregated role; a
//! role aggregated into another, `edit` into `admin`, settles on the next
//! round either way).

use super::{Controller, Ctl, Cx, WorkQueue};
use crate::engine::api::*;
use crate::engine::apiserver::Api;
use crate::engine::store::Change;
use serde_json::Value;

#[derive(Clone, Default)]
pub struct ClusterRoleAggregation;

fn selector(v: &Value) -> LabelSelector {
    crate::engine::decode::from_json(v).unwrap_or_default()
}

/// `syncClusterRole`: the rules the role's selectors gather.
fn aggregate(api: &Api, role: &Generic) -> Vec<Value> {
    let mut rules: Vec<Value> = vec![];
    for sel in role.field("aggregationRule")["clusterRoleSelectors"].as_array().into_iter().flatten() {
        let sel = selector(sel);
        for o in api.store.list(Kind::ClusterRole) {
            let Object::Generic(other) = &**o else { continue };
            if other.metadata.name == role.metadata.name || !sel.matches(&other.metadata.labels) {
                continue;
            }
            for rule in other.field("rules").as_array().into_iter().flatten() {
                if !rules.contains(rule) {
                    rules.push(rule.clone());
                }
            }
        }
    }
    rules
}

impl Controller for ClusterRoleAggregation {
    fn id(&self) -> Ctl {
        Ctl::ClusterRoleAggregation
    }

    fn watch(&mut self, ch: &Change, _api: &Api, q: &mut WorkQueue) {
        if ch.kind == Kind::ClusterRole {
            q.add(ObjRef::new(Kind::ClusterRole, "", ""));
        }
    }

    fn sync(&mut self, _key: &ObjRef, cx: &mut Cx) {
        let aggregated: Vec<Generic> = cx
            .api
            .store
            .list(Kind::ClusterRole)
            .filter_map(|o| match &**o {
                Object::Generic(g) if !g.field("aggregationRule").is_null() => Some(g.clone()),
                _ => None,
            })
            .collect();
        for mut role in aggregated {
            let rules = aggregate(cx.api, &role);
            let empty = rules.is_empty();
            let rules = Value::Array(rules);
            // equality.Semantic: a nil list is an empty one
            if *role.field("rules") == rules || (empty && role.field("rules").is_null()) {
                continue;
            }
            role.body.insert("rules".into(), rules);
            // a conflict or a deleted role: the next change queues it again
            let _ = cx.api.update(Object::Generic(role));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::api::*;
    use crate::engine::cluster::Cluster;

    fn rules(c: &Cluster, name: &str) -> serde_json::Value {
        match &**c.api.store.get(Kind::ClusterRole, &ObjKey::cluster(name)).unwrap() {
            Object::Generic(g) => g.field("rules").clone(),
            _ => unreachable!(),
        }
    }

    #[test]
    fn admin_edit_and_view_gather_their_aggregated_roles() {
        let mut c = Cluster::new(1);
        c.settle();
        let view = rules(&c, "view");
        assert_eq!(view, rules(&c, "system:aggregate-to-view"), "view is exactly what is aggregated to it");
        let edit = rules(&c, "edit").as_array().unwrap().clone();
        let admin = rules(&c, "admin").as_array().unwrap().clone();
        for r in view.as_array().unwrap() {
            assert!(edit.contains(r), "edit includes view (labelled aggregate-to-edit)");
            assert!(admin.contains(r), "admin includes edit, so view");
        }
        assert!(admin.len() > edit.len());
    }
}
