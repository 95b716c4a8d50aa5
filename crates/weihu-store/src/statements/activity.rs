//! Reading one month of a contract's activity in its calendar's zone, and pricing it.

use super::*;

pub(super) fn zone_of(cal: &weihu_domain::calendar::Calendar) -> TimeZone {
    TimeZone::get(cal.time_zone_name()).unwrap_or(TimeZone::UTC)
}

pub(crate) fn month_bounds(month: YearMonth, tz: &TimeZone) -> Result<(i64, i64, Date, Date)> {
    let range = month.range().map_err(|e| billing("", e))?;
    let next = range
        .end
        .tomorrow()
        .map_err(|e| StoreError::Format(e.to_string()))?;
    let start = range
        .start
        .to_zoned_datetime(tz.clone())
        .map_err(|e| StoreError::Format(e.to_string()))?
        .timestamp()
        .as_millisecond();
    let end = next
        .to_zoned_datetime(tz.clone())
        .map_err(|e| StoreError::Format(e.to_string()))?
        .timestamp()
        .as_millisecond();
    Ok((start, end, range.start, range.end))
}

pub(super) fn local_date(ms: i64, tz: &TimeZone) -> Result<Date> {
    Ok(jiff::Timestamp::from_millisecond(ms)
        .map_err(|e| StoreError::Format(e.to_string()))?
        .to_zoned_datetime(tz.clone())
        .date())
}

pub(super) fn money_of(field: &str, v: &str) -> Result<Money> {
    Money::parse(v).map_err(|e| StoreError::Format(format!("{field}: {e}")))
}

/// The rate category of a visit: recorded on the visit, else from the order's category.
pub fn visit_category(recorded: Option<&str>, order_category: &str) -> VisitCategory {
    match recorded.unwrap_or("") {
        "pc" => return VisitCategory::Pc,
        "network" => return VisitCategory::Network,
        "peripheral" => return VisitCategory::Peripheral,
        "server" => return VisitCategory::Server,
        _ => {}
    }
    match order_category {
        "network" => VisitCategory::Network,
        "peripheral" => VisitCategory::Peripheral,
        "server_storage" | "database" | "machine_room" => VisitCategory::Server,
        _ => VisitCategory::Pc,
    }
}

/// The kind of a stored visit. An unknown kind stops the statement, naming the visit: billing it
/// as some default kind would put it against the cap without a word.
pub(super) fn kind_of(visit_id: i64, v: &str) -> Result<VisitKind> {
    VisitKind::parse(v).map_err(|e| {
        StoreError::invalid(
            format!("visits[V{visit_id}].kind"),
            format!("{e}; correct the visit before pricing the month"),
        )
    })
}

