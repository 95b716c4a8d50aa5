//! One answer for what a user may do to an order (issue #12): for every order state and every
//! kind of user, the order page offers exactly the actions the API lists in the order's `actions`
//! field, and the API accepts exactly those.
//!
//! "Accepts" is probed without changing anything: each probe is a request the permission check
//! lets through only to fail on its own body (a stale version, an empty text, an item that does not
//! exist), so an allowed action answers with that body's error and a refused one with 403 or with a
//! 422 on the order's state.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::helpers::{ADMIN, TestApp, read, signed_in};

both_backends!(pages_offer_exactly_what_the_api_accepts);

/// Order-level controls of the order page (`data-action` markers) and the action each stands for.
/// Per-item controls (check-in on a visit, approve on a part) need the item and are covered by the
/// order work tests.
const PAGE_CONTROLS: &[(&str, &str)] = &[
    ("assign", "assign"),
    ("start", "start"),
    ("wait_client", "wait_client"),
    ("wait_parts", "wait_parts"),
    ("resume", "resume"),
    ("resolve", "resolve"),
    ("close", "close"),
    ("reopen", "reopen"),
    ("cancel", "cancel"),
    ("refuse", "refuse"),
    ("comment", "comment_public"),
    ("comment-internal", "comment_internal"),
    ("edit", "edit"),
    ("attach", "attach"),
    ("visit", "decide_visit"),
    ("propose-part", "propose_part"),
    ("remote", "remote_session"),
    ("backup", "backup_check"),
    ("time", "log_time"),
    ("take-away", "take_away"),
    ("sign", "sign"),
    ("rate", "rate"),
    ("escalate-functional", "escalate_functional"),
    ("escalate-hierarchical", "escalate_hierarchical"),
    ("link", "link"),
    ("merge", "merge"),
];

/// Actions whose controls sit on an item (a visit, a part, a taken-away device).
const ITEM_ACTIONS: &[&str] = &[
    // Offered per breached clock, not per order.
    "explain_breach",
    "check_visit",
    "decide_part",
    "install_part",
    "return_take_away",
];

const MOVES: &[&str] = &[
    "assign",
    "start",
    "wait_client",
    "wait_parts",
    "resume",
    "resolve",
    "close",
    "reopen",
    "cancel",
    "refuse",
];

/// A real 1×1 PNG.
const PNG_B64: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";
const BOUNDARY: &str = "weihu-probe-boundary";
const NO_ITEM: i64 = 999_999_999;

/// The people who look at one HDJM order reported by wu.li and worked by li.qiang and the
/// desktop team: the desk, the assignee, a team-mate, an engineer of another team, finance, the
/// service-level manager, the client admin and the requester. (Another client user does not see
/// the order at all: a 404, tested with tenancy.)
const PEOPLE: &[&str] = &[
    ADMIN,
    "wang.fang",
    "li.qiang",
    "chen.jing",
    "zhang.wei",
    "liu.yang",
    "zhao.min",
    "zhou.jg",
    "wu.li",
];

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("an id: {v}"))
}

async fn mv(app: &TestApp, user: &str, oid: i64, action: &str, extra: Value) {
    let now = app.get_ok(&format!("/api/v1/orders/{oid}"), user).await;
    let mut body = json!({"action": action, "version": now["version"]});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let (status, after) = app
        .post(
            &format!("/api/v1/orders/{oid}/transitions"),
            Some(user),
            &body,
        )
        .await;
    assert_eq!(status, 200, "{user} {action}: {after}");
}

