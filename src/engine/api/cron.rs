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

#[cfg(test)]
mod tests {
    use super::*;

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
