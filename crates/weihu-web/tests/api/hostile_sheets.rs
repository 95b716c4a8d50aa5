//! Issue #11 (hardening II), spreadsheets: a hostile workbook never takes the server down, a
//! user who may not import never makes the server parse a file, and asset tags never tell a
//! client what another client holds.

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, read};

both_backends!(
    sparse_workbook_refused_before_parsing_and_by_the_limits,
    client_tags_never_reveal_another_client,
);

/// A real Excel file (rust_xlsxwriter) whose only sheet has cells at A1 and XFD1048576: read
/// as a `Range`, calamine allocates the whole 16 384 × 1 048 576 grid (512 GiB) and the
/// process aborts.
fn sparse_workbook() -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let sheet = wb.add_worksheet();
    sheet.write_string(0, 0, "type").expect("A1");
    sheet
        .write_string(1_048_575, 16_383, "desktop")
        .expect("XFD1048576");
    wb.save_to_buffer().expect("an xlsx")
}

async fn upload(app: &TestApp, user: &str, path: &str, body: Vec<u8>) -> (u16, Value) {
    let resp = app
        .client
        .post(app.url(path))
        .bearer_auth(app.token(user))
        .header("content-type", "application/octet-stream")
        .body(body)
        .send()
        .await
        .expect("request");
    read(resp).await
}

/// `(VmRSS, VmHWM)` of this process in KiB: the server runs in the test's process.
fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

async fn sparse_workbook_refused_before_parsing_and_by_the_limits(app: TestApp) {
    let hdjm = app.org_id("HDJM").await;
    let bomb = sparse_workbook();
    eprintln!("sparse workbook: {} bytes", bomb.len());
    let path = format!("/api/v1/assets/import?client_org_id={hdjm}&filename=a.xlsx");
    let before = memory_kib();

    // A client user may not import: refused before the file is parsed (a file that does not
    // parse at all gets the same 403, not a 422 about the file).
    let r = upload(&app, "wu.li", &path, bomb.clone()).await;
    assert_error("client user, sparse workbook", &r, 403, "forbidden", None);
    let r = upload(&app, "wu.li", &path, b"PK\x03\x04not a zip".to_vec()).await;
    assert_error("client user, broken file", &r, 403, "forbidden", None);
    // Staff: parsed, and refused by the limit on cell positions, named in the message.
    let r = upload(&app, "li.qiang", &path, bomb.clone()).await;
    assert_error("staff, sparse workbook", &r, 422, "invalid", Some("file"));
    let message = r.1["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("XFD1048576") && message.contains("64 columns"),
        "the message names the cell and the limit: {message}"
    );
    // The client admin of the same client: the same refusal, for their own organisation.
    let r = upload(&app, "zhou.jg", &path, bomb).await;
    assert_error(
        "client admin, sparse workbook",
        &r,
        422,
        "invalid",
        Some("file"),
    );

    let after = memory_kib();
    eprintln!(
        "memory: VmRSS {} → {} KiB, VmHWM (peak) {} → {} KiB",
        before.0, after.0, before.1, after.1
    );
    assert!(
        after.1 < before.1 + 256 * 1024,
        "the peak grew by less than 256 MiB: {before:?} → {after:?}"
    );
    // Still answering, and an ordinary import still works.
    let (status, _) = app.get("/healthz", None).await;
    assert_eq!(status, 200);
    let csv = "类型,型号\ndesktop,Dell 7010\n".as_bytes().to_vec();
    let (status, plan) = upload(
        &app,
        "li.qiang",
        &format!("/api/v1/assets/import?client_org_id={hdjm}&filename=a.csv"),
        csv,
    )
    .await;
    assert_eq!(status, 200, "{plan}");
    assert_eq!(plan["creates"], 1, "{plan}");
}

/// The reason of the preview row on `line`.
fn reason(plan: &Value, line: i64) -> String {
    plan["rows"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["line"] == line))
        .and_then(|r| r["reason"].as_str())
        .unwrap_or_default()
        .to_owned()
}

