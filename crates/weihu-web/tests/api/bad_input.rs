//! Bad input is a 4xx naming what was wrong, never a 500: unreadable bodies, wrong types,
//! invalid values, bad list parameters, impossible ids, duplicates, unknown paths.

use reqwest::Method;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};

use crate::helpers::{ADMIN, TestApp, assert_error, read};

both_backends!(
    unreadable_bodies_are_400_or_415,
    invalid_values_name_the_field,
    bad_list_parameters_name_the_parameter,
    unreadable_patch_fields_are_named,
    nul_characters_are_never_a_500,
    impossible_ids_and_unknown_paths_are_404,
    duplicates_are_409_naming_the_field,
    duplicate_names_are_named_alike_on_both_backends,
);

/// Sends `body` as-is with `content_type` (None: no header).
async fn raw(
    app: &TestApp,
    method: Method,
    path: &str,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> (u16, Value) {
    let mut req = app
        .client
        .request(method, app.url(path))
        .bearer_auth(app.token(ADMIN))
        .body(body);
    if let Some(ct) = content_type {
        req = req.header(CONTENT_TYPE, ct);
    }
    read(req.send().await.expect("send")).await
}

async fn unreadable_bodies_are_400_or_415(app: TestApp) {
    let orgs = "/api/v1/organizations";
    let json_ct = Some("application/json");

    let r = raw(
        &app,
        Method::POST,
        orgs,
        json_ct,
        r#"{"code": "X1", "name": "#,
    )
    .await;
    assert_error("truncated JSON", &r, 400, "bad_request", None);
    let r = raw(&app, Method::POST, orgs, json_ct, "not json at all").await;
    assert_error("not JSON", &r, 400, "bad_request", None);
    let r = raw(&app, Method::POST, orgs, json_ct, "").await;
    assert_error("empty body", &r, 400, "bad_request", None);
    let r = raw(&app, Method::POST, orgs, json_ct, "[1, 2]").await;
    assert_error("an array, not an object", &r, 400, "bad_request", None);

    let good = r#"{"code": "CT1", "name": "内容类型"}"#;
    let r = raw(&app, Method::POST, orgs, Some("text/plain"), good).await;
    assert_error("text/plain", &r, 415, "unsupported_media_type", None);
    let r = raw(&app, Method::POST, orgs, None, good).await;
    assert_error("no content type", &r, 415, "unsupported_media_type", None);
    let form = "code=CT1&name=x";
    let r = raw(
        &app,
        Method::POST,
        orgs,
        Some("application/x-www-form-urlencoded"),
        form,
    )
    .await;
    assert_error("a form", &r, 415, "unsupported_media_type", None);
    // The same body with the right type is accepted: the refusals above were about the type.
    let r = raw(
        &app,
        Method::POST,
        orgs,
        Some("application/json; charset=utf-8"),
        good,
    )
    .await;
    assert_eq!(r.0, 201, "JSON with a charset: {}", r.1);

    // Missing and mistyped fields: 400 naming the field.
    let cases = [
        (orgs, json!({"name": "没有代码"}), "code"),
        (orgs, json!({"code": "NONAME"}), "name"),
        (orgs, json!({"code": 5, "name": "数字代码"}), "code"),
        (orgs, json!({"code": "T1", "name": ["列表"]}), "name"),
        (
            "/api/v1/users",
            json!({"org_id": 1, "username": "no.password", "display_name": "x", "role": "engineer"}),
            "password",
        ),
        (
            "/api/v1/users",
            json!({"org_id": "one", "username": "x.y", "display_name": "x", "role": "engineer", "password": "password-123"}),
            "org_id",
        ),
        ("/api/v1/tokens", json!({}), "name"),
        ("/api/v1/teams", json!({"description": "无名"}), "name"),
    ];
    for (path, body, field) in cases {
        let r = app.post(path, Some(ADMIN), &body).await;
        assert_error(
            &format!("POST {path} {body}"),
            &r,
            400,
            "bad_request",
            Some(field),
        );
    }
    let hdjm = app.org_id("HDJM").await;
    let r = app
        .patch(
            &format!("/api/v1/organizations/{hdjm}"),
            Some(ADMIN),
            &json!({"name": "没有版本"}),
        )
        .await;
    assert_error(
        "PATCH without version",
        &r,
        400,
        "bad_request",
        Some("version"),
    );
    let r = app
        .patch(
            &format!("/api/v1/organizations/{hdjm}"),
            Some(ADMIN),
            &json!({"version": "1"}),
        )
        .await;
    assert_error(
        "PATCH with a string version",
        &r,
        400,
        "bad_request",
        Some("version"),
    );

    // More than the 1 MiB the API reads.
    let big = format!(r#"{{"code": "BIG", "name": "{}"}}"#, "大".repeat(400_000));
    let r = raw(&app, Method::POST, orgs, json_ct, big).await;
    assert_error("a 1.2 MB body", &r, 413, "too_large", None);
}

async fn invalid_values_name_the_field(app: TestApp) {
    let hdjm = app.org_id("HDJM").await;
    let provider = app.user_id("wang.fang").await;
    let provider_org = app
        .get_ok(&format!("/api/v1/users/{provider}"), ADMIN)
        .await["org_id"]
        .as_i64()
        .expect("org_id");
    let new_user = |username: &str, role: &str, password: &str| {
        json!({"org_id": hdjm, "username": username, "display_name": "新用户",
               "role": role, "password": password})
    };
    let orgs = "/api/v1/organizations";
    let users = "/api/v1/users";
    // (path, body, status, field)
    let cases: Vec<(&str, Value, u16, &str)> = vec![
        (orgs, json!({"code": "E1", "name": ""}), 422, "name"),
        (orgs, json!({"code": "E2", "name": "   "}), 422, "name"),
        (
            orgs,
            json!({"code": "E3", "name": "响\u{7}铃"}),
            422,
            "name",
        ),
        (
            orgs,
            json!({"code": "E4", "name": "长".repeat(201)}),
            422,
            "name",
        ),
        (
            orgs,
            json!({"code": "A B", "name": "空格代码"}),
            422,
            "code",
        ),
        (orgs, json!({"code": "", "name": "空代码"}), 422, "code"),
        (
            orgs,
            json!({"code": "代码", "name": "中文代码"}),
            422,
            "code",
        ),
        (
            orgs,
            json!({"code": "X".repeat(33), "name": "长代码"}),
            422,
            "code",
        ),
        (
            users,
            new_user("short.pw", "client_user", "short"),
            422,
            "password",
        ),
        (
            users,
            new_user("bad name!", "client_user", "password-123"),
            422,
            "username",
        ),
        (
            users,
            new_user("x", "client_user", "password-123"),
            422,
            "username",
        ),
        (
            users,
            new_user("unknown.role", "overlord", "password-123"),
            400,
            "role",
        ),
        // A provider role in a client organisation, and a client role at the provider.
        (
            users,
            new_user("eng.at.client", "engineer", "password-123"),
            422,
            "role",
        ),
        (
            users,
            json!({"org_id": provider_org, "username": "client.at.provider", "display_name": "x",
                   "role": "client_user", "password": "password-123"}),
            422,
            "role",
        ),
        (
            users,
            json!({"org_id": 999_999, "username": "no.org", "display_name": "x",
                   "role": "client_user", "password": "password-123"}),
            422,
            "org_id",
        ),
        (
            users,
            json!({"org_id": hdjm, "username": "bad.email", "display_name": "x", "email": "no-at-sign",
                   "role": "client_user", "password": "password-123"}),
            422,
            "email",
        ),
        (
            users,
            json!({"org_id": hdjm, "username": "bad.locale", "display_name": "x", "locale": "fr",
                   "role": "client_user", "password": "password-123"}),
            422,
            "locale",
        ),
        ("/api/v1/tokens", json!({"name": "  "}), 422, "name"),
        (
            "/api/v1/tokens",
            json!({"name": "过期", "expires_at": "2001-01-01T00:00:00Z"}),
            422,
            "expires_at",
        ),
        (
            "/api/v1/tokens",
            json!({"name": "坏时间", "expires_at": "next tuesday"}),
            400,
            "expires_at",
        ),
        ("/api/v1/teams", json!({"name": ""}), 422, "name"),
    ];
    for (path, body, status, field) in cases {
        let r = app.post(path, Some(ADMIN), &body).await;
        let code = if status == 400 {
            "bad_request"
        } else {
            "invalid"
        };
        assert_error(
            &format!("POST {path} {body}"),
            &r,
            status,
            code,
            Some(field),
        );
    }

    let wu = app.user_id("wu.li").await;
    let user_path = format!("/api/v1/users/{wu}");
    let v = app.get_ok(&user_path, ADMIN).await["version"].clone();
    let patches = [
        (
            json!({"version": v, "display_name": ""}),
            422,
            "display_name",
        ),
        (json!({"version": v, "locale": "klingon"}), 422, "locale"),
        (json!({"version": v, "role": "engineer"}), 422, "role"),
    ];
    for (body, status, field) in patches {
        let r = app.patch(&user_path, Some(ADMIN), &body).await;
        let code = if status == 400 {
            "bad_request"
        } else {
            "invalid"
        };
        assert_error(
            &format!("PATCH {user_path} {body}"),
            &r,
            status,
            code,
            Some(field),
        );
    }
    let org_path = format!("/api/v1/organizations/{hdjm}");
    let ov = app.get_ok(&org_path, ADMIN).await["version"].clone();
    let r = app
        .patch(&org_path, Some(ADMIN), &json!({"version": ov, "name": " "}))
        .await;
    assert_error(
        "PATCH organisation empty name",
        &r,
        422,
        "invalid",
        Some("name"),
    );
    // Nothing above changed the records.
    assert_eq!(app.get_ok(&user_path, ADMIN).await["version"], v);
    assert_eq!(app.get_ok(&org_path, ADMIN).await["version"], ov);

    let r = app
        .post(
            &format!("{user_path}/password"),
            Some(ADMIN),
            &json!({"password": "short"}),
        )
        .await;
    assert_error(
        "reset to a short password",
        &r,
        422,
        "invalid",
        Some("password"),
    );
    let r = app
        .post(
            "/api/v1/me/password",
            Some("wu.li"),
            &json!({"current_password": "weihu-demo", "new_password": "short"}),
        )
        .await;
    assert_error(
        "change to a short password",
        &r,
        422,
        "invalid",
        Some("new_password"),
    );
    let r = app
        .post(
            "/api/v1/me/password",
            Some("wu.li"),
            &json!({"current_password": "wrong-password", "new_password": "long-enough-1"}),
        )
        .await;
    assert_error(
        "wrong current password",
        &r,
        422,
        "invalid",
        Some("current_password"),
    );
    let me = app.get_ok("/api/v1/me", "wu.li").await;
    let r = app
        .patch(
            "/api/v1/me",
            Some("wu.li"),
            &json!({"version": me["version"], "email": "not-an-address"}),
        )
        .await;
    assert_error("PATCH /me bad email", &r, 422, "invalid", Some("email"));
}

async fn bad_list_parameters_name_the_parameter(app: TestApp) {
    let lists = [
        "/api/v1/organizations",
        "/api/v1/users",
        "/api/v1/teams",
        "/api/v1/tokens",
        "/api/v1/audit-log",
    ];
    let cases = [
        ("limit=0", 422, "limit"),
        ("limit=9999", 422, "limit"),
        ("limit=-1", 422, "limit"),
        ("offset=-1", 422, "offset"),
        ("sort=bogus", 422, "sort"),
        ("sort=-bogus", 422, "sort"),
        ("sort=password_hash", 422, "sort"),
        ("sort=id;drop%20table%20users", 422, "sort"),
        ("limit=abc", 400, "limit"),
        ("offset=1.5", 400, "offset"),
        ("limit=99999999999999999999", 400, "limit"),
    ];
    for list in lists {
        for (query, status, field) in cases {
            let path = format!("{list}?{query}");
            let r = app.get(&path, Some(ADMIN)).await;
            let code = if status == 400 {
                "bad_request"
            } else {
                "invalid"
            };
            assert_error(&format!("GET {path}"), &r, status, code, Some(field));
        }
        // The edges are fine.
        for ok in [
            "limit=1",
            "limit=500",
            "offset=0",
            "offset=100000",
            "offset=9223372036854775807",
            "q=%25_%5C'",
        ] {
            let path = format!("{list}?{ok}");
            let (status, body) = app.get(&path, Some(ADMIN)).await;
            assert_eq!(status, 200, "GET {path}: {body}");
        }
    }
    let filters = [
        ("/api/v1/organizations?kind=vendor", "kind"),
        ("/api/v1/organizations?active=maybe", "active"),
        ("/api/v1/users?role=overlord", "role"),
        ("/api/v1/users?org_id=abc", "org_id"),
        ("/api/v1/audit-log?actor_id=x", "actor_id"),
    ];
    for (path, field) in filters {
        let r = app.get(path, Some(ADMIN)).await;
        assert_error(&format!("GET {path}"), &r, 400, "bad_request", Some(field));
    }
}

async fn impossible_ids_and_unknown_paths_are_404(app: TestApp) {
    for resource in ["organizations", "users", "teams", "tokens"] {
        for id in [
            "abc",
            "0",
            "-1",
            "1.0",
            "99999999999999999999",
            "999999",
            "%E4%B8%AD",
        ] {
            let path = format!("/api/v1/{resource}/{id}");
            let r = app.get(&path, Some(ADMIN)).await;
            assert_error(&format!("GET {path}"), &r, 404, "not_found", None);
        }
    }
    let r = app
        .patch("/api/v1/users/abc", Some(ADMIN), &json!({"version": 1}))
        .await;
    assert_error("PATCH /api/v1/users/abc", &r, 404, "not_found", None);
    let r = app.delete("/api/v1/tokens/abc", Some(ADMIN)).await;
    assert_error("DELETE /api/v1/tokens/abc", &r, 404, "not_found", None);
    for path in [
        "/api/v1/nope",
        "/api/v1/organizations/1/nope",
        "/api/v1/",
        "/api/v2/organizations",
    ] {
        let r = app.get(path, Some(ADMIN)).await;
        assert_error(&format!("GET {path}"), &r, 404, "not_found", None);
        let r = app.post(path, Some(ADMIN), &json!({})).await;
        assert_error(&format!("POST {path}"), &r, 404, "not_found", None);
    }
    // A method the route does not have: 405, not a 500.
    let (status, body) = app.delete("/api/v1/organizations/1", Some(ADMIN)).await;
    assert_eq!(status, 405, "DELETE on organisations: {body}");
}

async fn duplicates_are_409_naming_the_field(app: TestApp) {
    for code in ["HDJM", "hdjm", " JNYY "] {
        let r = app
            .post(
                "/api/v1/organizations",
                Some(ADMIN),
                &json!({"code": code, "name": "重复代码"}),
            )
            .await;
        assert_error(
            &format!("code {code:?} again"),
            &r,
            409,
            "duplicate",
            Some("code"),
        );
    }
    let hdjm = app.org_id("HDJM").await;
    for username in ["wu.li", "WU.LI"] {
        let r = app
            .post(
                "/api/v1/users",
                Some(ADMIN),
                &json!({"org_id": hdjm, "username": username, "display_name": "重名",
                        "role": "client_user", "password": "password-123"}),
            )
            .await;
        assert_error(
            &format!("username {username:?} again"),
            &r,
            409,
            "duplicate",
            Some("username"),
        );
    }
    let r = app
        .post("/api/v1/teams", Some(ADMIN), &json!({"name": "桌面支持组"}))
        .await;
    assert_error("team name again", &r, 409, "duplicate", Some("name"));
}

/// A PATCH body whose changeable fields are `#[serde(flatten)]`ed into the update: a bad value
/// in one of them is a 400 naming that field, like everywhere else.
async fn unreadable_patch_fields_are_named(app: TestApp) {
    let wu = format!("/api/v1/users/{}", app.user_id("wu.li").await);
    let org = format!("/api/v1/organizations/{}", app.org_id("HDJM").await);
    let v = app.get_ok(&wu, ADMIN).await["version"].clone();
    let ov = app.get_ok(&org, ADMIN).await["version"].clone();
    let cases = [
        (&wu, json!({"version": v, "role": "overlord"}), "role"),
        (&wu, json!({"version": v, "active": "yes"}), "active"),
        (&wu, json!({"version": v, "team_id": "desk"}), "team_id"),
        (&org, json!({"version": ov, "active": "yes"}), "active"),
        (&org, json!({"version": ov, "name": 42}), "name"),
    ];
    let mut unnamed = Vec::new();
    for (path, body, field) in cases {
        let (status, resp) = app.patch(path, Some(ADMIN), &body).await;
        assert_eq!(status, 400, "PATCH {path} {body}: {resp}");
        assert_eq!(resp["error"]["code"], "bad_request");
        if resp["error"]["field"] != field {
            unnamed.push(format!("PATCH {path} {body} -> {resp}"));
        }
    }
    assert!(
        unnamed.is_empty(),
        "400 without the field named:\n{}",
        unnamed.join("\n")
    );
}

/// Every collection whose records have a unique name reports a taken one the same way on both
/// backends (PostgreSQL names the index, SQLite the column).
async fn duplicate_names_are_named_alike_on_both_backends(app: TestApp) {
    for list in ["/api/v1/calendars", "/api/v1/sla-policies"] {
        let page = app.get_ok(list, ADMIN).await;
        let first = page["items"][0]["id"].as_i64().expect("a demo record");
        let one = app.get_ok(&format!("{list}/{first}"), ADMIN).await;
        let body = json!({"definition": one["definition"]});
        let body = if list.ends_with("calendars") {
            one["definition"].clone()
        } else {
            body
        };
        let r = app.post(list, Some(ADMIN), &body).await;
        assert_error(
            &format!("POST {list} with a taken name"),
            &r,
            409,
            "duplicate",
            Some("name"),
        );
    }
}

/// PostgreSQL refuses text with NUL characters, SQLite stores them: either way a NUL in any
/// input is the caller's mistake (4xx), never a 500.
async fn nul_characters_are_never_a_500(app: TestApp) {
    let mut five_hundreds = Vec::new();
    for path in [
        "/api/v1/organizations?q=a%00b",
        "/api/v1/users?q=a%00b",
        "/api/v1/audit-log?q=a%00b",
        "/api/v1/audit-log?entity=a%00b",
        "/api/v1/audit-log?entity_id=a%00b",
    ] {
        let (status, body) = app.get(path, Some(ADMIN)).await;
        if status >= 500 {
            five_hundreds.push(format!("GET {path} -> {status} {body}"));
        }
    }
    let nul = "零\u{0}字节";
    let hdjm = app.org_id("HDJM").await;
    let posts = [
        ("/api/v1/tokens", json!({"name": nul})),
        ("/api/v1/teams", json!({"name": nul})),
        (
            "/api/v1/teams",
            json!({"name": "零字节组", "description": nul}),
        ),
        (
            "/api/v1/organizations",
            json!({"code": "NUL1", "name": nul}),
        ),
        (
            "/api/v1/users",
            json!({"org_id": hdjm, "username": "nul.user", "display_name": nul,
                   "role": "client_user", "password": "password-123"}),
        ),
        (
            "/api/v1/users",
            json!({"org_id": hdjm, "username": "nul.pass", "display_name": "x",
                   "role": "client_user", "password": format!("password{nul}")}),
        ),
    ];
    for (path, body) in posts {
        let (status, resp) = app.post(path, Some(ADMIN), &body).await;
        if status >= 500 {
            five_hundreds.push(format!("POST {path} {body} -> {status} {resp}"));
        }
    }
    let b = reqwest::Client::new();
    let page = b.get(app.url("/login")).send().await.expect("send");
    let cookie = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("weihu_login_csrf="))
        .and_then(|v| v.split(';').next())
        .expect("login csrf cookie")
        .to_owned();
    let resp = b
        .post(app.url("/login"))
        .header("cookie", format!("weihu_login_csrf={cookie}"))
        .form(&[
            ("username", nul),
            ("password", "x"),
            ("csrf", &cookie),
            ("next", ""),
        ])
        .send()
        .await
        .expect("send");
    if resp.status().as_u16() >= 500 {
        five_hundreds.push(format!(
            "POST /login with a NUL username -> {}",
            resp.status()
        ));
    }
    assert!(
        five_hundreds.is_empty(),
        "500s:\n{}",
        five_hundreds.join("\n")
    );
}
