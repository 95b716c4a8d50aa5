//! Building one client's monthly service-level report (SPEC §9) from month-wide queries: one per
//! section (clocks, ratings, faults, restores, assets, the 12-month trend), never one per order.
//! The shares and repeat faults are the domain's ([`weihu_domain::attainment`]).

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use sqlx::Row;
use weihu_domain::attainment::{self, Fault, RepeatOf, Satisfaction, Tally};
use weihu_domain::billing::YearMonth;

use super::model::*;
use crate::statements::activity::month_bounds;
use crate::{Actor, Result, Store, StoreError, instant, now_ms, service_levels};

/// At most this many breaches, comments and repeats are listed (the counts are always whole).
pub const MAX_LISTED: usize = 500;

fn pct(d: Option<rust_decimal::Decimal>) -> Option<String> {
    d.map(|d| format!("{d:.2}"))
}

fn group(key: &str, label: &str, t: Tally) -> Group {
    Group {
        key: key.to_owned(),
        label: label.to_owned(),
        label_en: label.to_owned(),
        met: t.met,
        breached: t.breached,
        total: t.total(),
        percent: pct(t.percent()),
    }
}

fn counted(map: BTreeMap<String, (String, String, u64)>) -> Vec<Count> {
    let mut v: Vec<Count> = map
        .into_iter()
        .map(|(key, (label, label_en, n))| Count {
            key,
            label,
            label_en,
            count: n,
        })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    v
}

fn shift_month(ym: YearMonth, back: i32) -> Result<YearMonth> {
    let total = i32::from(ym.year) * 12 + i32::from(ym.month) - 1 - back;
    let year =
        i16::try_from(total.div_euclid(12)).map_err(|e| StoreError::Format(e.to_string()))?;
    let month =
        i8::try_from(total.rem_euclid(12) + 1).map_err(|e| StoreError::Format(e.to_string()))?;
    YearMonth::new(year, month).map_err(|e| StoreError::invalid("month", e.to_string()))
}

/// A SQL expression numbering the month an instant column falls in (0 = the oldest of `bounds`),
/// so a 12-month trend is one grouped query. Bounds are numbers the code made, never input.
fn month_bucket(column: &str, bounds: &[i64]) -> String {
    let mut s = String::from("CASE");
    for (i, b) in bounds.iter().enumerate().skip(1) {
        s.push_str(&format!(" WHEN {column} < {b} THEN {}", i - 1));
    }
    s.push_str(&format!(" ELSE {} END", bounds.len().saturating_sub(2)));
    s
}

