//! Service orders over the JSON API (SPEC §4–§5): creation by the client and by the desk, the
//! lifecycle through `/transitions` with its role rules and clocks, the timeline and internal
//! notes, the board's filters and sorts, notifications, and gap-free numbering under concurrent
//! creation. The store tests cover the same rules below HTTP; these prove the API keeps them.

use jiff::Timestamp;
use reqwest::Method;
use serde_json::{Value, json};
use weihu_store::{tokens, users};

use crate::helpers::{TestApp, assert_error, read};

both_backends!(
    client_creates_an_order_for_themself,
    client_create_errors_name_their_field,
    client_cannot_open_an_order_for_another_client,
    desk_creates_for_a_client,
    lifecycle_over_http,
    transition_refusals,
    team_assignment_and_reassignment,
    timeline_and_internal_notes,
    first_public_staff_comment_stops_the_response_clock,
    board_filters_and_sorts,
    due_sort_puts_orders_without_a_due_last,
    reopen_window_is_seven_days,
    notifications_of_assignment,
    the_client_is_told_when_it_has_something_to_do,
    concurrent_creation_numbers_without_gaps,
    a_create_answers_what_a_read_returns,
);

// ---- helpers ----------------------------------------------------------------------------

/// A fault report body as a client would send it.
fn report(subject: &str, urgency: &str, impact: &str) -> Value {
    json!({"category": "peripheral", "urgency": urgency, "impact": impact, "subject": subject,
           "description": "集成测试 / integration test"})
}

/// POST /api/v1/orders as `user`, which must answer 201; returns the order.
async fn create(app: &TestApp, user: &str, body: &Value) -> Value {
    let (status, order) = app.post("/api/v1/orders", Some(user), body).await;
    assert_eq!(status, 201, "POST /api/v1/orders as {user} {body}: {order}");
    order
}

fn id(order: &Value) -> i64 {
    order["id"].as_i64().expect("an order id")
}

/// One move of `order` as `user`, with the version read last and `extra` fields.
async fn try_move(
    app: &TestApp,
    user: &str,
    order: &Value,
    action: &str,
    extra: Value,
) -> (u16, Value) {
    let mut body = json!({"action": action, "version": order["version"]});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    app.post(
        &format!("/api/v1/orders/{}/transitions", id(order)),
        Some(user),
        &body,
    )
    .await
}

/// A move that must answer 200; returns the order after it.
async fn step(app: &TestApp, user: &str, order: &Value, action: &str, extra: Value) -> Value {
    let (status, after) = try_move(app, user, order, action, extra).await;
    assert_eq!(
        status, 200,
        "{action} by {user} on {} ({}): {after}",
        order["number"], order["state"]
    );
    assert_eq!(
        after["version"].as_i64(),
        order["version"].as_i64().map(|v| v + 1),
        "{action} moves the version on: {after}"
    );
    after
}

/// The clock `kind` of an order.
#[track_caller]
fn clock<'a>(order: &'a Value, kind: &str) -> &'a Value {
    order["clocks"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["kind"] == kind))
        .unwrap_or_else(|| panic!("order {} has a {kind} clock: {order}", order["number"]))
}

fn instant(v: &Value) -> Timestamp {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("an RFC 3339 instant: {v}"))
}

/// A bearer secret for a demo user the shared helpers did not give one (such as zhang.wei).
async fn extra_token(app: &TestApp, username: &str) -> String {
    let (user, _) = users::find_by_username(&app.store, username)
        .await
        .expect("query a user")
        .unwrap_or_else(|| panic!("demo user {username} exists"));
    tokens::create(&app.store, &app.system, user.id, "orders test", None)
        .await
        .expect("create a token")
        .1
}

/// A request with an explicit bearer secret.
async fn send_with(
    app: &TestApp,
    secret: &str,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let mut req = app
        .client
        .request(method.clone(), app.url(path))
        .bearer_auth(secret);
    if let Some(b) = body {
        req = req.json(b);
    }
    read(
        req.send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}")),
    )
    .await
}

/// The kinds of the order's timeline as `user` sees it.
async fn event_kinds(app: &TestApp, user: &str, order_id: i64) -> Vec<String> {
    events(app, user, order_id)
        .await
        .iter()
        .map(|e| e["kind"].as_str().expect("a kind").to_owned())
        .collect()
}

async fn events(app: &TestApp, user: &str, order_id: i64) -> Vec<Value> {
    app.get_ok(&format!("/api/v1/orders/{order_id}/events"), user)
        .await
        .as_array()
        .expect("an array of events")
        .clone()
}

/// `SO-YYYY-NNNNNN` → (year, sequence).
#[track_caller]
fn parse_number(n: &Value) -> (u32, u32) {
    let s = n.as_str().unwrap_or_default();
    let parts: Vec<&str> = s.split('-').collect();
    assert!(
        parts.len() == 3
            && parts[0] == "SO"
            && parts[1].len() == 4
            && parts[2].len() == 6
            && parts[1..]
                .iter()
                .all(|p| p.bytes().all(|b| b.is_ascii_digit())),
        "an order number like SO-YYYY-NNNNNN: {n}"
    );
    (
        parts[1].parse().expect("a year"),
        parts[2].parse().expect("a sequence"),
    )
}

/// The items of GET `path` as `user` (must answer 200).
async fn items(app: &TestApp, user: &str, path: &str) -> Vec<Value> {
    app.get_ok(path, user).await["items"]
        .as_array()
        .expect("items")
        .clone()
}

// ---- creation ---------------------------------------------------------------------------

async fn client_creates_an_order_for_themself(app: TestApp) {
    let wu = app.user_id("wu.li").await;
    let hdjm = app.org_id("HDJM").await;
    let o = create(&app, "wu.li", &report("打印机无法打印", "high", "medium")).await;
    parse_number(&o["number"]);
    assert_eq!(o["state"], "new");
    assert_eq!(
        o["channel"], "api",
        "orders through the API are recorded as such"
    );
    assert_eq!(o["client_org_id"], hdjm, "the client's own organisation");
    assert_eq!(o["requester_id"], wu, "the requester is the reporting user");
    assert_eq!(o["requester_name"], "吴丽");
    assert_eq!(o["category"], "peripheral");
    assert_eq!(
        (o["urgency"].clone(), o["impact"].clone()),
        (json!("high"), json!("medium"))
    );
    assert_eq!(o["priority"], "P2", "high × medium is P2 (SPEC §4)");
    assert_eq!(o["assignee_id"], Value::Null);
    assert!(o["version"].as_i64().is_some(), "a version: {o}");
    for kind in ["response", "resolution"] {
        let c = clock(&o, kind);
        assert_eq!(
            c["state"], "running",
            "{kind} clock runs from creation: {c}"
        );
        assert_eq!(c["stopped_at"], Value::Null, "{kind} clock: {c}");
        let due = instant(&c["due_at"]);
        assert!(
            due > instant(&c["started_at"]),
            "{kind} clock is due after its start: {c}"
        );
    }
    assert_eq!(
        clock(&o, "resolution")["target_minutes"],
        240,
        "P2 resolution is 4 business hours (SPEC §4 defaults)"
    );

    // GET answers the same order to its requester.
    let got = app
        .get_ok(&format!("/api/v1/orders/{}", id(&o)), "wu.li")
        .await;
    for k in [
        "number",
        "state",
        "priority",
        "requester_id",
        "client_org_id",
        "version",
    ] {
        assert_eq!(got[k], o[k], "GET {k}");
    }

    // Low × low is P4; a client naming another channel is still recorded as API.
    let mut body = report("鼠标偶尔失灵", "low", "low");
    body["channel"] = json!("phone");
    let low = create(&app, "wu.li", &body).await;
    assert_eq!(low["priority"], "P4", "low × low is P4");
    assert_eq!(
        low["channel"], "api",
        "a client cannot claim another channel"
    );
    let (_, s1) = parse_number(&o["number"]);
    let (_, s2) = parse_number(&low["number"]);
    assert_eq!(s2, s1 + 1, "the next order takes the next number");
}

