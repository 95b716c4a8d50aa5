//! Sign in, sign out, and the language switcher.

use askama::Template;
use std::net::{IpAddr, Ipv4Addr};

use axum::Form;
use axum::Router;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::header::{CONTENT_LENGTH, RETRY_AFTER, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use weihu_store::credentials::{random_token, verify_password_pooled};
use weihu_store::throttle::{self, Subject};
use weihu_store::{StoreError, demo, sessions, users};

use super::{PageCtx, render};
use crate::AppState;
use crate::auth::{
    ClientAddr, LANG_COOKIE, LOGIN_CSRF_COOKIE, SESSION_COOKIE, WebSession, cookie, same_secret,
    same_site_path, set_cookie,
};
use crate::error::ApiError;
use crate::i18n::Lang;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/language", get(language))
}

/// Only same-site relative targets, so `next` cannot send a user elsewhere.
fn safe_next(next: Option<&str>) -> Option<String> {
    next.and_then(same_site_path)
}

/// The largest sign-in form accepted: a name, a password, a token and a return path.
pub const LOGIN_BODY_LIMIT: usize = 8 * 1024;

fn landing(is_client: bool) -> &'static str {
    if is_client { "/portal" } else { "/dashboard" }
}

async fn home(session: Result<WebSession, Response>) -> Redirect {
    match session {
        Ok(s) => Redirect::to(landing(s.actor.is_client())),
        Err(_) => Redirect::to("/login"),
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    ctx: PageCtx,
    form_csrf: String,
    next: String,
    username: String,
    error: Option<&'static str>,
    demo: Vec<(String, String, String)>,
    demo_password: &'static str,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Response {
    show_login(&s, &headers, q.next.as_deref(), "", None, StatusCode::OK)
}

fn show_login(
    s: &AppState,
    headers: &HeaderMap,
    next: Option<&str>,
    username: &str,
    error: Option<&'static str>,
    status: StatusCode,
) -> Response {
    let ctx = PageCtx::anonymous(headers, "/login");
    let form_csrf = match random_token(24) {
        Ok(t) => t,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let demo = if s.config.demo {
        demo_logins(ctx.tr)
    } else {
        Vec::new()
    };
    let page = LoginPage {
        form_csrf: form_csrf.clone(),
        next: safe_next(next).unwrap_or_default(),
        username: username.to_owned(),
        error,
        demo,
        demo_password: demo::DEMO_PASSWORD,
        ctx,
    };
    let mut resp = render(&page);
    *resp.status_mut() = status;
    resp.headers_mut().append(
        SET_COOKIE,
        set_cookie(
            LOGIN_CSRF_COOKIE,
            &form_csrf,
            Some(3600),
            s.config.secure_cookies,
        ),
    );
    resp
}

fn demo_logins(tr: crate::i18n::Tr) -> Vec<(String, String, String)> {
    use weihu_domain::role::Role;
    [
        ("admin", Role::Admin),
        ("wang.fang", Role::Dispatcher),
        ("li.qiang", Role::Engineer),
        ("zhao.min", Role::ServiceLevelManager),
        ("liu.yang", Role::Finance),
        ("zhou.jg", Role::ClientAdmin),
        ("wu.li", Role::ClientUser),
    ]
    .into_iter()
    .map(|(u, r)| {
        (
            u.to_owned(),
            tr.t(super::role_key(r)).to_owned(),
            String::new(),
        )
    })
    .collect()
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
}

/// The throttle limits from the server's settings.
fn limits(s: &AppState) -> throttle::Limits {
    let l = &s.config.login;
    throttle::Limits {
        address_failures: i64::from(l.address_failures),
        username_failures: i64::from(l.username_failures),
        window_ms: i64::from(l.lock_minutes.max(1)) * 60_000,
        ..Default::default()
    }
}

/// Reads the sign-in form, refusing an over-long body before reading it (413) and an
/// unreadable one (400), both as JSON.
async fn read_login_form(headers: &HeaderMap, body: Body) -> Result<LoginForm, ApiError> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > LOGIN_BODY_LIMIT as u64) {
        return Err(ApiError::TooLarge);
    }
    let bytes = axum::body::to_bytes(body, LOGIN_BODY_LIMIT)
        .await
        .map_err(|_| ApiError::TooLarge)?;
    serde_urlencoded::from_bytes(&bytes).map_err(|e| {
        ApiError::bad_request(None, format!("the sign-in form could not be read: {e}"))
    })
}

