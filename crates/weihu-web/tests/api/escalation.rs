//! Escalation, linked orders and merging duplicates (issue #13): functional escalation hands the
//! order over with the reason on the timeline, hierarchical escalation flags the order for the
//! provider's management and tells them, links read from both ends, and a merge moves comments
//! and attachments to the original and cancels the duplicate — all refused where the table says.

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, form_csrf, page_html, post_form, signed_in};

both_backends!(escalate_link_and_merge);

const DESK: &str = "wang.fang";

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("an id: {v}"))
}

async fn report(app: &TestApp, user: &str, subject: &str) -> Value {
    let (status, o) = app
        .post(
            "/api/v1/orders",
            Some(user),
            &json!({"category": "hardware", "urgency": "medium", "impact": "medium",
                    "subject": subject, "description": "三楼"}),
        )
        .await;
    assert_eq!(status, 201, "{o}");
    o
}

async fn timeline(app: &TestApp, oid: i64, user: &str) -> Vec<Value> {
    let (status, ev) = app
        .get(&format!("/api/v1/orders/{oid}/events"), Some(user))
        .await;
    assert_eq!(status, 200, "{ev}");
    ev.as_array().cloned().unwrap_or_default()
}

async fn unread(app: &TestApp, user: &str, kind: &str, oid: i64) -> bool {
    let (status, n) = app.get("/api/v1/notifications", Some(user)).await;
    assert_eq!(status, 200, "{n}");
    n.as_array()
        .is_some_and(|a| a.iter().any(|x| x["kind"] == kind && x["order_id"] == oid))
}