async fn client_create_errors_name_their_field(app: TestApp) {
    let mut bad = report("打印机无法打印", "high", "medium");
    bad["category"] = json!("coffee_machine");
    let r = app.post("/api/v1/orders", Some("wu.li"), &bad).await;
    assert_error("unknown category", &r, 422, "invalid", Some("category"));

    for subject in ["", "   "] {
        let r = app
            .post(
                "/api/v1/orders",
                Some("wu.li"),
                &report(subject, "high", "medium"),
            )
            .await;
        assert_error(
            &format!("subject {subject:?}"),
            &r,
            422,
            "invalid",
            Some("subject"),
        );
    }
    let r = app
        .post(
            "/api/v1/orders",
            Some("wu.li"),
            &report(&"长".repeat(201), "low", "low"),
        )
        .await;
    assert_error(
        "subject of 201 characters",
        &r,
        422,
        "invalid",
        Some("subject"),
    );

    let r = app
        .post(
            "/api/v1/orders",
            Some("wu.li"),
            &report("打印机", "urgent", "medium"),
        )
        .await;
    assert_error("unknown urgency", &r, 400, "bad_request", Some("urgency"));
    let r = app
        .post(
            "/api/v1/orders",
            Some("wu.li"),
            &report("打印机", "high", "huge"),
        )
        .await;
    assert_error("unknown impact", &r, 400, "bad_request", Some("impact"));

    let mut missing = report("打印机", "high", "medium");
    missing
        .as_object_mut()
        .expect("an object")
        .remove("subject");
    let r = app.post("/api/v1/orders", Some("wu.li"), &missing).await;
    assert_error("no subject at all", &r, 400, "bad_request", Some("subject"));

    let r = app
        .post("/api/v1/orders", None, &report("打印机", "high", "medium"))
        .await;
    assert_error("anonymous", &r, 401, "unauthorized", None);

    // Nothing of the above was stored.
    let mine = items(&app, "wu.li", "/api/v1/orders?limit=100").await;
    assert!(
        mine.iter()
            .all(|o| o["subject"] != "打印机" && o["subject"] != ""),
        "no refused order was stored: {mine:?}"
    );
}

/// Tenant isolation on creation: whatever a client sends, the order is theirs.
async fn client_cannot_open_an_order_for_another_client(app: TestApp) {
    let hdjm = app.org_id("HDJM").await;
    let jnyy = app.org_id("JNYY").await;
    let jnyy_path = format!("/api/v1/orders?client_org_id={jnyy}&limit=100");
    let before = app.get_ok(&jnyy_path, "wang.fang").await["total"].clone();

    for user in ["wu.li", "zhou.jg"] {
        let mut body = report(&format!("{user} 试图为别的客户报修"), "high", "high");
        body["client_org_id"] = json!(jnyy);
        let (status, o) = app.post("/api/v1/orders", Some(user), &body).await;
        match status {
            201 => assert_eq!(
                o["client_org_id"], hdjm,
                "{user}: an order in their own organisation, never in another: {o}"
            ),
            400..=499 => {}
            _ => panic!("{user} naming another client: {status} {o}"),
        }
    }

    // The client admin may name a requester of their own organisation only.
    let he_yun = app.user_id("he.yun").await;
    let mut body = report("代他人报修", "medium", "medium");
    body["requester_id"] = json!(he_yun);
    let r = app.post("/api/v1/orders", Some("zhou.jg"), &body).await;
    assert_error(
        "a requester of another client",
        &r,
        422,
        "invalid",
        Some("requester_id"),
    );
    let sun = app.user_id("sun.hao").await;
    body["requester_id"] = json!(sun);
    let o = create(&app, "zhou.jg", &body).await;
    assert_eq!(o["requester_id"], sun, "a colleague as requester: {o}");
    assert_eq!(o["requester_name"], "孙浩");
    // A client user is always the requester.
    body["requester_id"] = json!(sun);
    let o = create(&app, "wu.li", &body).await;
    assert_eq!(o["requester_id"], app.user_id("wu.li").await, "{o}");

    assert_eq!(
        app.get_ok(&jnyy_path, "wang.fang").await["total"],
        before,
        "no new order for JNYY"
    );
}

async fn desk_creates_for_a_client(app: TestApp) {
    let hdjm = app.org_id("HDJM").await;
    let body = json!({"client_org_id": hdjm, "requester_name": "赵师傅", "requester_phone": "139 0000 1111",
        "channel": "phone", "category": "network", "urgency": "medium", "impact": "high",
        "subject": "车间无线网络断开", "site": "二号车间"});
    let o = create(&app, "wang.fang", &body).await;
    assert_eq!(o["client_org_id"], hdjm);
    assert_eq!(o["client_name"], "华东精密制造有限公司");
    assert_eq!(o["channel"], "phone", "the desk names the real channel");
    assert_eq!(
        o["requester_id"],
        Value::Null,
        "a caller without an account"
    );
    assert_eq!(o["requester_name"], "赵师傅");
    assert_eq!(o["requester_phone"], "139 0000 1111");
    assert_eq!(o["site"], "二号车间");
    assert_eq!(o["priority"], "P2", "medium × high is P2");
    assert_eq!(o["state"], "new");

    // The desk without a channel: recorded as API.
    let mut no_channel = body.clone();
    no_channel
        .as_object_mut()
        .expect("an object")
        .remove("channel");
    let o = create(&app, "wang.fang", &no_channel).await;
    assert_eq!(o["channel"], "api");

    // A requester with an account.
    let mut named = body.clone();
    named["requester_id"] = json!(app.user_id("wu.li").await);
    let o = create(&app, "wang.fang", &named).await;
    assert_eq!(o["requester_name"], "吴丽");
    assert_eq!(o["requester_id"], app.user_id("wu.li").await);

    let mut b = body.clone();
    b.as_object_mut()
        .expect("an object")
        .remove("client_org_id");
    let r = app.post("/api/v1/orders", Some("wang.fang"), &b).await;
    assert_error(
        "desk without client_org_id",
        &r,
        422,
        "invalid",
        Some("client_org_id"),
    );

    let (provider, _) = weihu_store::organizations::provider(&app.store)
        .await
        .expect("query the provider")
        .expect("the provider");
    for bad in [json!(provider), json!(999_999)] {
        let mut b = body.clone();
        b["client_org_id"] = bad.clone();
        let r = app.post("/api/v1/orders", Some("wang.fang"), &b).await;
        assert_error(
            &format!("client_org_id {bad}"),
            &r,
            422,
            "invalid",
            Some("client_org_id"),
        );
    }

    let mut b = body.clone();
    b.as_object_mut()
        .expect("an object")
        .remove("requester_name");
    let r = app.post("/api/v1/orders", Some("wang.fang"), &b).await;
    assert_error(
        "desk without a requester",
        &r,
        422,
        "invalid",
        Some("requester_name"),
    );

    let mut b = body.clone();
    b["channel"] = json!("fax");
    let r = app.post("/api/v1/orders", Some("wang.fang"), &b).await;
    assert_error("unknown channel", &r, 422, "invalid", Some("channel"));

    let mut b = body.clone();
    b["requester_id"] = json!(app.user_id("he.yun").await);
    let r = app.post("/api/v1/orders", Some("wang.fang"), &b).await;
    assert_error(
        "requester of another client",
        &r,
        422,
        "invalid",
        Some("requester_id"),
    );

    for user in ["liu.yang", "zhao.min"] {
        let r = app.post("/api/v1/orders", Some(user), &body).await;
        assert_error(
            &format!("{user} opens an order"),
            &r,
            403,
            "forbidden",
            None,
        );
    }
}