pub(super) fn count(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

/// A month's activity rows of one contract as read, before its zone and period decide which
/// count: the rows of many contracts are read with one query per kind (statements for every
/// contract at month end), each contract's zone and period applied afterwards.
#[derive(Debug, Default)]
pub(super) struct Rows {
    visits: Vec<RawVisit>,
    parts: Vec<RawPart>,
    take_away: Vec<RawTakeAway>,
    other: Vec<RawItem>,
    resident: Vec<(String, i64)>,
    devices: Vec<(String, String, String, Option<String>)>,
}

#[derive(Debug)]
struct RawVisit {
    id: i64,
    order: String,
    kind: String,
    category: Option<String>,
    order_category: String,
    travel_fee: String,
    at: i64,
}

#[derive(Debug)]
struct RawPart {
    id: i64,
    order: String,
    name: String,
    model: String,
    quantity: i64,
    unit_price: String,
    client_supplied: bool,
    at: i64,
}

#[derive(Debug)]
struct RawTakeAway {
    id: i64,
    order: String,
    asset: String,
    description: String,
    cost: String,
    at: i64,
}

#[derive(Debug)]
struct RawItem {
    id: i64,
    order: Option<String>,
    description: String,
    quantity: i64,
    unit_price: String,
}

/// `(…)` with the ids, for `IN`.
fn id_list(ids: &[i64]) -> String {
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    format!("({})", list.join(", "))
}

/// The activity rows of `contracts` (id, pricing model) whose times fall in [from_ms, to_ms) and
/// whose dates fall in [first, last], one query per kind of activity for all of them.
pub(super) async fn fetch(
    store: &Store,
    contracts: &[(i64, &str)],
    (from_ms, to_ms): (i64, i64),
    (first, last): (Date, Date),
) -> Result<HashMap<i64, Rows>> {
    let mut out: HashMap<i64, Rows> = HashMap::new();
    if contracts.is_empty() {
        return Ok(out);
    }
    let ids: Vec<i64> = contracts.iter().map(|(id, _)| *id).collect();
    let ids_sql = id_list(&ids);
    let pool = store.reader();

    // Visits are the bulk (a thousand a month on a big contract): one row per contract with its
    // visits as a JSON array, not one driver message per visit.
    let visits = match store.backend() {
        crate::Backend::Sqlite => {
            "json_group_array(json_array(v.id, o.number, v.kind, v.category, o.category, v.travel_fee, v.check_in_at))"
        }
        crate::Backend::Postgres => {
            "json_agg(json_build_array(v.id, o.number, v.kind, v.category, o.category, v.travel_fee, v.check_in_at))::text"
        }
    };
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT o.contract_id, {visits} AS visits \
         FROM order_visits v JOIN orders o ON o.id = v.order_id \
         WHERE o.contract_id IN {ids_sql} AND v.check_in_at >= $1 AND v.check_in_at < $2 \
         GROUP BY o.contract_id"
    )))
    .bind(from_ms)
    .bind(to_ms)
    .fetch_all(pool)
    .await?;
    type VisitJson = (i64, String, String, Option<String>, String, String, i64);
    for r in rows {
        let list: Vec<VisitJson> = serde_json::from_str(&r.try_get::<String, _>("visits")?)
            .map_err(|e| StoreError::Format(format!("visits: {e}")))?;
        let mut list: Vec<RawVisit> = list
            .into_iter()
            .map(
                |(id, order, kind, category, order_category, travel_fee, at)| RawVisit {
                    id,
                    order,
                    kind,
                    category,
                    order_category,
                    travel_fee,
                    at,
                },
            )
            .collect();
        list.sort_by_key(|v| (v.at, v.id));
        out.entry(r.try_get("contract_id")?).or_default().visits = list;
    }

    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT o.contract_id, p.id, o.number, p.name, p.model, p.quantity, p.unit_price, p.client_supplied, p.installed_at \
         FROM order_parts p JOIN orders o ON o.id = p.order_id \
         WHERE o.contract_id IN {ids_sql} AND p.state = 'installed' AND p.installed_at >= $1 AND p.installed_at < $2 \
         ORDER BY o.contract_id, p.installed_at, p.id"
    )))
    .bind(from_ms)
    .bind(to_ms)
    .fetch_all(pool)
    .await?;
    for r in rows {
        out.entry(r.try_get("contract_id")?)
            .or_default()
            .parts
            .push(RawPart {
                id: r.try_get("id")?,
                order: r.try_get("number")?,
                name: r.try_get("name")?,
                model: r.try_get("model")?,
                quantity: r.try_get("quantity")?,
                unit_price: r.try_get("unit_price")?,
                client_supplied: r.try_get::<i64, _>("client_supplied")? != 0,
                at: r.try_get("installed_at")?,
            });
    }

    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT o.contract_id, t.id, o.number, t.asset, t.description, t.cost, t.returned_at \
         FROM take_away_repairs t JOIN orders o ON o.id = t.order_id \
         WHERE o.contract_id IN {ids_sql} AND t.returned_at >= $1 AND t.returned_at < $2 \
         ORDER BY o.contract_id, t.returned_at, t.id"
    )))
    .bind(from_ms)
    .bind(to_ms)
    .fetch_all(pool)
    .await?;
    for r in rows {
        out.entry(r.try_get("contract_id")?)
            .or_default()
            .take_away
            .push(RawTakeAway {
                id: r.try_get("id")?,
                order: r.try_get("number")?,
                asset: r.try_get("asset")?,
                description: r.try_get("description")?,
                cost: r.try_get("cost")?,
                at: r.try_get("returned_at")?,
            });
    }

    let (first_s, last_s) = (first.to_string(), last.to_string());
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT i.contract_id, i.id, o.number, i.item_date, i.description, i.quantity, i.unit_price \
         FROM billable_items i LEFT JOIN orders o ON o.id = i.order_id \
         WHERE i.contract_id IN {ids_sql} AND i.item_date >= $1 AND i.item_date <= $2 \
         ORDER BY i.contract_id, i.item_date, i.id"
    )))
    .bind(first_s.clone())
    .bind(last_s.clone())
    .fetch_all(pool)
    .await?;
    for r in rows {
        out.entry(r.try_get("contract_id")?)
            .or_default()
            .other
            .push(RawItem {
                id: r.try_get("id")?,
                order: r.try_get("number")?,
                description: r.try_get("description")?,
                quantity: r.try_get("quantity")?,
                unit_price: r.try_get("unit_price")?,
            });
    }

    let resident: Vec<i64> = contracts
        .iter()
        .filter(|(_, m)| *m == "resident")
        .map(|(id, _)| *id)
        .collect();
    if !resident.is_empty() {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT d.contract_id, u.display_name, count(*) AS days FROM resident_days d JOIN users u ON u.id = d.user_id \
             WHERE d.contract_id IN {} AND d.work_date >= $1 AND d.work_date <= $2 \
             GROUP BY d.contract_id, u.display_name ORDER BY d.contract_id, u.display_name",
            id_list(&resident)
        )))
        .bind(first_s.clone())
        .bind(last_s.clone())
        .fetch_all(pool)
        .await?;
        for r in rows {
            out.entry(r.try_get("contract_id")?)
                .or_default()
                .resident
                .push((r.try_get("display_name")?, r.try_get("days")?));
        }
    }

    let per_device: Vec<i64> = contracts
        .iter()
        .filter(|(_, m)| *m == "per_device")
        .map(|(id, _)| *id)
        .collect();
    if !per_device.is_empty() {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT contract_id, device_type, asset_tag, from_date, until_date FROM contract_devices \
             WHERE contract_id IN {} AND from_date <= $1 AND (until_date IS NULL OR until_date >= $2) \
             ORDER BY contract_id, device_type, asset_tag",
            id_list(&per_device)
        )))
        .bind(last_s)
        .bind(first_s)
        .fetch_all(pool)
        .await?;
        for r in rows {
            out.entry(r.try_get("contract_id")?)
                .or_default()
                .devices
                .push((
                    r.try_get("device_type")?,
                    r.try_get("asset_tag")?,
                    r.try_get("from_date")?,
                    r.try_get("until_date")?,
                ));
        }
    }
    Ok(out)
}

