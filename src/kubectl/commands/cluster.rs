//! The `cluster` verbs: what only a simulator can do (TRANSCRIPTS.md):
//! let time pass, settle, power nodes off and on, add nodes, install and
//! remove storage drivers, reset, flip feature gates.

use crate::engine::cluster::ClusterVerb;
use crate::engine::cluster::SETTLE_LIMIT;
use crate::engine::time::{DurationError, MAX_ADVANCE, Millis, go_duration, parse_duration};
use crate::kubectl::args::{Flag, parse_flags, strf};
use crate::kubectl::errors::CmdError;
use crate::kubectl::session::{Check, ClusterCmd, Session, Waiter};

pub const HELP: &str = "\
Simulator controls (on a real cluster these map to node and driver tooling):

  cluster advance DURATION            let simulated time pass (units: ms, s, m, h)
  cluster settle                      advance until nothing more happens without new input
  cluster node stop NODE              power a node off: its kubelet stops, its containers stop
  cluster node start NODE             power it back on
  cluster node add NODE [--zone Z]    add a worker node
  cluster driver install NAME         install a storage driver (provisioner + CSI node plugin)
  cluster driver uninstall NAME       remove a storage driver
  cluster addon install NAME          install an add-on: metrics-server, ingress-nginx
  cluster addon uninstall NAME        remove it
  cluster feature-gate NAME=BOOL      turn a control-plane feature gate on or off
  cluster reset                       start over on the default cluster
  cluster help                        this text
";

fn err(msg: impl Into<String>) -> CmdError {
    CmdError::msg(msg.into())
}

/// What one command may let pass, in words for the errors.
fn max_advance() -> String {
    format!("at most {} (a week) per command", go_duration(MAX_ADVANCE).trim_end_matches("0m0s"))
}

fn duration(s: &str) -> Result<Millis, CmdError> {
    match parse_duration(s) {
        Ok(ms) if ms <= MAX_ADVANCE => Ok(ms),
        Ok(_) | Err(DurationError::TooLong) => {
            Err(err(format!("cluster advance: {s} is longer than simulated time may jump at once ({}): advance in steps", max_advance())))
        }
        Err(DurationError::Invalid) => Err(err(format!("invalid duration {s:?} (examples: 90s, 5m, 1h30m, 250ms)"))),
    }
}

/// `cluster ...`
fn flags() -> Vec<Flag> {
    const { &[strf("zone"), crate::kubectl::args::boolf("help").with_short('h')] }.to_vec()
}

/// Which verb `cluster ARGS` runs, as [`run`] tells them apart.
pub fn verb(argv: &[String]) -> ClusterCmd {
    let Ok(p) = parse_flags(argv, &flags()) else { return ClusterCmd::Other };
    match p.args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        _ if p.bool("help") => ClusterCmd::Other,
        ["advance", _] => ClusterCmd::Advance,
        ["settle"] => ClusterCmd::Settle,
        ["reset"] => ClusterCmd::Reset,
        _ => ClusterCmd::Other,
    }
}