// ---- lifecycle --------------------------------------------------------------------------

async fn lifecycle_over_http(app: TestApp) {
    let li = app.user_id("li.qiang").await;
    let zhang = extra_token(&app, "zhang.wei").await;
    let o = create(&app, "wu.li", &report("显示器闪烁", "high", "medium")).await;
    let due0 = instant(&clock(&o, "resolution")["due_at"]);

    let o = step(&app, "wang.fang", &o, "assign", json!({"assignee_id": li})).await;
    assert_eq!(o["state"], "assigned");
    assert_eq!(o["assignee_id"], li);
    assert_eq!(o["assignee_name"], "李强");
    assert_eq!(
        clock(&o, "response")["stopped_at"],
        Value::Null,
        "assignment is no response"
    );

    // Another engineer may not take it.
    let path = format!("/api/v1/orders/{}/transitions", id(&o));
    let r = send_with(
        &app,
        &zhang,
        Method::POST,
        &path,
        Some(&json!({"action": "start", "version": o["version"]})),
    )
    .await;
    assert_error(
        "zhang.wei starts li.qiang's order",
        &r,
        403,
        "forbidden",
        None,
    );

    let o = step(&app, "li.qiang", &o, "start", json!({})).await;
    assert_eq!(o["state"], "in_progress");
    let resp = clock(&o, "response");
    assert!(
        resp["stopped_at"].is_string(),
        "acceptance stops the response clock: {resp}"
    );
    assert_eq!(resp["state"], "met", "answered in time: {resp}");
    assert_eq!(clock(&o, "resolution")["state"], "running");

    let o = step(
        &app,
        "li.qiang",
        &o,
        "wait_client",
        json!({"reason": "等客户开门"}),
    )
    .await;
    assert_eq!(o["state"], "waiting_client");
    let res = clock(&o, "resolution");
    assert_eq!(
        res["state"], "paused",
        "waiting for the client pauses resolution: {res}"
    );
    assert_eq!(
        res["due_at"],
        Value::Null,
        "no due instant while paused: {res}"
    );
    assert_eq!(
        res["stopped_at"],
        Value::Null,
        "paused is not stopped: {res}"
    );

    let o = step(&app, "li.qiang", &o, "resume", json!({})).await;
    assert_eq!(o["state"], "in_progress");
    let res = clock(&o, "resolution");
    assert_eq!(res["state"], "running", "{res}");
    let due1 = instant(&res["due_at"]);
    assert!(
        due1 >= due0,
        "the pause never moves the due instant earlier: {due0} → {due1}"
    );

    for body in [json!({}), json!({"resolution": "  "})] {
        let r = try_move(&app, "li.qiang", &o, "resolve", body.clone()).await;
        assert_error(
            &format!("resolve with {body}"),
            &r,
            422,
            "invalid",
            Some("resolution"),
        );
    }
    let o = step(
        &app,
        "li.qiang",
        &o,
        "resolve",
        json!({"resolution": "更换显示器线缆，测试正常。"}),
    )
    .await;
    assert_eq!(o["state"], "resolved");
    assert_eq!(o["resolution"], "更换显示器线缆，测试正常。");
    assert!(o["resolved_at"].is_string(), "{o}");
    let res = clock(&o, "resolution");
    assert!(
        res["stopped_at"].is_string(),
        "resolution stops its clock: {res}"
    );
    assert_eq!(res["state"], "met", "{res}");

    // The client reopens within the window (with a reason): resolution runs again.
    let r = try_move(&app, "wu.li", &o, "reopen", json!({})).await;
    assert_error(
        "reopen without a reason",
        &r,
        422,
        "invalid",
        Some("reason"),
    );
    let r = try_move(&app, "wang.fang", &o, "reopen", json!({"reason": "desk"})).await;
    assert_error("the desk reopens", &r, 403, "forbidden", None);
    let o = step(&app, "wu.li", &o, "reopen", json!({"reason": "又开始闪了"})).await;
    assert_eq!(o["state"], "in_progress");
    let res = clock(&o, "resolution");
    assert_eq!(
        res["stopped_at"],
        Value::Null,
        "reopen restarts resolution: {res}"
    );
    assert_eq!(res["state"], "running", "{res}");
    assert!(instant(&res["due_at"]) >= due1, "{res}");
    assert!(
        clock(&o, "response")["stopped_at"].is_string(),
        "the response clock stays met"
    );

    let o = step(
        &app,
        "li.qiang",
        &o,
        "resolve",
        json!({"resolution": "更换显示器。"}),
    )
    .await;
    assert_eq!(o["state"], "resolved");

    let r = try_move(&app, "wang.fang", &o, "close", json!({})).await;
    assert_error("the desk closes", &r, 403, "forbidden", None);
    let r = try_move(&app, "li.qiang", &o, "close", json!({})).await;
    assert_error("the engineer closes", &r, 403, "forbidden", None);
    let o = step(&app, "wu.li", &o, "close", json!({})).await;
    assert_eq!(o["state"], "closed");
    assert!(o["closed_at"].is_string(), "{o}");

    // A closed order moves no more.
    for (user, action) in [
        ("wu.li", "reopen"),
        ("wang.fang", "cancel"),
        ("wang.fang", "assign"),
    ] {
        let r = try_move(
            &app,
            user,
            &o,
            action,
            json!({"reason": "x", "assignee_id": li}),
        )
        .await;
        assert_error(
            &format!("{action} a closed order"),
            &r,
            422,
            "invalid",
            Some("action"),
        );
    }
    let got = app
        .get_ok(&format!("/api/v1/orders/{}", id(&o)), "wu.li")
        .await;
    assert_eq!(got["state"], "closed");
    assert_eq!(got["version"], o["version"]);
}