/// Builds the report of `client` for `month` as it stands now.
pub async fn build(
    store: &Store,
    actor: &Actor,
    client: i64,
    month: &str,
) -> Result<ServiceLevelReport> {
    let figures = service_levels::month(store, actor, client, month).await?;
    let ym = crate::statements::parse_month("month", month)?;
    let tz = store.time_zone();
    let (from, to, _, _) = month_bounds(ym, tz)?;
    let now = now_ms();
    let pool = store.reader();

    // Attainment: clocks stopped at their event this month (their recorded outcome), and clocks
    // still running whose due passed this month (breached already, whatever comes next).
    let rows = sqlx::query(
        "SELECT c.kind, c.outcome, c.stopped_at, c.due_at, c.breach_reason, c.breach_note, \
         o.id AS order_id, o.number, o.subject, o.priority, o.catalog_item_id, i.name AS service_name, i.name_en AS service_name_en \
         FROM order_clocks c JOIN orders o ON o.id = c.order_id LEFT JOIN catalog_items i ON i.id = o.catalog_item_id \
         WHERE c.client_org_id = $1 AND c.outcome IS NOT NULL AND c.stopped_at >= $2 AND c.stopped_at < $3 \
         UNION ALL \
         SELECT c.kind, 'breached' AS outcome, c.stopped_at, c.due_at, c.breach_reason, c.breach_note, \
         o.id AS order_id, o.number, o.subject, o.priority, o.catalog_item_id, i.name AS service_name, i.name_en AS service_name_en \
         FROM order_clocks c JOIN orders o ON o.id = c.order_id LEFT JOIN catalog_items i ON i.id = o.catalog_item_id \
         WHERE c.client_org_id = $1 AND c.stopped_at IS NULL AND c.state <> 'stopped' \
         AND c.due_at >= $2 AND c.due_at < $3 AND c.due_at < $4",
    )
    .bind(client)
    .bind(from)
    .bind(to)
    .bind(now)
    .fetch_all(pool)
    .await?;
    let mut overall = Tally::default();
    let mut by_priority: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_kind: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_service: BTreeMap<String, (String, String, Tally)> = BTreeMap::new();
    let mut breaches = Vec::new();
    let mut breach_count = 0u64;
    let mut unexplained = 0u64;
    let mut reasons: BTreeMap<String, u64> = BTreeMap::new();
    for r in &rows {
        let kind: String = r.try_get("kind")?;
        let outcome: String = r.try_get("outcome")?;
        let priority: String = r.try_get("priority")?;
        let met = outcome == "met";
        overall.add(met);
        by_priority.entry(priority.clone()).or_default().add(met);
        by_kind.entry(kind.clone()).or_default().add(met);
        let service_id: Option<i64> = r.try_get("catalog_item_id")?;
        let service_name: Option<String> = r.try_get("service_name")?;
        let service_name_en: Option<String> = r.try_get("service_name_en")?;
        let key = service_id.map(|i| i.to_string()).unwrap_or_default();
        by_service
            .entry(key)
            .or_insert_with(|| {
                (
                    service_name.clone().unwrap_or_default(),
                    service_name_en.clone().unwrap_or_default(),
                    Tally::default(),
                )
            })
            .2
            .add(met);
        if !met {
            breach_count += 1;
            let reason: String = r
                .try_get::<Option<String>, _>("breach_reason")?
                .unwrap_or_default();
            if reason.is_empty() {
                unexplained += 1;
            }
            *reasons.entry(reason.clone()).or_default() += 1;
            if breaches.len() < MAX_LISTED {
                let stopped: Option<i64> = r.try_get("stopped_at")?;
                let due: Option<i64> = r.try_get("due_at")?;
                let overrun = match (stopped.unwrap_or(now), due) {
                    (end, Some(d)) if end > d => (end - d) / 60_000,
                    _ => 0,
                };
                breaches.push(Breach {
                    order_id: r.try_get("order_id")?,
                    number: r.try_get("number")?,
                    subject: r.try_get("subject")?,
                    priority,
                    clock: kind,
                    service: service_name.unwrap_or_default(),
                    due_at: due.map(instant),
                    stopped_at: stopped.map(instant),
                    open: stopped.is_none(),
                    overrun_minutes: overrun,
                    reason,
                    note: r
                        .try_get::<Option<String>, _>("breach_note")?
                        .unwrap_or_default(),
                });
            }
        }
    }
    breaches.sort_by(|a, b| a.number.cmp(&b.number).then_with(|| a.clock.cmp(&b.clock)));
    let kind_order = ["response", "arrival", "resolution"];
    let mut kinds: Vec<Group> = by_kind.iter().map(|(k, t)| group(k, k, *t)).collect();
    kinds.sort_by_key(|g| kind_order.iter().position(|k| *k == g.key).unwrap_or(9));
    let attainment = Attainment {
        overall: group("all", "", overall),
        by_priority: by_priority.iter().map(|(k, t)| group(k, k, *t)).collect(),
        by_clock: kinds,
        by_service: by_service
            .iter()
            .map(|(k, (name, name_en, t))| Group {
                label_en: name_en.clone(),
                ..group(k, name, *t)
            })
            .collect(),
        breached: breach_count,
        unexplained,
        by_reason: reasons
            .into_iter()
            .map(|(key, count)| Count {
                label: key.clone(),
                label_en: key.clone(),
                key,
                count,
            })
            .collect(),
    };

    // Satisfaction: the ratings given this month.
    let rows = sqlx::query(
        "SELECT o.id, o.number, o.subject, o.rating, o.rating_comment FROM orders o \
         WHERE o.client_org_id = $1 AND o.rated_at >= $2 AND o.rated_at < $3 AND o.rating IS NOT NULL \
         ORDER BY o.rated_at",
    )
    .bind(client)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    let mut sat = Satisfaction::default();
    let mut comments = Vec::new();
    for r in &rows {
        let rating: i64 = r.try_get("rating")?;
        sat.add(rating);
        let comment: String = r.try_get("rating_comment")?;
        if !comment.trim().is_empty() && comments.len() < MAX_LISTED {
            comments.push(RatingComment {
                order_id: r.try_get("id")?,
                number: r.try_get("number")?,
                subject: r.try_get("subject")?,
                rating,
                comment,
            });
        }
    }
    let satisfaction = SatisfactionSection {
        rated: sat.rated(),
        satisfied: sat.satisfied(),
        percent: pct(sat.percent()),
        target_percent: attainment::SATISFACTION_TARGET_PERCENT,
        met: sat.met(),
        mean: sat.mean().map(|d| format!("{d:.2}")),
        by_rating: sat.by_rating,
        comments,
    };

    // Failures: faults reported this month (and the 30 days before, to see repeats).
    let window_start = from - attainment::REPEAT_WINDOW.as_millis() as i64;
    let rows = sqlx::query(
        "SELECT o.id, o.number, o.subject, o.category, o.cause, o.asset_id, o.created_at, \
         a.asset_type, a.tag, t.name AS type_name, t.name_en AS type_name_en, f.name AS cause_name, f.name_en AS cause_name_en \
         FROM orders o LEFT JOIN assets a ON a.id = o.asset_id LEFT JOIN asset_types t ON t.code = a.asset_type \
         LEFT JOIN failure_causes f ON f.code = o.cause \
         WHERE o.client_org_id = $1 AND o.created_at >= $2 AND o.created_at < $3 \
         AND o.state NOT IN ('cancelled', 'refused') AND o.kind = 'fault' ORDER BY o.created_at, o.id",
    )
    .bind(client)
    .bind(window_start)
    .bind(to)
    .fetch_all(pool)
    .await?;
    let mut earlier = Vec::new();
    let mut period = Vec::new();
    let mut by_category: BTreeMap<String, (String, String, u64)> = BTreeMap::new();
    let mut by_cause: BTreeMap<String, (String, String, u64)> = BTreeMap::new();
    let mut by_type: BTreeMap<String, (String, String, u64)> = BTreeMap::new();
    let mut by_asset: BTreeMap<i64, (String, String, u64)> = BTreeMap::new();
    let mut numbers: BTreeMap<i64, (String, String, Option<String>)> = BTreeMap::new();
    for r in &rows {
        let id: i64 = r.try_get("id")?;
        let created: i64 = r.try_get("created_at")?;
        let category: String = r.try_get("category")?;
        let asset_id: Option<i64> = r.try_get("asset_id")?;
        let tag: Option<String> = r.try_get("tag")?;
        numbers.insert(
            id,
            (r.try_get("number")?, r.try_get("subject")?, tag.clone()),
        );
        let fault = Fault {
            order_id: id,
            client_org_id: client,
            category: category.clone(),
            asset_id,
            reported_at: instant(created),
        };
        if created < from {
            earlier.push(fault);
            continue;
        }
        period.push(fault);
        by_category
            .entry(category.clone())
            .or_insert_with(|| (category.clone(), category.clone(), 0))
            .2 += 1;
        let cause: String = r.try_get::<Option<String>, _>("cause")?.unwrap_or_default();
        let cause_name: Option<String> = r.try_get("cause_name")?;
        let cause_name_en: Option<String> = r.try_get("cause_name_en")?;
        by_cause
            .entry(cause.clone())
            .or_insert_with(|| {
                (
                    cause_name.unwrap_or_default(),
                    cause_name_en.unwrap_or_default(),
                    0,
                )
            })
            .2 += 1;
        if let (Some(a), Some(ty)) = (asset_id, r.try_get::<Option<String>, _>("asset_type")?) {
            let tn: Option<String> = r.try_get("type_name")?;
            let tne: Option<String> = r.try_get("type_name_en")?;
            by_type
                .entry(ty.clone())
                .or_insert_with(|| (tn.unwrap_or_else(|| ty.clone()), tne.unwrap_or(ty), 0))
                .2 += 1;
            by_asset
                .entry(a)
                .or_insert_with(|| (tag.clone().unwrap_or_default(), String::new(), 0))
                .2 += 1;
        }
    }
    let repeats: Vec<Repeat> = attainment::repeats(&earlier, &period)
        .into_iter()
        .take(MAX_LISTED)
        .map(|(f, prior, why)| {
            let (number, subject, tag) = numbers.get(&f.order_id).cloned().unwrap_or_default();
            let prior_number = numbers.get(&prior).map(|n| n.0.clone()).unwrap_or_default();
            Repeat {
                order_id: f.order_id,
                number,
                subject,
                asset_tag: tag,
                category: f.category.clone(),
                repeats_order_id: prior,
                repeats_number: prior_number,
                why: match why {
                    RepeatOf::SameAsset => "same_asset",
                    RepeatOf::SameClientCategory => "same_client_category",
                }
                .to_owned(),
            }
        })
        .collect();
    let mut top_assets: Vec<AssetCount> = by_asset
        .into_iter()
        .filter(|(_, (_, _, n))| *n > 1)
        .map(|(id, (tag, _, n))| AssetCount {
            asset_id: id,
            tag,
            count: n,
        })
        .collect();
    top_assets.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.tag.cmp(&b.tag)));
    top_assets.truncate(20);

    // Restores: orders resolved this month, time from report to resolution; per asset type too.
    let rows = sqlx::query(
        "SELECT o.created_at, o.resolved_at, a.asset_type FROM orders o LEFT JOIN assets a ON a.id = o.asset_id \
         WHERE o.client_org_id = $1 AND o.resolved_at >= $2 AND o.resolved_at < $3 AND o.kind = 'fault'",
    )
    .bind(client)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    let mut restores = Vec::with_capacity(rows.len());
    let mut down_by_type: BTreeMap<String, i64> = BTreeMap::new();
    for r in &rows {
        let created: i64 = r.try_get("created_at")?;
        let resolved: i64 = r.try_get("resolved_at")?;
        let d = SignedDuration::from_millis((resolved - created).max(0));
        restores.push(d);
        if let Some(ty) = r.try_get::<Option<String>, _>("asset_type")? {
            // Only the part of the restore inside the month counts as time down in it.
            *down_by_type.entry(ty).or_default() += (resolved - created.max(from)).max(0) / 1000;
        }
    }
    let units = sqlx::query(
        "SELECT asset_type, count(*) AS n FROM assets WHERE client_org_id = $1 AND status <> 'retired' GROUP BY asset_type",
    )
    .bind(client)
    .fetch_all(pool)
    .await?;
    let observed = SignedDuration::from_millis(to.min(now.max(from)) - from);
    let mut mtbf = Vec::new();
    for r in &units {
        let ty: String = r.try_get("asset_type")?;
        let n: i64 = r.try_get("n")?;
        let Some((name, name_en, failures)) = by_type.get(&ty).cloned() else {
            continue;
        };
        let down = SignedDuration::from_secs(down_by_type.get(&ty).copied().unwrap_or(0));
        let m = attainment::mtbf(u64::try_from(n).unwrap_or(0), observed, down, failures);
        mtbf.push(Mtbf {
            asset_type: ty,
            name,
            name_en,
            units: u64::try_from(n).unwrap_or(0),
            failures,
            mtbf_hours: m.map(|d| d.as_secs() / 3600),
        });
    }
    let failures = Failures {
        total: u64::try_from(period.len()).unwrap_or(u64::MAX),
        by_category: counted(by_category),
        by_cause: counted(by_cause),
        by_asset_type: counted(by_type),
        top_assets,
        repeats,
        resolved: u64::try_from(restores.len()).unwrap_or(u64::MAX),
        mttr_minutes: attainment::mean(&restores).map(|d| d.as_secs() / 60),
        mtbf,
    };

    // KPIs and the 12-month trend (the report's month last).
    let mut bounds = Vec::with_capacity(13);
    let mut months = Vec::with_capacity(12);
    for back in (0..12).rev() {
        let m = shift_month(ym, back)?;
        let (start, _, _, _) = month_bounds(m, tz)?;
        bounds.push(start);
        months.push(m.to_string());
    }
    bounds.push(to);
    let first = bounds[0];
    let bucket = month_bucket("o.created_at", &bounds);
    let orders_per: Vec<(i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {bucket} AS m, count(*) AS n FROM orders o WHERE o.client_org_id = $1 AND o.created_at >= $2 \
         AND o.created_at < $3 AND o.state NOT IN ('cancelled', 'refused') AND o.kind = 'fault' GROUP BY 1"
    )))
    .bind(client)
    .bind(first)
    .bind(to)
    .fetch_all(pool)
    .await?;
    let bucket = month_bucket("c.stopped_at", &bounds);
    let clocks_per: Vec<(i64, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {bucket} AS m, count(*) AS n, sum(CASE WHEN c.outcome = 'met' THEN 1 ELSE 0 END) AS met \
         FROM order_clocks c WHERE c.client_org_id = $1 \
         AND c.outcome IS NOT NULL AND c.stopped_at >= $2 AND c.stopped_at < $3 GROUP BY 1"
    )))
    .bind(client)
    .bind(first)
    .bind(to)
    .fetch_all(pool)
    .await?;
    let bucket = month_bucket("o.rated_at", &bounds);
    let ratings_per: Vec<(i64, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {bucket} AS m, count(*) AS n, sum(CASE WHEN o.rating >= 4 THEN 1 ELSE 0 END) AS ok \
         FROM orders o WHERE o.client_org_id = $1 AND o.rating IS NOT NULL \
         AND o.rated_at >= $2 AND o.rated_at < $3 GROUP BY 1"
    )))
    .bind(client)
    .bind(first)
    .bind(to)
    .fetch_all(pool)
    .await?;
    let mut trend: Vec<TrendMonth> = months
        .into_iter()
        .map(|month| TrendMonth {
            month,
            incidents: 0,
            attainment_percent: None,
            satisfaction_percent: None,
        })
        .collect();
    let at = |m: i64| usize::try_from(m).ok().filter(|i| *i < 12);
    for (m, n) in orders_per {
        if let Some(i) = at(m) {
            trend[i].incidents = u64::try_from(n).unwrap_or(0);
        }
    }
    for (m, n, met) in clocks_per {
        if let Some(i) = at(m) {
            trend[i].attainment_percent = pct(attainment::share(
                u64::try_from(met).unwrap_or(0),
                u64::try_from(n).unwrap_or(0),
                2,
            ));
        }
    }
    for (m, n, ok) in ratings_per {
        if let Some(i) = at(m) {
            trend[i].satisfaction_percent = pct(attainment::share(
                u64::try_from(ok).unwrap_or(0),
                u64::try_from(n).unwrap_or(0),
                2,
            ));
        }
    }
    let ucs: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT underpinning_contract) FROM outages WHERE client_org_id = $1 \
         AND underpinning_contract <> '' AND started_at < $2",
    )
    .bind(client)
    .bind(to)
    .fetch_one(pool)
    .await?;
    // Change requests about this client raised in the month (SLA, contract or technical).
    let changes: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM change_requests WHERE client_org_id = $1 AND created_at >= $2 AND created_at < $3",
    )
    .bind(client)
    .bind(from)
    .bind(to)
    .fetch_one(pool)
    .await?;
    let (first_day, last_day) = {
        let r = ym.range().map_err(|e| StoreError::Format(e.to_string()))?;
        (r.start.to_string(), r.end.to_string())
    };
    let (reviews, improvement_plan) =
        crate::reviews::for_report(store, client, &first_day, &last_day).await?;
    // Preventive maintenance: the month's inspections planned, done, overdue, what they found.
    let maintenance =
        crate::maintenance::inspections::month_summary(store, client, &ym.to_string(), from, to)
            .await?;
    // Problems opened this month that hold one of the client's orders.
    let problems: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT p.id) FROM problems p JOIN problem_orders po ON po.problem_id = p.id \
         JOIN orders o ON o.id = po.order_id WHERE o.client_org_id = $1 AND p.created_at >= $2 AND p.created_at < $3",
    )
    .bind(client)
    .bind(from)
    .bind(to)
    .fetch_one(pool)
    .await?;
    let self_service = crate::articles::self_service(store, client, from, to).await?;
    let kpis = Kpis {
        catalog_services: u64::try_from(figures.services.len()).unwrap_or(0),
        monitored_services: u64::try_from(
            figures
                .services
                .iter()
                .filter(|s| s.availability_target.is_some())
                .count(),
        )
        .unwrap_or(0),
        underpinning_contracts: u64::try_from(ucs).unwrap_or(0),
        reviews_held: Some(u64::try_from(reviews.len()).unwrap_or(0)),
        satisfaction_percent: satisfaction.percent.clone(),
        attainment_percent: attainment.overall.percent.clone(),
        incidents: failures.total,
        problems: Some(u64::try_from(problems).unwrap_or(0)),
        changes: Some(u64::try_from(changes).unwrap_or(0)),
        trend,
    };

    Ok(ServiceLevelReport {
        client_org_id: client,
        client_name: figures.client_name.clone(),
        month: figures.month.clone(),
        from: figures.from,
        to: figures.to,
        running: figures.running,
        built_at: Timestamp::now(),
        availability: figures.services,
        attainment,
        breaches,
        satisfaction,
        failures,
        kpis,
        reviews,
        improvement_plan,
        maintenance,
        self_service,
    })
}
