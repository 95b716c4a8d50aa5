//! Issue #11 (orders): requests that would bend an order's rules. Clocks keep the SLA policy
//! version the order started under; a resolve with open work is refused unless it closes the
//! work out; a part decision ends only the part-approval wait; only the side responsible for the
//! order stops its response clock; an unknown visit kind is refused where it would be stored.

use reqwest::Client;
use reqwest::header::LOCATION;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, form_csrf, signed_in};

both_backends!(
    arrival_target_from_the_policy_version_the_order_started_under,
    resolve_refuses_open_work_unless_closed_out,
    resolve_closes_out_open_work_when_asked,
    the_order_page_offers_only_what_the_state_allows,
    a_part_decision_keeps_another_waiting_reason,
    only_the_responsible_side_stops_the_response_clock,
    unknown_visit_kinds_are_refused_where_stored,
);

// ---- helpers ----------------------------------------------------------------------------

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("an id: {v}"))
}

async fn order_now(app: &TestApp, user: &str, order_id: i64) -> Value {
    app.get_ok(&format!("/api/v1/orders/{order_id}"), user)
        .await
}

/// POSTs a transition with the version read fresh: status and body.
async fn try_mv(
    app: &TestApp,
    user: &str,
    order_id: i64,
    action: &str,
    extra: Value,
) -> (u16, Value) {
    let fresh = order_now(app, user, order_id).await;
    let mut body = json!({"action": action, "version": fresh["version"]});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    app.post(
        &format!("/api/v1/orders/{order_id}/transitions"),
        Some(user),
        &body,
    )
    .await
}

/// A transition that must answer 200.
async fn mv(app: &TestApp, user: &str, order_id: i64, action: &str, extra: Value) -> Value {
    let (status, after) = try_mv(app, user, order_id, action, extra).await;
    assert_eq!(status, 200, "{action} by {user}: {after}");
    after
}

/// A new HDJM order reported by wu.li (state `new`, response clock running).
async fn new_order(app: &TestApp, subject: &str) -> Value {
    let (status, o) = app
        .post(
            "/api/v1/orders",
            Some("wu.li"),
            &json!({"category": "hardware", "urgency": "high", "impact": "medium",
                    "subject": subject, "description": "加固测试 / hardening test"}),
        )
        .await;
    assert_eq!(status, 201, "create: {o}");
    o
}

/// A new order assigned to li.qiang and started: in_progress.
async fn order_in_progress(app: &TestApp, subject: &str) -> Value {
    let o = new_order(app, subject).await;
    let li = app.user_id("li.qiang").await;
    mv(
        app,
        "wang.fang",
        id(&o),
        "assign",
        json!({"assignee_id": li}),
    )
    .await;
    let o = mv(app, "li.qiang", id(&o), "start", json!({})).await;
    assert_eq!(o["state"], "in_progress", "{o}");
    o
}

fn clock<'a>(order: &'a Value, kind: &str) -> &'a Value {
    order["clocks"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["kind"] == kind))
        .unwrap_or_else(|| panic!("a {kind} clock: {order}"))
}

