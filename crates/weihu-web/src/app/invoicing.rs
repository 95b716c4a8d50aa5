//! A contract's invoicing schedule from its payment terms, with due dates in working days of the
//! contract's calendar.

use serde::Serialize;
use weihu_store::contracts;

use crate::AppState;
use crate::error::{ApiError, ApiResult};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InvoiceOut {
    pub seq: u32,
    pub covers_start: String,
    pub covers_end: String,
    pub issue_date: String,
    /// The payment terms' working days after the issue date, on the contract's calendar.
    pub due_date: String,
    /// Fees billed in advance; usage is billed on the monthly statements.
    pub advance_fees: String,
}

pub async fn schedule(
    s: &AppState,
    actor: &weihu_store::Actor,
    id: i64,
) -> ApiResult<Vec<InvoiceOut>> {
    let c = contracts::get(&s.store, actor, id).await?;
    let cal = contracts::working_calendar(&s.store, &c).await?;
    let terms = c.domain_terms()?;
    let list = weihu_domain::billing::invoice_schedule(&terms, |d| {
        matches!(
            cal.day_kind(d),
            weihu_domain::calendar::DayKind::Regular
                | weihu_domain::calendar::DayKind::MakeUpWorkday { .. }
        )
    })
    .map_err(|e| ApiError::Store(weihu_store::StoreError::invalid("terms", e.to_string())))?;
    Ok(list
        .into_iter()
        .map(|i| InvoiceOut {
            seq: i.seq,
            covers_start: i.covers.start.to_string(),
            covers_end: i.covers.end.to_string(),
            issue_date: i.issue_date.to_string(),
            due_date: i.due_date.to_string(),
            advance_fees: i.advance_fees.to_string(),
        })
        .collect())
}
