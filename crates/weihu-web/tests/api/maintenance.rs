//! Issue #15: maintenance plans and their inspections. A plan on HDJM's contract generates one
//! inspection per planned day (idempotently), each an assigned order of kind inspection with a
//! scheduled visit; its engineer walks the checklist (ok / issue / n.a.), raises an issue as a
//! follow-up order linked both ways, cannot resolve while items are open, gets the client's
//! signature and the report PDF; the client's month counts it. A changed plan regenerates only
//! untouched future inspections; an inspection not done by the end of its day is flagged.

use serde_json::{Value, json};

use crate::helpers::{ADMIN, TestApp, assert_refused};

both_backends!(
    a_plan_generates_inspections_that_are_walked_followed_up_signed_and_reported,
    plans_refuse_hostile_settings_naming_the_field,
    maintenance_pages_follow_the_roles,
);

const SLM: &str = "zhao.min";
const PNG_B64: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("an id: {v}"))
}

async fn hdjm_contract(app: &TestApp) -> i64 {
    let hdjm = app.org_id("HDJM").await;
    let page = app
        .get_ok(
            &format!("/api/v1/contracts?client_org_id={hdjm}&status=active"),
            "wang.fang",
        )
        .await;
    page["items"]
        .as_array()
        .and_then(|a| {
            a.iter()
                .find(|c| c["client_org_id"] == hdjm && c["status"] == "active")
        })
        .map(id)
        .unwrap_or_else(|| panic!("HDJM's active contract: {page}"))
}

async fn template(app: &TestApp, code: &str) -> i64 {
    let list = app.get_ok("/api/v1/checklist-templates", "wang.fang").await;
    list.as_array()
        .and_then(|a| {
            a.iter()
                .find(|t| t["code"] == code && t["client_org_id"].is_null())
        })
        .map(id)
        .unwrap_or_else(|| panic!("the {code} template"))
}

