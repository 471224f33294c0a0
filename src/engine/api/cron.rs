//! CronJob schedules as robfig/cron v3's standard parser reads them (what
//! the API server validates a CronJob's `spec.schedule` with, and what its
//! controller schedules by): five fields (minute, hour, day of month,
//! month, day of week) of `*`, `?`, numbers, names, ranges, steps and
//! lists, or a descriptor (`@hourly`, `@every 1h30m`...), with the
//! parser's own error texts.

/// One field's allowed values, as robfig's bounds.
struct Bounds {
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MINUTES: Bounds = Bounds { min: 0, max: 59, names: &[] };
const HOURS: Bounds = Bounds { min: 0, max: 23, names: &[] };
const DOM: Bounds = Bounds { min: 1, max: 31, names: &[] };
const MONTHS: Bounds = Bounds { min: 1, max: 12, names: &["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"] };
const DOW: Bounds = Bounds { min: 0, max: 6, names: &["sun", "mon", "tue", "wed", "thu", "fri", "sat"] };

/// A parsed schedule: the allowed values of each field as bits, and
/// whether day of month and day of week were `*` (robfig's starBit: when
/// one of them is a star, the other alone decides the day).
#[derive(Clone, Debug, PartialEq)]
pub enum Schedule {
    Spec {
        minute: u64,
        hour: u64,
        dom: u64,
        month: u64,
        dow: u64,
        dom_star: bool,
        dow_star: bool,
    },
    /// `@every <duration>`, in milliseconds.
    Every(i64),
}

/// mustParseInt: strconv.Atoi's error for what is not a number.
fn int(expr: &str) -> Result<u32, String> {
    let n: i64 = expr.parse().map_err(|_| format!("failed to parse int from {expr}: strconv.Atoi: parsing {expr:?}: invalid syntax"))?;
    if n < 0 {
        return Err(format!("negative number ({n}) not allowed: {expr}"));
    }
    u32::try_from(n).map_err(|_| format!("failed to parse int from {expr}: strconv.Atoi: parsing {expr:?}: value out of range"))
}

fn int_or_name(expr: &str, b: &Bounds) -> Result<u32, String> {
    let lower = expr.to_ascii_lowercase();
    match b.names.iter().position(|n| *n == lower) {
        Some(i) => Ok(i as u32 + b.min),
        None => int(expr),
    }
}

/// getRange: one `a`, `a-b`, `*`, with an optional `/step`; the bits and
/// whether it was a plain star.
fn range(expr: &str, b: &Bounds) -> Result<(u64, bool), String> {
    let parts: Vec<&str> = expr.split('/').collect();
    let low_high: Vec<&str> = parts[0].split('-').collect();
    let (mut start, mut end, mut star);
    if low_high[0] == "*" || low_high[0] == "?" {
        (start, end, star) = (b.min, b.max, true);
    } else {
        start = int_or_name(low_high[0], b)?;
        end = match low_high.len() {
            1 => start,
            2 => int_or_name(low_high[1], b)?,
            _ => return Err(format!("too many hyphens: {expr}")),
        };
        star = false;
    }
    let step = match parts.len() {
        1 => 1,
        2 => {
            let step = int(parts[1])?;
            if low_high.len() == 1 {
                end = b.max;
            }
            if step > 1 {
                star = false;
            }
            step
        }
        _ => return Err(format!("too many slashes: {expr}")),
    };
    if start < b.min {
        return Err(format!("beginning of range ({start}) below minimum ({}): {expr}", b.min));
    }
    if end > b.max {
        return Err(format!("end of range ({end}) above maximum ({}): {expr}", b.max));
    }
    if start > end {
        return Err(format!("beginning of range ({start}) beyond end of range ({end}): {expr}"));
    }
    if step == 0 {
        return Err(format!("step of range should be a positive number: {expr}"));
    }
    let mut bits = 0u64;
    while start <= end {
        bits |= 1 << start;
        start += step;
    }
    Ok((bits, star))
}

/// getField: a comma-separated list of ranges.
fn field(f: &str, b: &Bounds) -> Result<(u64, bool), String> {
    let mut bits = 0;
    let mut star = false;
    for expr in f.split(',').filter(|e| !e.is_empty()) {
        let (b2, s) = range(expr, b)?;
        bits |= b2;
        star |= s;
    }
    Ok((bits, star))
}

/// ParseStandard.
pub fn parse(spec: &str) -> Result<Schedule, String> {
    if spec.is_empty() {
        return Err("empty spec string".into());
    }
    let mut spec = spec;
    if spec.starts_with("TZ=") || spec.starts_with("CRON_TZ=") {
        // the zone itself is checked against the time zone database, which
        // is not simulated: only the form is read here
        spec = spec.split_once(' ').map(|(_, rest)| rest.trim()).unwrap_or("");
    }
    if let Some(d) = spec.strip_prefix('@') {
        let every = |ms: i64| Ok(Schedule::Every(ms));
        let at = |minute: u64, hour: u64, dom: u64, month: u64, dow: u64, dom_star, dow_star| {
            Ok(Schedule::Spec { minute, hour, dom, month, dow, dom_star, dow_star })
        };
        let all = |b: &Bounds| -> u64 { (b.min..=b.max).fold(0, |a, i| a | 1 << i) };
        return match d {
            "yearly" | "annually" => at(1, 1, 1 << 1, 1 << 1, all(&DOW), false, true),
            "monthly" => at(1, 1, 1 << 1, all(&MONTHS), all(&DOW), false, true),
            "weekly" => at(1, 1, all(&DOM), all(&MONTHS), 1, true, false),
            "daily" | "midnight" => at(1, 1, all(&DOM), all(&MONTHS), all(&DOW), true, true),
            "hourly" => at(1, all(&HOURS), all(&DOM), all(&MONTHS), all(&DOW), true, true),
            _ => match d.strip_prefix("every ") {
                Some(dur) => match crate::engine::time::parse_duration(dur) {
                    Ok(ms) => every(ms),
                    Err(_) => Err(format!("failed to parse duration {spec}: time: invalid duration {dur:?}")),
                },
                None => Err(format!("unrecognized descriptor: {spec}")),
            },
        };
    }
    let fields: Vec<&str> = spec.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!("expected exactly 5 fields, found {}: [{}]", fields.len(), fields.join(" ")));
    }
    let (minute, _) = field(fields[0], &MINUTES)?;
    let (hour, _) = field(fields[1], &HOURS)?;
    let (dom, dom_star) = field(fields[2], &DOM)?;
    let (month, _) = field(fields[3], &MONTHS)?;
    let (dow, dow_star) = field(fields[4], &DOW)?;
    Ok(Schedule::Spec { minute, hour, dom, month, dow, dom_star, dow_star })
}

