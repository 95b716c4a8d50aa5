//! The browser's way in: the login form with its CSRF cookie, the session cookie, CSRF on
//! cookie-authenticated API writes, the origin check, and login throttling.

use reqwest::header::{LOCATION, SET_COOKIE};
use reqwest::{Client, Method, Response};
use serde_json::json;
use weihu_store::demo::DEMO_PASSWORD;

use crate::helpers::{ADMIN, TestApp, assert_error, read};

both_backends!(
    login_sets_a_safe_session_cookie,
    cookie_writes_need_the_csrf_token_and_our_origin,
    repeated_wrong_passwords_throttle_the_login,
    sessions_end_with_a_password_change_or_deactivation,
);

/// A browser: keeps cookies, does not follow redirects.
fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("HTTP client")
}

/// The value of the first hidden `csrf` input in a page.
fn form_csrf(html: &str) -> String {
    let marker = r#"name="csrf" value=""#;
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("no csrf field in the page: {html}"))
        + marker.len();
    let end = start + html[start..].find('"').expect("closing quote");
    html[start..end].to_owned()
}

/// The `Set-Cookie` header for cookie `name`.
fn set_cookie(resp: &Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// GET /login; returns the form's csrf value.
async fn login_form(app: &TestApp, b: &Client) -> String {
    let resp = b.get(app.url("/login")).send().await.expect("GET /login");
    assert_eq!(resp.status(), 200);
    let cookie = set_cookie(&resp, "weihu_login_csrf").expect("a login CSRF cookie");
    let html = resp.text().await.expect("body");
    let csrf = form_csrf(&html);
    assert!(csrf.len() >= 16, "a real token: {csrf}");
    assert!(
        cookie.starts_with(&format!("weihu_login_csrf={csrf};")),
        "the cookie holds the form's token: {cookie}"
    );
    csrf
}

async fn post_login(
    app: &TestApp,
    b: &Client,
    user: &str,
    password: &str,
    csrf: &str,
    next: &str,
) -> Response {
    b.post(app.url("/login"))
        .form(&[
            ("username", user),
            ("password", password),
            ("csrf", csrf),
            ("next", next),
        ])
        .send()
        .await
        .expect("POST /login")
}

/// Signs `user` in; returns the browser and the session's CSRF token (from a page's form).
async fn signed_in(app: &TestApp, user: &str) -> (Client, String) {
    let b = browser();
    let csrf = login_form(app, &b).await;
    let resp = post_login(app, &b, user, DEMO_PASSWORD, &csrf, "").await;
    assert_eq!(resp.status(), 303, "{user} signs in");
    let page = b
        .get(app.url("/account"))
        .send()
        .await
        .expect("GET /account");
    assert_eq!(page.status(), 200);
    let session_csrf = form_csrf(&page.text().await.expect("body"));
    (b, session_csrf)
}

fn cookie_attrs(cookie: &str) -> Vec<String> {
    cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect()
}

async fn login_sets_a_safe_session_cookie(app: TestApp) {
    // Without the login CSRF cookie and token: 403, no session.
    let b = browser();
    let resp = post_login(&app, &b, "wang.fang", DEMO_PASSWORD, "", "").await;
    assert!(set_cookie(&resp, "weihu_session").is_none());
    assert_error("login without CSRF", &read(resp).await, 403, "csrf", None);
    let csrf = login_form(&app, &b).await;
    let resp = post_login(&app, &b, "wang.fang", DEMO_PASSWORD, "wrong-token", "").await;
    assert_error(
        "login with a wrong CSRF token",
        &read(resp).await,
        403,
        "csrf",
        None,
    );
    // A token from another browser's form does not match this browser's cookie.
    let other = login_form(&app, &browser()).await;
    let resp = post_login(&app, &b, "wang.fang", DEMO_PASSWORD, &other, "").await;
    assert_error(
        "login with another form's token",
        &read(resp).await,
        403,
        "csrf",
        None,
    );
    let (status, _) = {
        let r = b.get(app.url("/api/v1/me")).send().await.expect("send");
        read(r).await
    };
    assert_eq!(status, 401, "no session after refused logins");

    let resp = post_login(&app, &b, "wang.fang", DEMO_PASSWORD, &csrf, "").await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()[LOCATION], "/dashboard");
    let session = set_cookie(&resp, "weihu_session").expect("a session cookie");
    let attrs = cookie_attrs(&session);
    assert!(
        attrs.contains(&"httponly".to_owned()),
        "HttpOnly: {session}"
    );
    assert!(
        attrs.contains(&"samesite=lax".to_owned()),
        "SameSite=Lax: {session}"
    );
    assert!(attrs.contains(&"path=/".to_owned()), "Path=/: {session}");
    let value = session
        .split(';')
        .next()
        .and_then(|kv| kv.split_once('='))
        .map(|(_, v)| v)
        .unwrap_or_default();
    assert!(value.len() >= 20, "an unguessable session id: {session}");
    // The login CSRF cookie is spent.
    let spent = set_cookie(&resp, "weihu_login_csrf").expect("the login CSRF cookie is cleared");
    assert!(spent.to_ascii_lowercase().contains("max-age=0"), "{spent}");

    let r = b.get(app.url("/api/v1/me")).send().await.expect("send");
    let (status, me) = read(r).await;
    assert_eq!(
        (status, &me["username"]),
        (200, &json!("wang.fang")),
        "the session works for GET"
    );

    // Clients land on the portal; `next` is honoured only for our own paths.
    let b2 = browser();
    let csrf = login_form(&app, &b2).await;
    let resp = post_login(&app, &b2, "wu.li", DEMO_PASSWORD, &csrf, "").await;
    assert_eq!(resp.headers()[LOCATION], "/portal");
    for (next, want) in [
        ("/account", "/account"),
        ("//evil.example/x", "/dashboard"),
        ("https://evil.example/", "/dashboard"),
        ("/\\evil.example", "/dashboard"),
    ] {
        let b3 = browser();
        let csrf = login_form(&app, &b3).await;
        let resp = post_login(&app, &b3, "li.qiang", DEMO_PASSWORD, &csrf, next).await;
        assert_eq!(resp.status(), 303);
        assert_eq!(resp.headers()[LOCATION], want, "next={next}");
    }

    // Signing out ends the session.
    let page = b.get(app.url("/account")).send().await.expect("send");
    let token = form_csrf(&page.text().await.expect("body"));
    let resp = b
        .post(app.url("/logout"))
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .expect("POST /logout");
    assert_eq!(resp.status(), 303);
    let r = b.get(app.url("/api/v1/me")).send().await.expect("send");
    assert_eq!(r.status(), 401, "the session is gone after sign-out");
    let replay = b
        .get(app.url("/api/v1/me"))
        .header("cookie", session.split(';').next().unwrap_or_default())
        .send()
        .await
        .expect("send");
    assert_eq!(
        replay.status(),
        401,
        "the old session cookie no longer works"
    );
}

