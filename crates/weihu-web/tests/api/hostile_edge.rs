//! Hostile input at the edges (issue #11): invented HTTP methods and paths against `/metrics`,
//! oversized PDF requests and a busy renderer, a client flooding its own order with long Chinese
//! comments (the PostgreSQL tsvector limit), oversized search queries, hostile `Host` headers on
//! QR labels, and the security headers on every response.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error};

both_backends!(
    metrics_labels_stay_bounded,
    label_sheets_deduplicate_and_cap_ids,
    month_bundle_is_capped,
    busy_renderer_answers_429,
    long_chinese_comments_never_break_the_order,
    search_queries_are_bounded,
    labels_use_the_public_url,
    security_headers_on_every_response,
);

/// A second server over the same database with `config` (public URL, HTTPS cookies).
async fn serve_with(app: &TestApp, config: weihu_web::WebConfig) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    let state = weihu_web::AppState::new(app.store.clone(), config);
    tokio::spawn(async move {
        weihu_web::serve(listener, state, std::future::pending())
            .await
            .expect("serve");
    });
    format!("http://{addr}")
}

/// Status, headers and bytes of one request as `user` to `url` (absolute).
async fn raw(
    app: &TestApp,
    method: Method,
    url: &str,
    user: Option<&str>,
    body: Option<&Value>,
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let mut req = app.client.request(method.clone(), url);
    if let Some(u) = user {
        req = req.bearer_auth(app.token(u));
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    let resp = req
        .send()
        .await
        .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
    (status, headers, bytes)
}

fn as_json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

// ---- metrics ------------------------------------------------------------------------------

async fn metrics_labels_stay_bounded(app: TestApp) {
    // Invented methods on real and invented paths, and invented paths with GET.
    for i in 0..60 {
        let m = Method::from_bytes(format!("HOSTILE{i}X").as_bytes()).expect("a method token");
        let path = if i % 2 == 0 {
            format!("/api/v1/orders/{i}")
        } else {
            format!("/no-such-page-{i}/zz")
        };
        let _ = raw(&app, m, &app.url(&path), None, None).await;
        let _ = app.get(&format!("/invented-{i}/path"), None).await;
    }
    let _ = app.get("/api/v1/orders/424242", Some("wang.fang")).await;
    let (status, _, body) = raw(&app, Method::GET, &app.url("/metrics"), None, None).await;
    assert_eq!(status, 200);
    let text = String::from_utf8_lossy(&body);
    assert!(
        !text.contains("HOSTILE"),
        "invented methods never become labels:\n{text}"
    );
    assert!(
        !text.contains("invented-") && !text.contains("no-such-page") && !text.contains("424242"),
        "raw paths never become labels:\n{text}"
    );
    assert!(text.contains("method=\"other\""), "{text}");
    assert!(text.contains("route=\"unmatched\""), "{text}");
    assert!(text.contains("route=\"/api/v1/orders/{id}\""), "{text}");
    // Every method label is one of a fixed set.
    let allowed = [
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE", "other",
    ];
    for part in text.split("method=\"").skip(1) {
        let m = part.split('"').next().unwrap_or("");
        assert!(allowed.contains(&m), "method label {m:?}");
    }
    // A second burst of invented methods does not add series.
    let before = text.lines().count();
    for i in 100..160 {
        let m = Method::from_bytes(format!("OTHER{i}Y").as_bytes()).expect("a method token");
        let _ = raw(&app, m, &app.url(&format!("/x{i}")), None, None).await;
    }
    let (_, _, body) = raw(&app, Method::GET, &app.url("/metrics"), None, None).await;
    let after = String::from_utf8_lossy(&body).lines().count();
    assert!(
        after <= before + 20,
        "invented methods and paths do not grow /metrics: {before} → {after} lines"
    );
}

// ---- PDF work -----------------------------------------------------------------------------

async fn asset_ids(app: &TestApp, n: usize) -> Vec<i64> {
    let assets = app
        .get_ok(&format!("/api/v1/assets?limit={n}"), "li.qiang")
        .await;
    assets["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|a| a["id"].as_i64().expect("an asset id"))
        .collect()
}

async fn label_sheets_deduplicate_and_cap_ids(app: TestApp) {
    let ids = asset_ids(&app, 2).await;
    assert!(!ids.is_empty(), "the demo data has assets");
    // Thousands of copies of the same ids: one label each.
    let many: Vec<i64> = ids.iter().copied().cycle().take(10_000).collect();
    let (status, headers, body) = raw(
        &app,
        Method::POST,
        &app.url("/api/v1/assets/labels"),
        Some("li.qiang"),
        Some(&json!({ "ids": many })),
    )
    .await;
    assert_eq!(status, 200, "{}", as_json(&body));
    assert_eq!(headers["content-type"], "application/pdf");
    assert!(body.starts_with(b"%PDF-"));
    // More distinct ids than one sheet holds: refused, naming the field and the limit.
    let too_many: Vec<i64> = (1..=2401).collect();
    let (status, _, body) = raw(
        &app,
        Method::POST,
        &app.url("/api/v1/assets/labels"),
        Some("li.qiang"),
        Some(&json!({ "ids": too_many })),
    )
    .await;
    let body = as_json(&body);
    assert_error(
        "2401 labels",
        &(status, body.clone()),
        422,
        "invalid",
        Some("ids"),
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("2400")),
        "the message names the limit: {body}"
    );
    let r = app
        .post(
            "/api/v1/assets/labels",
            Some("li.qiang"),
            &json!({"ids": []}),
        )
        .await;
    assert_error("no labels", &r, 422, "invalid", Some("ids"));
}

async fn month_bundle_is_capped(app: TestApp) {
    // 201 orders of one client, resolved and signed in March 2025: more than one bundle holds.
    let mut org = 0;
    for i in 0..201 {
        let (status, o) = app
            .post(
                "/api/v1/orders",
                Some("wu.li"),
                &json!({"category": "peripheral", "urgency": "low", "impact": "low",
                        "subject": format!("批量工单 {i}"), "description": "bundle cap"}),
            )
            .await;
        assert_eq!(status, 201, "{o}");
        org = o["client_org_id"].as_i64().expect("client_org_id");
    }
    let pool = app.store.pool();
    sqlx::query("UPDATE orders SET state = 'resolved' WHERE client_org_id = $1")
        .bind(org)
        .execute(pool)
        .await
        .expect("resolve");
    sqlx::query(
        "INSERT INTO order_signatures (order_id, signer_name, image_png, collected_by, signed_at) \
         SELECT id, 'x', '', NULL, $2 FROM orders WHERE client_org_id = $1",
    )
    .bind(org)
    .bind(1_742_011_200_000_i64)
    .execute(pool)
    .await
    .expect("sign");
    let (status, _, body) = raw(
        &app,
        Method::GET,
        &app.url(&format!(
            "/api/v1/organizations/{org}/orders-pdf?month=2025-03"
        )),
        Some("wang.fang"),
        None,
    )
    .await;
    let body = as_json(&body);
    assert_error(
        "a bundle of 201+ orders",
        &(status, body.clone()),
        413,
        "too_large",
        Some("month"),
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("200")),
        "the message names the limit: {body}"
    );
}

