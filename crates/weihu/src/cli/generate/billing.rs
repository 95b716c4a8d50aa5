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
    let mut tx = pool.begin().await.map_err(db)?;
    let contracts = bench_contracts(&mut tx, &start, &end).await?;
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

/// For `--maintenance-year`: every client without a contract gets one for the year, every client
/// without assets gets 50, and every benchmark contract a monthly hardware plan (the second
/// working day) over all its client's assets, generating a year ahead. Returns (contracts,
/// assets, plans) created; `weihu maintenance generate --today YEAR-01-01` then generates.
pub(super) async fn prepare_maintenance(
    store: &weihu_store::Store,
    year: i16,
) -> Result<(u64, u64, u64), Failure> {
    let pool = store.pool();
    let (start, end) = (format!("{year:04}-01-01"), format!("{year:04}-12-31"));
    let now = jiff::Timestamp::now().as_millisecond();
    let system = Actor::system(0);
    weihu_store::maintenance::templates::ensure_defaults(store, &system).await?;
    let mut tx = pool.begin().await.map_err(db)?;
    let contracts = bench_contracts(&mut tx, &start, &end).await?;
    let assets = sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50) \
         INSERT INTO assets (client_org_id, asset_type, tag, model, location, created_at, updated_at) \
         SELECT o.id, (SELECT min(code) FROM asset_types), 'BM-' || o.id || '-' || n.i, 'Bench PC', '机房', $1, $1 \
         FROM organizations o CROSS JOIN n WHERE o.kind = 'client' \
         AND NOT EXISTS (SELECT 1 FROM assets a WHERE a.client_org_id = o.id)",
    )
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(db)?
    .rows_affected();
    let plans = sqlx::query(
        "INSERT INTO maintenance_plans (contract_id, client_org_id, name, template_id, assets, rule, shift, \
         engineer_id, window_start, window_minutes, ahead_days, starts_on, ends_on, created_at, updated_at) \
         SELECT c.id, c.client_org_id, '月度硬件巡检 bench', \
           (SELECT id FROM checklist_templates WHERE code = 'hardware' AND scope = 0), \
           '{}', 'FREQ=MONTHLY;X-WORKDAY=2', 'next', \
           (SELECT min(id) FROM users WHERE role = 'engineer' AND active = 1), '09:00', 240, 366, $1, $2, $3, $3 \
         FROM contracts c WHERE c.number LIKE 'BENCH-%' AND c.status = 'active' \
         AND c.start_date <= $1 AND c.end_date >= $2 \
         AND NOT EXISTS (SELECT 1 FROM maintenance_plans p WHERE p.contract_id = c.id)",
    )
    .bind(start)
    .bind(end)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(db)?
    .rows_affected();
    tx.commit().await.map_err(db)?;
    Ok((contracts, assets, plans))
}

/// A capped monthly contract from `start` to `end` for every client without a contract (the
/// benchmarks' `BENCH-<code>`); returns how many were created.
async fn bench_contracts(
    tx: &mut sqlx::AnyConnection,
    start: &str,
    end: &str,
) -> Result<u64, Failure> {
    let terms = serde_json::json!({
        "currency": "CNY",
        "pricing": {"model": "monthly_capped", "monthly_fee": "3000.00", "visit_cap": 4, "over_cap_fee": "200.00"},
        "emergency_fee": "100.00", "start": start, "end": end, "trial_months": 1, "penalty_rate": "0.5",
        "payment": {"first_invoice_months": 3, "then_every_months": 3, "due_working_days": 5},
    })
    .to_string();
    Ok(sqlx::query(
        "INSERT INTO contracts (client_org_id, number, title, status, pricing_model, start_date, end_date, \
         terms, created_at, updated_at) \
         SELECT o.id, 'BENCH-' || o.code, 'benchmark', 'active', 'monthly_capped', $1, $2, $3, $4, $4 \
         FROM organizations o WHERE o.kind = 'client' \
         AND NOT EXISTS (SELECT 1 FROM contracts c WHERE c.client_org_id = o.id)",
    )
    .bind(start.to_owned())
    .bind(end.to_owned())
    .bind(terms)
    .bind(jiff::Timestamp::now().as_millisecond())
    .execute(&mut *tx)
    .await
    .map_err(db)?
    .rows_affected())
}
