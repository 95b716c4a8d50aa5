//! Demo contracts (one per pricing model the clients' notes describe) and last month's activity
//! with its statements: Huadong's month is SPEC §7's worked example (3980.00), issued; the others
//! are left as drafts for finance to review.

use jiff::civil::Date;
use serde_json::json;
use weihu_domain::priority::Level::{Low, Medium};

use crate::contracts::{self, ContractDevice, NewContract, NewContractEngineer, NewResidentDay};
use crate::orders::{self, NewOrder, Transition, work};
use crate::{Actor, Result, Store, StoreError, statements, users};

async fn actor(store: &Store, name: &str) -> Result<Actor> {
    users::find_by_username(store, name)
        .await?
        .map(|(u, _)| users::actor_of(&u))
        .ok_or(StoreError::NotFound)
}

async fn org_id(store: &Store, code: &str) -> Result<i64> {
    sqlx::query_scalar("SELECT id FROM organizations WHERE code = $1")
        .bind(code.to_owned())
        .fetch_one(&store.pool)
        .await
        .map_err(Into::into)
}

fn months_back(first: Date, n: i64) -> Result<Date> {
    first
        .checked_sub(jiff::Span::new().months(n))
        .map_err(|e| StoreError::Format(e.to_string()))
}

/// A year from `start`, inclusive.
fn year_end(start: Date) -> Result<Date> {
    start
        .checked_add(jiff::Span::new().years(1))
        .and_then(|d| d.yesterday())
        .map_err(|e| StoreError::Format(e.to_string()))
}

/// Contracts for the four demo clients, in force today (only into a desk without contracts).
pub(super) async fn load_contracts(store: &Store, system: &Actor) -> Result<bool> {
    let any: i64 = sqlx::query_scalar("SELECT count(*) FROM contracts")
        .fetch_one(&store.pool)
        .await?;
    if any > 0 {
        return Ok(false);
    }
    let first = contracts::today_in(contracts::DEFAULT_ZONE).first_of_month();
    let li = actor(store, "li.qiang").await?;
    let zhang = actor(store, "zhang.wei").await?;
    let plans = [
        (
            "HDJM",
            "HT-HDJM-2026",
            "IT 运维包月服务合同（每月 4 次上门）",
            months_back(first, 10)?,
            json!({"pricing": {"model": "monthly_capped", "monthly_fee": "3000.00", "visit_cap": 4, "over_cap_fee": "200.00"},
                   "emergency_fee": "100.00"}),
            "台式机、笔记本、打印机、网络设备的维护；每月一次例行巡检。",
            "",
            Some(li.user_id),
        ),
        (
            "JNYY",
            "HT-JNYY-2026",
            "信息科驻场运维服务合同",
            months_back(first, 6)?,
            json!({"pricing": {"model": "resident", "day_rate": "800.00"}, "emergency_fee": "150.00",
                   "committed_monthly_fee": "6400.00"}),
            "门诊、住院部终端及机房设备；机房 7×24 响应。",
            "周三 09:00–12:00",
            Some(zhang.user_id),
        ),
        (
            "MDLS",
            "HT-MDLS-2026",
            "按次技术服务合同",
            months_back(first, 3)?,
            json!({"pricing": {"model": "per_visit", "rates": {"pc": "200.00", "network": "300.00", "peripheral": "150.00", "server": "500.00"}},
                   "emergency_fee": "150.00", "trial_months": 1}),
            "律所办公终端、打印机、文件服务器。",
            "",
            None,
        ),
        (
            "ACME",
            "HT-ACME-2026",
            "Per-device maintenance agreement (60 devices)",
            months_back(first, 5)?,
            json!({"pricing": {"model": "per_device", "monthly_prices": {"pc": "30.00", "printer": "20.00", "network": "50.00", "server": "300.00"}},
                   "emergency_fee": "100.00"}),
            "Desktops, printers, network equipment and servers listed on the contract.",
            "",
            None,
        ),
    ];
    for (code, number, title, start, terms, scope, slot, engineer) in plans {
        let client = org_id(store, code).await?;
        let c = contracts::create(
            store,
            system,
            &NewContract {
                client_org_id: client,
                number: number.into(),
                title: title.into(),
                start_date: start.to_string(),
                end_date: year_end(start)?.to_string(),
                terms,
                policy_id: None,
                calendar_id: None,
                scope: scope.into(),
                resident_slot: slot.into(),
                notice_days: Some(30),
                auto_renew: code != "MDLS",
                internal_note: String::new(),
            },
        )
        .await?;
        if let Some(user_id) = engineer {
            contracts::add_engineer(
                store,
                system,
                c.id,
                &NewContractEngineer {
                    user_id,
                    from_date: start.to_string(),
                    replaces_user_id: None,
                    note: String::new(),
                },
            )
            .await?;
        }
        if code == "ACME" {
            let kinds = [("pc", 48), ("printer", 6), ("network", 4), ("server", 2)];
            for (kind, n) in kinds {
                for i in 1..=n {
                    contracts::put_device(
                        store,
                        system,
                        c.id,
                        &ContractDevice {
                            id: 0,
                            device_type: kind.into(),
                            asset_tag: format!("ACME-{}-{i:03}", kind.to_uppercase()),
                            from_date: start.to_string(),
                            until_date: None,
                        },
                    )
                    .await?;
                }
            }
        }
        let c = contracts::get(store, system, c.id).await?;
        contracts::activate(store, system, c.id, c.version).await?;
    }
    Ok(true)
}

