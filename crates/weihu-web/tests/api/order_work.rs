//! Work on an order over HTTP (SPEC §5): spare parts with the client admin's approval and the
//! paused resolution clock, on-site visits with the arrival clock, multipart attachments with
//! sniffed types and safe download headers, the drawn signature, and the client's rating.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, page_html, post_form, read};

both_backends!(
    parts_need_the_client_admins_approval,
    visits_and_the_arrival_clock,
    attachments_over_multipart,
    signature_of_a_resolved_order,
    rating_after_resolution,
    the_client_signs_and_closes_in_one_step,
);

// ---- helpers ----------------------------------------------------------------------------

/// A real 1×1 PNG.
const PNG_B64: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

pub(crate) fn png() -> Vec<u8> {
    STANDARD
        .decode(PNG_B64)
        .expect("the PNG constant is base64")
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("an id: {v}"))
}

/// An HDJM order reported by wu.li, assigned to li.qiang and started: in_progress.
async fn order_in_progress(app: &TestApp, subject: &str) -> Value {
    let (status, o) = app
        .post(
            "/api/v1/orders",
            Some("wu.li"),
            &json!({"category": "hardware", "urgency": "high", "impact": "medium",
                    "subject": subject, "description": "集成测试 / integration test"}),
        )
        .await;
    assert_eq!(status, 201, "create: {o}");
    let li = app.user_id("li.qiang").await;
    let o = mv(app, "wang.fang", &o, "assign", json!({"assignee_id": li})).await;
    let o = mv(app, "li.qiang", &o, "start", json!({})).await;
    assert_eq!(o["state"], "in_progress", "{o}");
    o
}

/// A transition that must answer 200, with the version read fresh.
async fn mv(app: &TestApp, user: &str, order: &Value, action: &str, extra: Value) -> Value {
    let fresh = order_now(app, user, id(order)).await;
    let mut body = json!({"action": action, "version": fresh["version"]});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let (status, after) = app
        .post(
            &format!("/api/v1/orders/{}/transitions", id(order)),
            Some(user),
            &body,
        )
        .await;
    assert_eq!(status, 200, "{action} by {user}: {after}");
    after
}

async fn order_now(app: &TestApp, user: &str, order_id: i64) -> Value {
    app.get_ok(&format!("/api/v1/orders/{order_id}"), user)
        .await
}

async fn resolve(app: &TestApp, order: &Value) -> Value {
    let o = mv(
        app,
        "li.qiang",
        order,
        "resolve",
        json!({"resolution": "更换硬盘，测试正常。"}),
    )
    .await;
    assert_eq!(o["state"], "resolved", "{o}");
    o
}

#[track_caller]
fn clock<'a>(order: &'a Value, kind: &str) -> Option<&'a Value> {
    order["clocks"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["kind"] == kind))
}

pub(crate) const BOUNDARY: &str = "----weihu-test-boundary-7MA4YWxkTrZu0gW";

/// A multipart body with a `file` part and optionally a `public` part.
pub(crate) fn multipart(
    filename: &str,
    content_type: &str,
    data: &[u8],
    public: Option<&str>,
) -> Vec<u8> {
    let mut b = Vec::new();
    if let Some(p) = public {
        b.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"public\"\r\n\r\n{p}\r\n"
            )
            .as_bytes(),
        );
    }
    b.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n\
             Content-Type: {content_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    b.extend_from_slice(data);
    b.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    b
}

async fn upload(app: &TestApp, user: &str, order_id: i64, body: Vec<u8>) -> (u16, Value) {
    match try_upload(app, user, order_id, body).await {
        Ok(r) => r,
        Err(e) => panic!("upload as {user}: {e}"),
    }
}

