//! Sign in, sign out, and the language switcher.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header::SET_COOKIE};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use weihu_store::credentials::{random_token, verify_password};
use weihu_store::{StoreError, demo, sessions, throttle, users};

use super::{PageCtx, render};
use crate::AppState;
use crate::auth::{
    LANG_COOKIE, LOGIN_CSRF_COOKIE, SESSION_COOKIE, WebSession, cookie, same_secret, set_cookie,
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
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
        .map(str::to_owned)
}

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
    username: String,
    password: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
}

async fn login(
    State(s): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same_secret(&f.csrf, &expected) {
        return ApiError::CsrfRejected.into_response();
    }
    let next = safe_next(Some(&f.next));
    let fail = |key: &'static str, status| {
        show_login(
            &s,
            &headers,
            next.as_deref(),
            &f.username,
            Some(key),
            status,
        )
    };
    match throttle::check(&s.store, &f.username).await {
        Ok(()) => {}
        Err(StoreError::Throttled { .. }) => {
            return fail("login.throttled", StatusCode::TOO_MANY_REQUESTS);
        }
        Err(e) => return ApiError::from(e).into_response(),
    }
    let found = match users::find_by_username(&s.store, &f.username).await {
        Ok(u) => u,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let user = match found {
        Some((u, hash)) if u.active && verify_password(&f.password, &hash) => u,
        _ => {
            if let Err(e) = throttle::record_failure(&s.store, &f.username).await {
                return ApiError::from(e).into_response();
            }
            return fail("login.failed", StatusCode::UNAUTHORIZED);
        }
    };
    if let Err(e) = throttle::clear(&s.store, &f.username).await {
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
