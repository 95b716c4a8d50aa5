//! Issue #14: change requests. An SLA change of a client is proposed with its new definition
//! (checked at once), assessed, approved by the service-level manager, consented to by the
//! client's administrator, and implemented no earlier than its effective date as a new policy
//! version; every step by the roles SPEC §1 gives, with the request's version, and each client
//! sees only its own.

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_refused};

both_backends!(
    an_sla_change_goes_from_proposal_to_a_new_policy_version,
    change_pages_offer_exactly_the_steps_the_store_takes,
    what_is_in_force_changes_only_by_request
);

const SLM: &str = "zhao.min";

async fn step(app: &TestApp, user: &str, id: i64, body: Value) -> (u16, Value) {
    let fresh = app
        .get_ok(&format!("/api/v1/change-requests/{id}"), SLM)
        .await;
    let mut b = json!({"version": fresh["version"]});
    if let (Some(o), Some(e)) = (b.as_object_mut(), body.as_object()) {
        o.extend(e.clone());
    }
    app.post(
        &format!("/api/v1/change-requests/{id}/steps"),
        Some(user),
        &b,
    )
    .await
}

async fn an_sla_change_goes_from_proposal_to_a_new_policy_version(app: TestApp) {
    let hdjm = app.org_id("HDJM").await;
    let list = app.get_ok("/api/v1/sla-policies", SLM).await;
    let policy = list["items"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["is_default"] == true))
        .cloned()
        .expect("the default policy");
    let pid = policy["id"].as_i64().expect("id");
    let before = policy["current_version"].as_i64().expect("version");
    let mut def = policy["definition"].clone();
    def["targets"]["P1"]["resolution"]["minutes"] = json!(90);
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Shanghai").expect("zone"))
        .date();
    let tomorrow = today.tomorrow().expect("tomorrow").to_string();

    // Who proposes what.
    let new = json!({"kind": "sla_policy", "client_org_id": hdjm, "policy_id": pid, "title": "P1 解决时限缩短到 90 分钟",
        "proposal": def, "effective_from": tomorrow});
    let (s, e) = app
        .post("/api/v1/change-requests", Some("wang.fang"), &new)
        .await;
    assert_refused(s, &e, 403, None);
    let (s, e) = app
        .post("/api/v1/change-requests", Some("zhou.jg"), &new)
        .await;
    assert_refused(s, &e, 403, None);
    let mut bad = new.clone();
    bad["proposal"]["targets"]["P1"]["resolution"]["minutes"] = json!(-5);
    let (s, e) = app.post("/api/v1/change-requests", Some(SLM), &bad).await;
    assert_eq!(s, 422, "{e}");
    assert!(
        e["error"]["field"]
            .as_str()
            .is_some_and(|f| f.starts_with("proposal")),
        "{e}"
    );
    let (s, e) = app
        .post(
            "/api/v1/change-requests",
            Some(SLM),
            &json!({"kind": "sla_policy", "title": "x", "proposal": def}),
        )
        .await;
    assert_refused(s, &e, 422, Some("policy_id"));
    let (s, e) = app
        .post(
            "/api/v1/change-requests",
            Some(SLM),
            &json!({"kind": "weather", "title": "x"}),
        )
        .await;
    assert_refused(s, &e, 422, Some("kind"));
    let (s, cr) = app.post("/api/v1/change-requests", Some(SLM), &new).await;
    assert_eq!(s, 201, "{cr}");
    assert_eq!(cr["state"], "proposed");
    let id = cr["id"].as_i64().expect("id");
    assert_eq!(cr["steps"], json!(["assess", "reject", "cancel"]));

    // Approval waits for an assessment; an assessment names risk, impact and rollback.
    let (s, e) = step(&app, SLM, id, json!({"action": "approve"})).await;
    assert_refused(s, &e, 422, Some("action"));
    let (s, e) = step(
        &app,
        SLM,
        id,
        json!({"action": "assess", "risk": "extreme", "impact": "x", "rollback": "y"}),
    )
    .await;
    assert_refused(s, &e, 422, Some("risk"));
    let (s, e) = step(
        &app,
        SLM,
        id,
        json!({"action": "assess", "risk": "low", "impact": "", "rollback": "y"}),
    )
    .await;
    assert_refused(s, &e, 422, Some("impact"));
    let (s, a) = step(
        &app,
        SLM,
        id,
        json!({"action": "assess", "risk": "medium",
        "impact": "P1 工单的解决时限；在途工单不受影响", "rollback": "再发布上一版本"}),
    )
    .await;
    assert_eq!(s, 200, "{a}");
    assert_eq!(a["state"], "assessed");
    let (s, e) = app
        .post(
            &format!("/api/v1/change-requests/{id}/steps"),
            Some(SLM),
            &json!({"version": 1, "action": "approve"}),
        )
        .await;
    assert_refused(s, &e, 409, None);
    let (s, a) = step(&app, SLM, id, json!({"action": "approve"})).await;
    assert_eq!(s, 200, "{a}");
    assert_eq!(
        a["state"], "awaiting_consent",
        "a client's SLA change needs its consent"
    );

    // The client's administrator consents; the provider cannot for it; another client sees nothing.
    let (s, e) = step(&app, SLM, id, json!({"action": "consent"})).await;
    assert_refused(s, &e, 403, None);
    let (s, e) = app
        .get(&format!("/api/v1/change-requests/{id}"), Some("qian.min"))
        .await;
    assert_refused(s, &e, 404, None);
    let (s, e) = app
        .get(&format!("/api/v1/change-requests/{id}"), Some("wu.li"))
        .await;
    assert_refused(s, &e, 404, None);
    let theirs = app
        .get_ok(&format!("/api/v1/change-requests/{id}"), "zhou.jg")
        .await;
    assert_eq!(theirs["steps"], json!(["consent", "reject"]));
    let notes = app.get_ok("/api/v1/notifications", "zhou.jg").await;
    let notes = notes
        .as_array()
        .or_else(|| notes["items"].as_array())
        .cloned()
        .unwrap_or_default();
    assert!(
        notes.iter().any(|n| n["kind"] == "change_consent"),
        "{notes:?}"
    );
    let (s, a) = step(&app, "zhou.jg", id, json!({"action": "consent"})).await;
    assert_eq!(s, 200, "{a}");
    assert_eq!(a["state"], "approved");

    // Not before its date: the policy keeps its version.
    let (s, e) = step(&app, SLM, id, json!({"action": "implement"})).await;
    assert_refused(s, &e, 422, Some("effective_from"));
    let p = app
        .get_ok(&format!("/api/v1/sla-policies/{pid}"), SLM)
        .await;
    assert_eq!(p["current_version"], before);

    // A second change, effective today and for the provider default (no client to ask), is
    // implemented at once as the policy's next version.
    let now_change = json!({"kind": "sla_policy", "policy_id": pid, "title": "P1 90 分钟（即日）", "proposal": def});
    let (s, cr2) = app
        .post("/api/v1/change-requests", Some(SLM), &now_change)
        .await;
    assert_eq!(s, 201, "{cr2}");
    let id2 = cr2["id"].as_i64().expect("id");
    let (s, _) = step(
        &app,
        SLM,
        id2,
        json!({"action": "assess", "risk": "low", "impact": "P1", "rollback": "上一版本"}),
    )
    .await;
    assert_eq!(s, 200);
    let (s, a) = step(&app, SLM, id2, json!({"action": "approve"})).await;
    assert_eq!((s, a["state"].as_str()), (200, Some("approved")), "{a}");
    let (s, done) = step(&app, SLM, id2, json!({"action": "implement"})).await;
    assert_eq!(s, 200, "{done}");
    assert_eq!(done["state"], "implemented");
    assert_eq!(done["implemented_version"], before + 1);
    let p = app
        .get_ok(&format!("/api/v1/sla-policies/{pid}"), SLM)
        .await;
    assert_eq!(p["current_version"], before + 1);
    assert_eq!(
        p["definition"]["targets"]["P1"]["resolution"]["minutes"],
        90
    );
    let (s, e) = step(&app, SLM, id2, json!({"action": "cancel"})).await;
    assert_refused(s, &e, 422, Some("action"));

    // Rejecting needs a reason; the client may refuse its consent.
    let (s, cr3) = app
        .post(
            "/api/v1/change-requests",
            Some("li.qiang"),
            &json!({"kind": "technical", "client_org_id": hdjm,
            "title": "核心交换机固件升级", "description": "需停机 30 分钟"}),
        )
        .await;
    assert_eq!(s, 201, "an engineer raises a technical change: {cr3}");
    let id3 = cr3["id"].as_i64().expect("id");
    let (s, e) = step(&app, "wang.fang", id3, json!({"action": "reject"})).await;
    assert_refused(s, &e, 422, Some("note"));
    let (s, r) = step(
        &app,
        "wang.fang",
        id3,
        json!({"action": "reject", "note": "等待厂商确认版本"}),
    )
    .await;
    assert_eq!((s, r["state"].as_str()), (200, Some("rejected")), "{r}");

    // Lists: the client's administrator sees its own client's, a client user nothing.
    let mine = app.get_ok("/api/v1/change-requests", "zhou.jg").await;
    assert!(
        mine["items"]
            .as_array()
            .is_some_and(|i| !i.is_empty() && i.iter().all(|c| c["client_org_id"] == hdjm)),
        "{mine}"
    );
    let none = app.get_ok("/api/v1/change-requests", "wu.li").await;
    assert_eq!(none["total"], 0);
}