/// An order brought to `state` through the API.
async fn order_in(app: &TestApp, state: &str, team_id: i64) -> i64 {
    let (status, o) = app
        .post(
            "/api/v1/orders",
            Some("wu.li"),
            &json!({"category": "hardware", "urgency": "high", "impact": "medium",
                    "subject": format!("按钮与接口 {state}"), "description": "issue #12"}),
        )
        .await;
    assert_eq!(status, 201, "create: {o}");
    let oid = id(&o);
    let li = app.user_id("li.qiang").await;
    let assign = json!({"assignee_id": li, "team_id": team_id});
    let reason = json!({"reason": "测试 / test"});
    match state {
        "new" => {}
        "refused" => {
            mv(
                app,
                "wang.fang",
                oid,
                "refuse",
                json!({"reason": "不在范围", "in_scope": false}),
            )
            .await
        }
        "cancelled" => mv(app, "wu.li", oid, "cancel", reason.clone()).await,
        _ => {
            mv(app, "wang.fang", oid, "assign", assign).await;
            if state != "assigned" {
                mv(app, "li.qiang", oid, "start", json!({})).await;
            }
            match state {
                "waiting_client" => mv(app, "li.qiang", oid, "wait_client", reason).await,
                "waiting_parts" => mv(app, "li.qiang", oid, "wait_parts", reason).await,
                "resolved" | "closed" => {
                    mv(
                        app,
                        "li.qiang",
                        oid,
                        "resolve",
                        json!({"resolution": "已处理"}),
                    )
                    .await;
                    if state == "closed" {
                        mv(app, "wu.li", oid, "close", json!({})).await;
                    }
                }
                _ => {}
            }
        }
    }
    let o = app
        .get_ok(&format!("/api/v1/orders/{oid}"), "wang.fang")
        .await;
    assert_eq!(o["state"], state, "{o}");
    oid
}