async fn login(
    State(s): State<AppState>,
    ClientAddr(ip): ClientAddr,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let f = match read_login_form(&headers, body).await {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same_secret(&f.csrf, &expected) {
        return ApiError::CsrfRejected.into_response();
    }
    // The same rule as for creating a user, before anything is looked up or stored.
    let username = match users::check_username(&f.username) {
        Ok(u) => u,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let next = safe_next(Some(&f.next));
    let fail = |key: &'static str, status, retry_ms: Option<i64>| {
        let mut resp = show_login(&s, &headers, next.as_deref(), &username, Some(key), status);
        if let Some(until) = retry_ms
            && let Ok(v) =
                HeaderValue::from_str(&((until - weihu_store::now_ms()) / 1000).max(1).to_string())
        {
            resp.headers_mut().insert(RETRY_AFTER, v);
        }
        resp
    };
    let limits = limits(&s);
    let address = throttle::address_label(ip.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)));
    // An address over its own limit is locked for every name.
    match throttle::check(&s.store, Subject::Address(&address)).await {
        Ok(()) => {}
        Err(StoreError::Throttled { until_ms }) => {
            return fail(
                "login.throttled",
                StatusCode::TOO_MANY_REQUESTS,
                Some(until_ms),
            );
        }
        Err(e) => return ApiError::from(e).into_response(),
    }
    // A name's lock applies only to addresses that have not signed in as that user before, so
    // nobody can lock a user out by failing on purpose.
    let known = match throttle::is_known(&s.store, &username, &address).await {
        Ok(k) => k,
        Err(e) => return ApiError::from(e).into_response(),
    };
    if !known {
        match throttle::check(&s.store, Subject::Username(&username)).await {
            Ok(()) => {}
            Err(StoreError::Throttled { until_ms }) => {
                return fail(
                    "login.throttled",
                    StatusCode::TOO_MANY_REQUESTS,
                    Some(until_ms),
                );
            }
            Err(e) => return ApiError::from(e).into_response(),
        }
    }
    let found = match users::find_by_username(&s.store, &username).await {
        Ok(u) => u.filter(|(u, _)| u.active),
        Err(e) => return ApiError::from(e).into_response(),
    };
    // Unknown and deactivated users verify a dummy hash: the answer takes as long either way.
    let verified =
        match verify_password_pooled(&f.password, found.as_ref().map(|(_, h)| h.as_str())).await {
            Ok(v) => v,
            Err(e) => return ApiError::from(e).into_response(),
        };
    let user = match found {
        Some((u, _)) if verified => u,
        _ => {
            for subject in [Subject::Address(&address), Subject::Username(&username)] {
                if let Err(e) = throttle::record_failure(&s.store, subject, &limits).await {
                    return ApiError::from(e).into_response();
                }
            }
            return fail("login.failed", StatusCode::UNAUTHORIZED, None);
        }
    };
    if let Err(e) = throttle::clear(&s.store, Subject::Username(&username)).await {
        return ApiError::from(e).into_response();
    }
    if let Err(e) = throttle::remember(&s.store, &username, &address).await {
        return ApiError::from(e).into_response();
    }
    let session = match sessions::create(&s.store, user.id).await {
        Ok(x) => x,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let target = if user.must_change_password {
        "/account?must_change=1".to_owned()
    } else {
        next.unwrap_or_else(|| landing(user.role.is_client_side()).to_owned())
    };
    let mut resp = Redirect::to(&target).into_response();
    let h = resp.headers_mut();
    h.append(
        SET_COOKIE,
        set_cookie(
            SESSION_COOKIE,
            &session.cookie,
            Some(sessions::SESSION_TTL_MS / 1000),
            s.config.secure_cookies,
        ),
    );
    h.append(
        SET_COOKIE,
        set_cookie(LOGIN_CSRF_COOKIE, "", Some(0), s.config.secure_cookies),
    );
    if let Some(l) = user.locale.as_deref().and_then(Lang::parse) {
        h.append(
            SET_COOKIE,
            set_cookie(
                LANG_COOKIE,
                l.code(),
                Some(365 * 24 * 3600),
                s.config.secure_cookies,
            ),
        );
    }
    resp
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    State(s): State<AppState>,
    headers: HeaderMap,
    session: WebSession,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    if let Some(c) = cookie(&headers, SESSION_COOKIE)
        && let Err(e) = sessions::delete(&s.store, &c).await
    {
        return ApiError::from(e).into_response();
    }
    let mut resp = Redirect::to("/login").into_response();
    resp.headers_mut().append(
        SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", Some(0), s.config.secure_cookies),
    );
    resp
}

#[derive(Deserialize)]
struct LangQuery {
    set: String,
    next: Option<String>,
}

/// Switches the language for this browser. Saving it on the profile is done on the account page.
async fn language(State(s): State<AppState>, Query(q): Query<LangQuery>) -> Response {
    let lang = Lang::parse(&q.set).unwrap_or(Lang::Zh);
    let mut resp =
        Redirect::to(&safe_next(q.next.as_deref()).unwrap_or_else(|| "/".into())).into_response();
    resp.headers_mut().append(
        SET_COOKIE,
        set_cookie(
            LANG_COOKIE,
            lang.code(),
            Some(365 * 24 * 3600),
            s.config.secure_cookies,
        ),
    );
    resp
}