/// The Sunday `n` weeks into month `m` of year `y` (n = -1: the last one),
/// as days since 1970-01-01.
fn sunday(y: i64, m: i64, n: i64) -> i64 {
    use crate::engine::time::days_from_civil;
    let weekday = |d: i64| (d + 4).rem_euclid(7);
    if n < 0 {
        let next = if m == 12 { days_from_civil(y + 1, 1, 1) } else { days_from_civil(y, m + 1, 1) };
        let last = next - 1;
        return last - weekday(last);
    }
    let first = days_from_civil(y, m, 1);
    first + (7 - weekday(first)) % 7 + 7 * (n - 1)
}

/// Daylight saving rules of the zones in [`zone`].
#[derive(Clone, Copy, Debug, PartialEq)]
enum Dst {
    None,
    /// United States and Canada: second Sunday of March 2:00 to first Sunday of November 2:00, local.
    Us,
    /// European Union and the United Kingdom: last Sunday of March to last Sunday of October, 1:00 UTC.
    Eu,
    /// South-east Australia: first Sunday of October 2:00 to first Sunday of April 3:00, local.
    Au,
}

/// A time zone: its standard offset (seconds east of UTC) and its rule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Zone {
    std: i64,
    dst: Dst,
}

/// The zones the simulator knows (the page has no tz database): UTC,
/// `Etc/GMT±N`, and the common zones of a classroom's audience with their
/// current rules. `None` for any other name.
pub fn zone(name: &str) -> Option<Zone> {
    const H: i64 = 3600;
    if matches!(name, "UTC" | "Etc/UTC" | "GMT" | "Etc/GMT" | "Etc/Universal" | "Universal" | "Zulu" | "Etc/Zulu") {
        return Some(Zone { std: 0, dst: Dst::None });
    }
    if let Some(n) = name.strip_prefix("Etc/GMT") {
        // POSIX style: Etc/GMT+5 is five hours west
        let h: i64 = n.parse().ok().filter(|h: &i64| (-14..=12).contains(h))?;
        return Some(Zone { std: -h * H, dst: Dst::None });
    }
    const TABLE: &[(&str, i64, Dst)] = &[
        ("America/New_York America/Toronto America/Detroit America/Montreal US/Eastern", -5 * 60, Dst::Us),
        ("America/Chicago America/Winnipeg US/Central", -6 * 60, Dst::Us),
        ("America/Denver America/Edmonton US/Mountain", -7 * 60, Dst::Us),
        ("America/Phoenix", -7 * 60, Dst::None),
        ("America/Los_Angeles America/Vancouver US/Pacific", -8 * 60, Dst::Us),
        ("America/Anchorage", -9 * 60, Dst::Us),
        ("Pacific/Honolulu", -10 * 60, Dst::None),
        ("America/Mexico_City America/Bogota America/Lima", -6 * 60, Dst::None),
        ("America/Sao_Paulo America/Argentina/Buenos_Aires", -3 * 60, Dst::None),
        ("Europe/London Europe/Dublin Europe/Lisbon", 0, Dst::Eu),
        (
            "Europe/Paris Europe/Berlin Europe/Madrid Europe/Rome Europe/Amsterdam Europe/Brussels Europe/Vienna Europe/Zurich \
             Europe/Stockholm Europe/Oslo Europe/Copenhagen Europe/Warsaw Europe/Prague Europe/Budapest CET",
            60,
            Dst::Eu,
        ),
        ("Europe/Athens Europe/Helsinki Europe/Kyiv Europe/Kiev Europe/Bucharest Europe/Sofia Europe/Riga Europe/Tallinn Europe/Vilnius", 120, Dst::Eu),
        ("Europe/Moscow Europe/Istanbul Africa/Nairobi Asia/Riyadh", 180, Dst::None),
        ("Africa/Lagos", 60, Dst::None),
        ("Africa/Johannesburg", 120, Dst::None),
        ("Asia/Dubai", 240, Dst::None),
        ("Asia/Karachi", 300, Dst::None),
        ("Asia/Kolkata Asia/Calcutta", 330, Dst::None),
        ("Asia/Bangkok Asia/Jakarta Asia/Ho_Chi_Minh", 420, Dst::None),
        ("Asia/Shanghai Asia/Hong_Kong Asia/Singapore Asia/Taipei Asia/Manila Australia/Perth", 480, Dst::None),
        ("Asia/Tokyo Asia/Seoul", 540, Dst::None),
        ("Australia/Brisbane", 600, Dst::None),
        ("Australia/Adelaide", 570, Dst::Au),
        ("Australia/Sydney Australia/Melbourne Australia/Hobart Australia/Canberra", 600, Dst::Au),
    ];
    TABLE.iter().find(|(names, _, _)| names.split_whitespace().any(|n| n == name)).map(|(_, m, dst)| Zone { std: m * 60, dst: *dst })
}

