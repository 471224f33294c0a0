//! Status conditions: the one set of helpers every component uses on any
//! kind's conditions (upstream repeats them per package: podutil's
//! GetPodCondition and UpdatePodCondition, deploymentutil's
//! Get/Set/RemoveDeploymentCondition, apimeta.SetStatusCondition, ...).
//!
//! The rule they all share: a condition's lastTransitionTime moves only when
//! its status does.

use super::apps::DeploymentCondition;
use super::core::{NamespaceCondition, NodeCondition, PodCondition, PvcCondition};
use super::meta::Condition;
use super::vocab::{ConditionStatus, ConditionType};
use crate::engine::time::Time;

/// What the helpers need of a condition type.
pub trait StatusCondition {
    fn type_(&self) -> &ConditionType;
    fn status(&self) -> &ConditionStatus;
    fn reason(&self) -> &str;
    fn message(&self) -> &str;
    fn last_transition_time(&self) -> Option<Time>;
    fn set_last_transition_time(&mut self, t: Option<Time>);
}

macro_rules! status_condition {
    ($($t:ty),*) => {$(
        impl StatusCondition for $t {
            fn type_(&self) -> &ConditionType {
                &self.type_
            }
            fn status(&self) -> &ConditionStatus {
                &self.status
            }
            fn reason(&self) -> &str {
                &self.reason
            }
            fn message(&self) -> &str {
                &self.message
            }
            fn last_transition_time(&self) -> Option<Time> {
                self.last_transition_time
            }
            fn set_last_transition_time(&mut self, t: Option<Time>) {
                self.last_transition_time = t;
            }
        }
    )*};
}

status_condition!(PodCondition, NodeCondition, NamespaceCondition, PvcCondition, DeploymentCondition, Condition);

/// The condition of type `t`, if there is one.
pub fn get_condition<'a, C: StatusCondition>(conds: &'a [C], t: &ConditionType) -> Option<&'a C> {
    conds.iter().find(|c| c.type_() == t)
}

/// Is there a condition of type `t` with status True?
pub fn is_condition_true<C: StatusCondition>(conds: &[C], t: &ConditionType) -> bool {
    get_condition(conds, t).is_some_and(|c| c.status().is_true())
}

/// Removes the condition of type `t`; whether there was one.
pub fn remove_condition<C: StatusCondition>(conds: &mut Vec<C>, t: &ConditionType) -> bool {
    let before = conds.len();
    conds.retain(|c| c.type_() != t);
    conds.len() != before
}

/// The transition rule: `new` (stamped with the current time) keeps the
/// transition time of `old`, the condition it replaces, when the status is
/// the same.
pub fn keep_transition_time<C: StatusCondition>(old: Option<&C>, new: &mut C) {
    if let Some(old) = old
        && old.status() == new.status()
    {
        new.set_last_transition_time(old.last_transition_time());
    }
}

/// Puts `new` in place of the condition of its type, or appends it
/// (apimeta.SetStatusCondition, podutil.UpdatePodCondition): the other
/// fields are `new`'s, the transition time follows the rule above. Returns
/// whether the condition is new or its status, reason or message changed.
pub fn set_condition<C: StatusCondition>(conds: &mut Vec<C>, mut new: C) -> bool {
    let Some(cur) = conds.iter_mut().find(|c| c.type_() == new.type_()) else {
        conds.push(new);
        return true;
    };
    keep_transition_time(Some(&*cur), &mut new);
    let changed = cur.status() != new.status() || cur.reason() != new.reason() || cur.message() != new.message();
    *cur = new;
    changed
}

/// deploymentutil.SetDeploymentCondition and the ReplicaSet controller's
/// SetCondition: nothing changes when the status and reason are the same;
/// otherwise the condition moves to the end of the list.
pub fn set_condition_last<C: StatusCondition>(conds: &mut Vec<C>, mut new: C) {
    let cur = get_condition(conds, new.type_());
    if cur.is_some_and(|c| c.status() == new.status() && c.reason() == new.reason()) {
        return;
    }
    keep_transition_time(cur, &mut new);
    remove_condition(conds, new.type_());
    conds.push(new);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(t: &str, s: ConditionStatus, reason: &str, at: i64) -> PodCondition {
        PodCondition { type_: t.into(), status: s, reason: reason.into(), last_transition_time: Some(Time(at)), ..Default::default() }
    }

    #[test]
    fn the_transition_time_moves_only_with_the_status() {
        let mut conds = vec![cond("Ready", ConditionStatus::False, "", 1)];
        assert!(set_condition(&mut conds, cond("Ready", ConditionStatus::False, "ContainersNotReady", 2)));
        assert_eq!((conds[0].last_transition_time, conds[0].reason.as_str()), (Some(Time(1)), "ContainersNotReady"));
        assert!(!set_condition(&mut conds, cond("Ready", ConditionStatus::False, "ContainersNotReady", 3)));
        assert!(set_condition(&mut conds, cond("Ready", ConditionStatus::True, "", 4)));
        assert_eq!(conds[0].last_transition_time, Some(Time(4)));
        assert!(set_condition(&mut conds, cond("PodScheduled", ConditionStatus::True, "", 5)));
        assert_eq!(conds.len(), 2);
        assert!(is_condition_true(&conds, &ConditionType::Ready) && !is_condition_true(&conds, &ConditionType::Initialized));
        assert!(remove_condition(&mut conds, &ConditionType::Ready) && !remove_condition(&mut conds, &ConditionType::Ready));
        assert_eq!(get_condition(&conds, &ConditionType::PodScheduled).map(|c| c.last_transition_time), Some(Some(Time(5))));
    }

    #[test]
    fn deployment_conditions_move_to_the_end_unless_status_and_reason_are_unchanged() {
        let d = |t: &str, s: ConditionStatus, reason: &str, at: i64| DeploymentCondition {
            type_: t.into(),
            status: s,
            reason: reason.into(),
            message: format!("at {at}"),
            last_update_time: Some(Time(at)),
            last_transition_time: Some(Time(at)),
        };
        let mut conds = vec![d("Progressing", ConditionStatus::True, "A", 1), d("Available", ConditionStatus::True, "B", 1)];
        set_condition_last(&mut conds, d("Progressing", ConditionStatus::True, "A", 2));
        assert_eq!(conds[0].message, "at 1");
        set_condition_last(&mut conds, d("Progressing", ConditionStatus::True, "C", 3));
        assert_eq!((conds[1].type_.as_str(), conds[1].last_transition_time, conds[1].last_update_time), ("Progressing", Some(Time(1)), Some(Time(3))));
    }
}