async fn cookie_writes_need_the_csrf_token_and_our_origin(app: TestApp) {
    let (b, csrf) = signed_in(&app, "zhao.min").await;
    let me = {
        let r = b.get(app.url("/api/v1/me")).send().await.expect("send");
        read(r).await.1
    };
    let body = json!({"version": me["version"], "display_name": "赵敏（会话）"});
    let patch = |token: Option<&str>, origin: Option<&str>| {
        let mut req = b.request(Method::PATCH, app.url("/api/v1/me")).json(&body);
        if let Some(t) = token {
            req = req.header("x-csrf-token", t);
        }
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        async move { read(req.send().await.expect("send")).await }
    };

    let r = patch(None, None).await;
    assert_error("cookie PATCH without X-CSRF-Token", &r, 403, "csrf", None);
    let r = patch(Some("not-the-token"), None).await;
    assert_error("cookie PATCH with a wrong token", &r, 403, "csrf", None);
    let r = patch(Some(""), None).await;
    assert_error("cookie PATCH with an empty token", &r, 403, "csrf", None);
    let r = patch(Some(&csrf), Some("http://evil.example")).await;
    assert_error("cookie PATCH from another origin", &r, 403, "csrf", None);
    let cross = b
        .request(Method::PATCH, app.url("/api/v1/me"))
        .json(&body)
        .header("x-csrf-token", &csrf)
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .expect("send");
    assert_error(
        "cookie PATCH marked cross-site",
        &read(cross).await,
        403,
        "csrf",
        None,
    );
    let r = b.get(app.url("/api/v1/me")).send().await.expect("send");
    assert_eq!(
        read(r).await.1["version"],
        me["version"],
        "nothing changed yet"
    );

    // Our own origin with the right token works.
    let host = app.base.trim_start_matches("http://").to_owned();
    let (status, changed) = patch(Some(&csrf), Some(&format!("http://{host}"))).await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["display_name"], "赵敏（会话）");

    // A foreign origin is refused before any handler: the login form too.
    let b2 = browser();
    let login_csrf = login_form(&app, &b2).await;
    let resp = b2
        .post(app.url("/login"))
        .header("origin", "http://evil.example")
        .form(&[
            ("username", "wang.fang"),
            ("password", DEMO_PASSWORD),
            ("csrf", login_csrf.as_str()),
            ("next", ""),
        ])
        .send()
        .await
        .expect("send");
    assert!(set_cookie(&resp, "weihu_session").is_none());
    assert_error(
        "POST /login from another origin",
        &read(resp).await,
        403,
        "csrf",
        None,
    );
    let r = b
        .post(app.url("/api/v1/tokens"))
        .header("origin", "http://evil.example")
        .header("x-csrf-token", &csrf)
        .json(&json!({"name": "csrf-stolen"}))
        .send()
        .await
        .expect("send");
    assert_error(
        "cookie POST from another origin",
        &read(r).await,
        403,
        "csrf",
        None,
    );

    // Bearer tokens carry no ambient authority, so the origin check does not apply to them.
    let r = app
        .client
        .get(app.url("/api/v1/me"))
        .bearer_auth(app.token("zhao.min"))
        .send()
        .await
        .expect("send");
    let fresh = read(r).await.1;
    let r = app
        .client
        .patch(app.url("/api/v1/me"))
        .bearer_auth(app.token("zhao.min"))
        .header("origin", "http://evil.example")
        .json(&json!({"version": fresh["version"], "phone": "138 0000 0000"}))
        .send()
        .await
        .expect("send");
    let (status, body) = read(r).await;
    assert_eq!(status, 200, "bearer PATCH with a foreign Origin: {body}");
}

