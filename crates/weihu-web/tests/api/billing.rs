//! Contracts and monthly statements over HTTP (SPEC §7): the demo's month is the worked example,
//! contracts go draft → active → terminating with the penalty of the SPEC example, orders attach
//! to the contract in force, statements go draft → reviewed → issued (frozen) → paid, and a
//! correction is an adjustment statement. Take-away repairs keep the 48-hour promise and bill at
//! cost.

use serde_json::{Value, json};

use crate::helpers::{ADMIN, TestApp, assert_error};

both_backends!(
    demo_month_is_the_worked_example,
    contract_lifecycle_and_termination_penalty,
    statement_review_issue_freeze_and_adjust,
    take_away_repair_is_promised_and_billed,
    billing_roles,
);

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("an id: {v}"))
}

fn month_of(date: jiff::civil::Date) -> String {
    format!("{:04}-{:02}", date.year(), date.month())
}

fn today() -> jiff::civil::Date {
    weihu_store::contracts::today_in(weihu_store::contracts::DEFAULT_ZONE)
}

fn last_month() -> String {
    month_of(
        today()
            .first_of_month()
            .yesterday()
            .expect("a day before this month"),
    )
}

/// A client organisation of its own, so contracts here never clash with the demo's.
async fn new_client(app: &TestApp, code: &str) -> i64 {
    let (status, org) = app
        .post(
            "/api/v1/organizations",
            Some(ADMIN),
            &json!({"code": code, "name": format!("{code} 测试客户")}),
        )
        .await;
    assert_eq!(status, 201, "{org}");
    id(&org)
}

/// A capped contract (3000 / 4 visits / 200 over, emergency 100), created and activated.
async fn capped_contract(
    app: &TestApp,
    client: i64,
    number: &str,
    start: &str,
    end: &str,
) -> Value {
    let (status, c) = app
        .post(
            "/api/v1/contracts",
            Some("liu.yang"),
            &json!({"client_org_id": client, "number": number, "start_date": start, "end_date": end,
                    "terms": {"pricing": {"model": "monthly_capped", "monthly_fee": "3000.00",
                              "visit_cap": 4, "over_cap_fee": "200.00"}, "emergency_fee": "100.00"}}),
        )
        .await;
    assert_eq!(status, 201, "create: {c}");
    assert_eq!(c["status"], "draft");
    let (status, c) = app
        .post(
            &format!("/api/v1/contracts/{}/activate", id(&c)),
            Some("liu.yang"),
            &json!({"version": c["version"]}),
        )
        .await;
    assert_eq!(status, 200, "activate: {c}");
    assert_eq!(c["status"], "active");
    c
}

