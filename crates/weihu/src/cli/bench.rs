//! `weihu bench`: an HTTP load test against a Weihu server on this machine. Concurrent tokio
//! tasks make real API calls (create, comment, board, open, search, a client's open orders) with
//! a bearer token, bounded in time and count, and report count, errors, throughput and latency
//! percentiles per operation.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use serde_json::{Value, json};

use super::Failure;
use super::generate::{RARE_WORD, Rng};

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Server base URL; loopback only (127.0.0.1, ::1, localhost).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// API token (wh_…) of a provider user (dispatcher or admin) — the desk.
    #[arg(long, env = "WEIHU_BENCH_TOKEN", required_unless_present = "commits")]
    pub token: Option<String>,
    /// Measure the database instead of a server: --clients writers each commit single-row
    /// transactions (durably, with the server's settings) into a scratch table for --duration,
    /// against the configured database (--data-dir or DATABASE_URL). The scratch table is dropped.
    #[arg(long)]
    pub commits: bool,
    /// Concurrent clients (tasks).
    #[arg(long, default_value_t = 8)]
    pub clients: usize,
    /// How long to run: 30s, 2m, 500ms.
    #[arg(long, default_value = "30s")]
    pub duration: String,
    /// Stop after this many requests in total (whichever comes first with --duration).
    #[arg(long)]
    pub requests: Option<u64>,
    /// Operation weights: create, comment, board, open (an order and its timeline), order (the
    /// order alone), search, client, search_client (the word within --client-org's orders),
    /// search_open (the word among open orders), articles (the knowledge base searched for the
    /// word), suggest (the articles an order page suggests for a random order).
    #[arg(
        long,
        default_value = "create=20,comment=10,board=30,open=30,search=10"
    )]
    pub mix: String,
    /// Client organisation for the `client` op (its open orders); adds client=10 to the default mix.
    #[arg(long)]
    pub client_org: Option<i64>,
    /// Search word for the `search` op.
    #[arg(long, default_value = RARE_WORD)]
    pub word: String,
    /// Seed for the choice of operations and orders.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

const OPS: [&str; 11] = [
    "create",
    "comment",
    "board",
    "open",
    "order",
    "search",
    "client",
    "search_client",
    "search_open",
    "articles",
    "suggest",
];

/// `30s`, `2m`, `500ms`, `1h`, or plain seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: u64 = n.parse().map_err(|_| format!("bad duration {s:?}"))?;
    Ok(match unit {
        "" | "s" => Duration::from_secs(n),
        "ms" => Duration::from_millis(n),
        "m" => Duration::from_secs(n * 60),
        "h" => Duration::from_secs(n * 3600),
        _ => return Err(format!("bad duration unit in {s:?} (use ms, s, m, h)")),
    })
}

/// `create=20,board=30` → weights per op (unknown ops refused).
pub fn parse_mix(s: &str) -> Result<Vec<(&'static str, u64)>, String> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, w) = part
            .split_once('=')
            .ok_or_else(|| format!("mix entry {part:?} must be op=weight"))?;
        let op = OPS
            .iter()
            .find(|o| **o == name.trim())
            .ok_or_else(|| format!("unknown op {name:?} (ops: {})", OPS.join(", ")))?;
        let w: u64 = w
            .trim()
            .parse()
            .map_err(|_| format!("bad weight in {part:?}"))?;
        if w > 0 {
            out.push((*op, w));
        }
    }
    if out.is_empty() {
        return Err("the mix has no operation with a weight above 0".into());
    }
    Ok(out)
}

fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The `q`-th quantile (0..=1) of sorted latencies.
pub fn percentile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

#[derive(Default)]
struct Stats {
    lat_us: Vec<u64>,
    errors: u64,
    first_error: Option<String>,
}

struct Shared {
    http: reqwest::Client,
    base: String,
    token: String,
    client_org_for_create: i64,
    client_org: Option<i64>,
    word: String,
    open_ids: Vec<i64>,
    max_id: i64,
    issued: AtomicU64,
    limit: u64,
    deadline: Instant,
}

async fn get_json(s: &Shared, path: &str) -> Result<Value, String> {
    let r = s
        .http
        .get(format!("{}{path}", s.base))
        .bearer_auth(&s.token)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = r.status();
    let body = r.text().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("GET {path}: {status} {}", trunc(&body)));
    }
    serde_json::from_str(&body).map_err(|e| e.to_string())
}

