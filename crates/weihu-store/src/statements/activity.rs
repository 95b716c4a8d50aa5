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

/// Everything of `month` that a contract's statement prices, within the contract period.
pub(super) async fn gather(
    store: &Store,
    contract: &Contract,
    month: YearMonth,
    tz: &TimeZone,
) -> Result<MonthActivity> {
    let (from_ms, to_ms, first, last) = month_bounds(month, tz)?;
    let start = contracts::parse_date("start_date", &contract.start_date)?;
    let end = contracts::parse_date("end_date", &contract.end_date)?;
    let inside = |d: Date| d >= start && d <= end && d >= first && d <= last;
    let mut activity = MonthActivity::default();

    let rows = sqlx::query(
        "SELECT v.id, o.number, v.kind, v.category, o.category AS order_category, v.travel_fee, v.check_in_at \
         FROM order_visits v JOIN orders o ON o.id = v.order_id \
         WHERE o.contract_id = $1 AND v.check_in_at >= $2 AND v.check_in_at < $3 ORDER BY v.check_in_at, v.id",
    )
    .bind(contract.id)
    .bind(from_ms)
    .bind(to_ms)
    .fetch_all(&store.pool)
    .await?;
    for r in rows {
        let date = local_date(r.try_get("check_in_at")?, tz)?;
        if !inside(date) {
            continue;
        }
        let recorded: Option<String> = r.try_get("category")?;
        let order_category: String = r.try_get("order_category")?;
        let visit_id: i64 = r.try_get("id")?;
        activity.visits.push(Visit {
            id: format!("V{visit_id}"),
            order: r.try_get("number")?,
            kind: kind_of(visit_id, &r.try_get::<String, _>("kind")?)?,
            category: Some(visit_category(recorded.as_deref(), &order_category)),
            travel_fee: money_of("travel_fee", &r.try_get::<String, _>("travel_fee")?)?,
            date,
        });
    }

    let rows = sqlx::query(
        "SELECT p.id, o.number, p.name, p.model, p.quantity, p.unit_price, p.client_supplied, p.installed_at \
         FROM order_parts p JOIN orders o ON o.id = p.order_id \
         WHERE o.contract_id = $1 AND p.state = 'installed' AND p.installed_at >= $2 AND p.installed_at < $3 \
         ORDER BY p.installed_at, p.id",
    )
    .bind(contract.id)
    .bind(from_ms)
    .bind(to_ms)
    .fetch_all(&store.pool)
    .await?;
    for r in rows {
        if !inside(local_date(r.try_get("installed_at")?, tz)?) {
            continue;
        }
        let name: String = r.try_get("name")?;
        let model: String = r.try_get("model")?;
        activity.parts.push(ApprovedPart {
            id: format!("P{}", r.try_get::<i64, _>("id")?),
            order: r.try_get("number")?,
            name: if model.is_empty() {
                name
            } else {
                format!("{name} {model}")
            },
            quantity: count(r.try_get("quantity")?),
            unit_cost: money_of("unit_price", &r.try_get::<String, _>("unit_price")?)?,
            client_supplied: r.try_get::<i64, _>("client_supplied")? != 0,
        });
    }

    let rows = sqlx::query(
        "SELECT t.id, o.number, t.asset, t.description, t.cost, t.returned_at \
         FROM take_away_repairs t JOIN orders o ON o.id = t.order_id \
         WHERE o.contract_id = $1 AND t.returned_at >= $2 AND t.returned_at < $3 ORDER BY t.returned_at, t.id",
    )
    .bind(contract.id)
    .bind(from_ms)
    .bind(to_ms)
    .fetch_all(&store.pool)
    .await?;
    for r in rows {
        if !inside(local_date(r.try_get("returned_at")?, tz)?) {
            continue;
        }
        let asset: String = r.try_get("asset")?;
        activity.take_away.push(TakeAwayRepair {
            id: format!("T{}", r.try_get::<i64, _>("id")?),
            order: r.try_get("number")?,
            asset: (!asset.is_empty()).then_some(asset),
            description: r.try_get("description")?,
            cost: money_of("cost", &r.try_get::<String, _>("cost")?)?,
        });
    }

    let (first_s, last_s) = (first.to_string(), last.to_string());
    let rows = sqlx::query(
        "SELECT i.id, o.number, i.item_date, i.description, i.quantity, i.unit_price \
         FROM billable_items i LEFT JOIN orders o ON o.id = i.order_id \
         WHERE i.contract_id = $1 AND i.item_date >= $2 AND i.item_date <= $3 ORDER BY i.item_date, i.id",
    )
    .bind(contract.id)
    .bind(first_s.clone())
    .bind(last_s.clone())
    .fetch_all(&store.pool)
    .await?;
    for r in rows {
        activity.other.push(OtherItem {
            id: format!("I{}", r.try_get::<i64, _>("id")?),
            order: r.try_get("number")?,
            description: r.try_get("description")?,
            quantity: count(r.try_get("quantity")?),
            unit_price: money_of("unit_price", &r.try_get::<String, _>("unit_price")?)?,
        });
    }

    if contract.pricing_model == "resident" {
        let rows = sqlx::query(
            "SELECT u.display_name, count(*) AS days FROM resident_days d JOIN users u ON u.id = d.user_id \
             WHERE d.contract_id = $1 AND d.work_date >= $2 AND d.work_date <= $3 \
             GROUP BY u.display_name ORDER BY u.display_name",
        )
        .bind(contract.id)
        .bind(first_s.clone())
        .bind(last_s.clone())
        .fetch_all(&store.pool)
        .await?;
        let mut days: BTreeMap<String, u32> = BTreeMap::new();
        for r in rows {
            *days.entry(r.try_get("display_name")?).or_default() += count(r.try_get("days")?);
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
        let rows = sqlx::query(
            "SELECT device_type, asset_tag, from_date, until_date FROM contract_devices \
             WHERE contract_id = $1 AND from_date <= $2 AND (until_date IS NULL OR until_date >= $3) \
             ORDER BY device_type, asset_tag",
        )
        .bind(contract.id)
        .bind(last_s)
        .bind(first_s)
        .fetch_all(&store.pool)
        .await?;
        for r in rows {
            let from = contracts::parse_date("from_date", &r.try_get::<String, _>("from_date")?)?;
            let until: Option<String> = r.try_get("until_date")?;
            activity.devices.push(CoveredDevice {
                device_type: r.try_get("device_type")?,
                asset: r.try_get("asset_tag")?,
                from,
                until: until
                    .as_deref()
                    .map(|u| contracts::parse_date("until_date", u))
                    .transpose()?,
            });
        }
    }
    Ok(activity)
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
