//! A home page per role (issue #13): the engineer's day with planned visits, the dispatcher's
//! queue, finance's statements, the service-level manager's clocks, and the client's "waiting
//! for you" (parts to approve, orders to confirm) — each shows its own section and no other's.

use serde_json::json;

use crate::helpers::{TestApp, page_html, signed_in};

both_backends!(each_role_sees_its_own_home);

async fn home(app: &TestApp, user: &str, path: &str) -> String {
    page_html(&signed_in(app, user).await, app, path).await
}

async fn each_role_sees_its_own_home(mut app: TestApp) {
    app.add_token("li.qiang").await;
    let (status, o) = app
        .post(
            "/api/v1/orders",
            Some("wu.li"),
            &json!({"category": "peripheral", "urgency": "high", "impact": "medium",
                    "subject": "首页测试 home-page order", "description": "硒鼓"}),
        )
        .await;
    assert_eq!(status, 201, "{o}");
    let oid = o["id"].as_i64().unwrap_or(0);
    let base = format!("/api/v1/orders/{oid}");

    // Unassigned: in the dispatcher's queue.
    let desk = home(&app, "wang.fang", "/dashboard").await;
    assert!(
        desk.contains(r#"data-testid="home-dispatch""#),
        "the dispatcher's queue"
    );
    assert!(
        desk.contains("首页测试"),
        "the new order waits in the queue"
    );
    assert!(!desk.contains(r#"data-testid="home-engineer""#));

    // Assigned to 李强 with a visit and a part: his day, and the client admin's approval.
    let li = app.user_id("li.qiang").await;
    let (status, o) = app
        .post(
            &format!("{base}/transitions"),
            Some("wang.fang"),
            &json!({"action": "assign", "version": o["version"], "assignee_id": li}),
        )
        .await;
    assert_eq!(status, 200, "{o}");
    let (status, o) = app
        .post(
            &format!("{base}/transitions"),
            Some("li.qiang"),
            &json!({"action": "start", "version": o["version"]}),
        )
        .await;
    assert_eq!(status, 200, "{o}");
    let (status, v) = app
        .post(
            &format!("{base}/visits"),
            Some("li.qiang"),
            &json!({"kind": "regular"}),
        )
        .await;
    assert!(status == 200 || status == 201, "{v}");
    let (status, p) = app
        .post(
            &format!("{base}/parts"),
            Some("li.qiang"),
            &json!({"name": "硒鼓", "quantity": 1, "unit_price": "300.00"}),
        )
        .await;
    assert!(status == 200 || status == 201, "{p}");

    let engineer = home(&app, "li.qiang", "/dashboard").await;
    assert!(
        engineer.contains(r#"data-testid="home-engineer""#),
        "the engineer's day"
    );
    assert!(engineer.contains("首页测试"), "his order");
    assert!(
        engineer.contains(r#"data-testid="home-visits""#),
        "his planned visit"
    );
    assert!(!engineer.contains(r#"data-testid="home-dispatch""#));

    let client_admin = home(&app, "zhou.jg", "/portal").await;
    assert!(
        client_admin.contains(r#"data-testid="awaiting-part""#),
        "a part to approve"
    );
    let client_user = home(&app, "wu.li", "/portal").await;
    assert!(
        !client_user.contains(r#"data-testid="awaiting-part""#),
        "only the administrator approves parts"
    );
    // Another client's administrator sees none of it.
    let other = home(&app, "zheng.ya", "/portal").await;
    assert!(!other.contains("首页测试"), "never another client's");

    let finance = home(&app, "liu.yang", "/dashboard").await;
    assert!(
        finance.contains(r#"data-testid="home-finance""#),
        "finance's statements"
    );
    assert!(!finance.contains(r#"data-testid="home-engineer""#));
    let slm = home(&app, "zhao.min", "/dashboard").await;
    assert!(
        slm.contains(r#"data-testid="home-service-levels""#),
        "the service-level manager's clocks"
    );
}
