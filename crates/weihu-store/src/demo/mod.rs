//! The demo dataset: a provider, its staff and teams, and client companies with their people.
//! Mostly Chinese with some English, as a real provider in China would have. Loading it twice
//! changes nothing.

mod assets;
mod billing;
mod knowledge;
mod maintenance;
mod outages;

use weihu_domain::role::Role;

use crate::credentials::hash_password;
use crate::organizations::{self, NewOrganization};
use crate::teams::{self, NewTeam};
use crate::users::{self, NewUser};
use crate::{Actor, ListParams, Result, Store};

/// Every demo login uses this password (shown on the login page of a demo installation).
pub const DEMO_PASSWORD: &str = "weihu-demo";

pub const PROVIDER_NAME: &str = "维护信息技术服务有限公司";

struct DemoClient {
    code: &'static str,
    name: &'static str,
    name_en: &'static str,
    contact: &'static str,
    phone: &'static str,
    address: &'static str,
    note: &'static str,
    people: &'static [(&'static str, &'static str, Role)],
}

const CLIENTS: &[DemoClient] = &[
    DemoClient {
        code: "HDJM",
        name: "华东精密制造有限公司",
        name_en: "Huadong Precision Manufacturing Co., Ltd.",
        contact: "周建国",
        phone: "021-5888 1200",
        address: "上海市嘉定区安亭镇墨玉路 88 号",
        note: "包月限次合同，每月 4 次上门；财务部打印机老旧，常报修。",
        people: &[
            ("zhou.jg", "周建国", Role::ClientAdmin),
            ("wu.li", "吴丽", Role::ClientUser),
            ("sun.hao", "孙浩", Role::ClientUser),
        ],
    },
    DemoClient {
        code: "JNYY",
        name: "江南第一人民医院",
        name_en: "Jiangnan First People's Hospital",
        contact: "钱敏",
        phone: "0512-6777 3300",
        address: "江苏省苏州市姑苏区人民路 1055 号",
        note: "驻场服务，每周三上午驻场；机房 7×24。",
        people: &[
            ("qian.min", "钱敏", Role::ClientAdmin),
            ("he.yun", "何云", Role::ClientUser),
            ("lin.tao", "林涛", Role::ClientUser),
        ],
    },
    DemoClient {
        code: "MDLS",
        name: "明德律师事务所",
        name_en: "Mingde Law Firm",
        contact: "郑雅",
        phone: "010-6512 8800",
        address: "北京市朝阳区建国门外大街 1 号国贸大厦 B 座 18 层",
        note: "按次收费；客户重视数据保密，重装系统前务必确认备份。",
        people: &[
            ("zheng.ya", "郑雅", Role::ClientAdmin),
            ("gao.fei", "高飞", Role::ClientUser),
        ],
    },
    DemoClient {
        code: "ACME",
        name: "Acme Trading (Shanghai) Ltd.",
        name_en: "Acme Trading (Shanghai) Ltd.",
        contact: "Emily Carter",
        phone: "+86 21 6100 2000",
        address: "Room 1203, 1000 Lujiazui Ring Road, Pudong, Shanghai",
        note: "English-speaking office; per-device contract for 60 devices.",
        people: &[
            ("emily.carter", "Emily Carter", Role::ClientAdmin),
            ("david.ng", "David Ng", Role::ClientUser),
        ],
    },
];

const STAFF: &[(&str, &str, Role, Option<&str>)] = &[
    ("wang.fang", "王芳", Role::Dispatcher, None),
    ("li.qiang", "李强", Role::Engineer, Some("桌面支持组")),
    ("zhang.wei", "张伟", Role::Engineer, Some("网络与服务器组")),
    ("chen.jing", "陈静", Role::Engineer, Some("桌面支持组")),
    (
        "tom.baker",
        "Tom Baker",
        Role::Engineer,
        Some("网络与服务器组"),
    ),
    ("zhao.min", "赵敏", Role::ServiceLevelManager, None),
    ("liu.yang", "刘洋", Role::Finance, None),
];

