//! Preventive maintenance (SPEC §8): when a plan's inspections fall, on the plan's business
//! calendar. [`rule`] reads the schedule rule (an RRULE subset plus `X-WORKDAY`); [`dates`] turns
//! a rule, a calendar and a range into the inspection dates, shifting those that fall on a
//! non-working day; [`checklist`] holds what an inspection checks (the seed's default templates);
//! [`walk`] what an inspection asks and how an answer is checked.

pub mod checklist;
pub mod dates;
pub mod rule;
pub mod walk;

pub use dates::{MAX_RANGE_DAYS, MAX_SHIFT_DAYS, ScheduleError, Shift, dates};
pub use rule::{Freq, Rule, RuleError};
