//! Mail: the outbox (administrators), the review queue of received mail (dispatchers), and each
//! user's choice of optional mail.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use weihu_domain::mail::MailKind;
use weihu_store::Page;
use weihu_store::mail::inbox::{self, InboxMail};
use weihu_store::mail::outbox::{self, OutboxFilter, OutboxMail};
use weihu_store::mail::prefs;
use weihu_store::orders::Order;

use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Id};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/mail/outbox", get(outbox_list))
        .route("/api/v1/mail/outbox/{id}/retry", post(outbox_retry))
        .route("/api/v1/mail/inbox", get(inbox_list))
        .route("/api/v1/mail/inbox/{id}", get(inbox_get))
        .route("/api/v1/mail/inbox/{id}/accept", post(inbox_accept))
        .route("/api/v1/mail/inbox/{id}/reject", post(inbox_reject))
        .route("/api/v1/me/mail", get(my_mail).put(put_my_mail))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct OutboxQuery {
    /// queued, sending, sent, failed, skipped, expired.
    state: Option<String>,
    order_id: Option<i64>,
    /// 1–200, default 50.
    limit: Option<i64>,
    offset: Option<i64>,
}

/// The outbox, newest first: every mail, to whom, and whether it went out (administrators).
#[utoipa::path(get, path = "/api/v1/mail/outbox", tag = "mail", params(OutboxQuery),
    responses((status = 200, body = Page<OutboxMail>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn outbox_list(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(q): ApiQuery<OutboxQuery>,
) -> ApiResult<Json<Page<OutboxMail>>> {
    let filter = OutboxFilter {
        state: q.state,
        order_id: q.order_id,
    };
    Ok(Json(
        outbox::list(
            &s.store,
            &a,
            &filter,
            q.limit.unwrap_or(50),
            q.offset.unwrap_or(0),
        )
        .await?,
    ))
}

/// Send a failed or expired mail again.
#[utoipa::path(post, path = "/api/v1/mail/outbox/{id}/retry", tag = "mail", params(("id" = i64, Path)),
    responses((status = 200, body = OutboxMail), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn outbox_retry(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<OutboxMail>> {
    Ok(Json(outbox::retry(&s.store, &a, id).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct InboxQuery {
    /// order, comment, review, accepted, rejected, ignored (`review` is the queue).
    state: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

/// Received mail, newest first, with what became of each (dispatchers and administrators).
#[utoipa::path(get, path = "/api/v1/mail/inbox", tag = "mail", params(InboxQuery),
    responses((status = 200, body = Page<InboxMail>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn inbox_list(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(q): ApiQuery<InboxQuery>,
) -> ApiResult<Json<Page<InboxMail>>> {
    Ok(Json(
        inbox::list(
            &s.store,
            &a,
            q.state.as_deref(),
            q.limit.unwrap_or(50),
            q.offset.unwrap_or(0),
        )
        .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/mail/inbox/{id}", tag = "mail", params(("id" = i64, Path)),
    responses((status = 200, body = InboxMail), (status = 404, body = ErrorBody)))]
pub async fn inbox_get(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<InboxMail>> {
    Ok(Json(inbox::get(&s.store, &a, id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Accept {
    /// The client the order is for.
    client_org_id: i64,
}

/// Accept a message waiting for review as a service order of a client (channel `email`, the
/// sender as the requester's name, its attachments through the upload checks).
#[utoipa::path(post, path = "/api/v1/mail/inbox/{id}/accept", tag = "mail", params(("id" = i64, Path)), request_body = Accept,
    responses((status = 200, body = Order), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn inbox_accept(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
    ApiJson(b): ApiJson<Accept>,
) -> ApiResult<Json<Order>> {
    Ok(Json(
        crate::mail::intake::accept(&s.store, &a, id, b.client_org_id, &s.config.mail_limits)
            .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Reject {
    /// Why (kept with the message; at most 500 characters).
    #[serde(default)]
    reason: String,
}

/// Reject a message waiting for review (spam, not a fault report).
#[utoipa::path(post, path = "/api/v1/mail/inbox/{id}/reject", tag = "mail", params(("id" = i64, Path)), request_body = Reject,
    responses((status = 200, body = InboxMail), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn inbox_reject(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
    ApiJson(b): ApiJson<Reject>,
) -> ApiResult<Json<InboxMail>> {
    inbox::decide(&s.store, &a, id, "rejected", &b.reason, None).await?;
    Ok(Json(inbox::get(&s.store, &a, id).await?))
}

#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct MailChoice {
    /// The kinds of optional mail turned off.
    off: Vec<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MyMail {
    /// The kinds of optional mail turned off.
    off: Vec<String>,
    /// Every kind that may be turned off.
    optional: Vec<String>,
    /// Kinds that cannot be turned off.
    mandatory: Vec<String>,
    /// False when you have no e-mail address: you get no mail at all.
    has_address: bool,
}

async fn my_mail_of(s: &AppState, a: &weihu_store::Actor) -> ApiResult<MyMail> {
    let off = prefs::mail_off(&s.store, a).await?;
    let me = weihu_store::users::get(&s.store, a, a.user_id).await?;
    Ok(MyMail {
        off: off.iter().map(|k| k.as_str().to_owned()).collect(),
        optional: MailKind::optional()
            .map(|k| k.as_str().to_owned())
            .collect(),
        mandatory: MailKind::ALL
            .into_iter()
            .filter(|k| k.mandatory())
            .map(|k| k.as_str().to_owned())
            .collect(),
        has_address: !me.email.trim().is_empty(),
    })
}

/// Which mails you get.
#[utoipa::path(get, path = "/api/v1/me/mail", tag = "me", responses((status = 200, body = MyMail)))]
pub async fn my_mail(State(s): State<AppState>, ApiActor(a): ApiActor) -> ApiResult<Json<MyMail>> {
    Ok(Json(my_mail_of(&s, &a).await?))
}

/// Turn off exactly these kinds of optional mail (an empty list: every mail).
#[utoipa::path(put, path = "/api/v1/me/mail", tag = "me", request_body = MailChoice,
    responses((status = 200, body = MyMail), (status = 422, body = ErrorBody)))]
pub async fn put_my_mail(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<MailChoice>,
) -> ApiResult<Json<MyMail>> {
    prefs::set_mail_off(&s.store, &a, &b.off).await?;
    Ok(Json(my_mail_of(&s, &a).await?))
}
