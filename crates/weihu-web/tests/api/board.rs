//! The board that scales with the team (issue #13): views with counts (mine, my team,
//! unassigned, escalated, waiting for the client, at risk), sorting by any column, and the
//! current view as CSV or Excel — formula-safe, bounded, in the reader's language.

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, page_html, post_form, signed_in};

both_backends!(views_sorting_and_export, bulk_actions_and_saved_views);

fn ids(v: &Value) -> Vec<i64> {
    v["items"]
        .as_array()
        .map(|a| a.iter().filter_map(|o| o["id"].as_i64()).collect())
        .unwrap_or_default()
}

/// The count a view's tab shows.
fn view_count(html: &str, view: &str) -> Option<i64> {
    let at = html.find(&format!(r#"data-testid="view-{view}""#))?;
    let rest = &html[at..];
    let end = rest.find("</a>")?;
    let tab = &rest[..end];
    let c = tab.find(r#"<span class="count">"#)? + r#"<span class="count">"#.len();
    tab[c..].split('<').next()?.trim().parse().ok()
}

async fn views_sorting_and_export(mut app: TestApp) {
    for user in ["zhang.wei", "gao.fei"] {
        app.add_token(user).await;
    }
    // A formula typed as a subject, an unassigned order and an escalated one.
    let (status, evil) = app
        .post(
            "/api/v1/orders",
            Some("wu.li"),
            &json!({"category": "software", "urgency": "low", "impact": "low",
                    "subject": "=cmd|' /C calc'!A0", "description": "formula"}),
        )
        .await;
    assert_eq!(status, 201, "{evil}");

    let desk = signed_in(&app, "wang.fang").await;
    let html = page_html(&desk, &app, "/orders").await;
    for view in [
        "open",
        "mine",
        "team",
        "unassigned",
        "escalated",
        "waiting",
        "at_risk",
        "done",
        "all",
    ] {
        assert!(
            html.contains(&format!(r#"data-testid="view-{view}""#)),
            "the desk has the {view} view"
        );
    }
    // Each count is the total of its view, as the API counts it.
    for (view, api) in [
        ("open", "open=true"),
        ("unassigned", "open=true&unassigned=true"),
        ("escalated", "open=true&escalated=true"),
        ("waiting", "state=waiting_client"),
    ] {
        let (status, v) = app
            .get(&format!("/api/v1/orders?{api}&limit=1"), Some("wang.fang"))
            .await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(view_count(&html, view), v["total"].as_i64(), "{view}");
    }
    let unassigned = page_html(&desk, &app, "/orders?scope=unassigned").await;
    assert!(unassigned.contains("=cmd|"), "the new order is unassigned");
    let (status, un) = app
        .get(
            "/api/v1/orders?unassigned=true&open=true&limit=500",
            Some("wang.fang"),
        )
        .await;
    assert_eq!(status, 200);
    assert!(ids(&un).contains(&evil["id"].as_i64().unwrap_or(0)));

    // My team: an engineer sees his team's open orders; the dispatcher (no team) sees none.
    let engineer = signed_in(&app, "zhang.wei").await;
    let team_html = page_html(&engineer, &app, "/orders?scope=team").await;
    assert!(
        view_count(&team_html, "team").is_some(),
        "the team view is counted"
    );
    let none = page_html(&desk, &app, "/orders?scope=team").await;
    assert_eq!(view_count(&none, "team"), Some(0), "no team, no orders");

    // Sorting by a column header: ascending, then the same header reverses it.
    let by_subject = page_html(&desk, &app, "/orders?scope=all&sort=subject").await;
    assert!(by_subject.contains(r#"data-testid="sort-subject""#));
    assert!(
        by_subject.contains("sort=-subject"),
        "the sorted header links to the reverse"
    );
    let (status, asc) = app
        .get("/api/v1/orders?sort=subject&limit=500", Some("wang.fang"))
        .await;
    assert_eq!(status, 200);
    let (_, desc) = app
        .get("/api/v1/orders?sort=-subject&limit=500", Some("wang.fang"))
        .await;
    let mut rev = ids(&desc);
    rev.reverse();
    assert_eq!(ids(&asc).len(), rev.len());
    let subjects = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|o| o["subject"].as_str().unwrap_or("").to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    let s = subjects(&asc);
    let mut sorted = s.clone();
    sorted.sort();
    assert_eq!(s, sorted, "sort=subject orders by subject");
    // An unknown sort or view on the page falls back to the default, never a 500.
    let fallback = page_html(&desk, &app, "/orders?scope=bogus&sort=%27drop").await;
    assert!(fallback.contains(r#"data-testid="orders-table""#));

    // Export: the current view, formula-safe, labels in the reader's language.
    let csv = desk
        .get(app.url("/orders/export?scope=open&format=csv"))
        .header("accept-language", "en")
        .send()
        .await
        .expect("export");
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/csv")
    );
    let text = csv.text().await.expect("csv");
    assert!(text.contains("'=cmd|"), "a formula is escaped: {text}");
    assert!(!text.contains(",=cmd"), "never raw");
    let xlsx = desk
        .get(app.url("/orders/export?scope=open&format=xlsx"))
        .send()
        .await
        .expect("export");
    assert_eq!(xlsx.status(), 200);
    let bytes = xlsx.bytes().await.expect("xlsx");
    let table = weihu_sheets::read(&bytes, "orders.xlsx").expect("the workbook reads back");
    assert!(
        table
            .rows
            .iter()
            .any(|r| r.iter().any(|c| c == "=cmd|' /C calc'!A0")),
        "text, not a formula"
    );
    // The API export: same filters, bad format named; a client sees only its own orders.
    let r = app
        .get("/api/v1/orders/export?format=pdf", Some("wang.fang"))
        .await;
    assert_error("format=pdf", &r, 422, "invalid", Some("format"));
    let resp = app
        .client
        .get(app.url("/api/v1/orders/export?format=csv"))
        .bearer_auth(app.token("gao.fei"))
        .send()
        .await
        .expect("export");
    assert_eq!(resp.status(), 200);
    let theirs = resp.text().await.expect("csv");
    assert!(
        !theirs.contains("=cmd"),
        "another client's order never leaks into an export"
    );

    // An escalated order carries its badge and is counted.
    let oid = evil["id"].as_i64().unwrap_or(0);
    let (status, o) = app
        .post(
            &format!("/api/v1/orders/{oid}/escalations"),
            Some("wang.fang"),
            &json!({"kind": "hierarchical", "version": evil["version"], "reason": "客户投诉"}),
        )
        .await;
    assert_eq!(status, 200, "{o}");
    let html = page_html(&desk, &app, "/orders?scope=escalated").await;
    // The demo's escalated database order, and this one.
    let (_, all) = app
        .get(
            "/api/v1/orders?open=true&escalated=true&limit=50",
            Some("wang.fang"),
        )
        .await;
    assert!(
        all["items"]
            .as_array()
            .is_some_and(|a| a.iter().any(|o| o["id"] == oid)),
        "{all}"
    );
    assert_eq!(view_count(&html, "escalated"), all["total"].as_i64());
    assert_eq!(all["total"], 2);
    assert!(html.contains(r#"data-testid="escalated-badge""#));
}

async fn bulk_actions_and_saved_views(mut app: TestApp) {
    for user in ["zhang.wei", "sun.hao"] {
        app.add_token(user).await;
    }
    let mut picked = Vec::new();
    for subject in ["批量一 bulk-one", "批量二 bulk-two"] {
        let (status, o) = app
            .post(
                "/api/v1/orders",
                Some("wu.li"),
                &json!({"category": "network", "urgency": "low", "impact": "low", "subject": subject}),
            )
            .await;
        assert_eq!(status, 201, "{o}");
        picked.push(o["id"].as_i64().unwrap_or(0));
    }
    let zhang = app.user_id("zhang.wei").await;
    // Assign both and a closed demo order: two done, the closed one refused with its reason.
    let (_, closed) = app
        .get("/api/v1/orders?state=closed&limit=1", Some("wang.fang"))
        .await;
    let closed_id = closed["items"][0]["id"]
        .as_i64()
        .expect("a closed demo order");
    let mut ids = picked.clone();
    ids.push(closed_id);
    let (status, r) = app
        .post(
            "/api/v1/orders/bulk",
            Some("wang.fang"),
            &json!({"ids": ids, "action": "assign", "assignee_id": zhang}),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["done"], json!(picked), "{r}");
    assert_eq!(r["failed"][0]["id"], closed_id, "{r}");
    assert!(
        r["failed"][0]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    for id in &picked {
        let (_, o) = app
            .get(&format!("/api/v1/orders/{id}"), Some("wang.fang"))
            .await;
        assert_eq!(o["assignee_id"], zhang);
    }
    // A client user's bulk comment only reaches their own orders.
    let (status, r) = app
        .post(
            "/api/v1/orders/bulk",
            Some("sun.hao"),
            &json!({"ids": picked, "action": "comment", "body": "还好吗"}),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["done"], json!([]), "sun.hao sees neither order: {r}");
    // Hostile bulk requests name their field.
    let many: Vec<i64> = (1..=101).collect();
    let bad = [
        (json!({"ids": many, "action": "start"}), "ids"),
        (json!({"ids": [], "action": "start"}), "ids"),
        (json!({"ids": picked, "action": "explode"}), "action"),
        (
            json!({"ids": picked, "action": "comment", "body": " "}),
            "body",
        ),
    ];
    for (body, field) in bad {
        let r = app
            .post("/api/v1/orders/bulk", Some("wang.fang"), &body)
            .await;
        assert_error(&format!("bulk {body}"), &r, 422, "invalid", Some(field));
    }

    // The board's form: pick both, start them as the engineer.
    let engineer = signed_in(&app, "zhang.wei").await;
    let html = page_html(&engineer, &app, "/orders?scope=mine").await;
    assert!(
        html.contains(r#"data-action="bulk""#),
        "staff get the bulk form"
    );
    let csrf = crate::helpers::form_csrf(&html);
    let mut form: Vec<(String, String)> = vec![
        ("csrf".into(), csrf.clone()),
        ("action".into(), "start".into()),
        ("return_to".into(), "scope=mine&q=批量\n".into()),
    ];
    for id in &picked {
        form.push(("ids".into(), id.to_string()));
    }
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, to) = post_form(&engineer, &app, "/orders/bulk", &form).await;
    assert_eq!(status, 303);
    assert!(
        to.starts_with("/orders?scope=mine&q=") && to.contains("notice="),
        "back to the view with a notice: {to}"
    );
    for id in &picked {
        let (_, o) = app
            .get(&format!("/api/v1/orders/{id}"), Some("zhang.wei"))
            .await;
        assert_eq!(o["state"], "in_progress", "{o}");
    }
    let client = signed_in(&app, "wu.li").await;
    let html = page_html(&client, &app, "/orders").await;
    assert!(
        !html.contains(r#"data-action="bulk""#),
        "a client gets no bulk form"
    );

    // Saved views: per user, bounded, never another user's.
    let (status, v) = app
        .post(
            "/api/v1/me/views",
            Some("zhang.wei"),
            &json!({"name": "我的升级单", "query": "scope=escalated&sort=-priority"}),
        )
        .await;
    assert_eq!(status, 201, "{v}");
    let r = app
        .post(
            "/api/v1/me/views",
            Some("zhang.wei"),
            &json!({"name": "我的升级单", "query": "scope=open"}),
        )
        .await;
    assert_error("a name twice", &r, 409, "duplicate", Some("name"));
    let r = app
        .post(
            "/api/v1/me/views",
            Some("zhang.wei"),
            &json!({"name": "a\u{7}b", "query": ""}),
        )
        .await;
    assert_error("a control character", &r, 422, "invalid", Some("name"));
    let r = app
        .post(
            "/api/v1/me/views",
            Some("zhang.wei"),
            &json!({"name": "long", "query": "q=".to_owned() + &"x".repeat(1000)}),
        )
        .await;
    assert_error("a long query", &r, 422, "invalid", Some("query"));
    for i in 1..20 {
        let (status, _) = app
            .post(
                "/api/v1/me/views",
                Some("zhang.wei"),
                &json!({"name": format!("v{i}"), "query": "scope=open"}),
            )
            .await;
        assert_eq!(status, 201);
    }
    let r = app
        .post(
            "/api/v1/me/views",
            Some("zhang.wei"),
            &json!({"name": "v21", "query": "scope=open"}),
        )
        .await;
    assert_error("a 21st view", &r, 422, "invalid", Some("name"));
    let vid = v["id"].as_i64().unwrap_or(0);
    let (status, _) = app
        .delete(&format!("/api/v1/me/views/{vid}"), Some("wang.fang"))
        .await;
    assert_eq!(status, 404, "another user's view is not found");
    let html = page_html(&engineer, &app, "/orders").await;
    assert!(
        html.contains("我的升级单") && html.contains(r#"data-testid="saved-view""#),
        "the board lists it"
    );
    let (status, own) = app.get("/api/v1/me/views", Some("wang.fang")).await;
    assert_eq!((status, own), (200, json!([])), "views are per user");
    let (status, _) = app
        .delete(&format!("/api/v1/me/views/{vid}"), Some("zhang.wei"))
        .await;
    assert_eq!(status, 204);

    // Saving from the page with a Chinese search redirects to it, encoded.
    let html = page_html(&engineer, &app, "/orders?scope=all&q=%E6%89%B9%E9%87%8F").await;
    let csrf = crate::helpers::form_csrf(&html);
    let (status, to) = post_form(
        &engineer,
        &app,
        "/orders/views",
        &[
            ("csrf", csrf.as_str()),
            ("name", "批量"),
            ("query", "scope=all&q=批量"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(to, "/orders?scope=all&q=%E6%89%B9%E9%87%8F");
}
