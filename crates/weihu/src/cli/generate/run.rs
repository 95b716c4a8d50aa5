//! The generator: orders with timelines, clocks, search rows and gap-free numbers, in batches.
//!
//! [`run`] reads what is there ([`Fixture`], [`Cursor`]), then for each batch of creation
//! instants fills the four tables ([`Output::order`]) and writes them in one transaction.

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
    let fixture = Fixture::load(&store, args.clients).await?;
    eprintln!(
        "{} client organisations ready ({:.1} s); generating {} orders",
        fixture.clients.len(),
        started.elapsed().as_secs_f64(),
        args.orders
    );
    let mut cursor = Cursor::after_existing(&pool).await?;
    let mut rng = Rng::new(args.seed);
    let now = weihu_store::now_ms();
    // Creation instants over the last two years, oldest first, so numbers rise with time.
    let mut times: Vec<i64> = (0..args.orders)
        .map(|_| now - 1 - rng.below((730 * DAY) as u64) as i64)
        .collect();
    times.sort_unstable();

    let mut out = Output::new(store.backend(), args.rows_per_statement);
    let mut progress = Progress::new(args.orders);
    for batch in times.chunks(args.per_transaction.max(1) as usize) {
        let mut numbers = HashMap::new();
        for &created in batch {
            let (year, seq) = cursor.number(created, store.time_zone());
            numbers.insert(year, seq);
            cursor.next_order += 1;
            out.order(&fixture, &mut cursor, &mut rng, now, created, year, seq);
        }
        out.write(&pool, &numbers).await?;
        progress.add(batch.len() as u64, &out);
    }
    finish(&pool, store.backend()).await?;
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
    if let Some(year) = args.maintenance_year {
        let t = Instant::now();
        let (contracts, assets, plans) = prepare_maintenance(&store, year).await?;
        eprintln!(
            "maintenance year {year}: {contracts} contracts, {assets} assets, {plans} plans created ({:.1} s)",
            t.elapsed().as_secs_f64()
        );
    }
    if args.articles > 0 {
        let t = Instant::now();
        let written = write_articles(&store, &mut rng, args.articles).await?;
        eprintln!(
            "{written} articles written ({:.1} s)",
            t.elapsed().as_secs_f64()
        );
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "generated {} orders ({} open, {} with the rare word {RARE_WORD}) for {} clients: \
         {} clocks, {} events, {} search rows in {secs:.1} s ({:.0} orders/s)",
        out.orders.written,
        out.open_count,
        out.rare,
        fixture.clients.len(),
        out.clocks.written,
        out.events.written,
        out.search.written,
        out.orders.written as f64 / progress.started.elapsed().as_secs_f64().max(1e-9),
    );
    store.close().await;
    Ok(())
}

/// What the orders are generated against: the default policy with its calendars, the
/// provider's engineers and the client organisations (created if missing). Loads the demo data
/// first on a database without an SLA policy.
struct Fixture {
    policy: Option<(i64, i64, SlaPolicy)>,
    calendars: HashMap<String, Calendar>,
    engineers: Vec<Engineer>,
    clients: Vec<Client>,
}

impl Fixture {
    async fn load(store: &Store, clients: u64) -> Result<Fixture, Failure> {
        let pool = store.pool();
        let policies: i64 = sqlx::query_scalar("SELECT count(*) FROM sla_policies")
            .fetch_one(pool)
            .await
            .map_err(db)?;
        if policies == 0 {
            eprintln!("no SLA policies: loading the demo data first (calendars, policy, staff)");
            crate::cli::serve::bootstrap(store).await?;
            demo::load(store).await?;
        }
        let provider: i64 =
            sqlx::query_scalar("SELECT id FROM organizations WHERE kind = 'provider'")
                .fetch_one(pool)
                .await
                .map_err(db)?;
        let system = Actor::system(provider);
        let policy_id: Option<i64> =
            sqlx::query_scalar("SELECT id FROM sla_policies WHERE is_default = 1")
                .fetch_optional(pool)
                .await
                .map_err(db)?;
        let policy = match policy_id {
            Some(id) => {
                let stored = calendars::get_policy(store, &system, id).await?;
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
                    && let Some(c) = calendars::resolve(store, name).await?
                {
                    cals.insert(name.clone(), c);
                }
            }
        }
        let engineers: Vec<Engineer> = sqlx::query(
            "SELECT id, display_name, team_id FROM users WHERE org_id = $1 AND role IN ('engineer', 'dispatcher') AND active = 1 ORDER BY id",
        )
        .bind(provider)
        .fetch_all(pool)
        .await
        .map_err(db)?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(db)?;
        Ok(Fixture {
            policy,
            calendars: cals,
            engineers,
            clients: ensure_clients(store, clients).await?,
        })
    }
}