/// Moves every stored instant of an order back by `delta` ms: the demo's history is last month.
async fn shift_order(store: &Store, order_id: i64, delta: i64) -> Result<()> {
    let mut tx = store.pool.begin().await?;
    for sql in [
        "UPDATE orders SET created_at = created_at - $1, updated_at = updated_at - $1, \
         resolved_at = resolved_at - $1, closed_at = closed_at - $1 WHERE id = $2",
        "UPDATE order_events SET at = at - $1 WHERE order_id = $2",
        "UPDATE order_visits SET decided_at = decided_at - $1, check_in_at = check_in_at - $1, \
         check_out_at = check_out_at - $1 WHERE order_id = $2",
        "UPDATE order_parts SET proposed_at = proposed_at - $1, decided_at = decided_at - $1, \
         installed_at = installed_at - $1 WHERE order_id = $2",
        "UPDATE order_clocks SET started_at = started_at - $1, stopped_at = stopped_at - $1, \
         due_at = due_at - $1 WHERE order_id = $2",
        "UPDATE order_clock_pauses SET started_at = started_at - $1, ended_at = ended_at - $1 \
         WHERE clock_id IN (SELECT id FROM order_clocks WHERE order_id = $2)",
    ] {
        sqlx::query(sql)
            .bind(delta)
            .bind(order_id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// One finished order of last month: visits of the given kinds (with travel fees), an optional
/// approved and installed part, resolved and closed, then moved back to `day` of last month.
struct Past<'a> {
    client: &'a str,
    category: &'a str,
    subject: &'a str,
    visits: &'a [(&'a str, &'a str)],
    part: Option<(&'a str, &'a str)>,
    day: i8,
}

async fn past_order(store: &Store, p: &Past<'_>, month_first: Date) -> Result<()> {
    let desk = actor(store, "wang.fang").await?;
    let eng = actor(
        store,
        if p.client == "ACME" {
            "tom.baker"
        } else {
            "li.qiang"
        },
    )
    .await?;
    let admin = actor(
        store,
        match p.client {
            "HDJM" => "zhou.jg",
            "JNYY" => "qian.min",
            "MDLS" => "zheng.ya",
            _ => "emily.carter",
        },
    )
    .await?;
    let client = org_id(store, p.client).await?;
    let o = orders::create(
        store,
        &desk,
        &NewOrder {
            client_org_id: Some(client),
            requester_id: None,
            requester_name: Some("前台 / Front desk".into()),
            requester_phone: String::new(),
            site: String::new(),
            channel: Some("phone".into()),
            category: p.category.into(),
            urgency: Medium,
            impact: Low,
            subject: p.subject.into(),
            description: String::new(),
            service_mode: Some("on_site".into()),
            asset_id: None,
            catalog_item_id: None,
        },
    )
    .await?;
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
    let o = orders::transition(
        store,
        &desk,
        o.id,
        &Transition {
            assignee_id: Some(eng.user_id),
            ..step("assign", o.version)
        },
    )
    .await?;
    let o = orders::transition(store, &eng, o.id, &step("start", o.version)).await?;
    for (kind, fee) in p.visits {
        let v = work::decide_visit(
            store,
            &eng,
            o.id,
            &work::NewVisit {
                kind: Some((*kind).into()),
                engineer_id: None,
                travel_fee: Some((*fee).into()),
                category: None,
                note: String::new(),
            },
        )
        .await?;
        work::visit_check(store, &eng, o.id, v.id, true).await?;
        work::visit_check(store, &eng, o.id, v.id, false).await?;
    }
    if let Some((name, price)) = p.part {
        let part = work::propose_part(
            store,
            &eng,
            o.id,
            &work::NewPart {
                name: name.into(),
                model: String::new(),
                quantity: 1,
                unit_price: price.into(),
                authorized_price: Some(price.into()),
                client_supplied: false,
                note: String::new(),
            },
        )
        .await?;
        work::decide_part(
            store,
            &admin,
            o.id,
            part.id,
            &work::PartDecision {
                approve: true,
                note: String::new(),
            },
        )
        .await?;
        work::install_part(store, &eng, o.id, part.id).await?;
    }
    let o = orders::get(store, &eng, o.id).await?;
    let o = orders::transition(
        store,
        &eng,
        o.id,
        &Transition {
            resolution: "已上门处理完毕。/ Fixed on site.".into(),
            ..step("resolve", o.version)
        },
    )
    .await?;
    orders::transition(store, &admin, o.id, &step("close", o.version)).await?;
    // Back to 10:00 Shanghai time on `day` of last month.
    let when = month_first
        .checked_add(jiff::Span::new().days(i64::from(p.day) - 1))
        .map_err(|e| StoreError::Format(e.to_string()))?
        .at(10, 0, 0, 0)
        .to_zoned_datetime(
            jiff::tz::TimeZone::get(contracts::DEFAULT_ZONE)
                .map_err(|e| StoreError::Format(e.to_string()))?,
        )
        .map_err(|e| StoreError::Format(e.to_string()))?
        .timestamp()
        .as_millisecond();
    let created: i64 = sqlx::query_scalar("SELECT created_at FROM orders WHERE id = $1")
        .bind(o.id)
        .fetch_one(&store.pool)
        .await?;
    shift_order(store, o.id, created - when).await
}

/// Last month's work, resident days and an extra item, then its statements: Huadong's issued.
pub(super) async fn load_last_month(store: &Store, system: &Actor) -> Result<()> {
    let this_first = contracts::today_in(contracts::DEFAULT_ZONE).first_of_month();
    let first = months_back(this_first, 1)?;
    let month = format!("{:04}-{:02}", first.year(), first.month());
    // SPEC §7's worked example: 5 regular + 1 scheduled + 2 repeat + 1 emergency (travel 30)
    // and one approved part at 450 → 3000 + 2 × 200 + 100 + 30 + 450 = 3980.00.
    let hdjm: [Past<'_>; 7] = [
        Past {
            client: "HDJM",
            category: "peripheral",
            subject: "财务部复印机出纸异常",
            visits: &[("regular", "0"), ("repeat", "0"), ("repeat", "0")],
            part: None,
            day: 3,
        },
        Past {
            client: "HDJM",
            category: "hardware",
            subject: "销售部电脑无法开机，电源故障",
            visits: &[("regular", "0")],
            part: Some(("电源 500W", "450.00")),
            day: 6,
        },
        Past {
            client: "HDJM",
            category: "network",
            subject: "三楼会议室无线网络时断时续",
            visits: &[("regular", "0")],
            part: None,
            day: 9,
        },
        Past {
            client: "HDJM",
            category: "software",
            subject: "ERP 客户端升级后无法登录",
            visits: &[("regular", "0")],
            part: None,
            day: 14,
        },
        Past {
            client: "HDJM",
            category: "hardware",
            subject: "车间工控机键盘失灵",
            visits: &[("regular", "0")],
            part: None,
            day: 17,
        },
        Past {
            client: "HDJM",
            category: "other",
            subject: "月度例行巡检",
            visits: &[("scheduled", "0")],
            part: None,
            day: 20,
        },
        Past {
            client: "HDJM",
            category: "server_storage",
            subject: "周六夜间服务器宕机（紧急上门）",
            visits: &[("emergency", "30.00")],
            part: None,
            day: 24,
        },
    ];
    for p in &hdjm {
        past_order(store, p, first).await?;
    }
    for p in [
        Past {
            client: "MDLS",
            category: "hardware",
            subject: "合伙人笔记本蓝屏",
            visits: &[("regular", "0")],
            part: None,
            day: 8,
        },
        Past {
            client: "MDLS",
            category: "server_storage",
            subject: "文件服务器磁盘告警",
            visits: &[("regular", "0")],
            part: None,
            day: 21,
        },
        Past {
            client: "ACME",
            category: "network",
            subject: "Core switch down after power cut (emergency)",
            visits: &[("emergency", "50.00")],
            part: None,
            day: 12,
        },
    ] {
        past_order(store, &p, first).await?;
    }
    // JNYY: the resident engineer's Wednesdays, plus a data-recovery job.
    let jnyy: i64 = sqlx::query_scalar("SELECT id FROM contracts WHERE number = 'HT-JNYY-2026'")
        .fetch_one(&store.pool)
        .await?;
    let zhang = actor(store, "zhang.wei").await?;
    let mut day = first;
    while day.month() == first.month() {
        if day.weekday() == jiff::civil::Weekday::Wednesday {
            contracts::add_resident_day(
                store,
                system,
                jnyy,
                &NewResidentDay {
                    user_id: zhang.user_id,
                    work_date: day.to_string(),
                    note: String::new(),
                },
            )
            .await?;
        }
        day = day
            .tomorrow()
            .map_err(|e| StoreError::Format(e.to_string()))?;
    }
    contracts::add_item(
        store,
        system,
        jnyy,
        &contracts::NewBillableItem {
            item_date: first
                .checked_add(jiff::Span::new().days(15))
                .map_err(|e| StoreError::Format(e.to_string()))?
                .to_string(),
            description: "硬盘数据恢复 / data recovery".into(),
            quantity: Some(1),
            unit_price: "800.00".into(),
            order_number: None,
        },
    )
    .await?;
    statements::generate(store, system, &month, None).await?;
    let finance = actor(store, "liu.yang").await?;
    let listed = statements::list(
        store,
        &finance,
        &statements::StatementFilter {
            month: Some(month.clone()),
            ..Default::default()
        },
        &crate::ListParams::default(),
    )
    .await?;
    for s in listed.items {
        if s.contract_number == "HT-HDJM-2026" {
            let s = statements::review(store, &finance, s.id, s.version).await?;
            statements::issue(store, &finance, s.id, s.version).await?;
        } else if s.contract_number == "HT-JNYY-2026" {
            statements::review(store, &finance, s.id, s.version).await?;
        }
    }
    Ok(())
}