/// A contract's month from its rows: what falls within the month in its calendar's zone and
/// within the contract period, priced as the domain needs it.
pub(super) async fn assemble(
    store: &Store,
    contract: &Contract,
    month: YearMonth,
    tz: &TimeZone,
    rows: Rows,
) -> Result<MonthActivity> {
    let (_, _, first, last) = month_bounds(month, tz)?;
    let start = contracts::parse_date("start_date", &contract.start_date)?;
    let end = contracts::parse_date("end_date", &contract.end_date)?;
    let inside = |d: Date| d >= start && d <= end && d >= first && d <= last;
    let mut activity = MonthActivity::default();

    for v in rows.visits {
        let date = local_date(v.at, tz)?;
        if !inside(date) {
            continue;
        }
        activity.visits.push(Visit {
            id: format!("V{}", v.id),
            order: v.order,
            kind: kind_of(v.id, &v.kind)?,
            category: Some(visit_category(v.category.as_deref(), &v.order_category)),
            travel_fee: money_of("travel_fee", &v.travel_fee)?,
            date,
        });
    }
    for p in rows.parts {
        if !inside(local_date(p.at, tz)?) {
            continue;
        }
        activity.parts.push(ApprovedPart {
            id: format!("P{}", p.id),
            order: p.order,
            name: if p.model.is_empty() {
                p.name
            } else {
                format!("{} {}", p.name, p.model)
            },
            quantity: count(p.quantity),
            unit_cost: money_of("unit_price", &p.unit_price)?,
            client_supplied: p.client_supplied,
        });
    }
    for t in rows.take_away {
        if !inside(local_date(t.at, tz)?) {
            continue;
        }
        activity.take_away.push(TakeAwayRepair {
            id: format!("T{}", t.id),
            order: t.order,
            asset: (!t.asset.is_empty()).then_some(t.asset),
            description: t.description,
            cost: money_of("cost", &t.cost)?,
        });
    }
    for i in rows.other {
        activity.other.push(OtherItem {
            id: format!("I{}", i.id),
            order: i.order,
            description: i.description,
            quantity: count(i.quantity),
            unit_price: money_of("unit_price", &i.unit_price)?,
        });
    }
    if contract.pricing_model == "resident" {
        let mut days: BTreeMap<String, u32> = BTreeMap::new();
        for (engineer, n) in rows.resident {
            *days.entry(engineer).or_default() += count(n);
        }
        // The fixed engineers bill their 2-day minimum even in a month they were not needed.
        for e in contracts::engineers(store, &Actor::system(0), contract.id).await? {
            let from = contracts::parse_date("from_date", &e.from_date)?;
            let until = e
                .until_date
                .as_deref()
                .map(|u| contracts::parse_date("until_date", u))
                .transpose()?;
            if from <= last && until.is_none_or(|u| u >= first) {
                days.entry(e.display_name).or_insert(0);
            }
        }
        activity.resident_days = days
            .into_iter()
            .map(|(engineer, days)| ResidentDays { engineer, days })
            .collect();
    }
    if contract.pricing_model == "per_device" {
        for (device_type, asset, from, until) in rows.devices {
            activity.devices.push(CoveredDevice {
                device_type,
                asset,
                from: contracts::parse_date("from_date", &from)?,
                until: until
                    .as_deref()
                    .map(|u| contracts::parse_date("until_date", u))
                    .transpose()?,
            });
        }
    }
    Ok(activity)
}