/// Ids and yearly order counters, continuing after what the database holds.
struct Cursor {
    next_order: i64,
    next_clock: i64,
    next_event: i64,
    counters: HashMap<i16, i64>,
    year: i16,
    year_end: i64,
}

impl Cursor {
    async fn after_existing(pool: &sqlx::AnyPool) -> Result<Cursor, Failure> {
        let max = |t: &str| format!("SELECT COALESCE(max(id), 0) FROM {t}");
        let mut ids = [0i64; 3];
        for (slot, table) in ids
            .iter_mut()
            .zip(["orders", "order_clocks", "order_events"])
        {
            *slot = sqlx::query_scalar(sqlx::AssertSqlSafe(max(table)))
                .fetch_one(pool)
                .await
                .map_err(db)?;
        }
        let mut counters = HashMap::new();
        for r in sqlx::query("SELECT year, last FROM order_counters")
            .fetch_all(pool)
            .await
            .map_err(db)?
        {
            let y: i64 = r.try_get(0).map_err(db)?;
            counters.insert(y as i16, r.try_get(1).map_err(db)?);
        }
        Ok(Cursor {
            next_order: ids[0],
            next_clock: ids[1],
            next_event: ids[2],
            counters,
            year: 0,
            year_end: i64::MIN,
        })
    }

    /// The year (in the provider's zone) and gap-free sequence number of an order created at
    /// `created`; instants come in rising order.
    fn number(&mut self, created: i64, tz: &jiff::tz::TimeZone) -> (i16, i64) {
        if created >= self.year_end {
            self.year = year_of(created, tz);
            self.year_end = jiff::civil::date(self.year + 1, 1, 1)
                .at(0, 0, 0, 0)
                .to_zoned_datetime(tz.clone())
                .map(|z| z.timestamp().as_millisecond())
                .unwrap_or(i64::MAX);
        }
        let seq = self.counters.entry(self.year).or_insert(0);
        *seq += 1;
        (self.year, *seq)
    }
}

/// The four tables being filled, and what the summary reports.
struct Output {
    orders: Table,
    clocks: Table,
    events: Table,
    search: Table,
    open_count: u64,
    rare: u64,
}

/// What one generated order looks like, before it becomes rows.
struct Story<'a> {
    id: i64,
    client: i64,
    number: String,
    state: &'static str,
    engineer: Option<&'a Engineer>,
    requester: &'a Person,
    created: i64,
    responded: i64,
    resolved_at: Option<i64>,
    closed_at: Option<i64>,
    subject: String,
    resolution: &'static str,
    priority: Priority,
    channel: &'static str,
}

impl Output {
    fn new(backend: Backend, rows_per_statement: usize) -> Output {
        let (search_table, search_columns) = weihu_store::orders::search::bulk_columns(backend);
        let mut out = Output {
            orders: Table::new("orders", ORDER_COLUMNS),
            clocks: Table::new("order_clocks", CLOCK_COLUMNS),
            events: Table::new("order_events", EVENT_COLUMNS),
            search: Table::new(search_table, search_columns),
            open_count: 0,
            rare: 0,
        };
        for t in [
            &mut out.orders,
            &mut out.clocks,
            &mut out.events,
            &mut out.search,
        ] {
            t.per_statement = rows_per_statement;
        }
        out
    }

    fn rows_written(&self) -> u64 {
        self.orders.written + self.clocks.written + self.events.written + self.search.written
    }

