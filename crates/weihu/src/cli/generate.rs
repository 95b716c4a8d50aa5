//! `weihu generate`: bulk realistic service orders for load tests and benchmarks.
//!
//! Client organisations with their people, then orders spread over the last two years with
//! Chinese and English subjects, timelines, SLA clocks, gap-free numbers and search index rows,
//! written with multi-row INSERTs in large transactions. Meant for an otherwise idle database.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use clap::Args;
use sqlx::{Any, Row};
use weihu_domain::calendar::Calendar;
use weihu_domain::order::order_number;
use weihu_domain::priority::{Level, Priority};
use weihu_domain::sla::{Due, SlaPolicy, Target};
use weihu_store::{Actor, Backend, Store, calendars, demo};

use super::{Failure, open};
use crate::config::Settings;

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// How many orders to create.
    #[arg(long, default_value_t = 10_000)]
    pub orders: u64,
    /// How many client organisations to spread them over (created if missing).
    #[arg(long, default_value_t = 50)]
    pub clients: u64,
    /// Seed of the generator: the same seed gives the same data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Orders per transaction.
    #[arg(long, default_value_t = 10_000)]
    pub per_transaction: u64,
    /// Rows per INSERT statement (capped by SQLite's 32,766 parameters). sqlx's cost grows
    /// faster than linearly with the parameters of one statement: 100 was fastest here.
    #[arg(long, default_value_t = MAX_ROWS)]
    pub rows_per_statement: usize,
    /// Also give every client without one a capped contract for that month's year, attach the
    /// orders to it and give each order one on-site visit checked in during the month (kinds
    /// mixed: regular, scheduled, repeat, emergency with travel): the statement benchmark.
    #[arg(long, value_name = "YYYY-MM")]
    pub billing_month: Option<String>,
}

/// SQLite's limit on bound parameters per statement (PostgreSQL allows 65,535).
pub const MAX_PARAMS: usize = 32_766;
/// Rows per INSERT statement at most.
pub const MAX_ROWS: usize = 100;
/// The most rows per statement anyone may ask for.
pub const ROWS_CAP: usize = 2_000;

/// How many rows of `columns` values fit in one statement.
pub fn rows_per_statement(columns: usize, wanted: usize) -> usize {
    (MAX_PARAMS / columns.max(1))
        .min(wanted.min(ROWS_CAP))
        .max(1)
}

/// `INSERT INTO table (cols) VALUES ($1, …), (…)` for `rows` rows.
pub fn insert_sql(table: &str, columns: &[&str], rows: usize) -> String {
    let mut s = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut n = 0;
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for c in 0..columns.len() {
            if c > 0 {
                s.push_str(", ");
            }
            n += 1;
            s.push('$');
            s.push_str(&n.to_string());
        }
        s.push(')');
    }
    s
}

/// SplitMix64: small, fast, deterministic for a seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n.max(1))) >> 64) as u64
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// The word that appears in about one order in 10,000 (for the rare-word search benchmark).
pub const RARE_WORD: &str = "蓝牙键盘";