async fn change_pages_offer_exactly_the_steps_the_store_takes(app: TestApp) {
    use crate::helpers::{form_csrf, page_html, post_form, signed_in};
    let hdjm = app.org_id("HDJM").await;
    // A contract change of HDJM, proposed and approved by the desk: it waits for the client.
    let contracts = app
        .get_ok(
            &format!("/api/v1/contracts?client_org_id={hdjm}"),
            "wang.fang",
        )
        .await;
    let contract = contracts["items"][0]["id"]
        .as_i64()
        .expect("HDJM has a contract");
    let (s, cr) = app
        .post(
            "/api/v1/change-requests",
            Some("wang.fang"),
            &json!({"kind": "contract", "contract_id": contract,
            "title": "每月上门次数由 4 次增至 6 次"}),
        )
        .await;
    assert_eq!(s, 201, "{cr}");
    assert_eq!(cr["client_org_id"], hdjm, "the contract's client");
    let id = cr["id"].as_i64().expect("id");
    let (s, _) = step(
        &app,
        "wang.fang",
        id,
        json!({"action": "assess", "risk": "low", "impact": "月费", "rollback": "恢复原条款"}),
    )
    .await;
    assert_eq!(s, 200);
    let page = format!("/changes/{id}");
    let desk = signed_in(&app, "wang.fang").await;
    let html = page_html(&desk, &app, &page).await;
    for (action, offered) in [
        ("approve", true),
        ("reject", true),
        ("cancel", true),
        ("consent", false),
        ("implement", false),
        ("assess", true),
    ] {
        assert_eq!(
            html.contains(&format!(r#"data-action="{action}""#)),
            offered,
            "{action} on the desk's page"
        );
    }
    let (s, _) = step(&app, "wang.fang", id, json!({"action": "approve"})).await;
    assert_eq!(s, 200);

    // The client's administrator consents on the page.
    let admin = signed_in(&app, "zhou.jg").await;
    let html = page_html(&admin, &app, &page).await;
    assert!(html.contains(r#"data-action="consent""#), "{html}");
    assert!(!html.contains(r#"data-action="approve""#));
    let version = app
        .get_ok(&format!("/api/v1/change-requests/{id}"), "zhou.jg")
        .await["version"]
        .to_string();
    let csrf = form_csrf(&html);
    let (s, to) = post_form(
        &admin,
        &app,
        &format!("/changes/{id}/steps"),
        &[
            ("csrf", csrf.as_str()),
            ("version", version.as_str()),
            ("action", "consent"),
        ],
    )
    .await;
    assert_eq!(
        (s, to.as_str()),
        (303, format!("/changes/{id}?ok=1").as_str())
    );
    let after = app
        .get_ok(&format!("/api/v1/change-requests/{id}"), "zhou.jg")
        .await;
    assert_eq!(after["state"], "approved");
    // Another client's administrator finds no such page.
    let other = signed_in(&app, "qian.min").await;
    let resp = other.get(app.url(&page)).send().await.expect("GET");
    assert_eq!(resp.status(), 404);
}

/// The default policy and a contract in force are not edited in place: a direct revision is
/// refused naming the field, and the same change goes through as an approved request.
async fn what_is_in_force_changes_only_by_request(app: TestApp) {
    let hdjm = app.org_id("HDJM").await;
    let list = app.get_ok("/api/v1/sla-policies", SLM).await;
    let default = list["items"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["is_default"] == true))
        .cloned()
        .expect("the default policy");
    assert_eq!(default["in_force"], true, "{default}");
    let (s, e) = app
        .patch(
            &format!("/api/v1/sla-policies/{}", default["id"]),
            Some(SLM),
            &json!({"version": default["version"], "definition": default["definition"], "note": "直接改"}),
        )
        .await;
    assert_refused(s, &e, 422, Some("definition"));
    assert!(
        e["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("change request")),
        "{e}"
    );

    // A policy being prepared is revised freely until a contract in force names it.
    let mut def = default["definition"].clone();
    def["name"] = json!("HDJM 加强 SLA");
    let (s, fresh) = app
        .post(
            "/api/v1/sla-policies",
            Some(SLM),
            &json!({"definition": def}),
        )
        .await;
    assert_eq!(s, 201, "{fresh}");
    assert_eq!(fresh["in_force"], false);
    let fresh_id = fresh["id"].as_i64().expect("id");
    def["targets"]["P1"]["resolution"]["minutes"] = json!(60);
    let (s, revised) = app
        .patch(
            &format!("/api/v1/sla-policies/{fresh_id}"),
            Some(SLM),
            &json!({"version": fresh["version"], "definition": def, "note": "P1 一小时"}),
        )
        .await;
    assert_eq!(
        (s, revised["current_version"].as_i64()),
        (200, Some(2)),
        "{revised}"
    );

    // HDJM's contract in force: its policy and scope are refused in place, its title is not.
    let contracts = app
        .get_ok(
            &format!("/api/v1/contracts?client_org_id={hdjm}&status=active"),
            "liu.yang",
        )
        .await;
    let contract = contracts["items"][0].clone();
    let cid = contract["id"]
        .as_i64()
        .expect("HDJM has a contract in force");
    let path = format!("/api/v1/contracts/{cid}");
    for (field, body) in [
        ("policy_id", json!({"policy_id": fresh_id})),
        ("scope", json!({"scope": "全部终端及服务器"})),
    ] {
        let mut b = body.clone();
        b["version"] = contract["version"].clone();
        let (s, e) = app.patch(&path, Some("liu.yang"), &b).await;
        assert_refused(s, &e, 422, Some(field));
    }
    let (s, renamed) = app
        .patch(
            &path,
            Some("liu.yang"),
            &json!({"version": contract["version"], "title": "海淀教委运维合同（2026）"}),
        )
        .await;
    assert_eq!(s, 200, "the title is not what the contract owes: {renamed}");
    assert_eq!(renamed["policy_id"], contract["policy_id"]);

    // The same change as a request: a proposal is checked when proposed.
    for (bad, field) in [
        (json!({"terms": {}}), "proposal"),
        (json!({}), "proposal"),
        (json!({"policy_id": 987_654}), "policy_id"),
        (json!({"notice_days": 1000}), "notice_days"),
    ] {
        let (s, e) = app
            .post(
                "/api/v1/change-requests",
                Some("wang.fang"),
                &json!({"kind": "contract", "contract_id": cid, "title": "x", "proposal": bad}),
            )
            .await;
        assert_refused(s, &e, 422, Some(field));
    }
    let (s, cr) = app
        .post(
            "/api/v1/change-requests",
            Some("wang.fang"),
            &json!({"kind": "contract", "contract_id": cid, "title": "改用加强 SLA，范围扩至服务器",
                    "proposal": {"policy_id": fresh_id, "scope": "全部终端及服务器"}}),
        )
        .await;
    assert_eq!(s, 201, "{cr}");
    let id = cr["id"].as_i64().expect("id");
    for (who, body) in [
        (
            "wang.fang",
            json!({"action": "assess", "risk": "medium", "impact": "新工单按加强 SLA 计时", "rollback": "改回原策略"}),
        ),
        ("wang.fang", json!({"action": "approve"})),
        ("zhou.jg", json!({"action": "consent"})),
    ] {
        let (s, r) = step(&app, who, id, body).await;
        assert_eq!(s, 200, "{who}: {r}");
    }
    let untouched = app.get_ok(&path, "liu.yang").await;
    assert_eq!(
        untouched["policy_id"], contract["policy_id"],
        "not before it is implemented"
    );
    let (s, done) = step(&app, "wang.fang", id, json!({"action": "implement"})).await;
    assert_eq!(
        (s, done["state"].as_str()),
        (200, Some("implemented")),
        "{done}"
    );
    let after = app.get_ok(&path, "liu.yang").await;
    assert_eq!(after["policy_id"], fresh_id, "{after}");
    assert_eq!(after["scope"], "全部终端及服务器");
    assert_eq!(
        after["title"], "海淀教委运维合同（2026）",
        "the rest is kept"
    );
    let audit = app
        .get_ok(
            &format!("/api/v1/audit-log?entity=contract&entity_id={cid}"),
            crate::helpers::ADMIN,
        )
        .await;
    assert!(
        audit.to_string().contains("\"change\""),
        "the contract's audit records the change: {audit}"
    );

    // The month's service-level report counts the client's change requests.
    let month = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Shanghai").expect("zone"))
        .strftime("%Y-%m")
        .to_string();
    let report = app
        .get_ok(
            &format!("/api/v1/reports/service-level?client_org_id={hdjm}&month={month}"),
            SLM,
        )
        .await;
    assert!(
        report["kpis"]["changes"].as_u64().is_some_and(|n| n >= 1),
        "{}",
        report["kpis"]
    );

    // Now a contract in force names the new policy: it too changes only by request.
    let now = app
        .get_ok(&format!("/api/v1/sla-policies/{fresh_id}"), SLM)
        .await;
    assert_eq!(now["in_force"], true);
    let (s, e) = app
        .patch(
            &format!("/api/v1/sla-policies/{fresh_id}"),
            Some(SLM),
            &json!({"version": now["version"], "definition": def}),
        )
        .await;
    assert_refused(s, &e, 422, Some("definition"));
}
