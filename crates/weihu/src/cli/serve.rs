//! `weihu serve`: bootstrap on first start, then serve until SIGINT/SIGTERM.

use clap::Args;
use weihu_domain::role::Role;
use weihu_store::credentials::{hash_password, random_password};
use weihu_store::users::{self, NewUser};
use weihu_store::{Actor, Store, demo, organizations};
use weihu_web::{AppState, WebConfig};

use super::{Failure, open};
use crate::config::Settings;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on (default 127.0.0.1:8080, or `bind` in weihu.toml; port 0 picks a
    /// free port).
    #[arg(long, env = "WEIHU_BIND")]
    pub bind: Option<String>,
    /// Mark cookies Secure and send HSTS (when Weihu is served over HTTPS).
    #[arg(long, env = "WEIHU_SECURE_COOKIES")]
    pub secure_cookies: Option<bool>,
    /// The IANA time zone pages and documents show times in (times are stored in UTC).
    #[arg(long, env = "WEIHU_TIME_ZONE", default_value = weihu_web::format::DEFAULT_DISPLAY_ZONE)]
    pub time_zone: String,
    /// Load the demo dataset before serving, and show the demo logins on the login page.
    #[arg(long, env = "WEIHU_DEMO")]
    pub demo: bool,
    /// Commit every new order in its own transaction instead of grouping concurrent ones
    /// (slower on SQLite; for comparison and troubleshooting).
    #[arg(long, env = "WEIHU_PER_REQUEST_COMMIT")]
    pub per_request_commit: bool,
    /// The public base URL of this installation (e.g. https://desk.example.com), used for links
    /// that leave the request: QR labels, mail. Unset: taken from the request.
    #[arg(long, env = "WEIHU_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Failed sign-ins from one client address before that address is locked out.
    #[arg(long, env = "WEIHU_LOGIN_ADDRESS_FAILURES", default_value_t = 20)]
    pub login_address_failures: u32,
    /// Failed sign-ins for one username before it is locked for addresses it never signed in from.
    #[arg(long, env = "WEIHU_LOGIN_USERNAME_FAILURES", default_value_t = 5)]
    pub login_username_failures: u32,
    /// Sign-in throttling window and lock length, in minutes.
    #[arg(long, env = "WEIHU_LOGIN_LOCK_MINUTES", default_value_t = 15)]
    pub login_lock_minutes: u32,
    /// A PostgreSQL streaming replica of DATABASE_URL's primary (postgres://…). Lists, search,
    /// reports and exports read from it while it is healthy; a user's reads stay on the primary
    /// for a few seconds after that user writes. Unset: everything reads from the primary.
    #[arg(long, env = "DATABASE_READ_URL")]
    pub database_read_url: Option<String>,
    /// The replica is read from only while it has replayed everything the primary had this
    /// many seconds ago (checked every second).
    #[arg(long, env = "WEIHU_REPLICA_MAX_LAG", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub replica_max_lag: u64,
    #[command(flatten)]
    pub mail: super::mail::MailArgs,
}

/// Creates the provider, the built-in China 5×8 calendar and default SLA policy when there is no
/// default policy (so new orders get clocks without `--demo`), the default inspection checklists
/// that are missing, and a first administrator when the database has no users. Idempotent; safe when several instances start at once.
pub async fn bootstrap(store: &Store) -> Result<(), Failure> {
    let provider = organizations::ensure_provider(store, demo::PROVIDER_NAME).await?;
    if weihu_store::calendars::ensure_builtin(store, &Actor::system(provider)).await? {
        println!(
            "Created the built-in calendar {} and the default SLA policy {} (edit them under Service levels)",
            weihu_store::calendars::BUILTIN_CALENDAR,
            weihu_store::calendars::BUILTIN_POLICY
        );
    }
    let added =
        weihu_store::maintenance::templates::ensure_defaults(store, &Actor::system(provider))
            .await?;
    if added > 0 {
        println!("Added {added} default inspection checklists (hardware, software, machine room)");
    }
    if users::count(store).await? > 0 {
        return Ok(());
    }
    let (password, generated) = match std::env::var("WEIHU_ADMIN_PASSWORD") {
        Ok(p) if !p.is_empty() => (p, false),
        _ => (random_password()?, true),
    };
    let hash = hash_password(&password)
        .map_err(|e| Failure::input(format!("WEIHU_ADMIN_PASSWORD: {e}")))?;
    let new = NewUser {
        org_id: provider,
        username: "admin".into(),
        display_name: "管理员 Admin".into(),
        email: String::new(),
        phone: String::new(),
        role: Role::Admin,
        team_id: None,
        locale: None,
        password: String::new(),
    };
    match users::create_hashed(store, &Actor::system(provider), &new, &hash, generated).await {
        Ok(_) => {}
        // Another instance starting at the same moment created it first.
        Err(weihu_store::StoreError::Duplicate { .. }) => return Ok(()),
        Err(e) => return Err(e.into()),
    }
    if generated {
        println!("Created the administrator: username admin, one-time password {password}");
        println!(
            "(you will be asked to change it at the first sign-in; set WEIHU_ADMIN_PASSWORD to choose it)"
        );
    } else {
        println!("Created the administrator: username admin, password from WEIHU_ADMIN_PASSWORD");
    }
    Ok(())
}

