//! Weihu's storage layer. One schema, written once in portable SQL, runs on SQLite (the embedded
//! default) and PostgreSQL (for scale-out); what differs between the two lives in [`backend`].
//!
//! Every read and write takes an [`Actor`]: tenant scoping and role checks happen here, in one
//! place, so no endpoint can forget them. Every write records an audit row in the same
//! transaction.

pub mod actor;
pub mod agenda;
pub mod articles;
pub mod assets;
pub mod audit;
pub mod backend;
pub mod calendars;
pub mod catalog;
pub mod change_requests;
pub mod contracts;
pub mod credentials;
pub mod demo;
mod error;
pub mod failure_causes;
pub mod images;
pub mod mail;
pub mod maintenance;
pub mod notifications;
pub mod orders;
pub mod organizations;
pub mod outages;
pub mod page;
pub mod portable;
pub mod problems;
pub mod replica;
pub mod reports;
pub mod reviews;
mod rule_cache;
pub mod saved_views;
pub mod service_levels;
pub mod sessions;
mod sql;
pub mod statements;
pub mod teams;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod throttle;
pub mod tokens;
pub mod users;

pub use actor::Actor;
pub use backend::{Backend, Store};
pub use error::StoreError;
pub use page::{ListParams, Page};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Now, as stored: UTC milliseconds since the epoch.
pub fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// A stored instant (UTC milliseconds) as the typed instant records carry out of the store;
/// pages, PDFs and mail format it in the reader's zone, the API serialises it as RFC 3339.
/// Stored values always fit jiff's range (±9999 years); anything else reads as the epoch.
pub fn instant(ms: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(ms).unwrap_or_default()
}

/// A stored instant as RFC 3339 (UTC), for JSON blobs such as event data.
pub fn ms_to_rfc3339(ms: i64) -> String {
    instant(ms).to_string()
}

/// The fields that differ between two versions of a record, as `{field: [old, new]}`, for audit
/// rows. Bookkeeping fields are left out.
pub(crate) fn diff<T: serde::Serialize>(old: &T, new: &T) -> serde_json::Value {
    let (Ok(serde_json::Value::Object(a)), Ok(serde_json::Value::Object(b))) =
        (serde_json::to_value(old), serde_json::to_value(new))
    else {
        return serde_json::Value::Null;
    };
    let mut out = serde_json::Map::new();
    for (k, v) in &b {
        if matches!(k.as_str(), "version" | "updated_at" | "created_at") {
            continue;
        }
        let before = a.get(k).cloned().unwrap_or(serde_json::Value::Null);
        if &before != v {
            out.insert(k.clone(), serde_json::json!([before, v]));
        }
    }
    serde_json::Value::Object(out)
}