async fn demo_month_is_the_worked_example(app: TestApp) {
    let month = last_month();
    let page = app
        .get_ok(&format!("/api/v1/statements?month={month}"), "liu.yang")
        .await;
    let items = page["items"].as_array().expect("items").clone();
    assert_eq!(items.len(), 4, "one statement per demo contract: {page}");
    let hdjm = items
        .iter()
        .find(|s| s["contract_number"] == "HT-HDJM-2026")
        .expect("HDJM's statement");
    // SPEC §7: 3000 + 2 × 200 + 100 + 30 + 450.
    assert_eq!(hdjm["total"], "3980.00", "{hdjm}");
    assert_eq!(hdjm["state"], "issued");
    assert_eq!(hdjm["counted_visits"], 6);
    assert!(
        hdjm["number"]
            .as_str()
            .is_some_and(|n| n.starts_with("ST-")),
        "{hdjm}"
    );
    assert!(hdjm["due_date"].is_string(), "{hdjm}");
    let lines = hdjm["lines"].as_array().expect("lines");
    let sum: rust_decimal::Decimal = lines
        .iter()
        .map(|l| {
            l["amount"]
                .as_str()
                .expect("amount")
                .parse::<rust_decimal::Decimal>()
                .expect("decimal")
        })
        .sum();
    assert_eq!(
        sum.to_string(),
        "3980.00",
        "the total is the sum of the lines"
    );
    let over = lines
        .iter()
        .find(|l| l["kind"] == "over_cap_visits")
        .expect("an over-cap line");
    assert_eq!(over["quantity"], 2);
    assert!(
        over["sources"]["orders"]
            .as_array()
            .is_some_and(|o| !o.is_empty()),
        "a line names the orders it comes from: {over}"
    );
    let repeat = lines.iter().find(|l| l["kind"] == "repeat_visits");
    assert!(
        repeat.is_none_or(|l| l["amount"] == "0.00"),
        "repeat visits are never billed: {repeat:?}"
    );
    // The other models priced too: resident days (≥ 2 × 800) plus the data recovery.
    let jnyy = items
        .iter()
        .find(|s| s["contract_number"] == "HT-JNYY-2026")
        .expect("JNYY");
    assert!(
        jnyy["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .any(|l| l["kind"] == "resident_days"),
        "{jnyy}"
    );
    let acme = items
        .iter()
        .find(|s| s["contract_number"] == "HT-ACME-2026")
        .expect("ACME");
    // 48 × 30 + 6 × 20 + 4 × 50 + 2 × 300 + emergency 100 + travel 50 = 2510.
    assert_eq!(acme["total"], "2510.00", "{acme}");

    // The client admin sees the issued statement of their own organisation only.
    let own = app.get_ok("/api/v1/statements", "zhou.jg").await;
    let own_items = own["items"].as_array().expect("items");
    assert!(
        own_items.iter().any(|s| s["id"] == hdjm["id"]),
        "zhou.jg sees HDJM's issued statement: {own}"
    );
    assert!(
        own_items
            .iter()
            .all(|s| s["client_org_id"] == hdjm["client_org_id"])
    );
    let foreign = app.get_ok("/api/v1/statements", "qian.min").await;
    assert!(
        foreign["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|s| s["state"] != "draft" && s["state"] != "reviewed" && s["id"] != hdjm["id"]),
        "qian.min sees neither HDJM's nor her own unissued statements: {foreign}"
    );
    let r = app
        .get(
            &format!("/api/v1/statements/{}", id(hdjm)),
            Some("qian.min"),
        )
        .await;
    assert_error("foreign statement", &r, 404, "not_found", None);
    // The demo's orders ran on their contracts.
    let orders = app.get_ok("/api/v1/orders?limit=500", "zhou.jg").await;
    assert!(
        orders["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|o| o["contract_number"] == "HT-HDJM-2026"),
        "every HDJM order runs on its contract"
    );
}

async fn contract_lifecycle_and_termination_penalty(app: TestApp) {
    let client = new_client(&app, "TERM").await;
    // Bad terms name their field.
    let (status, body) = app
        .post(
            "/api/v1/contracts",
            Some("liu.yang"),
            &json!({"client_org_id": client, "number": "HT-BAD", "start_date": "2026-01-01", "end_date": "2026-12-31",
                    "terms": {"pricing": {"model": "monthly_capped", "visit_cap": 4, "over_cap_fee": "200.00"},
                              "emergency_fee": "100.00"}}),
        )
        .await;
    assert_error(
        "missing fee",
        &(status, body),
        422,
        "invalid",
        Some("terms.monthly_fee"),
    );
    let r = app
        .post(
            "/api/v1/contracts",
            Some("liu.yang"),
            &json!({"client_org_id": client, "number": "HT-BAD", "start_date": "2026-01-01", "end_date": "2026-12-31",
                    "terms": {"pricing": {"model": "monthly_unlimited", "monthly_fee": "-1.00"}, "emergency_fee": "100.00"}}),
        )
        .await;
    assert_error(
        "negative fee",
        &r,
        422,
        "invalid",
        Some("terms.pricing.monthly_fee"),
    );
    let r = app
        .post(
            "/api/v1/contracts",
            Some("liu.yang"),
            &json!({"client_org_id": client, "number": "HT-BAD", "start_date": "2026-12-31", "end_date": "2026-01-01",
                    "terms": {"pricing": {"model": "monthly_unlimited", "monthly_fee": "1.00"}, "emergency_fee": "0"}}),
        )
        .await;
    assert_error("end before start", &r, 422, "invalid", Some("end_date"));

    // SPEC §7's termination example: 2026 contract at 3000/month, notice on 2026-06-16.
    let start = "2026-01-01";
    let end = "2026-12-31";
    let c = capped_contract(&app, client, "HT-TERM-2026", start, end).await;
    let q = app
        .get_ok(
            &format!(
                "/api/v1/contracts/{}/termination?notice_date=2026-06-16",
                id(&c)
            ),
            "liu.yang",
        )
        .await;
    assert_eq!(q["remaining_fees"], "19500.00", "{q}");
    assert_eq!(q["penalty"], "9750.00", "{q}");
    assert_eq!(q["in_trial"], false);
    let trial = app
        .get_ok(
            &format!(
                "/api/v1/contracts/{}/termination?notice_date=2026-01-20",
                id(&c)
            ),
            "liu.yang",
        )
        .await;
    assert_eq!(trial["in_trial"], true, "{trial}");
    assert_eq!(
        trial["penalty"], "0.00",
        "no penalty in the trial month: {trial}"
    );

    // A second contract in force over the same days is refused.
    let (status, other) = app
        .post(
            "/api/v1/contracts",
            Some("liu.yang"),
            &json!({"client_org_id": client, "number": "HT-TERM-OVERLAP", "start_date": "2026-06-01", "end_date": "2027-05-31",
                    "terms": {"pricing": {"model": "monthly_unlimited", "monthly_fee": "1000.00"}, "emergency_fee": "0"}}),
        )
        .await;
    assert_eq!(status, 201, "{other}");
    let r = app
        .post(
            &format!("/api/v1/contracts/{}/activate", id(&other)),
            Some("liu.yang"),
            &json!({"version": other["version"]}),
        )
        .await;
    assert_error("overlap", &r, 422, "invalid", Some("start_date"));

    // Terms of a contract in force do not change in place.
    let r = app
        .patch(
            &format!("/api/v1/contracts/{}", id(&c)),
            Some("liu.yang"),
            &json!({"version": c["version"], "end_date": "2027-12-31"}),
        )
        .await;
    assert_error("terms in force", &r, 422, "invalid", Some("terms"));

    // Give notice: terminating, with the quote recorded.
    let (status, t) = app
        .post(
            &format!("/api/v1/contracts/{}/termination", id(&c)),
            Some("liu.yang"),
            &json!({"version": c["version"], "notice_date": "2026-06-16", "by": "client", "reason": "搬迁 / relocation"}),
        )
        .await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["status"], "terminating");
    assert_eq!(t["termination"]["quote"]["penalty"], "9750.00", "{t}");
    assert_eq!(
        t["termination"]["effective_date"], "2026-07-15",
        "30 days' notice: {t}"
    );
    // Renewal drafts the next year.
    let (status, r) = app
        .post(
            &format!("/api/v1/contracts/{}/renewal", id(&c)),
            Some("liu.yang"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 201, "{r}");
    assert_eq!(r["start_date"], "2027-01-01");
    assert_eq!(r["end_date"], "2027-12-31");
    assert_eq!(r["status"], "draft");
    assert_eq!(r["renewed_from"], c["id"]);
    // The invoicing schedule: 3 months, then quarterly, due in working days.
    let inv = app
        .get_ok(
            &format!("/api/v1/contracts/{}/invoices", id(&c)),
            "liu.yang",
        )
        .await;
    let inv = inv.as_array().expect("a list");
    assert_eq!(inv.len(), 4, "{inv:?}");
    assert_eq!(inv[0]["covers_end"], "2026-03-31");
    assert_eq!(inv[0]["advance_fees"], "9000.00");
    // 2026-01-01 is New Year's Day: five working days later is 2026-01-08.
    assert_eq!(inv[0]["due_date"], "2026-01-08", "{:?}", inv[0]);
}

async fn statement_review_issue_freeze_and_adjust(mut app: TestApp) {
    let client = new_client(&app, "STMT").await;
    let t = today();
    let start = t
        .first_of_month()
        .checked_sub(jiff::Span::new().months(2))
        .expect("date");
    let end = start
        .checked_add(jiff::Span::new().years(1))
        .and_then(|d| d.yesterday())
        .expect("date");
    let c = capped_contract(
        &app,
        client,
        "HT-STMT",
        &start.to_string(),
        &end.to_string(),
    )
    .await;
    let (status, u) = app
        .post(
            "/api/v1/users",
            Some(ADMIN),
            &json!({"org_id": client, "username": "stmt.user", "display_name": "对账用户",
                    "role": "client_admin", "password": "a-long-password-1"}),
        )
        .await;
    assert_eq!(status, 201, "{u}");
    app.add_token("stmt.user").await;
    // An order of this client runs on the contract; an emergency visit with travel bills both.
    let (status, o) = app
        .post(
            "/api/v1/orders",
            Some("wang.fang"),
            &json!({"client_org_id": client, "requester_name": "前台", "category": "network",
                    "urgency": "high", "impact": "high", "subject": "机房断网"}),
        )
        .await;
    assert_eq!(status, 201, "{o}");
    assert_eq!(
        o["contract_id"], c["id"],
        "the order runs on the contract in force"
    );
    let li = app.user_id("li.qiang").await;
    let (status, _) = app
        .post(
            &format!("/api/v1/orders/{}/transitions", id(&o)),
            Some("wang.fang"),
            &json!({"action": "assign", "version": o["version"], "assignee_id": li}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, v) = app
        .post(
            &format!("/api/v1/orders/{}/visits", id(&o)),
            Some("li.qiang"),
            &json!({"kind": "emergency", "travel_fee": "40.00"}),
        )
        .await;
    assert_eq!(status, 201, "{v}");
    let (status, _) = app
        .post(
            &format!("/api/v1/orders/{}/visits/{}/check-in", id(&o), id(&v)),
            Some("li.qiang"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let month = month_of(t);
    let p = app
        .get_ok(
            &format!(
                "/api/v1/contracts/{}/statement-preview?month={month}",
                id(&c)
            ),
            "liu.yang",
        )
        .await;
    assert_eq!(
        p["total"], "3140.00",
        "3000 + emergency 100 + travel 40: {p}"
    );
    assert_eq!(p["counted_visits"], 0, "an emergency visit is not counted");

    // Generate → draft; review → issue: numbered, due, frozen.
    let (status, sum) = app
        .post(
            "/api/v1/statements/generate",
            Some("liu.yang"),
            &json!({"month": month, "contract_id": id(&c)}),
        )
        .await;
    assert_eq!(status, 200, "{sum}");
    assert_eq!(sum["created"], 1, "{sum}");
    let list = app
        .get_ok(
            &format!("/api/v1/statements?contract_id={}", id(&c)),
            "liu.yang",
        )
        .await;
    let s = list["items"][0].clone();
    assert_eq!(s["state"], "draft");
    assert_eq!(s["total"], "3140.00");
    // The client does not see drafts.
    let r = app
        .get(&format!("/api/v1/statements/{}", id(&s)), Some("stmt.user"))
        .await;
    assert_error("draft hidden from the client", &r, 404, "not_found", None);
    // Issue before review is refused.
    let r = app
        .post(
            &format!("/api/v1/statements/{}/issue", id(&s)),
            Some("liu.yang"),
            &json!({"version": s["version"]}),
        )
        .await;
    assert_error("issue a draft", &r, 422, "invalid", Some("state"));
    let (status, s) = app
        .post(
            &format!("/api/v1/statements/{}/review", id(&s)),
            Some("liu.yang"),
            &json!({"version": s["version"]}),
        )
        .await;
    assert_eq!(status, 200, "{s}");
    let (status, issued) = app
        .post(
            &format!("/api/v1/statements/{}/issue", id(&s)),
            Some("liu.yang"),
            &json!({"version": s["version"]}),
        )
        .await;
    assert_eq!(status, 200, "{issued}");
    assert_eq!(issued["state"], "issued");
    assert!(
        issued["number"]
            .as_str()
            .is_some_and(|n| n.starts_with("ST-"))
    );
    let r = app
        .post(
            &format!("/api/v1/statements/{}/issue", id(&s)),
            Some("liu.yang"),
            &json!({"version": issued["version"]}),
        )
        .await;
    assert_error("issue twice", &r, 422, "invalid", Some("state"));
    let seen = app
        .get_ok(&format!("/api/v1/statements/{}", id(&s)), "stmt.user")
        .await;
    assert_eq!(
        seen["total"], "3140.00",
        "the client admin sees it once issued"
    );

    // Later work in the month does not alter the issued statement…
    let (status, _) = app
        .post(
            &format!("/api/v1/contracts/{}/items", id(&c)),
            Some("liu.yang"),
            &json!({"item_date": t.to_string(), "description": "数据恢复", "unit_price": "800.00",
                    "order_number": o["number"]}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, sum) = app
        .post(
            "/api/v1/statements/generate",
            Some("liu.yang"),
            &json!({"month": month, "contract_id": id(&c)}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        sum["unchanged"], 1,
        "issued statements are never regenerated: {sum}"
    );
    let again = app
        .get_ok(&format!("/api/v1/statements/{}", id(&s)), "liu.yang")
        .await;
    assert_eq!(again["total"], "3140.00");
    assert_eq!(again["lines"], issued["lines"], "frozen");
    // …a correction is an adjustment: the month again, minus what was issued.
    let (status, adj) = app
        .post(
            &format!("/api/v1/statements/{}/adjustment", id(&s)),
            Some("liu.yang"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 201, "{adj}");
    assert_eq!(adj["kind"], "adjustment");
    assert_eq!(adj["adjusts_id"], s["id"]);
    assert_eq!(adj["total"], "800.00", "{adj}");
    assert!(
        adj["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .any(|l| l["kind"] == "reversal" && l["amount"] == "-3140.00"),
        "{adj}"
    );
    // Paid.
    let (status, paid) = app
        .post(
            &format!("/api/v1/statements/{}/payment", id(&s)),
            Some("liu.yang"),
            &json!({"version": again["version"]}),
        )
        .await;
    assert_eq!(status, 200, "{paid}");
    assert_eq!(paid["state"], "paid");
}

async fn take_away_repair_is_promised_and_billed(app: TestApp) {
    let client = new_client(&app, "TAKE").await;
    let t = today();
    let start = t.first_of_month();
    let end = start
        .checked_add(jiff::Span::new().years(1))
        .and_then(|d| d.yesterday())
        .expect("date");
    let c = capped_contract(
        &app,
        client,
        "HT-TAKE",
        &start.to_string(),
        &end.to_string(),
    )
    .await;
    let (status, o) = app
        .post(
            "/api/v1/orders",
            Some("wang.fang"),
            &json!({"client_org_id": client, "requester_name": "前台", "category": "hardware",
                    "urgency": "medium", "impact": "low", "subject": "笔记本主板故障", "service_mode": "take_away"}),
        )
        .await;
    assert_eq!(status, 201, "{o}");
    let li = app.user_id("li.qiang").await;
    let (status, _) = app
        .post(
            &format!("/api/v1/orders/{}/transitions", id(&o)),
            Some("wang.fang"),
            &json!({"action": "assign", "version": o["version"], "assignee_id": li}),
        )
        .await;
    assert_eq!(status, 200);
    let r = app
        .post(
            &format!("/api/v1/orders/{}/take-away", id(&o)),
            Some("li.qiang"),
            &json!({"asset": "TAKE-NB-01", "description": ""}),
        )
        .await;
    assert_error("no description", &r, 422, "invalid", Some("description"));
    let (status, ta) = app
        .post(
            &format!("/api/v1/orders/{}/take-away", id(&o)),
            Some("li.qiang"),
            &json!({"asset": "TAKE-NB-01", "description": "更换主板"}),
        )
        .await;
    assert_eq!(status, 201, "{ta}");
    let taken: jiff::Timestamp = ta["taken_at"]
        .as_str()
        .expect("taken_at")
        .parse()
        .expect("time");
    let promised: jiff::Timestamp = ta["promised_at"]
        .as_str()
        .expect("promised")
        .parse()
        .expect("time");
    assert_eq!((promised - taken).as_hours(), 48, "{ta}");
    assert_eq!(ta["late"], false);
    let (status, back) = app
        .post(
            &format!("/api/v1/orders/{}/take-away/{}/return", id(&o), id(&ta)),
            Some("li.qiang"),
            &json!({"cost": "120.00"}),
        )
        .await;
    assert_eq!(status, 200, "{back}");
    assert!(back["returned_at"].is_string());
    let r = app
        .post(
            &format!("/api/v1/orders/{}/take-away/{}/return", id(&o), id(&ta)),
            Some("li.qiang"),
            &json!({"cost": "120.00"}),
        )
        .await;
    assert_error("returned twice", &r, 422, "invalid", Some("returned_at"));
    let events = app
        .get_ok(&format!("/api/v1/orders/{}/events", id(&o)), "wang.fang")
        .await;
    assert!(
        events.to_string().contains("take_away_return"),
        "the timeline records it: {events}"
    );
    let p = app
        .get_ok(
            &format!("/api/v1/contracts/{}/statement-preview", id(&c)),
            "liu.yang",
        )
        .await;
    let line = p["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .find(|l| l["kind"] == "take_away_repair")
        .cloned()
        .unwrap_or_else(|| panic!("a take-away line: {p}"));
    assert_eq!(line["amount"], "120.00");
    assert_eq!(line["sources"]["orders"][0], o["number"]);
}

async fn billing_roles(app: TestApp) {
    let hdjm = app.org_id("HDJM").await;
    let body = json!({"client_org_id": hdjm, "number": "HT-ROLE", "start_date": "2030-01-01", "end_date": "2030-12-31",
                      "terms": {"pricing": {"model": "monthly_unlimited", "monthly_fee": "1.00"}, "emergency_fee": "0"}});
    for who in ["li.qiang", "wang.fang", "zhou.jg"] {
        let r = app.post("/api/v1/contracts", Some(who), &body).await;
        assert_error(
            &format!("{who} creates a contract"),
            &r,
            403,
            "forbidden",
            None,
        );
    }
    let r = app
        .post(
            "/api/v1/statements/generate",
            Some("zhou.jg"),
            &json!({"month": last_month()}),
        )
        .await;
    assert_error("client generates", &r, 403, "forbidden", None);
    let r = app.get("/api/v1/contracts", Some("wu.li")).await;
    assert_error("client user lists contracts", &r, 403, "forbidden", None);
    let r = app.get("/api/v1/statements", Some("li.qiang")).await;
    assert_error("engineer lists statements", &r, 403, "forbidden", None);
    // The client admin reads the own contract in force, without the provider's internal note.
    let own = app.get_ok("/api/v1/contracts", "zhou.jg").await;
    let items = own["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{own}");
    assert!(items[0].get("internal_note").is_none(), "{own}");
    let r = app
        .get(
            &format!("/api/v1/contracts/{}/statement-preview", id(&items[0])),
            Some("zhou.jg"),
        )
        .await;
    assert_error("client previews", &r, 404, "not_found", None);
    // Bad month.
    let r = app
        .post(
            "/api/v1/statements/generate",
            Some("liu.yang"),
            &json!({"month": "2026-13"}),
        )
        .await;
    assert_error("bad month", &r, 422, "invalid", Some("month"));
}
