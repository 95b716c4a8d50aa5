//! Who is calling: a bearer token (API clients) or a session cookie (the browser). Session
//! requests that change state must prove they come from our own pages (CSRF token).

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::response::{IntoResponse, Redirect, Response};
use weihu_store::{Actor, sessions, tokens};

use crate::AppState;
use crate::error::ApiError;

pub const SESSION_COOKIE: &str = "weihu_session";
pub const LANG_COOKIE: &str = "weihu_lang";
pub const LOGIN_CSRF_COOKIE: &str = "weihu_login_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The longest return path accepted in `next`.
pub const MAX_RETURN_PATH: usize = 2048;

/// `next` if it is a path on this site, else `None`: it must start with one `/` (not `//` or
/// `/\`, which browsers read as another host), and hold only visible ASCII (no control
/// characters, which browsers drop — `/%09/evil.example` becomes `//evil.example` — and which
/// cannot go into a `Location` header; no spaces; no backslashes). Every redirect to a
/// caller-supplied return URL goes through here.
pub fn same_site_path(next: &str) -> Option<String> {
    let ok = next.len() <= MAX_RETURN_PATH
        && next.starts_with('/')
        && !next.starts_with("//")
        && next.bytes().all(|b| b.is_ascii_graphic() && b != b'\\');
    ok.then(|| next.to_owned())
}

/// The client's address: the socket peer (not `X-Forwarded-For`, which any client can write).
/// `None` when the server was started without connection info.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

/// The value of cookie `name` in the request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A `Set-Cookie` value: HttpOnly unless it must be read by scripts, SameSite=Lax, path /.
pub fn set_cookie(name: &str, value: &str, max_age_secs: Option<i64>, secure: bool) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age_secs {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static("invalid=1"))
}

/// Compares secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// The actor of an API request.
pub struct ApiActor(pub Actor);

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(secret) = bearer(&parts.headers) {
            let actor = tokens::authenticate(&state.store, secret)
                .await?
                .ok_or(ApiError::Unauthorized)?;
            crate::read_route::signed_in(parts, state, actor.user_id).await?;
            return Ok(ApiActor(actor));
        }
        let Some(c) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(ApiError::Unauthorized);
        };
        let (actor, csrf) = sessions::lookup(&state.store, &c)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        if !is_safe(&parts.method) {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !same_secret(sent, &csrf) {
                return Err(ApiError::CsrfRejected);
            }
        }
        crate::read_route::signed_in(parts, state, actor.user_id).await?;
        Ok(ApiActor(actor))
    }
}

/// The signed-in user of a web page, with the session's CSRF token for its forms.
#[derive(Clone)]
pub struct WebSession {
    pub actor: Actor,
    pub csrf: String,
}

impl WebSession {
    /// Refuses a form whose token is not this session's.
    pub fn check_csrf(&self, sent: &str) -> Result<(), ApiError> {
        if same_secret(sent, &self.csrf) {
            Ok(())
        } else {
            Err(ApiError::CsrfRejected)
        }
    }
}

/// A page that needs a session redirects to the login page, remembering where it was going.
pub struct LoginRedirect(String);

impl IntoResponse for LoginRedirect {
    fn into_response(self) -> Response {
        let next: String = form_urlencoded::byte_serialize(self.0.as_bytes()).collect();
        Redirect::to(&format!("/login?next={next}")).into_response()
    }
}

impl FromRequestParts<AppState> for WebSession {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let back = LoginRedirect(
            parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|| "/".into()),
        );
        let Some(c) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(back.into_response());
        };
        match sessions::lookup(&state.store, &c).await {
            Ok(Some((actor, csrf))) => {
                crate::read_route::signed_in(parts, state, actor.user_id)
                    .await
                    .map_err(|e| ApiError::from(e).into_response())?;
                Ok(WebSession { actor, csrf })
            }
            Ok(None) => Err(back.into_response()),
            Err(e) => Err(ApiError::from(e).into_response()),
        }
    }
}

/// Refuses state-changing requests sent by another site's page, before any handler runs:
/// `Sec-Fetch-Site: cross-site`, or an `Origin` whose host is not ours. Bearer-token API calls
/// are exempt (no ambient credentials).
pub async fn origin_guard(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    if !is_safe(req.method()) && bearer(req.headers()).is_none() {
        let h = req.headers();
        let cross_site = h
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == "cross-site");
        let host = h.get("host").and_then(|v| v.to_str().ok()).unwrap_or("");
        let foreign_origin = h
            .get("origin")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|o| {
                let o = o.split_once("://").map(|(_, rest)| rest).unwrap_or(o);
                o != host
            });
        if cross_site || foreign_origin {
            return ApiError::CsrfRejected.into_response();
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_same_site_paths_are_return_targets() {
        for good in ["/", "/orders/12?tab=work", "/orders?q=%E5%8D%8E"] {
            assert_eq!(same_site_path(good).as_deref(), Some(good), "{good}");
        }
        for bad in [
            "",
            "orders",
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\r\n",
            "/\r\nSet-Cookie: x=1",
            "/ /evil.example",
            "/华东",
            "https://evil.example/",
            "/a\\b",
        ] {
            assert_eq!(same_site_path(bad), None, "{bad:?}");
        }
        assert_eq!(
            same_site_path(&format!("/{}", "a".repeat(MAX_RETURN_PATH))),
            None
        );
    }
}