async fn repeated_wrong_passwords_throttle_the_login(app: TestApp) {
    let b = browser();
    let mut csrf = login_form(&app, &b).await;
    for attempt in 1..=5 {
        let resp = post_login(&app, &b, "he.yun", "wrong-password", &csrf, "").await;
        assert_eq!(resp.status(), 401, "wrong password, attempt {attempt}");
        assert!(set_cookie(&resp, "weihu_session").is_none());
        // The re-shown form carries a fresh token (and cookie).
        csrf = form_csrf(&resp.text().await.expect("body"));
    }
    let resp = post_login(&app, &b, "he.yun", DEMO_PASSWORD, &csrf, "").await;
    assert_eq!(
        resp.status(),
        429,
        "the right password after five failures is throttled"
    );
    assert!(
        set_cookie(&resp, "weihu_session").is_none(),
        "no session while throttled"
    );
    let csrf = form_csrf(&resp.text().await.expect("body"));
    // The name is throttled however it is spelled.
    let resp = post_login(&app, &b, " HE.YUN ", DEMO_PASSWORD, &csrf, "").await;
    assert_eq!(resp.status(), 429, "the same login in capitals");

    // Other logins are not affected, and the API tokens of the throttled user still work.
    let b2 = browser();
    let csrf = login_form(&app, &b2).await;
    let resp = post_login(&app, &b2, "lin.tao", DEMO_PASSWORD, &csrf, "").await;
    assert_eq!(resp.status(), 303, "another user signs in");
    let (status, _) = app.get("/api/v1/me", Some("he.yun")).await;
    assert_eq!(status, 200);

    // Four failures and a success reset the count.
    let b3 = browser();
    let mut csrf = login_form(&app, &b3).await;
    for _ in 0..4 {
        let resp = post_login(&app, &b3, "lin.tao", "wrong-password", &csrf, "").await;
        assert_eq!(resp.status(), 401);
        csrf = form_csrf(&resp.text().await.expect("body"));
    }
    let resp = post_login(&app, &b3, "lin.tao", DEMO_PASSWORD, &csrf, "").await;
    assert_eq!(resp.status(), 303, "the fifth attempt, right, succeeds");
    let b4 = browser();
    let csrf = login_form(&app, &b4).await;
    let resp = post_login(&app, &b4, "lin.tao", "wrong-password", &csrf, "").await;
    assert_eq!(resp.status(), 401, "a success reset the count");
}

async fn sessions_end_with_a_password_change_or_deactivation(app: TestApp) {
    let me = |b: &Client| {
        let req = b.get(app.url("/api/v1/me"));
        async move { req.send().await.expect("send").status().as_u16() }
    };
    // A password change (here through the API) ends the user's browser sessions.
    let (b, _) = signed_in(&app, "wu.li").await;
    assert_eq!(me(&b).await, 200);
    let (status, body) = app
        .post(
            "/api/v1/me/password",
            Some("wu.li"),
            &json!({"current_password": DEMO_PASSWORD, "new_password": "a-new-password-1"}),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(
        me(&b).await,
        401,
        "the session ended with the password change"
    );
    let b2 = browser();
    let csrf = login_form(&app, &b2).await;
    let resp = post_login(&app, &b2, "wu.li", DEMO_PASSWORD, &csrf, "").await;
    assert_eq!(resp.status(), 401, "the old password no longer signs in");
    let csrf = form_csrf(&resp.text().await.expect("body"));
    let resp = post_login(&app, &b2, "wu.li", "a-new-password-1", &csrf, "").await;
    assert_eq!(resp.status(), 303, "the new one does");

    // Deactivation ends a session at once.
    let (b, _) = signed_in(&app, "zhao.min").await;
    assert_eq!(me(&b).await, 200);
    let id = app.user_id("zhao.min").await;
    let path = format!("/api/v1/users/{id}");
    let v = app.get_ok(&path, ADMIN).await["version"].clone();
    let (status, body) = app
        .patch(&path, Some(ADMIN), &json!({"version": v, "active": false}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        me(&b).await,
        401,
        "a deactivated user's session no longer works"
    );
    let b3 = browser();
    let csrf = login_form(&app, &b3).await;
    let resp = post_login(&app, &b3, "zhao.min", DEMO_PASSWORD, &csrf, "").await;
    assert_eq!(resp.status(), 401, "a deactivated user cannot sign in");
}
