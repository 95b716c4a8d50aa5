//! Issue #14: outages and a client's month of availability, stability and reliability per
//! catalog service, on the service's calendar. Staff record and correct outages (audited); a
//! client reads its own figures and outages and nobody else's.

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error};

both_backends!(
    outages_make_the_months_figures,
    outages_refuse_what_does_not_hold
);

const SLM: &str = "zhao.min";

async fn service(app: &TestApp, code: &str) -> i64 {
    let items = app.get_ok("/api/v1/catalog-items", SLM).await;
    items
        .as_array()
        .and_then(|a| a.iter().find(|i| i["code"] == code))
        .and_then(|i| i["id"].as_i64())
        .unwrap_or_else(|| panic!("the demo's {code} service"))
}

fn figures_of(month: &Value, service: i64) -> &Value {
    month["services"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["catalog_item_id"] == service))
        .unwrap_or_else(|| panic!("service {service} in {month}"))
}

async fn outages_make_the_months_figures(app: TestApp) {
    let hdjm = app.org_id("HDJM").await;
    let network = service(&app, "NETWORK").await;
    let desktop = service(&app, "DESKTOP").await;
    let record = |body: Value| {
        let app = &app;
        async move {
            let (status, o) = app.post("/api/v1/outages", Some(SLM), &body).await;
            assert_eq!(status, 201, "{o}");
            o
        }
    };
    // March 2026 on 中国 5×8 (08:30–12:00, 13:00–17:30): 22 working days of 480 minutes.
    // Two overlapping outages on the 4th: 10:00–12:00 and 11:00–14:00, 180 business minutes
    // together (the lunch hour is no service time); a force-majeure day on the 5th is excluded.
    let first = record(json!({"client_org_id": hdjm, "catalog_item_id": network,
        "started_at": "2026-03-04T10:00:00+08:00", "ended_at": "2026-03-04T12:00:00+08:00",
        "cause": "核心交换机电源故障"}))
    .await;
    record(json!({"client_org_id": hdjm, "catalog_item_id": network,
        "started_at": "2026-03-04T11:00:00+08:00", "ended_at": "2026-03-04T14:00:00+08:00",
        "cause": "上联光模块"}))
    .await;
    let storm = record(json!({"client_org_id": hdjm, "catalog_item_id": network,
        "started_at": "2026-03-05T08:30:00+08:00", "ended_at": "2026-03-05T17:30:00+08:00",
        "cause": "台风停电", "force_majeure": true}))
    .await;
    assert_eq!(storm["force_majeure"], true);

    let month = app
        .get_ok(
            &format!("/api/v1/service-levels/availability?client_org_id={hdjm}&month=2026-03"),
            SLM,
        )
        .await;
    assert_eq!(month["running"], false);
    let n = figures_of(&month, network);
    assert_eq!(n["agreed_minutes"], 22 * 480);
    assert_eq!(n["downtime_minutes"], 180);
    // (10 560 − 180) ÷ 10 560 = 98.29545…%
    assert_eq!(n["availability_percent"], "98.2955");
    assert_eq!(n["availability_target"], "99.5");
    assert_eq!(n["availability_met"], false);
    assert_eq!(n["interruptions"], 2);
    assert_eq!(n["excluded"], 1);
    assert_eq!(n["stability_met"], true, "2 of 6 allowed");
    assert_eq!(n["longest_restore_minutes"], 120);
    assert_eq!(n["reliability_met"], true, "each within 240 minutes");
    assert_eq!(n["all_met"], false);
    assert_eq!(n["outages"].as_array().map(Vec::len), Some(3));
    let d = figures_of(&month, desktop);
    assert_eq!(d["availability_percent"], "100.0000");
    assert_eq!(d["all_met"], true);

    // The client reads its own month and outages, never another client's.
    let own = app
        .get_ok(
            &format!("/api/v1/service-levels/availability?client_org_id={hdjm}&month=2026-03"),
            "zhou.jg",
        )
        .await;
    assert_eq!(figures_of(&own, network)["downtime_minutes"], 180);
    let jnyy = app.org_id("JNYY").await;
    let r = app
        .get(
            &format!("/api/v1/service-levels/availability?client_org_id={jnyy}&month=2026-03"),
            Some("zhou.jg"),
        )
        .await;
    assert_error("another client's month", &r, 404, "not_found", None);
    let listed = app.get_ok("/api/v1/outages?limit=500", "zhou.jg").await;
    assert!(
        listed["items"]
            .as_array()
            .is_some_and(|a| !a.is_empty() && a.iter().all(|o| o["client_org_id"] == hdjm)),
        "{listed}"
    );
    let r = app
        .post(
            "/api/v1/outages",
            Some("zhou.jg"),
            &json!({"client_org_id": hdjm}),
        )
        .await;
    assert_error("a client records an outage", &r, 403, "forbidden", None);

    // A correction: the first outage really ended at 11:30. A stale version is refused; the
    // audit log keeps before, after and why.
    let path = format!("/api/v1/outages/{}", first["id"]);
    let r = app
        .patch(
            &path,
            Some(SLM),
            &json!({"version": 99, "ended_at": "2026-03-04T11:30:00+08:00", "reason": "x"}),
        )
        .await;
    assert_error("a stale correction", &r, 409, "conflict", None);
    let (status, fixed) = app
        .patch(
            &path,
            Some(SLM),
            &json!({"version": first["version"], "ended_at": "2026-03-04T11:30:00+08:00",
                    "reason": "网管日志核对"}),
        )
        .await;
    assert_eq!(status, 200, "{fixed}");
    assert_eq!(fixed["version"], 2);
    let audit = app
        .get_ok(
            "/api/v1/audit-log?entity=outage&limit=50",
            crate::helpers::ADMIN,
        )
        .await;
    let entry = audit["items"]
        .as_array()
        .and_then(|a| {
            a.iter().find(|e| {
                e["action"] == "update"
                    && e["entity_id"].as_str() == Some(first["id"].to_string().as_str())
            })
        })
        .unwrap_or_else(|| panic!("the correction is audited: {audit}"));
    assert_eq!(entry["changes"]["reason"], "网管日志核对");
    assert!(entry["changes"]["before"]["ended_at"].is_i64());

    // Stability counts the year: five brief interruptions in February (one excluded as a third
    // party's) bring March's year to 2 + 4 = 6 of 6 allowed — still met — and one more in
    // January to 7, which misses it although March alone has only two.
    for (day, third_party) in [(2, false), (3, false), (4, true), (5, false), (6, false)] {
        record(json!({"client_org_id": hdjm, "catalog_item_id": network,
            "started_at": format!("2026-02-{day:02}T09:00:00+08:00"),
            "ended_at": format!("2026-02-{day:02}T09:05:00+08:00"),
            "cause": "链路闪断", "third_party": third_party, "vendor": "电信", "underpinning_contract": "UC-1"}))
        .await;
    }
    let year = |month: &'static str| {
        let app = &app;
        async move {
            let m = app
                .get_ok(
                    &format!(
                        "/api/v1/service-levels/availability?client_org_id={hdjm}&month={month}"
                    ),
                    SLM,
                )
                .await;
            let n = figures_of(&m, network).clone();
            (
                n["interruptions"].clone(),
                n["interruptions_year"].clone(),
                n["stability_met"].clone(),
            )
        }
    };
    assert_eq!(year("2026-02").await, (json!(4), json!(4), json!(true)));
    assert_eq!(year("2026-03").await, (json!(2), json!(6), json!(true)));
    record(json!({"client_org_id": hdjm, "catalog_item_id": network,
        "started_at": "2026-01-20T09:00:00+08:00", "ended_at": "2026-01-20T09:01:00+08:00",
        "cause": "误操作重启"}))
    .await;
    assert_eq!(
        year("2026-03").await,
        (json!(2), json!(7), json!(false)),
        "seven interruptions this year, six allowed"
    );
    assert_eq!(year("2026-02").await, (json!(4), json!(5), json!(true)));

    // Opening one from an order: the order's client, linked, starting when it was reported.
    let orders = app
        .get_ok(&format!("/api/v1/orders?client_org_id={hdjm}&limit=1"), SLM)
        .await;
    let order = &orders["items"][0];
    let (status, from_order) = app
        .post(
            &format!("/api/v1/orders/{}/outage", order["id"]),
            Some("li.qiang"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 201, "{from_order}");
    assert_eq!(from_order["order_ids"], json!([order["id"]]));
    assert_eq!(from_order["client_org_id"], hdjm);
    assert_eq!(from_order["ended_at"], Value::Null, "open while it lasts");
    assert_eq!(from_order["cause"], order["subject"]);
    let open = app
        .get_ok(
            &format!("/api/v1/outages?open=true&client_org_id={hdjm}"),
            SLM,
        )
        .await;
    assert!(
        open["items"]
            .as_array()
            .is_some_and(|a| a.iter().any(|o| o["id"] == from_order["id"])),
        "{open}"
    );
}