    /// One order: its row, its timeline, its clocks and its search row.
    #[allow(clippy::too_many_arguments)]
    fn order(
        &mut self,
        fx: &Fixture,
        cursor: &mut Cursor,
        rng: &mut Rng,
        now: i64,
        created: i64,
        year: i16,
        seq: i64,
    ) {
        // Skewed towards the first clients: a few big ones, many small.
        let u = rng.below(1 << 20) as f64 / f64::from(1 << 20);
        let client = &fx.clients[((u * u) * fx.clients.len() as f64) as usize % fx.clients.len()];
        let requester = &client.people[rng.below(client.people.len() as u64) as usize];
        let (category, subject, description, resolution) = order_text(rng);
        if subject.contains(RARE_WORD) {
            self.rare += 1;
        }
        let levels = [Level::High, Level::Medium, Level::Low];
        let urgency = *rng.pick(&levels);
        let impact = *rng.pick(&levels);
        let priority = match &fx.policy {
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
        if !matches!(state, "closed" | "cancelled" | "resolved") {
            self.open_count += 1;
        }
        let engineer = if fx.engineers.is_empty() || state == "new" {
            None
        } else {
            Some(&fx.engineers[rng.below(fx.engineers.len() as u64) as usize])
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
        let story = Story {
            id: cursor.next_order,
            client: client.id,
            number: order_number(year, seq),
            state,
            engineer,
            requester,
            created,
            responded,
            resolved_at,
            closed_at,
            subject,
            resolution,
            priority,
            channel,
        };
        self.orders.rows.push(vec![
            Val::I(story.id),
            Val::T(story.number.clone()),
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
            Val::T(story.subject.clone()),
            Val::T(description.clone()),
            Val::T(mode.into()),
            Val::T(state.into()),
            Val::O(engineer.map(|e| e.0)),
            Val::O(engineer.and_then(|e| e.2)),
            Val::O(fx.policy.as_ref().map(|p| p.0)),
            Val::O(fx.policy.as_ref().map(|p| p.1)),
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
            Val::I(closed_at.or(resolved_at).unwrap_or(created).min(now)),
        ]);
        let (public_comments, internal_comments) = self.timeline(&story, cursor, rng, now);
        self.clocks_of(&story, fx, cursor, now);
        let mut public_texts: Vec<&str> = vec![
            &story.subject,
            &description,
            res_text,
            &requester.name,
            &site,
        ];
        public_texts.extend(public_comments);
        self.search.rows.push(vec![
            Val::I(story.id),
            Val::T(tokens(&public_texts)),
            Val::T(tokens(&internal_comments)),
        ]);
    }

    /// Created, assigned, a comment or two, resolved, closed or cancelled. Returns the public
    /// and internal comment texts for the search row.
    fn timeline(
        &mut self,
        s: &Story,
        cursor: &mut Cursor,
        rng: &mut Rng,
        now: i64,
    ) -> (Vec<&'static str>, Vec<&'static str>) {
        let mut ev: Vec<TimelineEntry> =
            vec![(s.created, None, "created", true, s.subject.clone())];
        let mut public_comments = Vec::new();
        let mut internal_comments = Vec::new();
        if let Some(e) = s.engineer {
            ev.push((
                s.created + 2 * MINUTE,
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
            ev.push((
                s.responded.min(now),
                Some(e),
                "comment",
                public,
                body.into(),
            ));
            if rng.chance(30) {
                let body = *rng.pick(COMMENTS_INTERNAL);
                internal_comments.push(body);
                let at = s.responded.min(now) + MINUTE;
                ev.push((at, Some(e), "comment", false, body.into()));
            }
            if let Some(r) = s.resolved_at {
                ev.push((r, Some(e), "resolve", true, s.resolution.into()));
            }
        }
        if let Some(c) = s.closed_at {
            let kind = if s.state == "cancelled" {
                "cancel"
            } else {
                "close"
            };
            ev.push((c, None, kind, true, String::new()));
        }
        for (at, who, kind, public, body) in ev {
            cursor.next_event += 1;
            let (actor_id, actor_name) = match who {
                Some(e) => (Some(e.0), e.1.clone()),
                None => (Some(s.requester.id), s.requester.name.clone()),
            };
            let data = if kind == "created" {
                serde_json::json!({
                    "number": s.number,
                    "priority": s.priority.as_str(),
                    "channel": s.channel,
                })
                .to_string()
            } else {
                "{}".into()
            };
            self.events.rows.push(vec![
                Val::I(cursor.next_event),
                Val::I(s.id),
                Val::I(at),
                Val::O(actor_id),
                Val::T(actor_name),
                Val::T(kind.into()),
                Val::I(i64::from(public)),
                Val::T(body),
                Val::T(data),
            ]);
        }
        (public_comments, internal_comments)
    }

    /// Response and resolution clocks from the policy, stopped when the order got there.
    fn clocks_of(&mut self, s: &Story, fx: &Fixture, cursor: &mut Cursor, now: i64) {
        let Some((_, _, p)) = &fx.policy else {
            return;
        };
        let targets = p.targets_for(s.priority);
        let Some(cal) = fx.calendars.get(&targets.calendar) else {
            return;
        };
        let responded_at = (s.engineer.is_some() && s.responded < now).then_some(s.responded);
        let finished = s.closed_at.or(s.resolved_at);
        for (kind, target, stop) in [
            ("response", targets.response, responded_at.or(s.closed_at)),
            ("resolution", targets.resolution, finished),
        ] {
            let due = due_ms(cal, s.created, target);
            let (tk, minutes) = target_parts(target);
            let late = matches!((due, stop), (Some(d), Some(at)) if at > d)
                || matches!((due, stop), (Some(d), None) if d <= now);
            let (state, next_check) = match stop {
                Some(_) if s.state == "cancelled" => ("stopped", None),
                Some(_) => ("done", None),
                None => ("running", due.filter(|d| *d > now)),
            };
            cursor.next_clock += 1;
            self.clocks.rows.push(vec![
                Val::I(cursor.next_clock),
                Val::I(s.id),
                Val::T(kind.into()),
                Val::T(targets.calendar.clone()),
                Val::T(tk.into()),
                Val::I(minutes),
                Val::I(i64::from(targets.at_risk_percent)),
                Val::I(s.created),
                Val::O(stop),
                Val::O(due),
                Val::T(state.into()),
                Val::I(i64::from(late)),
                Val::I(i64::from(late)),
                Val::O(next_check),
                Val::I(s.client),
            ]);
        }
    }

    /// The batch's rows and its order counters, in one transaction.
    async fn write(
        &mut self,
        pool: &sqlx::AnyPool,
        counters: &HashMap<i16, i64>,
    ) -> Result<(), Failure> {
        let mut tx = pool.begin().await.map_err(db)?;
        self.orders.flush(&mut tx).await?;
        self.clocks.flush(&mut tx).await?;
        self.events.flush(&mut tx).await?;
        self.search.flush(&mut tx).await?;
        for (year, last) in counters {
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
        tx.commit().await.map_err(db)
    }
}

/// A progress line every five seconds and at the end.
struct Progress {
    total: u64,
    done: u64,
    started: Instant,
    last_report: Instant,
}

impl Progress {
    fn new(total: u64) -> Progress {
        Progress {
            total,
            done: 0,
            started: Instant::now(),
            last_report: Instant::now(),
        }
    }

    fn add(&mut self, n: u64, out: &Output) {
        self.done += n;
        if self.last_report.elapsed() < Duration::from_secs(5) && self.done != self.total {
            return;
        }
        let rate = self.done as f64 / self.started.elapsed().as_secs_f64().max(1e-9);
        let eta = (self.total - self.done) as f64 / rate.max(1e-9);
        eprintln!(
            "{}/{} orders ({:.0}%), {rate:.0} orders/s, {} rows written, ETA {eta:.0} s",
            self.done,
            self.total,
            self.done as f64 * 100.0 / self.total.max(1) as f64,
            out.rows_written(),
        );
        self.last_report = Instant::now();
    }
}

/// Sequences past the written ids (PostgreSQL) and fresh planner statistics.
async fn finish(pool: &sqlx::AnyPool, backend: Backend) -> Result<(), Failure> {
    if backend == Backend::Postgres {
        for t in ["orders", "order_clocks", "order_events"] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT COALESCE(max(id), 1) FROM {t}))"
            )))
            .execute(pool)
            .await
            .map_err(db)?;
        }
    }
    // What the clock job and the resolve form record in a live desk: each stopped clock's
    // outcome, a breach reason for most breaches (one in five left unexplained), and a failure
    // cause on most resolutions; month-wide statements, not one per row.
    eprintln!("recording clock outcomes, breach reasons and failure causes…");
    for sql in [
        "UPDATE order_clocks SET outcome = CASE WHEN due_at IS NULL OR stopped_at <= due_at THEN 'met' ELSE 'breached' END \
         WHERE state = 'done' AND outcome IS NULL",
        "UPDATE order_clocks SET breach_reason = CASE id % 8 WHEN 0 THEN 'client_unavailable' WHEN 1 THEN 'parts_delay' \
         WHEN 2 THEN 'third_party' WHEN 3 THEN 'workload' WHEN 4 THEN 'complexity' WHEN 5 THEN 'travel' \
         WHEN 6 THEN 'misrouted' ELSE 'other' END, breach_note = '' \
         WHERE outcome = 'breached' AND breach_reason IS NULL AND id % 5 <> 0",
        "UPDATE orders SET cause = CASE id % 9 WHEN 0 THEN 'software' WHEN 1 THEN 'network' WHEN 2 THEN 'power' \
         WHEN 3 THEN 'user_operation' WHEN 4 THEN 'third_party' WHEN 5 THEN 'unknown' ELSE 'hardware' END \
         WHERE resolved_at IS NOT NULL AND cause IS NULL AND id % 10 <> 0",
    ] {
        sqlx::query(sql).execute(pool).await.map_err(db)?;
    }
    // PostgreSQL: VACUUM as well, so the visibility map lets the month-wide report queries read
    // their indexes only, as they do once autovacuum has run over a live desk's tables — a
    // measurement straight after a bulk load would otherwise time the heap instead.
    let finish = if backend == Backend::Postgres {
        "VACUUM ANALYZE"
    } else {
        "ANALYZE"
    };
    eprintln!("{finish}…");
    sqlx::query(finish).execute(pool).await.map_err(db)?;
    Ok(())
}