/// An upload on its own connection (`Connection: close`): a server that refuses a large body
/// answers early and closes, which must not break the next request on a pooled connection.
async fn try_upload(
    app: &TestApp,
    user: &str,
    order_id: i64,
    body: Vec<u8>,
) -> Result<(u16, Value), reqwest::Error> {
    let resp = app
        .client
        .post(app.url(&format!("/api/v1/orders/{order_id}/attachments")))
        .bearer_auth(app.token(user))
        .header(
            reqwest::header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .header(reqwest::header::CONNECTION, "close")
        .body(body)
        .send()
        .await?;
    Ok(read(resp).await)
}

/// GET raw: status, headers, bytes.
async fn get_raw(
    app: &TestApp,
    user: &str,
    path: &str,
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let resp = app
        .client
        .get(app.url(path))
        .bearer_auth(app.token(user))
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.expect("body").to_vec();
    (status, headers, bytes)
}

fn header<'a>(h: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

// ---- parts ------------------------------------------------------------------------------

async fn parts_need_the_client_admins_approval(app: TestApp) {
    let o = order_in_progress(&app, "服务器硬盘故障").await;
    let oid = id(&o);
    let parts = format!("/api/v1/orders/{oid}/parts");

    let r = app
        .post(
            &parts,
            Some("li.qiang"),
            &json!({"name": "企业级硬盘", "model": "ST4000", "quantity": 1,
                    "unit_price": "1500.00", "authorized_price": "1350.00"}),
        )
        .await;
    assert_error(
        "a part above the authorized price",
        &r,
        422,
        "invalid",
        Some("unit_price"),
    );
    let still = order_now(&app, "li.qiang", oid).await;
    assert_eq!(
        still["state"], "in_progress",
        "a refused part changes nothing"
    );

    let (status, part) = app
        .post(
            &parts,
            Some("li.qiang"),
            &json!({"name": "企业级硬盘", "model": "ST4000", "quantity": 1,
                    "unit_price": "1200.00", "authorized_price": "1350.00"}),
        )
        .await;
    assert_eq!(status, 201, "{part}");
    assert_eq!(part["state"], "proposed", "{part}");
    assert_eq!(part["unit_price"], "1200.00", "{part}");
    assert_eq!(part["client_supplied"], false, "{part}");
    let pid = id(&part);
    let waiting = order_now(&app, "li.qiang", oid).await;
    assert_eq!(waiting["state"], "waiting_client", "{waiting}");
    let res = clock(&waiting, "resolution").expect("a resolution clock");
    assert_eq!(res["state"], "paused", "{res}");

    let decision = format!("/api/v1/orders/{oid}/parts/{pid}/decision");
    for user in ["li.qiang", "wu.li", "wang.fang"] {
        let r = app
            .post(&decision, Some(user), &json!({"approve": true}))
            .await;
        assert_error(&format!("{user} approves"), &r, 403, "forbidden", None);
    }
    let r = app
        .post(&decision, Some("qian.min"), &json!({"approve": true}))
        .await;
    assert_error("another tenant's admin decides", &r, 404, "not_found", None);
    let r = app.get(&parts, Some("qian.min")).await;
    assert_error("another tenant lists the parts", &r, 404, "not_found", None);

    let (status, approved) = app
        .post(&decision, Some("zhou.jg"), &json!({"approve": true}))
        .await;
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["state"], "approved", "{approved}");
    assert!(approved["decided_at"].is_string(), "{approved}");
    let back = order_now(&app, "li.qiang", oid).await;
    assert_eq!(back["state"], "in_progress", "{back}");
    let res = clock(&back, "resolution").expect("a resolution clock");
    assert_eq!(res["state"], "running", "{res}");

    let r = app
        .post(&decision, Some("zhou.jg"), &json!({"approve": false}))
        .await;
    assert_error("deciding twice", &r, 422, "invalid", Some("approve"));

    let install = format!("/api/v1/orders/{oid}/parts/{pid}/install");
    let r = app.post(&install, Some("zhou.jg"), &json!({})).await;
    assert_error("the client installs", &r, 403, "forbidden", None);
    let (status, installed) = app.post(&install, Some("li.qiang"), &json!({})).await;
    assert_eq!(status, 200, "{installed}");
    assert_eq!(installed["state"], "installed", "{installed}");
    assert!(installed["installed_at"].is_string(), "{installed}");
    let r = app.post(&install, Some("li.qiang"), &json!({})).await;
    assert_error("installing twice", &r, 422, "invalid", Some("state"));

    // A client-supplied part costs nothing and needs no approval.
    let (status, own) = app
        .post(
            &parts,
            Some("li.qiang"),
            &json!({"name": "内存条", "quantity": 2, "unit_price": "300.00",
                    "client_supplied": true}),
        )
        .await;
    assert_eq!(status, 201, "{own}");
    assert_eq!(own["state"], "approved", "{own}");
    assert_eq!(own["unit_price"], "0.00", "{own}");
    assert_eq!(own["client_supplied"], true, "{own}");
    let after = order_now(&app, "li.qiang", oid).await;
    assert_eq!(
        after["state"], "in_progress",
        "a client-supplied part does not wait: {after}"
    );

    let listed = app.get_ok(&parts, "zhou.jg").await;
    let states: Vec<&str> = listed
        .as_array()
        .expect("a list")
        .iter()
        .map(|p| p["state"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(states, ["installed", "approved"], "{listed}");
}

// ---- visits -----------------------------------------------------------------------------

async fn visits_and_the_arrival_clock(app: TestApp) {
    let o = order_in_progress(&app, "打印机上门维修").await;
    let oid = id(&o);
    assert!(
        clock(&o, "arrival").is_none(),
        "no arrival clock before a visit is decided: {o}"
    );
    let visits = format!("/api/v1/orders/{oid}/visits");

    let r = app.post(&visits, Some("wu.li"), &json!({})).await;
    assert_error("the client decides a visit", &r, 403, "forbidden", None);

    let (status, v1) = app
        .post(&visits, Some("li.qiang"), &json!({"travel_fee": "30"}))
        .await;
    assert_eq!(status, 201, "{v1}");
    assert_eq!(v1["kind"], "regular", "{v1}");
    assert_eq!(v1["engineer_name"], "李强", "{v1}");
    assert_eq!(v1["check_in_at"], Value::Null, "{v1}");
    let with_visit = order_now(&app, "li.qiang", oid).await;
    let arrival = clock(&with_visit, "arrival")
        .unwrap_or_else(|| panic!("deciding a visit starts the arrival clock: {with_visit}"));
    assert_eq!(arrival["stopped_at"], Value::Null, "{arrival}");
    assert_eq!(arrival["state"], "running", "{arrival}");

    let (status, v2) = app.post(&visits, Some("li.qiang"), &json!({})).await;
    assert_eq!(status, 201, "{v2}");
    assert_eq!(
        v2["kind"], "repeat",
        "a second visit defaults to repeat: {v2}"
    );

    let r = app
        .post(&visits, Some("li.qiang"), &json!({"kind": "picnic"}))
        .await;
    assert_error("an unknown kind", &r, 422, "invalid", Some("kind"));

    let check_in = format!("/api/v1/orders/{oid}/visits/{}/check-in", id(&v1));
    let (status, v1in) = app.post(&check_in, Some("li.qiang"), &json!({})).await;
    assert_eq!(status, 200, "{v1in}");
    assert!(v1in["check_in_at"].is_string(), "{v1in}");
    let arrived = order_now(&app, "li.qiang", oid).await;
    let arrival = clock(&arrived, "arrival").expect("the arrival clock");
    assert!(
        arrival["stopped_at"].is_string(),
        "check-in stops the arrival clock: {arrival}"
    );

    let r = app.post(&check_in, Some("li.qiang"), &json!({})).await;
    assert_error("check-in twice", &r, 422, "invalid", Some("check_in"));

    let early_out = format!("/api/v1/orders/{oid}/visits/{}/check-out", id(&v2));
    let r = app.post(&early_out, Some("li.qiang"), &json!({})).await;
    assert_error(
        "check-out before check-in",
        &r,
        422,
        "invalid",
        Some("check_out"),
    );

    let out = format!("/api/v1/orders/{oid}/visits/{}/check-out", id(&v1));
    let (status, v1out) = app.post(&out, Some("li.qiang"), &json!({})).await;
    assert_eq!(status, 200, "{v1out}");
    assert!(v1out["check_out_at"].is_string(), "{v1out}");

    let r = app.get(&visits, Some("qian.min")).await;
    assert_error("another tenant's visits", &r, 404, "not_found", None);
    let listed = app.get_ok(&visits, "wu.li").await;
    assert_eq!(listed.as_array().map(Vec::len), Some(2), "{listed}");
}

// ---- attachments ------------------------------------------------------------------------

async fn attachments_over_multipart(app: TestApp) {
    let o = order_in_progress(&app, "现场照片").await;
    let oid = id(&o);
    let list = format!("/api/v1/orders/{oid}/attachments");

    let (status, img) = upload(
        &app,
        "wu.li",
        oid,
        multipart("../../a.png", "image/png", &png(), None),
    )
    .await;
    assert_eq!(status, 201, "{img}");
    assert_eq!(img["content_type"], "image/png", "{img}");
    assert_eq!(img["filename"], "a.png", "the path is cut off: {img}");
    assert_eq!(img["size"], png().len(), "{img}");
    assert_eq!(img["public"], true, "{img}");
    // The page gives a small file its size in bytes, never "0 KB".
    let page = crate::helpers::signed_in(&app, "wu.li")
        .await
        .get(app.url(&format!("/orders/{oid}")))
        .send()
        .await
        .expect("the order page")
        .text()
        .await
        .expect("body");
    assert!(
        page.contains(&format!("{} B", png().len())) && !page.contains("0 KB"),
        "the attachment's size on the page"
    );

    let r = upload(
        &app,
        "wu.li",
        oid,
        multipart(
            "fake.png",
            "image/png",
            "这不是图片 / not an image".as_bytes(),
            None,
        ),
    )
    .await;
    assert_error("text declared image/png", &r, 422, "invalid", Some("file"));

    let r = upload(
        &app,
        "wu.li",
        oid,
        multipart(
            "exe.bin",
            "application/octet-stream",
            b"MZ\x90\x00\x03\x00\x00",
            None,
        ),
    )
    .await;
    assert_error("an executable", &r, 422, "invalid", Some("file"));

    let mut big = png();
    big.resize(11 * 1024 * 1024, 0);
    // Refused with 413/422, or the server closes the connection before the body is all sent.
    if let Ok((status, body)) = try_upload(
        &app,
        "wu.li",
        oid,
        multipart("big.png", "image/png", &big, None),
    )
    .await
    {
        assert!(
            status == 413 || status == 422,
            "an 11 MB upload: {status} {body}"
        );
    }
    let (_, listed) = app
        .get(&format!("/api/v1/orders/{oid}/attachments"), Some("wu.li"))
        .await;
    assert!(
        !listed.to_string().contains("big.png"),
        "nothing of the 11 MB upload is stored: {listed}"
    );

    // Internal attachment by staff: hidden from the client.
    let (status, internal) = upload(
        &app,
        "li.qiang",
        oid,
        multipart(
            "log.txt",
            "text/plain",
            "2026-11-25 ERROR disk".as_bytes(),
            Some("0"),
        ),
    )
    .await;
    assert_eq!(status, 201, "{internal}");
    assert_eq!(internal["public"], false, "{internal}");
    assert_eq!(internal["content_type"], "text/plain", "{internal}");
    let staff = app.get_ok(&list, "li.qiang").await;
    assert_eq!(staff.as_array().map(Vec::len), Some(2), "{staff}");
    let client = app.get_ok(&list, "wu.li").await;
    let ids: Vec<i64> = client.as_array().expect("a list").iter().map(id).collect();
    assert_eq!(
        ids,
        [id(&img)],
        "the client sees public ones only: {client}"
    );
    let r = app
        .get(&format!("{list}/{}", id(&internal)), Some("wu.li"))
        .await;
    assert_error(
        "the client downloads an internal file",
        &r,
        404,
        "not_found",
        None,
    );
    let r = app.get(&list, Some("qian.min")).await;
    assert_error("another tenant lists", &r, 404, "not_found", None);
    let r = app
        .get(&format!("{list}/{}", id(&img)), Some("qian.min"))
        .await;
    assert_error("another tenant downloads", &r, 404, "not_found", None);
    let r = upload(
        &app,
        "qian.min",
        oid,
        multipart("a.png", "image/png", &png(), None),
    )
    .await;
    assert_error("another tenant uploads", &r, 404, "not_found", None);

    // Downloads: images inline, everything else as attachment; never sniffed by the browser.
    let (status, h, bytes) = get_raw(&app, "wu.li", &format!("{list}/{}", id(&img))).await;
    assert_eq!(status, 200);
    assert_eq!(bytes, png(), "the same bytes come back");
    assert_eq!(header(&h, "content-type"), "image/png");
    assert_eq!(header(&h, "x-content-type-options"), "nosniff");
    assert!(
        header(&h, "content-disposition").starts_with("inline"),
        "{:?}",
        h.get("content-disposition")
    );

    let pdf = b"%PDF-1.4\n%test\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec();
    let zip = b"PK\x03\x04\x14\x00\x00\x00\x00\x00rest-of-zip".to_vec();
    for (name, ct, data) in [
        ("report.pdf", "application/pdf", pdf),
        ("logs.zip", "application/zip", zip),
        ("notes.txt", "text/plain", "日志 log".as_bytes().to_vec()),
    ] {
        let (status, a) = upload(&app, "wu.li", oid, multipart(name, ct, &data, None)).await;
        assert_eq!(status, 201, "{name}: {a}");
        assert_eq!(a["content_type"], ct, "{a}");
        let (status, h, bytes) = get_raw(&app, "wu.li", &format!("{list}/{}", id(&a))).await;
        assert_eq!(status, 200, "{name}");
        assert_eq!(bytes, data, "{name}");
        assert!(
            header(&h, "content-type").starts_with(ct),
            "{name}: {:?}",
            h.get("content-type")
        );
        assert_eq!(header(&h, "x-content-type-options"), "nosniff", "{name}");
        let cd = header(&h, "content-disposition");
        assert!(cd.starts_with("attachment"), "{name}: {cd}");
        assert!(cd.contains(name), "{name}: {cd}");
    }
}

// ---- signature --------------------------------------------------------------------------

async fn signature_of_a_resolved_order(app: TestApp) {
    let o = order_in_progress(&app, "签字确认").await;
    let oid = id(&o);
    let sig = format!("/api/v1/orders/{oid}/signature");

    let r = app
        .post(
            &sig,
            Some("li.qiang"),
            &json!({"signer_name": "吴丽", "image_png_base64": PNG_B64}),
        )
        .await;
    assert_error("signing an unresolved order", &r, 422, "invalid", None);
    let r = app.get(&sig, Some("wu.li")).await;
    assert_error("an unsigned order", &r, 404, "not_found", None);

    let o = resolve(&app, &o).await;

    let r = app
        .post(
            &sig,
            Some("li.qiang"),
            &json!({"signer_name": "吴丽",
                    "image_png_base64": STANDARD.encode(b"GIF89a not a png at all")}),
        )
        .await;
    assert_error("a GIF as signature", &r, 422, "invalid", Some("image"));
    // A 1×1 PNG whose header claims 65535 × 65535 pixels: whoever decodes it would allocate 16 GB.
    let mut bomb = png();
    bomb[16..24].copy_from_slice(&[0, 0, 0xff, 0xff, 0, 0, 0xff, 0xff]);
    let r = app
        .post(
            &sig,
            Some("li.qiang"),
            &json!({"signer_name": "吴丽", "image_png_base64": STANDARD.encode(&bomb)}),
        )
        .await;
    assert_error(
        "a signature declaring 65535 × 65535",
        &r,
        422,
        "invalid",
        Some("image"),
    );
    let r = app
        .post(
            &sig,
            Some("li.qiang"),
            &json!({"signer_name": "吴丽", "image_png_base64": "%%% not base64 %%%"}),
        )
        .await;
    assert_error("not base64", &r, 422, "invalid", None);
    let r = app
        .post(
            &sig,
            Some("li.qiang"),
            &json!({"signer_name": "  ", "image_png_base64": PNG_B64}),
        )
        .await;
    assert_error("no signer", &r, 422, "invalid", Some("signer_name"));
    let r = app
        .post(
            &sig,
            Some("qian.min"),
            &json!({"signer_name": "钱敏", "image_png_base64": PNG_B64}),
        )
        .await;
    assert_error("another tenant signs", &r, 404, "not_found", None);

    // Without the data-URL prefix, collected by the engineer.
    let (status, s1) = app
        .post(
            &sig,
            Some("li.qiang"),
            &json!({"signer_name": "吴丽", "image_png_base64": PNG_B64}),
        )
        .await;
    assert_eq!(status, 201, "{s1}");
    assert_eq!(s1["signer_name"], "吴丽", "{s1}");
    assert!(s1["signed_at"].is_string(), "{s1}");
    assert_eq!(
        s1["collected_by"].as_i64(),
        Some(app.user_id("li.qiang").await),
        "{s1}"
    );

    // With the prefix, by the client: the latest one counts.
    let (status, s2) = app
        .post(
            &sig,
            Some("wu.li"),
            &json!({"signer_name": "周建国",
                    "image_png_base64": format!("data:image/png;base64,{PNG_B64}")}),
        )
        .await;
    assert_eq!(status, 201, "{s2}");
    let got = app.get_ok(&sig, "wu.li").await;
    assert_eq!(got["signer_name"], "周建国", "{got}");
    assert!(got["signed_at"].is_string(), "{got}");
    let staff_view = app.get_ok(&sig, "li.qiang").await;
    assert_eq!(staff_view["signer_name"], "周建国", "{staff_view}");

    let (status, h, bytes) = get_raw(&app, "wu.li", &format!("{sig}/image")).await;
    assert_eq!(status, 200);
    assert_eq!(header(&h, "content-type"), "image/png");
    assert_eq!(bytes, png(), "the stored PNG comes back byte for byte");

    let r = app.get(&sig, Some("qian.min")).await;
    assert_error("another tenant reads", &r, 404, "not_found", None);
    let r = app.get(&format!("{sig}/image"), Some("qian.min")).await;
    assert_error("another tenant's image", &r, 404, "not_found", None);
    assert_eq!(order_now(&app, "wu.li", id(&o)).await["state"], "resolved");
}

// ---- rating -----------------------------------------------------------------------------

async fn rating_after_resolution(app: TestApp) {
    let o = order_in_progress(&app, "评价测试").await;
    let oid = id(&o);
    let rating = format!("/api/v1/orders/{oid}/rating");

    let r = app.post(&rating, Some("wu.li"), &json!({"score": 5})).await;
    assert_error("rating before resolution", &r, 422, "invalid", None);

    resolve(&app, &o).await;

    let r = app.post(&rating, Some("wu.li"), &json!({"score": 0})).await;
    assert_error("score 0", &r, 422, "invalid", Some("score"));
    let r = app.post(&rating, Some("wu.li"), &json!({"score": 6})).await;
    assert_error("score 6", &r, 422, "invalid", Some("score"));
    let r = app
        .post(&rating, Some("wang.fang"), &json!({"score": 5}))
        .await;
    assert_error("the desk rates", &r, 403, "forbidden", None);
    let r = app
        .post(&rating, Some("li.qiang"), &json!({"score": 5}))
        .await;
    assert_error("the engineer rates", &r, 403, "forbidden", None);
    let r = app
        .post(&rating, Some("sun.hao"), &json!({"score": 5}))
        .await;
    assert!(
        r.0 == 403 || r.0 == 404,
        "another user of the same client rates someone else's order: {r:?}"
    );
    let r = app
        .post(&rating, Some("qian.min"), &json!({"score": 5}))
        .await;
    assert_error("another tenant rates", &r, 404, "not_found", None);

    let (status, rated) = app
        .post(
            &rating,
            Some("wu.li"),
            &json!({"score": 5, "comment": "很满意"}),
        )
        .await;
    assert_eq!(status, 200, "{rated}");
    assert_eq!(rated["rating"], 5, "{rated}");
    assert_eq!(rated["rating_comment"], "很满意", "{rated}");
    let got = order_now(&app, "zhou.jg", oid).await;
    assert_eq!(got["rating"], 5, "{got}");
    // Given once: a second rating is refused and the page no longer offers the form.
    let r = app.post(&rating, Some("wu.li"), &json!({"score": 1})).await;
    assert_error("a second rating", &r, 422, "invalid", Some("score"));
    assert!(
        got["actions"]
            .as_array()
            .is_none_or(|a| a.iter().all(|x| x != "rate")),
        "{got}"
    );
}

/// Issue #13: on the page, the client's signature also confirms and closes the order (the box is
/// ticked by default and offered only to who may close); the engineer's signature on site does
/// not close it.
async fn the_client_signs_and_closes_in_one_step(app: TestApp) {
    let o = order_in_progress(&app, "签字即关闭 sign and close").await;
    let o = resolve(&app, &o).await;
    let oid = id(&o);
    let page = format!("/orders/{oid}");
    let engineer = crate::helpers::signed_in(&app, "li.qiang").await;
    let html = page_html(&engineer, &app, &page).await;
    assert!(
        !html.contains(r#"data-testid="sign-close""#),
        "the engineer does not close"
    );
    let client = crate::helpers::signed_in(&app, "wu.li").await;
    let html = page_html(&client, &app, &page).await;
    assert!(
        html.contains(r#"data-testid="sign-close""#),
        "the client confirms with the signature"
    );
    let image = format!("data:image/png;base64,{PNG_B64}");
    let csrf = crate::helpers::form_csrf(&html);
    let (status, to) = post_form(
        &client,
        &app,
        &format!("{page}/work/sign"),
        &[
            ("csrf", csrf.as_str()),
            ("signer_name", "吴丽"),
            ("image", image.as_str()),
            ("close", "1"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert!(to.ends_with("?ok=1#signature"), "{to}");
    let got = order_now(&app, "wu.li", oid).await;
    assert_eq!(got["state"], "closed", "signed and closed: {got}");
}