const TEAMS: &[(&str, &str)] = &[
    (
        "桌面支持组",
        "台式机、笔记本、打印机与外设 / Desktop & peripherals",
    ),
    (
        "网络与服务器组",
        "网络设备、服务器、存储与机房 / Network, servers & machine rooms",
    ),
];

/// One demo login, for printing.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub organization: String,
}

/// Loads the demo data (idempotent) and returns the logins it provides.
pub async fn load(store: &Store) -> Result<Vec<DemoLogin>> {
    let provider_id = organizations::ensure_provider(store, PROVIDER_NAME).await?;
    let system = Actor::system(provider_id);
    crate::maintenance::templates::ensure_defaults(store, &system).await?;
    // One hash for every demo user: argon2 is deliberately slow.
    let hash = hash_password(DEMO_PASSWORD)?;
    let mut logins = Vec::new();

    let existing = teams::list(
        store,
        &system,
        &ListParams {
            limit: Some(500),
            ..Default::default()
        },
    )
    .await?;
    let mut team_ids = Vec::new();
    for (name, description) in TEAMS {
        let id = match existing.items.iter().find(|t| t.name == *name) {
            Some(t) => t.id,
            None => {
                teams::create(
                    store,
                    &system,
                    &NewTeam {
                        name: (*name).into(),
                        description: (*description).into(),
                    },
                )
                .await?
                .id
            }
        };
        team_ids.push((*name, id));
    }

    for (username, display, role, team) in STAFF {
        let team_id = team.and_then(|t| team_ids.iter().find(|(n, _)| *n == t).map(|(_, id)| *id));
        ensure_user(
            store,
            &system,
            provider_id,
            username,
            display,
            *role,
            team_id,
            &hash,
        )
        .await?;
        logins.push(DemoLogin {
            username: (*username).into(),
            display_name: (*display).into(),
            role: *role,
            organization: PROVIDER_NAME.into(),
        });
    }

    for c in CLIENTS {
        let org_id = match organizations::list(
            store,
            &system,
            &Default::default(),
            &ListParams {
                q: Some(c.code.into()),
                ..Default::default()
            },
        )
        .await?
        .items
        .into_iter()
        .find(|o| o.code == c.code)
        {
            Some(o) => o.id,
            None => {
                organizations::create(
                    store,
                    &system,
                    &NewOrganization {
                        code: c.code.into(),
                        name: c.name.into(),
                        name_en: c.name_en.into(),
                        contact_name: c.contact.into(),
                        contact_phone: c.phone.into(),
                        contact_email: String::new(),
                        address: c.address.into(),
                        internal_note: c.note.into(),
                    },
                )
                .await?
                .id
            }
        };
        for (username, display, role) in c.people {
            ensure_user(
                store, &system, org_id, username, display, *role, None, &hash,
            )
            .await?;
            logins.push(DemoLogin {
                username: (*username).into(),
                display_name: (*display).into(),
                role: *role,
                organization: c.name.into(),
            });
        }
    }
    load_service_levels(store, &system).await?;
    // Contracts first: orders attach to the contract in force when they are opened.
    let fresh = billing::load_contracts(store, &system).await?;
    load_orders(store).await?;
    if fresh {
        billing::load_last_month(store, &system).await?;
    }
    assets::load(store, &system).await?;
    outages::load(store, &system).await?;
    maintenance::load(store, &system).await?;
    // Last month's service-level reports, drafted as the month-end job would on the first
    // working day, for the service-level manager to review and publish.
    let last = jiff::Timestamp::now()
        .to_zoned_datetime(store.time_zone().clone())
        .date()
        .first_of_month()
        .yesterday()
        .map_err(|e| crate::StoreError::Format(e.to_string()))?
        .strftime("%Y-%m")
        .to_string();
    load_reviews(store, &system, &last).await?;
    load_changes(store, &system).await?;
    crate::reports::draft_all(store, &system, &last).await?;
    Ok(logins)
}