async fn transition_refusals(app: TestApp) {
    let li = app.user_id("li.qiang").await;
    let o = create(&app, "wu.li", &report("键盘按键失灵", "medium", "low")).await;

    // Close a new order: the client may close, but not from `new`.
    let r = try_move(&app, "wu.li", &o, "close", json!({})).await;
    assert_error("close a new order", &r, 422, "invalid", Some("action"));
    for action in ["teleport", "", "ASSIGN"] {
        let r = try_move(&app, "wang.fang", &o, action, json!({})).await;
        assert_error(
            &format!("action {action:?}"),
            &r,
            422,
            "invalid",
            Some("action"),
        );
    }
    let r = try_move(&app, "wang.fang", &o, "assign", json!({})).await;
    assert_error("assign to nobody", &r, 422, "invalid", Some("assignee_id"));
    let r = try_move(
        &app,
        "wang.fang",
        &o,
        "assign",
        json!({"assignee_id": app.user_id("he.yun").await}),
    )
    .await;
    assert_error(
        "assign to a client user",
        &r,
        422,
        "invalid",
        Some("assignee_id"),
    );
    let r = try_move(
        &app,
        "wang.fang",
        &o,
        "assign",
        json!({"assignee_id": 999_999}),
    )
    .await;
    assert_error(
        "assign to nobody known",
        &r,
        422,
        "invalid",
        Some("assignee_id"),
    );
    let r = try_move(&app, "li.qiang", &o, "assign", json!({"assignee_id": li})).await;
    assert_error("an engineer assigns", &r, 403, "forbidden", None);
    let r = try_move(&app, "liu.yang", &o, "cancel", json!({"reason": "x"})).await;
    assert_error("finance cancels", &r, 403, "forbidden", None);
    let r = try_move(
        &app,
        "wu.li",
        &o,
        "resolve",
        json!({"resolution": "自己修好了"}),
    )
    .await;
    assert_error("the client resolves", &r, 403, "forbidden", None);

    // Another client's user does not even see the order.
    let r = try_move(&app, "he.yun", &o, "cancel", json!({"reason": "x"})).await;
    assert_error("another client's user", &r, 404, "not_found", None);
    // A colleague in the same client does not see another user's order either.
    let r = try_move(&app, "sun.hao", &o, "cancel", json!({"reason": "x"})).await;
    assert_error("a colleague", &r, 404, "not_found", None);

    let assigned = step(&app, "wang.fang", &o, "assign", json!({"assignee_id": li})).await;
    // `o` holds the version before the assignment: stale.
    let r = try_move(&app, "li.qiang", &o, "start", json!({})).await;
    assert_error("stale version", &r, 409, "conflict", Some("version"));
    let mut future = assigned.clone();
    future["version"] = json!(assigned["version"].as_i64().expect("a version") + 3);
    let r = try_move(&app, "li.qiang", &future, "start", json!({})).await;
    assert_error(
        "a version from the future",
        &r,
        409,
        "conflict",
        Some("version"),
    );
    let got = app
        .get_ok(&format!("/api/v1/orders/{}", id(&o)), "wang.fang")
        .await;
    assert_eq!(
        got["state"], "assigned",
        "the refused moves changed nothing"
    );
    assert_eq!(got["version"], assigned["version"]);

    let r = try_move(
        &app,
        "wang.fang",
        &assigned,
        "refuse",
        json!({"reason": "不在合同范围"}),
    )
    .await;
    assert_error(
        "refuse without in_scope",
        &r,
        422,
        "invalid",
        Some("in_scope"),
    );
    let r = try_move(&app, "wang.fang", &assigned, "cancel", json!({})).await;
    assert_error(
        "cancel without a reason",
        &r,
        422,
        "invalid",
        Some("reason"),
    );

    // The client admin withdraws a colleague's order: cancelled, every running clock ends.
    let cancelled = step(
        &app,
        "zhou.jg",
        &assigned,
        "cancel",
        json!({"reason": "已自行解决"}),
    )
    .await;
    assert_eq!(cancelled["state"], "cancelled");
    assert_eq!(cancelled["close_reason"], "已自行解决");
    for c in cancelled["clocks"].as_array().expect("clocks") {
        assert!(
            c["stopped_at"].is_string(),
            "cancelling stops every clock: {c}"
        );
    }
}

/// An order given to a team may be worked by any engineer of the team, none other; reassigning
/// work in progress keeps it in progress; waiting for parts does not pause resolution.
async fn team_assignment_and_reassignment(app: TestApp) {
    let teams = items(&app, "wang.fang", "/api/v1/teams?limit=100").await;
    let desk_team = teams
        .iter()
        .find(|t| t["name"] == "桌面支持组")
        .expect("the desktop team")["id"]
        .clone();
    let chen = extra_token(&app, "chen.jing").await;
    let zhang = extra_token(&app, "zhang.wei").await;
    let o = create(&app, "wu.li", &report("投影仪灯泡更换", "medium", "medium")).await;
    let path = format!("/api/v1/orders/{}/transitions", id(&o));
    let o = step(
        &app,
        "wang.fang",
        &o,
        "assign",
        json!({"team_id": desk_team}),
    )
    .await;
    assert_eq!(o["state"], "assigned");
    assert_eq!(o["team_id"], desk_team);
    assert_eq!(o["team_name"], "桌面支持组");
    assert_eq!(o["assignee_id"], Value::Null);

    let start = json!({"action": "start", "version": o["version"]});
    let r = send_with(&app, &zhang, Method::POST, &path, Some(&start)).await;
    assert_error(
        "an engineer of another team starts",
        &r,
        403,
        "forbidden",
        None,
    );
    let (status, o) = send_with(&app, &chen, Method::POST, &path, Some(&start)).await;
    assert_eq!(status, 200, "an engineer of the team starts: {o}");
    assert_eq!(o["state"], "in_progress");

    let o = step(
        &app,
        "li.qiang",
        &o,
        "wait_parts",
        json!({"reason": "等灯泡"}),
    )
    .await;
    assert_eq!(o["state"], "waiting_parts");
    let res = clock(&o, "resolution");
    assert_eq!(
        res["state"], "running",
        "waiting for parts does not pause: {res}"
    );
    assert!(res["due_at"].is_string(), "{res}");

    // Reassigning to a network engineer keeps the state; now he may work it.
    let zhang_id = app.user_id("zhang.wei").await;
    let o = step(
        &app,
        "wang.fang",
        &o,
        "assign",
        json!({"assignee_id": zhang_id}),
    )
    .await;
    assert_eq!(o["state"], "waiting_parts", "reassignment keeps the state");
    assert_eq!(o["assignee_id"], zhang_id);
    let resume = json!({"action": "resume", "version": o["version"]});
    let (status, o) = send_with(&app, &zhang, Method::POST, &path, Some(&resume)).await;
    assert_eq!(status, 200, "the new assignee resumes: {o}");
    assert_eq!(o["state"], "in_progress");

    // Unknown orders and unreadable ids.
    let r = app.get("/api/v1/orders/999999", Some("wang.fang")).await;
    assert_error("no such order", &r, 404, "not_found", None);
    let r = app
        .get("/api/v1/orders/999999/events", Some("wang.fang"))
        .await;
    assert_error("no such order's events", &r, 404, "not_found", None);
    let r = app
        .post(
            "/api/v1/orders/999999/transitions",
            Some("wang.fang"),
            &json!({"action": "cancel", "version": 1, "reason": "x"}),
        )
        .await;
    assert_error("move no such order", &r, 404, "not_found", None);
    let r = app.get("/api/v1/orders/abc", Some("wang.fang")).await;
    assert_error("a non-numeric id cannot exist", &r, 404, "not_found", None);
    let r = app
        .post(&path, Some("wang.fang"), &json!({"action": "cancel"}))
        .await;
    assert_error(
        "a move without a version",
        &r,
        400,
        "bad_request",
        Some("version"),
    );
}

// ---- timeline ---------------------------------------------------------------------------