async fn assets_of(app: &TestApp, code: &str, n: usize) -> Vec<i64> {
    let org = app.org_id(code).await;
    let page = app
        .get_ok(
            &format!("/api/v1/assets?client_org_id={org}&limit=50&sort=tag"),
            "wang.fang",
        )
        .await;
    let ids: Vec<i64> = page["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|x| x["status"] != "retired" && x["under_contract"] == true)
                .map(id)
                .take(n)
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(ids.len(), n, "{code} has {n} assets under contract: {page}");
    ids
}

fn today() -> jiff::civil::Date {
    jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Shanghai").expect("zone"))
        .date()
}

async fn a_plan_generates_inspections_that_are_walked_followed_up_signed_and_reported(
    app: TestApp,
) {
    let contract = hdjm_contract(&app).await;
    let hardware = template(&app, "hardware").await;
    let assets = assets_of(&app, "HDJM", 2).await;
    let li = app.user_id("li.qiang").await;
    // Every day, so one falls today; a week ahead.
    let (s, plan) = app
        .post(
            "/api/v1/maintenance-plans",
            Some(SLM),
            &json!({"contract_id": contract, "name": "每日巡检 Daily round", "template_id": hardware,
                    "assets": {"asset_ids": assets}, "rule": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU",
                    "shift": "none", "engineer_id": li, "window_start": "09:00", "window_minutes": 120,
                    "ahead_days": 6}),
        )
        .await;
    assert_eq!(s, 201, "{plan}");
    assert_eq!(plan["starts_on"], today().to_string(), "{plan}");
    let pid = id(&plan);
    let generate = format!("/api/v1/maintenance-plans/{pid}/generate");
    let (s, sum) = app.post(&generate, Some(SLM), &json!({})).await;
    assert_eq!(s, 200, "{sum}");
    assert_eq!(sum["created"], 7, "today and six days ahead: {sum}");
    // Idempotent: nothing twice.
    let (_, again) = app.post(&generate, Some(SLM), &json!({})).await;
    assert_eq!(again["created"], 0, "{again}");
    // Engineers and clients do not run plans.
    let (s, e) = app.post(&generate, Some("li.qiang"), &json!({})).await;
    assert_refused(s, &e, 403, None);

    // The dispatcher's week.
    let week = app
        .get_ok(&format!("/api/v1/inspections?plan_id={pid}"), "wang.fang")
        .await;
    let rows = week.as_array().expect("a list");
    assert_eq!(rows.len(), 7, "{week}");
    assert!(
        rows.iter()
            .all(|r| r["state"] == "assigned" && r["assignee_id"] == li),
        "{week}"
    );
    let first = rows[0]["order_id"].as_i64().expect("an order id");
    assert_eq!(rows[0]["due_on"], today().to_string());
    // The client's administrator sees it, a client user does not list inspections.
    let theirs = app
        .get_ok(&format!("/api/v1/inspections?plan_id={pid}"), "zhou.jg")
        .await;
    assert_eq!(theirs.as_array().map(Vec::len), Some(7));
    let (s, e) = app.get("/api/v1/inspections", Some("wu.li")).await;
    assert_refused(s, &e, 403, None);
    let (s, e) = app
        .get("/api/v1/inspections?state=late", Some("wang.fang"))
        .await;
    assert_refused(s, &e, 422, Some("state"));

    // The board filters by kind.
    let only = app
        .get_ok("/api/v1/orders?kind=inspection&limit=500", "wang.fang")
        .await;
    let items = only["items"].as_array().expect("items");
    assert!(
        items.len() >= 7 && items.iter().all(|o| o["kind"] == "inspection"),
        "{only}"
    );
    let (s, e) = app
        .get("/api/v1/orders?kind=robot", Some("wang.fang"))
        .await;
    assert_refused(s, &e, 422, Some("kind"));

    // The order: kind inspection, on-site, a scheduled visit for li.qiang, no SLA clocks.
    let order = app
        .get_ok(&format!("/api/v1/orders/{first}"), "li.qiang")
        .await;
    assert_eq!(order["kind"], "inspection", "{order}");
    assert_eq!(order["service_mode"], "on_site");
    assert_eq!(order["clocks"].as_array().map(Vec::len), Some(0), "{order}");
    let visits = app
        .get_ok(&format!("/api/v1/orders/{first}/visits"), "li.qiang")
        .await;
    assert_eq!(visits[0]["kind"], "scheduled", "{visits}");
    // On site: the scheduled visit is checked in, and counts against the contract's cap.
    let preview = format!("/api/v1/contracts/{contract}/statement-preview");
    let before = app.get_ok(&preview, ADMIN).await["counted_visits"]
        .as_i64()
        .expect("counted visits");
    let visit = format!("/api/v1/orders/{first}/visits/{}", id(&visits[0]));
    let (s, v) = app
        .post(&format!("{visit}/check-in"), Some("li.qiang"), &json!({}))
        .await;
    assert_eq!(s, 200, "{v}");

    // The checklist: 8 hardware items, per asset or per visit.
    let path = format!("/api/v1/inspections/{first}");
    let insp = app.get_ok(&path, "li.qiang").await;
    let items: Vec<(String, String)> = insp["checklist"]["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .flat_map(|g| g["items"].as_array().cloned().unwrap_or_default())
        .map(|i| {
            (
                i["key"].as_str().unwrap_or("").to_owned(),
                i["per"].as_str().unwrap_or("asset").to_owned(),
            )
        })
        .collect();
    assert_eq!(items.len(), 8, "{insp}");
    let per_asset = items.iter().filter(|(_, p)| p == "asset").count();
    let per_visit = items.len() - per_asset;
    let total = per_visit + 2 * per_asset;
    assert_eq!(insp["unanswered"], total, "{insp}");
    assert_eq!(insp["assets"].as_array().map(Vec::len), Some(2));
    assert!(
        insp["actions"]
            .as_array()
            .is_some_and(|a| a.contains(&json!("inspect"))),
        "{insp}"
    );
    // Another engineer reads it but does not walk it; a client reads it, never walks it.
    let other = app.get_ok(&path, "zhang.wei").await;
    assert!(
        !other["actions"]
            .as_array()
            .is_some_and(|a| a.contains(&json!("inspect"))),
        "{other}"
    );
    let answers = format!("/api/v1/inspections/{first}/answers");
    let (asset_item, _) = items
        .iter()
        .find(|(_, p)| p == "asset")
        .expect("an asset item");
    let one = json!({"asset_id": assets[0], "item": asset_item, "answer": "ok"});
    let (s, e) = app
        .send(
            reqwest::Method::PUT,
            &answers,
            Some("zhang.wei"),
            Some(&one),
        )
        .await;
    assert_refused(s, &e, 403, None);
    let (s, e) = app
        .send(reqwest::Method::PUT, &answers, Some("zhou.jg"), Some(&one))
        .await;
    assert_refused(s, &e, 403, None);
    // Hostile answers name the field.
    for (body, field) in [
        (
            json!({"asset_id": assets[0], "item": "nope", "answer": "ok"}),
            "item",
        ),
        (
            json!({"asset_id": 999_999, "item": asset_item, "answer": "ok"}),
            "asset_id",
        ),
        (json!({"item": asset_item, "answer": "ok"}), "asset_id"),
        (
            json!({"asset_id": assets[0], "item": asset_item, "answer": "maybe"}),
            "answer",
        ),
        (
            json!({"asset_id": assets[0], "item": asset_item, "answer": "issue", "note": "  "}),
            "note",
        ),
        (
            json!({"asset_id": assets[0], "item": asset_item, "answer": "ok", "note": "长".repeat(2001)}),
            "note",
        ),
        (
            json!({"asset_id": assets[0], "item": asset_item, "answer": "ok", "photos": [999_999]}),
            "photos",
        ),
    ] {
        let (s, e) = app
            .send(
                reqwest::Method::PUT,
                &answers,
                Some("li.qiang"),
                Some(&body),
            )
            .await;
        assert_refused(s, &e, 422, Some(field));
    }

    // Resolving with open items is refused, naming the checklist.
    let o = app
        .get_ok(&format!("/api/v1/orders/{first}"), "li.qiang")
        .await;
    let (s, e) = app
        .post(
            &format!("/api/v1/orders/{first}/transitions"),
            Some("li.qiang"),
            &json!({"action": "start", "version": o["version"]}),
        )
        .await;
    assert_eq!(s, 200, "{e}");
    let o = app
        .get_ok(&format!("/api/v1/orders/{first}"), "li.qiang")
        .await;
    assert!(
        !o["actions"]
            .as_array()
            .is_some_and(|a| a.contains(&json!("resolve"))),
        "resolve is not offered while items are open: {o}"
    );
    let (s, e) = app
        .post(
            &format!("/api/v1/orders/{first}/transitions"),
            Some("li.qiang"),
            &json!({"action": "resolve", "version": o["version"], "resolution": "巡检完成"}),
        )
        .await;
    assert_refused(s, &e, 422, Some("checklist"));

    // Walk it: everything ok, one issue on the first asset.
    for (key, per) in &items {
        let targets: Vec<Option<i64>> = if per == "visit" {
            vec![None]
        } else {
            assets.iter().map(|a| Some(*a)).collect()
        };
        for a in targets {
            let issue = key == asset_item && a == Some(assets[0]);
            let body = json!({"asset_id": a, "item": key,
                              "answer": if issue { "issue" } else if per == "visit" { "not_applicable" } else { "ok" },
                              "note": if issue { "风扇异响，轴承磨损" } else { "" }});
            let (s, r) = app
                .send(
                    reqwest::Method::PUT,
                    &answers,
                    Some("li.qiang"),
                    Some(&body),
                )
                .await;
            assert_eq!(s, 200, "{body}: {r}");
        }
    }
    let insp = app.get_ok(&path, "li.qiang").await;
    assert_eq!(insp["unanswered"], 0, "{insp}");
    assert_eq!(insp["issues"], 1, "{insp}");
    assert_eq!(insp["state"], "in_progress", "{insp}");

    // The issue becomes a follow-up order in one action, linked both ways.
    let follow = format!("/api/v1/inspections/{first}/follow-ups");
    let (s, e) = app
        .post(
            &follow,
            Some("li.qiang"),
            &json!({"asset_id": assets[1], "item": asset_item}),
        )
        .await;
    assert_refused(s, &e, 422, Some("item"));
    let (s, f) = app
        .post(
            &follow,
            Some("li.qiang"),
            &json!({"asset_id": assets[0], "item": asset_item, "urgency": "high"}),
        )
        .await;
    assert_eq!(s, 201, "{f}");
    assert_eq!(f["kind"], "fault", "{f}");
    assert_eq!(f["asset_id"], assets[0], "{f}");
    assert_eq!(f["urgency"], "high");
    assert!(
        f["clocks"].as_array().is_some_and(|c| !c.is_empty()),
        "the follow-up runs SLA clocks: {f}"
    );
    assert!(
        f["links"].as_array().is_some_and(|l| l
            .iter()
            .any(|l| l["order_id"] == first && l["relation"] == "follow_up_of")),
        "{f}"
    );
    let (s, e) = app
        .post(
            &follow,
            Some("li.qiang"),
            &json!({"asset_id": assets[0], "item": asset_item}),
        )
        .await;
    assert_refused(s, &e, 422, Some("item"));
    let back = app
        .get_ok(&format!("/api/v1/orders/{first}"), "li.qiang")
        .await;
    assert!(
        back["links"].as_array().is_some_and(|l| l
            .iter()
            .any(|l| l["order_id"] == f["id"] && l["relation"] == "followed_up_by")),
        "the inspection links its follow-up: {back}"
    );
    let insp = app.get_ok(&path, "li.qiang").await;
    let issue = insp["answers"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["answer"] == "issue"))
        .expect("the issue");
    assert_eq!(issue["follow_up_number"], f["number"], "{insp}");
    // A raised issue stays an issue.
    let (s, e) = app
        .send(
            reqwest::Method::PUT,
            &answers,
            Some("li.qiang"),
            Some(&json!({"asset_id": assets[0], "item": asset_item, "answer": "ok"})),
        )
        .await;
    assert_refused(s, &e, 422, Some("answer"));

    // Resolved, signed by the client, reported.
    let (s, v) = app
        .post(&format!("{visit}/check-out"), Some("li.qiang"), &json!({}))
        .await;
    assert_eq!(s, 200, "{v}");
    let after = app.get_ok(&preview, ADMIN).await["counted_visits"]
        .as_i64()
        .expect("counted visits");
    assert_eq!(
        after,
        before + 1,
        "the scheduled visit counts against the cap"
    );
    let o = app
        .get_ok(&format!("/api/v1/orders/{first}"), "li.qiang")
        .await;
    let (s, e) = app
        .post(
            &format!("/api/v1/orders/{first}/transitions"),
            Some("li.qiang"),
            &json!({"action": "resolve", "version": o["version"], "resolution": "巡检完成，1 项问题已转工单"}),
        )
        .await;
    assert_eq!(s, 200, "{e}");
    let (s, e) = app
        .post(
            &format!("/api/v1/orders/{first}/signature"),
            Some("li.qiang"),
            &json!({"signer_name": "周建国", "image_png_base64": PNG_B64}),
        )
        .await;
    assert!(s == 200 || s == 201, "sign: {s} {e}");
    let resp = app
        .client
        .get(app.url(&format!("/api/v1/inspections/{first}/report.pdf")))
        .bearer_auth(app.token("zhou.jg"))
        .send()
        .await
        .expect("the report");
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        resp.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/pdf")
    );
    let pdf = resp.bytes().await.expect("bytes");
    assert!(pdf.starts_with(b"%PDF"), "a PDF");

    // The client's month counts it.
    let hdjm = app.org_id("HDJM").await;
    let month = today().strftime("%Y-%m").to_string();
    let m = app
        .get_ok(
            &format!("/api/v1/maintenance/month?client_org_id={hdjm}&month={month}"),
            "zhou.jg",
        )
        .await;
    assert!(m["done"].as_i64() >= Some(1), "{m}");
    assert!(m["issues"].as_i64() >= Some(1), "{m}");
    assert!(m["follow_ups"].as_i64() >= Some(1), "{m}");
    let jnyy = app.org_id("JNYY").await;
    let (s, e) = app
        .get(
            &format!("/api/v1/maintenance/month?client_org_id={jnyy}&month={month}"),
            Some("zhou.jg"),
        )
        .await;
    assert_refused(s, &e, 404, None);

    // The plan changes to Mondays only: untouched future days that are not Mondays are
    // cancelled; the done one stays.
    let (s, changed) = app
        .patch(
            &format!("/api/v1/maintenance-plans/{pid}"),
            Some(SLM),
            &json!({"version": plan["version"], "rule": "FREQ=WEEKLY;BYDAY=MO"}),
        )
        .await;
    assert_eq!(s, 200, "{changed}");
    let (s, e) = app
        .patch(
            &format!("/api/v1/maintenance-plans/{pid}"),
            Some(SLM),
            &json!({"version": plan["version"], "name": "stale"}),
        )
        .await;
    assert_refused(s, &e, 409, None);
    let (_, sum) = app.post(&generate, Some(SLM), &json!({})).await;
    let mondays = (1..7)
        .filter(|d| {
            today()
                .checked_add(jiff::Span::new().days(*d))
                .is_ok_and(|x| x.weekday() == jiff::civil::Weekday::Monday)
        })
        .count();
    assert_eq!(sum["cancelled"], 6 - mondays, "{sum}");
    let week = app
        .get_ok(&format!("/api/v1/inspections?plan_id={pid}"), "wang.fang")
        .await;
    assert_eq!(week.as_array().map(Vec::len), Some(1 + mondays), "{week}");
    assert_eq!(
        week[0]["order_id"], first,
        "the done inspection stays: {week}"
    );

    // Someone cancels a planned day: the plan does not put it back, and keeps generating.
    let mut open_mondays = mondays;
    if let Some(next) = week.as_array().and_then(|w| w.get(1)) {
        open_mondays -= 1;
        let oid = next["order_id"].as_i64().expect("an order id");
        let o = app
            .get_ok(&format!("/api/v1/orders/{oid}"), "wang.fang")
            .await;
        let (s, e) = app
            .post(
                &format!("/api/v1/orders/{oid}/transitions"),
                Some("wang.fang"),
                &json!({"action": "cancel", "version": o["version"], "reason": "客户停工"}),
            )
            .await;
        assert_eq!(s, 200, "{e}");
        let (s, sum) = app.post(&generate, Some(SLM), &json!({})).await;
        assert_eq!(s, 200, "{sum}");
        assert_eq!(
            sum["created"], 0,
            "the cancelled day stays cancelled: {sum}"
        );
        assert_eq!(sum["failed"].as_array().map(Vec::len), Some(0), "{sum}");
    }

    // Overdue: a day later nothing of today's other inspections is done (flagged once).
    let tomorrow_end = jiff::Timestamp::now().as_millisecond() + 9 * 24 * 3600 * 1000;
    let flagged =
        weihu_store::maintenance::inspections::flag_overdue(&app.store, Some(tomorrow_end))
            .await
            .expect("flag overdue");
    assert!(flagged >= open_mondays as u64, "{flagged}");
    let again = weihu_store::maintenance::inspections::flag_overdue(&app.store, Some(tomorrow_end))
        .await
        .expect("flag overdue");
    assert_eq!(again, 0, "flagged once");
}

