//! Virtual time: the simulator's clock, in integer nanoseconds.
//!
//! Nothing in netstep reads a wall clock; the simulator owns time and passes
//! `Instant`s in. Durations print as people read them (`1.234567s`, `200ms`)
//! and parse from what people write in scenario files (`250ms`, `2s`,
//! `1.5s`, `40us`). Leaves out: calendars, time zones, negative durations.

use core::fmt;
use core::ops::{Add, AddAssign, Sub, SubAssign};
use core::str::FromStr;

/// A point in virtual time, nanoseconds since the start of the run.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant(u64);

/// A span of virtual time in nanoseconds.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(u64);

impl Instant {
    /// The start of every run.
    pub const ZERO: Instant = Instant(0);
    /// Later than any time a run reaches: "no deadline".
    pub const MAX: Instant = Instant(u64::MAX);

    pub const fn from_nanos(ns: u64) -> Self {
        Instant(ns)
    }
    pub const fn from_micros(us: u64) -> Self {
        Instant(us.saturating_mul(1_000))
    }
    pub const fn from_millis(ms: u64) -> Self {
        Instant(ms.saturating_mul(1_000_000))
    }
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    pub const fn as_micros(self) -> u64 {
        self.0 / 1_000
    }
    /// Time elapsed since `earlier`, or zero if `earlier` is later.
    pub const fn saturating_since(self, earlier: Instant) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }
    /// As a duration since the start of the run.
    pub const fn since_start(self) -> Duration {
        Duration(self.0)
    }
}

impl Duration {
    pub const ZERO: Duration = Duration(0);
    pub const MAX: Duration = Duration(u64::MAX);

    pub const fn from_nanos(ns: u64) -> Self {
        Duration(ns)
    }
    pub const fn from_micros(us: u64) -> Self {
        Duration(us.saturating_mul(1_000))
    }
    pub const fn from_millis(ms: u64) -> Self {
        Duration(ms.saturating_mul(1_000_000))
    }
    pub const fn from_secs(s: u64) -> Self {
        Duration(s.saturating_mul(1_000_000_000))
    }
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    pub const fn as_micros(self) -> u64 {
        self.0 / 1_000
    }
    pub const fn as_millis(self) -> u64 {
        self.0 / 1_000_000
    }
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }
    pub const fn saturating_mul(self, k: u64) -> Duration {
        Duration(self.0.saturating_mul(k))
    }
    pub const fn saturating_sub(self, other: Duration) -> Duration {
        Duration(self.0.saturating_sub(other.0))
    }
    #[inline]
    pub fn min(self, other: Duration) -> Duration {
        Duration(self.0.min(other.0))
    }
    #[inline]
    pub fn max(self, other: Duration) -> Duration {
        Duration(self.0.max(other.0))
    }
    /// Seconds as a float, for display and rates only (never for ordering).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, rhs: Duration) -> Instant {
        Instant(self.0.saturating_add(rhs.0))
    }
}
impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, rhs: Duration) {
        *self = *self + rhs;
    }
}
impl Sub<Duration> for Instant {
    type Output = Instant;
    fn sub(self, rhs: Duration) -> Instant {
        Instant(self.0.saturating_sub(rhs.0))
    }
}
impl Sub<Instant> for Instant {
    type Output = Duration;
    /// Saturates at zero: virtual time never runs backwards, so a negative
    /// result is a caller's mix-up, not something to wrap.
    fn sub(self, rhs: Instant) -> Duration {
        self.saturating_since(rhs)
    }
}
impl Add for Duration {
    type Output = Duration;
    fn add(self, rhs: Duration) -> Duration {
        Duration(self.0.saturating_add(rhs.0))
    }
}
impl AddAssign for Duration {
    fn add_assign(&mut self, rhs: Duration) {
        *self = *self + rhs;
    }
}
impl Sub for Duration {
    type Output = Duration;
    fn sub(self, rhs: Duration) -> Duration {
        Duration(self.0.saturating_sub(rhs.0))
    }
}
impl SubAssign for Duration {
    fn sub_assign(&mut self, rhs: Duration) {
        *self = *self - rhs;
    }
}

