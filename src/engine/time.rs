//! Simulated time. The engine never reads a wall clock: `Time` is milliseconds
//! since the Unix epoch on the simulated clock, which starts at [`EPOCH`].

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Milliseconds.
pub type Millis = i64;

pub const SECOND: Millis = 1_000;
pub const MINUTE: Millis = 60 * SECOND;
pub const HOUR: Millis = 60 * MINUTE;
pub const DAY: Millis = 24 * HOUR;

/// The most simulated time one command lets pass (`cluster advance`,
/// `sleep`) and the longest any wait waits: a week. It is kubectl's own
/// "forever" (`kubectl delete` and `kubectl wait` without a timeout wait
/// 168h), longer than every timer the simulated control plane has (the
/// longest, the scheduler's flush of unschedulable pods and the PV
/// controller's resync, are minutes), and what the engine steps through in
/// about a second natively on an idle default cluster (a lease renewal per
/// node every 10 s: some 180,000 writes). Longer spans are asked for in
/// several commands; a share link or save with a longer single step is
/// refused.
pub const MAX_ADVANCE: Millis = 7 * DAY;

/// Whole seconds from the API (grace periods, toleration seconds, deadlines:
/// int64 fields a client may set to anything) as milliseconds, saturating
/// instead of overflowing: a deadline 2^63 s away is simply never reached.
pub fn seconds(s: i64) -> Millis {
    s.saturating_mul(SECOND)
}

/// Where every simulated cluster's clock starts: 2026-01-05T09:00:00Z.
pub const EPOCH: Millis = 1_767_603_600_000;

/// A point in simulated time (metav1.Time; serialized with second precision).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(pub Millis);

impl Time {
    /// `d` later (saturating: a deadline beyond the end of time is never reached).
    pub fn plus(self, d: Millis) -> Time {
        Time(self.0.saturating_add(d))
    }
    /// RFC 3339 with second precision, as metav1.Time marshals.
    pub fn rfc3339(self) -> String {
        let secs = self.0.div_euclid(1000);
        let (y, mo, d, h, mi, s) = civil(secs);
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    }
    /// RFC 3339 with microseconds (metav1.MicroTime, used by events and leases).
    pub fn rfc3339_micro(self) -> String {
        let secs = self.0.div_euclid(1000);
        let ms = self.0.rem_euclid(1000);
        let (y, mo, d, h, mi, s) = civil(secs);
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:06}Z", ms * 1000)
    }
    /// Go's default time.Time String() in UTC, as kubectl describe prints
    /// timestamps: `Mon, 05 Jan 2026 09:00:00 +0000`.
    pub fn rfc1123z(self) -> String {
        let secs = self.0.div_euclid(1000);
        let (y, mo, d, h, mi, s) = civil(secs);
        let days = secs.div_euclid(86_400);
        // 1970-01-01 was a Thursday.
        let wd = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][days.rem_euclid(7) as usize];
        let mon = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][(mo - 1) as usize];
        format!("{wd}, {d:02} {mon} {y:04} {h:02}:{mi:02}:{s:02} +0000")
    }
    pub fn parse_rfc3339(s: &str) -> Option<Time> {
        // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM)
        let b = s.as_bytes();
        if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || (b[10] != b'T' && b[10] != b't') {
            return None;
        }
        let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
        let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
            return None;
        }
        let mut rest = &s[19..];
        let mut ms = 0;
        if let Some(frac) = rest.strip_prefix('.') {
            let digits: String = frac.chars().take_while(|c| c.is_ascii_digit()).collect();
            if digits.is_empty() {
                return None;
            }
            let padded = format!("{digits:0<3}");
            ms = padded[..3].parse::<i64>().ok()?;
            rest = &frac[digits.len()..];
        }
        let offset = match rest {
            "Z" | "z" => 0,
            _ if rest.len() == 6 && (rest.starts_with('+') || rest.starts_with('-')) => {
                let oh = rest.get(1..3)?.parse::<i64>().ok()?;
                let om = rest.get(4..6)?.parse::<i64>().ok()?;
                let o = (oh * 60 + om) * 60;
                if rest.starts_with('-') { -o } else { o }
            }
            _ => return None,
        };
        let days = days_from_civil(y, mo, d);
        Some(Time(((days * 86_400 + h * 3600 + mi * 60 + sec) - offset) * 1000 + ms))
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rfc3339())
    }
}

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.rfc3339())
    }
}

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Time::parse_rfc3339(&s).ok_or_else(|| serde::de::Error::custom(format!("parsing time {s:?} as RFC3339")))
    }
}

