//! Expiry: every item states until when it may be collected (`expires = "YYYY-MM-DD"`, a product
//! version, or `"never"`), and [`crate::check_at`] turns a passed date or a reached version into an error
//! and an expiry that is close into a warning.
//!
//! Expiry depends on the day and the product version, so it is kept out of [`crate::check`]
//! (which must give the same answer for the same bytes, for generators and snapshots) and is
//! applied by [`crate::check_at`], which `telemetry-spec check` and build.rs call.

use std::fmt;

use crate::diagnostic::{Code, Diagnostic};
use crate::model::{Expiry, ValidSpec};

/// A calendar day (proleptic Gregorian, UTC), the only precision an expiry needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// Parses exactly `YYYY-MM-DD` with a day that exists in that month.
    pub fn parse(text: &str) -> Option<Date> {
        let bytes = text.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return None;
        }
        let digits = |r: std::ops::Range<usize>| {
            let part = text.get(r)?;
            part.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| part.parse::<u32>().ok())
                .flatten()
        };
        let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
        let year = i32::try_from(year).ok()?;
        let valid = (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month);
        valid.then_some(Date { year, month, day })
    }

    /// Days since 1970-01-01 (negative before), for distances between dates.
    pub fn days(self) -> i64 {
        // Howard Hinnant's days_from_civil: exact for every Gregorian date, no tables.
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01.
    pub fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Date {
            year: i32::try_from(year).unwrap_or(i32::MAX),
            month: u32::try_from(month).unwrap_or(1),
            day: u32::try_from(day).unwrap_or(1),
        }
    }

    /// Today in UTC, from the system clock (a clock before 1970 counts as 1970-01-01).
    pub fn today_utc() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Date::from_days(i64::try_from(secs / 86_400).unwrap_or(0))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// How many days before its date an item starts to warn.
pub const WARN_DAYS: i64 = 30;

/// The moment an expiry is judged at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct At {
    pub today: Date,
    /// The product version being built or released; version expiries are only judged when it is
    /// known, because the spec alone cannot tell which version will ship.
    pub product_version: Option<String>,
}

impl At {
    /// The real UTC date, and no product version.
    pub fn now() -> At {
        At {
            today: Date::today_utc(),
            product_version: None,
        }
    }
}

/// The numeric `MAJOR.MINOR.PATCH` core of a semantic version (pre-release and build ignored).
fn core(version: &str) -> Option<(u64, u64, u64)> {
    let v = version.split(['-', '+']).next()?;
    let mut parts = v.split('.').map(|p| p.parse::<u64>().ok());
    let (a, b, c) = (parts.next()??, parts.next()??, parts.next()??);
    Some((a, b, c))
}

/// Errors for expired items and warnings for items that expire within [`WARN_DAYS`] days or
/// within one minor version (of the same major version).
pub(crate) fn check(spec: &ValidSpec, at: &At) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let renew = "renew it: get the item reviewed again and set a later `expires` (a date, a version, or \"never\" with a `purpose`)";
    let remove = "or remove it: set `status = \"removed\"` and `removed-in = \"<the version that stops sending it>\"`";
    for item in &spec.items {
        let span = item.spans.expires.span();
        let (expired, soon) = match &item.expires {
            Expiry::Never => continue,
            Expiry::Date(date) => {
                let left = date.days() - at.today.days();
                (
                    (left <= 0).then(|| {
                        format!(
                            "item `{}` expired on {date} (today is {})",
                            item.id, at.today
                        )
                    }),
                    (left > 0 && left <= WARN_DAYS)
                        .then(|| format!("item `{}` expires on {date}, in {left} day(s)", item.id)),
                )
            }
            Expiry::Version(version) => {
                let (Some(current), Some(until)) =
                    (at.product_version.as_deref().and_then(core), core(version))
                else {
                    continue;
                };
                let shown = at.product_version.as_deref().unwrap_or_default();
                let next_minor = (current.0, current.1 + 1, 0);
                (
                    (current >= until).then(|| {
                        format!(
                            "item `{}` expired with version {version} (the product version is {shown})",
                            item.id
                        )
                    }),
                    (current < until && next_minor >= until).then(|| {
                        format!(
                            "item `{}` expires with version {version}, the next minor version after {shown}",
                            item.id
                        )
                    }),
                )
            }
        };
        if let Some(message) = expired {
            out.push(
                Diagnostic::new(Code::Expired, span, message)
                    .with_help(renew)
                    .with_help(remove),
            );
        } else if let Some(message) = soon
            && !item.allows(Code::ExpiresSoon)
        {
            out.push(
                Diagnostic::new(Code::ExpiresSoon, span, message)
                    .with_help(renew)
                    .with_help(remove),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_strictly() {
        assert_eq!(
            Date::parse("2024-02-29"),
            Some(Date {
                year: 2024,
                month: 2,
                day: 29
            })
        );
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-1-01",
            "24-01-01",
            "2024-01-00",
            "+024-01-01",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn days_round_trip_across_eras() {
        for text in [
            "1970-01-01",
            "2000-02-29",
            "1969-12-31",
            "2100-03-01",
            "2038-01-19",
        ] {
            let date = Date::parse(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(Date::from_days(date.days()), date, "{text}");
        }
        assert_eq!(Date::parse("1970-01-02").map(Date::days), Some(1));
        assert_eq!(Date::parse("2000-03-01").map(Date::days), Some(11_017));
    }

    #[test]
    fn the_clock_gives_a_plausible_day() {
        assert!(Date::today_utc().year >= 2024);
    }

    #[test]
    fn versions_compare_by_their_numeric_core() {
        assert_eq!(core("3.15.0-rc.1"), Some((3, 15, 0)));
        assert!(core("3.9.0") < core("3.10.0"));
        assert_eq!(core("3.x"), None);
    }
}