pub fn run(session: &mut Session, argv: &[String], out: &mut String) -> Result<(), CmdError> {
    let p = parse_flags(argv, &flags()).map_err(|e| err(format!("{e}\nSee 'cluster help' for usage.")))?;
    let a: Vec<&str> = p.args.iter().map(|s| s.as_str()).collect();
    if p.bool("help") {
        out.push_str(HELP);
        return Ok(());
    }
    let verb = |v: ClusterVerb, session: &mut Session| session.cluster.cluster_verb(v).map_err(err);
    match a.as_slice() {
        [] | ["help"] => {
            out.push_str(HELP);
            Ok(())
        }
        ["advance", d] => {
            let ms = duration(d)?;
            let until = session.cluster.now().0 + ms;
            session.wait_with(Box::new(TimePasses { until }));
            Ok(())
        }
        ["settle"] => {
            let start = session.cluster.now().0;
            session.wait_with(Box::new(Settle { start }));
            Ok(())
        }
        ["node", "stop", n] => verb(ClusterVerb::NodeStop { node: n.to_string() }, session),
        ["node", "start", n] => verb(ClusterVerb::NodeStart { node: n.to_string() }, session),
        ["node", "add", n] => {
            let zone = match p.str("zone") {
                Some(z) => z.to_string(),
                None => least_used_zone(session),
            };
            verb(ClusterVerb::NodeAdd { node: n.to_string(), zone }, session)
        }
        ["driver", "install", d] => verb(ClusterVerb::DriverInstall { driver: d.to_string() }, session),
        ["driver", "uninstall", d] => verb(ClusterVerb::DriverUninstall { driver: d.to_string() }, session),
        ["addon", "install", a] => verb(ClusterVerb::AddonInstall { addon: a.to_string() }, session),
        ["addon", "uninstall", a] => verb(ClusterVerb::AddonUninstall { addon: a.to_string() }, session),
        ["feature-gate", spec] => {
            let Some((gate, val)) = spec.split_once('=') else {
                return Err(err(format!("feature gates are set as NAME=true|false, got {spec:?}")));
            };
            let enabled =
                crate::kubectl::args::parse_bool(val).ok_or_else(|| err(format!("invalid value {val:?} for feature gate {gate}: want true or false")))?;
            verb(ClusterVerb::FeatureGate { gate: gate.to_string(), enabled }, session)
        }
        ["reset"] => {
            session.reset();
            Ok(())
        }
        _ => Err(err(format!("unknown cluster command {:?}\nSee 'cluster help' for usage.", a.join(" ")))),
    }
}

/// The zone with the fewest machines (alphabetical on ties): where `node
/// add` puts a node when no zone is given.
fn least_used_zone(session: &Session) -> String {
    let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for m in session.cluster.world.machines.values() {
        *counts.entry(m.zone.as_str()).or_default() += 1;
    }
    counts.iter().min_by_key(|(z, c)| (**c, **z)).map(|(z, _)| z.to_string()).unwrap_or_else(|| "zone-a".into())
}

fn livelock(session: &mut Session, out: &mut String) {
    if let Some(l) = session.cluster.livelock.take() {
        out.push_str(&format!("warning: {l}\n"));
    }
}

/// `sleep N`: the shell's sleep lets simulated time pass (GNU sleep: the
/// arguments add up; `s`, `m`, `h`, `d` suffixes).
pub fn sleep(session: &mut Session, argv: &[String], _out: &mut String) -> Result<(), CmdError> {
    let total = sleep_duration(argv)?;
    let until = session.cluster.now().0 + total;
    session.wait_with(Box::new(TimePasses { until }));
    Ok(())
}

/// `sleep` and `cluster advance`: time passes, timer by timer, to `until`.
struct TimePasses {
    until: Millis,
}

impl Waiter for TimePasses {
    fn check(&mut self, s: &mut Session, out: &mut String) -> Check {
        let now = s.cluster.now().0;
        if now >= self.until {
            livelock(s, out);
            return Check::Done(Ok(()));
        }
        Check::Wait(self.until - now)
    }
}

/// `cluster settle`: time passes until nothing more will happen without new
/// input, or [`SETTLE_LIMIT`] passed.
struct Settle {
    start: Millis,
}

impl Waiter for Settle {
    fn check(&mut self, s: &mut Session, out: &mut String) -> Check {
        let elapsed = s.cluster.now().0 - self.start;
        if !s.cluster.busy() {
            out.push_str(&format!("settled after {}\n", go_duration(elapsed)));
        } else if elapsed >= SETTLE_LIMIT {
            out.push_str(&format!("not settled after {}: the cluster is still busy (the bound of `cluster settle` was reached)\n", go_duration(elapsed)));
        } else {
            return Check::Wait(SETTLE_LIMIT - elapsed);
        }
        livelock(s, out);
        Check::Done(Ok(()))
    }
}

