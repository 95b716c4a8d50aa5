//! The clients' device registries (SPEC §6): assets with provider-unique tags, their history
//! (orders, visits, parts), the registry the client admin confirms with a signature (and the
//! difference since), imports with a row-by-row preview, exports, the warranty view, and the
//! asset types with their application-scale coefficients.

use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::Row;
use sqlx::any::AnyRow;
use weihu_domain::scale::{self, TypeCount};

use crate::orders::text;
use crate::page::Listing;
use crate::sql::{SqlBuf, like_pattern};
use crate::{Actor, ListParams, Page, Result, Store, StoreError, audit, instant, now_ms};

mod app_scale;
mod confirmation;
mod history;
mod import;
mod records;
mod types;

pub use app_scale::*;
pub use confirmation::*;
pub use history::*;
pub use import::*;
pub use records::*;
pub use types::*;

pub const STATUSES: [&str; 3] = ["in_use", "in_repair", "retired"];
