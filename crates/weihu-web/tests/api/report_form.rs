//! The fault report form keeps what was typed when it is refused and says what is wrong next to
//! the field (issue #13); its length limits are in the HTML too.

use crate::helpers::{TestApp, form_csrf, page_html, post_form, signed_in};

both_backends!(
    a_refused_report_keeps_what_was_typed,
    the_client_admin_picks_a_device_and_sees_the_number
);

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
        html.contains(r#"data-error-for="description""#),
        "the refusal stands next to the description"
    );
}