/// (category, subject, description, resolution).
const FAULTS: &[(&str, &str, &str, &str)] = &[
    (
        "peripheral",
        "打印机无法打印",
        "财务部的打印机一直显示脱机，重启后仍然无法打印，急需打印报销单。",
        "更换硒鼓并重新安装驱动，打印正常。",
    ),
    (
        "peripheral",
        "打印机卡纸",
        "二楼复印打印一体机频繁卡纸，纸盒附近有异响。",
        "清理搓纸轮并更换分页器，测试 50 页无卡纸。",
    ),
    (
        "network",
        "网络断开",
        "办公区整层网络断开，电脑显示无法连接互联网。",
        "核心交换机端口故障，已切换到备用端口。",
    ),
    (
        "network",
        "无线网络信号差",
        "会议室无线网络信号很弱，视频会议经常掉线。",
        "新增一台无线接入点并调整信道。",
    ),
    (
        "server_storage",
        "服务器磁盘告警",
        "监控平台报 ERP 服务器磁盘使用率超过 90%。",
        "清理过期日志并扩容数据盘 200 GB。",
    ),
    (
        "server_storage",
        "存储阵列硬盘故障",
        "存储阵列亮黄灯，一块硬盘状态为故障。",
        "更换故障硬盘，阵列重建完成。",
    ),
    (
        "software",
        "邮箱无法收发邮件",
        "Outlook 提示无法连接服务器，邮件一直在发件箱。",
        "重建邮件配置文件，收发正常。",
    ),
    (
        "software",
        "电脑中了勒索病毒提示",
        "同事电脑弹出可疑窗口，杀毒软件报警。",
        "隔离电脑，查杀病毒并从备份恢复文件。",
    ),
    (
        "hardware",
        "笔记本无法开机",
        "笔记本按电源键没有反应，充电指示灯不亮。",
        "更换电源适配器，开机正常。",
    ),
    (
        "hardware",
        "显示器花屏",
        "显示器出现横纹花屏，换线后依旧。",
        "显示器背板故障，更换备用显示器。",
    ),
    (
        "database",
        "数据库连接超时",
        "业务系统访问数据库频繁超时，高峰期尤其严重。",
        "优化慢查询并调整连接池上限。",
    ),
    (
        "machine_room",
        "机房空调告警",
        "机房温度升高到 30 度，空调报高压告警。",
        "清洗冷凝器，温度恢复到 22 度。",
    ),
    (
        "network",
        "VPN drops every few minutes",
        "Remote staff report the VPN disconnecting every few minutes since Monday.",
        "Raised the keepalive interval and updated the VPN client.",
    ),
    (
        "software",
        "Cannot log in to ERP",
        "Users in sales get 'invalid session' when logging in to the ERP system.",
        "Cleared the stale sessions and fixed the clock skew on the app server.",
    ),
    (
        "peripheral",
        "Scanner not detected",
        "The document scanner at reception is no longer detected by the PC.",
        "Reinstalled the TWAIN driver and replaced the USB cable.",
    ),
    (
        "server_storage",
        "Backup job failed",
        "Last night's backup job failed with a timeout writing to the NAS.",
        "Freed space on the NAS and re-ran the backup successfully.",
    ),
    (
        "hardware",
        "Laptop overheating",
        "The laptop gets very hot and shuts down during video calls.",
        "Cleaned the fan and replaced the thermal paste.",
    ),
    (
        "network",
        "Slow Wi-Fi in meeting room",
        "Wi-Fi in the large meeting room is slow when more than ten people join.",
        "Added an access point and moved clients to 5 GHz.",
    ),
];

const PLACES: &[&str] = &[
    "财务部",
    "行政部",
    "三楼会议室",
    "前台",
    "研发中心",
    "仓库",
    "Sales office",
    "2F open area",
    "总经理办公室",
    "门诊楼",
];

const COMMENTS_PUBLIC: &[&str] = &[
    "已收到，工程师正在远程排查。",
    "工程师预计下午两点前到达现场。",
    "请确认问题是否已经解决。",
    "We are looking into it and will call you shortly.",
    "The engineer is on the way.",
    "已更换配件，请再观察一天。",
];
const COMMENTS_INTERNAL: &[&str] = &[
    "客户设备已过保，注意报价。",
    "上次同类故障是驱动问题，先查驱动。",
    "Spare part ordered from the distributor.",
    "需要带备用交换机上门。",
];

const CITIES: &[&str] = &[
    "上海", "苏州", "杭州", "南京", "北京", "深圳", "广州", "成都", "武汉", "宁波", "无锡", "天津",
];
const BRANDS: &[&str] = &[
    "恒达", "华信", "东方", "金桥", "瑞丰", "天成", "新元", "宏远", "安泰", "博雅", "中科", "海润",
];
const TRADES: &[&str] = &[
    "电子",
    "精密制造",
    "物流",
    "医疗器械",
    "贸易",
    "会计师事务所",
    "律师事务所",
    "食品",
    "建筑设计",
    "教育科技",
];
const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "勇", "军", "杰", "涛", "明", "超",
    "秀英",
];
const EN_NAMES: &[&str] = &[
    "Emily Chen",
    "David Wong",
    "Sarah Li",
    "Michael Zhang",
    "Anna Liu",
    "James Wu",
];