async fn timeline_and_internal_notes(app: TestApp) {
    let li = app.user_id("li.qiang").await;
    let o = create(&app, "wu.li", &report("扫描仪无法连接", "medium", "medium")).await;
    let oid = id(&o);
    let o = step(&app, "wang.fang", &o, "assign", json!({"assignee_id": li})).await;
    let o = step(&app, "li.qiang", &o, "start", json!({})).await;
    let o = step(
        &app,
        "li.qiang",
        &o,
        "wait_parts",
        json!({"reason": "订购驱动板"}),
    )
    .await;
    let o = step(&app, "li.qiang", &o, "resume", json!({})).await;

    let comments = format!("/api/v1/orders/{oid}/comments");
    let (status, after) = app
        .post(
            &comments,
            Some("li.qiang"),
            &json!({"body": "内部：客户设备过保", "public": false}),
        )
        .await;
    assert_eq!(status, 201, "internal note: {after}");
    assert_eq!(after["id"], oid, "the comment answers the order: {after}");
    let (status, _) = app
        .post(
            &comments,
            Some("wu.li"),
            &json!({"body": "请尽快处理", "public": false}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = app
        .post(
            &comments,
            Some("wang.fang"),
            &json!({"body": "已联系厂商。"}),
        )
        .await;
    assert_eq!(status, 201);
    let r = app
        .post(&comments, Some("li.qiang"), &json!({"body": "  "}))
        .await;
    assert_error("empty comment", &r, 422, "invalid", Some("body"));
    let r = app
        .post(&comments, Some("he.yun"), &json!({"body": "看看"}))
        .await;
    assert_error("another client comments", &r, 404, "not_found", None);
    let o = step(
        &app,
        "li.qiang",
        &o,
        "resolve",
        json!({"resolution": "已修复"}),
    )
    .await;
    step(&app, "wu.li", &o, "close", json!({})).await;

    let staff = event_kinds(&app, "wang.fang", oid).await;
    assert_eq!(
        staff,
        [
            "created",
            "assign",
            "start",
            "wait_parts",
            "resume",
            "comment",
            "comment",
            "comment",
            "resolve",
            "close"
        ],
        "the staff timeline, oldest first"
    );
    assert_eq!(event_kinds(&app, "li.qiang", oid).await, staff);
    let all = events(&app, "wang.fang", oid).await;
    let note = all
        .iter()
        .find(|e| e["body"] == "内部：客户设备过保")
        .expect("the internal note on the staff timeline");
    assert_eq!(note["public"], false, "{note}");
    assert_eq!(note["actor_name"], "李强");
    assert_eq!(note["actor_id"], li);
    let client_comment = all
        .iter()
        .find(|e| e["body"] == "请尽快处理")
        .expect("the client's comment");
    assert_eq!(
        client_comment["public"], true,
        "a client's comment is always public"
    );
    assert_eq!(all[0]["actor_name"], "吴丽", "created by the requester");
    assert_eq!(all[0]["data"]["priority"], "P3");
    let resolve = all
        .iter()
        .find(|e| e["kind"] == "resolve")
        .expect("resolve");
    assert_eq!(resolve["body"], "已修复");
    for pair in all.windows(2) {
        assert!(
            instant(&pair[0]["at"]) <= instant(&pair[1]["at"]),
            "oldest first: {pair:?}"
        );
    }

    for client in ["wu.li", "zhou.jg"] {
        let seen = events(&app, client, oid).await;
        assert!(
            seen.iter().all(|e| e["public"] == true),
            "{client} sees public entries only: {seen:?}"
        );
        assert!(
            !seen.iter().any(|e| e["body"] == "内部：客户设备过保"),
            "{client} never sees the internal note"
        );
        let kinds: Vec<&str> = seen.iter().filter_map(|e| e["kind"].as_str()).collect();
        assert!(
            !kinds.contains(&"wait_parts"),
            "waiting for the provider's parts is internal: {kinds:?}"
        );
        for k in ["created", "start", "resume", "resolve", "close"] {
            assert!(kinds.contains(&k), "{client} sees {k}: {kinds:?}");
        }
        assert!(
            seen.iter().any(|e| e["body"] == "请尽快处理")
                && seen.iter().any(|e| e["body"] == "已联系厂商。"),
            "{client} sees the public comments"
        );
    }
    for outsider in ["he.yun", "sun.hao"] {
        let r = app
            .get(&format!("/api/v1/orders/{oid}/events"), Some(outsider))
            .await;
        assert_error(
            &format!("{outsider} reads the timeline"),
            &r,
            404,
            "not_found",
            None,
        );
    }
}

async fn first_public_staff_comment_stops_the_response_clock(app: TestApp) {
    let o = create(&app, "wu.li", &report("投影仪无信号", "high", "high")).await;
    let oid = id(&o);
    let comments = format!("/api/v1/orders/{oid}/comments");
    let path = format!("/api/v1/orders/{oid}");
    assert_eq!(o["priority"], "P1");

    // Neither an internal note nor the client's own comment is a response.
    let (status, after) = app
        .post(
            &comments,
            Some("wang.fang"),
            &json!({"body": "内部：先查库存", "public": false}),
        )
        .await;
    assert_eq!(status, 201, "{after}");
    assert_eq!(
        clock(&after, "response")["stopped_at"],
        Value::Null,
        "an internal note is no response"
    );
    let (status, after) = app
        .post(&comments, Some("wu.li"), &json!({"body": "很急！"}))
        .await;
    assert_eq!(status, 201, "{after}");
    let got = app.get_ok(&path, "wang.fang").await;
    assert_eq!(
        clock(&got, "response")["stopped_at"],
        Value::Null,
        "the client's comment is no response"
    );
    assert_eq!(clock(&got, "response")["state"], "running");

    let (status, after) = app
        .post(
            &comments,
            Some("wang.fang"),
            &json!({"body": "收到，工程师马上联系您。"}),
        )
        .await;
    assert_eq!(status, 201, "{after}");
    let resp = clock(&after, "response").clone();
    assert!(
        resp["stopped_at"].is_string(),
        "the first public reply stops the response clock: {resp}"
    );
    assert_eq!(resp["state"], "met", "{resp}");
    assert_eq!(
        clock(&after, "resolution")["state"],
        "running",
        "resolution goes on"
    );
    assert_eq!(after["state"], "new", "a comment moves no state");

    // A later reply changes nothing.
    let (status, later) = app
        .post(&comments, Some("wang.fang"), &json!({"body": "补充说明。"}))
        .await;
    assert_eq!(status, 201);
    assert_eq!(clock(&later, "response")["stopped_at"], resp["stopped_at"]);
    // The client sees the stopped clock too.
    let seen = app.get_ok(&path, "wu.li").await;
    assert_eq!(clock(&seen, "response")["stopped_at"], resp["stopped_at"]);
}

// ---- board ------------------------------------------------------------------------------

async fn board_filters_and_sorts(app: TestApp) {
    let li = app.user_id("li.qiang").await;
    let jnyy = app.org_id("JNYY").await;
    let hdjm = app.org_id("HDJM").await;
    let p1 = create(
        &app,
        "wu.li",
        &report("看板筛选甲 board-alpha", "high", "high"),
    )
    .await;
    let p4 = create(
        &app,
        "sun.hao",
        &report("看板筛选乙 board-beta", "low", "low"),
    )
    .await;
    let p1 = step(&app, "wang.fang", &p1, "assign", json!({"assignee_id": li})).await;
    const DESK: &str = "wang.fang";
    let all = items(&app, DESK, "/api/v1/orders?limit=200").await;
    assert_eq!(
        all.len(),
        crate::helpers::DEMO_ORDERS + 2,
        "the demo orders and 2 new ones"
    );

    let open = items(&app, DESK, "/api/v1/orders?open=true&limit=200").await;
    let open_states = [
        "new",
        "assigned",
        "in_progress",
        "waiting_client",
        "waiting_parts",
    ];
    assert!(!open.is_empty());
    assert!(
        open.iter()
            .all(|o| open_states.contains(&o["state"].as_str().unwrap_or(""))),
        "open=true: {open:?}"
    );
    let done = items(&app, DESK, "/api/v1/orders?open=false&limit=200").await;
    assert!(
        done.iter()
            .all(|o| !open_states.contains(&o["state"].as_str().unwrap_or("")))
    );
    assert_eq!(
        open.len() + done.len(),
        all.len(),
        "open and done split the board"
    );

    for state in [
        "new",
        "resolved",
        "closed",
        "waiting_client",
        "waiting_parts",
    ] {
        let got = items(
            &app,
            DESK,
            &format!("/api/v1/orders?state={state}&limit=200"),
        )
        .await;
        let want = all.iter().filter(|o| o["state"] == state).count();
        assert!(want > 0, "the demo data has a {state} order");
        assert_eq!(got.len(), want, "state={state}");
        assert!(
            got.iter().all(|o| o["state"] == state),
            "state={state}: {got:?}"
        );
    }

    let prio1 = items(&app, DESK, "/api/v1/orders?priority=P1&limit=200").await;
    assert!(prio1.iter().all(|o| o["priority"] == "P1"), "{prio1:?}");
    assert!(prio1.iter().any(|o| o["id"] == p1["id"]));
    assert_eq!(
        prio1.len(),
        all.iter().filter(|o| o["priority"] == "P1").count()
    );

    let mine = items(
        &app,
        DESK,
        &format!("/api/v1/orders?assignee_id={li}&limit=200"),
    )
    .await;
    assert!(mine.iter().all(|o| o["assignee_id"] == li), "{mine:?}");
    assert!(mine.iter().any(|o| o["id"] == p1["id"]));
    assert!(mine.len() >= 2, "li.qiang has demo orders too");

    let hospital = items(
        &app,
        DESK,
        &format!("/api/v1/orders?client_org_id={jnyy}&limit=200"),
    )
    .await;
    assert_eq!(hospital.len(), 3, "the hospital's 3 demo orders");
    assert!(hospital.iter().all(|o| o["client_org_id"] == jnyy));

    // Filters combine.
    let both = items(
        &app,
        DESK,
        &format!("/api/v1/orders?client_org_id={hdjm}&open=true&priority=P1&limit=200"),
    )
    .await;
    assert!(both.iter().any(|o| o["id"] == p1["id"]));
    assert!(
        both.iter()
            .all(|o| o["client_org_id"] == hdjm && o["priority"] == "P1")
    );

    // q finds by number and by subject (Chinese and English, any case).
    let number = p4["number"].as_str().expect("a number");
    for q in [
        number.to_owned(),
        number.to_lowercase(),
        "看板筛选乙".into(),
        "BOARD-BETA".into(),
    ] {
        let enc: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
        let got = items(&app, DESK, &format!("/api/v1/orders?q={enc}")).await;
        assert_eq!(got.len(), 1, "q={q}: {got:?}");
        assert_eq!(got[0]["id"], p4["id"], "q={q}");
    }
    let enc: String = url::form_urlencoded::byte_serialize("看板筛选".as_bytes()).collect();
    assert_eq!(
        items(&app, DESK, &format!("/api/v1/orders?q={enc}"))
            .await
            .len(),
        2
    );
    assert!(
        items(&app, DESK, "/api/v1/orders?q=%25").await.is_empty(),
        "% is no wildcard"
    );

    // Sorts.
    let by_prio = items(&app, DESK, "/api/v1/orders?sort=priority&limit=200").await;
    let prios: Vec<&str> = by_prio
        .iter()
        .filter_map(|o| o["priority"].as_str())
        .collect();
    assert!(
        prios.windows(2).all(|w| w[0] <= w[1]),
        "sort=priority: {prios:?}"
    );
    let newest = items(&app, DESK, "/api/v1/orders?sort=-created_at&limit=200").await;
    assert!(
        newest
            .windows(2)
            .all(|w| instant(&w[0]["created_at"]) >= instant(&w[1]["created_at"])),
        "sort=-created_at"
    );
    assert_eq!(newest[0]["id"], p4["id"], "the newest first");
    let by_due = items(&app, DESK, "/api/v1/orders?sort=due&open=true&limit=200").await;
    let dues: Vec<Timestamp> = by_due
        .iter()
        .filter_map(|o| {
            o["clocks"]
                .as_array()?
                .iter()
                .filter(|c| c["stopped_at"].is_null())
                .filter_map(|c| c["due_at"].as_str()?.parse::<Timestamp>().ok())
                .min()
        })
        .collect();
    assert!(!dues.is_empty());
    assert!(
        dues.windows(2).all(|w| w[0] <= w[1]),
        "sort=due: the earliest due first: {dues:?}"
    );
    let by_number = items(&app, DESK, "/api/v1/orders?sort=-number&limit=200").await;
    let numbers: Vec<&str> = by_number
        .iter()
        .filter_map(|o| o["number"].as_str())
        .collect();
    assert!(
        numbers.windows(2).all(|w| w[0] > w[1]),
        "sort=-number: {numbers:?}"
    );

    // Bad filters name their parameter.
    let r = app.get("/api/v1/orders?state=open", Some(DESK)).await;
    assert_error("state=open", &r, 422, "invalid", Some("state"));
    let r = app.get("/api/v1/orders?priority=P5", Some(DESK)).await;
    assert_error("priority=P5", &r, 422, "invalid", Some("priority"));
    let r = app.get("/api/v1/orders?priority=p1", Some(DESK)).await;
    assert_error("priority=p1", &r, 422, "invalid", Some("priority"));
    let r = app.get("/api/v1/orders?sort=description", Some(DESK)).await;
    assert_error("sort=description", &r, 422, "invalid", Some("sort"));
    let r = app.get("/api/v1/orders?open=maybe", Some(DESK)).await;
    assert_error("open=maybe", &r, 400, "bad_request", Some("open"));
    let r = app.get("/api/v1/orders?assignee_id=li", Some(DESK)).await;
    assert_error(
        "assignee_id=li",
        &r,
        400,
        "bad_request",
        Some("assignee_id"),
    );

    // The client side sees its own only, whatever it filters by.
    let wu = app.user_id("wu.li").await;
    let own = items(&app, "wu.li", "/api/v1/orders?limit=200").await;
    assert!(!own.is_empty());
    assert!(
        own.iter().all(|o| o["requester_id"] == wu),
        "wu.li sees her own orders only"
    );
    assert!(
        items(
            &app,
            "wu.li",
            &format!("/api/v1/orders?client_org_id={jnyy}")
        )
        .await
        .is_empty(),
        "asking for another client's orders shows none"
    );
    let org = items(&app, "zhou.jg", "/api/v1/orders?limit=200").await;
    assert_eq!(
        org.len(),
        all.iter().filter(|o| o["client_org_id"] == hdjm).count(),
        "the client admin sees the organisation's orders"
    );
    assert!(org.iter().all(|o| o["client_org_id"] == hdjm));
    assert!(
        org.iter().any(|o| o["id"] == p4["id"]),
        "including sun.hao's"
    );
}

/// `sort=due` is the board's "what is due next": orders with nothing running (resolved, closed,
/// waiting for the client) carry no due instant and belong after every order that has one, on
/// both backends alike (SQLite sorts NULL first in ascending order, PostgreSQL last).
async fn due_sort_puts_orders_without_a_due_last(app: TestApp) {
    let due_of = |o: &Value| -> Option<Timestamp> {
        o["clocks"]
            .as_array()?
            .iter()
            .filter(|c| c["stopped_at"].is_null())
            .filter_map(|c| c["due_at"].as_str()?.parse::<Timestamp>().ok())
            .min()
    };
    for path in [
        "/api/v1/orders?sort=due&limit=200",
        "/api/v1/orders?sort=due&open=true&limit=200",
    ] {
        let list = items(&app, "wang.fang", path).await;
        let dues: Vec<Option<Timestamp>> = list.iter().map(due_of).collect();
        assert!(
            dues.iter().any(Option::is_some) && dues.iter().any(Option::is_none),
            "{path}: both kinds"
        );
        let first_none = dues
            .iter()
            .position(Option::is_none)
            .expect("one without a due");
        assert!(
            dues[first_none..].iter().all(Option::is_none),
            "{path}: orders without a due come last: {:?}",
            list.iter()
                .zip(&dues)
                .map(|(o, d)| format!("{} {} {d:?}", o["number"], o["state"]))
                .collect::<Vec<_>>()
        );
        let some: Vec<Timestamp> = dues.iter().flatten().copied().collect();
        assert!(
            some.windows(2).all(|w| w[0] <= w[1]),
            "{path}: earliest due first"
        );
    }
    // Descending puts the latest due first, and still nothing without a due before them.
    let list = items(
        &app,
        "wang.fang",
        "/api/v1/orders?sort=-due&open=true&limit=200",
    )
    .await;
    let some: Vec<Timestamp> = list.iter().filter_map(due_of).collect();
    assert!(
        some.windows(2).all(|w| w[0] >= w[1]),
        "sort=-due: latest due first"
    );
}

/// SPEC §5: the client may reopen within 7 days of the resolution, not after.
async fn reopen_window_is_seven_days(app: TestApp) {
    let li = app.user_id("li.qiang").await;
    let o = create(&app, "wu.li", &report("门禁读卡器失灵", "medium", "medium")).await;
    let o = step(&app, "wang.fang", &o, "assign", json!({"assignee_id": li})).await;
    let o = step(&app, "li.qiang", &o, "start", json!({})).await;
    let o = step(
        &app,
        "li.qiang",
        &o,
        "resolve",
        json!({"resolution": "重新注册读卡器"}),
    )
    .await;
    let day = 24 * 3600 * 1000_i64;
    let age = |days: i64| {
        let pool = app.store.pool().clone();
        let oid = id(&o);
        async move {
            let now = Timestamp::now().as_millisecond();
            sqlx::query("UPDATE orders SET resolved_at = $1 WHERE id = $2")
                .bind(now - days * day)
                .bind(oid)
                .execute(&pool)
                .await
                .expect("backdate the resolution");
        }
    };
    age(8).await;
    let r = try_move(&app, "wu.li", &o, "reopen", json!({"reason": "又坏了"})).await;
    assert_error(
        "reopen 8 days after resolution",
        &r,
        422,
        "invalid",
        Some("action"),
    );
    let r = try_move(&app, "zhou.jg", &o, "reopen", json!({"reason": "又坏了"})).await;
    assert_error(
        "the client admin, 8 days after",
        &r,
        422,
        "invalid",
        Some("action"),
    );
    age(6).await;
    let o = step(&app, "wu.li", &o, "reopen", json!({"reason": "又坏了"})).await;
    assert_eq!(o["state"], "in_progress");
    let o = step(
        &app,
        "li.qiang",
        &o,
        "resolve",
        json!({"resolution": "更换读卡器"}),
    )
    .await;
    // The client admin confirms a colleague's order.
    let o = step(&app, "zhou.jg", &o, "close", json!({})).await;
    assert_eq!(o["state"], "closed");
}

// ---- notifications ----------------------------------------------------------------------

/// The requester is told when the order waits for them and when it is resolved (issue #13);
/// nobody is told of their own move.
async fn the_client_is_told_when_it_has_something_to_do(app: TestApp) {
    let li = app.user_id("li.qiang").await;
    let o = create(&app, "wu.li", &report("门禁读卡器失灵", "medium", "medium")).await;
    let o = step(&app, "wang.fang", &o, "assign", json!({"assignee_id": li})).await;
    let o = step(&app, "li.qiang", &o, "start", json!({})).await;
    let kinds = |list: &Value, oid: &Value| -> Vec<String> {
        list.as_array()
            .map(|l| {
                l.iter()
                    .filter(|n| n["order_id"] == *oid)
                    .filter_map(|n| n["kind"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert!(
        kinds(
            &app.get_ok("/api/v1/notifications", "wu.li").await,
            &o["id"]
        )
        .is_empty()
    );
    let o = step(
        &app,
        "li.qiang",
        &o,
        "wait_client",
        json!({"reason": "请开门禁"}),
    )
    .await;
    let o = step(&app, "li.qiang", &o, "resume", json!({})).await;
    // The engineer's public comment reaches the requester; an internal note does not.
    let comments = format!("/api/v1/orders/{}/comments", o["id"]);
    for (body, public) in [("下午两点到", true), ("备件在库房", false)] {
        let (status, _) = app
            .post(
                &comments,
                Some("li.qiang"),
                &json!({"body": body, "public": public}),
            )
            .await;
        assert_eq!(status, 201);
    }
    let o = app
        .get_ok(&format!("/api/v1/orders/{}", o["id"]), "li.qiang")
        .await;
    let o = step(
        &app,
        "li.qiang",
        &o,
        "resolve",
        json!({"resolution": "已更换读卡器"}),
    )
    .await;
    let told = kinds(
        &app.get_ok("/api/v1/notifications", "wu.li").await,
        &o["id"],
    );
    assert_eq!(
        told,
        vec![
            "resolved".to_owned(),
            "comment".to_owned(),
            "waiting_you".to_owned()
        ],
        "newest first"
    );
    // The engineer is not told of their own moves; the client admin, who did not report it, is not told.
    let li_told = kinds(
        &app.get_ok("/api/v1/notifications", "li.qiang").await,
        &o["id"],
    );
    assert_eq!(li_told, vec!["assigned".to_owned()]);
    assert!(
        kinds(
            &app.get_ok("/api/v1/notifications", "zhou.jg").await,
            &o["id"]
        )
        .is_empty()
    );
}

async fn notifications_of_assignment(app: TestApp) {
    let li = app.user_id("li.qiang").await;
    let o = create(&app, "wu.li", &report("复印机卡纸", "medium", "medium")).await;
    let o = step(&app, "wang.fang", &o, "assign", json!({"assignee_id": li})).await;

    let list = app.get_ok("/api/v1/notifications", "li.qiang").await;
    let list = list.as_array().expect("an array");
    let n = list
        .iter()
        .find(|n| n["order_id"] == o["id"] && n["kind"] == "assigned")
        .unwrap_or_else(|| panic!("li.qiang is told of the assignment: {list:?}"));
    assert_eq!(n["read_at"], Value::Null);
    let body = n["body"].as_str().unwrap_or_default();
    assert!(
        body.contains(o["number"].as_str().unwrap_or("?")),
        "the body names the order: {n}"
    );
    let nid = n["id"].as_i64().expect("an id");

    // Another user's notification is not found, and stays unread.
    let path = format!("/api/v1/notifications/{nid}/read");
    for other in ["wang.fang", "wu.li"] {
        let r = app.post(&path, Some(other), &json!({})).await;
        assert_error(
            &format!("{other} reads li.qiang's notification"),
            &r,
            404,
            "not_found",
            None,
        );
    }
    let r = app
        .post(
            "/api/v1/notifications/999999/read",
            Some("li.qiang"),
            &json!({}),
        )
        .await;
    assert_error("no such notification", &r, 404, "not_found", None);
    let again = app.get_ok("/api/v1/notifications", "li.qiang").await;
    let same = again
        .as_array()
        .and_then(|l| l.iter().find(|x| x["id"] == nid))
        .expect("still listed");
    assert_eq!(same["read_at"], Value::Null, "still unread");
    assert!(
        !app.get_ok("/api/v1/notifications", "wang.fang")
            .await
            .as_array()
            .expect("an array")
            .iter()
            .any(|x| x["id"] == nid),
        "the dispatcher's list does not hold it"
    );

    let (status, body) = app.post(&path, Some("li.qiang"), &json!({})).await;
    assert_eq!(status, 204, "mark read: {body}");
    let (status, _) = app.post(&path, Some("li.qiang"), &json!({})).await;
    assert_eq!(status, 204, "marking read twice is fine");
    let after = app.get_ok("/api/v1/notifications", "li.qiang").await;
    let after = after.as_array().expect("an array");
    let read = after.iter().find(|x| x["id"] == nid).expect("still listed");
    assert!(read["read_at"].is_string(), "read now: {read}");
    // Unread first.
    let first_read = after.iter().position(|x| x["read_at"].is_string());
    if let Some(p) = first_read {
        assert!(
            after[p..].iter().all(|x| x["read_at"].is_string()),
            "unread first: {after:?}"
        );
    }

    // A client's comment tells the assignee; the dispatcher assigning to themself is not told.
    let (status, _) = app
        .post(
            &format!("/api/v1/orders/{}/comments", id(&o)),
            Some("wu.li"),
            &json!({"body": "什么时候来？"}),
        )
        .await;
    assert_eq!(status, 201);
    let list = app.get_ok("/api/v1/notifications", "li.qiang").await;
    assert!(
        list.as_array()
            .expect("an array")
            .iter()
            .any(|x| x["order_id"] == o["id"] && x["kind"] == "comment"),
        "the client's comment notifies the assignee: {list}"
    );
    let r = app.get("/api/v1/notifications", None).await;
    assert_error("anonymous notifications", &r, 401, "unauthorized", None);
}

// ---- numbering --------------------------------------------------------------------------

async fn concurrent_creation_numbers_without_gaps(app: TestApp) {
    let last = app
        .get_ok("/api/v1/orders?sort=-number&limit=1", "wang.fang")
        .await;
    let (year, prev) = parse_number(&last["items"][0]["number"]);
    let hdjm = app.org_id("HDJM").await;

    let mut set = tokio::task::JoinSet::new();
    for i in 0..16 {
        let req = app
            .client
            .post(app.url("/api/v1/orders"))
            .bearer_auth(app.token("wang.fang"))
            .json(&json!({"client_org_id": hdjm, "requester_name": format!("并发 {i}"), "channel": "phone",
                "category": "other", "urgency": "low", "impact": "medium", "subject": format!("并发报修 {i}")}));
        set.spawn(async move { read(req.send().await.expect("POST /api/v1/orders")).await });
    }
    let mut numbers = Vec::new();
    while let Some(r) = set.join_next().await {
        let (status, o) = r.expect("the request task");
        assert_eq!(status, 201, "concurrent POST: {o}");
        let (y, n) = parse_number(&o["number"]);
        assert_eq!(y, year, "the same year");
        numbers.push(n);
    }
    numbers.sort_unstable();
    let want: Vec<u32> = (prev + 1..=prev + 16).collect();
    assert_eq!(
        numbers, want,
        "16 consecutive numbers after {prev}, none twice, none skipped"
    );
    let total = app.get_ok("/api/v1/orders?limit=1", "wang.fang").await["total"].clone();
    assert_eq!(
        total,
        crate::helpers::DEMO_ORDERS as i64 + 16,
        "every order stored once"
    );
}

/// A create answers from what it wrote (no read-back): the answer must be the order a read
/// returns, field for field — names beside ids, clocks, actions — alone and in a batch.
async fn a_create_answers_what_a_read_returns(app: TestApp) {
    let hdjm = app.org_id("HDJM").await;
    let (status, asset) = app
        .post(
            "/api/v1/assets",
            Some("wang.fang"),
            &json!({"client_org_id": hdjm, "asset_type": "printer"}),
        )
        .await;
    assert_eq!(status, 201, "{asset}");
    let items = app.get_ok("/api/v1/catalog-items", "wang.fang").await;
    let service = items
        .as_array()
        .and_then(|a| a.iter().find(|i| i["code"] == "NETWORK"))
        .and_then(|i| i["id"].as_i64())
        .expect("the demo's NETWORK service");
    let desk = json!({"client_org_id": hdjm, "requester_name": "赵师傅", "channel": "phone",
        "category": "network", "urgency": "high", "impact": "high", "subject": "核心交换机掉线",
        "site": "机房", "asset_id": asset["id"], "catalog_item_id": service,
        "service_mode": "on_site", "description": "整栋楼断网"});
    let portal = report("打印机卡纸", "low", "medium");
    // One alone, then several at once (the writer takes them in one batch).
    let mut created = vec![create(&app, "wang.fang", &desk).await];
    let mut set = tokio::task::JoinSet::new();
    for i in 0..6 {
        let (user, body) = if i % 2 == 0 {
            ("wang.fang", &desk)
        } else {
            ("wu.li", &portal)
        };
        let req = app
            .client
            .post(app.url("/api/v1/orders"))
            .bearer_auth(app.token(user))
            .json(body);
        set.spawn(async move {
            (
                user,
                read(req.send().await.expect("POST /api/v1/orders")).await,
            )
        });
    }
    let mut users = vec!["wang.fang"];
    while let Some(done) = set.join_next().await {
        let (user, (status, order)) = done.expect("create task");
        assert_eq!(status, 201, "{order}");
        users.push(user);
        created.push(order);
    }
    for (user, answer) in users.into_iter().zip(created) {
        let id = answer["id"].as_i64().expect("id");
        let read = app.get_ok(&format!("/api/v1/orders/{id}"), user).await;
        let (mut answer, mut read) = (answer, read);
        // The remaining minutes are whole minutes from "now", which moves between the two.
        for o in [&mut answer, &mut read] {
            for c in o["clocks"].as_array_mut().expect("clocks") {
                let left = c["remaining_minutes"].take().as_i64().expect("remaining");
                let target = c["target_minutes"].as_i64().expect("target");
                assert!(left >= target - 1 && left <= target, "{c}");
            }
        }
        assert_eq!(
            answer, read,
            "the answer to a create of {user} differs from its read"
        );
        assert!(
            !answer["clocks"].as_array().expect("clocks").is_empty(),
            "{answer}"
        );
    }
}
