//! The mail page: whether mail is on, the review queue of received mail (dispatchers), the
//! outbox with its failures (administrators), and what arrived lately.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{OriginalUri, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use weihu_store::Page;
use weihu_store::mail::inbox::{self, InboxMail};
use weihu_store::mail::outbox::{self, OutboxFilter, OutboxMail};
use weihu_store::organizations::Organization;

use super::{PageCtx, back, page_error, render};
use crate::AppState;
use crate::auth::WebSession;
use crate::extract::Id;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/mail", get(show))
        .route("/mail/outbox/{id}/retry", post(retry))
        .route("/mail/inbox/{id}/accept", post(accept))
        .route("/mail/inbox/{id}/reject", post(reject))
}

#[derive(Template)]
#[template(path = "mail.html")]
struct MailPage {
    ctx: PageCtx,
    error: Option<String>,
    relay: Option<String>,
    from: String,
    imap: Option<String>,
    can_manage: bool,
    review: Vec<InboxMail>,
    received: Vec<InboxMail>,
    outbox: Option<Page<OutboxMail>>,
    counts: Vec<(String, i64)>,
    state: String,
    polls: Vec<(String, Option<jiff::Timestamp>, String)>,
    clients: Vec<Organization>,
}

#[derive(Deserialize, Default)]
struct MailQuery {
    state: Option<String>,
    offset: Option<i64>,
    error: Option<String>,
    ok: Option<String>,
}

async fn show(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    Query(q): Query<MailQuery>,
) -> Response {
    let mut ctx = PageCtx::new(&headers, &session, uri.path());
    if q.ok.is_some() {
        ctx.flash = Some(ctx.t("flash.saved").to_owned());
    }
    let a = &session.actor;
    let r = async {
        let review = inbox::list(&s.store, a, Some("review"), 100, 0)
            .await?
            .items;
        let received = inbox::list(&s.store, a, None, 30, 0).await?.items;
        let can_manage = a.role.can_manage_mail();
        let state = q.state.clone().unwrap_or_default();
        let (outbox, counts, polls) = if can_manage {
            let filter = OutboxFilter {
                state: Some(state.clone()),
                order_id: None,
            };
            (
                Some(outbox::list(&s.store, a, &filter, 50, q.offset.unwrap_or(0)).await?),
                outbox::counts(&s.store, a).await?,
                inbox::polls(&s.store, a).await?,
            )
        } else {
            (None, Vec::new(), Vec::new())
        };
        Ok::<_, weihu_store::StoreError>((
            review, received, can_manage, state, outbox, counts, polls,
        ))
    }
    .await;
    match r {
        Ok((review, received, can_manage, state, outbox, counts, polls)) => {
            let clients = if review.is_empty() {
                Vec::new()
            } else {
                super::active_clients(&s, a).await
            };
            render(&MailPage {
                ctx,
                error: q.error,
                relay: s.config.mail.relay.clone(),
                from: s.config.mail.from.clone(),
                imap: s.config.mail.imap.clone(),
                can_manage,
                review,
                received,
                outbox,
                counts,
                state,
                polls,
                clients,
            })
        }
        Err(e) => page_error(ctx, e.into()),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn retry(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    back(
        "/mail#outbox",
        outbox::retry(&s.store, &session.actor, id)
            .await
            .map(|_| ()),
    )
}

#[derive(Deserialize)]
struct AcceptForm {
    csrf: String,
    client_org_id: i64,
}

async fn accept(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Form(f): Form<AcceptForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    match crate::mail::intake::accept(
        &s.store,
        &session.actor,
        id,
        f.client_org_id,
        &s.config.mail_limits,
    )
    .await
    {
        Ok(order) => axum::response::Redirect::to(&format!("/orders/{}", order.id)).into_response(),
        Err(e) => back("/mail#review", Err::<(), _>(e)),
    }
}

#[derive(Deserialize)]
struct RejectForm {
    csrf: String,
    #[serde(default)]
    reason: String,
}

async fn reject(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Form(f): Form<RejectForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    back(
        "/mail#review",
        inbox::decide(&s.store, &session.actor, id, "rejected", &f.reason, None).await,
    )
}
