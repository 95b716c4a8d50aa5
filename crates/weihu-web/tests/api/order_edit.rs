//! Editing an order after it is opened (issue #13): the facts change with the version read, the
//! priority follows urgency and impact and re-targets the running clocks under the same policy
//! version, and the timeline says what changed from what to what, and why.

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, form_csrf, signed_in};

both_backends!(the_desk_edits_an_open_order);

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("an id: {v}"))
}

fn clock<'a>(order: &'a Value, kind: &str) -> &'a Value {
    order["clocks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["kind"] == kind))
        .unwrap_or_else(|| panic!("a {kind} clock: {order}"))
}

async fn the_desk_edits_an_open_order(app: TestApp) {
    let (status, o) = app
        .post(
            "/api/v1/orders",
            Some("wu.li"),
            &json!({"category": "hardware", "urgency": "low", "impact": "low",
                    "subject": "打印机卡纸", "description": "三楼打印机"}),
        )
        .await;
    assert_eq!(status, 201, "{o}");
    let oid = id(&o);
    let path = format!("/api/v1/orders/{oid}");
    let before = clock(&o, "resolution").clone();

    // The client cannot change the order's facts; the desk can, with the version it read.
    let r = app
        .patch(
            &path,
            Some("wu.li"),
            &json!({"version": o["version"], "subject": "x"}),
        )
        .await;
    assert_error("a client user", &r, 403, "forbidden", None);
    let r = app
        .patch(
            &path,
            Some("wang.fang"),
            &json!({"version": 0, "subject": "x"}),
        )
        .await;
    assert_error("a stale version", &r, 409, "conflict", Some("version"));
    let r = app
        .patch(
            &path,
            Some("wang.fang"),
            &json!({"version": o["version"], "category": "spaceship"}),
        )
        .await;
    assert_error("an unknown category", &r, 422, "invalid", Some("category"));
    // Hostile values: another client's device, a subject past its limit.
    let (status, assets) = app.get("/api/v1/assets?limit=500", Some("wang.fang")).await;
    assert_eq!(status, 200, "{assets}");
    let foreign = assets["items"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["client_org_id"] != o["client_org_id"]))
        .map(id)
        .expect("a device of another client in the demo");
    let r = app
        .patch(
            &path,
            Some("wang.fang"),
            &json!({"version": o["version"], "asset_id": foreign}),
        )
        .await;
    assert_error(
        "another client's device",
        &r,
        422,
        "invalid",
        Some("asset_id"),
    );
    let r = app
        .patch(
            &path,
            Some("wang.fang"),
            &json!({"version": o["version"], "subject": "长".repeat(100_000)}),
        )
        .await;
    assert_error("a huge subject", &r, 422, "invalid", Some("subject"));
    // A priority change needs a reason.
    let r = app
        .patch(
            &path,
            Some("wang.fang"),
            &json!({"version": o["version"], "urgency": "high", "impact": "high"}),
        )
        .await;
    assert_error("no reason", &r, 422, "invalid", Some("reason"));

    let (status, e) = app
        .patch(
            &path,
            Some("wang.fang"),
            &json!({"version": o["version"], "urgency": "high", "impact": "high",
                    "subject": "财务打印机卡纸 蓝牙", "reason": "整个财务部无法打印 / the whole finance team is blocked"}),
        )
        .await;
    assert_eq!(status, 200, "{e}");
    assert_eq!(e["subject"], "财务打印机卡纸 蓝牙");
    assert_eq!(e["urgency"], "high");
    assert_ne!(e["priority"], o["priority"], "the priority follows: {e}");
    assert_eq!(e["version"], o["version"].as_i64().unwrap_or(0) + 1);
    let after = clock(&e, "resolution");
    assert!(
        after["target_minutes"].as_i64() < before["target_minutes"].as_i64(),
        "a higher priority has a shorter resolution target: {before} → {after}"
    );
    assert_eq!(
        after["started_at"], before["started_at"],
        "counted from the order's start"
    );
    assert_eq!(
        e["policy_version"], o["policy_version"],
        "under the same policy version"
    );

    // The timeline says what changed, from what to what, and why — to the client too.
    let (status, events) = app.get(&format!("{path}/events"), Some("wu.li")).await;
    assert_eq!(status, 200, "{events}");
    let edited = events
        .as_array()
        .and_then(|ev| ev.iter().find(|x| x["kind"] == "edited"))
        .unwrap_or_else(|| panic!("an edited event: {events}"))
        .clone();
    assert!(
        edited["body"].as_str().unwrap_or("").contains("整个财务部"),
        "{edited}"
    );
    let changes = &edited["data"]["changes"];
    assert_eq!(
        changes["subject"],
        json!(["打印机卡纸", "财务打印机卡纸 蓝牙"]),
        "{edited}"
    );
    assert_eq!(changes["urgency"], json!(["low", "high"]), "{edited}");
    assert!(changes["priority"].is_array(), "{edited}");
    assert!(
        edited["data"]["clocks"]
            .as_array()
            .is_some_and(|c| !c.is_empty()),
        "the re-targeted clocks are named: {edited}"
    );

    // The search finds the new words.
    let (status, found) = app
        .get("/api/v1/orders?q=%E8%93%9D%E7%89%99", Some("wang.fang"))
        .await;
    assert_eq!(status, 200, "{found}");
    assert!(
        found["items"]
            .as_array()
            .is_some_and(|i| i.iter().any(|x| x["id"] == oid)),
        "{found}"
    );

    // Nothing to change is no change.
    let (status, same) = app
        .patch(
            &path,
            Some("wang.fang"),
            &json!({"version": e["version"], "subject": e["subject"]}),
        )
        .await;
    assert_eq!(status, 200, "{same}");
    assert_eq!(
        same["version"], e["version"],
        "no new version without a change"
    );

    // The order page's form makes the same change; the client is not offered it.
    let desk = signed_in(&app, "wang.fang").await;
    let page = format!("/orders/{oid}");
    let html = desk
        .get(app.url(&page))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("body");
    assert!(
        html.contains(r#"data-action="edit""#),
        "the desk is offered the edit form"
    );
    let resp = desk
        .post(app.url(&format!("{page}/edit")))
        .header("origin", app.base.as_str())
        .form(&[
            ("csrf", form_csrf(&html).as_str()),
            ("version", &e["version"].to_string()),
            ("subject", "财务打印机卡纸（已换硒鼓）"),
            ("description", "三楼打印机"),
            ("category", "peripheral"),
            ("urgency", "high"),
            ("impact", "high"),
            ("site", "3F"),
            ("reason", ""),
        ])
        .send()
        .await
        .expect("post the form");
    assert_eq!(resp.status(), 303);
    let to = resp
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(to.ends_with("?ok=1"), "saved: {to}");
    let (_, now) = app.get(&path, Some("wang.fang")).await;
    assert_eq!(now["subject"], "财务打印机卡纸（已换硒鼓）");
    assert_eq!(now["category"], "peripheral");
    assert_eq!(now["site"], "3F");
    let client = signed_in(&app, "wu.li").await;
    let html = client
        .get(app.url(&page))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("body");
    assert!(
        !html.contains(r#"data-action="edit""#),
        "the client is not offered it"
    );
}
