//! Assets and the catalog over HTTP (SPEC §6): registry CRUD with generated tags, imports with a
//! row-by-row preview (wrong type, duplicate tag, bad date, another client's tag) that write all
//! or nothing or the valid rows only, formula-safe exports, the application scale, warranty
//! view, registry confirmation with its difference, the catalog per client, quotes, and the PDF
//! documents (order, month bundle, statement, labels, quote).

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, read};

both_backends!(
    assets_crud_and_generated_tags,
    import_preview_all_or_nothing_and_safe_export,
    scale_warranty_and_registry_confirmation,
    catalog_per_client_and_quotes,
    pdf_documents,
);

const PNG_B64: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("an id: {v}"))
}

fn today() -> jiff::civil::Date {
    weihu_store::contracts::today_in(weihu_store::contracts::DEFAULT_ZONE)
}

async fn raw(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    user: &str,
    body: Vec<u8>,
) -> (u16, Vec<u8>) {
    let resp = app
        .client
        .request(method, app.url(path))
        .bearer_auth(app.token(user))
        .header(
            "content-type",
            if body.starts_with(b"{") {
                "application/json"
            } else {
                "application/octet-stream"
            },
        )
        .body(body)
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    (status, resp.bytes().await.expect("body").to_vec())
}

async fn assets_crud_and_generated_tags(app: TestApp) {
    let hdjm = app.org_id("HDJM").await;
    let (status, a) = app
        .post(
            "/api/v1/assets",
            Some("li.qiang"),
            &json!({"client_org_id": hdjm, "asset_type": "desktop", "model": "ThinkCentre", "location": "财务部",
                    "warranty_end": "2028/03/31"}),
        )
        .await;
    assert_eq!(status, 201, "{a}");
    let tag = a["tag"].as_str().expect("tag");
    assert!(tag.starts_with("HDJM-DESKTOP-"), "a generated tag: {tag}");
    assert_eq!(
        a["warranty_end"], "2028-03-31",
        "spreadsheet dates are normalised"
    );
    // Tags are unique across the provider's clients.
    let jnyy = app.org_id("JNYY").await;
    let r = app
        .post(
            "/api/v1/assets",
            Some("li.qiang"),
            &json!({"client_org_id": jnyy, "asset_type": "laptop", "tag": tag}),
        )
        .await;
    assert_error("duplicate tag", &r, 409, "duplicate", Some("tag"));
    let r = app
        .post(
            "/api/v1/assets",
            Some("li.qiang"),
            &json!({"client_org_id": hdjm, "asset_type": "toaster"}),
        )
        .await;
    assert_error("unknown type", &r, 422, "invalid", Some("asset_type"));
    let r = app
        .post(
            "/api/v1/assets",
            Some("li.qiang"),
            &json!({"client_org_id": hdjm, "asset_type": "desktop", "warranty_end": "2028-02-30"}),
        )
        .await;
    assert_error("bad date", &r, 422, "invalid", Some("warranty_end"));
    // Stale version.
    let (status, a2) = app
        .patch(
            &format!("/api/v1/assets/{}", id(&a)),
            Some("li.qiang"),
            &json!({"version": a["version"], "status": "in_repair"}),
        )
        .await;
    assert_eq!(status, 200, "{a2}");
    assert_eq!(a2["status"], "in_repair");
    let r = app
        .patch(
            &format!("/api/v1/assets/{}", id(&a)),
            Some("li.qiang"),
            &json!({"version": a["version"], "status": "retired"}),
        )
        .await;
    assert_error("stale", &r, 409, "conflict", None);
    // The client admin registers for their own organisation, whatever the body says.
    let (status, own) = app
        .post(
            "/api/v1/assets",
            Some("zhou.jg"),
            &json!({"client_org_id": jnyy, "asset_type": "printer"}),
        )
        .await;
    assert_eq!(status, 201, "{own}");
    assert_eq!(own["client_org_id"], hdjm);
    let r = app.get("/api/v1/assets", Some("wu.li")).await;
    assert_error("client user", &r, 403, "forbidden", None);
    // An order on the asset counts as a fault in its history.
    let (status, o) = app
        .post(
            "/api/v1/orders",
            Some("wu.li"),
            &json!({"category": "hardware", "urgency": "low", "impact": "low", "subject": "主机异响",
                    "asset_id": id(&a)}),
        )
        .await;
    assert_eq!(status, 201, "{o}");
    assert_eq!(o["asset_tag"], tag);
    let r = app
        .post(
            "/api/v1/orders",
            Some("wu.li"),
            &json!({"category": "hardware", "urgency": "low", "impact": "low", "subject": "别人的设备",
                    "asset_id": id(&own) + 100000}),
        )
        .await;
    assert_error("foreign asset", &r, 422, "invalid", Some("asset_id"));
    let got = app
        .get_ok(&format!("/api/v1/assets/{}", id(&a)), "li.qiang")
        .await;
    assert_eq!(got["fault_count"], 1);
    let h = app
        .get_ok(&format!("/api/v1/assets/{}/history", id(&a)), "li.qiang")
        .await;
    assert_eq!(h[0]["order_number"], o["number"], "{h}");
}