async fn client_tags_never_reveal_another_client(app: TestApp) {
    let hdjm = app.org_id("HDJM").await;
    let jnyy = app.org_id("JNYY").await;
    let jnyy_name = app
        .get_ok(&format!("/api/v1/organizations/{jnyy}"), "li.qiang")
        .await["name"]
        .as_str()
        .expect("a name")
        .to_owned();
    let taken = app
        .get_ok(
            &format!("/api/v1/assets?client_org_id={jnyy}&limit=1"),
            "li.qiang",
        )
        .await["items"][0]["tag"]
        .as_str()
        .expect("a JNYY tag")
        .to_owned();
    let free = "JNYY-LAPTOP-9999";
    // The same refusal for another client's tag and for a free tag under its prefix.
    let normalised = |r: &(u16, Value), tag: &str| {
        assert_error(
            "a tag the client may not give",
            r,
            422,
            "invalid",
            Some("tag"),
        );
        let m = r.1["error"]["message"].as_str().unwrap_or_default();
        assert!(
            !m.contains("another client") && !m.contains(&jnyy_name),
            "never names or confirms another client: {m}"
        );
        m.replace(tag, "<tag>")
    };
    let on_taken = app
        .post(
            "/api/v1/assets",
            Some("zhou.jg"),
            &json!({"asset_type": "laptop", "tag": taken}),
        )
        .await;
    let on_free = app
        .post(
            "/api/v1/assets",
            Some("zhou.jg"),
            &json!({"asset_type": "laptop", "tag": free}),
        )
        .await;
    let m_taken = normalised(&on_taken, &taken);
    assert_eq!(m_taken, normalised(&on_free, free));
    assert!(
        m_taken.contains("HDJM-"),
        "names the client's own prefix: {m_taken}"
    );
    // Their own prefix works; changing an asset's tag follows the same rule.
    let (status, own) = app
        .post(
            "/api/v1/assets",
            Some("zhou.jg"),
            &json!({"asset_type": "laptop", "tag": "HDJM-LAPTOP-0900"}),
        )
        .await;
    assert_eq!(status, 201, "{own}");
    let id = own["id"].as_i64().expect("an id");
    let r = app
        .patch(
            &format!("/api/v1/assets/{id}"),
            Some("zhou.jg"),
            &json!({"version": own["version"], "tag": taken}),
        )
        .await;
    assert_eq!(normalised(&r, &taken), m_taken);
    let r = app
        .patch(
            &format!("/api/v1/assets/{id}"),
            Some("zhou.jg"),
            &json!({"version": own["version"], "tag": free}),
        )
        .await;
    assert_eq!(normalised(&r, free), m_taken);
    // The import preview: the same reason for both, own tags update, own prefix creates.
    let csv = format!(
        "类型,资产标签\nlaptop,{taken}\nlaptop,{free}\nlaptop,HDJM-LAPTOP-0900\nlaptop,HDJM-LAPTOP-0901\n"
    );
    let (status, plan) = upload(
        &app,
        "zhou.jg",
        "/api/v1/assets/import?filename=a.csv",
        csv.into_bytes(),
    )
    .await;
    assert_eq!(status, 200, "{plan}");
    let (r2, r3) = (reason(&plan, 2), reason(&plan, 3));
    assert!(
        !r2.is_empty() && !r2.contains("another client") && !r2.contains(&jnyy_name),
        "{plan}"
    );
    assert_eq!(
        r2.replace(&taken, "<tag>"),
        r3.replace(free, "<tag>"),
        "{plan}"
    );
    assert_eq!(plan["rows"][2]["action"], "update", "{plan}");
    assert_eq!(plan["rows"][3]["action"], "create", "{plan}");
    // Provider staff still give any tag, and learn which client holds one.
    let (status, staff) = upload(
        &app,
        "li.qiang",
        &format!("/api/v1/assets/import?client_org_id={hdjm}&filename=a.csv"),
        format!("类型,资产标签\nlaptop,{taken}\nlaptop,{free}\n").into_bytes(),
    )
    .await;
    assert_eq!(status, 200, "{staff}");
    assert!(reason(&staff, 2).contains("another client"), "{staff}");
    assert_eq!(staff["rows"][1]["action"], "create", "{staff}");
}