/// One generated order's text: (category, subject, description, resolution).
pub fn order_text(rng: &mut Rng) -> (&'static str, String, String, &'static str) {
    if rng.below(10_000) == 0 {
        let place = rng.pick(PLACES);
        return (
            "peripheral",
            format!("{RARE_WORD}无法配对（{place}）"),
            format!("{place}的{RARE_WORD}连接不上电脑，换电池后仍然无法配对。"),
            "重新配对并更新固件，连接正常。",
        );
    }
    let (category, subject, description, resolution) = *rng.pick(FAULTS);
    let place = rng.pick(PLACES);
    let subject = if rng.chance(50) {
        format!("{subject}（{place}）")
    } else {
        subject.to_owned()
    };
    let description = format!("{description} 地点：{place}。");
    (category, subject, description, resolution)
}

fn person_name(rng: &mut Rng) -> String {
    if rng.chance(10) {
        (*rng.pick(EN_NAMES)).to_owned()
    } else {
        format!("{}{}", rng.pick(SURNAMES), rng.pick(GIVEN))
    }
}

#[derive(Debug, Clone)]
enum Val {
    I(i64),
    O(Option<i64>),
    T(String),
}

/// Rows waiting to be written to one table.
struct Table {
    name: &'static str,
    columns: &'static [&'static str],
    rows: Vec<Vec<Val>>,
    written: u64,
    per_statement: usize,
}

