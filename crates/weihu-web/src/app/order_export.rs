//! The board's current view as a sheet: the same filter, search and sort as the page or the API
//! list, every row the user may see, labels in the user's language and times in their zone.
//! Bounded: a view of more than [`MAX_ROWS`] orders is refused with a message to narrow it.

use jiff::tz::TimeZone;
use weihu_store::orders::{self, Order, OrderFilter};
use weihu_store::{Actor, ListParams, Store, StoreError, page::MAX_LIMIT};

use crate::error::ApiError;
use crate::format::time_in;
use crate::i18n::Tr;

/// Orders one export holds at most (a month of a large desk); more is a 422 on `limit`.
pub const MAX_ROWS: i64 = 10_000;

pub async fn table(
    store: &Store,
    actor: &Actor,
    filter: &OrderFilter,
    q: Option<String>,
    sort: Option<String>,
    tr: Tr,
    zone: &TimeZone,
) -> Result<weihu_sheets::Table, ApiError> {
    let label = |prefix: &str, key: &str| tr.t(&format!("{prefix}.{key}")).to_owned();
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut offset = 0;
    loop {
        let params = ListParams {
            q: q.clone(),
            offset: Some(offset),
            limit: Some(MAX_LIMIT),
            sort: sort.clone(),
        };
        let page = orders::list(store, actor, filter, &params).await?;
        if page.total > MAX_ROWS {
            return Err(ApiError::Store(StoreError::invalid(
                "limit",
                format!(
                    "the view holds {} orders; an export holds at most {MAX_ROWS}: narrow it with a filter",
                    page.total
                ),
            )));
        }
        let n = page.items.len() as i64;
        rows.extend(page.items.iter().map(|o| row(o, &label, zone)));
        offset += n;
        if page.next.is_none() || n == 0 {
            break;
        }
    }
    let headers = [
        "order.number",
        "sla.priority",
        "order.subject",
        "order.client",
        "order.requester",
        "order.category",
        "order.state",
        "order.assignee",
        "nav.teams",
        "order.created",
        "order.due",
        "order.escalated_banner",
        "order.resolution",
    ]
    .iter()
    .map(|k| tr.t(k).to_owned())
    .collect();
    Ok(weihu_sheets::Table { headers, rows })
}

fn row(o: &Order, label: &dyn Fn(&str, &str) -> String, zone: &TimeZone) -> Vec<String> {
    let due = o
        .clocks
        .iter()
        .find(|c| c.kind == "resolution")
        .and_then(|c| c.due_at);
    vec![
        o.number.clone(),
        o.priority.clone(),
        o.subject.clone(),
        o.client_name.clone(),
        o.requester_name.clone(),
        label("category", &o.category),
        label("state", o.state.as_str()),
        o.assignee_name.clone().unwrap_or_default(),
        o.team_name.clone().unwrap_or_default(),
        time_in(o.created_at, zone),
        time_in(due, zone),
        time_in(o.escalated_at, zone),
        o.resolution.clone(),
    ]
}