/// Writes `ns` as seconds with six decimals (`1.234567s`): microseconds are
/// the finest step a reader of a ladder cares about, and a fixed width lines
/// columns up.
fn fmt_secs(ns: u64, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let secs = ns / 1_000_000_000;
    let micros = (ns % 1_000_000_000) / 1_000;
    write!(f, "{secs}.{micros:06}s")
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_secs(self.0, f)
    }
}
impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Instant({self})")
    }
}

impl fmt::Display for Duration {
    /// The shortest exact human form: `0s`, `40us`, `200ms`, `1.5s`, `2s`,
    /// falling back to nanoseconds. Round-trips through `FromStr`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = self.0;
        if ns == 0 {
            return f.write_str("0s");
        }
        for (unit, scale) in [("s", 1_000_000_000u64), ("ms", 1_000_000), ("us", 1_000)] {
            if ns >= scale {
                let whole = ns / scale;
                let frac = ns % scale;
                if frac == 0 {
                    return write!(f, "{whole}{unit}");
                }
                // Up to three decimals in this unit if they are exact.
                if frac.is_multiple_of((scale / 1000).max(1)) && scale >= 1000 {
                    let milli = frac / (scale / 1000);
                    let digits = format!("{milli:03}");
                    return write!(f, "{whole}.{}{unit}", digits.trim_end_matches('0'));
                }
            }
        }
        write!(f, "{ns}ns")
    }
}
impl fmt::Debug for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Duration({self})")
    }
}

/// Why a duration string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationParseError {
    #[error("empty duration: write a number and a unit, like `250ms` or `2s`")]
    Empty,
    #[error("`{0}` has no unit: add one of ns, us, ms, s, min (like `{0}ms`)")]
    MissingUnit(String),
    #[error("unknown unit `{unit}` in `{text}`: use ns, us, ms, s or min")]
    UnknownUnit { text: String, unit: String },
    #[error("`{0}` is not a number followed by a unit (like `250ms` or `1.5s`)")]
    BadNumber(String),
    #[error("`{0}` is finer than a nanosecond or too large")]
    OutOfRange(String),
}

impl FromStr for Duration {
    type Err = DurationParseError;

    /// Accepts `<number><unit>` with an optional space between, where the
    /// number may have a decimal fraction and the unit is one of `ns`, `us`
    /// (or `µs`), `ms`, `s`, `min`. A bare `0` is allowed: zero needs no unit.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        if text.is_empty() {
            return Err(DurationParseError::Empty);
        }
        let split = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(text.len());
        let (num, unit) = text.split_at(split);
        let unit = unit.trim();
        if num.is_empty() {
            return Err(DurationParseError::BadNumber(text.to_string()));
        }
        if unit.is_empty() {
            if num.chars().all(|c| c == '0') {
                return Ok(Duration::ZERO);
            }
            return Err(DurationParseError::MissingUnit(text.to_string()));
        }
        let scale: u64 = match unit {
            "ns" => 1,
            "us" | "µs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "min" => 60_000_000_000,
            _ => {
                return Err(DurationParseError::UnknownUnit {
                    text: text.to_string(),
                    unit: unit.to_string(),
                });
            }
        };
        let (whole, frac) = match num.split_once('.') {
            Some((w, f)) => (w, f),
            None => (num, ""),
        };
        if frac.contains('.') || (whole.is_empty() && frac.is_empty()) {
            return Err(DurationParseError::BadNumber(text.to_string()));
        }
        let whole: u64 = if whole.is_empty() {
            0
        } else {
            whole
                .parse()
                .map_err(|_| DurationParseError::OutOfRange(text.to_string()))?
        };
        let mut ns = whole
            .checked_mul(scale)
            .ok_or_else(|| DurationParseError::OutOfRange(text.to_string()))?;
        // Exact decimal arithmetic: `1.5s` is 1_500_000_000 ns, no floats.
        let mut place = scale;
        for c in frac.chars() {
            place /= 10;
            let digit = u64::from(c as u8 - b'0');
            if place == 0 {
                if digit != 0 {
                    return Err(DurationParseError::OutOfRange(text.to_string()));
                }
                continue;
            }
            ns = ns
                .checked_add(digit * place)
                .ok_or_else(|| DurationParseError::OutOfRange(text.to_string()))?;
        }
        Ok(Duration(ns))
    }
}