async fn plans_refuse_hostile_settings_naming_the_field(app: TestApp) {
    let contract = hdjm_contract(&app).await;
    let hardware = template(&app, "hardware").await;
    let foreign = assets_of(&app, "JNYY", 1).await;
    let client_user = app.user_id("wu.li").await;
    let good = json!({"contract_id": contract, "name": "月度巡检", "template_id": hardware,
                      "rule": "FREQ=MONTHLY;X-WORKDAY=2"});
    let with = |k: &str, v: Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    for (body, field) in [
        (with("rule", json!("FREQ=DAILY")), "rule"),
        (
            with("rule", json!("FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=2")),
            "rule",
        ),
        (with("rule", json!("X".repeat(10_000))), "rule"),
        (with("shift", json!("sideways")), "shift"),
        (with("window_minutes", json!(5)), "window_minutes"),
        (with("window_start", json!("25:00")), "window_start"),
        (with("ahead_days", json!(10_000)), "ahead_days"),
        (with("template_id", json!(999_999)), "template_id"),
        (with("contract_id", json!(999_999)), "contract_id"),
        (with("engineer_id", json!(client_user)), "engineer_id"),
        (
            with("assets", json!({"asset_ids": foreign})),
            "assets.asset_ids",
        ),
        (
            with("assets", json!({"types": ["spaceship"]})),
            "assets.types",
        ),
        (
            with(
                "assets",
                json!({"asset_ids": (1..=501).collect::<Vec<i64>>()}),
            ),
            "assets.asset_ids",
        ),
        (with("starts_on", json!("1999-01-01")), "starts_on"),
        (with("name", json!("")), "name"),
        (with("name", json!("长".repeat(121))), "name"),
    ] {
        let (s, e) = app
            .post("/api/v1/maintenance-plans", Some(SLM), &body)
            .await;
        assert_refused(s, &e, 422, Some(field));
    }
    // Roles: engineers and clients do not plan.
    for who in ["li.qiang", "zhou.jg"] {
        let (s, e) = app
            .post("/api/v1/maintenance-plans", Some(who), &good)
            .await;
        assert_refused(s, &e, 403, None);
    }
    let (s, created) = app
        .post("/api/v1/maintenance-plans", Some("wang.fang"), &good)
        .await;
    assert_eq!(s, 201, "{created}");
    // The client's administrator reads its plans; another client's does not exist for it.
    let theirs = app.get_ok("/api/v1/maintenance-plans", "zhou.jg").await;
    let hdjm = app.org_id("HDJM").await;
    assert!(
        theirs["items"]
            .as_array()
            .is_some_and(|a| !a.is_empty() && a.iter().all(|p| p["client_org_id"] == hdjm)),
        "{theirs}"
    );
    let (s, e) = app.get("/api/v1/maintenance-plans", Some("wu.li")).await;
    assert_refused(s, &e, 403, None);
    for (q, field) in [
        ("from=2026-01-01&to=2026-12-31", "to"),
        ("from=9999-12-31", "from"),
        ("from=9999-12-25&to=9999-12-31", "to"),
        ("from=2026-02-30", "from"),
    ] {
        let (s, e) = app
            .get(&format!("/api/v1/inspections?{q}"), Some("wang.fang"))
            .await;
        assert_refused(s, &e, 422, Some(field));
    }
}

