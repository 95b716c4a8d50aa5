//! Demo device registries (about 50 devices per client, some warranties ending soon) and the
//! service catalog with the clients that use each item.

use crate::assets::{self, AssetInput};
use crate::catalog::{self, CatalogInput};
use crate::{Actor, Result, Store};

/// (type, how many, models) of one demo registry.
const MIX: &[(&str, u32, &[&str])] = &[
    (
        "desktop",
        25,
        &[
            "Lenovo ThinkCentre M90t",
            "Dell OptiPlex 7010",
            "HP ProDesk 600 G6",
        ],
    ),
    (
        "laptop",
        10,
        &[
            "Lenovo ThinkPad T14",
            "Dell Latitude 5440",
            "HP EliteBook 840",
        ],
    ),
    (
        "printer",
        5,
        &[
            "HP LaserJet M404dn",
            "Brother HL-L5100DN",
            "Canon iR-ADV C3826",
        ],
    ),
    ("scanner", 2, &["Fujitsu fi-7160", "Canon DR-C225"]),
    (
        "network",
        4,
        &["Huawei S5735-L24T4S", "H3C S5130", "Ruijie RG-AP820"],
    ),
    ("server", 2, &["Dell PowerEdge R750", "Inspur NF5280M6"]),
    ("storage", 1, &["Synology RS1221+"]),
    ("projector", 1, &["Epson CB-2247U"]),
];

const PLACES: &[&str] = &[
    "财务部",
    "销售部",
    "行政部",
    "人力资源部",
    "信息中心",
    "三楼会议室",
    "前台",
    "机房",
    "仓库",
];
const PEOPLE: &[&str] = &[
    "张敏", "王磊", "李娜", "刘洋", "陈杰", "杨帆", "赵静", "黄磊", "周婷", "吴强",
];

pub(super) async fn load(store: &Store, system: &Actor) -> Result<()> {
    let any: i64 = sqlx::query_scalar("SELECT count(*) FROM assets")
        .fetch_one(&store.pool)
        .await?;
    if any > 0 {
        return Ok(());
    }
    let today = crate::contracts::today_in(crate::contracts::DEFAULT_ZONE);
    let mut n: u32 = 0;
    for code in ["HDJM", "JNYY", "MDLS", "ACME"] {
        let client: i64 = sqlx::query_scalar("SELECT id FROM organizations WHERE code = $1")
            .bind(code.to_owned())
            .fetch_one(&store.pool)
            .await?;
        for (kind, count, models) in MIX {
            for i in 0..*count {
                n += 1;
                // Warranty ends spread from 20 days to ~3 years away; every 7th already ended.
                let days =
                    i64::from((n * 37) % 1100) + 20 - if n.is_multiple_of(7) { 400 } else { 0 };
                let warranty = today
                    .checked_add(jiff::Span::new().days(days))
                    .map(|d| d.to_string())
                    .ok();
                let place = PLACES[(n as usize) % PLACES.len()];
                assets::create(
                    store,
                    system,
                    &AssetInput {
                        client_org_id: Some(client),
                        asset_type: Some((*kind).into()),
                        tag: None,
                        serial: Some(format!(
                            "SN{:04}{:06}",
                            2020 + n % 6,
                            (n * 7919) % 1_000_000
                        )),
                        model: Some(models[(i as usize) % models.len()].into()),
                        location: Some(if code == "ACME" {
                            format!("Floor {}", 10 + n % 4)
                        } else {
                            place.into()
                        }),
                        owner: Some(if matches!(*kind, "desktop" | "laptop") {
                            PEOPLE[(n as usize) % PEOPLE.len()].into()
                        } else {
                            String::new()
                        }),
                        warranty_end: warranty,
                        under_contract: Some(!n.is_multiple_of(11)),
                        status: Some(
                            if n.is_multiple_of(23) {
                                "in_repair"
                            } else {
                                "in_use"
                            }
                            .into(),
                        ),
                        notes: None,
                        custom_fields: None,
                    },
                )
                .await?;
            }
        }
    }
    // The demo's printer and server faults name their devices.
    for (subject, tag) in [
        ("财务部复印机出纸异常", "HDJM-PRINTER-0001"),
        ("周六夜间服务器宕机（紧急上门）", "HDJM-SERVER-0001"),
        ("文件服务器磁盘告警", "MDLS-SERVER-0001"),
    ] {
        sqlx::query(
            "UPDATE orders SET asset_id = (SELECT id FROM assets WHERE tag = $1) WHERE subject = $2",
        )
        .bind(tag.to_owned())
        .bind(subject.to_owned())
        .execute(&store.pool)
        .await?;
    }
    load_catalog(store, system).await
}