/// Everything of `month` that a contract's statement prices, within the contract period.
pub(super) async fn gather(
    store: &Store,
    contract: &Contract,
    month: YearMonth,
    tz: &TimeZone,
) -> Result<MonthActivity> {
    let (from_ms, to_ms, first, last) = month_bounds(month, tz)?;
    let mut rows = fetch(
        store,
        &[(contract.id, contract.pricing_model.as_str())],
        (from_ms, to_ms),
        (first, last),
    )
    .await?;
    let rows = rows.remove(&contract.id).unwrap_or_default();
    assemble(store, contract, month, tz, rows).await
}

pub(super) async fn compute(
    store: &Store,
    contract: &Contract,
    month: YearMonth,
) -> Result<StatementDraft> {
    let cal = contracts::working_calendar(store, contract).await?;
    price(store, contract, month, &cal).await
}

/// A contract's month priced, with its calendar already resolved.
pub(super) async fn price(
    store: &Store,
    contract: &Contract,
    month: YearMonth,
    cal: &weihu_domain::calendar::Calendar,
) -> Result<StatementDraft> {
    let activity = gather(store, contract, month, &zone_of(cal)).await?;
    let terms = contract.domain_terms()?;
    compute_statement(&terms, month, &activity).map_err(|e| billing("", e))
}

/// What a contract's month costs so far; nothing is stored.
pub async fn preview(
    store: &Store,
    actor: &Actor,
    contract_id: i64,
    month: &str,
) -> Result<Preview> {
    let contract = contracts::get(store, actor, contract_id).await?;
    may_read(actor)?;
    if actor.is_client() {
        // The client sees statements once issued, not the provider's working figures.
        return Err(StoreError::NotFound);
    }
    let month = parse_month("month", month)?;
    let draft = compute(store, &contract, month).await?;
    let body = lines_of(&draft);
    Ok(Preview {
        contract_id,
        contract_number: contract.number,
        month: month.to_string(),
        currency: draft.currency.as_str().to_owned(),
        total: draft.total.to_string(),
        covered_start: body.covered_start,
        covered_end: body.covered_end,
        counted_visits: body.counted_visits,
        lines: body.lines,
    })
}
