//! Service orders: the board, creation from desk, portal and API, moves, comments, timeline.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use serde::Deserialize;
use weihu_store::Page;
use weihu_store::notifications::{self, Notification};
use weihu_store::orders::{
    self, Comment, Escalation, Event, Merge, NewLink, NewOrder, Order, OrderFilter, OrderPatch,
    Rating, TransitionRequest,
};

use super::{ListQuery, list_params};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Id, Ids};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/orders", get(list).post(create))
        .route("/api/v1/orders/export", get(export))
        .route("/api/v1/orders/bulk", post(bulk))
        .route("/api/v1/orders/{id}", get(get_one).patch(update))
        .route("/api/v1/orders/{id}/events", get(events))
        .route("/api/v1/orders/{id}/comments", post(comment))
        .route("/api/v1/orders/{id}/transitions", post(transition))
        .route("/api/v1/orders/{id}/rating", post(rate))
        .route("/api/v1/orders/{id}/escalations", post(escalate))
        .route("/api/v1/orders/{id}/links", post(link))
        .route("/api/v1/orders/{id}/links/{link_id}", delete(unlink))
        .route("/api/v1/orders/{id}/merge", post(merge))
        .route("/api/v1/notifications", get(list_notifications))
        .route("/api/v1/notifications/{id}/read", post(read_notification))
}

#[derive(Debug, Deserialize)]
pub struct OrderQuery {
    limit: Option<i64>,
    offset: Option<i64>,
    sort: Option<String>,
    q: Option<String>,
    client_org_id: Option<i64>,
    state: Option<String>,
    open: Option<bool>,
    priority: Option<String>,
    assignee_id: Option<i64>,
    team_id: Option<i64>,
    requester_id: Option<i64>,
    at_risk: Option<bool>,
    unassigned: Option<bool>,
    escalated: Option<bool>,
    /// For the export: `csv` (default) or `xlsx`.
    format: Option<String>,
}

impl OrderQuery {
    fn filter(&self) -> OrderFilter {
        OrderFilter {
            client_org_id: self.client_org_id,
            state: self.state.clone(),
            open: self.open,
            priority: self.priority.clone(),
            assignee_id: self.assignee_id,
            team_id: self.team_id,
            requester_id: self.requester_id,
            at_risk: self.at_risk,
            unassigned: self.unassigned,
            escalated: self.escalated,
        }
    }
}

/// The orders of a list query (same filters, search and sort, without paging) as CSV or Excel,
/// labels in the caller's language and times in their zone; at most 10,000 orders (more: 422
/// on `limit`, narrow the filter). Every cell is text: nothing becomes a formula.
#[utoipa::path(get, path = "/api/v1/orders/export", tag = "orders",
    params(("format" = Option<String>, Query), ("q" = Option<String>, Query), ("sort" = Option<String>, Query),
           ("client_org_id" = Option<i64>, Query), ("state" = Option<String>, Query), ("open" = Option<bool>, Query),
           ("priority" = Option<String>, Query), ("assignee_id" = Option<i64>, Query), ("team_id" = Option<i64>, Query),
           ("requester_id" = Option<i64>, Query), ("at_risk" = Option<bool>, Query),
           ("unassigned" = Option<bool>, Query), ("escalated" = Option<bool>, Query)),
    responses((status = 200, description = "text/csv or an .xlsx workbook"), (status = 422, body = ErrorBody)))]
pub async fn export(
    State(s): State<AppState>,
    headers: axum::http::HeaderMap,
    ApiActor(a): ApiActor,
    ApiQuery(q): ApiQuery<OrderQuery>,
) -> ApiResult<axum::response::Response> {
    let tr = crate::i18n::Tr(crate::i18n::Lang::negotiate(&headers, a.locale.as_deref()));
    let zone = crate::format::zone_for(a.time_zone.as_deref());
    let table = crate::app::order_export::table(
        &s.store,
        &a,
        &q.filter(),
        q.q.clone().filter(|v| !v.is_empty()),
        q.sort.clone().filter(|v| !v.is_empty()),
        tr,
        &zone,
    )
    .await?;
    crate::sheets::download(&table, "orders", q.format.as_deref())
}

