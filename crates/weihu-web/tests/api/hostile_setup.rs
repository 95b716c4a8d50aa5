//! Issue #11 (setup): an order that cannot start its SLA clocks says why, and calendars used
//! beyond the years their holiday data covers say so on the calculator API.

use serde_json::{Value, json};

use crate::helpers::TestApp;

both_backends!(
    order_without_policy_says_why_on_its_timeline,
    calculator_warns_beyond_holiday_years,
);

/// No contract policy and no provider default: the order is still created, with no clocks, and
/// its timeline has an internal `sla_not_started` event naming the reason.
async fn order_without_policy_says_why_on_its_timeline(app: TestApp) {
    sqlx::query("UPDATE contracts SET policy_id = NULL")
        .execute(app.store.pool())
        .await
        .expect("clear contract policies");
    sqlx::query("UPDATE sla_policies SET is_default = 0")
        .execute(app.store.pool())
        .await
        .expect("clear the default policy");
    let hdjm = app.org_id("HDJM").await;
    let body = json!({"client_org_id": hdjm, "requester_name": "赵师傅", "channel": "phone",
        "category": "network", "urgency": "medium", "impact": "high", "subject": "无策略的工单"});
    let (status, order) = app.post("/api/v1/orders", Some("wang.fang"), &body).await;
    assert_eq!(status, 201, "{order}");
    assert_eq!(order["clocks"], json!([]), "no policy, no clocks: {order}");
    let id = order["id"].as_i64().expect("an id");
    let events = app
        .get_ok(&format!("/api/v1/orders/{id}/events"), "wang.fang")
        .await;
    let note = events
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["kind"] == "sla_not_started")
        .unwrap_or_else(|| panic!("an sla_not_started event: {events}"));
    assert_eq!(note["data"]["reason"], "no_policy", "{note}");
    assert!(
        note["body"]
            .as_str()
            .unwrap_or("")
            .contains("No SLA clocks"),
        "{note}"
    );
    assert_eq!(
        note["public"],
        Value::Bool(false),
        "an internal note: {note}"
    );
}

/// A due in a year without holiday data (the demo calendars carry cn-2026 only) comes with a
/// warning naming the year and where to import the notice; importing that year's holidays
/// clears it.
async fn calculator_warns_beyond_holiday_years(app: TestApp) {
    let admin = crate::helpers::ADMIN;
    let policies = app.get_ok("/api/v1/sla-policies", admin).await;
    let policy = policies["items"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["is_default"] == true))
        .unwrap_or_else(|| panic!("a default policy: {policies}"))
        .clone();
    let pid = policy["id"].as_i64().expect("policy id");
    let calc = |start: &'static str| {
        let app = &app;
        async move {
            let start = start.replace('+', "%2B");
            app.get_ok(
                &format!("/api/v1/sla-policies/{pid}/calculate?priority=P4&start={start}"),
                admin,
            )
            .await
        }
    };
    let inside = calc("2026-03-04T10:00:00+08:00").await;
    assert_eq!(inside["holiday_warning"], Value::Null, "{inside}");

    let december = calc("2026-12-30T10:00:00+08:00").await;
    let w = &december["holiday_warning"];
    assert_eq!(w["uncovered_years"], json!([2027]), "{december}");
    assert_eq!(w["covered_years"], json!([2026]), "{december}");
    let cal_id = w["calendar_id"].as_i64().expect("a stored calendar");
    assert_eq!(
        w["import_url"],
        json!(format!("/calendars/{cal_id}#import")),
        "{w}"
    );
    assert!(w["message"].as_str().unwrap_or("").contains("2027"), "{w}");

    // The day view says the same for the years it shows.
    let days = app
        .get_ok(
            &format!("/api/v1/calendars/{cal_id}/days?from=2026-12-28&days=14"),
            admin,
        )
        .await;
    assert_eq!(days["uncovered_years"], json!([2027]), "{days}");

    // Importing 2027's notice (here one day of it) makes the year covered.
    let cal = app
        .get_ok(&format!("/api/v1/calendars/{cal_id}"), admin)
        .await;
    let (status, body) = app
        .post(
            &format!("/api/v1/calendars/{cal_id}/holidays/import"),
            Some(admin),
            &json!({"version": cal["version"], "format": "csv",
                    "text": "date,kind,as,name\n2027-01-01,holiday,,元旦\n"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let after = calc("2026-12-30T10:00:00+08:00").await;
    assert_eq!(after["holiday_warning"], Value::Null, "{after}");
}
