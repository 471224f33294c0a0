//! `resource.Quantity`: parsing, comparison and the canonical string form
//! (`1536Mi`, `500m`, `1k`) that the API server stores and kubectl prints.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::cmp::Ordering;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    DecimalSI,
    BinarySI,
    DecimalExponent,
}

/// A quantity held exactly in nano-units.
#[derive(Clone, Copy, Debug, Default)]
pub struct Quantity {
    nanos: i128,
    format: Format,
}

const NANO: i128 = 1_000_000_000;

impl PartialEq for Quantity {
    fn eq(&self, o: &Self) -> bool {
        self.nanos == o.nanos
    }
}
impl Eq for Quantity {}
impl PartialOrd for Quantity {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Quantity {
    fn cmp(&self, o: &Self) -> Ordering {
        self.nanos.cmp(&o.nanos)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuantityError;

impl fmt::Display for QuantityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
    }
}

impl Quantity {
    pub fn parse(s: &str) -> Result<Quantity, QuantityError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(QuantityError);
        }
        let (neg, body) = match s.as_bytes()[0] {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        let num_end = body.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(body.len());
        let (num, suffix) = body.split_at(num_end);
        if num.is_empty() || num == "." || num.matches('.').count() > 1 {
            return Err(QuantityError);
        }
        let (int_part, frac_part) = num.split_once('.').unwrap_or((num, ""));
        // mantissa as integer with `frac_len` implied decimals
        let digits = format!("{int_part}{frac_part}");
        let digits = digits.trim_start_matches('0');
        if digits.len() > 30 {
            return Err(QuantityError);
        }
        let mantissa: i128 = if digits.is_empty() { 0 } else { digits.parse().map_err(|_| QuantityError)? };
        let frac_len = frac_part.len() as i32;
        let (format, base2, exp10): (Format, u32, i32) = match suffix {
            "" => (Format::DecimalSI, 0, 0),
            "n" => (Format::DecimalSI, 0, -9),
            "u" => (Format::DecimalSI, 0, -6),
            "m" => (Format::DecimalSI, 0, -3),
            "k" => (Format::DecimalSI, 0, 3),
            "M" => (Format::DecimalSI, 0, 6),
            "G" => (Format::DecimalSI, 0, 9),
            "T" => (Format::DecimalSI, 0, 12),
            "P" => (Format::DecimalSI, 0, 15),
            "E" => (Format::DecimalSI, 0, 18),
            "Ki" => (Format::BinarySI, 10, 0),
            "Mi" => (Format::BinarySI, 20, 0),
            "Gi" => (Format::BinarySI, 30, 0),
            "Ti" => (Format::BinarySI, 40, 0),
            "Pi" => (Format::BinarySI, 50, 0),
            "Ei" => (Format::BinarySI, 60, 0),
            _ if suffix.starts_with(['e', 'E']) => {
                let e: i32 = suffix[1..].parse().map_err(|_| QuantityError)?;
                if !(-30..=30).contains(&e) {
                    return Err(QuantityError);
                }
                (Format::DecimalExponent, 0, e)
            }
            _ => return Err(QuantityError),
        };
        // nanos = mantissa * 2^base2 * 10^(exp10 - frac_len + 9), rounded up
        let mut value = mantissa.checked_mul(1i128 << base2).ok_or(QuantityError)?;
        let shift = exp10 - frac_len + 9;
        if shift >= 0 {
            value = value.checked_mul(10i128.checked_pow(shift as u32).ok_or(QuantityError)?).ok_or(QuantityError)?;
        } else {
            let div = 10i128.checked_pow((-shift) as u32).ok_or(QuantityError)?;
            value = (value + div - 1) / div; // round up, as Quantity does below nano precision
        }
        Ok(Quantity { nanos: if neg { -value } else { value }, format })
    }

    /// `NewMilliQuantity`.
    pub fn from_milli(v: i64, format: Format) -> Quantity {
        Quantity { nanos: v as i128 * 1_000_000, format }
    }

    pub fn from_units(v: i64, format: Format) -> Quantity {
        Quantity { nanos: v as i128 * NANO, format }
    }