/// The showroom's knowledge base and one known error, after [`load`] (what `weihu demo` and
/// `serve --demo` show; the repository tests load only [`load`], so a search sees only what a
/// test writes). Loading it twice changes nothing.
pub async fn load_knowledge(store: &Store) -> Result<()> {
    knowledge::load(store).await
}

/// A few service orders in every state, for every client (only into a desk without orders).
async fn load_orders(store: &Store) -> Result<()> {
    use crate::orders::{self, Comment, NewOrder, Transition};
    use weihu_domain::priority::Level::{High, Low, Medium};
    let any: i64 = sqlx::query_scalar("SELECT count(*) FROM orders")
        .fetch_one(&store.pool)
        .await?;
    if any > 0 {
        return Ok(());
    }
    let actor = |name: &str| {
        let name = name.to_owned();
        async move {
            users::find_by_username(store, &name)
                .await?
                .map(|(u, _)| users::actor_of(&u))
                .ok_or(crate::StoreError::NotFound)
        }
    };
    let desk = actor("wang.fang").await?;
    let engineers = [
        actor("li.qiang").await?,
        actor("zhang.wei").await?,
        actor("chen.jing").await?,
        actor("tom.baker").await?,
    ];
    // (reporter, category, urgency, impact, subject, description, how far it got)
    let faults: &[(&str, &str, _, _, &str, &str, u8)] = &[
        (
            "wu.li",
            "peripheral",
            High,
            Medium,
            "财务部打印机无法打印",
            "HP LaserJet M404 打印时提示卡纸，已清理仍报错。",
            5,
        ),
        (
            "sun.hao",
            "hardware",
            Medium,
            Medium,
            "笔记本开机蓝屏",
            "ThinkPad T14 开机后蓝屏，错误代码 0x0000007B。",
            3,
        ),
        (
            "zhou.jg",
            "network",
            High,
            High,
            "二楼办公区无法上网",
            "二楼交换机指示灯全灭，约 30 人受影响。",
            2,
        ),
        (
            "wu.li",
            "software",
            Low,
            Low,
            "申请安装 Visio",
            "设计部需要 Microsoft Visio 2021。",
            0,
        ),
        (
            "he.yun",
            "server_storage",
            High,
            High,
            "HIS 数据库服务器磁盘告警",
            "存储阵列 2 号盘 SMART 告警，需尽快更换。",
            2,
        ),
        (
            "lin.tao",
            "peripheral",
            Medium,
            Low,
            "门诊叫号屏不显示",
            "3 号诊室叫号屏黑屏。",
            4,
        ),
        (
            "qian.min",
            "machine_room",
            High,
            Medium,
            "机房空调温度偏高",
            "机房温度 29℃，空调 2 号机组告警。",
            1,
        ),
        (
            "gao.fei",
            "software",
            Medium,
            Medium,
            "邮件客户端无法收信",
            "Outlook 提示密码错误，网页版正常。",
            6,
        ),
        (
            "zheng.ya",
            "hardware",
            Medium,
            High,
            "重装合伙人电脑系统",
            "系统严重卡顿，申请重装，需先确认数据备份。",
            3,
        ),
        (
            "david.ng",
            "network",
            Medium,
            Medium,
            "VPN keeps disconnecting",
            "The VPN drops every 10 minutes since Monday.",
            2,
        ),
        (
            "emily.carter",
            "peripheral",
            Low,
            Low,
            "Projector in meeting room B flickers",
            "The image flickers after 20 minutes of use.",
            0,
        ),
    ];
    let mut made = Vec::new();
    for (i, (who, category, u, imp, subject, description, stage)) in faults.iter().enumerate() {
        let reporter = actor(who).await?;
        let new = NewOrder {
            client_org_id: None,
            requester_id: None,
            requester_name: None,
            requester_phone: String::new(),
            site: String::new(),
            channel: None,
            category: (*category).into(),
            urgency: *u,
            impact: *imp,
            subject: (*subject).into(),
            description: (*description).into(),
            service_mode: None,
            asset_id: None,
            catalog_item_id: None,
        };
        let mut o = orders::create(store, &reporter, &new).await?;
        let eng = &engineers[i % engineers.len()];
        let step = |action: &str, version: i64| Transition {
            action: action.into(),
            version,
            assignee_id: None,
            team_id: None,
            reason: String::new(),
            resolution: String::new(),
            in_scope: None,
            cause: String::new(),
            breach_reason: String::new(),
            breach_note: String::new(),
        };
        if *stage >= 1 {
            o = orders::transition(
                store,
                &desk,
                o.id,
                &Transition {
                    assignee_id: Some(eng.user_id),
                    ..step("assign", o.version)
                },
            )
            .await?;
        }
        if *stage >= 2 {
            o = orders::transition(store, eng, o.id, &step("start", o.version)).await?;
            o = orders::comment(
                store,
                eng,
                o.id,
                &Comment {
                    body: "已远程连接排查，正在处理。/ Looking into it remotely.".into(),
                    public: true,
                },
            )
            .await?;
        }
        if *stage == 3 {
            o = orders::transition(
                store,
                eng,
                o.id,
                &Transition {
                    reason: "等待客户确认数据已备份 / waiting for the client".into(),
                    ..step("wait_client", o.version)
                },
            )
            .await?;
        }
        // On-site work: the network outage gets a visit with check-in; the disk alarm a part
        // that waits for the hospital's approval.
        if i == 2 {
            let v = orders::work::decide_visit(
                store,
                eng,
                o.id,
                &orders::work::NewVisit {
                    kind: None,
                    engineer_id: None,
                    travel_fee: Some("30".into()),
                    category: None,
                    note: "携带备用交换机".into(),
                },
            )
            .await?;
            orders::work::visit_check(store, eng, o.id, v.id, true).await?;
            orders::work::add_remote_session(
                store,
                eng,
                o.id,
                &orders::work::NewRemoteSession {
                    tool: "向日葵".into(),
                    started_at: None,
                    ended_at: None,
                    note: "远程查看核心交换机配置".into(),
                },
            )
            .await?;
            o = orders::get(store, eng, o.id).await?;
        }
        if i == 4 {
            orders::work::propose_part(
                store,
                eng,
                o.id,
                &orders::work::NewPart {
                    name: "企业级硬盘".into(),
                    model: "ST4000NM000A 4TB".into(),
                    quantity: 1,
                    unit_price: "1200.00".into(),
                    authorized_price: Some("1350.00".into()),
                    client_supplied: false,
                    note: "原厂同型号".into(),
                },
            )
            .await?;
            o = orders::get(store, eng, o.id).await?;
        }
        if *stage == 4 {
            o = orders::comment(
                store,
                eng,
                o.id,
                &Comment {
                    body: "内部：需向厂商订购备件。".into(),
                    public: false,
                },
            )
            .await?;
            o = orders::transition(
                store,
                eng,
                o.id,
                &Transition {
                    reason: "等待备件".into(),
                    ..step("wait_parts", o.version)
                },
            )
            .await?;
        }
        if *stage >= 5 {
            o = orders::transition(
                store,
                eng,
                o.id,
                &Transition {
                    resolution: "已处理完毕，测试正常。/ Fixed and tested.".into(),
                    ..step("resolve", o.version)
                },
            )
            .await?;
        }
        if *stage >= 6 {
            o = orders::transition(store, &reporter, o.id, &step("close", o.version)).await?;
        }
        made.push(o);
    }
    // The desk's day has escalations and related orders in it: the failing database disk goes
    // to management, and the network outage has a follow-up and a duplicate report.
    if let [_, _, network, _, database, ..] = made.as_slice() {
        orders::escalate(
            store,
            &desk,
            database.id,
            &orders::Escalation {
                kind: "hierarchical".into(),
                version: database.version,
                reason: "备件到货需 3 天，超出解决时限，需经理协调备机。".into(),
                assignee_id: None,
                team_id: None,
            },
        )
        .await?;
        let zhou = actor("zhou.jg").await?;
        let again = orders::create(
            store,
            &zhou,
            &NewOrder {
                client_org_id: None,
                requester_id: None,
                requester_name: None,
                requester_phone: String::new(),
                site: String::new(),
                channel: None,
                category: "network".into(),
                urgency: High,
                impact: Medium,
                subject: "二楼还是上不了网".into(),
                description: "同一台交换机，财务室也断网了。".into(),
                service_mode: None,
                asset_id: None,
                catalog_item_id: None,
            },
        )
        .await?;
        orders::link(
            store,
            &desk,
            again.id,
            &orders::NewLink {
                kind: "duplicate_of".into(),
                other_id: Some(network.id),
                other_number: None,
            },
        )
        .await?;
    }
    Ok(())
}