async fn busy_renderer_answers_429(app: TestApp) {
    let order = app.get_ok("/api/v1/orders?limit=1", "wang.fang").await;
    let oid = order["items"][0]["id"].as_i64().expect("an order");
    // Every renderer taken (as by long renders of other requests).
    let permits = weihu_web::documents::renderers()
        .clone()
        .acquire_many_owned(2)
        .await
        .expect("the render permits");
    let (status, headers, body) = raw(
        &app,
        Method::GET,
        &app.url(&format!("/api/v1/orders/{oid}/pdf")),
        Some("wang.fang"),
        None,
    )
    .await;
    assert_error("busy", &(status, as_json(&body)), 429, "busy", None);
    assert!(
        headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .is_some_and(|s| s > 0),
        "Retry-After: {headers:?}"
    );
    drop(permits);
    let (status, _, body) = raw(
        &app,
        Method::GET,
        &app.url(&format!("/api/v1/orders/{oid}/pdf")),
        Some("wang.fang"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{}", as_json(&body));
    assert!(body.starts_with(b"%PDF-"));
}

// ---- search -------------------------------------------------------------------------------

/// `n` pseudo-random CJK ideographs from `seed`: nearly every bigram is new.
fn chinese_noise(seed: u64, n: usize) -> String {
    let mut x = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let off = u32::try_from((x >> 33) % 20_900).unwrap_or(0);
            char::from_u32(0x4E00 + off).unwrap_or('字')
        })
        .collect()
}