pub async fn load_demo(store: &Store) -> Result<(), Failure> {
    bootstrap(store).await?;
    let logins = demo::load(store).await?;
    demo::load_knowledge(store).await?;
    println!(
        "Demo data loaded. Demo logins (password: {}):",
        demo::DEMO_PASSWORD
    );
    for l in logins {
        println!(
            "  {:<14} {:<22} {}",
            l.username,
            l.role.as_str(),
            l.organization
        );
    }
    Ok(())
}

/// Checks `--public-url`: an absolute http(s) URL without query or fragment; the trailing slash
/// is dropped so links can be appended.
fn public_url(value: Option<&str>) -> Result<Option<String>, Failure> {
    let Some(raw) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let rest = raw
        .strip_prefix("https://")
        .or_else(|| raw.strip_prefix("http://"));
    let ok = rest.is_some_and(|r| {
        let host = r.split('/').next().unwrap_or("");
        !host.is_empty()
            && !r.contains(['?', '#', '\\'])
            && !r.chars().any(|c| c.is_control() || c.is_whitespace())
    });
    if !ok {
        return Err(Failure::input(format!(
            "--public-url: expected an absolute http:// or https:// URL without query or fragment, got {raw:?}"
        )));
    }
    Ok(Some(raw.trim_end_matches('/').to_string()))
}

pub async fn run(settings: &Settings, args: ServeArgs) -> Result<(), Failure> {
    let public_url = public_url(args.public_url.as_deref())?;
    args.mail.check()?;
    let zone = jiff::tz::TimeZone::get(&args.time_zone).map_err(|_| {
        Failure::input(format!(
            "--time-zone: {:?} is not an IANA time zone (e.g. Asia/Shanghai, Europe/Berlin)",
            args.time_zone
        ))
    })?;
    weihu_web::format::set_display_zone(zone.clone());
    // The provider's zone: pages show times in it, and order numbers take their year from it.
    let mut store = open(settings).await?.with_time_zone(zone);
    if let Some(url) = args.database_read_url.as_deref().filter(|u| !u.is_empty()) {
        store = store
            .with_read_replica(url, std::time::Duration::from_secs(args.replica_max_lag))
            .map_err(|e| Failure::input(format!("--database-read-url: {e}")))?;
        store.check_replica().await;
    }
    if args.demo {
        load_demo(&store).await?;
    } else {
        bootstrap(&store).await?;
    }
    // Flags and environment win over weihu.toml, which wins over the defaults.
    let bind = args.bind.clone().unwrap_or_else(|| settings.bind.clone());
    let secure_cookies = args.secure_cookies.unwrap_or(settings.secure_cookies);
    let listener = tokio::net::TcpListener::bind(&bind)
        .await
        .map_err(|e| Failure::input(format!("cannot listen on {bind}: {e}")))?;
    let addr = listener.local_addr()?;
    println!(
        "Weihu is listening on http://{addr} ({} database{})",
        store.backend().name(),
        if settings.is_sqlite() {
            format!(" in {}", settings.data_dir.display())
        } else {
            String::new()
        }
    );
    let state = AppState::new(
        store.clone(),
        WebConfig {
            secure_cookies,
            demo: args.demo,
            per_request_commit: args.per_request_commit,
            public_url: public_url.clone(),
            login: weihu_web::LoginLimits {
                address_failures: args.login_address_failures,
                username_failures: args.login_username_failures,
                lock_minutes: args.login_lock_minutes,
            },
            mail: args.mail.status(),
            mail_limits: args.mail.limits(),
        },
    );
    let login_window_ms = i64::from(args.login_lock_minutes.max(1)) * 60_000;
    let jobs = tokio::spawn(clock_job(store.clone(), login_window_ms));
    let month_end = tokio::spawn(month_end_job(store.clone()));
    let replica = tokio::spawn(replica_job(store.clone()));
    // Mail: without a relay the outbox only fills (the Mail page says so); without a mailbox
    // nothing is polled (`weihu mail receive` still takes messages).
    let base = public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
    let sender = args
        .mail
        .sender(Some(&base))?
        .map(|s| tokio::spawn(weihu_web::mail::send::run(store.clone(), s)));
    let poller = args
        .mail
        .poller()?
        .map(|p| tokio::spawn(weihu_web::mail::poll::run(store.clone(), p)));
    if sender.is_none() {
        println!("Mail is off (no --smtp-url): mails are queued in the outbox, not sent");
    }
    weihu_web::serve(listener, state, shutdown_signal()).await?;
    jobs.abort();
    month_end.abort();
    replica.abort();
    for t in [sender, poller].into_iter().flatten() {
        t.abort();
    }
    store.close().await;
    println!("Weihu stopped.");
    Ok(())
}