/// (code, name, name_en, content, content_en, calendar, availability %, max interruptions,
/// max restore minutes, clients).
type Item<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    Option<i64>,
    &'a str,
    i64,
    i64,
    Vec<i64>,
);

async fn load_catalog(store: &Store, system: &Actor) -> Result<()> {
    let id_of = |code: &'static str| async move {
        sqlx::query_scalar::<_, i64>("SELECT id FROM organizations WHERE code = $1")
            .bind(code.to_owned())
            .fetch_one(&store.pool)
            .await
    };
    let (hdjm, jnyy, mdls, acme) = (
        id_of("HDJM").await?,
        id_of("JNYY").await?,
        id_of("MDLS").await?,
        id_of("ACME").await?,
    );
    let room: Option<i64> = sqlx::query_scalar("SELECT id FROM calendars WHERE name = $1")
        .bind("7×24 机房".to_owned())
        .fetch_optional(&store.pool)
        .await?;
    let office: Option<i64> = sqlx::query_scalar("SELECT id FROM calendars WHERE name = $1")
        .bind("中国 5×8".to_owned())
        .fetch_optional(&store.pool)
        .await?;
    let owner: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE username = 'zhao.min'")
        .fetch_optional(&store.pool)
        .await?;
    let items: [Item<'_>; 6] = [
        (
            "DESKTOP",
            "桌面运维",
            "Desktop support",
            "台式机、笔记本、打印机及外设的故障处理、软件安装与日常维护。",
            "Fault handling, software installation and upkeep of desktops, laptops, printers and peripherals.",
            office,
            "99.0",
            12,
            480,
            vec![hdjm, jnyy, mdls, acme],
        ),
        (
            "NETWORK",
            "网络运维",
            "Network operations",
            "交换机、路由器、无线网络与防火墙的监控、配置与故障处理。",
            "Monitoring, configuration and fault handling of switches, routers, Wi-Fi and firewalls.",
            office,
            "99.5",
            6,
            240,
            vec![hdjm, jnyy, acme],
        ),
        (
            "SERVER",
            "服务器与存储",
            "Servers & storage",
            "服务器、存储设备的巡检、备份与故障处理。",
            "Inspection, backup and fault handling of servers and storage.",
            office,
            "99.5",
            4,
            240,
            vec![jnyy, mdls],
        ),
        (
            "DATABASE",
            "数据库运维",
            "Database operations",
            "数据库的备份、性能优化与故障恢复。",
            "Backup, tuning and recovery of databases.",
            office,
            "99.5",
            4,
            240,
            vec![jnyy],
        ),
        (
            "MACHINE-ROOM",
            "机房运维",
            "Machine room",
            "机房环境、UPS、空调巡检，7×24 小时响应。",
            "Machine-room environment, UPS and air-conditioning checks, 7×24 response.",
            room,
            "99.9",
            2,
            120,
            vec![jnyy],
        ),
        (
            "CONSULTING",
            "IT 咨询与培训",
            "IT consulting & training",
            "信息化规划、基础设施项目咨询与用户培训。",
            "IT planning, infrastructure project consulting and user training.",
            None,
            "",
            0,
            0,
            vec![],
        ),
    ];
    for (
        code,
        name,
        name_en,
        content,
        content_en,
        calendar,
        avail,
        max_int,
        max_restore,
        clients,
    ) in items
    {
        catalog::create(
            store,
            system,
            &CatalogInput {
                code: Some(code.into()),
                name: Some(name.into()),
                name_en: Some(name_en.into()),
                content: Some(content.into()),
                content_en: Some(content_en.into()),
                calendar_id: calendar,
                availability_target: Some(avail.into()),
                max_interruptions: (max_int > 0).then_some(max_int),
                max_restore_minutes: (max_restore > 0).then_some(max_restore),
                owner_id: owner,
                active: Some(true),
                client_ids: Some(clients),
            },
        )
        .await?;
    }
    Ok(())
}
