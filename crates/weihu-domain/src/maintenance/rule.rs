//! The schedule rule of a maintenance plan: a subset of the iCalendar RRULE (RFC 5545 §3.3.10)
//! and `X-WORKDAY`, the N-th working day of the month in the plan's calendar, which is how
//! Chinese contracts say it (每月第二个工作日).
//!
//! Accepted: `FREQ=WEEKLY|MONTHLY|YEARLY`, `INTERVAL`, `BYDAY` (ordinals such as `2TU` or `-1FR`
//! for monthly rules, and for yearly rules that name their months), `BYMONTHDAY` (negative: from
//! the month's end), `BYMONTH`, `BYSETPOS`, `X-WORKDAY`, and `WKST=MO`. A series has no end of its
//! own (`COUNT`, `UNTIL` are refused): a plan's dates are asked for a range. Anything else is
//! refused naming the part, never ignored.

use jiff::civil::Weekday;

/// Longest rule text accepted.
pub const MAX_RULE_LEN: usize = 500;
/// Most values in one list (`BYDAY`, `BYMONTHDAY`, `BYMONTH`, `BYSETPOS`).
pub const MAX_LIST: usize = 31;
/// Largest `INTERVAL`.
pub const MAX_INTERVAL: u32 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freq {
    Weekly,
    Monthly,
    Yearly,
}

/// A parsed rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub freq: Freq,
    pub interval: u32,
    /// Weekdays, with an ordinal within the month (1…5, −1…−5) where given.
    pub by_day: Vec<(Option<i8>, Weekday)>,
    /// Days of the month, 1…31 or −31…−1.
    pub by_month_day: Vec<i8>,
    /// Months, 1…12.
    pub by_month: Vec<i8>,
    /// Positions in each period's set of dates, 1…366 or −366…−1.
    pub by_set_pos: Vec<i16>,
    /// The N-th working day of the month (negative: from the month's end).
    pub workday: Option<i8>,
}

/// Why a rule is refused: the part and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{part}: {message}")]
pub struct RuleError {
    pub part: String,
    pub message: String,
}

fn bad(part: &str, message: impl Into<String>) -> RuleError {
    RuleError {
        part: part.to_owned(),
        message: message.into(),
    }
}

fn weekday(code: &str) -> Option<Weekday> {
    Some(match code {
        "MO" => Weekday::Monday,
        "TU" => Weekday::Tuesday,
        "WE" => Weekday::Wednesday,
        "TH" => Weekday::Thursday,
        "FR" => Weekday::Friday,
        "SA" => Weekday::Saturday,
        "SU" => Weekday::Sunday,
        _ => return None,
    })
}

/// The RRULE code of a weekday.
pub fn weekday_code(w: Weekday) -> &'static str {
    match w {
        Weekday::Monday => "MO",
        Weekday::Tuesday => "TU",
        Weekday::Wednesday => "WE",
        Weekday::Thursday => "TH",
        Weekday::Friday => "FR",
        Weekday::Saturday => "SA",
        Weekday::Sunday => "SU",
    }
}

fn list<'a>(part: &str, v: &'a str) -> Result<Vec<&'a str>, RuleError> {
    let items: Vec<&str> = v.split(',').map(str::trim).collect();
    if items.iter().any(|i| i.is_empty()) {
        return Err(bad(part, "an empty value in the list"));
    }
    if items.len() > MAX_LIST {
        return Err(bad(part, format!("at most {MAX_LIST} values")));
    }
    Ok(items)
}

fn signed(part: &str, v: &str, max: i32) -> Result<i32, RuleError> {
    let n: i32 = v
        .parse()
        .map_err(|_| bad(part, format!("{v:?} is not a whole number")))?;
    if n == 0 || n.abs() > max {
        return Err(bad(part, format!("must be 1 to {max} or -{max} to -1")));
    }
    Ok(n)
}

