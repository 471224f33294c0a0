//! backoff_utils.go: the delay before a Job creates pods again after
//! failures (10s doubling per failure since the last success, at most
//! 10 minutes), counted from when the last failed pod finished.

use crate::engine::api::Pod;
use crate::engine::time::{Millis, SECOND, Time};

/// `DefaultJobPodFailureBackOff` and `MaxJobPodFailureBackOff`.
pub const DEFAULT_BACKOFF: Millis = 10 * SECOND;
pub const MAX_BACKOFF: Millis = 600 * SECOND;

/// `backoffRecord`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BackoffRecord {
    pub failures_after_last_success: i32,
    pub last_failure_time: Option<Time>,
}

/// `getFinishedTime`: when the pod's last container finished, else when
/// it began to be deleted, else now.
pub fn finished_time(p: &Pod, now: Time) -> Time {
    let containers = p.status.container_statuses.iter().chain(&p.status.init_container_statuses);
    containers.filter_map(|c| c.state.terminated.as_ref().and_then(|t| t.finished_at)).max().or(p.metadata.deletion_timestamp).unwrap_or(now)
}

impl BackoffRecord {
    /// `newBackoffRecord`: the record after these newly finished pods.
    pub fn next(self, succeeded: &[&Pod], failed: &[&Pod], now: Time) -> BackoffRecord {
        let mut fails: Vec<Time> = failed.iter().map(|p| finished_time(p, now)).collect();
        crate::engine::sort::sort(&mut fails);
        if succeeded.is_empty() {
            let Some(last) = fails.last() else { return self };
            return BackoffRecord { failures_after_last_success: self.failures_after_last_success + fails.len() as i32, last_failure_time: Some(*last) };
        }
        let last_success = succeeded.iter().map(|p| finished_time(p, now)).max().unwrap_or(now);
        let mut r = BackoffRecord::default();
        for t in fails.iter().rev().take_while(|t| **t > last_success) {
            r.last_failure_time.get_or_insert(*t);
            r.failures_after_last_success += 1;
        }
        r
    }

    /// `getRemainingTimeForFailuresCount`.
    pub fn remaining(&self, now: Time) -> Millis {
        let Some(last) = self.last_failure_time else { return 0 };
        if self.failures_after_last_success == 0 {
            return 0;
        }
        let mut d = DEFAULT_BACKOFF;
        for _ in 1..self.failures_after_last_success {
            d *= 2;
            if d >= MAX_BACKOFF {
                d = MAX_BACKOFF;
                break;
            }
        }
        let elapsed = now.0 - last.0;
        if d < elapsed { 0 } else { d - elapsed }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_per_failure_up_to_ten_minutes() {
        let at = |n: i32| BackoffRecord { failures_after_last_success: n, last_failure_time: Some(Time(0)) }.remaining(Time(0));
        assert_eq!([at(0), at(1), at(2), at(3)], [0, 10 * SECOND, 20 * SECOND, 40 * SECOND]);
        assert_eq!(at(30), MAX_BACKOFF);
        let r = BackoffRecord { failures_after_last_success: 1, last_failure_time: Some(Time(0)) };
        assert_eq!(r.remaining(Time(4 * SECOND)), 6 * SECOND);
        assert_eq!(r.remaining(Time(11 * SECOND)), 0);
    }
}
