//! List parameters shared by every collection: limit/offset pagination with the total, sorting
//! over a whitelist, and a free-text filter.

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::sql::SqlBuf;
use crate::{Result, Store, StoreError};

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;

#[derive(Debug, Clone, Default)]
pub struct ListParams {
    pub limit: Option<i64>,
    pub offset: Option<i64>,
    /// A column name, `-` in front for descending.
    pub sort: Option<String>,
    /// Free text matched against the resource's names.
    pub q: Option<String>,
}

impl ListParams {
    pub fn limit(&self) -> Result<i64> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(l) if (1..=MAX_LIMIT).contains(&l) => Ok(l),
            Some(_) => Err(StoreError::invalid(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            )),
        }
    }

    pub fn offset(&self) -> Result<i64> {
        match self.offset {
            None => Ok(0),
            Some(o) if o >= 0 => Ok(o),
            Some(_) => Err(StoreError::invalid("offset", "must not be negative")),
        }
    }

    /// `ORDER BY` text for the requested sort, checked against `allowed` (API name → column).
    /// Ties break on `id` so pages are stable.
    pub fn order_by(&self, allowed: &[(&str, &str)], default: &str) -> Result<String> {
        self.order_by_on(allowed, default, "id")
    }

    /// [`ListParams::order_by`] with ties broken on `id` (a qualified column such as `a.id`
    /// when the list joins tables).
    pub fn order_by_on(&self, allowed: &[(&str, &str)], default: &str, id: &str) -> Result<String> {
        let Some(sort) = self.sort.as_deref().filter(|s| !s.is_empty()) else {
            return Ok(format!("{default}, {id}"));
        };
        let (name, dir) = match sort.strip_prefix('-') {
            Some(n) => (n, "DESC"),
            None => (sort, "ASC"),
        };
        let column = allowed
            .iter()
            .find(|(api, _)| *api == name)
            .map(|(_, col)| *col)
            .ok_or_else(|| {
                let names: Vec<&str> = allowed.iter().map(|(a, _)| *a).collect();
                StoreError::invalid("sort", format!("must be one of: {}", names.join(", ")))
            })?;
        Ok(format!("{column} {dir}, {id} {dir}"))
    }

    pub fn q(&self) -> Option<&str> {
        self.q.as_deref().map(str::trim).filter(|q| !q.is_empty())
    }
}

/// A filtered, sortable list of one resource: what every list query shares, so each store module
/// says only what it selects, from where, and how it may be sorted.
pub(crate) struct Listing<'a> {
    /// `SELECT <columns> FROM <tables>`.
    pub select: &'a str,
    /// `SELECT count(*) FROM <tables>`, the same tables as `select`.
    pub count: &'a str,
    /// API sort names and their columns.
    pub sorts: &'a [(&'a str, &'a str)],
    /// The order without a `sort` parameter.
    pub default_sort: &'a str,
    /// The id column that breaks ties, so pages are stable (`a.id` when joined).
    pub id: &'a str,
}

impl Listing<'_> {
    /// Counts the rows `filter` (a `WHERE …` fragment with its binds, or empty) matches and reads
    /// the requested page of them, each row through `row`.
    pub async fn page<T>(
        &self,
        store: &Store,
        params: &ListParams,
        filter: SqlBuf,
        row: impl Fn(&AnyRow) -> Result<T>,
    ) -> Result<Page<T>> {
        let order = params.order_by_on(self.sorts, self.default_sort, self.id)?;
        let (limit, offset) = (params.limit()?, params.offset()?);
        let mut c = SqlBuf::new(self.count);
        c.push(&filter.sql);
        c.args = filter.args.clone();
        let total: i64 = c.query().fetch_one(store.reader()).await?.try_get(0)?;
        let mut s = SqlBuf::new(self.select);
        s.push(&filter.sql);
        s.args = filter.args;
        s.push(&format!(" ORDER BY {order} LIMIT "))
            .bind(limit)
            .push(" OFFSET ")
            .bind(offset);
        let rows = s.query().fetch_all(store.reader()).await?;
        let items = rows.iter().map(row).collect::<Result<_>>()?;
        Ok(Page::new(items, total, offset))
    }
}

/// One page of a list, with the total count and the offset of the next page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// How many items the list holds; with `total_capped`, at least this many.
    pub total: i64,
    /// The offset of the next page, if there is one.
    pub next: Option<i64>,
    /// Present and true when counting stopped at `total` (a text search counts its matches up
    /// to 1,000 only, the UI shows "1,000+"; a filtered one may count among the newest orders
    /// only). Pages go on while they come back full.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_capped: Option<bool>,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, total: i64, offset: i64) -> Self {
        let end = offset + items.len() as i64;
        let next = (end < total && !items.is_empty()).then_some(end);
        Page {
            items,
            total,
            next,
            total_capped: None,
        }
    }

    /// A page of a list known to hold at least `total` items: there is a next page whenever
    /// this one came back full.
    pub fn at_least(items: Vec<T>, total: i64, offset: i64, limit: i64) -> Self {
        let end = offset + items.len() as i64;
        let next = (items.len() as i64 == limit && limit > 0).then_some(end);
        Page {
            items,
            total,
            next,
            total_capped: Some(true),
        }
    }
}
