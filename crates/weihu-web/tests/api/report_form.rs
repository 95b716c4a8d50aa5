//! The fault report form keeps what was typed when it is refused and says what is wrong next to
//! the field (issue #13); its length limits are in the HTML too.

use crate::helpers::{TestApp, form_csrf, page_html, post_form, signed_in};

both_backends!(
    a_refused_report_keeps_what_was_typed,
    the_client_admin_picks_a_device_and_sees_the_number,
    a_report_carries_its_files_or_is_refused_whole
);

const BOUNDARY: &str = "weihu-report-boundary";

/// A multipart report form: the text fields, then each file as a `file` part.
fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for (filename, content_type, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n\
                 Content-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn post_report(
    browser: &reqwest::Client,
    app: &TestApp,
    body: Vec<u8>,
) -> (u16, String, String) {
    let resp = browser
        .post(app.url("/orders"))
        .header("origin", app.base.as_str())
        .header(
            reqwest::header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await
        .expect("post the report");
    let status = resp.status().as_u16();
    let to = resp
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (status, to, resp.text().await.unwrap_or_default())
}

/// The report form takes photos and files with the report (issue #13). Every file is checked
/// before the order is written: a file that lies about its type, or one file too many, refuses
/// the whole report, keeps what was typed and writes nothing.
async fn a_report_carries_its_files_or_is_refused_whole(app: TestApp) {
    let wu = signed_in(&app, "wu.li").await;
    let form = page_html(&wu, &app, "/orders/new").await;
    assert!(form.contains(r#"enctype="multipart/form-data""#));
    let csrf = form_csrf(&form);
    let fields = [
        ("csrf", csrf.as_str()),
        ("subject", "复印机卡纸"),
        ("description", "三楼复印机每印三页卡一次。"),
        ("category", "peripheral"),
        ("urgency", "medium"),
        ("impact", "low"),
    ];
    let png: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
    let total = |v: &serde_json::Value| v["total"].as_i64().expect("a total");
    let before = total(&app.get_ok("/api/v1/orders?limit=1", "wu.li").await);

    // A file that is not what it says: refused next to the files, nothing written.
    let (status, _, html) = post_report(
        &wu,
        &app,
        multipart(&fields, &[("scan.png", "image/png", b"\0\x01\x02garbage")]),
    )
    .await;
    assert_eq!(status, 422, "{}", &html[..html.len().min(400)]);
    assert!(
        html.contains(r#"data-error-for="file""#),
        "the refusal is at the files"
    );
    assert!(
        html.contains(r#"value="复印机卡纸""#),
        "the subject is kept"
    );
    // Six files: one past the limit.
    let six: Vec<(&str, &str, &[u8])> = (0..6).map(|_| ("p.png", "image/png", png)).collect();
    let (status, _, html) = post_report(&wu, &app, multipart(&fields, &six)).await;
    assert_eq!(status, 422);
    assert!(
        html.contains("最多 5 个文件"),
        "said in the user's language"
    );
    assert_eq!(
        total(&app.get_ok("/api/v1/orders?limit=1", "wu.li").await),
        before,
        "no order was written"
    );

    // A photo and a log: the order is written with both, public.
    let (status, to, _) = post_report(
        &wu,
        &app,
        multipart(
            &fields,
            &[
                ("故障.png", "image/png", png),
                ("log.txt", "text/plain", b"2026-12-01 jam\n"),
            ],
        ),
    )
    .await;
    assert_eq!(status, 303);
    let id = to
        .trim_start_matches("/orders/")
        .split('?')
        .next()
        .unwrap_or("")
        .to_owned();
    let files = app
        .get_ok(&format!("/api/v1/orders/{id}/attachments"), "wu.li")
        .await;
    let names: Vec<&str> = files
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|f| f["filename"].as_str())
        .collect();
    assert_eq!(names.len(), 2, "{files}");
    assert!(names.contains(&"故障.png") && names.contains(&"log.txt"));
    assert!(
        files
            .as_array()
            .expect("a list")
            .iter()
            .all(|f| f["public"] == true)
    );
}

/// The client's administrator picks the device from the client's own registry in the report
/// form, and the confirmation names the new order's number.
async fn the_client_admin_picks_a_device_and_sees_the_number(app: TestApp) {
    let admin = signed_in(&app, "zhou.jg").await;
    let form = page_html(&admin, &app, "/orders/new").await;
    assert!(
        form.contains(r#"data-testid="report-device""#),
        "the registry is offered"
    );
    let (status, assets) = app.get("/api/v1/assets?limit=500", Some("wang.fang")).await;
    assert_eq!(status, 200);
    let own = app.org_id("HDJM").await;
    let device = assets["items"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["client_org_id"] == own))
        .and_then(|x| x["id"].as_i64())
        .expect("an HDJM device");
    let foreign = assets["items"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["client_org_id"] != own))
        .and_then(|x| x["id"].as_i64())
        .expect("another client's device");
    assert!(
        !form.contains(&format!(r#"<option value="{foreign}">"#)),
        "never another client's device"
    );
    let (status, to) = post_form(
        &admin,
        &app,
        "/orders",
        &[
            ("csrf", form_csrf(&form).as_str()),
            ("subject", "打印机卡纸"),
            ("category", "peripheral"),
            ("urgency", "medium"),
            ("impact", "low"),
            ("asset_id", device.to_string().as_str()),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert!(to.ends_with("?created=1"), "{to}");
    let page = page_html(&admin, &app, &to).await;
    let number = page
        .split(r#"data-testid="order-number">"#)
        .nth(1)
        .and_then(|r| r.split('<').next())
        .expect("the order number")
        .to_owned();
    assert!(
        page.contains(&format!("服务单号：{number}"))
            || page.contains(&format!("Order number: {number}")),
        "the confirmation names {number}"
    );
    assert!(
        page.contains(&format!(r#"href="/assets/{device}""#)),
        "the device is on the order"
    );
}

async fn a_refused_report_keeps_what_was_typed(app: TestApp) {
    let wu = signed_in(&app, "wu.li").await;
    let form = page_html(&wu, &app, "/orders/new").await;
    assert!(
        form.contains(r#"name="description" rows="5" maxlength="20000""#),
        "the limit is in the HTML"
    );
    let long = "很长的描述".repeat(4001); // 20,005 characters: one past the limit
    let resp = wu
        .post(app.url("/orders"))
        .header("origin", app.base.as_str())
        .form(&[
            ("csrf", form_csrf(&form).as_str()),
            ("subject", "会议室投影仪不亮"),
            ("description", long.as_str()),
            ("category", "peripheral"),
            ("urgency", "high"),
            ("impact", "low"),
            ("site", "5F 大会议室"),
        ])
        .send()
        .await
        .expect("post the report");
    assert_eq!(resp.status(), 422, "refused, on the same page");
    let html = resp.text().await.expect("body");
    assert!(
        html.contains(r#"value="会议室投影仪不亮""#),
        "the subject is kept"
    );
    assert!(html.contains(r#"value="5F 大会议室""#), "the site is kept");
    assert!(html.contains(&long), "the description is kept");
    assert!(
        html.contains(r#"<option value="peripheral" selected>"#)
            && html.contains(r#"<option value="high" selected>"#)
            && html.contains(r#"<option value="low" selected>"#),
        "the choices are kept"
    );
    assert!(
        html.contains(r#"data-error-for="description">最多 20000 个字符</span>"#),
        "the refusal stands next to the description, in the user's language: {}",
        html.split("field-error").nth(1).unwrap_or("no field error")
    );
}
