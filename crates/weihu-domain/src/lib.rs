//! Weihu's pure domain: the rules a provider and its clients agree on, with no I/O, no async
//! and no database. `now` is always passed in, so every rule can be tested exactly.

pub mod article;
pub mod attainment;
pub mod availability;
pub mod billing;
pub mod calendar;
pub mod change;
pub mod mail;
pub mod maintenance;
pub mod money;
pub mod order;
pub mod order_access;
pub mod order_links;
pub mod priority;
pub mod problem;
pub mod role;
pub mod scale;
pub mod search;
pub mod sla;