/// The time `sleep ARGS` lets pass, or its error.
pub fn sleep_duration(argv: &[String]) -> Result<Millis, CmdError> {
    if argv.is_empty() {
        return Err(CmdError::Raw("sleep: missing operand\nTry 'sleep --help' for more information.\n".into(), 1));
    }
    let too_long = |a: &str| CmdError::Raw(format!("sleep: '{a}' is longer than simulated time may pass at once ({})\n", max_advance()), 1);
    let mut total: Millis = 0;
    for a in argv {
        let ms = match parse_duration(a) {
            Ok(ms) => ms,
            Err(DurationError::TooLong) => return Err(too_long(a)),
            Err(DurationError::Invalid) => {
                return Err(CmdError::Raw(format!("sleep: invalid time interval '{a}'\nTry 'sleep --help' for more information.\n"), 1));
            }
        };
        total = total.saturating_add(ms);
        if total > MAX_ADVANCE {
            return Err(too_long(&argv.join(" ")));
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use crate::kubectl::commands::testutil::run;
    use crate::kubectl::session::Session;

    #[test]
    fn verbs() {
        let mut s = Session::new(1);
        let t0 = s.cluster.now();
        assert_eq!(run(&mut s, "cluster advance 90s"), (String::new(), 0));
        assert_eq!(s.cluster.now().0 - t0.0, 90_000);
        assert_eq!(run(&mut s, "sleep 10"), (String::new(), 0));
        assert_eq!(s.cluster.now().0 - t0.0, 100_000);
        let (out, code) = run(&mut s, "cluster settle");
        assert_eq!(code, 0);
        assert!(out.starts_with("settled after ") || out.starts_with("not settled after "), "{out}");
        assert_eq!(run(&mut s, "cluster advance soon").1, 1);
        let before = s.cluster.now();
        for line in [
            "cluster advance 1e300",
            "cluster advance 9999999999999h",
            "cluster advance 9007199254740992ms",
            "cluster advance 169h",
            "sleep infinity",
            "sleep 100d 100d",
        ] {
            let (out, code) = run(&mut s, line);
            assert_eq!(code, 1, "{line}: {out}");
            assert!(out.contains("longer than simulated time may"), "{line}: {out}");
            assert!(out.contains("at most 168h (a week) per command"), "{line}: {out}");
        }
        assert_eq!(run(&mut s, "sleep nan").0, "sleep: invalid time interval 'nan'\nTry 'sleep --help' for more information.\n");
        assert_eq!(s.cluster.now(), before, "refused durations let no time pass");
        assert_eq!(run(&mut s, "cluster node add node-d --zone zone-b"), (String::new(), 0));
        assert!(s.cluster.world.machines.contains_key("node-d"));
        assert_eq!(run(&mut s, "cluster node add node-d").1, 1);
        // Names a kubelet could not register are refused with the API
        // server's text, and change nothing (they once aborted the engine).
        let long = "n".repeat(64);
        let (out, code) = run(&mut s, &format!("cluster node add {long}"));
        assert_eq!(code, 1);
        assert_eq!(
            out,
            format!(
                "error: the kubelet could not register this node: Node \"{long}\" is invalid: metadata.labels: Invalid value: \"{long}\": must be no more than 63 characters\n"
            )
        );
        let (out, code) = run(&mut s, "cluster node add node-e --zone 'a zone'");
        assert_eq!(code, 1);
        assert!(out.contains("Node \"node-e\" is invalid: metadata.labels: Invalid value: \"a zone\": a valid label must be"), "{out}");
        assert!(!s.cluster.world.machines.contains_key("node-e") && !s.cluster.world.machines.contains_key(&long));
        assert!(!s.cluster.log().iter().any(
            |i| matches!(i, crate::engine::cluster::Input::Cluster { verb: crate::engine::cluster::ClusterVerb::NodeAdd { node, .. } } if node != "node-d")
        ));
        assert_eq!(run(&mut s, "cluster node stop node-a"), (String::new(), 0));
        assert!(!s.cluster.world.is_powered("node-a"));
        assert_eq!(run(&mut s, "cluster node start node-a"), (String::new(), 0));
        assert_eq!(run(&mut s, "cluster driver uninstall nfs.csi.k8s.io"), (String::new(), 0));
        assert!(!s.cluster.world.drivers.contains("nfs.csi.k8s.io"));
        assert_eq!(run(&mut s, "cluster feature-gate MaxUnavailableStatefulSet=true"), (String::new(), 0));
        assert!(s.cluster.api.config.max_unavailable_statefulset);
        assert_eq!(run(&mut s, "cluster frob").1, 1);
        assert_eq!(run(&mut s, "cluster reset"), (String::new(), 0));
        assert!(!s.cluster.world.machines.contains_key("node-d"));
        assert!(run(&mut s, "cluster help").0.contains("cluster settle"));
    }
}