/// Knowledge-base articles from the generated fault texts, through the store (revisions and
/// search rows as the API writes them), then nine in ten published in one statement.
async fn write_articles(store: &Store, rng: &mut Rng, n: u64) -> Result<u64, Failure> {
    let n = n.min(1_000_000);
    let system = Actor::system(0);
    let mut progress_at = Instant::now();
    for i in 0..n {
        let (category, subject, description, resolution) = order_text(rng);
        let mut body = format!("## 现象\n\n{description}\n\n## 处理方法\n\n{resolution}\n");
        for _ in 0..(2 + rng.below(4)) {
            let (_, _, more, fix) = order_text(rng);
            body.push_str(&format!("\n- {more} {fix}\n"));
        }
        let new = weihu_store::articles::NewArticle {
            title: format!("{subject} 的处理 #{i}"),
            body,
            category: category.to_owned(),
            categories: vec![category.to_owned()],
            audience: Some(
                if rng.chance(50) {
                    "clients"
                } else {
                    "internal"
                }
                .into(),
            ),
            ..Default::default()
        };
        weihu_store::articles::create(store, &system, &new)
            .await
            .map_err(|e| Failure::input(format!("article {i}: {e}")))?;
        if progress_at.elapsed() >= Duration::from_secs(5) {
            eprintln!("  {} / {n} articles", i + 1);
            progress_at = Instant::now();
        }
    }
    let published = sqlx::query(
        "UPDATE articles SET state = 'published', published_at = updated_at, version = version + 1 \
         WHERE state = 'draft' AND id % 10 <> 0",
    )
    .execute(store.pool())
    .await
    .map_err(db)?;
    eprintln!("{} articles published", published.rows_affected());
    Ok(n)
}