async fn long_chinese_comments_never_break_the_order(app: TestApp) {
    let (status, o) = app
        .post(
            "/api/v1/orders",
            Some("wu.li"),
            &json!({"category": "peripheral", "urgency": "low", "impact": "low",
                    "subject": "彩色激光打印机卡纸 toner", "description": "反复卡纸"}),
        )
        .await;
    assert_eq!(status, 201, "{o}");
    let oid = o["id"].as_i64().expect("an order id");
    let comments = format!("/api/v1/orders/{oid}/comments");
    for i in 0..8 {
        let (status, body) = app
            .post(
                &comments,
                Some("wu.li"),
                &json!({"body": chinese_noise(i + 1, 20_000)}),
            )
            .await;
        assert_eq!(status, 201, "comment {i}: {body}");
    }
    // The dispatcher works the order to the end.
    let li = app.user_id("li.qiang").await;
    let mut order = app
        .get_ok(&format!("/api/v1/orders/{oid}"), "wang.fang")
        .await;
    for (action, extra) in [
        ("assign", json!({"assignee_id": li})),
        ("start", json!({})),
        ("resolve", json!({"resolution": "已更换定影组件"})),
    ] {
        let mut body = json!({"action": action, "version": order["version"]});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        let (status, after) = app
            .post(
                &format!("/api/v1/orders/{oid}/transitions"),
                Some("wang.fang"),
                &body,
            )
            .await;
        assert_eq!(status, 200, "{action}: {after}");
        order = after;
    }
    let (status, body) = app
        .post(
            &comments,
            Some("wu.li"),
            &json!({"body": "谢谢，已恢复正常。"}),
        )
        .await;
    assert_eq!(status, 201, "a comment after the flood: {body}");
    // Words of the subject still find the order, for staff and for the client.
    for (user, q) in [
        ("wang.fang", "卡纸"),
        ("wang.fang", "激光打印机"),
        ("wang.fang", "toner"),
        ("wu.li", "打印机"),
    ] {
        let enc: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
        let page = app
            .get_ok(&format!("/api/v1/orders?q={enc}&limit=100"), user)
            .await;
        let found = page["items"]
            .as_array()
            .is_some_and(|items| items.iter().any(|i| i["id"] == oid));
        assert!(found, "{user} finds the order by {q}: {page}");
    }
}

async fn search_queries_are_bounded(app: TestApp) {
    let long = "打".repeat(201);
    let enc: String = url::form_urlencoded::byte_serialize(long.as_bytes()).collect();
    let r = app
        .get(&format!("/api/v1/orders?q={enc}"), Some("wang.fang"))
        .await;
    assert_error("a 201-character query", &r, 422, "invalid", Some("q"));
    let many = (0..40)
        .map(|i| format!("w{i}"))
        .collect::<Vec<_>>()
        .join("+");
    let r = app
        .get(&format!("/api/v1/orders?q={many}"), Some("wang.fang"))
        .await;
    assert_error("a 40-term query", &r, 422, "invalid", Some("q"));
    let r = app
        .get(&format!("/api/v1/orders?q={many}"), Some("wu.li"))
        .await;
    assert_error("a 40-term query by a client", &r, 422, "invalid", Some("q"));
    // An ordinary query still works.
    let (status, _) = app.get("/api/v1/orders?q=打印机", Some("wang.fang")).await;
    assert_eq!(status, 200);
}

