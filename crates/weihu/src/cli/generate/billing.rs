//! Contracts, order attachment and visits for `--billing-month`, in bulk SQL.

use super::*;

/// Contracts, order attachment and one visit per order in `month`, in bulk SQL (see
/// `--billing-month`). Returns (contracts created, orders attached, visits written).
pub(super) async fn prepare_billing(
    pool: &sqlx::AnyPool,
    month: &str,
) -> Result<(u64, u64, u64), Failure> {
    let ym = weihu_store::statements::parse_month("--billing-month", month)?;
    let range = ym
        .range()
        .map_err(|e| Failure::input(format!("--billing-month: {e}")))?;
    let year = range.start.year();
    let (start, end) = (format!("{year:04}-01-01"), format!("{year:04}-12-31"));
    let terms = serde_json::json!({
        "currency": "CNY",
        "pricing": {"model": "monthly_capped", "monthly_fee": "3000.00", "visit_cap": 4, "over_cap_fee": "200.00"},
        "emergency_fee": "100.00", "start": start, "end": end, "trial_months": 1, "penalty_rate": "0.5",
        "payment": {"first_invoice_months": 3, "then_every_months": 3, "due_working_days": 5},
    })
    .to_string();
    let now = jiff::Timestamp::now().as_millisecond();
    let mut tx = pool.begin().await.map_err(db)?;
    let contracts = sqlx::query(
        "INSERT INTO contracts (client_org_id, number, title, status, pricing_model, start_date, end_date, \
         terms, created_at, updated_at) \
         SELECT o.id, 'BENCH-' || o.code, 'benchmark', 'active', 'monthly_capped', $1, $2, $3, $4, $4 \
         FROM organizations o WHERE o.kind = 'client' \
         AND NOT EXISTS (SELECT 1 FROM contracts c WHERE c.client_org_id = o.id)",
    )
    .bind(start.clone())
    .bind(end.clone())
    .bind(terms)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(db)?
    .rows_affected();
    let attached = sqlx::query(
        "UPDATE orders SET contract_id = (SELECT c.id FROM contracts c WHERE c.client_org_id = orders.client_org_id \
         AND c.status = 'active' ORDER BY c.id LIMIT 1) WHERE contract_id IS NULL",
    )
    .execute(&mut *tx)
    .await
    .map_err(db)?
    .rows_affected();
    // Fresh statistics: with the ones from before the UPDATE, PostgreSQL plans the insert below as a
    // nested loop over "one" attached order and takes minutes at 1M orders.
    for t in ["orders", "order_visits"] {
        sqlx::query(sqlx::AssertSqlSafe(format!("ANALYZE {t}")))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").map_err(|e| Failure::input(e.to_string()))?;
    let from = range
        .start
        .to_zoned_datetime(tz)
        .map_err(|e| Failure::input(e.to_string()))?
        .timestamp()
        .as_millisecond();
    // Spread over the month's hours (minus a day, so every visit stays inside it).
    let hours = i64::from(range.end.day()) * 24 - 24;
    let visits = sqlx::query(
        "INSERT INTO order_visits (order_id, engineer_id, kind, decided_at, check_in_at, check_out_at, travel_fee, note) \
         SELECT o.id, o.assignee_id, \
           CASE WHEN o.id % 10 = 0 THEN 'repeat' WHEN o.id % 25 = 0 THEN 'emergency' \
                WHEN o.id % 7 = 0 THEN 'scheduled' ELSE 'regular' END, \
           $1 + (o.id % $2) * 3600000, $1 + (o.id % $2) * 3600000 + 1800000, \
           $1 + (o.id % $2) * 3600000 + 5400000, \
           CASE WHEN o.id % 25 = 0 AND o.id % 10 <> 0 THEN '30.00' ELSE '0.00' END, '' \
         FROM orders o WHERE o.contract_id IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM order_visits v WHERE v.order_id = o.id)",
    )
    .bind(from)
    .bind(hours)
    .execute(&mut *tx)
    .await
    .map_err(db)?
    .rows_affected();
    tx.commit().await.map_err(db)?;
    Ok((contracts, attached, visits))
}