impl Zone {
    pub const UTC: Zone = Zone { std: 0, dst: Dst::None };

    /// Seconds east of UTC at the instant `utc` (seconds).
    pub fn offset(&self, utc: i64) -> i64 {
        let y = crate::engine::time::civil(utc).0;
        let at = |day: i64, local_secs: i64, offset: i64| day * 86_400 + local_secs - offset;
        let summer = match self.dst {
            Dst::None => false,
            Dst::Us => at(sunday(y, 3, 2), 2 * 3600, self.std) <= utc && utc < at(sunday(y, 11, 1), 2 * 3600, self.std + 3600),
            Dst::Eu => at(sunday(y, 3, -1), 3600, 0) <= utc && utc < at(sunday(y, 10, -1), 3600, 0),
            Dst::Au => !(at(sunday(y, 4, 1), 3 * 3600, self.std + 3600) <= utc && utc < at(sunday(y, 10, 1), 2 * 3600, self.std)),
        };
        self.std + if summer { 3600 } else { 0 }
    }
}

impl Schedule {
    /// robfig's `Next`: the first activation after `after` (whole seconds
    /// later), in `zone`; `None` when there is none within five years.
    pub fn next(&self, after: crate::engine::time::Time, zone: Zone) -> Option<crate::engine::time::Time> {
        use crate::engine::time::{Time, civil};
        let secs = after.0.div_euclid(1000);
        let (minute, hour, dom, month, dow, dom_star, dow_star) = match *self {
            // ConstantDelaySchedule: at least a second, whole seconds
            Schedule::Every(ms) => {
                let delay = (ms.max(1000) / 1000) * 1000;
                return Some(Time(secs * 1000 + delay));
            }
            Schedule::Spec { minute, hour, dom, month, dow, dom_star, dow_star } => (minute, hour, dom, month, dow, dom_star, dow_star),
        };
        // the first whole minute at least a second later, as local minutes
        let start = secs + 1;
        let mut local_min = (start + zone.offset(start) + 59).div_euclid(60);
        let mut day = local_min.div_euclid(1440);
        let first_year = civil(day * 86_400).0;
        loop {
            let (y, m, d, ..) = civil(day * 86_400);
            if y > first_year + 5 {
                return None;
            }
            let wd = (day + 4).rem_euclid(7);
            let (dom_ok, dow_ok) = (dom & (1 << d) != 0, dow & (1 << wd) != 0);
            let day_ok = if dom_star || dow_star { dom_ok && dow_ok } else { dom_ok || dow_ok };
            if month & (1 << m) != 0 && day_ok {
                for mod_ in local_min - day * 1440..1440 {
                    if hour & (1 << (mod_ / 60)) != 0 && minute & (1 << (mod_ % 60)) != 0 {
                        let local = (day * 1440 + mod_) * 60;
                        // local to UTC with the offset in force then
                        let guess = local - zone.std;
                        let utc = local - zone.offset(guess);
                        if utc >= start {
                            return Some(Time(utc * 1000));
                        }
                    }
                }
            }
            day += 1;
            local_min = day * 1440;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::time::Time;

    fn at(s: &str) -> Time {
        Time::parse_rfc3339(s).unwrap()
    }

    #[test]
    fn next_activation_is_robfigs() {
        let next = |spec: &str, after: &str| parse(spec).unwrap().next(at(after), Zone::UTC).map(|t| t.rfc3339());
        assert_eq!(next("*/5 * * * *", "2026-01-05T09:02:00Z").as_deref(), Some("2026-01-05T09:05:00Z"));
        assert_eq!(next("* * * * *", "2026-01-05T09:02:00Z").as_deref(), Some("2026-01-05T09:03:00Z"));
        assert_eq!(next("* * * * *", "2026-01-05T09:02:59Z").as_deref(), Some("2026-01-05T09:03:00Z"));
        assert_eq!(next("0 0 29 2 *", "2026-01-05T09:02:00Z").as_deref(), Some("2028-02-29T00:00:00Z"));
        // day of month or day of week when neither is a star
        assert_eq!(next("0 12 13 * 5", "2026-01-05T09:02:00Z").as_deref(), Some("2026-01-09T12:00:00Z"));
        assert_eq!(next("@weekly", "2026-01-05T09:02:00Z").as_deref(), Some("2026-01-11T00:00:00Z"));
        assert_eq!(next("@every 90s", "2026-01-05T09:02:00.500Z").as_deref(), Some("2026-01-05T09:03:30Z"));
        assert_eq!(next("0 0 31 2 *", "2026-01-05T09:02:00Z"), None);
    }

    #[test]
    fn zones_follow_their_daylight_saving_rules() {
        let ny = zone("America/New_York").unwrap();
        let s = |t: &str| at(t).0 / 1000;
        assert_eq!(ny.offset(s("2026-01-05T09:00:00Z")), -5 * 3600);
        assert_eq!(ny.offset(s("2026-07-05T09:00:00Z")), -4 * 3600);
        assert_eq!(ny.offset(s("2026-03-08T06:59:59Z")), -5 * 3600);
        assert_eq!(ny.offset(s("2026-03-08T07:00:00Z")), -4 * 3600);
        let berlin = zone("Europe/Berlin").unwrap();
        assert_eq!(berlin.offset(s("2026-03-29T00:59:59Z")), 3600);
        assert_eq!(berlin.offset(s("2026-03-29T01:00:00Z")), 7200);
        assert_eq!(berlin.offset(s("2026-10-25T01:00:00Z")), 3600);
        let sydney = zone("Australia/Sydney").unwrap();
        assert_eq!(sydney.offset(s("2026-01-05T00:00:00Z")), 11 * 3600);
        assert_eq!(sydney.offset(s("2026-06-05T00:00:00Z")), 10 * 3600);
        assert_eq!(zone("Etc/GMT+5").unwrap().offset(0), -5 * 3600);
        assert_eq!(zone("Mars/Olympus"), None);
        let next = parse("0 9 * * *").unwrap().next(at("2026-07-01T00:00:00Z"), ny).unwrap();
        assert_eq!(next.rfc3339(), "2026-07-01T13:00:00Z");
    }

    #[test]
    fn schedules_parse_and_fail_as_robfig_cron_does() {
        assert!(parse("*/5 * * * *").is_ok());
        assert!(parse("0 9-17 * jan-jun mon,wed,fri").is_ok());
        assert!(parse("@hourly").is_ok());
        assert_eq!(parse("@every 90s"), Ok(Schedule::Every(90_000)));
        let Ok(Schedule::Spec { minute, .. }) = parse("*/20 * * * *") else { panic!() };
        assert_eq!(minute, 1 | 1 << 20 | 1 << 40);
        assert_eq!(parse("bad").unwrap_err(), "expected exactly 5 fields, found 1: [bad]");
        assert_eq!(parse("* * * *").unwrap_err(), "expected exactly 5 fields, found 4: [* * * *]");
        assert_eq!(parse("60 * * * *").unwrap_err(), "end of range (60) above maximum (59): 60");
        assert_eq!(parse("* * 0 * *").unwrap_err(), "beginning of range (0) below minimum (1): 0");
        assert_eq!(parse("x * * * *").unwrap_err(), "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax");
        assert_eq!(parse("5-1 * * * *").unwrap_err(), "beginning of range (5) beyond end of range (1): 5-1");
        assert_eq!(parse("*/0 * * * *").unwrap_err(), "step of range should be a positive number: */0");
        assert_eq!(parse("@fortnightly").unwrap_err(), "unrecognized descriptor: @fortnightly");
        assert_eq!(parse("").unwrap_err(), "empty spec string");
    }
}