/// Apply one action to up to 100 orders: `assign` (`assignee_id`, `team_id`), another move
/// (`start`, `wait_client`, `resume`, `close`, `cancel` with `reason`, …) or `comment` (`body`,
/// `internal`). Each order is checked and changed on its own, as on its page; the answer lists
/// the orders done and, for the others, why not.
#[utoipa::path(post, path = "/api/v1/orders/bulk", tag = "orders", request_body = crate::app::bulk::BulkRequest,
    responses((status = 200, body = crate::app::bulk::BulkResult), (status = 422, body = ErrorBody)))]
pub async fn bulk(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(r): ApiJson<crate::app::bulk::BulkRequest>,
) -> ApiResult<Json<crate::app::bulk::BulkResult>> {
    Ok(Json(crate::app::bulk::run(&s.store, &a, &r).await?))
}

/// Service orders the caller may see: a client user their own, a client admin their
/// organisation's, provider staff all. Sort by `created_at`, `updated_at`, `priority`, `due`,
/// `number`, `state`, `client`, `assignee` or `subject` (`-` first for descending).
#[utoipa::path(get, path = "/api/v1/orders", tag = "orders",
    params(ListQuery, ("client_org_id" = Option<i64>, Query), ("state" = Option<String>, Query), ("open" = Option<bool>, Query),
           ("priority" = Option<String>, Query), ("assignee_id" = Option<i64>, Query), ("team_id" = Option<i64>, Query),
           ("requester_id" = Option<i64>, Query), ("at_risk" = Option<bool>, Query),
           ("unassigned" = Option<bool>, Query), ("escalated" = Option<bool>, Query)),
    responses((status = 200, body = Page<Order>), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(q): ApiQuery<OrderQuery>,
) -> ApiResult<Json<Page<Order>>> {
    let filter = q.filter();
    Ok(Json(
        orders::list(
            &s.store,
            &a,
            &filter,
            &list_params(q.limit, q.offset, &q.sort, &q.q),
        )
        .await?,
    ))
}

/// Open a service order. Priority comes from urgency × impact; the SLA policy's clocks start.
#[utoipa::path(post, path = "/api/v1/orders", tag = "orders", request_body = NewOrder,
    responses((status = 201, body = Order), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(mut new): ApiJson<NewOrder>,
) -> ApiResult<(StatusCode, Json<Order>)> {
    // Orders through the API are recorded as such, unless the desk names the real channel.
    if a.is_client() || new.channel.is_none() {
        new.channel = Some("api".into());
    }
    Ok((StatusCode::CREATED, Json(s.create_order(&a, &new).await?)))
}

/// One order with its clocks.
#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = Order), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<Order>> {
    Ok(Json(orders::read(&s.store, &a, id).await?))
}

/// Change an open order (the desk and the order's engineers): subject, description, category,
/// urgency and impact (the priority follows; a change of priority needs a `reason` and re-targets
/// the running clocks from the order's start under the same policy version), site, asset,
/// catalog service, service mode. Recorded on the timeline as what changed from what to what.
#[utoipa::path(patch, path = "/api/v1/orders/{id}", tag = "orders", params(("id" = i64, Path)), request_body = OrderPatch,
    responses((status = 200, body = Order), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
    ApiJson(p): ApiJson<OrderPatch>,
) -> ApiResult<Json<Order>> {
    Ok(Json(orders::update(&s.store, &a, id, &p).await?))
}