/// The pages: the desk sees the week, the plans and the checklists; a client's administrator
/// its own plans only; a client user none. The checklist editor refuses hostile JSON naming the
/// field and keeps the version.
async fn maintenance_pages_follow_the_roles(app: TestApp) {
    use crate::helpers::{form_csrf, page_html, post_form, signed_in};
    let desk = signed_in(&app, "wang.fang").await;
    let html = page_html(&desk, &app, "/maintenance").await;
    assert!(
        html.contains("每周服务器与网络巡检"),
        "the demo's HDJM plan is listed"
    );
    assert!(html.contains("data-testid=\"new-plan\""), "the desk plans");
    assert!(
        html.contains("data-testid=\"checklist-link\""),
        "the checklists are linked"
    );
    let boss = signed_in(&app, "zhou.jg").await;
    let html = page_html(&boss, &app, "/maintenance").await;
    assert!(html.contains("每周服务器与网络巡检"), "HDJM's own plan");
    assert!(!html.contains("江南"), "nothing of another client");
    assert!(
        !html.contains("data-testid=\"new-plan\""),
        "clients do not plan"
    );
    let user = signed_in(&app, "wu.li").await;
    let resp = user
        .get(app.url("/maintenance"))
        .send()
        .await
        .expect("GET /maintenance");
    assert_eq!(resp.status().as_u16(), 403);

    let hardware = template(&app, "hardware").await;
    let path = format!("/maintenance/checklists/{hardware}");
    let html = page_html(&desk, &app, &path).await;
    assert!(html.contains("机箱除尘"), "the items are listed");
    let csrf = form_csrf(&html);
    for (definition, field) in [
        ("{not json", "definition"),
        (r#"{"name": "空", "groups": []}"#, "definition.groups"),
        (
            r#"{"name": "x", "groups": [{"title": "<script>", "items": [{"key": "a b", "text": "t"}]}]}"#,
            "definition.groups[0].items[0].key",
        ),
    ] {
        let (status, to) = post_form(
            &desk,
            &app,
            &path,
            &[
                ("csrf", csrf.as_str()),
                ("version", "1"),
                ("definition", definition),
                ("note", ""),
            ],
        )
        .await;
        assert_eq!(status, 303);
        assert!(to.contains("error="), "refused: {to}");
        let enc: String = form_urlencoded::byte_serialize(field.as_bytes()).collect();
        assert!(to.contains(&enc), "names {field}: {to}");
    }
    let after = app
        .get_ok(
            &format!("/api/v1/checklist-templates/{hardware}"),
            "wang.fang",
        )
        .await;
    assert_eq!(after["current_version"], 1, "nothing was written");
    // A phone photo (3 MB) rides on an answer from the walk page; 11 MB is refused naming it.
    let plans = app
        .get_ok("/api/v1/maintenance-plans?limit=500", "wang.fang")
        .await;
    let weekly = plans["items"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["rule"] == "FREQ=WEEKLY;BYDAY=WE"))
        .map(id)
        .expect("the demo's weekly round");
    let (s, sum) = app
        .post(
            &format!("/api/v1/maintenance-plans/{weekly}/generate"),
            Some(ADMIN),
            &json!({}),
        )
        .await;
    assert_eq!(s, 200, "{sum}");
    let rows = app
        .get_ok(
            &format!("/api/v1/inspections?plan_id={weekly}"),
            "wang.fang",
        )
        .await;
    let oid = rows[0]["order_id"]
        .as_i64()
        .expect("an inspection this week");
    let insp = app
        .get_ok(&format!("/api/v1/inspections/{oid}"), "wang.fang")
        .await;
    let asset = insp["assets"][0]["id"].as_i64().expect("an asset");
    let item = insp["checklist"]["groups"][0]["items"][0]["key"]
        .as_str()
        .expect("an item")
        .to_owned();
    let walk = page_html(&desk, &app, &format!("/inspections/{oid}")).await;
    let csrf = form_csrf(&walk);
    for (size, refused) in [(3 * 1024 * 1024, false), (11 * 1024 * 1024, true)] {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.resize(size, 0);
        let b = "weihu-walk-boundary";
        let mut body = Vec::new();
        for (name, value) in [
            ("csrf", csrf.clone()),
            ("asset_id", asset.to_string()),
            ("item", item.clone()),
            ("answer", "ok".to_owned()),
        ] {
            body.extend_from_slice(
                format!(
                    "--{b}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{b}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"p.png\"\r\n\
                 Content-Type: image/png\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(&png);
        body.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
        let resp = desk
            .post(app.url(&format!("/inspections/{oid}/answer")))
            .header("origin", app.base.as_str())
            .header(
                reqwest::header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={b}"),
            )
            .body(body)
            .send()
            .await
            .expect("POST an answer");
        let status = resp.status().as_u16();
        let to = resp
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .unwrap_or("")
            .to_owned();
        assert_eq!(status, 303, "{size} bytes: {to}");
        assert_eq!(to.contains("error="), refused, "{size} bytes: {to}");
        if refused {
            assert!(to.contains("photo"), "names the photo: {to}");
        }
    }
    let after = app
        .get_ok(&format!("/api/v1/inspections/{oid}"), "wang.fang")
        .await;
    assert_eq!(
        after["answers"][0]["photos"].as_array().map(Vec::len),
        Some(1),
        "{after}"
    );

    // Clients never reach the checklist pages.
    let resp = boss.get(app.url(&path)).send().await.expect("GET");
    assert_eq!(resp.status().as_u16(), 404);
}