impl Table {
    fn new(name: &'static str, columns: &'static [&'static str]) -> Table {
        Table {
            name,
            columns,
            rows: Vec::new(),
            written: 0,
            per_statement: MAX_ROWS,
        }
    }

    async fn flush(&mut self, conn: &mut sqlx::AnyConnection) -> Result<(), Failure> {
        let per = rows_per_statement(self.columns.len(), self.per_statement);
        let rows = std::mem::take(&mut self.rows);
        for chunk in rows.chunks(per) {
            let sql = insert_sql(self.name, self.columns, chunk.len());
            let mut q = sqlx::query::<Any>(sqlx::AssertSqlSafe(sql));
            for row in chunk {
                for v in row {
                    q = match v {
                        Val::I(i) => q.bind(*i),
                        Val::O(o) => q.bind(*o),
                        Val::T(t) => q.bind(t.clone()),
                    };
                }
            }
            q.execute(&mut *conn).await.map_err(db)?;
            self.written += chunk.len() as u64;
        }
        Ok(())
    }
}

fn db(e: sqlx::Error) -> Failure {
    Failure {
        code: 1,
        message: format!("database: {e}"),
    }
}

const ORDER_COLUMNS: &[&str] = &[
    "id",
    "number",
    "client_org_id",
    "requester_id",
    "requester_name",
    "requester_phone",
    "site",
    "channel",
    "category",
    "urgency",
    "impact",
    "priority",
    "subject",
    "description",
    "service_mode",
    "state",
    "assignee_id",
    "team_id",
    "policy_id",
    "policy_version",
    "resolution",
    "close_reason",
    "resolved_at",
    "closed_at",
    "rating",
    "created_by",
    "version",
    "created_at",
    "updated_at",
];
const CLOCK_COLUMNS: &[&str] = &[
    "id",
    "order_id",
    "kind",
    "calendar",
    "target_kind",
    "target_minutes",
    "at_risk_percent",
    "started_at",
    "stopped_at",
    "due_at",
    "state",
    "at_risk_notified",
    "breach_notified",
    "next_check_at",
];
const EVENT_COLUMNS: &[&str] = &[
    "id",
    "order_id",
    "at",
    "actor_id",
    "actor_name",
    "kind",
    "public",
    "body",
    "data",
];

/// (username, display name, role) of a generated client user.
type NewPerson = (String, String, &'static str);
/// A provider engineer: (id, name, team).
type Engineer = (i64, String, Option<i64>);
/// (at, by, kind, public, body) of a generated timeline entry.
type TimelineEntry<'a> = (i64, Option<&'a Engineer>, &'static str, bool, String);

struct Person {
    id: i64,
    name: String,
}

struct Client {
    id: i64,
    people: Vec<Person>,
}

/// The index text as the store writes it (the same tokens and the same per-order cap).
fn tokens(texts: &[&str]) -> String {
    weihu_store::orders::search::index_text(texts)
}

const MINUTE: i64 = 60_000;
const DAY: i64 = 86_400_000;

fn due_ms(cal: &Calendar, start: i64, target: Target) -> Option<i64> {
    let start = jiff::Timestamp::from_millisecond(start).ok()?;
    match target.due(cal, start, &[]) {
        Ok(Due::At { due }) => Some(due.as_millisecond()),
        _ => None,
    }
}

fn target_parts(t: Target) -> (&'static str, i64) {
    match t {
        Target::Business { minutes } => ("business", minutes),
        Target::WallClock { minutes } => ("wall_clock", minutes),
    }
}

fn year_of(ms: i64, tz: &jiff::tz::TimeZone) -> i16 {
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
        super::serve::bootstrap(&store).await?;
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

/// Contracts, order attachment and one visit per order in `month`, in bulk SQL (see
/// `--billing-month`). Returns (contracts created, orders attached, visits written).
async fn prepare_billing(pool: &sqlx::AnyPool, month: &str) -> Result<(u64, u64, u64), Failure> {
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

/// Client organisations `GEN00001…` with an admin and three users each (one password hash).
async fn ensure_clients(store: &Store, count: u64) -> Result<Vec<Client>, Failure> {
    let pool = store.pool();
    let code = |i: u64| format!("GEN{i:05}");
    let existing: Vec<String> =
        sqlx::query_scalar("SELECT code FROM organizations WHERE code LIKE 'GEN%'")
            .fetch_all(pool)
            .await
            .map_err(db)?;
    let existing: std::collections::HashSet<String> = existing.into_iter().collect();
    let missing: Vec<u64> = (1..=count)
        .filter(|i| !existing.contains(&code(*i)))
        .collect();
    if !missing.is_empty() {
        let hash = weihu_store::credentials::hash_password(demo::DEMO_PASSWORD)?;
        let now = weihu_store::now_ms();
        let mut orgs = Table::new(
            "organizations",
            &[
                "kind",
                "code",
                "name",
                "name_en",
                "contact_name",
                "contact_phone",
                "address",
                "created_at",
                "updated_at",
            ],
        );
        let mut people: Vec<(String, Vec<NewPerson>)> = Vec::new();
        for &i in &missing {
            let mut rng = Rng::new(i.wrapping_mul(7919));
            let name = format!(
                "{}{}{}有限公司",
                rng.pick(CITIES),
                rng.pick(BRANDS),
                rng.pick(TRADES)
            );
            let contact = person_name(&mut rng);
            orgs.rows.push(vec![
                Val::T("client".into()),
                Val::T(code(i)),
                Val::T(format!("{name} {i}")),
                Val::T(format!("Generated client {i}")),
                Val::T(contact.clone()),
                Val::T(format!(
                    "021-{:04} {:04}",
                    rng.below(10_000),
                    rng.below(10_000)
                )),
                Val::T(format!("{}市示范路 {} 号", rng.pick(CITIES), i)),
                Val::I(now),
                Val::I(now),
            ]);
            let mut ps = vec![(format!("gen{i:05}.admin"), contact, "client_admin")];
            for u in 1..=3 {
                ps.push((
                    format!("gen{i:05}.u{u}"),
                    person_name(&mut rng),
                    "client_user",
                ));
            }
            people.push((code(i), ps));
        }
        let mut tx = pool.begin().await.map_err(db)?;
        orgs.flush(&mut tx).await?;
        let ids: HashMap<String, i64> =
            sqlx::query("SELECT code, id FROM organizations WHERE code LIKE 'GEN%'")
                .fetch_all(&mut *tx)
                .await
                .map_err(db)?
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<Result<_, sqlx::Error>>()
                .map_err(db)?;
        let mut users = Table::new(
            "users",
            &[
                "org_id",
                "username",
                "display_name",
                "email",
                "role",
                "password_hash",
                "created_at",
                "updated_at",
            ],
        );
        for (c, ps) in people {
            for (username, display, role) in ps {
                users.rows.push(vec![
                    Val::I(ids[&c]),
                    Val::T(username.clone()),
                    Val::T(display),
                    Val::T(format!("{username}@example.com")),
                    Val::T(role.into()),
                    Val::T(hash.clone()),
                    Val::I(now),
                    Val::I(now),
                ]);
            }
        }
        users.flush(&mut tx).await?;
        tx.commit().await.map_err(db)?;
    }
    let rows = sqlx::query(
        "SELECT o.id, o.code, u.id, u.display_name FROM organizations o JOIN users u ON u.org_id = o.id \
         WHERE o.code LIKE 'GEN%' ORDER BY o.code, u.id",
    )
    .fetch_all(pool)
    .await
    .map_err(db)?;
    let mut out: Vec<Client> = Vec::new();
    let wanted: std::collections::HashSet<String> = (1..=count).map(code).collect();
    for r in rows {
        let code: String = r.try_get(1).map_err(db)?;
        if !wanted.contains(&code) {
            continue;
        }
        let org: i64 = r.try_get(0).map_err(db)?;
        let person = Person {
            id: r.try_get(2).map_err(db)?,
            name: r.try_get(3).map_err(db)?,
        };
        match out.last_mut() {
            Some(c) if c.id == org => c.people.push(person),
            _ => out.push(Client {
                id: org,
                people: vec![person],
            }),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_deterministic_for_a_seed() {
        let run = |seed| {
            let mut rng = Rng::new(seed);
            (0..200).map(|_| order_text(&mut rng).1).collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
    }

    #[test]
    fn the_rare_word_is_rare_and_only_in_rare_orders() {
        let mut rng = Rng::new(1);
        let n = (0..200_000)
            .filter(|_| order_text(&mut rng).1.contains(RARE_WORD))
            .count();
        assert!((5..=60).contains(&n), "{n} rare subjects in 200,000");
        for (_, s, d, r) in FAULTS {
            for t in [s, d, r] {
                assert!(!t.contains("键盘") && !t.contains("蓝牙"), "{t}");
            }
        }
    }

    #[test]
    fn statements_respect_the_parameter_limit() {
        for cols in [
            ORDER_COLUMNS,
            CLOCK_COLUMNS,
            EVENT_COLUMNS,
            weihu_store::orders::search::bulk_columns(Backend::Sqlite).1,
        ] {
            let rows = rows_per_statement(cols.len(), ROWS_CAP);
            assert!(rows >= 1 && rows * cols.len() <= MAX_PARAMS);
            let sql = insert_sql("t", cols, rows);
            let last = format!("${})", rows * cols.len());
            assert!(sql.ends_with(&last), "{}", &sql[sql.len() - 20..]);
            assert!(!sql.contains(&format!("${}", rows * cols.len() + 1)));
        }
        assert_eq!(rows_per_statement(100, ROWS_CAP), 327);
        assert_eq!(rows_per_statement(3, 500), 500);
        assert_eq!(rows_per_statement(3, 1_000_000), ROWS_CAP);
        assert_eq!(rows_per_statement(29, 0), 1);
        assert_eq!(
            insert_sql("t", &["a", "b"], 2),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
        );
    }
}