async fn escalate_link_and_merge(mut app: TestApp) {
    for user in [
        "sun.hao",
        "gao.fei",
        "zhou.jg",
        "zhang.wei",
        "li.qiang",
        "liu.yang",
        "zhao.min",
    ] {
        app.add_token(user).await;
    }
    let o = report(&app, "wu.li", "打印机卡纸 escalation").await;
    let oid = id(&o);
    let esc = format!("/api/v1/orders/{oid}/escalations");
    let zhang = app.user_id("zhang.wei").await;
    let li = app.user_id("li.qiang").await;

    // Functional: the desk hands the order to an engineer with a reason; the client user may not.
    let r = app
        .post(&esc, Some("wu.li"), &json!({"kind": "functional", "version": o["version"], "reason": "x", "assignee_id": zhang}))
        .await;
    assert_error("a client user hands over", &r, 403, "forbidden", None);
    let r = app
        .post(
            &esc,
            Some(DESK),
            &json!({"kind": "sideways", "version": o["version"], "reason": "x"}),
        )
        .await;
    assert_error("an unknown kind", &r, 422, "invalid", Some("kind"));
    let r = app
        .post(&esc, Some(DESK), &json!({"kind": "functional", "version": o["version"], "reason": "", "assignee_id": zhang}))
        .await;
    assert_error("no reason", &r, 422, "invalid", Some("reason"));
    let r = app
        .post(
            &esc,
            Some(DESK),
            &json!({"kind": "functional", "version": o["version"], "reason": "x"}),
        )
        .await;
    assert_error("nobody named", &r, 422, "invalid", Some("assignee_id"));
    let r = app
        .post(&esc, Some(DESK), &json!({"kind": "functional", "version": o["version"], "reason": "x".repeat(2001), "assignee_id": zhang}))
        .await;
    assert_error(
        "a reason past its limit",
        &r,
        422,
        "invalid",
        Some("reason"),
    );
    let (status, o) = app
        .post(&esc, Some(DESK), &json!({"kind": "functional", "version": o["version"], "reason": "需要网络组", "assignee_id": zhang}))
        .await;
    assert_eq!(status, 200, "{o}");
    assert_eq!(o["assignee_id"], zhang);
    assert_eq!(o["state"], "assigned");
    assert!(
        o["escalated_at"].is_null(),
        "functional is not hierarchical: {o}"
    );
    assert!(
        unread(&app, "zhang.wei", "escalated", oid).await,
        "the new engineer is told"
    );
    // Handing on again names who it came from.
    let (status, o) = app
        .post(&esc, Some("zhang.wei"), &json!({"kind": "functional", "version": o["version"], "reason": "硬件问题，转桌面组", "assignee_id": li}))
        .await;
    assert_eq!(status, 200, "{o}");
    let ev = timeline(&app, oid, DESK).await;
    let last = ev
        .iter()
        .rev()
        .find(|e| e["kind"] == "escalated")
        .expect("an escalated event");
    assert_eq!(last["data"]["from_assignee"], "张伟", "{last}");
    assert_eq!(last["data"]["assignee"], "李强", "{last}");
    assert_eq!(last["body"], "硬件问题，转桌面组");
    assert_eq!(last["public"], false, "a hand-over is internal");
    // The client does not see internal hand-overs.
    let client_ev = timeline(&app, oid, "wu.li").await;
    assert!(
        client_ev.iter().all(|e| e["kind"] != "escalated"),
        "{client_ev:?}"
    );

    // Hierarchical: finance may not; the client's administrator may; management is told.
    let r = app
        .post(
            &esc,
            Some("liu.yang"),
            &json!({"kind": "hierarchical", "version": o["version"], "reason": "x"}),
        )
        .await;
    assert_error("finance", &r, 403, "forbidden", None);
    let (status, o) = app
        .post(&esc, Some("zhou.jg"), &json!({"kind": "hierarchical", "version": o["version"], "reason": "三天未修复，影响财务结账"}))
        .await;
    assert_eq!(status, 200, "{o}");
    assert!(o["escalated_at"].is_string(), "{o}");
    assert_eq!(o["escalation_reason"], "三天未修复，影响财务结账");
    for manager in ["zhao.min", "it.admin", "li.qiang"] {
        assert!(
            unread(&app, manager, "escalated", oid).await,
            "{manager} is told"
        );
    }
    assert!(
        timeline(&app, oid, "wu.li")
            .await
            .iter()
            .any(|e| e["kind"] == "escalated"),
        "the client sees it was raised"
    );
    let (status, board) = app.get("/api/v1/orders?escalated=true", Some(DESK)).await;
    assert_eq!(status, 200, "{board}");
    let ids: Vec<i64> = board["items"]
        .as_array()
        .map(|a| a.iter().map(id).collect())
        .unwrap_or_default();
    assert!(ids.contains(&oid), "the escalated order is listed: {board}");
    assert!(
        board["items"]
            .as_array()
            .is_some_and(|a| a.iter().all(|o| o["escalated_at"].is_string())),
        "only escalated orders (this one and the demo's): {board}"
    );
    let (status, un) = app
        .get("/api/v1/orders?unassigned=true&open=true", Some(DESK))
        .await;
    assert_eq!(status, 200, "{un}");
    assert!(
        un["items"]
            .as_array()
            .is_some_and(|a| a.iter().all(|x| x["assignee_id"].is_null())),
        "{un}"
    );

    // Links: a duplicate reported by another user of the same client, shown both ways.
    let dup = report(&app, "sun.hao", "打印机又卡纸了").await;
    let did = id(&dup);
    let (status, c) = app
        .post(
            &format!("/api/v1/orders/{did}/comments"),
            Some("sun.hao"),
            &json!({"body": "还是卡纸"}),
        )
        .await;
    assert_eq!(status, 201, "{c}");
    let other_client = report(&app, "gao.fei", "别家的打印机").await;
    let links = format!("/api/v1/orders/{did}/links");
    let r = app
        .post(
            &links,
            Some(DESK),
            &json!({"kind": "twin_of", "other_id": oid}),
        )
        .await;
    assert_error("an unknown link kind", &r, 422, "invalid", Some("kind"));
    let r = app
        .post(
            &links,
            Some(DESK),
            &json!({"kind": "duplicate_of", "other_id": did}),
        )
        .await;
    assert_error("to itself", &r, 422, "invalid", Some("other_id"));
    let r = app
        .post(
            &links,
            Some(DESK),
            &json!({"kind": "duplicate_of", "other_id": id(&other_client)}),
        )
        .await;
    assert_error(
        "another client's order",
        &r,
        422,
        "invalid",
        Some("other_id"),
    );
    let r = app
        .post(
            &links,
            Some(DESK),
            &json!({"kind": "duplicate_of", "other_number": "SO-9999-999999"}),
        )
        .await;
    assert_error("an unknown number", &r, 422, "invalid", Some("other_id"));
    let r = app
        .post(
            &links,
            Some(DESK),
            &json!({"kind": "duplicate_of", "other_number": "S".repeat(100_000)}),
        )
        .await;
    assert_error(
        "a 100,000-character number",
        &r,
        422,
        "invalid",
        Some("other_id"),
    );
    let r = app
        .post(
            &links,
            Some("sun.hao"),
            &json!({"kind": "duplicate_of", "other_id": oid}),
        )
        .await;
    assert_error("a client user links", &r, 403, "forbidden", None);
    let (status, d) = app
        .post(
            &links,
            Some(DESK),
            &json!({"kind": "caused_by", "other_number": o["number"]}),
        )
        .await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["links"][0]["relation"], "caused_by");
    assert_eq!(d["links"][0]["number"], o["number"]);
    let r = app
        .post(
            &links,
            Some(DESK),
            &json!({"kind": "follow_up_of", "other_id": oid}),
        )
        .await;
    assert_error("linked twice", &r, 422, "invalid", Some("other_id"));
    let (_, orig) = app.get(&format!("/api/v1/orders/{oid}"), Some(DESK)).await;
    assert_eq!(
        orig["links"][0]["relation"], "caused",
        "read from the other end: {orig}"
    );
    // A client user sees a link only to orders they may see.
    let (_, seen) = app
        .get(&format!("/api/v1/orders/{did}"), Some("sun.hao"))
        .await;
    assert!(
        seen["links"].is_null(),
        "sun.hao may not see wu.li's order: {seen}"
    );
    let (_, seen) = app
        .get(&format!("/api/v1/orders/{did}"), Some("zhou.jg"))
        .await;
    assert_eq!(
        seen["links"][0]["number"], o["number"],
        "the client admin sees both: {seen}"
    );

    // Merge the duplicate into the original: an engineer may not; a stale version conflicts.
    let merge = format!("/api/v1/orders/{did}/merge");
    let r = app
        .post(
            &merge,
            Some("li.qiang"),
            &json!({"version": dup["version"], "into_id": oid}),
        )
        .await;
    assert_error("an engineer merges", &r, 403, "forbidden", None);
    let r = app
        .post(&merge, Some(DESK), &json!({"version": 0, "into_id": oid}))
        .await;
    assert_error("a stale version", &r, 409, "conflict", Some("version"));
    let r = app
        .post(
            &merge,
            Some(DESK),
            &json!({"version": dup["version"], "into_id": did}),
        )
        .await;
    assert_error("into itself", &r, 422, "invalid", Some("into_id"));
    let (_, d) = app.get(&format!("/api/v1/orders/{did}"), Some(DESK)).await;
    let (status, orig) = app
        .post(
            &merge,
            Some(DESK),
            &json!({"version": d["version"], "into_number": o["number"]}),
        )
        .await;
    assert_eq!(status, 200, "{orig}");
    assert_eq!(orig["id"], oid, "the answer is the original");
    let (_, d) = app.get(&format!("/api/v1/orders/{did}"), Some(DESK)).await;
    assert_eq!(d["state"], "cancelled");
    assert!(
        d["close_reason"]
            .as_str()
            .is_some_and(|r| r.contains(o["number"].as_str().unwrap_or("?"))),
        "{d}"
    );
    assert_eq!(
        d["links"][0]["relation"], "duplicate_of",
        "the link becomes duplicate_of: {d}"
    );
    assert!(
        d["clocks"]
            .as_array()
            .is_some_and(|c| c.iter().all(|k| !k["stopped_at"].is_null())),
        "the duplicate's clocks stop: {d}"
    );
    let moved = timeline(&app, oid, DESK).await;
    assert!(
        moved
            .iter()
            .any(|e| e["kind"] == "comment" && e["body"] == "还是卡纸"),
        "the comment moved"
    );
    assert!(
        moved.iter().any(|e| e["kind"] == "merged_in"),
        "the original records the merge"
    );
    assert!(
        timeline(&app, did, DESK)
            .await
            .iter()
            .all(|e| e["kind"] != "comment"),
        "nothing left behind"
    );
    assert!(
        unread(&app, "sun.hao", "merged", did).await,
        "the duplicate's requester is told"
    );
    let r = app
        .post(
            &merge,
            Some(DESK),
            &json!({"version": d["version"], "into_id": oid}),
        )
        .await;
    assert_eq!(
        r.0, 422,
        "a cancelled order cannot be merged again: {}",
        r.1
    );

    // The page offers the forms to the desk and posts them.
    let desk = signed_in(&app, DESK).await;
    let third = report(&app, "wu.li", "第三张单 follow-up").await;
    let tid = id(&third);
    let html = page_html(&desk, &app, &format!("/orders/{tid}")).await;
    for marker in [
        "escalate-functional",
        "escalate-hierarchical",
        "link",
        "merge",
    ] {
        assert!(
            html.contains(&format!(r#"data-action="{marker}""#)),
            "the desk is offered {marker}"
        );
    }
    let (status, to) = post_form(
        &desk,
        &app,
        &format!("/orders/{tid}/links"),
        &[
            ("csrf", form_csrf(&html).as_str()),
            ("kind", "follow_up_of"),
            ("other_number", o["number"].as_str().unwrap_or("")),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert!(
        to.ends_with("?ok=1#links"),
        "back to the links section: {to}"
    );
    let html = page_html(&desk, &app, &format!("/orders/{tid}")).await;
    assert!(
        html.contains(r#"data-testid="link-follow_up_of""#),
        "the page shows the link"
    );
    let html = page_html(&desk, &app, &format!("/orders/{oid}")).await;
    assert!(
        html.contains(r#"data-testid="escalated""#),
        "the escalated banner shows"
    );
    assert!(
        html.contains(r#"data-testid="link-followed_up_by""#),
        "and the link from the other end"
    );
}
