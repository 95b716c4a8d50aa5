//! The portable format: every table as JSON lines, in dependency order, readable by either
//! backend. `export` reads inside one transaction (a consistent snapshot); `import` writes into
//! an empty, migrated database inside one transaction, so a failed import leaves nothing behind.
//!
//! ```text
//! {"format":"weihu-export","format_version":1,"schema_version":1,"tables":["organizations",...]}
//! {"table":"organizations","row":[1,"provider",...]}
//! ...
//! {"end":true,"rows":1234}
//! ```

use std::io::{BufRead, Write};

use serde_json::{Value, json};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::sql::{Arg, bind_all};
use crate::{Backend, Result, Store, StoreError};

mod export;
mod import;
mod tables;

pub use export::*;
pub use import::*;
pub use tables::*;

pub const FORMAT: &str = "weihu-export";
pub const FORMAT_VERSION: i64 = 1;

/// Columns added to a table after the format was first written, always at the end of its
/// column list: an export from an older Weihu lacks them, and they import as NULL.
const ADDED_LATER: &[(&str, &str)] = &[
    ("users", "time_zone"),
    ("orders", "escalated_at"),
    ("orders", "escalation_reason"),
    ("orders", "cause"),
    ("order_clocks", "outcome"),
    ("order_clocks", "breach_reason"),
    ("order_clocks", "breach_note"),
    ("order_clocks", "client_org_id"),
    ("orders", "kind"),
    ("statements", "body_hash"),
    ("users", "mail_off"),
    ("problems", "change_request_id"),
];

/// The columns an older export may lack ([`ADDED_LATER`]), for the test that every column a
/// later migration adds is among them.
pub fn added_later() -> &'static [(&'static str, &'static str)] {
    ADDED_LATER
}

/// What a column added later holds in an older export's rows when NULL would break its
/// constraint: every order before inspections existed was a fault.
fn added_later_default(table: &str, col: &str) -> Option<&'static str> {
    match (table, col) {
        ("orders", "kind") => Some("fault"),
        // Nobody had turned any mail off before mail existed.
        ("users", "mail_off") => Some(""),
        _ => None,
    }
}

#[derive(Clone, Copy)]
enum Col {
    Int(&'static str),
    Text(&'static str),
}

impl Col {
    fn name(self) -> &'static str {
        match self {
            Col::Int(n) | Col::Text(n) => n,
        }
    }
}

struct Table {
    name: &'static str,
    /// Whether the table has a generated `id` whose sequence must follow the imported rows.
    identity: bool,
    cols: &'static [Col],
}
