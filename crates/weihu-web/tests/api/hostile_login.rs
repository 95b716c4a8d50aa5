//! Hostile sign-in traffic (issue #11): huge or odd login names, throttle rows that must not
//! grow without bound, throttling per address without locking users out, open redirects,
//! credentials that must not outlive a password change, and teams a client admin may not touch.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use reqwest::header::{LOCATION, RETRY_AFTER, SET_COOKIE};
use reqwest::{Client, Response};
use serde_json::{Value, json};
use weihu_store::demo::DEMO_PASSWORD;
use weihu_store::throttle::{self, Limits, Subject};

use crate::helpers::{ADMIN, TestApp, assert_error, read};

both_backends!(
    hostile_login_huge_usernames_store_nothing,
    hostile_login_throttle_rows_expire_and_are_capped,
    hostile_login_name_lock_spares_known_addresses,
    hostile_login_address_over_its_limit_is_locked,
    hostile_login_next_stays_on_the_site,
    hostile_login_password_change_and_reset_revoke_tokens,
    hostile_login_client_admin_cannot_use_provider_teams,
    hostile_login_hashing_leaves_the_workers_free,
);

/// A browser at `ip` (any 127.0.0.0/8 address reaches the test server): keeps cookies, does not
/// follow redirects.
fn browser_at(ip: [u8; 4]) -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .local_address(IpAddr::V4(Ipv4Addr::from(ip)))
        .build()
        .expect("HTTP client")
}

fn form_csrf(html: &str) -> String {
    let marker = r#"name="csrf" value=""#;
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("no csrf field in the page: {html}"))
        + marker.len();
    let end = start + html[start..].find('"').expect("closing quote");
    html[start..end].to_owned()
}

