//! The calendar engine: service intervals of a day, business time between instants and due instants, exact to the second, never looping for ever.

use super::*;

pub(super) fn check_date(field: &str, d: Date) -> Result<i32, CalendarError> {
    let n = day_number(d);
    if (MIN_DAY..MAX_DAY).contains(&n) {
        Ok(n)
    } else {
        Err(CalendarError::new(
            field,
            "date must be between 1900-01-01 and 2199-12-31",
        ))
    }
}

impl Calendar {
    /// A calendar with a weekly schedule in the named IANA zone, no holidays.
    pub fn new(
        name: &str,
        time_zone: &str,
        week: WeeklySchedule,
    ) -> Result<Calendar, CalendarError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(CalendarError::new("name", "must be 1 to 200 characters"));
        }
        let tz = TimeZone::get(time_zone).map_err(|_| {
            CalendarError::new("time_zone", format!("unknown IANA time zone {time_zone:?}"))
        })?;
        let zone = ZoneTable::build(&tz);
        let mut cal = Calendar {
            name: name.to_string(),
            time_zone_name: time_zone.to_string(),
            tz,
            week,
            holidays: BTreeMap::new(),
            workdays: BTreeMap::new(),
            holiday_sets: Vec::new(),
            compiled: Compiled {
                zone,
                week: Default::default(),
                weekly_total_ns: 0,
                rules_lo: 0,
                rules: Vec::new(),
                exception_days: Vec::new(),
                effective: BTreeMap::new(),
            },
        };
        cal.recompile();
        Ok(cal)
    }

    /// The `7x24` preset (every day 00:00–24:00) in a zone.
    pub fn seven_by_24(time_zone: &str) -> Result<Calendar, CalendarError> {
        Calendar::new("7x24", time_zone, WeeklySchedule::seven_by_24())
    }

    /// The `5x8` preset (Mon–Fri 09:00–17:00) in a zone.
    pub fn five_by_8(time_zone: &str) -> Result<Calendar, CalendarError> {
        Calendar::new("5x8", time_zone, WeeklySchedule::five_by_8())
    }

    /// A preset by name (`7x24` or `5x8`) in Asia/Shanghai.
    pub fn preset(name: &str) -> Option<Calendar> {
        match name {
            "7x24" => Calendar::seven_by_24(DEFAULT_TIME_ZONE).ok(),
            "5x8" => Calendar::five_by_8(DEFAULT_TIME_ZONE).ok(),
            _ => None,
        }
    }

    /// Adds a holiday (no service on `date`).
    pub fn with_holiday(
        mut self,
        date: Date,
        name: Option<String>,
    ) -> Result<Calendar, CalendarError> {
        check_date("holidays", date)?;
        self.holidays.insert(date, name);
        self.recompile();
        Ok(self)
    }

    /// Adds a make-up working day following the schedule of `as_weekday`.
    pub fn with_workday(
        mut self,
        date: Date,
        as_weekday: Weekday,
        name: Option<String>,
    ) -> Result<Calendar, CalendarError> {
        check_date("workdays", date)?;
        self.workdays.insert(date, MakeUpDay { as_weekday, name });
        self.recompile();
        Ok(self)
    }

    /// Adds a built-in holiday set by name (see [`builtin_holiday_sets`]).
    pub fn with_holiday_set(mut self, set: &str) -> Result<Calendar, CalendarError> {
        if holiday_set(set).is_none() {
            return Err(CalendarError::new(
                "holiday_sets",
                format!("unknown holiday set {set:?}"),
            ));
        }
        if !self.holiday_sets.iter().any(|s| s == set) {
            self.holiday_sets.push(set.to_string());
        }
        self.recompile();
        Ok(self)
    }

    /// Adds imported holidays and make-up days (from [`parse_csv`] or [`parse_ics`]).
    pub fn with_imported(mut self, days: &[ImportedDay]) -> Result<Calendar, CalendarError> {
        for (i, d) in days.iter().enumerate() {
            check_date(&format!("imported[{i}].date"), d.date)?;
            match &d.kind {
                ImportedKind::Holiday => {
                    self.holidays.insert(d.date, d.name.clone());
                }
                ImportedKind::Workday { as_weekday } => {
                    self.workdays.insert(
                        d.date,
                        MakeUpDay {
                            as_weekday: *as_weekday,
                            name: d.name.clone(),
                        },
                    );
                }
            }
        }
        self.recompile();
        Ok(self)
    }

    /// The calendar's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The IANA name of the calendar's time zone.
    pub fn time_zone_name(&self) -> &str {
        &self.time_zone_name
    }

    /// The calendar's time zone.
    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    /// The weekly schedule.
    pub fn week(&self) -> &WeeklySchedule {
        &self.week
    }

    /// Explicit holidays (not counting holiday sets).
    pub fn holidays(&self) -> &BTreeMap<Date, Option<String>> {
        &self.holidays
    }

    /// Explicit make-up working days (not counting holiday sets).
    pub fn workdays(&self) -> &BTreeMap<Date, MakeUpDay> {
        &self.workdays
    }

    /// Names of the built-in holiday sets in use.
    pub fn holiday_sets(&self) -> &[String] {
        &self.holiday_sets
    }

    /// Business time in a regular week (no holidays or make-up days).
    pub fn weekly_business_time(&self) -> jiff::SignedDuration {
        jiff::SignedDuration::from_secs(self.week.total_seconds())
    }

    /// Whether the calendar ever has service hours (a non-empty weekly schedule).
    pub fn has_service_hours(&self) -> bool {
        self.compiled.weekly_total_ns > 0
    }

    pub(super) fn recompile(&mut self) {
        let mut effective: BTreeMap<Date, DayKind> = BTreeMap::new();
        let add_workday =
            |eff: &mut BTreeMap<Date, DayKind>, d: Date, w: Weekday, name: Option<String>| {
                eff.insert(
                    d,
                    DayKind::MakeUpWorkday {
                        as_weekday: weekday_key(w).to_string(),
                        name,
                    },
                );
            };
        for set in self.holiday_sets.iter().filter_map(|s| holiday_set(s)) {
            for (d, w, name) in set.workdays() {
                add_workday(&mut effective, d, w, Some(name.to_string()));
            }
        }
        for (d, m) in &self.workdays {
            add_workday(&mut effective, *d, m.as_weekday, m.name.clone());
        }
        for set in self.holiday_sets.iter().filter_map(|s| holiday_set(s)) {
            for (d, name) in set.holidays() {
                effective.insert(
                    d,
                    DayKind::Holiday {
                        name: Some(name.to_string()),
                    },
                );
            }
        }
        for (d, name) in &self.holidays {
            let name = name.clone().or_else(|| match effective.get(d) {
                Some(DayKind::Holiday { name }) => name.clone(),
                _ => None,
            });
            effective.insert(*d, DayKind::Holiday { name });
        }
        let days: Vec<(i32, u8)> = effective
            .iter()
            .map(|(d, k)| {
                let code = match k {
                    DayKind::MakeUpWorkday { as_weekday, .. } => {
                        2 + parse_weekday(as_weekday).map_or(0, |w| w.to_monday_zero_offset() as u8)
                    }
                    _ => RULE_HOLIDAY,
                };
                (day_number(*d), code)
            })
            .collect();
        let c = &mut self.compiled;
        c.rules_lo = days.first().map_or(0, |d| d.0);
        let hi = days.last().map_or(0, |d| d.0);
        c.rules = vec![
            RULE_REGULAR;
            usize::try_from(hi - c.rules_lo + 1)
                .unwrap_or(0)
                .min(200 * 366)
        ];
        for &(day, code) in &days {
            if let Some(slot) = usize::try_from(day - c.rules_lo)
                .ok()
                .and_then(|i| c.rules.get_mut(i))
            {
                *slot = code;
            }
        }
        c.exception_days = days.iter().map(|d| d.0).collect();
        c.week = std::array::from_fn(|i| {
            self.week.days[i]
                .iter()
                .map(|iv| (i64::from(iv.start.0), i64::from(iv.end.0)))
                .collect()
        });
        c.weekly_total_ns = self.week.total_seconds() * NS;
        c.effective = effective;
    }

    /// The kind of a date: holiday, make-up working day, regular, or no service.
    pub fn day_kind(&self, date: Date) -> DayKind {
        if let Some(k) = self.compiled.effective.get(&date) {
            return k.clone();
        }
        if self.week.get(date.weekday()).is_empty() {
            DayKind::NoService
        } else {
            DayKind::Regular
        }
    }

    /// Whether `date` is a working day: it has service hours (the weekly hours, minus holidays,
    /// plus make-up days, 调休).
    pub fn is_working_day(&self, date: Date) -> bool {
        !self.schedule_for(super::zone::day_number(date)).is_empty()
    }

    /// The local date of an instant in the calendar's zone.
    pub fn local_date(&self, at: Timestamp) -> Date {
        at.to_zoned_datetime(self.tz.clone()).date()
    }

    /// Kinds and service windows of `days` consecutive dates from `first` (at most
    /// [`MAX_SERVICE_DAYS`]), e.g. the next 14 days or a month view.
    pub fn service_days(&self, first: Date, days: u32) -> Result<Vec<DayService>, SlaError> {
        if days > MAX_SERVICE_DAYS {
            return Err(SlaError::RangeTooLong {
                max_days: MAX_SERVICE_DAYS,
            });
        }
        let d0 = day_number(first);
        let last = d0.saturating_add(days as i32);
        if d0 < MIN_DAY + 1 || last >= MAX_DAY - 1 {
            return Err(SlaError::OutOfRange);
        }
        let mut out = Vec::with_capacity(days as usize);
        let mut cursor = i64::MIN;
        for day in d0..last {
            let date = date_of_day(day).ok_or(SlaError::OutOfRange)?;
            let mut windows = Vec::new();
            for &(s, e) in self.schedule_for(day) {
                let (ws, we) = self.window_ns(day, s, e);
                let ws = ws.max(cursor);
                if we > ws {
                    windows.push(ServiceWindow {
                        start: ts_of(ws)?,
                        end: ts_of(we)?,
                    });
                    cursor = we;
                }
            }
            out.push(DayService {
                date,
                kind: self.day_kind(date),
                windows,
            });
        }
        Ok(out)
    }

    /// Whether `at` lies inside a service window `[start, end)`.
    pub fn is_open_at(&self, at: Timestamp) -> Result<bool, SlaError> {
        let t = ns_of(at)?;
        let day = self.compiled.zone.local_day(t.div_euclid(NS));
        let mut cursor = i64::MIN;
        for d in day - 1..=day {
            for &(s, e) in self.schedule_for(d) {
                let (ws, we) = self.window_ns(d, s, e);
                let ws = ws.max(cursor);
                if we > ws {
                    if ws <= t && t < we {
                        return Ok(true);
                    }
                    cursor = we;
                }
            }
        }
        Ok(false)
    }

    // ---- engine ----------------------------------------------------------------------------

    /// The local-second intervals that apply on a day number.
    #[inline]
    pub(super) fn schedule_for(&self, day: i32) -> &[(i64, i64)] {
        let c = &self.compiled;
        let code = usize::try_from(day.wrapping_sub(c.rules_lo))
            .ok()
            .and_then(|i| c.rules.get(i).copied())
            .unwrap_or(RULE_REGULAR);
        match code {
            RULE_REGULAR => &c.week[weekday_index(day)],
            RULE_HOLIDAY => &[],
            w => &c.week[usize::from(w - 2).min(6)],
        }
    }

    /// UTC nanosecond bounds of a local interval on a day.
    #[inline]
    pub(super) fn window_ns(&self, day: i32, s: i64, e: i64) -> (i64, i64) {
        let base = i64::from(day) * DAY;
        let z = &self.compiled.zone;
        (
            z.to_utc(base + s, Bound::Start) * NS,
            z.to_utc(base + e, Bound::End) * NS,
        )
    }

    /// First exception (holiday/make-up) day `>= day`, or `i32::MAX`.
    pub(super) fn next_exception_day(&self, day: i32) -> i32 {
        let ex = &self.compiled.exception_days;
        ex.get(ex.partition_point(|&d| d < day))
            .copied()
            .unwrap_or(i32::MAX)
    }

    /// First day `>= day` that is not a plain week day (exception or DST transition).
    pub(super) fn next_irregular_day(&self, day: i32) -> i32 {
        self.next_exception_day(day)
            .min(self.compiled.zone.next_irregular_day(day))
    }

    /// The earliest instant (ns) where business time since `start` reaches `target` (ns).
    pub(crate) fn advance_ns(&self, start: i64, target: i64) -> Result<i64, SlaError> {
        let w = self.compiled.weekly_total_ns;
        if w == 0 {
            return Err(SlaError::NoServiceHours);
        }
        check_ns(start)?;
        let start_day = self.compiled.zone.local_day(start.div_euclid(NS));
        let limit_day = start_day + LIMIT_DAYS;
        let mut remaining = target.max(0);
        let mut cursor = start;
        let mut day = start_day - 1;
        loop {
            if day > limit_day {
                return Err(SlaError::DueTooFar { years: 10 });
            }
            if day > start_day && remaining > w {
                let end = self.next_irregular_day(day).min(limit_day + 1);
                if end > day {
                    let k = i64::from((end - day) / 7).min((remaining - 1) / w);
                    remaining -= k * w;
                    day += (k * 7) as i32;
                }
            }
            for &(s, e) in self.schedule_for(day) {
                let (ws, we) = self.window_ns(day, s, e);
                let ws = ws.max(cursor);
                if we <= ws {
                    continue;
                }
                let avail = we - ws;
                if remaining <= avail {
                    return Ok(ws + remaining);
                }
                remaining -= avail;
                cursor = we;
            }
            day += 1;
        }
    }

    /// Business nanoseconds in `[from, to)`.
    pub(crate) fn measure_ns(&self, from: i64, to: i64) -> Result<i64, SlaError> {
        if to <= from {
            return Ok(0);
        }
        check_ns(from)?;
        check_ns(to)?;
        let w = self.compiled.weekly_total_ns;
        let z = &self.compiled.zone;
        let from_day = z.local_day(from.div_euclid(NS));
        let to_day = z.local_day(to.div_euclid(NS));
        let mut total = 0i64;
        let mut cursor = from;
        let mut day = from_day - 1;
        while day <= to_day + 1 {
            if day > from_day {
                let end = self.next_irregular_day(day).min(to_day - 1);
                if end > day {
                    let k = (end - day) / 7;
                    total += i64::from(k) * w;
                    day += k * 7;
                }
            }
            for &(s, e) in self.schedule_for(day) {
                let (ws, we) = self.window_ns(day, s, e);
                let ws = ws.max(cursor);
                if ws >= to {
                    return Ok(total);
                }
                let we = we.min(to);
                if we > ws {
                    total += we - ws;
                    cursor = we;
                }
            }
            day += 1;
        }
        Ok(total)
    }
}

/// Days after the start's date beyond which a due is refused (10 years).
pub(super) const LIMIT_DAYS: i32 = 3653;

/// Nanoseconds since the epoch of a timestamp within the supported range.
pub(crate) fn ns_of(t: Timestamp) -> Result<i64, SlaError> {
    let ns = i64::try_from(t.as_nanosecond()).map_err(|_| SlaError::OutOfRange)?;
    check_ns(ns)?;
    Ok(ns)
}

/// A timestamp from nanoseconds since the epoch.
pub(crate) fn ts_of(ns: i64) -> Result<Timestamp, SlaError> {
    Timestamp::from_nanosecond(i128::from(ns)).map_err(|_| SlaError::OutOfRange)
}

/// Instants must leave room for the 10-year limit inside the zone table (1900..2189).
pub(super) fn check_ns(ns: i64) -> Result<(), SlaError> {
    let lo = (i64::from(MIN_DAY) + 2) * DAY * NS;
    let hi = (i64::from(MAX_DAY) - LIMIT_DAYS as i64 - 10) * DAY * NS;
    if (lo..hi).contains(&ns) {
        Ok(())
    } else {
        Err(SlaError::OutOfRange)
    }
}