/// Events and leases carry microsecond timestamps (metav1.MicroTime).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MicroTime(pub Time);

impl Serialize for MicroTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.rfc3339_micro())
    }
}

impl<'de> Deserialize<'de> for MicroTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Time::deserialize(d).map(MicroTime)
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub(crate) fn civil(secs: i64) -> (i64, i64, i64, i64, i64, i64) {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    (y, m, d, rem / 3600, (rem % 3600) / 60, rem % 60)
}

/// apimachinery's `duration.HumanDuration`: the AGE column and event ages.
pub fn human_duration(d: Millis) -> String {
    let seconds = d / 1000;
    if seconds < -1 {
        return "<invalid>".into();
    } else if d < 0 {
        return "0s".into();
    } else if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 { format!("{minutes}m") } else { format!("{minutes}m{s}s") };
    } else if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = minutes / 60;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 { format!("{hours}h") } else { format!("{hours}h{m}m") };
    } else if hours < 48 {
        return format!("{hours}h");
    } else if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 { format!("{}d", hours / 24) } else { format!("{}d{}h", hours / 24, h) };
    } else if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    } else if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        return if dy == 0 { format!("{}y", hours / 24 / 365) } else { format!("{}y{}d", hours / 24 / 365, dy) };
    }
    format!("{}y", hours / 24 / 365)
}

/// apimachinery's `duration.ShortHumanDuration`.
pub fn short_human_duration(d: Millis) -> String {
    let seconds = d / 1000;
    if seconds < -1 {
        "<invalid>".into()
    } else if d < 0 {
        "0s".into()
    } else if seconds < 60 {
        format!("{seconds}s")
    } else if seconds < 3600 {
        format!("{}m", seconds / 60)
    } else if seconds < 86_400 {
        format!("{}h", seconds / 3600)
    } else if seconds < 86_400 * 365 {
        format!("{}d", seconds / 86_400)
    } else {
        format!("{}y", seconds / 86_400 / 365)
    }
}

/// Go's `time.Duration.String()` for whole milliseconds (`1m30s`, `2.5s`, `300ms`).
pub fn go_duration(d: Millis) -> String {
    if d == 0 {
        return "0s".into();
    }
    let neg = d < 0;
    let d = d.unsigned_abs();
    let mut out = String::new();
    if d < 1000 {
        out = format!("{d}ms");
    } else {
        let h = d / 3_600_000;
        let m = (d / 60_000) % 60;
        let s = (d / 1000) % 60;
        let ms = d % 1000;
        if h > 0 {
            out.push_str(&format!("{h}h"));
        }
        if h > 0 || m > 0 {
            out.push_str(&format!("{m}m"));
        }
        if ms == 0 {
            out.push_str(&format!("{s}s"));
        } else {
            let frac = format!("{ms:03}");
            out.push_str(&format!("{s}.{}s", frac.trim_end_matches('0')));
        }
    }
    if neg { format!("-{out}") } else { out }
}

/// Why a duration was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DurationError {
    /// Not a duration at all (`soon`, `-5s`, `nan`).
    Invalid,
    /// A length of time, but not a finite one the clock can hold
    /// (`infinity`, `1e300`, `9999999999999h`).
    TooLong,
}

