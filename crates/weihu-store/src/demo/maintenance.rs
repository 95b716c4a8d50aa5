//! Demo maintenance plans: a weekly hardware round at HDJM and a monthly one (the second working
//! day, 每月第二个工作日) at every client, on the contract in force (only into a desk without
//! plans). The server's job generates their inspections.

use sqlx::Row;

use crate::maintenance::plans::{self, AssetSelector, NewPlan};
use crate::{Actor, Result, Store};

pub(super) async fn load(store: &Store, system: &Actor) -> Result<()> {
    let any: i64 = sqlx::query_scalar("SELECT count(*) FROM maintenance_plans")
        .fetch_one(&store.pool)
        .await?;
    if any > 0 {
        return Ok(());
    }
    let template = |code: &'static str| async move {
        sqlx::query_scalar::<_, i64>(
            "SELECT id FROM checklist_templates WHERE code = $1 AND scope = 0",
        )
        .bind(code)
        .fetch_optional(&store.pool)
        .await
    };
    let (Some(hardware), Some(software)) =
        (template("hardware").await?, template("software").await?)
    else {
        return Ok(());
    };
    let engineer = |name: &'static str| async move {
        sqlx::query_scalar::<_, i64>("SELECT id FROM users WHERE username = $1")
            .bind(name)
            .fetch_optional(&store.pool)
            .await
    };
    let plans: [(&str, &str, i64, &str, &str); 5] = [
        (
            "HDJM",
            "每周服务器与网络巡检 Weekly hardware round",
            hardware,
            "FREQ=WEEKLY;BYDAY=WE",
            "li.qiang",
        ),
        (
            "HDJM",
            "每月软件巡检 Monthly software check",
            software,
            "FREQ=MONTHLY;X-WORKDAY=2",
            "li.qiang",
        ),
        (
            "JNYY",
            "每月硬件巡检 Monthly hardware inspection",
            hardware,
            "FREQ=MONTHLY;X-WORKDAY=2",
            "zhang.wei",
        ),
        (
            "MDLS",
            "每月硬件巡检 Monthly hardware inspection",
            hardware,
            "FREQ=MONTHLY;X-WORKDAY=2",
            "chen.jing",
        ),
        (
            "ACME",
            "Monthly hardware inspection",
            hardware,
            "FREQ=MONTHLY;X-WORKDAY=-1",
            "tom.baker",
        ),
    ];
    for (client, name, template_id, rule, who) in plans {
        let row = sqlx::query(
            "SELECT c.id, c.client_org_id FROM contracts c JOIN organizations o ON o.id = c.client_org_id \
             WHERE o.code = $1 AND c.status = 'active' ORDER BY c.id LIMIT 1",
        )
        .bind(client)
        .fetch_optional(&store.pool)
        .await?;
        let Some(row) = row else { continue };
        let (contract_id, org): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
        let assets: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM assets WHERE client_org_id = $1 AND status <> 'retired' AND under_contract = 1 \
             ORDER BY tag LIMIT 3",
        )
        .bind(org)
        .fetch_all(&store.pool)
        .await?;
        plans::create(
            store,
            system,
            &NewPlan {
                contract_id,
                name: name.into(),
                template_id,
                assets: AssetSelector {
                    asset_ids: assets,
                    ..Default::default()
                },
                rule: rule.into(),
                shift: None,
                engineer_id: engineer(who).await?,
                team_id: None,
                window_start: Some("09:30".into()),
                window_minutes: Some(180),
                ahead_days: Some(35),
                starts_on: None,
                ends_on: None,
            },
        )
        .await?;
    }
    Ok(())
}