async fn decide_visit(app: &TestApp, order_id: i64) -> Value {
    let (status, v) = app
        .post(
            &format!("/api/v1/orders/{order_id}/visits"),
            Some("li.qiang"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 201, "decide a visit: {v}");
    v
}

async fn propose_part(app: &TestApp, order_id: i64) -> Value {
    let (status, p) = app
        .post(
            &format!("/api/v1/orders/{order_id}/parts"),
            Some("li.qiang"),
            &json!({"name": "内存条", "model": "DDR4 16G", "quantity": 1, "unit_price": "320.00"}),
        )
        .await;
    assert_eq!(status, 201, "propose a part: {p}");
    p
}

async fn timeline_kinds(app: &TestApp, order_id: i64) -> Vec<String> {
    let events = app
        .get_ok(&format!("/api/v1/orders/{order_id}/events"), "li.qiang")
        .await;
    events
        .as_array()
        .or_else(|| events["items"].as_array())
        .unwrap_or_else(|| panic!("a list of events: {events}"))
        .iter()
        .filter_map(|e| e["kind"].as_str().map(str::to_owned))
        .collect()
}

// ---- policy version ---------------------------------------------------------------------

async fn arrival_target_from_the_policy_version_the_order_started_under(app: TestApp) {
    let o = order_in_progress(&app, "策略修订前的工单").await;
    let oid = id(&o);
    let policy_id = o["policy_id"]
        .as_i64()
        .unwrap_or_else(|| panic!("the demo order runs on a policy: {o}"));
    let priority = o["priority"].as_str().expect("a priority").to_owned();
    let path = format!("/api/v1/sla-policies/{policy_id}");
    let v1 = app.get_ok(&path, "zhao.min").await;
    assert_eq!(o["policy_version"], v1["current_version"], "{o}");
    let v1_arrival = v1["definition"]["targets"][&priority]["arrival"]["minutes"]
        .as_i64()
        .unwrap_or_else(|| panic!("an arrival target for {priority}: {v1}"));

    // Version 2: every arrival target different (and every other target too).
    let mut def = v1["definition"].clone();
    let targets = def["targets"].as_object_mut().expect("targets");
    for t in targets.values_mut() {
        for kind in ["response", "arrival", "resolution"] {
            if let Some(m) = t[kind]["minutes"].as_i64() {
                t[kind]["minutes"] = json!(m * 2 + 7);
            }
        }
    }
    // The policy is in force: version 2 comes by an implemented change request.
    let (status, cr) = app
        .post(
            "/api/v1/change-requests",
            Some("zhao.min"),
            &json!({"kind": "sla_policy", "policy_id": policy_id, "title": "到场时限调整", "proposal": def}),
        )
        .await;
    assert_eq!(status, 201, "propose the revision: {cr}");
    for step in [
        json!({"action": "assess", "risk": "low", "impact": "新工单的目标", "rollback": "上一版本"}),
        json!({"action": "approve"}),
        json!({"action": "implement"}),
    ] {
        let now = app
            .get_ok(&format!("/api/v1/change-requests/{}", id(&cr)), "zhao.min")
            .await;
        let mut body = step.clone();
        body["version"] = now["version"].clone();
        let (status, r) = app
            .post(
                &format!("/api/v1/change-requests/{}/steps", id(&cr)),
                Some("zhao.min"),
                &body,
            )
            .await;
        assert_eq!(status, 200, "{step}: {r}");
    }
    let v2 = app.get_ok(&path, "zhao.min").await;
    assert_eq!(
        v2["current_version"].as_i64(),
        v1["current_version"].as_i64().map(|v| v + 1)
    );
    let v2_arrival = v2["definition"]["targets"][&priority]["arrival"]["minutes"]
        .as_i64()
        .expect("v2 arrival");
    assert_ne!(v1_arrival, v2_arrival);

    // The visit is decided after the revision: the order still runs on version 1.
    decide_visit(&app, oid).await;
    let after = order_now(&app, "li.qiang", oid).await;
    assert_eq!(
        clock(&after, "arrival")["target_minutes"],
        v1_arrival,
        "the arrival clock of an order opened under version 1 uses version 1: {after}"
    );
    assert_eq!(after["policy_version"], v1["current_version"], "{after}");

    // A new order starts under version 2, and its visit gets version 2's target.
    let fresh = order_in_progress(&app, "策略修订后的工单").await;
    assert_eq!(fresh["policy_version"], v2["current_version"], "{fresh}");
    decide_visit(&app, id(&fresh)).await;
    let fresh = order_now(&app, "li.qiang", id(&fresh)).await;
    assert_eq!(
        clock(&fresh, "arrival")["target_minutes"],
        v2_arrival,
        "{fresh}"
    );
}

// ---- resolve with open work -------------------------------------------------------------

/// An order with a visit checked in (not out) and a part awaiting approval.
async fn order_with_open_work(app: &TestApp, subject: &str) -> (i64, Value, Value) {
    let o = order_in_progress(app, subject).await;
    let oid = id(&o);
    let v = decide_visit(app, oid).await;
    let (status, body) = app
        .post(
            &format!("/api/v1/orders/{oid}/visits/{}/check-in", id(&v)),
            Some("li.qiang"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "check in: {body}");
    let p = propose_part(app, oid).await;
    (oid, v, p)
}

async fn resolve_refuses_open_work_unless_closed_out(app: TestApp) {
    let (oid, v, p) = order_with_open_work(&app, "未签出就解决").await;
    let before = order_now(&app, "li.qiang", oid).await;
    assert_eq!(before["state"], "waiting_client", "{before}");

    let resolution = json!({"resolution": "已处理。"});
    let r = try_mv(&app, "li.qiang", oid, "resolve", resolution.clone()).await;
    assert_error(
        "resolve with open work",
        &r,
        422,
        "invalid",
        Some("close_out"),
    );
    let message = r.1["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&format!("visit {}", id(&v)))
            && message.contains(&format!("part {}", id(&p))),
        "the refusal names the open visit and the pending part: {message}"
    );
    let r = try_mv(
        &app,
        "li.qiang",
        oid,
        "resolve",
        json!({"resolution": "已处理。", "close_out": false}),
    )
    .await;
    assert_error(
        "close_out false is a refusal too",
        &r,
        422,
        "invalid",
        Some("close_out"),
    );
    let r = try_mv(
        &app,
        "li.qiang",
        oid,
        "resolve",
        json!({"resolution": "已处理。", "close_out": "yes"}),
    )
    .await;
    assert_eq!(r.0, 400, "a close_out that is not a boolean: {}", r.1);
    let after = order_now(&app, "li.qiang", oid).await;
    assert_eq!(after, before, "a refused resolve changes nothing");

    // Finish the work properly, one piece at a time: each piece still blocks on its own.
    let (status, body) = app
        .post(
            &format!("/api/v1/orders/{oid}/parts/{}/decision", id(&p)),
            Some("zhou.jg"),
            &json!({"approve": false, "note": "暂不更换"}),
        )
        .await;
    assert_eq!(status, 200, "reject the part: {body}");
    let r = try_mv(&app, "li.qiang", oid, "resolve", resolution.clone()).await;
    assert_error(
        "the visit is still open",
        &r,
        422,
        "invalid",
        Some("close_out"),
    );
    let (status, body) = app
        .post(
            &format!("/api/v1/orders/{oid}/visits/{}/check-out", id(&v)),
            Some("li.qiang"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "check out: {body}");
    let done = mv(&app, "li.qiang", oid, "resolve", resolution).await;
    assert_eq!(done["state"], "resolved", "{done}");
}

async fn resolve_closes_out_open_work_when_asked(app: TestApp) {
    let (oid, v, p) = order_with_open_work(&app, "结单时一并结清").await;
    let done = mv(
        &app,
        "li.qiang",
        oid,
        "resolve",
        json!({"resolution": "已处理。", "close_out": true}),
    )
    .await;
    assert_eq!(done["state"], "resolved", "{done}");

    let visits = app
        .get_ok(&format!("/api/v1/orders/{oid}/visits"), "li.qiang")
        .await;
    let visit = visits
        .as_array()
        .and_then(|vs| vs.iter().find(|x| x["id"] == v["id"]))
        .unwrap_or_else(|| panic!("the visit: {visits}"));
    assert!(
        visit["check_out_at"].is_string(),
        "the open visit is checked out at the resolution: {visit}"
    );
    let parts = app
        .get_ok(&format!("/api/v1/orders/{oid}/parts"), "zhou.jg")
        .await;
    let part = parts
        .as_array()
        .and_then(|ps| ps.iter().find(|x| x["id"] == p["id"]))
        .unwrap_or_else(|| panic!("the part: {parts}"));
    assert_eq!(part["state"], "withdrawn", "{part}");
    let kinds = timeline_kinds(&app, oid).await;
    for k in ["check_out", "part_withdrawn", "resolve"] {
        assert!(
            kinds.iter().any(|x| x == k),
            "{k} is on the timeline: {kinds:?}"
        );
    }

    // Nothing the state machine refuses is left to do.
    let r = app
        .post(
            &format!("/api/v1/orders/{oid}/visits/{}/check-out", id(&v)),
            Some("li.qiang"),
            &json!({}),
        )
        .await;
    assert_error("check-out after resolve", &r, 422, "invalid", None);
    let r = app
        .post(
            &format!("/api/v1/orders/{oid}/parts/{}/decision", id(&p)),
            Some("zhou.jg"),
            &json!({"approve": true}),
        )
        .await;
    assert_error("approve after resolve", &r, 422, "invalid", None);
    let after = order_now(&app, "li.qiang", oid).await;
    assert_eq!(after["state"], "resolved", "{after}");
}

async fn page(app: &TestApp, b: &Client, order_id: i64) -> String {
    let resp = b
        .get(app.url(&format!("/orders/{order_id}")))
        .send()
        .await
        .expect("GET the order page");
    assert_eq!(resp.status(), 200);
    resp.text().await.expect("body")
}

/// Posts the page's resolve form; returns where it redirects.
async fn resolve_form(app: &TestApp, b: &Client, order_id: i64, close_out: bool) -> String {
    let html = page(app, b, order_id).await;
    let csrf = form_csrf(&html);
    let version = order_now(app, "li.qiang", order_id).await["version"].to_string();
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("action", "resolve"),
        ("version", version.as_str()),
        ("resolution", "已处理。"),
    ];
    if close_out {
        form.push(("close_out", "1"));
    }
    let resp = b
        .post(app.url(&format!("/orders/{order_id}/transition")))
        .header("origin", app.base.as_str())
        .form(&form)
        .send()
        .await
        .expect("POST the resolve form");
    assert_eq!(resp.status(), 303);
    resp.headers()
        .get(LOCATION)
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn the_order_page_offers_only_what_the_state_allows(app: TestApp) {
    let (oid, _, p) = order_with_open_work(&app, "页面上的按钮").await;
    let li = signed_in(&app, "li.qiang").await;
    let html = page(&app, &li, oid).await;
    assert!(
        html.contains(r#"data-testid="open-work""#) && html.contains(r#"name="close_out""#),
        "the resolve form says why it would be refused and offers the close-out"
    );
    assert!(
        html.contains(r#"data-action="check-out""#),
        "open: check-out offered"
    );

    let to = resolve_form(&app, &li, oid, false).await;
    assert!(
        to.contains("error=close_out"),
        "refused without close_out: {to}"
    );
    assert_eq!(
        order_now(&app, "li.qiang", oid).await["state"],
        "waiting_client"
    );

    // An approved part not yet installed: the install button goes with the open order.
    let (status, body) = app
        .post(
            &format!("/api/v1/orders/{oid}/parts/{}/decision", id(&p)),
            Some("zhou.jg"),
            &json!({"approve": true}),
        )
        .await;
    assert_eq!(status, 200, "approve: {body}");
    let html = page(&app, &li, oid).await;
    assert!(
        html.contains(r#"data-action="install-part""#),
        "open: install offered"
    );

    let to = resolve_form(&app, &li, oid, true).await;
    assert!(to.ends_with("?ok=1"), "resolved with close_out: {to}");
    assert_eq!(order_now(&app, "li.qiang", oid).await["state"], "resolved");
    let html = page(&app, &li, oid).await;
    for action in ["check-in", "check-out", "install-part", "resolve"] {
        assert!(
            !html.contains(&format!(r#"data-action="{action}""#)),
            "a resolved order offers no {action}"
        );
    }

    // The client admin is offered no approval on a resolved order.
    let o = order_in_progress(&app, "已解决的待审批备件").await;
    let oid = id(&o);
    propose_part(&app, oid).await;
    let zhou = signed_in(&app, "zhou.jg").await;
    let html = page(&app, &zhou, oid).await;
    assert!(
        html.contains(r#"data-action="approve-part""#),
        "open: approval offered"
    );
    mv(
        &app,
        "li.qiang",
        oid,
        "resolve",
        json!({"resolution": "客户自行处理。", "close_out": true}),
    )
    .await;
    let html = page(&app, &zhou, oid).await;
    assert!(
        !html.contains(r#"data-action="approve-part""#)
            && !html.contains(r#"data-action="reject-part""#),
        "a resolved order offers no part decision"
    );
}

// ---- waiting reason ---------------------------------------------------------------------

async fn a_part_decision_keeps_another_waiting_reason(app: TestApp) {
    // The engineer waits for the client for another reason, then proposes a part.
    let o = order_in_progress(&app, "客户不在现场").await;
    let oid = id(&o);
    let waiting = mv(
        &app,
        "li.qiang",
        oid,
        "wait_client",
        json!({"reason": "客户出差，无法进入机房"}),
    )
    .await;
    assert_eq!(waiting["state"], "waiting_client", "{waiting}");
    let p = propose_part(&app, oid).await;
    let (status, body) = app
        .post(
            &format!("/api/v1/orders/{oid}/parts/{}/decision", id(&p)),
            Some("zhou.jg"),
            &json!({"approve": true}),
        )
        .await;
    assert_eq!(status, 200, "approve: {body}");
    let after = order_now(&app, "li.qiang", oid).await;
    assert_eq!(
        after["state"], "waiting_client",
        "the approval does not end a wait for another reason: {after}"
    );
    assert_eq!(
        clock(&after, "resolution")["state"],
        "paused",
        "the resolution clock stays paused: {after}"
    );

    // A wait for the approval alone ends with the last decision.
    let o = order_in_progress(&app, "只等备件审批").await;
    let oid = id(&o);
    let p = propose_part(&app, oid).await;
    assert_eq!(
        order_now(&app, "li.qiang", oid).await["state"],
        "waiting_client"
    );
    let (status, body) = app
        .post(
            &format!("/api/v1/orders/{oid}/parts/{}/decision", id(&p)),
            Some("zhou.jg"),
            &json!({"approve": false}),
        )
        .await;
    assert_eq!(status, 200, "reject: {body}");
    let after = order_now(&app, "li.qiang", oid).await;
    assert_eq!(after["state"], "in_progress", "{after}");
    assert_eq!(clock(&after, "resolution")["state"], "running", "{after}");
}

// ---- who stops the response clock -------------------------------------------------------

async fn comment(app: &TestApp, user: &str, order_id: i64, public: bool) {
    let (status, body) = app
        .post(
            &format!("/api/v1/orders/{order_id}/comments"),
            Some(user),
            &json!({"body": format!("{user} 的评论"), "public": public}),
        )
        .await;
    assert_eq!(status, 201, "comment by {user}: {body}");
}

async fn response_running(app: &TestApp, order_id: i64) -> bool {
    let o = order_now(app, "wang.fang", order_id).await;
    clock(&o, "response")["stopped_at"].is_null()
}

async fn only_the_responsible_side_stops_the_response_clock(mut app: TestApp) {
    app.add_token("zhang.wei").await;
    let o = new_order(&app, "谁的回复算响应").await;
    let oid = id(&o);
    let li = app.user_id("li.qiang").await;
    mv(&app, "wang.fang", oid, "assign", json!({"assignee_id": li})).await;
    assert!(
        response_running(&app, oid).await,
        "assigning is not a response"
    );

    for (user, public) in [
        ("liu.yang", true),   // finance
        ("zhao.min", true),   // service-level manager
        ("zhang.wei", true),  // an engineer of another team, not on the order
        ("wang.fang", false), // the desk, but an internal note
        ("li.qiang", false),  // the assignee, but an internal note
        ("wu.li", true),      // the client
    ] {
        comment(&app, user, oid, public).await;
        assert!(
            response_running(&app, oid).await,
            "a comment by {user} (public: {public}) must not stop the response clock"
        );
    }
    comment(&app, "li.qiang", oid, true).await;
    assert!(
        !response_running(&app, oid).await,
        "the assignee's public reply is the response"
    );

    // The desk answers for the provider.
    let o = new_order(&app, "服务台回复").await;
    comment(&app, "wang.fang", id(&o), true).await;
    assert!(
        !response_running(&app, id(&o)).await,
        "the dispatcher's reply"
    );
}

// ---- visit kinds ------------------------------------------------------------------------

async fn unknown_visit_kinds_are_refused_where_stored(app: TestApp) {
    let o = order_in_progress(&app, "奇怪的上门类型").await;
    let oid = id(&o);
    let visits = format!("/api/v1/orders/{oid}/visits");
    let long = "x".repeat(100_000);
    for kind in [
        json!("Regular"),
        json!("regular "),
        json!(""),
        json!("picnic"),
        json!("emergency' OR '1'='1"),
        json!("上门"),
        json!(long),
    ] {
        let r = app
            .post(&visits, Some("li.qiang"), &json!({"kind": kind}))
            .await;
        assert_error("an unknown visit kind", &r, 422, "invalid", Some("kind"));
    }
    let r = app
        .post(&visits, Some("li.qiang"), &json!({"kind": 3}))
        .await;
    assert_eq!(r.0, 400, "a kind that is not a string: {}", r.1);
    assert_eq!(
        app.get_ok(&visits, "li.qiang").await,
        json!([]),
        "no refused visit was stored"
    );

    // The database refuses one too (migration 0010), on both backends.
    let li = app.user_id("li.qiang").await;
    let stored = sqlx::query(
        "INSERT INTO order_visits (order_id, engineer_id, kind, decided_at, travel_fee, note, created_by) \
         VALUES ($1, $2, 'picnic', 0, '0.00', '', $2)",
    )
    .bind(oid)
    .bind(li)
    .execute(app.store.pool())
    .await;
    assert!(stored.is_err(), "the database stores an unknown visit kind");
    let stored = sqlx::query(
        "INSERT INTO order_visits (order_id, engineer_id, kind, decided_at, travel_fee, note, created_by) \
         VALUES ($1, $2, 'emergency', 0, '0.00', '', $2)",
    )
    .bind(oid)
    .bind(li)
    .execute(app.store.pool())
    .await;
    assert!(stored.is_ok(), "a known kind is stored: {stored:?}");
    let changed = sqlx::query("UPDATE order_visits SET kind = 'picnic' WHERE order_id = $1")
        .bind(oid)
        .execute(app.store.pool())
        .await;
    assert!(
        changed.is_err(),
        "the database changes a kind to an unknown one"
    );
}
