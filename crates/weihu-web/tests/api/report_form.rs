//! The fault report form keeps what was typed when it is refused and says what is wrong next to
//! the field (issue #13); its length limits are in the HTML too.

use crate::helpers::{TestApp, form_csrf, signed_in};

both_backends!(a_refused_report_keeps_what_was_typed);

async fn a_refused_report_keeps_what_was_typed(app: TestApp) {
    let wu = signed_in(&app, "wu.li").await;
    let form = wu
        .get(app.url("/orders/new"))
        .send()
        .await
        .expect("the form")
        .text()
        .await
        .expect("body");
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
