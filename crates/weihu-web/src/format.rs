//! One place where stored values become text for people, for the pages and the PDFs alike:
//! instants in the installation's display zone (`serve --time-zone`, default Asia/Shanghai).
//! Instants are stored in UTC; only this module decides how they read.

use std::sync::OnceLock;

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// The zone pages and documents show times in when nothing else is set.
pub const DEFAULT_DISPLAY_ZONE: &str = "Asia/Shanghai";

/// Zones offered first when a user picks one (any IANA name is accepted).
pub const COMMON_ZONES: [&str; 12] = [
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Asia/Dubai",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "UTC",
];

/// The zone a user reads times in: their own when set and known, else the installation's.
pub fn zone_for(user_zone: Option<&str>) -> TimeZone {
    user_zone
        .and_then(|z| TimeZone::get(z).ok())
        .unwrap_or_else(display_zone)
}

static DISPLAY_ZONE: OnceLock<TimeZone> = OnceLock::new();

/// Sets the installation's display zone once, at server start (later calls change nothing:
/// every page of one process reads times the same way).
pub fn set_display_zone(zone: TimeZone) {
    let _ = DISPLAY_ZONE.set(zone);
}

/// The installation's display zone.
pub fn display_zone() -> TimeZone {
    DISPLAY_ZONE
        .get_or_init(|| TimeZone::get(DEFAULT_DISPLAY_ZONE).unwrap_or(TimeZone::UTC))
        .clone()
}

/// An instant as people read it, `2026-03-04 10:00` in a zone: the typed instants records carry
/// out of the store, and RFC 3339 text from event data (anything else is shown as it is).
pub trait Shown {
    fn shown_in(&self, zone: &TimeZone) -> String;
}

impl Shown for Timestamp {
    fn shown_in(&self, zone: &TimeZone) -> String {
        self.to_zoned_datetime(zone.clone())
            .strftime("%Y-%m-%d %H:%M")
            .to_string()
    }
}

impl Shown for str {
    fn shown_in(&self, zone: &TimeZone) -> String {
        self.parse::<Timestamp>()
            .map(|t| t.shown_in(zone))
            .unwrap_or_else(|_| self.to_owned())
    }
}

impl Shown for String {
    fn shown_in(&self, zone: &TimeZone) -> String {
        self.as_str().shown_in(zone)
    }
}

/// Nothing reads as an empty cell.
impl<T: Shown> Shown for Option<T> {
    fn shown_in(&self, zone: &TimeZone) -> String {
        self.as_ref().map(|t| t.shown_in(zone)).unwrap_or_default()
    }
}

impl<T: Shown + ?Sized> Shown for &T {
    fn shown_in(&self, zone: &TimeZone) -> String {
        (**self).shown_in(zone)
    }
}

/// An instant as `2026-03-04 10:00` in `zone`.
pub fn time_in(t: impl Shown, zone: &TimeZone) -> String {
    t.shown_in(zone)
}

/// An instant in the display zone.
pub fn show_time(t: impl Shown) -> String {
    time_in(t, &display_zone())
}

/// A file's size for people: `40 B`, `12.5 KB`, `3.2 MB` (never "0 KB" for a small file).
pub fn file_size(bytes: i64) -> String {
    const KB: i64 = 1024;
    const MB: i64 = 1024 * 1024;
    if bytes < KB {
        format!("{} B", bytes.max(0))
    } else if bytes < MB {
        format!("{:.1} KB", bytes as f64 / KB as f64)
    } else {
        format!("{:.1} MB", bytes as f64 / MB as f64)
    }
}

/// A local date and time typed by a person (`2026-10-08T09:30`), read in the display zone.
pub fn local_input(text: &str) -> Option<Timestamp> {
    let dt = text.parse::<jiff::civil::DateTime>().ok()?;
    display_zone().to_timestamp(dt).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_read_in_the_zone_given() {
        let utc = "2026-10-08T01:30:00Z";
        let shanghai = TimeZone::get("Asia/Shanghai").expect("zone");
        let berlin = TimeZone::get("Europe/Berlin").expect("zone");
        assert_eq!(time_in(utc, &shanghai), "2026-10-08 09:30");
        assert_eq!(time_in(utc, &berlin), "2026-10-08 03:30");
        // Across a DST change: Berlin is UTC+1 again on 2026-10-25.
        assert_eq!(time_in("2026-10-26T01:30:00Z", &berlin), "2026-10-26 02:30");
        assert_eq!(time_in("not a time", &berlin), "not a time");
    }

    #[test]
    fn small_files_are_not_zero() {
        assert_eq!(file_size(40), "40 B");
        assert_eq!(file_size(1023), "1023 B");
        assert_eq!(file_size(1024), "1.0 KB");
        assert_eq!(file_size(12_800), "12.5 KB");
        assert_eq!(file_size(3 * 1024 * 1024 + 200 * 1024), "3.2 MB");
    }
}