impl serde::Serialize for Duration {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Duration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Duration;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as \"250ms\", \"2s\" or \"1.5s\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Duration, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Duration, E> {
                if v == 0 {
                    Ok(Duration::ZERO)
                } else {
                    Err(E::custom(format!(
                        "a bare number has no unit: write \"{v}ms\" or \"{v}s\""
                    )))
                }
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Duration, E> {
                if v < 0 {
                    Err(E::custom("a duration cannot be negative"))
                } else {
                    self.visit_u64(v as u64)
                }
            }
        }
        d.deserialize_any(V)
    }
}

impl serde::Serialize for Instant {
    /// Instants serialise as integer nanoseconds: exact and easy for other
    /// tools to read (`time_ns` in the JSON export).
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Instant {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        u64::deserialize(d).map(Instant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_print_as_seconds_with_micros() {
        assert_eq!(Instant::from_nanos(1_234_567_890).to_string(), "1.234567s");
        assert_eq!(Instant::ZERO.to_string(), "0.000000s");
    }

    #[test]
    fn durations_parse_as_people_write_them() {
        assert_eq!("250ms".parse(), Ok(Duration::from_millis(250)));
        assert_eq!("2s".parse(), Ok(Duration::from_secs(2)));
        assert_eq!("1.5s".parse(), Ok(Duration::from_millis(1500)));
        assert_eq!("40us".parse(), Ok(Duration::from_micros(40)));
        assert_eq!("0.2 s".parse(), Ok(Duration::from_millis(200)));
        assert_eq!("3min".parse(), Ok(Duration::from_secs(180)));
        assert_eq!("0".parse(), Ok(Duration::ZERO));
        assert_eq!(".5ms".parse(), Ok(Duration::from_micros(500)));
    }

    #[test]
    fn bad_durations_say_what_to_do() {
        assert!(matches!(
            "".parse::<Duration>(),
            Err(DurationParseError::Empty)
        ));
        assert!(matches!(
            "250".parse::<Duration>(),
            Err(DurationParseError::MissingUnit(_))
        ));
        assert!(matches!(
            "2h".parse::<Duration>(),
            Err(DurationParseError::UnknownUnit { .. })
        ));
        assert!(matches!(
            "ms".parse::<Duration>(),
            Err(DurationParseError::BadNumber(_))
        ));
        assert!(matches!(
            "1.2.3s".parse::<Duration>(),
            Err(DurationParseError::BadNumber(_))
        ));
        assert!(matches!(
            "0.0000000001s".parse::<Duration>(),
            Err(DurationParseError::OutOfRange(_))
        ));
        assert!(matches!(
            "99999999999999999999s".parse::<Duration>(),
            Err(DurationParseError::OutOfRange(_))
        ));
        assert!("-1s".parse::<Duration>().is_err());
    }

    #[test]
    fn durations_print_in_their_shortest_exact_form_and_round_trip() {
        for (d, s) in [
            (Duration::ZERO, "0s"),
            (Duration::from_millis(200), "200ms"),
            (Duration::from_millis(1500), "1.5s"),
            (Duration::from_secs(2), "2s"),
            (Duration::from_micros(40), "40us"),
            (Duration::from_nanos(7), "7ns"),
            (Duration::from_nanos(1_234_567_891), "1234567.891us"),
            (Duration::from_nanos(1_000_000_001), "1000000.001us"),
        ] {
            assert_eq!(d.to_string(), s);
            assert_eq!(s.parse::<Duration>(), Ok(d), "{s}");
        }
    }

    #[test]
    fn arithmetic_saturates_instead_of_wrapping() {
        let t = Instant::from_millis(5);
        assert_eq!(t - Instant::from_millis(7), Duration::ZERO);
        assert_eq!(Instant::MAX + Duration::from_secs(1), Instant::MAX);
        assert_eq!(t + Duration::from_millis(1), Instant::from_millis(6));
    }
}
