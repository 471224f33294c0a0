//! Compare: the same PostgreSQL as a Deployment (one claim shared by every
//! replica) and as a StatefulSet (one claim per replica), on two identical
//! clusters driven by the same actions, side by side. The core lesson of
//! the first tutorial: identity and data follow the StatefulSet's pods, not
//! the Deployment's.

use crate::engine::api::{Pod, PodPhase};
use crate::ui::state::{Page, clock, data_commands};

pub const DEPLOYMENT: &str = "apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: pg-data
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: local-path
  resources:
    requests:
      storage: 1Gi
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: pg
spec:
  replicas: 1
  selector:
    matchLabels:
      app: pg
  template:
    metadata:
      labels:
        app: pg
    spec:
      containers:
      - name: postgres
        image: postgres:16
        env:
        - name: POSTGRES_PASSWORD
          value: secret
        volumeMounts:
        - name: data
          mountPath: /var/lib/postgresql/data
      volumes:
      - name: data
        persistentVolumeClaim:
          claimName: pg-data
";

pub const STATEFULSET: &str = "apiVersion: v1
kind: Service
metadata:
  name: pg
spec:
  clusterIP: None
  selector:
    app: pg
  ports:
  - port: 5432
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: pg
spec:
  serviceName: pg
  replicas: 1
  selector:
    matchLabels:
      app: pg
  template:
    metadata:
      labels:
        app: pg
    spec:
      containers:
      - name: postgres
        image: postgres:16
        env:
        - name: POSTGRES_PASSWORD
          value: secret
        volumeMounts:
        - name: data
          mountPath: /var/lib/postgresql/data
  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      accessModes: [ReadWriteOnce]
      storageClassName: local-path
      resources:
        requests:
          storage: 1Gi
";

/// What the buttons do, on both sides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Scale(i32),
    /// Insert a row through the first pod (by name).
    Write,
    /// Count the rows through every running pod.
    Read,
    /// Delete the first pod (by name).
    DeletePod,
    /// Power off the node the first pod runs on.
    StopNode,
    /// Power every node back on.
    StartNodes,
}

impl Action {
    pub fn label(self) -> String {
        match self {
            Action::Scale(n) => format!("Scale to {n}"),
            Action::Write => "Write a row".into(),
            Action::Read => "Count rows in every pod".into(),
            Action::DeletePod => "Delete the first pod".into(),
            Action::StopNode => "Stop the first pod's node".into(),
            Action::StartNodes => "Start all nodes".into(),
        }
    }
}

pub struct Compare {
    pub deployment: Page,
    pub statefulset: Page,
}

fn first_pod(p: &Page) -> Option<Pod> {
    let mut pods: Vec<&Pod> = p.cluster().api.store.list_ns_t::<Pod>("default").filter(|x| !x.metadata.is_deleting()).collect();
    crate::engine::sort::sort_by(&mut pods, |a, b| (a.spec.node_name.is_empty(), &a.metadata.name).cmp(&(b.spec.node_name.is_empty(), &b.metadata.name)));
    pods.first().map(|p| (*p).clone())
}

fn commands(p: &Page, kind: &str, a: Action) -> Vec<String> {
    let stamp = clock(p.elapsed());
    match a {
        Action::Scale(n) => vec![format!("kubectl scale {kind} pg --replicas={n}")],
        Action::Write => first_pod(p).and_then(|x| data_commands(p.cluster(), "default", &x.metadata.name, &stamp)).map(|(w, _)| vec![w]).unwrap_or_default(),
        Action::Read => {
            let mut names: Vec<String> = p
                .cluster()
                .api
                .store
                .list_ns_t::<Pod>("default")
                .filter(|x| x.status.phase == PodPhase::Running && !x.metadata.is_deleting())
                .map(|x| x.metadata.name.clone())
                .collect();
            crate::engine::sort::sort(&mut names);
            names.iter().filter_map(|n| data_commands(p.cluster(), "default", n, &stamp).map(|(_, r)| r)).collect()
        }
        Action::DeletePod => first_pod(p).map(|x| vec![format!("kubectl delete pod {} --wait=false", x.metadata.name)]).unwrap_or_default(),
        Action::StopNode => {
            first_pod(p).filter(|x| !x.spec.node_name.is_empty()).map(|x| vec![format!("cluster node stop {}", x.spec.node_name)]).unwrap_or_default()
        }
        Action::StartNodes => {
            let c = p.cluster();
            c.world.machines.iter().filter(|(_, m)| !m.powered).map(|(n, _)| format!("cluster node start {n}")).collect()
        }
    }
}

