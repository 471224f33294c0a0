//! indexed_job_utils.go: completion indexes of Indexed Jobs, as ordered
//! intervals (`status.completedIndexes` is their `1,3-5` form), and the
//! index a pod carries in its annotation.

use crate::engine::api::Pod;

/// `batch.kubernetes.io/job-completion-index`: annotation, label and the
/// source of the `JOB_COMPLETION_INDEX` variable.
pub const COMPLETION_INDEX: &str = "batch.kubernetes.io/job-completion-index";
pub const COMPLETION_INDEX_ENV: &str = "JOB_COMPLETION_INDEX";

/// `getCompletionIndex`: the pod's index, if it has a valid one.
pub fn completion_index(p: &Pod) -> Option<i32> {
    let v = p.metadata.annotations.get(COMPLETION_INDEX)?;
    v.parse::<i32>().ok().filter(|i| *i >= 0)
}

/// `orderedIntervals`: sorted, disjoint, non-adjacent `[first, last]` runs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Intervals(pub Vec<(i32, i32)>);

impl Intervals {
    /// `withOrderedIndexes`: these intervals plus sorted indexes.
    pub fn with(&self, sorted: &[i32]) -> Intervals {
        let mut all: Vec<(i32, i32)> = self.0.clone();
        all.extend(sorted.iter().map(|&i| (i, i)));
        crate::engine::sort::sort(&mut all);
        let mut out: Vec<(i32, i32)> = vec![];
        for (f, l) in all {
            match out.last_mut() {
                Some(last) if f <= last.1 + 1 => last.1 = last.1.max(l),
                _ => out.push((f, l)),
            }
        }
        Intervals(out)
    }

    pub fn total(&self) -> i32 {
        self.0.iter().map(|(f, l)| l - f + 1).sum()
    }

    pub fn has(&self, ix: i32) -> bool {
        self.0.iter().any(|(f, l)| *f <= ix && ix <= *l)
    }

    /// `parseIndexesFromString`: indexes at or past `completions` and
    /// malformed parts are dropped.
    pub fn parse(s: &str, completions: i32) -> Intervals {
        let mut out = Intervals::default();
        for part in s.split(',').filter(|p| !p.is_empty()) {
            let (f, l) = match part.split_once('-') {
                Some((a, b)) => (a.parse::<i32>(), b.parse::<i32>()),
                None => (part.parse::<i32>(), part.parse::<i32>()),
            };
            let (Ok(f), Ok(l)) = (f, l) else { continue };
            if f < 0 || f >= completions {
                continue;
            }
            let l = l.min(completions - 1);
            if l >= f {
                out = Intervals(out.0.into_iter().chain([(f, l)]).collect()).with(&[]);
            }
        }
        out
    }
}

impl std::fmt::Display for Intervals {
    /// `orderedIntervals.String`: `0-2,4,6,7` (two adjacent indexes are listed).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (a, b)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{a}")?;
            if b > a {
                write!(f, "{}{b}", if *b == a + 1 { "," } else { "-" })?;
            }
        }
        Ok(())
    }
}

/// `firstPendingIndexes`: the lowest `count` indexes below `completions`
/// that are neither succeeded nor held by a pod in `busy`.
pub fn first_pending(non_pending: &Intervals, count: usize, completions: i32) -> Vec<i32> {
    let mut out = vec![];
    let mut candidate = 0;
    for (f, l) in &non_pending.0 {
        while candidate < completions && out.len() < count && candidate < *f {
            out.push(candidate);
            candidate += 1;
        }
        candidate = candidate.max(l + 1);
    }
    while candidate < completions && out.len() < count {
        out.push(candidate);
        candidate += 1;
    }
    out
}

/// `podGenerateNameWithIndex`: `<job>-<index>-`, the job name cut so the
/// prefix fits the 58 characters a generated name's prefix may have.
pub fn generate_name_with_index(job: &str, index: i32) -> String {
    let suffix = format!("-{index}-");
    let prefix = format!("{job}{suffix}");
    if prefix.len() > 58 { format!("{}{suffix}", &job[..58 - suffix.len()]) } else { prefix }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_print_as_the_job_controller_writes_them() {
        let i = Intervals::default().with(&[0, 1, 2, 4, 6, 7]);
        assert_eq!(i.to_string(), "0-2,4,6,7");
        assert_eq!(i.total(), 6);
        assert!(i.has(4) && !i.has(5));
        assert_eq!(Intervals::parse("0-2,4,6,7", 10), i);
        assert_eq!(Intervals::parse("1-9", 5).to_string(), "1-4");
        assert_eq!(Intervals::parse("x,3", 5).to_string(), "3");
    }

    #[test]
    fn pending_indexes_skip_succeeded_and_running_ones() {
        let busy = Intervals::default().with(&[0, 2, 3]);
        assert_eq!(first_pending(&busy, 3, 6), vec![1, 4, 5]);
        assert_eq!(first_pending(&busy, 1, 6), vec![1]);
        assert_eq!(first_pending(&Intervals::default(), 2, 1), vec![0]);
    }

    #[test]
    fn generated_names_keep_the_index() {
        assert_eq!(generate_name_with_index("pi", 3), "pi-3-");
        let long = "a".repeat(60);
        let g = generate_name_with_index(&long, 12);
        assert_eq!(g.len(), 58);
        assert!(g.ends_with("-12-"));
    }
}
