//! Use cases shared by the JSON API (`api/`) and the pages (`web/`): each one coordinates the
//! store, the domain and the document crates for one thing a user does. Handlers on both sides
//! only extract the request, call one of these and answer, so a page and its API endpoint cannot
//! drift apart.

pub mod bulk;
pub mod calculator;
pub mod invoicing;
pub mod order_export;
pub mod quotes;
pub mod registry;