async fn import_preview_all_or_nothing_and_safe_export(app: TestApp) {
    let hdjm = app.org_id("HDJM").await;
    let jnyy_tag = app
        .get_ok(
            &format!(
                "/api/v1/assets?client_org_id={}&limit=1",
                app.org_id("JNYY").await
            ),
            "li.qiang",
        )
        .await["items"][0]["tag"]
        .as_str()
        .expect("a JNYY tag")
        .to_owned();
    let csv = format!(
        "类型,资产标签,型号,位置,保修到期,备注\n\
         desktop,IMP-001,Dell 7010,财务部,2027-06-30,好的一行\n\
         toaster,IMP-002,,,,类型不对\n\
         laptop,IMP-001,,,,重复标签\n\
         printer,IMP-003,,,2027-13-01,日期不对\n\
         laptop,{jnyy_tag},,,,别的客户的标签\n\
         printer,IMP-004,HP,前台,,=cmd|' /C calc'!A0\n"
    );
    let before = app
        .get_ok(
            &format!("/api/v1/assets?client_org_id={hdjm}&limit=1"),
            "li.qiang",
        )
        .await["total"]
        .as_i64()
        .expect("total");
    let path = |mode: &str| {
        format!("/api/v1/assets/import?client_org_id={hdjm}&mode={mode}&filename=devices.csv")
    };
    let (status, body) = raw(
        &app,
        reqwest::Method::POST,
        &path("preview"),
        "li.qiang",
        csv.clone().into_bytes(),
    )
    .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let plan: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(plan["creates"], 2, "{plan}");
    assert_eq!(plan["rejects"], 4, "{plan}");
    let reasons: Vec<String> = plan["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["reason"].as_str().map(str::to_owned))
        .collect();
    for want in [
        "asset_type",
        "appears twice",
        "warranty_end",
        "another client",
    ] {
        assert!(
            reasons.iter().any(|r| r.contains(want)),
            "a row rejected for {want}: {reasons:?}"
        );
    }
    // All or nothing: refused, and nothing is written.
    let (status, body) = raw(
        &app,
        reqwest::Method::POST,
        &path("apply"),
        "li.qiang",
        csv.clone().into_bytes(),
    )
    .await;
    assert_eq!(status, 422, "{}", String::from_utf8_lossy(&body));
    let mid = app
        .get_ok(
            &format!("/api/v1/assets?client_org_id={hdjm}&limit=1"),
            "li.qiang",
        )
        .await["total"]
        .as_i64()
        .expect("total");
    assert_eq!(mid, before, "nothing half-written");
    // The valid rows only.
    let (status, body) = raw(
        &app,
        reqwest::Method::POST,
        &path("apply_valid"),
        "li.qiang",
        csv.into_bytes(),
    )
    .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let after = app
        .get_ok(
            &format!("/api/v1/assets?client_org_id={hdjm}&limit=1"),
            "li.qiang",
        )
        .await["total"]
        .as_i64()
        .expect("total");
    assert_eq!(after, before + 2);
    // Formula-looking cells stay text in both exports.
    let (status, body) = raw(
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/assets/export?format=csv&client_org_id={hdjm}"),
        "li.qiang",
        Vec::new(),
    )
    .await;
    assert_eq!(status, 200);
    let text = String::from_utf8(body).expect("utf-8 CSV");
    assert!(text.contains(",'=cmd|' /C calc'!A0"), "escaped in CSV");
    assert!(!text.contains(",=cmd"), "never raw");
    let (status, body) = raw(
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/assets/export?format=xlsx&client_org_id={hdjm}"),
        "li.qiang",
        Vec::new(),
    )
    .await;
    assert_eq!(status, 200);
    let table = weihu_sheets::read(&body, "x.xlsx").expect("the export reads back");
    let notes = table.column(&["notes"]).expect("notes column");
    assert!(
        table.rows.iter().any(|r| r[notes] == "=cmd|' /C calc'!A0"),
        "a string cell, not a formula"
    );
    // The export imports back as updates of the same devices.
    let csv_back = weihu_sheets::write_csv(&table).expect("csv");
    let (status, body) = raw(
        &app,
        reqwest::Method::POST,
        &path("preview"),
        "li.qiang",
        csv_back,
    )
    .await;
    assert_eq!(status, 200);
    let plan: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(plan["creates"], 0, "{plan}");
    assert_eq!(plan["rejects"], 0, "{plan}");
    // Garbage is a clear 422 on the file.
    let (status, body) = raw(
        &app,
        reqwest::Method::POST,
        &path("preview"),
        "li.qiang",
        b"PK\x03\x04garbage".to_vec(),
    )
    .await;
    assert_eq!(status, 422, "{}", String::from_utf8_lossy(&body));
}

async fn scale_warranty_and_registry_confirmation(app: TestApp) {
    let hdjm = app.org_id("HDJM").await;
    // The demo registry: 35 PCs + 5 printers × 0.5 + 2 scanners × 0.5 + 4 network × 2 + 2 servers × 5
    // + 1 storage × 5 + 1 projector × 0.5 = 62.
    let s = app
        .get_ok(&format!("/api/v1/organizations/{hdjm}/scale"), "zhou.jg")
        .await;
    assert_eq!(s["scale"], "62", "{s}");
    assert_eq!(s["recommended_model"], "monthly_unlimited");
    // Warranty view: within 30 days, sorted by end.
    let w = app
        .get_ok(
            "/api/v1/assets?warranty_within_days=30&limit=500",
            "wang.fang",
        )
        .await;
    let limit = today()
        .checked_add(jiff::Span::new().days(30))
        .expect("date")
        .to_string();
    let ends: Vec<&str> = w["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|a| a["warranty_end"].as_str().expect("end"))
        .collect();
    assert!(!ends.is_empty(), "the demo has warranties ending soon");
    assert!(
        ends.iter()
            .all(|e| *e >= today().to_string().as_str() && *e <= limit.as_str()),
        "{ends:?}"
    );
    assert!(ends.windows(2).all(|p| p[0] <= p[1]), "soonest first");
    // Registry confirmation by the client admin, then a difference after a change.
    let r = app
        .post(
            &format!("/api/v1/organizations/{hdjm}/registry"),
            Some("wu.li"),
            &json!({"signer_name": "吴丽", "image_png_base64": PNG_B64}),
        )
        .await;
    assert_error("client user confirms", &r, 403, "forbidden", None);
    let (status, c) = app
        .post(
            &format!("/api/v1/organizations/{hdjm}/registry"),
            Some("zhou.jg"),
            &json!({"signer_name": "周建国", "image_png_base64": PNG_B64}),
        )
        .await;
    assert_eq!(status, 201, "{c}");
    assert_eq!(c["count"], 50);
    let d = app
        .get_ok(&format!("/api/v1/organizations/{hdjm}/registry"), "zhou.jg")
        .await;
    assert_eq!(d["added"], json!([]), "{d}");
    assert_eq!(d["changed"], json!([]));
    let (status, a) = app
        .post(
            "/api/v1/assets",
            Some("zhou.jg"),
            &json!({"asset_type": "scanner", "tag": "HDJM-NEW-1"}),
        )
        .await;
    assert_eq!(status, 201, "{a}");
    let d = app
        .get_ok(&format!("/api/v1/organizations/{hdjm}/registry"), "zhou.jg")
        .await;
    assert_eq!(d["added"][0]["tag"], "HDJM-NEW-1", "{d}");
    // Coefficients are editable: printers at 1 move the scale.
    let (status, t) = app
        .post(
            "/api/v1/asset-types",
            Some("zhao.min"),
            &json!({"code": "printer", "name": "打印机", "name_en": "Printer", "coefficient": "1", "category": "peripheral"}),
        )
        .await;
    assert_eq!(status, 200, "{t}");
    let s = app
        .get_ok(&format!("/api/v1/organizations/{hdjm}/scale"), "zhou.jg")
        .await;
    assert_eq!(
        s["scale"], "65",
        "+ 5 × 0.5 for printers, + 0.5 for the new scanner: {s}"
    );
    let r = app
        .post(
            "/api/v1/asset-types",
            Some("li.qiang"),
            &json!({"code": "printer", "name": "打印机", "name_en": "Printer", "coefficient": "9", "category": "peripheral"}),
        )
        .await;
    assert_error("engineer edits coefficients", &r, 403, "forbidden", None);
}

async fn catalog_per_client_and_quotes(app: TestApp) {
    let seen = app.get_ok("/api/v1/catalog-items", "wu.li").await;
    let codes: Vec<&str> = seen
        .as_array()
        .expect("list")
        .iter()
        .map(|i| i["code"].as_str().expect("code"))
        .collect();
    assert_eq!(
        codes,
        ["DESKTOP", "NETWORK"],
        "HDJM sees the services it uses"
    );
    let all = app.get_ok("/api/v1/catalog-items", "zhao.min").await;
    let room = all
        .as_array()
        .expect("list")
        .iter()
        .find(|i| i["code"] == "MACHINE-ROOM")
        .cloned()
        .expect("machine room");
    let r = app
        .get(
            &format!("/api/v1/catalog-items/{}", id(&room)),
            Some("wu.li"),
        )
        .await;
    assert_error("a service HDJM does not use", &r, 404, "not_found", None);
    let (status, item) = app
        .post(
            "/api/v1/catalog-items",
            Some("zhao.min"),
            &json!({"code": "TRAINING", "name": "培训", "availability_target": "99.9",
                    "client_ids": [app.org_id("HDJM").await]}),
        )
        .await;
    assert_eq!(status, 201, "{item}");
    let r = app
        .post(
            "/api/v1/catalog-items",
            Some("li.qiang"),
            &json!({"code": "X", "name": "x"}),
        )
        .await;
    assert_error("engineer edits the catalog", &r, 403, "forbidden", None);
    let r = app
        .post(
            "/api/v1/catalog-items",
            Some("zhao.min"),
            &json!({"code": "BAD", "name": "x", "availability_target": "101"}),
        )
        .await;
    assert_error(
        "availability over 100",
        &r,
        422,
        "invalid",
        Some("availability_target"),
    );

    // A quote from an inventory: 40 PCs + 2 servers = scale 50 → monthly with a cap.
    let (status, q) = app
        .post(
            "/api/v1/quotes",
            Some("liu.yang"),
            &json!({"prospect_name": "新客户科技", "inventory": {"desktop": 40, "server": 2}}),
        )
        .await;
    assert_eq!(status, 200, "{q}");
    assert_eq!(q["scale"]["scale"], "50");
    assert_eq!(q["recommended_model"], "monthly_capped");
    let capped = q["options"]
        .as_array()
        .expect("options")
        .iter()
        .find(|o| o["model"] == "monthly_capped")
        .expect("capped");
    assert_eq!(capped["monthly_price"], "3000.00");
    assert_eq!(capped["recommended"], true);
    let r = app
        .post(
            "/api/v1/quotes",
            Some("liu.yang"),
            &json!({"prospect_name": "x", "inventory": {"toaster": 3}}),
        )
        .await;
    assert_error("unknown type", &r, 422, "invalid", Some("asset_type"));
    let r = app
        .post(
            "/api/v1/quotes",
            Some("zhou.jg"),
            &json!({"prospect_name": "x", "inventory": {"desktop": 3}}),
        )
        .await;
    assert_error("client quotes", &r, 403, "forbidden", None);
}

async fn pdf_documents(app: TestApp) {
    // A resolved, signed order of this month, then its PDF and the month's bundle.
    let (status, o) = app
        .post(
            "/api/v1/orders",
            Some("wu.li"),
            &json!({"category": "peripheral", "urgency": "medium", "impact": "low",
                    "subject": "打印机卡纸 #panic(\"x\") *bold*", "description": "$x$ ] [ \\"}),
        )
        .await;
    assert_eq!(status, 201, "{o}");
    let li = app.user_id("li.qiang").await;
    let mut v = o["version"].clone();
    for (who, body) in [
        ("wang.fang", json!({"action": "assign", "assignee_id": li})),
        ("li.qiang", json!({"action": "start"})),
        (
            "li.qiang",
            json!({"action": "resolve", "resolution": "清理进纸通道"}),
        ),
    ] {
        let mut b = body.clone();
        b["version"] = v.clone();
        let (status, after) = app
            .post(
                &format!("/api/v1/orders/{}/transitions", id(&o)),
                Some(who),
                &b,
            )
            .await;
        assert_eq!(status, 200, "{after}");
        v = after["version"].clone();
    }
    let (status, sig) = app
        .post(
            &format!("/api/v1/orders/{}/signature", id(&o)),
            Some("li.qiang"),
            &json!({"signer_name": "吴丽", "image_png_base64": PNG_B64}),
        )
        .await;
    assert_eq!(status, 201, "{sig}");
    for (user, path) in [
        ("wu.li", format!("/api/v1/orders/{}/pdf", id(&o))),
        ("wang.fang", format!("/api/v1/orders/{}/pdf", id(&o))),
        (
            "zhou.jg",
            format!(
                "/api/v1/organizations/{}/orders-pdf?month={:04}-{:02}",
                app.org_id("HDJM").await,
                today().year(),
                today().month()
            ),
        ),
    ] {
        let (status, body) = raw(&app, reqwest::Method::GET, &path, user, Vec::new()).await;
        assert_eq!(
            status,
            200,
            "{user} GET {path}: {}",
            String::from_utf8_lossy(&body[..body.len().min(300)])
        );
        assert!(body.starts_with(b"%PDF-"), "{user}: a PDF");
    }
    let r = read(
        app.client
            .get(app.url(&format!("/api/v1/orders/{}/pdf", id(&o))))
            .bearer_auth(app.token("he.yun"))
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_error("another tenant's order", &r, 404, "not_found", None);
    // The demo's issued statement as PDF for the client admin.
    let st = app.get_ok("/api/v1/statements", "zhou.jg").await;
    let sid = id(&st["items"][0]);
    let (status, body) = raw(
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/statements/{sid}/pdf"),
        "zhou.jg",
        Vec::new(),
    )
    .await;
    assert_eq!(status, 200);
    assert!(body.starts_with(b"%PDF-"));
    // Labels and a quote.
    let assets = app.get_ok("/api/v1/assets?limit=30", "li.qiang").await;
    let ids: Vec<i64> = assets["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(id)
        .collect();
    let (status, body) = raw(
        &app,
        reqwest::Method::POST,
        "/api/v1/assets/labels",
        "li.qiang",
        serde_json::to_vec(&json!({"ids": ids})).expect("json"),
    )
    .await;
    assert_eq!(
        status,
        200,
        "{}",
        String::from_utf8_lossy(&body[..body.len().min(300)])
    );
    assert!(body.starts_with(b"%PDF-"));
    let (status, body) = raw(
        &app,
        reqwest::Method::POST,
        "/api/v1/quotes/pdf",
        "liu.yang",
        serde_json::to_vec(&json!({"prospect_name": "新客户", "inventory": {"desktop": 12}}))
            .expect("json"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(body.starts_with(b"%PDF-"));
}
