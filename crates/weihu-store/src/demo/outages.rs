//! A few outages of last month, so the service-level figures have something to show: a machine
//! room's UPS at a hospital, a network outage at a manufacturer, and a typhoon (force majeure).

use jiff::ToSpan;

use crate::outages::{self, NewOutage};
use crate::{Actor, Result, Store};

pub(super) async fn load(store: &Store, system: &Actor) -> Result<()> {
    let any: i64 = sqlx::query_scalar("SELECT count(*) FROM outages")
        .fetch_one(&store.pool)
        .await?;
    if any > 0 {
        return Ok(());
    }
    let org = |code: &'static str| async move {
        sqlx::query_scalar::<_, i64>("SELECT id FROM organizations WHERE code = $1")
            .bind(code.to_owned())
            .fetch_optional(&store.pool)
            .await
    };
    let item = |code: &'static str| async move {
        sqlx::query_scalar::<_, i64>("SELECT id FROM catalog_items WHERE code = $1")
            .bind(code.to_owned())
            .fetch_optional(&store.pool)
            .await
    };
    let (Some(jnyy), Some(hdjm), Some(room), Some(network)) = (
        org("JNYY").await?,
        org("HDJM").await?,
        item("MACHINE-ROOM").await?,
        item("NETWORK").await?,
    ) else {
        return Ok(());
    };
    let tz = store.time_zone().clone();
    let first = jiff::Timestamp::now()
        .to_zoned_datetime(tz)
        .date()
        .first_of_month()
        .checked_sub(1.month())
        .unwrap_or_else(|_| jiff::civil::date(2026, 1, 1));
    // (client, service, day of last month, start, minutes, cause, force majeure)
    let list: [(i64, i64, i8, &str, i64, &str, bool); 3] = [
        (
            jnyy,
            room,
            6,
            "02:10",
            40,
            "UPS 旁路切换失败，机房断电 40 分钟",
            false,
        ),
        (
            hdjm,
            network,
            12,
            "10:05",
            95,
            "核心交换机电源模块故障",
            false,
        ),
        (
            hdjm,
            network,
            20,
            "09:00",
            240,
            "台风导致园区市电中断",
            true,
        ),
    ];
    for (client, service, day, at, minutes, cause, force_majeure) in list {
        let start = first.with().day(day).build().ok().and_then(|d| {
            d.to_datetime(at.parse().ok()?)
                .to_zoned_datetime(store.time_zone().clone())
                .ok()
        });
        let Some(start) = start else { continue };
        let end = start
            .checked_add(minutes.minutes())
            .unwrap_or(start.clone());
        outages::create(
            store,
            system,
            &NewOutage {
                client_org_id: client,
                catalog_item_id: Some(service),
                started_at: Some(start.timestamp().to_string()),
                ended_at: Some(end.timestamp().to_string()),
                cause: cause.into(),
                force_majeure,
                ..Default::default()
            },
        )
        .await?;
    }
    Ok(())
}
