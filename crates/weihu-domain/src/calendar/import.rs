//! Holiday import from CSV (`date,kind[,as][,name]`) and iCalendar (`.ics`, all-day VEVENTs).
//! Both parsers are hand-written, never panic, and report errors with 1-based line numbers.

use jiff::civil::{Date, Weekday};

use super::parse_weekday;
use super::zone::{MAX_DAY, MIN_DAY, date_of_day, day_number};

/// Most days one import may produce.
pub const MAX_IMPORTED_DAYS: usize = 20_000;

/// Whether an imported date is a holiday or a make-up working day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportedKind {
    /// No service on the date.
    Holiday,
    /// Make-up working day following the schedule of `as_weekday`.
    Workday {
        /// The weekday whose schedule applies.
        as_weekday: Weekday,
    },
}

/// One imported date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedDay {
    /// The local date.
    pub date: Date,
    /// Holiday or make-up working day.
    pub kind: ImportedKind,
    /// Optional label.
    pub name: Option<String>,
}

/// An import error at a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ImportError {
    /// 1-based line number in the input.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

fn err(line: usize, message: impl Into<String>) -> ImportError {
    ImportError {
        line,
        message: message.into(),
    }
}

fn parse_iso_date(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let d: Date = s.parse().ok()?;
    (MIN_DAY..MAX_DAY).contains(&day_number(d)).then_some(d)
}

/// Splits one CSV line into fields, honouring `"quoted, fields"` with `""` escapes.
fn csv_fields(line: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cur.push(c),
            (false, '"') if cur.trim().is_empty() => {
                cur.clear();
                quoted = true;
            }
            (false, ',') => out.push(std::mem::take(&mut cur).trim().to_string()),
            (false, c) => cur.push(c),
        }
    }
    if quoted {
        return None;
    }
    out.push(cur.trim().to_string());
    Some(out)
}

/// Parses CSV rows `date,kind[,as][,name]` (kind `holiday` or `workday`; `as` defaults to
/// `mon`). A header row starting with `date`, blank lines and `#` comments are skipped.
pub fn parse_csv(text: &str) -> Result<Vec<ImportedDay>, ImportError> {
    let mut out = Vec::new();
    let mut first = true;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim_start_matches('\u{feff}').trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields = csv_fields(line).ok_or_else(|| err(line_no, "unterminated quoted field"))?;
        if first {
            first = false;
            if fields
                .first()
                .is_some_and(|f| f.eq_ignore_ascii_case("date"))
            {
                continue;
            }
        }
        if fields.len() < 2 || fields.len() > 4 {
            return Err(err(line_no, "expected date,kind[,as][,name]"));
        }
        let date = parse_iso_date(&fields[0]).ok_or_else(|| {
            err(
                line_no,
                format!(
                    "invalid date {:?}, expected YYYY-MM-DD (1900–2199)",
                    fields[0]
                ),
            )
        })?;
        let as_field = fields.get(2).map(String::as_str).unwrap_or("");
        let kind = match fields[1].to_ascii_lowercase().as_str() {
            "holiday" => {
                if !as_field.is_empty() {
                    return Err(err(line_no, "a holiday takes no 'as' weekday"));
                }
                ImportedKind::Holiday
            }
            "workday" => {
                let as_weekday = if as_field.is_empty() {
                    Weekday::Monday
                } else {
                    parse_weekday(as_field).ok_or_else(|| {
                        err(
                            line_no,
                            format!("invalid weekday {as_field:?}, expected mon…sun"),
                        )
                    })?
                };
                ImportedKind::Workday { as_weekday }
            }
            other => {
                return Err(err(
                    line_no,
                    format!("invalid kind {other:?}, expected holiday or workday"),
                ));
            }
        };
        let name = fields.get(3).filter(|n| !n.is_empty()).cloned();
        if name.as_ref().is_some_and(|n| n.chars().count() > 200) {
            return Err(err(line_no, "name longer than 200 characters"));
        }
        out.push(ImportedDay { date, kind, name });
        if out.len() > MAX_IMPORTED_DAYS {
            return Err(err(line_no, format!("more than {MAX_IMPORTED_DAYS} days")));
        }
    }
    Ok(out)
}

/// An ICS `YYYYMMDD` (optionally followed by `T…`) date value.
fn ics_date(value: &str) -> Option<Date> {
    let v = value.trim();
    let digits = v.get(..8)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) || !(v.len() == 8 || v[8..].starts_with('T')) {
        return None;
    }
    let y: i16 = digits[..4].parse().ok()?;
    let m: i8 = digits[4..6].parse().ok()?;
    let d: i8 = digits[6..].parse().ok()?;
    let date = Date::new(y, m, d).ok()?;
    (MIN_DAY..MAX_DAY)
        .contains(&day_number(date))
        .then_some(date)
}