/// The China 5×8 calendar with the 2026 statutory holidays, a 7×24 machine-room calendar, and
/// the provider's default SLA policy on them.
async fn load_service_levels(store: &Store, system: &Actor) -> Result<()> {
    use crate::calendars;
    use serde_json::json;
    let all = ListParams {
        limit: Some(500),
        ..Default::default()
    };
    let existing = calendars::list(store, system, &all).await?;
    let defs = [
        // Eight hours a day around a lunch hour, as the name says.
        json!({"name": "中国 5×8", "time_zone": "Asia/Shanghai",
               "week": {"mon": [["08:30","12:00"],["13:00","17:30"]], "tue": [["08:30","12:00"],["13:00","17:30"]],
                        "wed": [["08:30","12:00"],["13:00","17:30"]], "thu": [["08:30","12:00"],["13:00","17:30"]],
                        "fri": [["08:30","12:00"],["13:00","17:30"]]},
               "holiday_sets": ["cn-2026"]}),
        json!({"name": "中国 5×8 全天", "time_zone": "Asia/Shanghai",
               "week": {"mon": [["09:00","17:00"]], "tue": [["09:00","17:00"]], "wed": [["09:00","17:00"]],
                        "thu": [["09:00","17:00"]], "fri": [["09:00","17:00"]]},
               "holiday_sets": ["cn-2026"]}),
        json!({"name": "7×24 机房", "time_zone": "Asia/Shanghai",
               "week": {"mon": [["00:00","24:00"]], "tue": [["00:00","24:00"]], "wed": [["00:00","24:00"]],
                        "thu": [["00:00","24:00"]], "fri": [["00:00","24:00"]], "sat": [["00:00","24:00"]],
                        "sun": [["00:00","24:00"]]}}),
    ];
    for d in defs {
        if !existing
            .items
            .iter()
            .any(|c| Some(c.name.as_str()) == d["name"].as_str())
        {
            calendars::create(store, system, &d).await?;
        }
    }
    let policies = calendars::list_policies(store, system, &all).await?;
    let target = |r: i64, cal: &str| {
        json!({"calendar": cal, "response": {"kind": "business", "minutes": 30},
        "arrival": {"kind": "business", "minutes": 240}, "resolution": {"kind": "business", "minutes": r}})
    };
    let wanted = [
        ("标准 SLA（5×8）", true, "中国 5×8 全天"),
        ("机房 SLA（7×24）", false, "7×24 机房"),
    ];
    for (name, is_default, cal) in wanted {
        if policies.items.iter().any(|p| p.name == name) {
            continue;
        }
        let definition = json!({"name": name, "version": 1,
            "targets": {"P1": target(120, cal), "P2": target(240, cal), "P3": target(480, cal), "P4": target(960, cal)}});
        calendars::create_policy(
            store,
            system,
            &calendars::NewPolicy {
                definition,
                is_default,
            },
        )
        .await?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn ensure_user(
    store: &Store,
    system: &Actor,
    org_id: i64,
    username: &str,
    display_name: &str,
    role: Role,
    team_id: Option<i64>,
    hash: &str,
) -> Result<()> {
    if users::find_by_username(store, username).await?.is_some() {
        return Ok(());
    }
    let email = if username.contains('.') {
        format!("{username}@example.com")
    } else {
        String::new()
    };
    users::create_hashed(
        store,
        system,
        &NewUser {
            org_id,
            username: username.into(),
            display_name: display_name.into(),
            email,
            phone: String::new(),
            role,
            team_id,
            locale: None,
            password: String::new(),
        },
        hash,
        false,
    )
    .await?;
    Ok(())
}

/// Last month's SLA reviews at the hospital and the manufacturer, each with an improvement plan
/// (only into a desk without reviews).
async fn load_reviews(store: &Store, system: &Actor, last: &str) -> Result<()> {
    use crate::reviews::{NewItem, NewReview};
    let any: i64 = sqlx::query_scalar("SELECT count(*) FROM sla_reviews")
        .fetch_one(&store.pool)
        .await?;
    if any > 0 {
        return Ok(());
    }
    let item = |action: &str, owner: &str| NewItem {
        action: action.to_owned(),
        owner: owner.to_owned(),
        due_on: None,
    };
    for (code, attendees, findings, items) in [
        (
            "HDJM",
            "周建国（甲方）、赵敏（服务级别经理）、李强（工程师）",
            "网络中断一次，超出 99.5% 可用性目标；财务部打印机月内报修 3 次。",
            vec![
                item("核心交换机加装冗余电源", "李强"),
                item("财务部打印机评估更换", "周建国"),
            ],
        ),
        (
            "JNYY",
            "钱敏（甲方）、赵敏（服务级别经理）",
            "机房 UPS 告警响应及时；台风停电按不可抗力排除。",
            vec![item("UPS 电池组季度巡检", "赵敏")],
        ),
    ] {
        let Some(org) =
            sqlx::query_scalar::<_, i64>("SELECT id FROM organizations WHERE code = $1")
                .bind(code.to_owned())
                .fetch_optional(&store.pool)
                .await?
        else {
            continue;
        };
        crate::reviews::create(
            store,
            system,
            &NewReview {
                client_org_id: org,
                period: last.to_owned(),
                held_on: Some(format!("{last}-25")),
                attendees: attendees.to_owned(),
                findings: findings.to_owned(),
                items,
            },
        )
        .await?;
    }
    Ok(())
}

/// A technical change at the hospital, assessed and waiting for approval (only into a desk
/// without change requests).
async fn load_changes(store: &Store, system: &Actor) -> Result<()> {
    use crate::change_requests::{ChangeStepRequest, NewChange};
    let any: i64 = sqlx::query_scalar("SELECT count(*) FROM change_requests")
        .fetch_one(&store.pool)
        .await?;
    let org: Option<i64> = sqlx::query_scalar("SELECT id FROM organizations WHERE code = 'JNYY'")
        .fetch_optional(&store.pool)
        .await?;
    let (0, Some(org)) = (any, org) else {
        return Ok(());
    };
    let c = crate::change_requests::create(
        store,
        system,
        &NewChange {
            kind: "technical".into(),
            client_org_id: Some(org),
            policy_id: None,
            contract_id: None,
            title: "机房 UPS 电池组更换".into(),
            description: "电池组已使用 5 年，内阻超标；更换期间市电直供约 2 小时。".into(),
            proposal: None,
            effective_from: None,
        },
    )
    .await?;
    crate::change_requests::step(
        store,
        system,
        c.id,
        &ChangeStepRequest {
            version: c.version,
            action: "assess".into(),
            risk: Some("high".into()),
            impact: "更换期间机房无 UPS 保护".into(),
            rollback: "保留旧电池组至新电池组带载测试通过".into(),
            note: String::new(),
        },
    )
    .await?;
    Ok(())
}
