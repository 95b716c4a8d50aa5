//! Security headers on every response: `nosniff` and a same-origin referrer everywhere, a strict
//! Content-Security-Policy on HTML pages (no inline script or style anywhere in the templates;
//! the behaviour lives in `static/app.js`), and HSTS when Weihu is served over HTTPS.

use axum::http::{HeaderValue, header};
use axum::response::Response;

/// The policy of every HTML page: only this origin's scripts, styles, images and forms; never
/// framed; no plugins.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// One year, as browsers expect for HSTS.
pub const HSTS: &str = "max-age=31536000";

/// Adds the security headers to `resp`; `hsts` when cookies are `Secure` (served over HTTPS).
pub fn apply(mut resp: Response, hsts: bool) -> Response {
    let is_html = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let h = resp.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if is_html {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    if hsts {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::response::IntoResponse;

    #[test]
    fn html_gets_the_policy_and_everything_gets_nosniff() {
        let page = apply(axum::response::Html("<p>x</p>").into_response(), false);
        assert_eq!(page.headers()[header::CONTENT_SECURITY_POLICY], CSP);
        assert_eq!(page.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(page.headers()[header::REFERRER_POLICY], "same-origin");
        assert!(
            page.headers()
                .get(header::STRICT_TRANSPORT_SECURITY)
                .is_none()
        );
        let json = apply(axum::Json(1).into_response(), true);
        assert!(
            json.headers()
                .get(header::CONTENT_SECURITY_POLICY)
                .is_none()
        );
        assert_eq!(json.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(json.headers()[header::STRICT_TRANSPORT_SECURITY], HSTS);
    }
}