/// Checks the read replica every second (nothing without one): reads go to it only while it is
/// reachable and caught up.
async fn replica_job(store: Store) {
    if store.read_replica().is_none() {
        return;
    }
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        store.check_replica().await;
    }
}

/// Re-evaluates SLA clocks every 30 seconds, raising at-risk and breach notifications. Safe with
/// several instances: rows are claimed with `SKIP LOCKED` on PostgreSQL (one writer on SQLite).
/// Also purges expired sign-in throttle rows.
async fn clock_job(store: Store, login_window_ms: i64) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(30));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = weihu_store::throttle::purge(&store, login_window_ms).await {
            tracing::warn!(error = %e, "sign-in throttle purge failed; retrying at the next tick");
        }
        loop {
            match weihu_store::orders::evaluate_due_clocks(&store, None, 500).await {
                Ok(n) if n > 0 => tracing::info!(notifications = n, "SLA clocks evaluated"),
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "SLA clock job failed; retrying at the next tick");
                    break;
                }
            }
        }
    }
}

/// Every 10 minutes: ends expired contracts, marks overdue statements, generates inspections
/// and flags overdue ones, and once a month drafts last month's statements and service-level
/// reports. Safe with several instances: the month is claimed by one row insert,
/// and a statement's (contract, month) is unique.
async fn month_end_job(store: Store) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match weihu_store::statements::run_month_end(&store).await {
            Ok(Some(sum)) => tracing::info!(
                month = %sum.month,
                created = sum.created,
                failed = sum.failed.len(),
                "monthly statements drafted"
            ),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "month-end job failed; retrying at the next tick"),
        }
        // Preventive maintenance: every plan's inspections up to its horizon, then the ones not
        // done by the end of their day flagged to the dispatchers and the client.
        match weihu_store::maintenance::inspections::generate(&store, None).await {
            Ok(sum) if sum.created + sum.updated + sum.cancelled > 0 || !sum.failed.is_empty() => {
                tracing::info!(
                    plans = sum.plans,
                    created = sum.created,
                    updated = sum.updated,
                    cancelled = sum.cancelled,
                    failed = sum.failed.len(),
                    "inspections generated"
                )
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "inspection generation failed; retrying at the next tick")
            }
        }
        // In batches of 500 until none is left (a plan started in the past flags its whole past).
        loop {
            match weihu_store::maintenance::inspections::flag_overdue(&store, None).await {
                Ok(n) if n > 0 => tracing::info!(flagged = n, "overdue inspections flagged"),
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "overdue inspection check failed; retrying at the next tick");
                    break;
                }
            }
        }
        // On the first working day: last month's service-level report of every client, drafted
        // for the service-level manager to review and publish.
        match weihu_store::reports::run_month_reports(&store).await {
            Ok(Some(sum)) => tracing::info!(
                month = %sum.month,
                created = sum.created,
                failed = sum.failed.len(),
                "service-level reports drafted"
            ),
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e, "report drafting failed; retrying at the next tick")
            }
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
