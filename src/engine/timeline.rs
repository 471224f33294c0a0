//! Checkpoints of a recorded session, for time travel: going back to any
//! instant restores the latest checkpoint at or before it and replays the
//! recording from there, instead of replaying the whole input log from the
//! seed. The cost of a scrub is then one interval of the session, however
//! long the session is.
//!
//! A checkpoint is a clone of the cluster (its objects are shared `Rc`s, so
//! it costs the tables and indexes, not the objects) and its position in
//! the recording: the inputs fully played, and how much of the next one (an
//! `Advance`) was. The cluster is stored without its input log, which is
//! rebuilt from the recording when the checkpoint is restored.
//!
//! Memory is bounded: checkpoints are taken one `spacing` of simulated time
//! apart; when there are more than [`MAX_CHECKPOINTS`], or their estimated
//! size passes [`BUDGET`], the spacing doubles and every other one goes
//! (thinning), so a long session keeps as many checkpoints as a short one,
//! further apart, and a big cluster fewer. Replaying through a stretch with
//! no checkpoint (a long `sleep` at the head, a restored session) fills it
//! in on the way.
//!
//! Exactness: a checkpoint continues exactly as the session did (the
//! cluster is deterministic and its clone complete), so a restored and
//! replayed cluster is the same, byte for byte, as one replayed from the
//! seed; the property tests check it.

use crate::engine::cluster::{Cluster, Input, Playback};
use crate::engine::time::{Millis, SECOND, Time};

/// At most this many checkpoints are kept.
pub const MAX_CHECKPOINTS: usize = 32;
/// The spacing a session starts with (simulated time between checkpoints).
pub const FIRST_SPACING: Millis = 15 * SECOND;
/// What the checkpoints may hold together, estimated by [`estimate`] and
/// [`OBJECT_BYTES`] for each object version only a checkpoint keeps.
pub const BUDGET: usize = 16 << 20;
/// About what an object in the store takes (an event, a pod), for the
/// versions of objects a checkpoint alone keeps alive.
pub const OBJECT_BYTES: usize = 2560;

#[derive(Clone)]
struct Checkpoint {
    at: Time,
    /// Inputs of the recording fully played.
    next: usize,
    /// How much of `inputs[next]` (an `Advance`) was played.
    partial: Millis,
    /// The cluster then, its input log left out.
    cluster: Cluster,
    /// Its estimated size in bytes.
    size: usize,
}

/// The checkpoints of one recorded session.
#[derive(Clone)]
pub struct Timeline {
    checkpoints: Vec<Checkpoint>,
    spacing: Millis,
    /// [`BUDGET`], but for tests.
    budget: usize,
}

impl Timeline {
    /// The timeline of a session that starts with `start` (a cluster whose
    /// log is empty: the recording begins here).
    pub fn new(start: &Cluster) -> Timeline {
        Timeline::with_spacing(start, FIRST_SPACING)
    }

    pub fn with_spacing(start: &Cluster, spacing: Millis) -> Timeline {
        let mut t = Timeline { checkpoints: vec![], spacing: spacing.max(1), budget: BUDGET };
        t.insert(start, position(start.log()));
        t
    }

    /// How many checkpoints are kept, and how far apart.
    pub fn stats(&self) -> (usize, Millis) {
        (self.checkpoints.len(), self.spacing)
    }

    /// The live cluster at the head of its recording (its own log) moved:
    /// takes a checkpoint when one is due.
    pub fn record(&mut self, c: &Cluster) {
        if self.due(c.now()) {
            self.insert(c, position(c.log()));
        }
    }

    /// When the next checkpoint is due: the page splits the time it plays at
    /// these instants so checkpoints fall where they should.
    pub fn next_due(&self) -> Time {
        let last = self.checkpoints.last().map_or(Time(0), |c| c.at);
        Time(last.0 + self.spacing)
    }

    fn due(&self, now: Time) -> bool {
        self.checkpoints.last().is_none_or(|c| now >= Time(c.at.0 + self.spacing))
    }

    /// The session branched at `at` (someone acted on the cluster replayed
    /// there): checkpoints after it belong to the future that was dropped.
    pub fn truncate(&mut self, at: Time) {
        self.checkpoints.retain(|c| c.at <= at);
    }

    /// The cluster at `until` in `inputs` (the recording this timeline was
    /// taken from, or one that branched from it before its last checkpoint),
    /// and the playback that continues the recording from there. Stretches
    /// longer than the spacing without a checkpoint get one on the way.
    pub fn replay_until(&mut self, inputs: &[Input], until: Time) -> (Cluster, Playback) {
        let i = self.checkpoints.partition_point(|c| c.at <= until).saturating_sub(1);
        let cp = &self.checkpoints[i];
        let mut c = cp.cluster.clone();
        let mut log = inputs[..cp.next.min(inputs.len())].to_vec();
        if cp.partial > 0 {
            log.push(Input::Advance { ms: cp.partial });
        }
        c.set_log(log);
        let mut pb = Playback::resume(inputs.to_vec(), cp.next, cp.partial);
        let mut last = cp.at;
        loop {
            let stop = Time((last.0 + self.spacing).min(until.0));
            let done = pb.play_until(&mut c, stop);
            if done || c.now() >= until {
                break;
            }
            // a stretch of the recording without a checkpoint for more than
            // twice the spacing: note one
            let next = self.checkpoints.iter().map(|k| k.at).find(|&t| t > last);
            if next.is_none_or(|n| n.0 - last.0 > 2 * self.spacing) {
                self.insert(&c, pb.position());
            }
            last = c.now();
        }
        (c, pb)
    }