fn trunc(s: &str) -> String {
    s.chars().take(200).collect()
}

fn q(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One operation: Ok(()) on 2xx, Err(description) otherwise.
async fn op(s: &Shared, rng: &mut Rng, name: &str, n: u64) -> Result<(), String> {
    let req = match name {
        "create" => s
            .http
            .post(format!("{}/api/v1/orders", s.base))
            .json(&json!({
                "client_org_id": s.client_org_for_create,
                "requester_name": "压测 Bench",
                "channel": "phone",
                "category": "peripheral",
                "urgency": "medium",
                "impact": "low",
                "subject": format!("压测工单 打印机无法打印 bench {n}"),
                "description": "weihu bench: created by the load test",
            })),
        "comment" => {
            let id = *s
                .open_ids
                .get(rng.below(s.open_ids.len() as u64) as usize)
                .ok_or("no open orders to comment on")?;
            s.http
                .post(format!("{}/api/v1/orders/{id}/comments", s.base))
                .json(&json!({"body": format!("压测备注 bench note {n}"), "public": false}))
        }
        "board" => s.http.get(format!(
            "{}/api/v1/orders?open=true&sort=priority&limit=50",
            s.base
        )),
        "open" => {
            let id = 1 + rng.below(s.max_id.max(1) as u64) as i64;
            let r = s
                .http
                .get(format!("{}/api/v1/orders/{id}", s.base))
                .bearer_auth(&s.token)
                .send()
                .await
                .map_err(|e| e.to_string())?;
            let status = r.status();
            let body = r.bytes().await.map_err(|e| e.to_string())?;
            if !status.is_success() {
                return Err(format!(
                    "GET order {id}: {status} {}",
                    trunc(&String::from_utf8_lossy(&body))
                ));
            }
            s.http.get(format!("{}/api/v1/orders/{id}/events", s.base))
        }
        // One order alone (the order page's API read).
        "order" => {
            let id = 1 + rng.below(s.max_id.max(1) as u64) as i64;
            s.http.get(format!("{}/api/v1/orders/{id}", s.base))
        }
        "search" => s.http.get(format!(
            "{}/api/v1/orders?q={}&limit=50",
            s.base,
            q(&s.word)
        )),
        "client" => s.http.get(format!(
            "{}/api/v1/orders?client_org_id={}&open=true&limit=50",
            s.base,
            s.client_org.ok_or("the client op needs --client-org")?
        )),
        // The word within one client's orders (a client's own search, or the desk's filtered one).
        "search_client" => s.http.get(format!(
            "{}/api/v1/orders?q={}&client_org_id={}&limit=50",
            s.base,
            q(&s.word),
            s.client_org
                .ok_or("the search_client op needs --client-org")?
        )),
        // The word among open orders only.
        "search_open" => s.http.get(format!(
            "{}/api/v1/orders?q={}&open=true&limit=50",
            s.base,
            q(&s.word)
        )),
        // The knowledge base searched for the word (ranked, highlighted).
        "articles" => s.http.get(format!(
            "{}/api/v1/articles?q={}&limit=20",
            s.base,
            q(&s.word)
        )),
        // The articles an order page suggests for one order.
        "suggest" => {
            let id = 1 + rng.below(s.max_id.max(1) as u64) as i64;
            s.http
                .get(format!("{}/api/v1/orders/{id}/articles", s.base))
        }
        _ => return Err(format!("unknown op {name}")),
    };
    let r = req
        .bearer_auth(&s.token)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = r.status();
    let body = r.bytes().await.map_err(|e| e.to_string())?;
    if status.is_success() {
        Ok(())
    } else {
        Err(format!(
            "{name}: {status} {}",
            trunc(&String::from_utf8_lossy(&body))
        ))
    }
}

pub async fn run(args: BenchArgs) -> Result<(), Failure> {
    let url = reqwest::Url::parse(&args.url).map_err(|e| Failure::input(format!("--url: {e}")))?;
    if !is_loopback(&url) {
        return Err(Failure::input(
            "--url must be a loopback address (127.0.0.1, ::1 or localhost): bench only loads this machine",
        ));
    }
    let duration = parse_duration(&args.duration).map_err(Failure::input)?;
    let mut mix_text = args.mix.clone();
    if args.client_org.is_some() && !mix_text.contains("client") {
        mix_text.push_str(",client=10");
    }
    let mix = parse_mix(&mix_text).map_err(Failure::input)?;
    if let Some((o, _)) = mix
        .iter()
        .find(|(o, _)| matches!(*o, "client" | "search_client"))
        && args.client_org.is_none()
    {
        return Err(Failure::input(format!("the {o} op needs --client-org ID")));
    }
    let clients = args.clients.clamp(1, 1024);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| Failure::input(format!("http client: {e}")))?;
    let base = args.url.trim_end_matches('/').to_owned();
    let mut shared = Shared {
        http,
        base,
        token: args.token.clone().unwrap_or_default(),
        client_org_for_create: 0,
        client_org: args.client_org,
        word: args.word.clone(),
        open_ids: Vec::new(),
        max_id: 1,
        issued: AtomicU64::new(0),
        limit: args.requests.unwrap_or(u64::MAX),
        deadline: Instant::now(),
    };
    // What the ops need: a client to create orders for, open orders, the highest order id.
    let orgs = get_json(&shared, "/api/v1/organizations?limit=50")
        .await
        .map_err(|e| Failure::input(format!("cannot read organisations (token?): {e}")))?;
    shared.client_org_for_create = args.client_org.unwrap_or_else(|| {
        orgs["items"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|o| o["kind"] == "client")
            .and_then(|o| o["id"].as_i64())
            .unwrap_or(0)
    });
    let board = get_json(&shared, "/api/v1/orders?open=true&limit=200")
        .await
        .map_err(|e| Failure::input(format!("cannot list orders: {e}")))?;
    shared.open_ids = board["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["id"].as_i64())
        .collect();
    let newest = get_json(&shared, "/api/v1/orders?limit=1&sort=-created_at")
        .await
        .map_err(|e| Failure::input(format!("cannot list orders: {e}")))?;
    // Generated ids are dense: the total is a good upper bound for ids to open.
    shared.max_id = newest["items"][0]["id"]
        .as_i64()
        .unwrap_or(1)
        .max(newest["total"].as_i64().unwrap_or(1));
    eprintln!(
        "bench {} with {clients} clients for {:?}{}; mix {mix_text}; create for client {}, {} open orders to comment on, ids up to {}",
        shared.base,
        duration,
        args.requests
            .map(|r| format!(" or {r} requests"))
            .unwrap_or_default(),
        shared.client_org_for_create,
        shared.open_ids.len(),
        shared.max_id
    );
    shared.deadline = Instant::now() + duration;
    let shared = Arc::new(shared);
    let total_weight: u64 = mix.iter().map(|(_, w)| w).sum();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..clients {
        let s = shared.clone();
        let mix = mix.clone();
        let mut rng = Rng::new(args.seed.wrapping_mul(1000).wrapping_add(t as u64));
        tasks.push(tokio::spawn(async move {
            let mut stats: HashMap<&'static str, Stats> = HashMap::new();
            loop {
                if Instant::now() >= s.deadline {
                    break;
                }
                let n = s.issued.fetch_add(1, Ordering::Relaxed);
                if n >= s.limit {
                    break;
                }
                let mut x = rng.below(total_weight);
                let mut name = mix[0].0;
                for (o, w) in &mix {
                    if x < *w {
                        name = o;
                        break;
                    }
                    x -= w;
                }
                let t0 = Instant::now();
                let r = op(&s, &mut rng, name, n).await;
                let us = t0.elapsed().as_micros() as u64;
                let st = stats.entry(name).or_default();
                st.lat_us.push(us);
                if let Err(e) = r {
                    st.errors += 1;
                    st.first_error.get_or_insert(e);
                }
            }
            stats
        }));
    }
    let mut all: HashMap<&'static str, Stats> = HashMap::new();
    for t in tasks {
        let stats = t
            .await
            .map_err(|e| Failure::input(format!("bench task failed: {e}")))?;
        for (k, v) in stats {
            let a = all.entry(k).or_default();
            a.lat_us.extend(v.lat_us);
            a.errors += v.errors;
            if a.first_error.is_none() {
                a.first_error = v.first_error;
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{:<8} {:>8} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "op", "count", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms"
    );
    let mut total = 0u64;
    let mut errors = 0u64;
    let mut everything = Vec::new();
    for name in OPS {
        let Some(st) = all.get_mut(name) else {
            continue;
        };
        st.lat_us.sort_unstable();
        total += st.lat_us.len() as u64;
        errors += st.errors;
        everything.extend_from_slice(&st.lat_us);
        print_row(name, &st.lat_us, st.errors, secs);
    }
    everything.sort_unstable();
    print_row("all", &everything, errors, secs);
    println!("{total} requests in {secs:.1} s with {clients} clients");
    for name in OPS {
        if let Some(e) = all.get(name).and_then(|s| s.first_error.as_ref()) {
            println!("first {name} error: {e}");
        }
    }
    Ok(())
}

/// `weihu bench --commits`: the store's own single-row commit rate with `--clients` writers, the
/// ceiling that order creation is measured against.
pub async fn commits(settings: &crate::config::Settings, args: BenchArgs) -> Result<(), Failure> {
    let duration = parse_duration(&args.duration).map_err(Failure::input)?;
    let writers = args.clients.clamp(1, 64);
    let store = super::open(settings).await?;
    let pool = store.pool().clone();
    sqlx::query("DROP TABLE IF EXISTS bench_commits")
        .execute(&pool)
        .await
        .map_err(weihu_store::StoreError::from)?;
    sqlx::query(
        "CREATE TABLE bench_commits (id BIGINT PRIMARY KEY, at BIGINT NOT NULL, note TEXT NOT NULL)",
    )
    .execute(&pool)
    .await
    .map_err(weihu_store::StoreError::from)?;
    eprintln!(
        "bench --commits on {} with {writers} writers for {duration:?}: one INSERT per transaction",
        store.backend().name()
    );
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..writers {
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            let mut stats = Stats::default();
            let mut i: i64 = 0;
            while Instant::now() < deadline {
                let t0 = Instant::now();
                let r = sqlx::query("INSERT INTO bench_commits (id, at, note) VALUES ($1, $2, $3)")
                    .bind(w as i64 * 1_000_000_000 + i)
                    .bind(weihu_store::now_ms())
                    .bind("weihu bench --commits")
                    .execute(&pool)
                    .await;
                stats.lat_us.push(t0.elapsed().as_micros() as u64);
                if let Err(e) = r {
                    stats.errors += 1;
                    stats.first_error.get_or_insert(e.to_string());
                }
                i += 1;
            }
            stats
        }));
    }
    let mut all = Stats::default();
    for t in tasks {
        let st = t
            .await
            .map_err(|e| Failure::input(format!("bench task failed: {e}")))?;
        all.lat_us.extend(st.lat_us);
        all.errors += st.errors;
        if all.first_error.is_none() {
            all.first_error = st.first_error;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    all.lat_us.sort_unstable();
    println!(
        "{:<8} {:>8} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "op", "count", "errors", "commit/s", "p50 ms", "p95 ms", "p99 ms", "max ms"
    );
    print_row("commit", &all.lat_us, all.errors, secs);
    if let Some(e) = &all.first_error {
        println!("first error: {e}");
    }
    sqlx::query("DROP TABLE bench_commits")
        .execute(&pool)
        .await
        .map_err(weihu_store::StoreError::from)?;
    store.close().await;
    Ok(())
}

fn print_row(name: &str, sorted: &[u64], errors: u64, secs: f64) {
    let ms = |us: u64| us as f64 / 1000.0;
    println!(
        "{:<8} {:>8} {:>7} {:>9.1} {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
        name,
        sorted.len(),
        errors,
        sorted.len() as f64 / secs.max(1e-9),
        ms(percentile(sorted, 0.50)),
        ms(percentile(sorted, 0.95)),
        ms(percentile(sorted, 0.99)),
        ms(sorted.last().copied().unwrap_or(0)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_durations_mixes_and_hosts() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("3 weeks").is_err());
        assert_eq!(
            parse_mix("create=20, board=0,search=1"),
            Ok(vec![("create", 20), ("search", 1)])
        );
        assert!(parse_mix("drop=1").is_err());
        let u = |s: &str| reqwest::Url::parse(s).expect("test URL");
        assert!(is_loopback(&u("http://127.0.0.1:8080")));
        assert!(is_loopback(&u("http://[::1]:8080")));
        assert!(is_loopback(&u("http://localhost:1")));
        assert!(!is_loopback(&u("http://10.0.0.1:8080")));
        assert!(!is_loopback(&u("http://example.com")));
        assert_eq!(percentile(&[1, 2, 3, 4], 0.5), 2);
        assert_eq!(percentile(&[1, 2, 3, 4], 0.99), 4);
        assert_eq!(q("蓝牙 a"), "%E8%93%9D%E7%89%99%20a");
    }
}
