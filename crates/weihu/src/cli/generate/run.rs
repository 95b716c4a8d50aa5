//! The generator: orders with timelines, clocks, search rows and gap-free numbers, in batches.

use super::*;

/// The index text as the store writes it (the same tokens and the same per-order cap).
pub(super) fn tokens(texts: &[&str]) -> String {
    weihu_store::orders::search::index_text(texts)
}

pub(super) const MINUTE: i64 = 60_000;
pub(super) const DAY: i64 = 86_400_000;

pub(super) fn due_ms(cal: &Calendar, start: i64, target: Target) -> Option<i64> {
    let start = jiff::Timestamp::from_millisecond(start).ok()?;
    match target.due(cal, start, &[]) {
        Ok(Due::At { due }) => Some(due.as_millisecond()),
        _ => None,
    }
}

pub(super) fn target_parts(t: Target) -> (&'static str, i64) {
    match t {
        Target::Business { minutes } => ("business", minutes),
        Target::WallClock { minutes } => ("wall_clock", minutes),
    }
}

pub(super) fn year_of(ms: i64, tz: &jiff::tz::TimeZone) -> i16 {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_zoned_datetime(tz.clone()).year())
        .unwrap_or(2026)
}

pub async fn run(settings: &Settings, args: GenerateArgs) -> Result<(), Failure> {
    if args.clients == 0 {
        return Err(Failure::input("--clients must be at least 1"));
    }
    let started = Instant::now();
    let store = open(settings).await?;
    let pool = store.pool().clone();
    let backend = store.backend();
    let policies: i64 = sqlx::query_scalar("SELECT count(*) FROM sla_policies")
        .fetch_one(&pool)
        .await
        .map_err(db)?;
    if policies == 0 {
        eprintln!("no SLA policies: loading the demo data first (calendars, policy, staff)");
        crate::cli::serve::bootstrap(&store).await?;
        demo::load(&store).await?;
    }
    let provider: i64 = sqlx::query_scalar("SELECT id FROM organizations WHERE kind = 'provider'")
        .fetch_one(&pool)
        .await
        .map_err(db)?;
    let system = Actor::system(provider);
    let policy_id: Option<i64> =
        sqlx::query_scalar("SELECT id FROM sla_policies WHERE is_default = 1")
            .fetch_optional(&pool)
            .await
            .map_err(db)?;
    let policy: Option<(i64, i64, SlaPolicy)> = match policy_id {
        Some(id) => {
            let stored = calendars::get_policy(&store, &system, id).await?;
            let p = calendars::domain_policy(&stored)?;
            Some((stored.id, stored.current_version, p))
        }
        None => None,
    };
    let mut cals: HashMap<String, Calendar> = HashMap::new();
    if let Some((_, _, p)) = &policy {
        for pr in Priority::ALL {
            let name = &p.targets_for(pr).calendar;
            if !cals.contains_key(name)
                && let Some(c) = calendars::resolve(&store, name).await?
            {
                cals.insert(name.clone(), c);
            }
        }
    }
    let engineers: Vec<(i64, String, Option<i64>)> = sqlx::query(
        "SELECT id, display_name, team_id FROM users WHERE org_id = $1 AND role IN ('engineer', 'dispatcher') AND active = 1 ORDER BY id",
    )
    .bind(provider)
    .fetch_all(&pool)
    .await
    .map_err(db)?
    .iter()
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
    .collect::<Result<_, sqlx::Error>>()
    .map_err(db)?;
    let clients = ensure_clients(&store, args.clients).await?;
    eprintln!(
        "{} client organisations ready ({:.1} s); generating {} orders",
        clients.len(),
        started.elapsed().as_secs_f64(),
        args.orders
    );

    // Ids and counters continue after what is there.
    let max = |t: &str| format!("SELECT COALESCE(max(id), 0) FROM {t}");
    let mut next_order: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(max("orders")))
        .fetch_one(&pool)
        .await
        .map_err(db)?;
    let mut next_clock: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(max("order_clocks")))
        .fetch_one(&pool)
        .await
        .map_err(db)?;
    let mut next_event: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(max("order_events")))
        .fetch_one(&pool)
        .await
        .map_err(db)?;
    let mut counters: HashMap<i16, i64> = HashMap::new();
    for r in sqlx::query("SELECT year, last FROM order_counters")
        .fetch_all(&pool)
        .await
        .map_err(db)?
    {
        let y: i64 = r.try_get(0).map_err(db)?;
        counters.insert(y as i16, r.try_get(1).map_err(db)?);
    }

    let mut rng = Rng::new(args.seed);
    let now = weihu_store::now_ms();
    let span = 730 * DAY;
    // Creation instants, oldest first, so numbers rise with time within a year.
    let mut times: Vec<i64> = (0..args.orders)
        .map(|_| now - 1 - rng.below(span as u64) as i64)
        .collect();
    times.sort_unstable();
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap_or(jiff::tz::TimeZone::UTC);
    let levels = [Level::High, Level::Medium, Level::Low];

    let mut orders = Table::new("orders", ORDER_COLUMNS);
    let mut clocks = Table::new("order_clocks", CLOCK_COLUMNS);
    let mut events = Table::new("order_events", EVENT_COLUMNS);
    let (search_table, search_columns) = weihu_store::orders::search::bulk_columns(backend);
    let mut search = Table::new(search_table, search_columns);
    for t in [&mut orders, &mut clocks, &mut events, &mut search] {
        t.per_statement = args.rows_per_statement;
    }
    let per_tx = args.per_transaction.max(1) as usize;
    let mut last_report = Instant::now();
    let gen_started = Instant::now();
    let mut done: u64 = 0;
    let mut open_count: u64 = 0;
    let mut rare: u64 = 0;
    let mut current_year = 0i16;
    let mut year_end = i64::MIN;
    for batch in times.chunks(per_tx) {
        let mut batch_counters: HashMap<i16, i64> = HashMap::new();
        for &created in batch {
            if created >= year_end {
                current_year = year_of(created, &tz);
                year_end = jiff::civil::date(current_year + 1, 1, 1)
                    .at(0, 0, 0, 0)
                    .to_zoned_datetime(tz.clone())
                    .map(|z| z.timestamp().as_millisecond())
                    .unwrap_or(i64::MAX);
            }
            let seq = counters.entry(current_year).or_insert(0);
            *seq += 1;
            batch_counters.insert(current_year, *seq);
            let number = order_number(current_year, *seq);
            next_order += 1;
            let id = next_order;

            // Skewed towards the first clients: a few big ones, many small.
            let u = rng.below(1 << 20) as f64 / f64::from(1 << 20);
            let client = &clients[((u * u) * clients.len() as f64) as usize % clients.len()];
            let requester = &client.people[rng.below(client.people.len() as u64) as usize];
            let (category, subject, description, resolution) = order_text(&mut rng);
            if subject.contains(RARE_WORD) {
                rare += 1;
            }
            let urgency = *rng.pick(&levels);
            let impact = *rng.pick(&levels);
            let priority = match &policy {
                Some((_, _, p)) => p.matrix.priority(urgency, impact),
                None => weihu_domain::priority::priority(urgency, impact),
            };
            let age = now - created;
            // Recent orders are often still open; old ones are closed (a few cancelled).
            let state = if age < 3 * DAY && rng.chance(60) {
                *rng.pick(&["new", "assigned", "in_progress", "waiting_client"])
            } else if age < 30 * DAY && rng.chance(15) {
                *rng.pick(&["assigned", "in_progress", "waiting_parts", "resolved"])
            } else if rng.chance(3) {
                "cancelled"
            } else {
                "closed"
            };
            let is_open = !matches!(state, "closed" | "cancelled" | "resolved");
            if is_open {
                open_count += 1;
            }
            let engineer = if engineers.is_empty() || state == "new" {
                None
            } else {
                Some(&engineers[rng.below(engineers.len() as u64) as usize])
            };
            let responded = created + (5 + rng.below(120) as i64) * MINUTE;
            let resolved = responded + (30 + rng.below(3 * 24 * 60) as i64) * MINUTE;
            let (resolved_at, closed_at) = match state {
                "closed" => (
                    Some(resolved),
                    Some(resolved + rng.below(2 * DAY as u64) as i64),
                ),
                "resolved" => (Some(resolved.min(now - MINUTE)), None),
                "cancelled" => (None, Some(responded)),
                _ => (None, None),
            };
            let updated = closed_at.or(resolved_at).unwrap_or(created).min(now);
            let res_text = if resolved_at.is_some() {
                resolution
            } else {
                ""
            };
            let site = (*rng.pick(PLACES)).to_owned();
            let channel = *rng.pick(&["portal", "phone", "email", "phone", "im", "portal"]);
            let mode = *rng.pick(&["remote", "remote", "on_site", "resident"]);
            let rating = if state == "closed" && rng.chance(40) {
                Some(3 + rng.below(3) as i64)
            } else {
                None
            };
            orders.rows.push(vec![
                Val::I(id),
                Val::T(number.clone()),
                Val::I(client.id),
                Val::O(Some(requester.id)),
                Val::T(requester.name.clone()),
                Val::T(format!("1{:010}", rng.below(10_000_000_000))),
                Val::T(site.clone()),
                Val::T(channel.into()),
                Val::T(category.into()),
                Val::T(urgency.as_str().into()),
                Val::T(impact.as_str().into()),
                Val::T(priority.as_str().into()),
                Val::T(subject.clone()),
                Val::T(description.clone()),
                Val::T(mode.into()),
                Val::T(state.into()),
                Val::O(engineer.map(|e| e.0)),
                Val::O(engineer.and_then(|e| e.2)),
                Val::O(policy.as_ref().map(|p| p.0)),
                Val::O(policy.as_ref().map(|p| p.1)),
                Val::T(res_text.into()),
                Val::T(if state == "cancelled" {
                    "客户撤回 / withdrawn by the client".into()
                } else {
                    String::new()
                }),
                Val::O(resolved_at),
                Val::O(closed_at),
                Val::O(rating),
                Val::O(Some(requester.id)),
                Val::I(1),
                Val::I(created),
                Val::I(updated),
            ]);

            // Timeline: created, assign, a comment or two, resolve, close.
            let mut ev: Vec<TimelineEntry> =
                vec![(created, None, "created", true, subject.clone())];
            let mut public_comments: Vec<&str> = Vec::new();
            let mut internal_comments: Vec<&str> = Vec::new();
            if let Some(e) = engineer {
                ev.push((
                    created + 2 * MINUTE,
                    Some(e),
                    "assign",
                    false,
                    String::new(),
                ));
                let public = rng.chance(70);
                let body = if public {
                    *rng.pick(COMMENTS_PUBLIC)
                } else {
                    *rng.pick(COMMENTS_INTERNAL)
                };
                if public {
                    public_comments.push(body);
                } else {
                    internal_comments.push(body);
                }
                ev.push((responded.min(now), Some(e), "comment", public, body.into()));
                if rng.chance(30) {
                    let body = *rng.pick(COMMENTS_INTERNAL);
                    internal_comments.push(body);
                    ev.push((
                        responded.min(now) + MINUTE,
                        Some(e),
                        "comment",
                        false,
                        body.into(),
                    ));
                }
                if let Some(r) = resolved_at {
                    ev.push((r, Some(e), "resolve", true, resolution.into()));
                }
            }
            if let Some(c) = closed_at {
                let kind = if state == "cancelled" {
                    "cancel"
                } else {
                    "close"
                };
                ev.push((c, None, kind, true, String::new()));
            }
            for (at, who, kind, public, body) in ev {
                next_event += 1;
                let (actor_id, actor_name) = match who {
                    Some(e) => (Some(e.0), e.1.clone()),
                    None => (Some(requester.id), requester.name.clone()),
                };
                let data = if kind == "created" {
                    format!(
                        "{{\"number\":\"{number}\",\"priority\":\"{}\",\"channel\":\"{channel}\"}}",
                        priority.as_str()
                    )
                } else {
                    "{}".into()
                };
                events.rows.push(vec![
                    Val::I(next_event),
                    Val::I(id),
                    Val::I(at),
                    Val::O(actor_id),
                    Val::T(actor_name),
                    Val::T(kind.into()),
                    Val::I(i64::from(public)),
                    Val::T(body),
                    Val::T(data),
                ]);
            }

            // Clocks: response and resolution from the policy; stopped when done.
            if let Some((_, _, p)) = &policy {
                let targets = p.targets_for(priority);
                if let Some(cal) = cals.get(&targets.calendar) {
                    let responded_at = if engineer.is_some() && responded < now {
                        Some(responded)
                    } else {
                        None
                    };
                    let finished = closed_at.or(resolved_at);
                    for (kind, target, stop) in [
                        ("response", targets.response, responded_at.or(closed_at)),
                        ("resolution", targets.resolution, finished),
                    ] {
                        let due = due_ms(cal, created, target);
                        let (tk, minutes) = target_parts(target);
                        let late = matches!((due, stop), (Some(d), Some(s)) if s > d)
                            || matches!((due, stop), (Some(d), None) if d <= now);
                        let (state, next_check) = match stop {
                            Some(_) if state == "cancelled" => ("stopped", None),
                            Some(_) => ("done", None),
                            None => ("running", due.filter(|d| *d > now)),
                        };
                        next_clock += 1;
                        clocks.rows.push(vec![
                            Val::I(next_clock),
                            Val::I(id),
                            Val::T(kind.into()),
                            Val::T(targets.calendar.clone()),
                            Val::T(tk.into()),
                            Val::I(minutes),
                            Val::I(i64::from(targets.at_risk_percent)),
                            Val::I(created),
                            Val::O(stop),
                            Val::O(due),
                            Val::T(state.into()),
                            Val::I(i64::from(late)),
                            Val::I(i64::from(late)),
                            Val::O(next_check),
                        ]);
                    }
                }
            }

            let mut public_texts: Vec<&str> =
                vec![&subject, &description, res_text, &requester.name, &site];
            public_texts.extend(public_comments);
            search.rows.push(vec![
                Val::I(id),
                Val::T(tokens(&public_texts)),
                Val::T(tokens(&internal_comments)),
            ]);
        }

        let mut tx = pool.begin().await.map_err(db)?;
        orders.flush(&mut tx).await?;
        clocks.flush(&mut tx).await?;
        events.flush(&mut tx).await?;
        search.flush(&mut tx).await?;
        for (year, last) in &batch_counters {
            sqlx::query(
                "INSERT INTO order_counters (year, last) VALUES ($1, $2) \
                 ON CONFLICT (year) DO UPDATE SET last = excluded.last",
            )
            .bind(i64::from(*year))
            .bind(*last)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        done += batch.len() as u64;
        if last_report.elapsed() >= Duration::from_secs(5) || done == args.orders {
            let secs = gen_started.elapsed().as_secs_f64();
            let rate = done as f64 / secs.max(1e-9);
            let eta = (args.orders - done) as f64 / rate.max(1e-9);
            eprintln!(
                "{done}/{} orders ({:.0}%), {rate:.0} orders/s, {} rows written, ETA {eta:.0} s",
                args.orders,
                done as f64 * 100.0 / args.orders.max(1) as f64,
                orders.written + clocks.written + events.written + search.written,
            );
            last_report = Instant::now();
        }
    }
    if backend == Backend::Postgres {
        for t in ["orders", "order_clocks", "order_events"] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT COALESCE(max(id), 1) FROM {t}))"
            )))
            .execute(&pool)
            .await
            .map_err(db)?;
        }
        sqlx::query("ANALYZE").execute(&pool).await.map_err(db)?;
    } else {
        sqlx::query("ANALYZE").execute(&pool).await.map_err(db)?;
    }
    if let Some(month) = &args.billing_month {
        let t = Instant::now();
        let (contracts, attached, visits) = prepare_billing(&pool, month).await?;
        eprintln!(
            "billing month {month}: {contracts} contracts created, {attached} orders attached, \
             {visits} visits written ({:.1} s)",
            t.elapsed().as_secs_f64()
        );
        sqlx::query("ANALYZE").execute(&pool).await.map_err(db)?;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "generated {} orders ({} open, {} with the rare word {RARE_WORD}) for {} clients: \
         {} clocks, {} events, {} search rows in {secs:.1} s ({:.0} orders/s)",
        orders.written,
        open_count,
        rare,
        clients.len(),
        clocks.written,
        events.written,
        search.written,
        orders.written as f64 / gen_started.elapsed().as_secs_f64().max(1e-9),
    );
    store.close().await;
    Ok(())
}