impl Rule {
    /// Parses `FREQ=…;…` (an `RRULE:` prefix is allowed; names are case-insensitive).
    pub fn parse(text: &str) -> Result<Rule, RuleError> {
        if text.len() > MAX_RULE_LEN {
            return Err(bad("rule", format!("at most {MAX_RULE_LEN} characters")));
        }
        let upper = text.trim().to_ascii_uppercase();
        let body = upper.strip_prefix("RRULE:").unwrap_or(&upper);
        if body.is_empty() {
            return Err(bad("rule", "is empty"));
        }
        let mut freq = None;
        let mut rule = Rule {
            freq: Freq::Monthly,
            interval: 1,
            by_day: Vec::new(),
            by_month_day: Vec::new(),
            by_month: Vec::new(),
            by_set_pos: Vec::new(),
            workday: None,
        };
        let mut seen: Vec<&str> = Vec::new();
        for part in body.split(';').filter(|p| !p.trim().is_empty()) {
            let (name, value) = part
                .split_once('=')
                .map(|(n, v)| (n.trim(), v.trim()))
                .ok_or_else(|| bad(part.trim(), "write NAME=VALUE"))?;
            if seen.contains(&name) {
                return Err(bad(name, "given twice"));
            }
            seen.push(name);
            match name {
                "FREQ" => {
                    freq = Some(match value {
                        "WEEKLY" => Freq::Weekly,
                        "MONTHLY" => Freq::Monthly,
                        "YEARLY" => Freq::Yearly,
                        _ => return Err(bad("FREQ", "must be one of: WEEKLY, MONTHLY, YEARLY")),
                    })
                }
                "INTERVAL" => {
                    rule.interval = value
                        .parse()
                        .ok()
                        .filter(|n| (1..=MAX_INTERVAL).contains(n))
                        .ok_or_else(|| bad("INTERVAL", format!("must be 1 to {MAX_INTERVAL}")))?;
                }
                "BYDAY" => {
                    for item in list("BYDAY", value)? {
                        let split = item.len().saturating_sub(2);
                        let (ord, code) = item.split_at(split);
                        let wd = weekday(code).ok_or_else(|| {
                            bad(
                                "BYDAY",
                                format!("{item:?}: a weekday is MO, TU, WE, TH, FR, SA or SU"),
                            )
                        })?;
                        let ord = if ord.is_empty() {
                            None
                        } else {
                            let n = signed("BYDAY", ord.trim_start_matches('+'), 5)?;
                            Some(
                                i8::try_from(n)
                                    .map_err(|_| bad("BYDAY", "ordinal out of range"))?,
                            )
                        };
                        rule.by_day.push((ord, wd));
                    }
                }
                "BYMONTHDAY" => {
                    for item in list("BYMONTHDAY", value)? {
                        let n = signed("BYMONTHDAY", item, 31)?;
                        rule.by_month_day
                            .push(i8::try_from(n).map_err(|_| bad("BYMONTHDAY", "out of range"))?);
                    }
                }
                "BYMONTH" => {
                    for item in list("BYMONTH", value)? {
                        let n: i8 = item
                            .parse()
                            .ok()
                            .filter(|n| (1..=12).contains(n))
                            .ok_or_else(|| bad("BYMONTH", "a month is 1 to 12"))?;
                        rule.by_month.push(n);
                    }
                }
                "BYSETPOS" => {
                    for item in list("BYSETPOS", value)? {
                        let n = signed("BYSETPOS", item, 366)?;
                        rule.by_set_pos
                            .push(i16::try_from(n).map_err(|_| bad("BYSETPOS", "out of range"))?);
                    }
                }
                "X-WORKDAY" => {
                    let n = signed("X-WORKDAY", value, 31)?;
                    rule.workday =
                        Some(i8::try_from(n).map_err(|_| bad("X-WORKDAY", "out of range"))?);
                }
                "WKST" => {
                    if value != "MO" {
                        return Err(bad("WKST", "weeks start on Monday (WKST=MO)"));
                    }
                }
                "COUNT" | "UNTIL" => {
                    return Err(bad(
                        name,
                        "a plan's series has no end of its own; its dates are asked for a range",
                    ));
                }
                other => {
                    return Err(bad(
                        other,
                        "not supported (FREQ, INTERVAL, BYDAY, BYMONTHDAY, BYMONTH, BYSETPOS, X-WORKDAY, WKST)",
                    ));
                }
            }
        }
        rule.freq = freq.ok_or_else(|| bad("FREQ", "is required"))?;
        rule.check()?;
        Ok(rule)
    }

    /// Combinations the subset does not define.
    fn check(&self) -> Result<(), RuleError> {
        let ordinals = self.by_day.iter().any(|(o, _)| o.is_some());
        match self.freq {
            Freq::Weekly => {
                if ordinals {
                    return Err(bad(
                        "BYDAY",
                        "a weekly rule takes weekdays without ordinals",
                    ));
                }
                if !self.by_month_day.is_empty() {
                    return Err(bad("BYMONTHDAY", "not with FREQ=WEEKLY"));
                }
                if self.workday.is_some() {
                    return Err(bad(
                        "X-WORKDAY",
                        "not with FREQ=WEEKLY (it counts a month's working days)",
                    ));
                }
            }
            Freq::Monthly => {}
            Freq::Yearly => {
                if !self.by_day.is_empty() && self.by_month.is_empty() {
                    return Err(bad(
                        "BYDAY",
                        "a yearly rule with weekdays names its months (BYMONTH)",
                    ));
                }
            }
        }
        if self.workday.is_some() && (!self.by_day.is_empty() || !self.by_month_day.is_empty()) {
            return Err(bad("X-WORKDAY", "not together with BYDAY or BYMONTHDAY"));
        }
        if ordinals && !self.by_month_day.is_empty() {
            return Err(bad("BYDAY", "ordinals are not combined with BYMONTHDAY"));
        }
        Ok(())
    }
}