/// Parses a duration as `cluster advance` and `sleep` take them: `90s`,
/// `5m`, `1h30m`, `250ms`, `1.5s`, `2d`; a bare number means seconds.
/// Callers bound the result (see [`MAX_ADVANCE`]); what does not even fit
/// the clock is [`DurationError::TooLong`], never saturated.
pub fn parse_duration(s: &str) -> Result<Millis, DurationError> {
    use DurationError::*;
    let s = s.trim();
    if s.is_empty() {
        return Err(Invalid);
    }
    let finite_ms = |ms: f64| {
        if ms.is_nan() || ms < 0.0 {
            Err(Invalid)
        } else if ms > 9.0e18 {
            Err(TooLong)
        } else {
            Ok(ms.round() as Millis)
        }
    };
    // GNU sleep's word for forever; Rust's f64 parser would also take `inf`.
    if matches!(s.to_ascii_lowercase().as_str(), "inf" | "infinity" | "+inf" | "+infinity") {
        return Err(TooLong);
    }
    if s.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-')) {
        return match s.parse::<f64>() {
            Ok(n) => finite_ms(n * 1000.0),
            Err(_) => Err(Invalid),
        };
    }
    let mut total = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if num_len == 0 {
            return Err(Invalid);
        }
        let n: f64 = rest[..num_len].parse().map_err(|_| Invalid)?;
        rest = &rest[num_len..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let factor = match unit {
            "ms" => 1.0,
            "s" => 1000.0,
            "m" => 60_000.0,
            "h" => 3_600_000.0,
            "d" => 86_400_000.0,
            _ => return Err(Invalid),
        };
        total += n * factor;
    }
    finite_ms(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trip() {
        let t = Time(EPOCH);
        assert_eq!(t.rfc3339(), "2026-01-05T09:00:00Z");
        assert_eq!(Time::parse_rfc3339("2026-01-05T09:00:00Z"), Some(t));
        assert_eq!(Time::parse_rfc3339("2026-01-05T10:00:00+01:00"), Some(t));
        assert_eq!(Time(EPOCH + 1500).rfc3339_micro(), "2026-01-05T09:00:01.500000Z");
        assert_eq!(t.rfc1123z(), "Mon, 05 Jan 2026 09:00:00 +0000");
        assert_eq!(Time(0).rfc3339(), "1970-01-01T00:00:00Z");
        assert_eq!(Time::parse_rfc3339("2024-02-29T23:59:59Z").unwrap().rfc3339(), "2024-02-29T23:59:59Z");
    }

    #[test]
    fn human_durations_match_apimachinery() {
        assert_eq!(human_duration(0), "0s");
        assert_eq!(human_duration(119_999), "119s");
        assert_eq!(human_duration(2 * MINUTE), "2m");
        assert_eq!(human_duration(2 * MINUTE + 5 * SECOND), "2m5s");
        assert_eq!(human_duration(10 * MINUTE + 5 * SECOND), "10m");
        assert_eq!(human_duration(3 * HOUR + 20 * MINUTE), "3h20m");
        assert_eq!(human_duration(9 * HOUR), "9h");
        assert_eq!(human_duration(50 * HOUR), "2d2h");
        assert_eq!(human_duration(-5000), "<invalid>");
        assert_eq!(short_human_duration(90 * SECOND), "1m");
    }

    #[test]
    fn go_durations() {
        assert_eq!(go_duration(90_000), "1m30s");
        assert_eq!(go_duration(2_500), "2.5s");
        assert_eq!(go_duration(300), "300ms");
        assert_eq!(go_duration(3_600_000), "1h0m0s");
        assert_eq!(parse_duration("1h30m"), Ok(90 * MINUTE));
        assert_eq!(parse_duration("250ms"), Ok(250));
        assert_eq!(parse_duration("1.5s"), Ok(1500));
        assert_eq!(parse_duration("30"), Ok(30_000));
        assert_eq!(parse_duration("x"), Err(DurationError::Invalid));
        assert_eq!(parse_duration("2d"), Ok(2 * DAY));
    }

    /// What is not a finite duration the clock can hold is refused, not
    /// saturated (the clock once jumped to the end of i64 on `sleep infinity`).
    #[test]
    fn durations_that_are_not_lengths_of_time() {
        for s in ["infinity", "inf", "Infinity", "1e300", "9999999999999h", "1e400", "1e19", "9007199254740992000000ms"] {
            assert_eq!(parse_duration(s), Err(DurationError::TooLong), "{s}");
        }
        for s in ["nan", "NaN", "-inf", "-1", "-5s", "e", ".", "1x", "h"] {
            assert_eq!(parse_duration(s), Err(DurationError::Invalid), "{s}");
        }
        assert_eq!(parse_duration("9007199254740992ms"), Ok(9_007_199_254_740_992), "fits the clock; callers bound it");
        assert_eq!(parse_duration("1e3"), Ok(1_000_000));
        assert_eq!(Time(i64::MAX - 5).plus(10), Time(i64::MAX));
        assert_eq!(seconds(i64::MAX), i64::MAX);
        assert_eq!(seconds(-3), -3000);
    }
}