fn ics_unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => out.push(' '),
                Some(o) => out.push(o),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out.trim().to_string()
}

/// Whether an event summary marks a make-up working day (班, 补班, 调休上班, "working day").
fn is_workday_summary(summary: &str) -> bool {
    let lower = summary.to_lowercase();
    summary.contains('班') || lower.contains("working day") || lower.contains("workday")
}

#[derive(Default)]
struct Event {
    line: usize,
    start: Option<Date>,
    end: Option<Date>,
    summary: Option<String>,
}

/// Parses all-day VEVENTs of an iCalendar file: `DTSTART;VALUE=DATE` with an exclusive
/// `DTEND` (multi-day allowed; one day if absent). An event whose SUMMARY contains 班 (补班,
/// 调休上班) or "working day" is a make-up day as Monday; others are holidays. Folded lines are
/// unfolded; components other than VEVENT (VALARM, VTIMEZONE…) and RRULEs are ignored.
pub fn parse_ics(text: &str) -> Result<Vec<ImportedDay>, ImportError> {
    // Unfold: a line starting with a space or tab continues the previous one.
    let mut lines: Vec<(usize, String)> = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let raw = if i == 0 {
            raw.trim_start_matches('\u{feff}')
        } else {
            raw
        };
        if let Some(rest) = raw.strip_prefix([' ', '\t']) {
            match lines.last_mut() {
                Some(last) => last.1.push_str(rest),
                None => return Err(err(i + 1, "continuation line before any property")),
            }
        } else if !raw.trim().is_empty() {
            lines.push((i + 1, raw.to_string()));
        }
    }
    let mut stack: Vec<String> = Vec::new();
    let mut seen_calendar = false;
    let mut event: Option<Event> = None;
    let mut out = Vec::new();
    for (line_no, line) in lines {
        let (head, value) = line
            .split_once(':')
            .ok_or_else(|| err(line_no, "expected NAME[;PARAMS]:VALUE"))?;
        // Parameters (e.g. `VALUE=DATE`, `TZID=…`) are ignored: only the date part is used.
        let name = head
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_uppercase();
        match name.as_str() {
            "BEGIN" => {
                let comp = value.trim().to_ascii_uppercase();
                if stack.is_empty() && comp != "VCALENDAR" {
                    return Err(err(
                        line_no,
                        "not an iCalendar file: expected BEGIN:VCALENDAR",
                    ));
                }
                if comp == "VCALENDAR" {
                    if !stack.is_empty() {
                        return Err(err(line_no, "nested VCALENDAR"));
                    }
                    seen_calendar = true;
                }
                if comp == "VEVENT" && stack.len() == 1 {
                    event = Some(Event {
                        line: line_no,
                        ..Event::default()
                    });
                }
                if stack.len() > 16 {
                    return Err(err(line_no, "components nested too deeply"));
                }
                stack.push(comp);
            }
            "END" => {
                let comp = value.trim().to_ascii_uppercase();
                if stack.last() != Some(&comp) {
                    return Err(err(
                        line_no,
                        format!("END:{comp} does not match the open component"),
                    ));
                }
                stack.pop();
                if comp == "VEVENT"
                    && stack.len() == 1
                    && let Some(ev) = event.take()
                {
                    push_event(&mut out, ev)?;
                    if out.len() > MAX_IMPORTED_DAYS {
                        return Err(err(line_no, format!("more than {MAX_IMPORTED_DAYS} days")));
                    }
                }
            }
            _ if stack.is_empty() => {
                return Err(err(
                    line_no,
                    "not an iCalendar file: expected BEGIN:VCALENDAR",
                ));
            }
            "DTSTART" | "DTEND" if stack.last().is_some_and(|c| c == "VEVENT") => {
                let date = ics_date(value).ok_or_else(|| {
                    err(
                        line_no,
                        format!("invalid {name} {:?}, expected YYYYMMDD", value.trim()),
                    )
                })?;
                if let Some(ev) = event.as_mut() {
                    if name == "DTSTART" {
                        ev.start = Some(date)
                    } else {
                        ev.end = Some(date)
                    }
                }
            }
            "SUMMARY" if stack.last().is_some_and(|c| c == "VEVENT") => {
                if let Some(ev) = event.as_mut() {
                    ev.summary = Some(ics_unescape(value));
                }
            }
            _ => {}
        }
    }
    if !seen_calendar {
        return Err(err(1, "not an iCalendar file: expected BEGIN:VCALENDAR"));
    }
    if let Some(open) = stack.last() {
        return Err(err(
            text.lines().count().max(1),
            format!("unterminated {open}"),
        ));
    }
    Ok(out)
}