async fn login_form(app: &TestApp, b: &Client) -> String {
    let resp = b.get(app.url("/login")).send().await.expect("GET /login");
    assert_eq!(resp.status(), 200);
    form_csrf(&resp.text().await.expect("body"))
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

/// One sign-in attempt with a fresh form; returns the status.
async fn attempt(app: &TestApp, b: &Client, user: &str, password: &str) -> u16 {
    let csrf = login_form(app, b).await;
    post_login(app, b, user, password, &csrf, "")
        .await
        .status()
        .as_u16()
}

fn location(resp: &Response) -> String {
    resp.headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn rows(app: &TestApp) -> i64 {
    throttle::row_count(&app.store).await.expect("count rows")
}

async fn hostile_login_huge_usernames_store_nothing(app: TestApp) {
    let b = browser_at([127, 0, 0, 1]);
    let huge = "a".repeat(400_000);
    for i in 0..20 {
        let csrf = login_form(&app, &b).await;
        let r = read(post_login(&app, &b, &huge, "wrong-password", &csrf, "").await).await;
        assert_error(
            &format!("400,000-character name #{i}"),
            &r,
            413,
            "too_large",
            None,
        );
    }
    assert_eq!(rows(&app).await, 0, "nothing stored for over-long bodies");

    // Small enough a body, but not a login name: refused by the user-creation rule.
    for bad in [
        "x".repeat(65),
        "a".into(),
        "名字".into(),
        "a b".into(),
        "a\u{7}".into(),
    ] {
        let csrf = login_form(&app, &b).await;
        let r = read(post_login(&app, &b, &bad, "wrong-password", &csrf, "").await).await;
        assert_error(
            &format!("name {bad:?}"),
            &r,
            422,
            "invalid",
            Some("username"),
        );
    }
    assert_eq!(rows(&app).await, 0, "nothing stored for invalid names");

    // A real failure stores fixed-size digests, not the text sent.
    let name = "z".repeat(64);
    assert_eq!(attempt(&app, &b, &name, "wrong-password").await, 401);
    assert_eq!(
        rows(&app).await,
        2,
        "one row for the address, one for the name"
    );
    let sent_text: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM login_throttle WHERE length(key) <> 64 OR key LIKE '%zzz%'",
    )
    .fetch_one(app.store.pool())
    .await
    .expect("query");
    assert_eq!(sent_text, 0, "keys are digests");

    // A form missing its fields is a 400 JSON, not a panic.
    let r = read(
        b.post(app.url("/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("password=x&csrf=y")
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert!(r.0 == 400 || r.0 == 403, "a form without a name: {r:?}");
    assert!(r.1["error"]["code"].is_string(), "JSON error: {r:?}");
}

async fn hostile_login_throttle_rows_expire_and_are_capped(app: TestApp) {
    let store = &app.store;
    let limits = Limits {
        address_failures: 3,
        username_failures: 3,
        window_ms: 200,
        max_rows: 30,
    };
    // Over the cap: the oldest windows are evicted, the write never refused. (A long window, so
    // only the cap removes rows here.)
    let long = Limits {
        window_ms: 600_000,
        ..limits
    };
    for i in 0..45 {
        throttle::record_failure(store, Subject::Username(&format!("user{i}")), &long)
            .await
            .expect("a failure is recorded even when the table is full");
    }
    let n = rows(&app).await;
    assert!(n <= 30, "capped at 30 rows, have {n}");
    assert!(n >= 10, "only the oldest are evicted, have {n}");
    assert!(
        throttle::check(store, Subject::Username("user44"))
            .await
            .is_ok(),
        "the newest row is kept and unlocked"
    );

    // A lock holds within its time, and then the row expires and is purged.
    for _ in 0..3 {
        throttle::record_failure(store, Subject::Username("victim"), &limits)
            .await
            .expect("record");
    }
    assert!(
        throttle::check(store, Subject::Username("victim"))
            .await
            .is_err(),
        "locked after three failures"
    );
    tokio::time::sleep(Duration::from_millis(450)).await;
    assert!(
        throttle::check(store, Subject::Username("victim"))
            .await
            .is_ok()
    );
    let purged = throttle::purge(store, limits.window_ms)
        .await
        .expect("purge");
    assert!(purged >= 1, "expired rows are purged");
    assert_eq!(rows(&app).await, 0, "every row had expired");

    // The next failure also purges expired rows on its own (no job needed).
    for i in 0..5 {
        throttle::record_failure(store, Subject::Address(&format!("10.0.0.{i}")), &limits)
            .await
            .expect("record");
    }
    tokio::time::sleep(Duration::from_millis(450)).await;
    throttle::record_failure(store, Subject::Address("10.0.1.1"), &limits)
        .await
        .expect("record");
    assert_eq!(
        rows(&app).await,
        1,
        "old windows purged by the next failure"
    );
}

async fn hostile_login_name_lock_spares_known_addresses(app: TestApp) {
    // The owner has signed in from 127.0.0.1 before.
    let owner = browser_at([127, 0, 0, 1]);
    assert_eq!(attempt(&app, &owner, "wang.fang", DEMO_PASSWORD).await, 303);

    // Someone at another address fails five times: the name is locked for them…
    let attacker = browser_at([127, 0, 0, 2]);
    for i in 1..=5 {
        assert_eq!(
            attempt(&app, &attacker, "wang.fang", "wrong-password").await,
            401,
            "attempt {i}"
        );
    }
    let csrf = login_form(&app, &attacker).await;
    let resp = post_login(&app, &attacker, "wang.fang", DEMO_PASSWORD, &csrf, "").await;
    assert_eq!(
        resp.status(),
        429,
        "the name is locked for the attacker's address"
    );
    assert!(
        resp.headers().get(RETRY_AFTER).is_some(),
        "with Retry-After"
    );
    assert!(
        !resp
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .any(|v| v.to_str().is_ok_and(|v| v.starts_with("weihu_session="))),
        "no session while locked"
    );
    // …and for any other address that never signed in as wang.fang…
    let stranger = browser_at([127, 0, 0, 3]);
    assert_eq!(
        attempt(&app, &stranger, "WANG.FANG", DEMO_PASSWORD).await,
        429
    );

    // …but not for the owner's address.
    let owner2 = browser_at([127, 0, 0, 1]);
    assert_eq!(
        attempt(&app, &owner2, "wang.fang", DEMO_PASSWORD).await,
        303,
        "the owner still signs in from a known address"
    );
}

async fn hostile_login_address_over_its_limit_is_locked(app: TestApp) {
    // The default limit: 20 failures from one address, spread over many names.
    let spray = browser_at([127, 0, 0, 4]);
    for i in 0..20 {
        assert_eq!(
            attempt(&app, &spray, &format!("guess.{i}"), "wrong-password").await,
            401,
            "failure {i}"
        );
    }
    assert_eq!(
        attempt(&app, &spray, "lin.tao", DEMO_PASSWORD).await,
        429,
        "an address over its limit is locked for every name, right passwords included"
    );
    // Other addresses are not affected.
    let other = browser_at([127, 0, 0, 5]);
    assert_eq!(attempt(&app, &other, "lin.tao", DEMO_PASSWORD).await, 303);
    // Unknown names were not stored as text, only as digests: 20 names + 1 address.
    assert_eq!(rows(&app).await, 21);
}

async fn hostile_login_next_stays_on_the_site(app: TestApp) {
    let b = browser_at([127, 0, 0, 1]);
    for (next, want) in [
        ("/%09/evil.example", "/"),
        ("/%0d%0a", "/"),
        ("/%0d%0aSet-Cookie:%20x=1", "/"),
        ("//evil.example", "/"),
        ("/%5Cevil.example", "/"),
        ("%2F%2Fevil.example", "/"),
        ("https://evil.example", "/"),
        ("/%E5%8D%8E", "/"),
        ("/orders?page=2", "/orders?page=2"),
    ] {
        let resp = b
            .get(app.url(&format!("/language?set=en&next={next}")))
            .send()
            .await
            .expect("GET /language");
        assert_eq!(resp.status(), 303, "/language next={next}");
        assert_eq!(location(&resp), want, "/language next={next}");
    }
    for next in ["/\t/evil.example", "/\r\n", "//evil.example", "/\\evil"] {
        let csrf = login_form(&app, &b).await;
        let resp = post_login(&app, &b, "wu.li", DEMO_PASSWORD, &csrf, next).await;
        assert_eq!(resp.status(), 303, "login next={next:?}");
        assert_eq!(location(&resp), "/portal", "login next={next:?}");
    }
    // The login page does not carry a bad `next` into its form either.
    let resp = b
        .get(app.url("/login?next=/%09/evil.example"))
        .send()
        .await
        .expect("GET /login");
    assert_eq!(resp.status(), 200);
    assert!(!resp.text().await.expect("body").contains("evil.example"));
}

async fn audit_of_password(app: &TestApp, user_id: i64) -> Value {
    let changes: String = sqlx::query_scalar(
        "SELECT changes FROM audit_log WHERE entity = 'user' AND entity_id = $1 \
         AND action = 'password' ORDER BY id DESC LIMIT 1",
    )
    .bind(user_id.to_string())
    .fetch_one(app.store.pool())
    .await
    .expect("an audit row for the password change");
    serde_json::from_str(&changes).expect("JSON changes")
}

async fn hostile_login_password_change_and_reset_revoke_tokens(app: TestApp) {
    // Own change through the API, with the token itself.
    assert_eq!(app.get("/api/v1/me", Some("wu.li")).await.0, 200);
    let (status, body) = app
        .post(
            "/api/v1/me/password",
            Some("wu.li"),
            &json!({"current_password": DEMO_PASSWORD, "new_password": "a-new-password-1"}),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(
        app.get("/api/v1/me", Some("wu.li")).await.0,
        401,
        "the token died with the old password"
    );
    let wu = app.user_id("wu.li").await;
    let a = audit_of_password(&app, wu).await;
    assert_eq!(a["tokens_revoked"], 1, "recorded in the audit log: {a}");

    // An administrator's reset.
    assert_eq!(app.get("/api/v1/me", Some("li.qiang")).await.0, 200);
    let li = app.user_id("li.qiang").await;
    let (status, body) = app
        .post(
            &format!("/api/v1/users/{li}/password"),
            Some(ADMIN),
            &json!({"password": "reset-password-1"}),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(
        app.get("/api/v1/me", Some("li.qiang")).await.0,
        401,
        "the token died with the reset"
    );
    let a = audit_of_password(&app, li).await;
    assert_eq!(a["tokens_revoked"], 1, "recorded in the audit log: {a}");
    // The listed token shows as revoked.
    let (_, list) = app.get("/api/v1/tokens", Some(ADMIN)).await;
    let revoked = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|t| t["user_id"] == li)
        .expect("li.qiang's token");
    assert!(revoked["revoked_at"].is_string(), "{revoked}");
    // The administrator's own token is untouched.
    assert_eq!(app.get("/api/v1/me", Some(ADMIN)).await.0, 200);
}

async fn hostile_login_client_admin_cannot_use_provider_teams(app: TestApp) {
    let teams = app.get_ok("/api/v1/teams", ADMIN).await;
    let team = teams["items"][0]["id"].as_i64().expect("a team");
    let me = app.get_ok("/api/v1/me", "zhou.jg").await;
    let client_org = me["org_id"].as_i64().expect("org id");

    // A client admin creating a user inside a provider team.
    let r = app
        .post(
            "/api/v1/users",
            Some("zhou.jg"),
            &json!({"org_id": client_org, "username": "mole.user", "display_name": "Mole",
                    "role": "client_user", "team_id": team, "password": "password-123"}),
        )
        .await;
    assert_error(
        "client admin, team_id on create",
        &r,
        403,
        "forbidden",
        None,
    );
    assert!(
        weihu_store::users::find_by_username(&app.store, "mole.user")
            .await
            .expect("query")
            .is_none(),
        "no user was created"
    );

    // Not even an administrator puts a client user in a provider team, on create or update.
    let r = app
        .post(
            "/api/v1/users",
            Some(ADMIN),
            &json!({"org_id": client_org, "username": "mole.user", "display_name": "Mole",
                    "role": "client_user", "team_id": team, "password": "password-123"}),
        )
        .await;
    assert_error("client user in a team", &r, 422, "invalid", Some("team_id"));
    let wu = app.user_id("wu.li").await;
    let path = format!("/api/v1/users/{wu}");
    let v = app.get_ok(&path, ADMIN).await["version"].clone();
    let r = app
        .patch(&path, Some(ADMIN), &json!({"version": v, "team_id": team}))
        .await;
    assert_error(
        "client user moved into a team",
        &r,
        422,
        "invalid",
        Some("team_id"),
    );
    let v = app.get_ok(&path, "zhou.jg").await["version"].clone();
    let r = app
        .patch(
            &path,
            Some("zhou.jg"),
            &json!({"version": v, "team_id": team}),
        )
        .await;
    assert_error("client admin sets a team", &r, 403, "forbidden", None);
    // A client admin cannot give a user a provider role either.
    let r = app
        .patch(
            &path,
            Some("zhou.jg"),
            &json!({"version": v, "role": "admin"}),
        )
        .await;
    assert_error("client admin grants admin", &r, 403, "forbidden", None);

    // A provider user still gets a team from an administrator; a missing team is a 422.
    let r = app
        .post(
            "/api/v1/users",
            Some(ADMIN),
            &json!({"org_id": app.system.org_id, "username": "new.engineer", "display_name": "E",
                    "role": "engineer", "team_id": team, "password": "password-123"}),
        )
        .await;
    assert_eq!(r.0, 201, "{}", r.1);
    let r = app
        .post(
            "/api/v1/users",
            Some(ADMIN),
            &json!({"org_id": app.system.org_id, "username": "new.engineer2", "display_name": "E",
                    "role": "engineer", "team_id": 999_999, "password": "password-123"}),
        )
        .await;
    assert_error("no such team", &r, 422, "invalid", Some("team_id"));
}

async fn hostile_login_hashing_leaves_the_workers_free(app: TestApp) {
    // Wrong passwords for a real user and for an unknown name take about as long (a dummy
    // hash for the unknown one), so the answer time does not reveal who exists.
    let b = browser_at([127, 0, 0, 6]);
    let (mut one, mut unknown) = (Duration::MAX, Duration::MAX);
    for _ in 0..5 {
        for (name, best) in [("lin.tao", &mut one), ("no.such.user", &mut unknown)] {
            let csrf = login_form(&app, &b).await;
            let t = Instant::now();
            let resp = post_login(&app, &b, name, "wrong-password", &csrf, "").await;
            assert_eq!(resp.status(), 401, "{name}");
            *best = (*best).min(t.elapsed());
        }
    }
    // Without the dummy hash an unknown name answers in about a millisecond against tens for a
    // real one; with it they are of one order. A real name does a little more database work
    // (throttle rows), and the suite runs beside other tests, so the bound is generous.
    assert!(
        unknown * 3 >= one,
        "an unknown name answers in {unknown:?}, a real one in {one:?}"
    );

    // A burst of sign-ins (two test workers) must not stall other requests.
    let mut burst = Vec::new();
    for i in 0..8u8 {
        let app_url = app.url("");
        burst.push(tokio::spawn(async move {
            let b = browser_at([127, 0, 1, i + 10]);
            let page = b
                .get(format!("{app_url}/login"))
                .send()
                .await
                .expect("GET /login");
            let csrf = form_csrf(&page.text().await.expect("body"));
            b.post(format!("{app_url}/login"))
                .form(&[
                    ("username", format!("burst.{i}").as_str()),
                    ("password", "wrong-password"),
                    ("csrf", &csrf),
                ])
                .send()
                .await
                .expect("POST /login")
                .status()
                .as_u16()
        }));
    }
    tokio::time::sleep(one / 2).await;
    // The fastest of three probes: a blocked worker would hold each for a hashing's length.
    let mut health = Duration::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        let (status, _) = app.get("/healthz", None).await;
        health = health.min(t.elapsed());
        assert_eq!(status, 200);
    }
    for h in burst {
        let s = h.await.expect("join");
        assert!(
            s == 401 || s == 429,
            "a burst login answers 401 or 429, got {s}"
        );
    }
    assert!(
        health < one,
        "/healthz took {health:?} during a burst of sign-ins (one sign-in: {one:?})"
    );
}