/// The order-level actions the page offers.
fn offered(html: &str) -> BTreeSet<String> {
    PAGE_CONTROLS
        .iter()
        .filter(|(marker, _)| html.contains(&format!(r#"data-action="{marker}""#)))
        .map(|(_, action)| (*action).to_owned())
        .collect()
}

/// Whether the API lets `user` through to `action`'s own checks.
async fn accepts(app: &TestApp, user: &str, oid: i64, action: &str) -> bool {
    let o = format!("/api/v1/orders/{oid}");
    let (path, body, want_status, want_field): (String, Value, u16, Option<&str>) = match action {
        m if MOVES.contains(&m) => (
            format!("{o}/transitions"),
            json!({"action": m, "version": -1}),
            409,
            None,
        ),
        "comment_public" => (
            format!("{o}/comments"),
            json!({"body": ""}),
            422,
            Some("body"),
        ),
        "attach" => {
            let body = format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\
                 Content-Type: text/plain\r\n\r\n\r\n--{BOUNDARY}--\r\n"
            );
            let resp = app
                .client
                .post(app.url(&format!("{o}/attachments")))
                .bearer_auth(app.token(user))
                .header(
                    reqwest::header::CONTENT_TYPE,
                    format!("multipart/form-data; boundary={BOUNDARY}"),
                )
                .body(body)
                .send()
                .await
                .expect("upload");
            let (status, v) = read(resp).await;
            return verdict(user, action, status, &v, 422, Some("file"));
        }
        "decide_visit" => (
            format!("{o}/visits"),
            json!({"kind": "bogus"}),
            422,
            Some("kind"),
        ),
        "check_visit" => (
            format!("{o}/visits/{NO_ITEM}/check-in"),
            json!({}),
            404,
            None,
        ),
        "propose_part" => (
            format!("{o}/parts"),
            json!({"name": "", "quantity": 1, "unit_price": "1.00"}),
            422,
            Some("name"),
        ),
        "decide_part" => (
            format!("{o}/parts/{NO_ITEM}/decision"),
            json!({"approve": true}),
            404,
            None,
        ),
        "install_part" => (format!("{o}/parts/{NO_ITEM}/install"), json!({}), 404, None),
        "remote_session" => (
            format!("{o}/remote-sessions"),
            json!({"tool": ""}),
            422,
            Some("tool"),
        ),
        "backup_check" => (
            format!("{o}/backup-checks"),
            json!({"change": "", "answer": "x"}),
            422,
            Some("change"),
        ),
        "log_time" => (
            format!("{o}/time-entries"),
            json!({"minutes": 0}),
            422,
            Some("minutes"),
        ),
        "take_away" => (
            format!("{o}/take-away"),
            json!({"description": ""}),
            422,
            Some("description"),
        ),
        "return_take_away" => (
            format!("{o}/take-away/{NO_ITEM}/return"),
            json!({"cost": "-1"}),
            422,
            Some("cost"),
        ),
        "sign" => (
            format!("{o}/signature"),
            json!({"signer_name": "", "image_png_base64": PNG_B64}),
            422,
            Some("signer_name"),
        ),
        "escalate_functional" | "escalate_hierarchical" => (
            format!("{o}/escalations"),
            json!({"kind": action.trim_start_matches("escalate_"), "version": -1}),
            409,
            None,
        ),
        "link" => (
            format!("{o}/links"),
            json!({"kind": "bogus"}),
            422,
            Some("kind"),
        ),
        "merge" => (format!("{o}/merge"), json!({"version": -1}), 409, None),
        "explain_breach" => (
            format!("{o}/clocks/resolution/breach"),
            json!({"reason": "bogus"}),
            422,
            Some("reason"),
        ),
        "edit" => {
            // A stale version: through the permission table, it is a conflict.
            let (status, v) = app.patch(&o, Some(user), &json!({"version": -1})).await;
            return verdict(user, action, status, &v, 409, None);
        }
        "rate" => {
            let (status, v) = app
                .post(&format!("{o}/rating"), Some(user), &json!({"score": 9}))
                .await;
            let through = status == 422
                && v["error"]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("1 to 5"));
            assert!(
                through || status == 403 || status == 422,
                "{user} rate: unexpected {status} {v}"
            );
            return through;
        }
        other => panic!("no probe for {other}"),
    };
    let (status, v) = app.post(&path, Some(user), &body).await;
    verdict(user, action, status, &v, want_status, want_field)
}

/// Through to the action's own check, or refused by the permission table (403, or 422 on the
/// order's state); anything else is a broken probe.
fn verdict(
    user: &str,
    action: &str,
    status: u16,
    v: &Value,
    want_status: u16,
    want_field: Option<&str>,
) -> bool {
    let field = v["error"]["field"].as_str();
    if status == want_status && (want_field.is_none() || field == want_field) {
        return true;
    }
    let refused = status == 403
        || (status == 422 && matches!(field, Some("action" | "order" | "state" | "score")));
    assert!(
        refused,
        "{user} {action}: neither through ({want_status} {want_field:?}) nor refused: {status} {v}"
    );
    false
}

async fn pages_offer_exactly_what_the_api_accepts(mut app: TestApp) {
    for user in ["chen.jing", "zhang.wei"] {
        app.add_token(user).await;
    }
    let (status, teams) = app.get("/api/v1/teams", Some("wang.fang")).await;
    assert_eq!(status, 200, "{teams}");
    let team_id = teams["items"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["name"] == "桌面支持组"))
        .map(id)
        .expect("the desktop team");
    let mut browsers = Vec::new();
    for user in PEOPLE {
        browsers.push((*user, signed_in(&app, user).await));
    }
    let states = [
        "new",
        "assigned",
        "in_progress",
        "waiting_client",
        "waiting_parts",
        "resolved",
        "closed",
        "cancelled",
        "refused",
    ];
    let mut checked = 0;
    for state in states {
        let oid = order_in(&app, state, team_id).await;
        let before = app
            .get_ok(&format!("/api/v1/orders/{oid}"), "wang.fang")
            .await;
        for (user, browser) in &browsers {
            let listed: BTreeSet<String> = app.get_ok(&format!("/api/v1/orders/{oid}"), user).await
                ["actions"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let resp = browser
                .get(app.url(&format!("/orders/{oid}")))
                .send()
                .await
                .expect("GET the order page");
            assert_eq!(resp.status(), 200, "{user} reads order {oid}");
            let html = resp.text().await.expect("page");
            let on_page = offered(&html);
            let order_level: BTreeSet<String> = listed
                .iter()
                .filter(|a| !ITEM_ACTIONS.contains(&a.as_str()))
                .cloned()
                .collect();
            assert_eq!(
                on_page, order_level,
                "{state}, {user}: the page offers exactly the order's actions"
            );
            let all: BTreeSet<&str> = PAGE_CONTROLS
                .iter()
                .map(|(_, a)| *a)
                .chain(ITEM_ACTIONS.iter().copied())
                .collect();
            for action in all {
                // A client's comment is always public: the API takes `public: false` and makes it
                // public, so the internal note is checked on the page only.
                if action == "comment_internal" {
                    continue;
                }
                let through = accepts(&app, user, oid, action).await;
                assert_eq!(
                    through,
                    listed.contains(action),
                    "{state}, {user}, {action}: the API accepts exactly what `actions` lists ({listed:?})"
                );
                checked += 1;
            }
        }
        let after = app
            .get_ok(&format!("/api/v1/orders/{oid}"), "wang.fang")
            .await;
        assert_eq!(
            (&after["state"], &after["version"]),
            (&before["state"], &before["version"]),
            "the probes changed nothing: {after}"
        );
    }
    assert!(checked > 1500, "{checked} probes");
}
