//! Problems (issue #18): repeat faults suggested as candidates, a problem opened from them by an
//! engineer, its known error's workaround shown on the order, its fix resolving the open orders;
//! a client sees a problem only through their own orders, and only those; moves need what the
//! state means.

use serde_json::{Value, json};

use crate::helpers::{TestApp, page_html, signed_in};

both_backends!(
    repeat_faults_become_a_problem,
    a_fix_that_needs_a_change_waits_for_it
);

async fn report(app: &TestApp, user: &str, subject: &str) -> Value {
    let (status, o) = app
        .post(
            "/api/v1/orders",
            Some(user),
            &json!({"category": "peripheral", "urgency": "medium", "impact": "medium",
                    "subject": subject, "description": "三楼打印机又卡纸"}),
        )
        .await;
    assert_eq!(status, 201, "{o}");
    o
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("an id: {v}"))
}

async fn repeat_faults_become_a_problem(app: TestApp) {
    let mut ours = Vec::new();
    for n in 0..3 {
        ours.push(id(
            &report(&app, "wu.li", &format!("打印机卡纸 第{n}次")).await
        ));
    }
    // The desk is offered the repeat: one client, one category, three times in the window.
    let cands = app.get_ok("/api/v1/problem-candidates", "wang.fang").await;
    let group = cands
        .as_array()
        .expect("candidates")
        .iter()
        .find(|c| c["kind"] == "same_category" && c["category"] == "peripheral")
        .cloned()
        .unwrap_or_else(|| panic!("the repeat is suggested: {cands}"));
    let ids: Vec<i64> = group["order_ids"]
        .as_array()
        .expect("ids")
        .iter()
        .filter_map(Value::as_i64)
        .collect();
    assert!(ours.iter().all(|o| ids.contains(o)), "{group}");
    // Clients are not offered candidates, nor may they open problems.
    let (status, _) = app.get("/api/v1/problem-candidates", Some("wu.li")).await;
    assert_eq!(status, 403);
    let (status, _) = app
        .post("/api/v1/problems", Some("wu.li"), &json!({"title": "x"}))
        .await;
    assert_eq!(status, 403);

    // An engineer opens the problem from the candidate.
    let (status, p) = app
        .post(
            "/api/v1/problems",
            Some("li.qiang"),
            &json!({"title": "三楼打印机反复卡纸", "order_ids": ours}),
        )
        .await;
    assert_eq!(status, 201, "{p}");
    let pid = id(&p);
    assert_eq!(p["state"], "investigating");
    assert_eq!(p["orders"].as_array().map(Vec::len), Some(3));
    // Linked orders leave the candidates.
    let cands = app.get_ok("/api/v1/problem-candidates", "wang.fang").await;
    assert!(
        cands
            .as_array()
            .expect("candidates")
            .iter()
            .all(|c| c["order_ids"]
                .as_array()
                .is_none_or(|a| a.iter().all(|o| !ours.contains(&o.as_i64().unwrap_or(0))))),
        "{cands}"
    );

    // The next order that reads like it is offered for linking to it, not for a new problem.
    let again = id(&report(&app, "sun.hao", "三楼打印机又卡纸").await);
    let cands = app.get_ok("/api/v1/problem-candidates", "wang.fang").await;
    let similar = cands
        .as_array()
        .expect("candidates")
        .iter()
        .find(|c| c["kind"] == "similar_text" && c["problem_id"].as_i64() == Some(pid))
        .cloned()
        .unwrap_or_else(|| panic!("the similar order is offered: {cands}"));
    assert!(
        similar["order_ids"]
            .as_array()
            .is_some_and(|a| a.iter().any(|o| o.as_i64() == Some(again))),
        "{similar}"
    );
    let (status, _) = app
        .post(
            &format!("/api/v1/problems/{pid}/orders"),
            Some("wang.fang"),
            &json!({"order_id": again}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .delete(
            &format!("/api/v1/problems/{pid}/orders/{again}"),
            Some("wang.fang"),
        )
        .await;
    assert_eq!(status, 200);

    // A client whose orders are not linked does not find it.
    let (status, _) = app
        .get(&format!("/api/v1/problems/{pid}"), Some("qian.min"))
        .await;
    assert_eq!(status, 404);
    let listed = app.get_ok("/api/v1/problems", "qian.min").await;
    assert!(
        listed["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|x| x["id"] != pid),
        "{listed}"
    );
    // Another client's order joins the problem: each client sees only their own orders in it.
    let theirs = id(&report(&app, "he.yun", "打印机卡纸 别家").await);
    let (status, p) = app
        .post(
            &format!("/api/v1/problems/{pid}/orders"),
            Some("wang.fang"),
            &json!({"order_id": theirs}),
        )
        .await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["orders"].as_array().map(Vec::len), Some(4));
    let mine = app
        .get_ok(&format!("/api/v1/problems/{pid}"), "wu.li")
        .await;
    let seen: Vec<i64> = mine["orders"]
        .as_array()
        .expect("orders")
        .iter()
        .filter_map(|o| o["order_id"].as_i64())
        .collect();
    assert_eq!(seen, ours, "wu.li sees her own orders only");
    let other = app
        .get_ok(&format!("/api/v1/problems/{pid}"), "he.yun")
        .await;
    assert_eq!(other["orders"].as_array().map(Vec::len), Some(1));
    // Clients may not change it (told it does not exist).
    let (status, _) = app
        .patch(
            &format!("/api/v1/problems/{pid}"),
            Some("wu.li"),
            &json!({"version": p["version"], "title": "x"}),
        )
        .await;
    assert_eq!(status, 404);

    // A known error needs its root cause and workaround; the order then shows the workaround.
    let v = p["version"].clone();
    let (status, e) = app
        .patch(
            &format!("/api/v1/problems/{pid}"),
            Some("li.qiang"),
            &json!({"version": v, "state": "known_error", "root_cause": "搓纸轮老化"}),
        )
        .await;
    assert_eq!(status, 422, "{e}");
    assert_eq!(e["error"]["field"], "workaround");
    let (status, p) = app
        .patch(
            &format!("/api/v1/problems/{pid}"),
            Some("li.qiang"),
            &json!({"version": v, "state": "known_error", "root_cause": "搓纸轮老化", "workaround": "用手动进纸槽，每次不超过 20 张"}),
        )
        .await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["state"], "known_error");
    let on_order = app
        .get_ok(&format!("/api/v1/orders/{}/problems", ours[0]), "wu.li")
        .await;
    assert_eq!(
        on_order[0]["workaround"], "用手动进纸槽，每次不超过 20 张",
        "{on_order}"
    );
    let (status, _) = app
        .get(
            &format!("/api/v1/orders/{}/problems", ours[0]),
            Some("he.yun"),
        )
        .await;
    assert_eq!(status, 404, "another client's order is not found");

    // Resolved needs the fix; resolving the orders records it on each open one it fits.
    let li = app.user_id("li.qiang").await;
    let o = app
        .get_ok(&format!("/api/v1/orders/{}", ours[0]), "wang.fang")
        .await;
    let (status, o) = app
        .post(
            &format!("/api/v1/orders/{}/transitions", ours[0]),
            Some("wang.fang"),
            &json!({"action": "assign", "assignee_id": li, "version": o["version"]}),
        )
        .await;
    assert_eq!(status, 200, "{o}");
    let (status, o) = app
        .post(
            &format!("/api/v1/orders/{}/transitions", ours[0]),
            Some("li.qiang"),
            &json!({"action": "start", "version": o["version"]}),
        )
        .await;
    assert_eq!(status, 200, "{o}");
    let (status, e) = app
        .patch(
            &format!("/api/v1/problems/{pid}"),
            Some("li.qiang"),
            &json!({"version": p["version"], "state": "resolved"}),
        )
        .await;
    assert_eq!(status, 422, "{e}");
    assert_eq!(e["error"]["field"], "fix");
    let (status, r) = app
        .post(
            &format!("/api/v1/problems/{pid}/resolve-orders"),
            Some("li.qiang"),
            &json!({}),
        )
        .await;
    assert_eq!(
        status, 422,
        "only a resolved problem resolves its orders: {r}"
    );
    let (status, p) = app
        .patch(
            &format!("/api/v1/problems/{pid}"),
            Some("li.qiang"),
            &json!({"version": p["version"], "state": "resolved", "fix": "更换搓纸轮"}),
        )
        .await;
    assert_eq!(status, 200, "{p}");
    let (status, r) = app
        .post(
            &format!("/api/v1/problems/{pid}/resolve-orders"),
            Some("li.qiang"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    let resolved = r["resolved"].as_array().expect("resolved");
    let skipped = r["skipped"].as_array().expect("skipped");
    assert_eq!(resolved.len() + skipped.len(), 4, "{r}");
    let first = app
        .get_ok(&format!("/api/v1/orders/{}", ours[0]), "wang.fang")
        .await;
    assert_eq!(first["state"], "resolved", "{r}");
    assert!(
        first["resolution"]
            .as_str()
            .is_some_and(|s| s.contains("更换搓纸轮")),
        "{first}"
    );

    // Its cause, workaround and fix become a draft article in one action (not by a client).
    let (status, d) = app
        .post(
            &format!("/api/v1/problems/{pid}/article-draft"),
            Some("li.qiang"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 201, "{d}");
    assert_eq!(d["problem_id"].as_i64(), Some(pid));
    assert_eq!(d["categories"], json!(["peripheral"]), "{d}");
    assert!(
        d["body"]
            .as_str()
            .is_some_and(|b| b.contains("更换搓纸轮") && b.contains("## ")),
        "{d}"
    );
    let (status, _) = app
        .post(
            &format!("/api/v1/problems/{pid}/article-draft"),
            Some("wu.li"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 403);

    // A resolved problem takes no new orders; closed, it is over.
    let (status, _) = app
        .post(
            &format!("/api/v1/problems/{pid}/orders"),
            Some("wang.fang"),
            &json!({"order_id": ours[1]}),
        )
        .await;
    assert_eq!(status, 422);
    let (status, p) = app
        .patch(
            &format!("/api/v1/problems/{pid}"),
            Some("wang.fang"),
            &json!({"version": p["version"], "state": "closed"}),
        )
        .await;
    assert_eq!(status, 200, "{p}");
    let (status, e) = app
        .patch(
            &format!("/api/v1/problems/{pid}"),
            Some("wang.fang"),
            &json!({"version": p["version"], "state": "investigating"}),
        )
        .await;
    assert_eq!(status, 422, "{e}");
    assert_eq!(e["error"]["field"], "state");
    // Hostile: too many orders at once, a bad state filter.
    let many: Vec<i64> = (1..=201).collect();
    let (status, e) = app
        .post(
            "/api/v1/problems",
            Some("wang.fang"),
            &json!({"title": "x", "order_ids": many}),
        )
        .await;
    assert_eq!(status, 422, "{e}");
    let (status, _) = app
        .get("/api/v1/problems?state=bogus", Some("wang.fang"))
        .await;
    assert_eq!(status, 422);
}

async fn change_step(app: &TestApp, id: i64, body: Value) -> Value {
    let fresh = app
        .get_ok(&format!("/api/v1/change-requests/{id}"), "wang.fang")
        .await;
    let mut b = json!({"version": fresh["version"]});
    if let (Some(o), Some(e)) = (b.as_object_mut(), body.as_object()) {
        o.extend(e.clone());
    }
    let (status, c) = app
        .post(
            &format!("/api/v1/change-requests/{id}/steps"),
            Some("wang.fang"),
            &b,
        )
        .await;
    assert_eq!(status, 200, "{c}");
    c
}

/// A problem's permanent fix that needs a change to the client's systems raises a change
/// request from the problem; the problem is resolved only once that change is implemented.
async fn a_fix_that_needs_a_change_waits_for_it(app: TestApp) {
    let hdjm = app.org_id("HDJM").await;
    let ours = vec![
        id(&report(&app, "wu.li", "交换机端口掉线").await),
        id(&report(&app, "sun.hao", "交换机端口又掉线").await),
    ];
    let (status, p) = app
        .post(
            "/api/v1/problems",
            Some("li.qiang"),
            &json!({"title": "核心交换机端口反复掉线", "order_ids": ours}),
        )
        .await;
    assert_eq!(status, 201, "{p}");
    let pid = id(&p);
    assert!(p["change_request"].is_null(), "{p}");
    let path = format!("/api/v1/problems/{pid}/change-request");
    // A client user is told the problem does not exist.
    let (status, _) = app.post(&path, Some("wu.li"), &json!({})).await;
    assert_eq!(status, 404);
    let (status, p) = app
        .patch(
            &format!("/api/v1/problems/{pid}"),
            Some("li.qiang"),
            &json!({"version": p["version"], "state": "known_error",
                    "root_cause": "固件缺陷", "workaround": "重启端口", "fix": "升级交换机固件"}),
        )
        .await;
    assert_eq!(status, 200, "{p}");

    // One action raises the technical change for HDJM (the only client of its orders) and links it.
    let (status, p) = app.post(&path, Some("li.qiang"), &json!({})).await;
    assert_eq!(status, 201, "{p}");
    let cr = p["change_request"]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("a linked change: {p}"));
    assert_eq!(p["change_request"]["state"], "proposed");
    let c = app
        .get_ok(&format!("/api/v1/change-requests/{cr}"), "wang.fang")
        .await;
    assert_eq!(c["kind"], "technical");
    assert_eq!(c["client_org_id"].as_i64(), Some(hdjm));
    assert!(
        c["description"]
            .as_str()
            .is_some_and(|d| d.contains("升级交换机固件") && d.contains(&format!("#{pid}"))),
        "{c}"
    );
    // Raised once; the client sees the problem through its orders, not the provider's change.
    let (status, e) = app.post(&path, Some("li.qiang"), &json!({})).await;
    assert_eq!(status, 422, "{e}");
    assert_eq!(e["error"]["field"], "change_request_id");
    let theirs = app
        .get_ok(&format!("/api/v1/problems/{pid}"), "wu.li")
        .await;
    assert!(theirs["change_request"].is_null(), "{theirs}");

    // Not resolved while the change waits.
    let (status, e) = app
        .patch(
            &format!("/api/v1/problems/{pid}"),
            Some("li.qiang"),
            &json!({"version": p["version"], "state": "resolved"}),
        )
        .await;
    assert_eq!(status, 422, "{e}");
    assert_eq!(e["error"]["field"], "change_request_id");
    change_step(
        &app,
        cr,
        json!({"action": "assess", "risk": "medium", "impact": "核心交换机重启 5 分钟", "rollback": "回退旧固件"}),
    )
    .await;
    change_step(&app, cr, json!({"action": "approve"})).await;
    let c = change_step(&app, cr, json!({"action": "implement"})).await;
    assert_eq!(c["state"], "implemented", "{c}");
    let p = app
        .get_ok(&format!("/api/v1/problems/{pid}"), "li.qiang")
        .await;
    assert_eq!(p["change_request"]["state"], "implemented");
    let (status, p) = app
        .patch(
            &format!("/api/v1/problems/{pid}"),
            Some("li.qiang"),
            &json!({"version": p["version"], "state": "resolved"}),
        )
        .await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["state"], "resolved");

    // A second problem: orders of two clients need the client named; a rejected change is not
    // linked; `null` unlinks.
    let other = id(&report(&app, "he.yun", "交换机端口掉线 别家").await);
    let (status, q) = app
        .post(
            "/api/v1/problems",
            Some("wang.fang"),
            &json!({"title": "两家的交换机", "order_ids": [ours[0], other]}),
        )
        .await;
    assert_eq!(status, 201, "{q}");
    let qid = id(&q);
    let qpath = format!("/api/v1/problems/{qid}/change-request");
    let (status, e) = app.post(&qpath, Some("wang.fang"), &json!({})).await;
    assert_eq!(status, 422, "{e}");
    assert_eq!(e["error"]["field"], "client_org_id");
    let (status, e) = app
        .post(
            &qpath,
            Some("wang.fang"),
            &json!({"client_org_id": 999_999}),
        )
        .await;
    assert_eq!(status, 422, "{e}");
    assert_eq!(e["error"]["field"], "client_org_id");
    let (status, q) = app
        .post(&qpath, Some("wang.fang"), &json!({"client_org_id": hdjm}))
        .await;
    assert_eq!(status, 201, "{q}");
    let cr2 = q["change_request"]["id"].as_i64().expect("change");
    change_step(&app, cr2, json!({"action": "reject", "note": "不需要"})).await;
    let (status, e) = app
        .patch(
            &format!("/api/v1/problems/{qid}"),
            Some("wang.fang"),
            &json!({"version": q["version"], "change_request_id": cr2, "title": "两家的交换机 (2)"}),
        )
        .await;
    // Saving with the link it already has keeps it (rejected since).
    assert_eq!(status, 200, "{e}");
    let (status, e) = app
        .patch(
            &format!("/api/v1/problems/{qid}"),
            Some("wang.fang"),
            &json!({"version": e["version"], "change_request_id": 999_999}),
        )
        .await;
    assert_eq!(status, 422, "{e}");
    assert_eq!(e["error"]["field"], "change_request_id");
    let q = app
        .get_ok(&format!("/api/v1/problems/{qid}"), "wang.fang")
        .await;
    let (status, q) = app
        .patch(
            &format!("/api/v1/problems/{qid}"),
            Some("wang.fang"),
            &json!({"version": q["version"], "change_request_id": null}),
        )
        .await;
    assert_eq!(status, 200, "{q}");
    assert!(q["change_request"].is_null(), "{q}");
    // Relinking the rejected change is refused.
    let (status, e) = app
        .patch(
            &format!("/api/v1/problems/{qid}"),
            Some("wang.fang"),
            &json!({"version": q["version"], "change_request_id": cr2}),
        )
        .await;
    assert_eq!(status, 422, "{e}");
    assert_eq!(e["error"]["field"], "change_request_id");
    // The change's page names the problem it fixes; the problem's page links the change and,
    // with a live change linked, offers no second one.
    let desk = signed_in(&app, "wang.fang").await;
    let page = page_html(&desk, &app, &format!("/changes/{cr}")).await;
    assert!(
        page.contains(&format!("href=\"/problems/{pid}\"")),
        "{page}"
    );
    let page = page_html(&desk, &app, &format!("/problems/{pid}")).await;
    assert!(page.contains(&format!("href=\"/changes/{cr}\"")), "{page}");
    assert!(!page.contains("data-action=\"raise-change\""), "{page}");
    let page = page_html(&desk, &app, &format!("/problems/{qid}")).await;
    assert!(page.contains("data-action=\"raise-change\""), "{page}");
    assert!(
        page.contains("name=\"client_org_id\""),
        "two clients: which one: {page}"
    );
}