/// Hostile and impossible outages are refused with the field named, and nothing is written.
async fn outages_refuse_what_does_not_hold(app: TestApp) {
    let hdjm = app.org_id("HDJM").await;
    let server = service(&app, "SERVER").await; // JNYY and MDLS use it, HDJM does not
    let jnyy = app.org_id("JNYY").await;
    let foreign_order = app
        .get_ok(&format!("/api/v1/orders?client_org_id={jnyy}&limit=1"), SLM)
        .await["items"][0]["id"]
        .as_i64()
        .expect("a JNYY order");
    let base = json!({"client_org_id": hdjm, "started_at": "2026-03-04T10:00:00+08:00"});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    let cases = [
        ("cause", with("cause", json!("断".repeat(2001)))),
        ("started_at", with("started_at", json!("yesterday"))),
        (
            "started_at",
            with("started_at", json!("1850-01-01T00:00:00Z")),
        ),
        (
            "started_at",
            with("started_at", json!("2099-01-01T00:00:00Z")),
        ),
        (
            "ended_at",
            with("ended_at", json!("2026-03-04T09:00:00+08:00")),
        ),
        ("catalog_item_id", with("catalog_item_id", json!(server))),
        ("order_ids", with("order_ids", json!([foreign_order]))),
        (
            "order_ids",
            with("order_ids", json!((1..=51).collect::<Vec<i64>>())),
        ),
        ("client_org_id", with("client_org_id", json!(999_999))),
        ("vendor", with("vendor", json!("x\u{7}y"))),
    ];
    let before = app.get_ok("/api/v1/outages?limit=1", SLM).await["total"].clone();
    for (field, body) in cases {
        let r = app.post("/api/v1/outages", Some(SLM), &body).await;
        assert_error(&format!("bad {field}"), &r, 422, "invalid", Some(field));
    }
    assert_eq!(
        app.get_ok("/api/v1/outages?limit=1", SLM).await["total"],
        before,
        "nothing written"
    );
    let r = app
        .get(
            &format!("/api/v1/service-levels/availability?client_org_id={hdjm}&month=2026-13"),
            Some(SLM),
        )
        .await;
    assert_error("month 13", &r, 422, "invalid", Some("month"));
}