fn push_event(out: &mut Vec<ImportedDay>, ev: Event) -> Result<(), ImportError> {
    let start = ev
        .start
        .ok_or_else(|| err(ev.line, "VEVENT without DTSTART"))?;
    let first = day_number(start);
    let end = ev.end.map_or(first + 1, day_number);
    if end <= first {
        return Err(err(ev.line, "DTEND must be after DTSTART"));
    }
    if end - first > 366 {
        return Err(err(ev.line, "event longer than 366 days"));
    }
    let summary = ev.summary.filter(|s| !s.is_empty());
    let kind = if summary.as_deref().is_some_and(is_workday_summary) {
        ImportedKind::Workday {
            as_weekday: Weekday::Monday,
        }
    } else {
        ImportedKind::Holiday
    };
    for day in first..end {
        if let Some(date) = date_of_day(day) {
            out.push(ImportedDay {
                date,
                kind,
                name: summary.clone(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn csv_with_header_and_defaults() {
        let text = "date,kind,as,name\n2026-10-01,holiday,,国庆节\n\n# comment\n2026-10-10,workday\n2026-10-11,WORKDAY,fri,\"补班, 周日\"\n";
        let days = parse_csv(text).expect("valid");
        assert_eq!(days.len(), 3);
        assert_eq!(
            days[0],
            ImportedDay {
                date: date(2026, 10, 1),
                kind: ImportedKind::Holiday,
                name: Some("国庆节".into())
            }
        );
        assert_eq!(
            days[1].kind,
            ImportedKind::Workday {
                as_weekday: Weekday::Monday
            }
        );
        assert_eq!(
            days[2].kind,
            ImportedKind::Workday {
                as_weekday: Weekday::Friday
            }
        );
        assert_eq!(days[2].name.as_deref(), Some("补班, 周日"));
        assert_eq!(parse_csv("2026-01-01,holiday").expect("no header").len(), 1);
    }

    #[test]
    fn csv_errors_have_line_numbers() {
        let cases = [
            ("date,kind\n2026-13-01,holiday", 2),
            ("2026-01-01,holiday\n2026-01-02,party", 2),
            ("2026-01-01", 1),
            ("\n\n2026-01-01,workday,funday", 3),
            ("2026-01-01,holiday,mon", 1),
            ("2026-01-01,holiday,,\"open", 1),
            ("a,b,c,d,e", 1),
            ("\u{0}\u{1}garbage,,,", 1),
        ];
        for (text, line) in cases {
            let e = parse_csv(text)
                .err()
                .unwrap_or_else(|| panic!("expected error for {text:?}"));
            assert_eq!(e.line, line, "{text:?}: {e}");
        }
    }

    const ICS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261001\r\nDTEND;VALUE=DATE:20261008\r\nSUMMARY:国庆\r\n 节\r\nBEGIN:VALARM\r\nDTSTART:19990101\r\nEND:VALARM\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261010\r\nSUMMARY:国庆节调休上班\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261226\r\nSUMMARY:Working day\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn ics_multi_day_folded_and_workdays() {
        let days = parse_ics(ICS).expect("valid");
        assert_eq!(days.len(), 9);
        assert!(
            days[..7]
                .iter()
                .all(|d| d.kind == ImportedKind::Holiday && d.name.as_deref() == Some("国庆节"))
        );
        assert_eq!(days[6].date, date(2026, 10, 7));
        assert_eq!(days[7].date, date(2026, 10, 10));
        assert_eq!(
            days[7].kind,
            ImportedKind::Workday {
                as_weekday: Weekday::Monday
            }
        );
        assert_eq!(
            days[8].kind,
            ImportedKind::Workday {
                as_weekday: Weekday::Monday
            }
        );
    }

    #[test]
    fn ics_garbage_is_an_error_with_a_line() {
        let cases: [(&str, usize); 8] = [
            ("hello world", 1),
            ("", 1),
            (
                "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:2026-10-01\nEND:VEVENT\nEND:VCALENDAR",
                3,
            ),
            (
                "BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT\nEND:VCALENDAR",
                2,
            ),
            (
                "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261001\nDTEND;VALUE=DATE:20260901\nEND:VEVENT\nEND:VCALENDAR",
                2,
            ),
            (
                "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261001\n",
                3,
            ),
            ("BEGIN:VCALENDAR\nEND:VEVENT", 2),
            (" folded first\nBEGIN:VCALENDAR", 1),
        ];
        for (text, line) in cases {
            let e = parse_ics(text)
                .err()
                .unwrap_or_else(|| panic!("expected error for {text:?}"));
            assert_eq!(e.line, line, "{text:?}: {e}");
        }
        // Arbitrary bytes never panic.
        for text in [
            "\u{feff}BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:2\u{e9}26\n",
            "::::\n;;;",
            "BEGIN:\nEND:",
        ] {
            let _ = parse_ics(text);
            let _ = parse_csv(text);
        }
    }
}