// ---- QR label URLs ------------------------------------------------------------------------

async fn labels_use_the_public_url(app: TestApp) {
    use axum::http::{HeaderMap, HeaderValue, header};
    let public = weihu_web::WebConfig {
        public_url: Some("https://desk.example.com/".into()),
        ..Default::default()
    };
    let mut hostile = HeaderMap::new();
    hostile.insert(header::HOST, HeaderValue::from_static("evil.example"));
    hostile.insert("x-forwarded-proto", HeaderValue::from_static("https"));
    assert_eq!(
        weihu_web::api::documents_base_url(&public, &hostile),
        "https://desk.example.com"
    );
    // Without a public URL the request's Host is used only when it is a plausible host name.
    let none = weihu_web::WebConfig::default();
    assert_eq!(
        weihu_web::api::documents_base_url(&none, &hostile),
        "https://evil.example"
    );
    for bad in [
        "a".repeat(300),
        "evil.example\tx".into(),
        "evil.example/path".into(),
        "".into(),
    ] {
        let mut h = HeaderMap::new();
        h.insert(
            header::HOST,
            HeaderValue::from_str(&bad).expect("a header value"),
        );
        assert_eq!(
            weihu_web::api::documents_base_url(&none, &h),
            "http://localhost",
            "Host {bad:?}"
        );
    }
    // Over HTTP with a hostile Host header and a public URL: the sheet renders.
    let base = serve_with(&app, public).await;
    let ids = asset_ids(&app, 1).await;
    let resp = app
        .client
        .post(format!("{base}/api/v1/assets/labels"))
        .bearer_auth(app.token("li.qiang"))
        .header("host", "evil.example")
        .json(&json!({ "ids": ids }))
        .send()
        .await
        .expect("labels");
    assert_eq!(resp.status().as_u16(), 200);
    let body = resp.bytes().await.expect("body");
    assert!(body.starts_with(b"%PDF-"));
}

// ---- security headers ---------------------------------------------------------------------

async fn security_headers_on_every_response(app: TestApp) {
    let (status, h, _) = raw(&app, Method::GET, &app.url("/login"), None, None).await;
    assert_eq!(status, 200);
    let csp = h
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    for want in [
        "default-src 'self'",
        "script-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(want), "CSP has {want}: {csp:?}");
    }
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "same-origin");
    assert!(
        h.get("strict-transport-security").is_none(),
        "no HSTS over HTTP"
    );
    for path in [
        "/api/v1/orders",
        "/static/app.js",
        "/healthz",
        "/metrics",
        "/no-such-page",
    ] {
        let (_, h, _) = raw(&app, Method::GET, &app.url(path), None, None).await;
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
    }
    let (_, h, _) = raw(
        &app,
        Method::GET,
        &app.url("/api/v1/orders?limit=1"),
        Some("wang.fang"),
        None,
    )
    .await;
    assert_eq!(h["x-content-type-options"], "nosniff");
    // Over HTTPS (secure cookies): HSTS on every response.
    let base = serve_with(
        &app,
        weihu_web::WebConfig {
            secure_cookies: true,
            ..Default::default()
        },
    )
    .await;
    for path in ["/login", "/api/v1/orders"] {
        let (_, h, _) = raw(&app, Method::GET, &format!("{base}{path}"), None, None).await;
        assert_eq!(h["strict-transport-security"], "max-age=31536000", "{path}");
    }
}