/// The order's timeline, oldest first (internal entries for provider staff only).
#[utoipa::path(get, path = "/api/v1/orders/{id}/events", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Event>), (status = 404, body = ErrorBody)))]
pub async fn events(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<Vec<Event>>> {
    Ok(Json(orders::events(&s.store, &a, id).await?))
}

/// Comment on an order (`public: false` makes an internal note, provider staff only).
#[utoipa::path(post, path = "/api/v1/orders/{id}/comments", tag = "orders", params(("id" = i64, Path)), request_body = Comment,
    responses((status = 201, body = Order), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn comment(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
    ApiJson(c): ApiJson<Comment>,
) -> ApiResult<(StatusCode, Json<Order>)> {
    Ok((
        StatusCode::CREATED,
        Json(orders::comment(&s.store, &a, id, &c).await?),
    ))
}

/// Move an order: assign, start, wait_client, wait_parts, resume, resolve, close, reopen, cancel, refuse.
/// A `resolve` while a visit is checked in but not out, or a part awaits the client's approval, is
/// refused (422, field `close_out`) unless the body says `"close_out": true`.
#[utoipa::path(post, path = "/api/v1/orders/{id}/transitions", tag = "orders", params(("id" = i64, Path)), request_body = TransitionRequest,
    responses((status = 200, body = Order), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn transition(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
    ApiJson(t): ApiJson<TransitionRequest>,
) -> ApiResult<Json<Order>> {
    Ok(Json(
        orders::transition_with(&s.store, &a, id, &t.transition, t.close_out).await?,
    ))
}

/// Rate a resolved order 1–5 (the requester or their client admin); 4 and 5 count as satisfied.
#[utoipa::path(post, path = "/api/v1/orders/{id}/rating", tag = "orders", params(("id" = i64, Path)), request_body = Rating,
    responses((status = 200, body = Order), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rate(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
    ApiJson(r): ApiJson<Rating>,
) -> ApiResult<Json<Order>> {
    Ok(Json(orders::rate(&s.store, &a, id, &r).await?))
}

/// Escalate an order. `functional`: hand it to another team or engineer (`team_id`,
/// `assignee_id`) with a reason, internal to the provider. `hierarchical`: raise it to the
/// provider's management (administrators and service-level managers are notified); the order is
/// flagged (`escalated_at`) on the board and the dashboard, and the client sees that it was raised.
#[utoipa::path(post, path = "/api/v1/orders/{id}/escalations", tag = "orders", params(("id" = i64, Path)), request_body = Escalation,
    responses((status = 200, body = Order), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn escalate(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
    ApiJson(e): ApiJson<Escalation>,
) -> ApiResult<Json<Order>> {
    Ok(Json(orders::escalate(&s.store, &a, id, &e).await?))
}

/// Link the order to another order of the same client: `duplicate_of`, `caused_by` or
/// `follow_up_of` (what this order is to the other). Both orders show the link (`links`), and
/// both timelines record it.
#[utoipa::path(post, path = "/api/v1/orders/{id}/links", tag = "orders", params(("id" = i64, Path)), request_body = NewLink,
    responses((status = 200, body = Order), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn link(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
    ApiJson(l): ApiJson<NewLink>,
) -> ApiResult<Json<Order>> {
    Ok(Json(orders::link(&s.store, &a, id, &l).await?))
}

/// Remove a link (from either of its orders).
#[utoipa::path(delete, path = "/api/v1/orders/{id}/links/{link_id}", tag = "orders",
    params(("id" = i64, Path), ("link_id" = i64, Path)),
    responses((status = 200, body = Order), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn unlink(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Ids(id, link_id): Ids,
) -> ApiResult<Json<Order>> {
    Ok(Json(orders::unlink(&s.store, &a, id, link_id).await?))
}

/// Merge this order, a duplicate, into the original (`into_id` or `into_number`): its comments
/// and attachments move to the original, it is cancelled with the reason and linked as
/// `duplicate_of`. Answers with the original.
#[utoipa::path(post, path = "/api/v1/orders/{id}/merge", tag = "orders", params(("id" = i64, Path)), request_body = Merge,
    responses((status = 200, body = Order), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn merge(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
    ApiJson(m): ApiJson<Merge>,
) -> ApiResult<Json<Order>> {
    Ok(Json(orders::merge(&s.store, &a, id, &m).await?))
}

/// Your notifications, unread first.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "orders", responses((status = 200, body = Vec<Notification>)))]
pub async fn list_notifications(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> ApiResult<Json<Vec<Notification>>> {
    Ok(Json(notifications::list(&s.store, &a, 100).await?))
}

/// Mark one of your notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "orders", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn read_notification(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    notifications::mark_read(&s.store, &a, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
