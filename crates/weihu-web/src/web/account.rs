//! The signed-in user's own profile: name, contact, language, password.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{OriginalUri, Query, State};
use axum::http::{HeaderMap, header::SET_COOKIE};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use weihu_store::users::{self, User, UserPatch};

use super::{PageCtx, page_error, render};
use crate::AppState;
use crate::auth::{LANG_COOKIE, SESSION_COOKIE, WebSession, set_cookie};
use crate::error::ApiError;
use crate::i18n::Lang;
use weihu_domain::mail::MailKind;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account", get(show).post(save))
        .route("/account/password", post(password))
        .route("/account/mail", post(mail))
}

#[derive(Template)]
#[template(path = "account.html")]
struct Account {
    ctx: PageCtx,
    user: User,
    error: Option<String>,
    must_change: bool,
    /// Each kind of mail, whether it is on, and whether it may be turned off.
    mail: Vec<(&'static str, bool, bool)>,
}

#[derive(Deserialize)]
struct Flash {
    error: Option<String>,
    ok: Option<String>,
    must_change: Option<String>,
}

async fn show(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    Query(f): Query<Flash>,
) -> Response {
    let mut ctx = PageCtx::new(&headers, &session, uri.path());
    if f.ok.is_some() {
        ctx.flash = Some(ctx.t("flash.saved").to_owned());
    }
    let r = async {
        let user = users::get(&s.store, &session.actor, session.actor.user_id).await?;
        let off = weihu_store::mail::prefs::mail_off(&s.store, &session.actor).await?;
        Ok::<_, weihu_store::StoreError>((user, off))
    }
    .await;
    match r {
        Ok((user, off)) => render(&Account {
            must_change: f.must_change.is_some() || user.must_change_password,
            ctx,
            user,
            error: f.error,
            mail: MailKind::ALL
                .into_iter()
                .map(|k| (k.as_str(), !off.contains(&k), !k.mandatory()))
                .collect(),
        }),
        Err(e) => page_error(ctx, e.into()),
    }
}

#[derive(Deserialize)]
struct ProfileForm {
    csrf: String,
    version: i64,
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    locale: String,
    #[serde(default)]
    time_zone: String,
}

async fn save(
    State(s): State<AppState>,
    session: WebSession,
    Form(f): Form<ProfileForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let locale = Lang::parse(&f.locale).map(|l| l.code().to_owned());
    let patch = UserPatch {
        display_name: Some(f.display_name),
        email: Some(f.email),
        phone: Some(f.phone),
        locale: Some(locale.clone()),
        time_zone: Some(Some(f.time_zone)),
        ..Default::default()
    };
    let r = users::update(
        &s.store,
        &session.actor,
        session.actor.user_id,
        f.version,
        &patch,
    )
    .await
    .map(|_| ());
    let ok = r.is_ok();
    let mut resp = super::back("/account", r);
    if ok {
        // The switcher's cookie would otherwise override the saved choice in this browser.
        let cookie = match &locale {
            Some(l) => set_cookie(
                LANG_COOKIE,
                l,
                Some(365 * 24 * 3600),
                s.config.secure_cookies,
            ),
            None => set_cookie(LANG_COOKIE, "", Some(0), s.config.secure_cookies),
        };
        resp.headers_mut().append(SET_COOKIE, cookie);
    }
    resp
}

#[derive(Deserialize)]
struct PasswordForm {
    csrf: String,
    current_password: String,
    new_password: String,
}

async fn password(
    State(s): State<AppState>,
    session: WebSession,
    Form(f): Form<PasswordForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    if let Err(e) = users::change_own_password(
        &s.store,
        &session.actor,
        &f.current_password,
        &f.new_password,
    )
    .await
    {
        return super::back("/account", Err::<(), _>(e));
    }
    // The change ended every session, this one included: start a fresh one.
    match weihu_store::sessions::create(&s.store, session.actor.user_id).await {
        Ok(new) => {
            let mut resp = Redirect::to("/account?ok=1").into_response();
            resp.headers_mut().append(
                SET_COOKIE,
                set_cookie(
                    SESSION_COOKIE,
                    &new.cookie,
                    Some(weihu_store::sessions::SESSION_TTL_MS / 1000),
                    s.config.secure_cookies,
                ),
            );
            resp
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// The mail choices: every optional kind not ticked is turned off.
async fn mail(
    State(s): State<AppState>,
    session: WebSession,
    Form(f): Form<Vec<(String, String)>>,
) -> Response {
    let csrf = f
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    if let Err(e) = session.check_csrf(csrf) {
        return e.into_response();
    }
    let on: Vec<&str> = f
        .iter()
        .filter(|(k, _)| k == "on")
        .map(|(_, v)| v.as_str())
        .collect();
    let off: Vec<String> = MailKind::optional()
        .filter(|k| !on.contains(&k.as_str()))
        .map(|k| k.as_str().to_owned())
        .collect();
    super::back(
        "/account#mail",
        weihu_store::mail::prefs::set_mail_off(&s.store, &session.actor, &off)
            .await
            .map(|_| ()),
    )
}