    fn insert(&mut self, c: &Cluster, (next, partial): (usize, Millis)) {
        let cp = Checkpoint { at: c.now(), next, partial, cluster: c.without_log(), size: estimate(c) };
        let i = self.checkpoints.partition_point(|k| (k.at, k.next, k.partial) <= (cp.at, next, partial));
        self.checkpoints.insert(i, cp);
        self.thin();
    }

    fn over(&self) -> bool {
        self.checkpoints.len() > MAX_CHECKPOINTS || (self.checkpoints.len() > 2 && self.bytes() > self.budget)
    }

    /// The checkpoints' estimated memory: each one's own tables, indexes
    /// and world, and the object versions it keeps that the next one does
    /// not (events since expired, pods since replaced); the last one's
    /// objects are the live cluster's, mostly.
    pub fn bytes(&self) -> usize {
        let own: usize = self.checkpoints.iter().map(|c| c.size).sum();
        let kept: usize = self.checkpoints.windows(2).map(|w| w[0].cluster.api.store.unshared_with(&w[1].cluster.api.store)).sum();
        own + kept * OBJECT_BYTES
    }

    /// While over the bounds: doubles the spacing and keeps the first
    /// checkpoint and each one at least the new spacing after the last kept.
    fn thin(&mut self) {
        while self.over() {
            self.spacing *= 2;
            let spacing = self.spacing;
            let mut last: Option<Time> = None;
            self.checkpoints.retain(|c| {
                let keep = last.is_none_or(|l| c.at.0 >= l.0 + spacing);
                if keep {
                    last = Some(c.at);
                }
                keep
            });
        }
    }
}

/// About how many bytes a checkpoint of `c` holds beyond what it shares
/// with the live cluster: the tables and indexes (a few shared pointers per
/// object), the controllers' and kubelets' state, and the world, whose
/// files are copied (measured with a counting allocator by the engine
/// benchmark: 0.13 MiB for the default cluster, 200 bytes more per object).
pub fn estimate(c: &Cluster) -> usize {
    let objects: usize = crate::engine::api::Kind::ALL.iter().map(|k| c.api.store.count(*k)).sum();
    let files: usize = c.world.volumes.values().flat_map(|t| t.files.iter()).map(|(p, f)| 64 + p.len() + f.len()).sum();
    let logs: usize = c.world.logs.values().map(|l| 64 + l.len()).sum();
    100 * 1024 + 200 * objects + files + logs
}

/// Where a cluster whose log is `log` stands in that recording.
fn position(log: &[Input]) -> (usize, Millis) {
    match log.last() {
        Some(Input::Advance { ms }) => (log.len() - 1, *ms),
        _ => (log.len(), 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thinning_keeps_the_count_bounded_and_the_gaps_within_the_spacing() {
        let mut c = Cluster::new(1);
        let start = c.now();
        let mut t = Timeline::with_spacing(&c, 1_000);
        for _ in 0..500 {
            c.advance(1_000);
            t.record(&c);
        }
        let (n, spacing) = t.stats();
        assert!(n <= MAX_CHECKPOINTS, "{n} checkpoints");
        assert!(n > MAX_CHECKPOINTS / 2, "{n} checkpoints");
        assert_eq!(spacing, 16_000);
        assert_eq!(t.checkpoints[0].at, start);
        for w in t.checkpoints.windows(2) {
            assert!(w[1].at.0 - w[0].at.0 <= spacing, "a gap of {}", w[1].at.0 - w[0].at.0);
        }
    }

    #[test]
    fn the_size_budget_thins_too() {
        let mut c = Cluster::new(1);
        let mut t = Timeline::with_spacing(&c, 1_000);
        t.budget = 10 * estimate(&c);
        for _ in 0..100 {
            c.advance(1_000);
            t.record(&c);
        }
        let (n, spacing) = t.stats();
        assert!(n <= 10, "{n} checkpoints");
        assert!(spacing >= 16_000, "{spacing}");
    }

    #[test]
    fn a_stretch_without_checkpoints_is_filled_in_when_replayed() {
        let mut c = Cluster::new(1);
        let mut t = Timeline::with_spacing(&c, 10_000);
        c.advance(100_000);
        t.record(&c);
        assert_eq!(t.stats().0, 2);
        let (r, pb) = t.replay_until(c.log(), Time(c.now().0 - 5_000));
        assert_eq!(r.now().0, c.now().0 - 5_000);
        assert_eq!(pb.position(), (0, 95_000));
        assert_eq!(t.stats().0, 10, "one every 10 s on the way, until the recorded one at 100 s is within two spacings");
        // restored from the filled-in checkpoint, the same cluster
        let (again, _) = t.replay_until(c.log(), Time(c.now().0 - 5_000));
        assert_eq!(again.api.store.resource_version(), r.api.store.resource_version());
        assert_eq!(again.log(), r.log());
    }
}