impl Compare {
    pub fn new() -> Compare {
        let mut deployment = Page::new();
        let mut statefulset = Page::new();
        deployment.set_editor(DEPLOYMENT.into());
        statefulset.set_editor(STATEFULSET.into());
        deployment.apply();
        statefulset.apply();
        Compare { deployment, statefulset }
    }

    /// Runs the action on both sides; returns the commands each side ran.
    pub fn act(&mut self, a: Action) -> (Vec<String>, Vec<String>) {
        let d = commands(&self.deployment, "deployment", a);
        let s = commands(&self.statefulset, "statefulset", a);
        for c in &d {
            self.deployment.run(c, "");
        }
        for c in &s {
            self.statefulset.run(c, "");
        }
        (d, s)
    }

    pub fn tick(&mut self, wall_ms: f64) {
        self.deployment.tick(wall_ms);
        self.statefulset.tick(wall_ms);
    }

    pub fn advance(&mut self, ms: i64) {
        self.deployment.advance(ms);
        self.statefulset.advance(ms);
    }
}

impl Default for Compare {
    fn default() -> Self {
        Compare::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::time::MINUTE;

    fn names(p: &Page) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = p
            .cluster()
            .api
            .store
            .list_ns_t::<Pod>("default")
            .map(|x| (x.metadata.name.clone(), crate::kubectl::printers::rows::pod_summary(x).reason))
            .collect();
        crate::engine::sort::sort(&mut v);
        v
    }

    #[test]
    fn the_statefulset_keeps_names_and_data_the_deployment_does_not() {
        let mut c = Compare::new();
        c.advance(MINUTE);
        let (d, s) = c.act(Action::Write);
        assert_eq!(d.len(), 1);
        assert!(s[0].starts_with("kubectl exec pg-0 -- psql"), "{s:?}");
        assert!(c.statefulset.console.last().unwrap().output.contains("INSERT 0 1"), "{:?}", c.statefulset.console.last());
        // Scale to 3: the StatefulSet makes pg-1 and pg-2 with their own claims;
        // the Deployment's new replicas share one node-local RWO claim.
        c.act(Action::Scale(3));
        c.advance(3 * MINUTE);
        let sts = names(&c.statefulset);
        assert_eq!(sts, [("pg-0".into(), "Running".into()), ("pg-1".into(), "Running".into()), ("pg-2".into(), "Running".into())]);
        let dep = names(&c.deployment);
        assert_eq!(dep.len(), 3);
        assert!(dep.iter().all(|(n, _)| n.starts_with("pg-") && n.len() > 10), "{dep:?}");
        // Delete the first pod: pg-0 comes back as pg-0, with its row.
        c.act(Action::DeletePod);
        c.advance(2 * MINUTE);
        assert!(names(&c.statefulset).iter().any(|(n, s)| n == "pg-0" && s == "Running"));
        c.act(Action::Read);
        let out: Vec<&str> = c.statefulset.console.iter().rev().take(3).map(|e| e.output.as_str()).collect();
        assert!(out.iter().any(|o| o.contains("     1\n(1 row)")), "pg-0 still has its row: {out:?}");
        assert!(out.iter().filter(|o| o.contains("does not exist")).count() == 2, "pg-1 and pg-2 have their own, empty databases: {out:?}");
    }
}