    pub fn is_zero(&self) -> bool {
        self.nanos == 0
    }
    pub fn format(&self) -> Format {
        self.format
    }
    /// Whole units, rounded up (`Value()`).
    pub fn value(&self) -> i64 {
        let v = if self.nanos >= 0 { (self.nanos + NANO - 1) / NANO } else { self.nanos / NANO };
        v.clamp(i64::MIN as i128, i64::MAX as i128) as i64
    }
    /// Thousandths, rounded up (`MilliValue()`).
    pub fn milli_value(&self) -> i64 {
        let v = if self.nanos >= 0 { (self.nanos + 999_999) / 1_000_000 } else { self.nanos / 1_000_000 };
        v.clamp(i64::MIN as i128, i64::MAX as i128) as i64
    }
    /// `Add`: a zero quantity takes the other's format, as in apimachinery.
    pub fn add(&self, o: &Quantity) -> Quantity {
        Quantity { nanos: self.nanos + o.nanos, format: if self.nanos == 0 { o.format } else { self.format } }
    }
    pub fn sub(&self, o: &Quantity) -> Quantity {
        Quantity { nanos: self.nanos - o.nanos, format: if self.nanos == 0 { o.format } else { self.format } }
    }

    /// The canonical string (`CanonicalizeBytes`).
    pub fn canonical(&self) -> String {
        if self.nanos == 0 {
            return "0".into();
        }
        let mut format = self.format;
        if format == Format::BinarySI {
            let whole = self.nanos % NANO == 0;
            if self.nanos.abs() < 1024 * NANO || !whole {
                format = Format::DecimalSI;
            }
        }
        let sign = if self.nanos < 0 { "-" } else { "" };
        let abs = self.nanos.abs();
        match format {
            Format::BinarySI => {
                let mut units = abs / NANO;
                let mut k = 0;
                while k < 6 && units % 1024 == 0 {
                    units /= 1024;
                    k += 1;
                }
                let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"][k];
                format!("{sign}{units}{suffix}")
            }
            Format::DecimalSI | Format::DecimalExponent => {
                // largest exponent e (multiple of 3, -9..=18) with abs divisible by 10^(e+9)
                let mut e = -9;
                let mut mant = abs;
                while e < 18 && mant % 1000 == 0 {
                    mant /= 1000;
                    e += 3;
                }
                if format == Format::DecimalExponent {
                    if e == 0 { format!("{sign}{mant}") } else { format!("{sign}{mant}e{e}") }
                } else {
                    let suffix = match e {
                        -9 => "n",
                        -6 => "u",
                        -3 => "m",
                        0 => "",
                        3 => "k",
                        6 => "M",
                        9 => "G",
                        12 => "T",
                        15 => "P",
                        _ => "E",
                    };
                    format!("{sign}{mant}{suffix}")
                }
            }
        }
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical())
    }
}

impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.canonical())
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Quantity;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a quantity")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Quantity, E> {
                Quantity::parse(s).map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Quantity, E> {
                Ok(Quantity::from_units(v, Format::DecimalSI))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Quantity, E> {
                Ok(Quantity::from_units(v as i64, Format::DecimalSI))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Quantity, E> {
                Quantity::parse(&format!("{v}")).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> String {
        Quantity::parse(s).unwrap().canonical()
    }

    #[test]
    fn canonical_forms() {
        assert_eq!(c("1Gi"), "1Gi");
        assert_eq!(c("1024Mi"), "1Gi");
        assert_eq!(c("1.5Gi"), "1536Mi");
        assert_eq!(c("1000Mi"), "1000Mi");
        assert_eq!(c("200Gi"), "200Gi");
        assert_eq!(c("0.5"), "500m");
        assert_eq!(c("100m"), "100m");
        assert_eq!(c("1000m"), "1");
        assert_eq!(c("1.5k"), "1500");
        assert_eq!(c("2000"), "2k");
        assert_eq!(c("1e3"), "1e3");
        assert_eq!(c("512"), "512");
        assert_eq!(c("0"), "0");
        assert_eq!(c("16Gi"), "16Gi");
        assert_eq!(c("110"), "110");
        assert_eq!(c("4"), "4");
    }

    #[test]
    fn ordering_and_values() {
        let a = Quantity::parse("1Gi").unwrap();
        let b = Quantity::parse("1073741824").unwrap();
        assert_eq!(a, b);
        assert!(Quantity::parse("2Gi").unwrap() > Quantity::parse("1500Mi").unwrap());
        assert_eq!(Quantity::parse("1Gi").unwrap().value(), 1 << 30);
        assert_eq!(Quantity::parse("250m").unwrap().milli_value(), 250);
        assert!(Quantity::parse("1Gx").is_err());
        assert!(Quantity::parse("abc").is_err());
        assert!(Quantity::parse("").is_err());
    }
}
