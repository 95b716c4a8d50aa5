//! What operators and API clients read without signing in: health, metrics, the OpenAPI
//! document.

use crate::helpers::TestApp;

both_backends!(health_metrics_and_openapi_are_served);

async fn health_metrics_and_openapi_are_served(app: TestApp) {
    let (status, health) = app.get("/healthz", None).await;
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["status"], "ok");
    assert_eq!(health["database"], app.backend.name(), "{health}");
    assert!(health["version"].as_str().is_some_and(|v| !v.is_empty()));

    // Every response carries a request id.
    let resp = app
        .client
        .get(app.url("/api/v1/me"))
        .send()
        .await
        .expect("send");
    assert!(
        resp.headers().contains_key("x-request-id"),
        "{:?}",
        resp.headers()
    );

    let resp = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(ct.starts_with("text/plain"), "metrics content type: {ct}");
    let text = resp.text().await.expect("body");
    assert!(text.contains("weihu_http_requests_total"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("weihu_http_requests_total")
                && l.contains("route=\"/healthz\"")
                && l.contains("status=\"200\"")),
        "the /healthz request is counted by route and status: {text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("weihu_http_requests_total")
                && l.contains("route=\"/api/v1/me\"")
                && l.contains("status=\"401\"")),
        "the refused /api/v1/me is counted as a 401: {text}"
    );

    let (status, doc) = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(status, 200);
    let version = doc["openapi"].as_str().expect("an openapi version");
    assert!(version.starts_with('3'), "OpenAPI 3: {version}");
    let paths = doc["paths"].as_object().expect("paths");
    for p in [
        "/api/v1/organizations",
        "/api/v1/organizations/{id}",
        "/api/v1/users",
        "/api/v1/tokens/{id}",
        "/api/v1/audit-log",
        "/api/v1/me",
        "/healthz",
    ] {
        assert!(paths.contains_key(p), "the document lists {p}");
    }
    assert!(doc["paths"]["/api/v1/organizations"]["post"].is_object());
    assert!(doc["paths"]["/api/v1/tokens/{id}"]["delete"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    // Every documented operation is served (no 404 from the router for a documented path).
    for (template, item) in paths {
        let path = template.replace("{id}", "1");
        for method in item.as_object().expect("item").keys() {
            let m = match method.as_str() {
                "get" => reqwest::Method::GET,
                "post" => reqwest::Method::POST,
                "patch" => reqwest::Method::PATCH,
                "delete" => reqwest::Method::DELETE,
                "put" => reqwest::Method::PUT,
                _ => continue,
            };
            let resp = app
                .client
                .request(m.clone(), app.url(&path))
                .send()
                .await
                .expect("send");
            let status = resp.status().as_u16();
            assert!(
                status != 404 && status != 405 && status < 500,
                "{m} {path} (documented as {template}) anonymously: {status}"
            );
        }
    }
}