impl std::fmt::Display for Rule {
    /// The canonical text, as a plan stores it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let freq = match self.freq {
            Freq::Weekly => "WEEKLY",
            Freq::Monthly => "MONTHLY",
            Freq::Yearly => "YEARLY",
        };
        write!(f, "FREQ={freq}")?;
        if self.interval != 1 {
            write!(f, ";INTERVAL={}", self.interval)?;
        }
        let join = |v: Vec<String>| v.join(",");
        if !self.by_month.is_empty() {
            write!(
                f,
                ";BYMONTH={}",
                join(self.by_month.iter().map(i8::to_string).collect())
            )?;
        }
        if !self.by_month_day.is_empty() {
            write!(
                f,
                ";BYMONTHDAY={}",
                join(self.by_month_day.iter().map(i8::to_string).collect())
            )?;
        }
        if !self.by_day.is_empty() {
            let days = self
                .by_day
                .iter()
                .map(|(o, w)| {
                    format!(
                        "{}{}",
                        o.map(|o| o.to_string()).unwrap_or_default(),
                        weekday_code(*w)
                    )
                })
                .collect();
            write!(f, ";BYDAY={}", join(days))?;
        }
        if !self.by_set_pos.is_empty() {
            write!(
                f,
                ";BYSETPOS={}",
                join(self.by_set_pos.iter().map(i16::to_string).collect())
            )?;
        }
        if let Some(n) = self.workday {
            write!(f, ";X-WORKDAY={n}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_subset_and_prints_it_back() {
        for (text, canonical) in [
            ("FREQ=MONTHLY;BYDAY=2TU", "FREQ=MONTHLY;BYDAY=2TU"),
            ("rrule:freq=monthly;x-workday=2", "FREQ=MONTHLY;X-WORKDAY=2"),
            ("FREQ=MONTHLY;X-WORKDAY=-1", "FREQ=MONTHLY;X-WORKDAY=-1"),
            (
                "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
                "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
            ),
            (
                "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;WKST=MO",
                "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH",
            ),
            (
                "FREQ=YEARLY;BYMONTH=3,9;BYMONTHDAY=-1",
                "FREQ=YEARLY;BYMONTH=3,9;BYMONTHDAY=-1",
            ),
            (
                "FREQ=YEARLY;BYMONTH=6;BYDAY=+1SA",
                "FREQ=YEARLY;BYMONTH=6;BYDAY=1SA",
            ),
        ] {
            let r = Rule::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(r.to_string(), canonical);
            assert_eq!(Rule::parse(&r.to_string()), Ok(r));
        }
    }

    #[test]
    fn refuses_naming_the_part() {
        for (text, part) in [
            ("", "rule"),
            ("BYDAY=MO", "FREQ"),
            ("FREQ=DAILY", "FREQ"),
            ("FREQ=MONTHLY;COUNT=3", "COUNT"),
            ("FREQ=MONTHLY;UNTIL=20270101", "UNTIL"),
            ("FREQ=MONTHLY;BYHOUR=9", "BYHOUR"),
            ("FREQ=MONTHLY;INTERVAL=0", "INTERVAL"),
            ("FREQ=MONTHLY;INTERVAL=99999999999", "INTERVAL"),
            ("FREQ=MONTHLY;BYDAY=2XX", "BYDAY"),
            ("FREQ=MONTHLY;BYDAY=6MO", "BYDAY"),
            ("FREQ=MONTHLY;BYDAY=,MO", "BYDAY"),
            ("FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY"),
            ("FREQ=MONTHLY;BYMONTHDAY=32", "BYMONTHDAY"),
            ("FREQ=MONTHLY;BYMONTH=13", "BYMONTH"),
            ("FREQ=MONTHLY;BYSETPOS=0", "BYSETPOS"),
            ("FREQ=MONTHLY;X-WORKDAY=0", "X-WORKDAY"),
            ("FREQ=MONTHLY;X-WORKDAY=2;BYDAY=MO", "X-WORKDAY"),
            ("FREQ=WEEKLY;X-WORKDAY=2", "X-WORKDAY"),
            ("FREQ=WEEKLY;BYDAY=1MO", "BYDAY"),
            ("FREQ=WEEKLY;BYMONTHDAY=1", "BYMONTHDAY"),
            ("FREQ=YEARLY;BYDAY=1MO", "BYDAY"),
            ("FREQ=MONTHLY;FREQ=WEEKLY", "FREQ"),
            ("FREQ=MONTHLY;WKST=SU", "WKST"),
            ("FREQ=MONTHLY;BYDAY", "BYDAY"),
        ] {
            let e = Rule::parse(text).expect_err(text);
            assert_eq!(e.part, part, "{text}: {e}");
        }
        let long = format!("FREQ=MONTHLY;BYMONTHDAY={}", vec!["1"; 400].join(","));
        assert_eq!(Rule::parse(&long).expect_err("long").part, "rule");
        let many = format!("FREQ=MONTHLY;BYMONTHDAY={}", vec!["1"; 40].join(","));
        assert_eq!(Rule::parse(&many).expect_err("many").part, "BYMONTHDAY");
    }
}
