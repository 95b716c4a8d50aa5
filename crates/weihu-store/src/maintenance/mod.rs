//! Preventive maintenance (issue #15, SPEC §8): checklist templates so far; plans, generated
//! inspections and their answers follow. The schedule and checklist rules are the domain's
//! ([`weihu_domain::maintenance`]).

pub mod inspections;
pub mod plans;
pub mod templates;
