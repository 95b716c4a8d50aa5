//! Times are stored in UTC and shown in the reader's zone (issue #12): the installation's by
//! default, a user's own once they pick one on their account page or through `PATCH /api/v1/me`.

use serde_json::json;

use crate::helpers::{TestApp, assert_error, form_csrf, signed_in};

both_backends!(pages_show_times_in_the_readers_zone);

/// The order's "created" time as the order page shows it.
fn created_on_page(html: &str) -> String {
    let marker = r#"data-testid="created-at">"#;
    let start = html.find(marker).expect("the order's created time");
    let rest = &html[start + marker.len()..];
    rest[..rest.find("</dd>").expect("end of the first fact")].to_owned()
}

async fn pages_show_times_in_the_readers_zone(app: TestApp) {
    let (status, o) = app
        .post(
            "/api/v1/orders",
            Some("wu.li"),
            &json!({"category": "hardware", "urgency": "low", "impact": "low",
                    "subject": "时区 / time zones", "description": "issue #12"}),
        )
        .await;
    assert_eq!(status, 201, "{o}");
    let created: jiff::Timestamp = o["created_at"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .expect("created_at is RFC 3339");
    let local = |zone: &str| {
        created
            .to_zoned_datetime(jiff::tz::TimeZone::get(zone).expect("zone"))
            .strftime("%Y-%m-%d %H:%M")
            .to_string()
    };
    let page = format!("/orders/{}", o["id"]);

    let wu = signed_in(&app, "wu.li").await;
    let html = wu
        .get(app.url(&page))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("body");
    assert!(
        created_on_page(&html).contains(&local("Asia/Shanghai")),
        "the installation's zone by default: {}",
        created_on_page(&html)
    );

    // The account page takes a zone; a name that is not one is refused, naming the field.
    let (status, me) = app.get("/api/v1/me", Some("wu.li")).await;
    assert_eq!(status, 200, "{me}");
    let r = app
        .patch(
            "/api/v1/me",
            Some("wu.li"),
            &json!({"version": me["version"], "time_zone": "Mars/Olympus_Mons"}),
        )
        .await;
    assert_error("an unknown zone", &r, 422, "invalid", Some("time_zone"));
    let account = wu
        .get(app.url("/account"))
        .send()
        .await
        .expect("account")
        .text()
        .await
        .expect("body");
    let csrf = form_csrf(&account);
    let resp = wu
        .post(app.url("/account"))
        .header("origin", app.base.as_str())
        .form(&[
            ("csrf", csrf.as_str()),
            ("version", &me["version"].to_string()),
            (
                "display_name",
                me["display_name"].as_str().unwrap_or("吴丽"),
            ),
            ("locale", ""),
            ("time_zone", "Europe/Berlin"),
        ])
        .send()
        .await
        .expect("save the account");
    assert_eq!(resp.status(), 303);
    let (_, me) = app.get("/api/v1/me", Some("wu.li")).await;
    assert_eq!(me["time_zone"], "Europe/Berlin", "{me}");

    let html = wu
        .get(app.url(&page))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("body");
    assert!(
        created_on_page(&html).contains(&local("Europe/Berlin")),
        "the user's own zone: {}",
        created_on_page(&html)
    );
    // Someone else still reads the installation's zone.
    let zhou = signed_in(&app, "zhou.jg").await;
    let html = zhou
        .get(app.url(&page))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("body");
    assert!(created_on_page(&html).contains(&local("Asia/Shanghai")));
}
