//! Problems: the cause shared by repeated incidents, their linked orders, and the repeat faults
//! suggested as candidates.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use serde::Deserialize;
use weihu_store::Page;
use weihu_store::problems::{
    self, Candidate, NewProblem, OrderProblem, Problem, ProblemFilter, ProblemPatch, ResolvedOrders,
};

use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Id, Ids};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/problems", get(list).post(create))
        .route("/api/v1/problems/{id}", get(get_one).patch(update))
        .route("/api/v1/problems/{id}/orders", post(link))
        .route("/api/v1/problems/{id}/orders/{order_id}", delete(unlink))
        .route("/api/v1/problems/{id}/resolve-orders", post(resolve_orders))
        .route("/api/v1/problems/{id}/change-request", post(raise_change))
        .route("/api/v1/problem-candidates", get(candidates))
        .route("/api/v1/orders/{id}/problems", get(of_order))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ProblemQuery {
    /// investigating, known_error, resolved, closed.
    state: Option<String>,
    /// `true`: investigating or known error; `false`: resolved or closed.
    open: Option<bool>,
    /// Problems this order is linked to.
    order_id: Option<i64>,
    limit: Option<i64>,
    offset: Option<i64>,
}

/// Problems, newest first (a client user: those linked to their own orders).
#[utoipa::path(get, path = "/api/v1/problems", tag = "problems", params(ProblemQuery),
    responses((status = 200, body = Page<Problem>), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(q): ApiQuery<ProblemQuery>,
) -> ApiResult<Json<Page<Problem>>> {
    let f = ProblemFilter {
        state: q.state,
        open: q.open,
        order_id: q.order_id,
    };
    Ok(Json(
        problems::list(
            &s.store,
            &a,
            &f,
            q.limit.unwrap_or(50),
            q.offset.unwrap_or(0),
        )
        .await?,
    ))
}

/// Open a problem, with the orders it groups (a candidate's).
#[utoipa::path(post, path = "/api/v1/problems", tag = "problems", request_body = NewProblem,
    responses((status = 201, body = Problem), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(n): ApiJson<NewProblem>,
) -> ApiResult<(StatusCode, Json<Problem>)> {
    Ok((
        StatusCode::CREATED,
        Json(problems::create(&s.store, &a, &n).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/problems/{id}", tag = "problems", params(("id" = i64, Path)),
    responses((status = 200, body = Problem), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<Problem>> {
    Ok(Json(problems::get(&s.store, &a, id).await?))
}

/// Change a problem's text, owner or state (a known error needs its root cause and workaround,
/// a resolved one its fix), with the version last read.
#[utoipa::path(patch, path = "/api/v1/problems/{id}", tag = "problems", params(("id" = i64, Path)), request_body = ProblemPatch,
    responses((status = 200, body = Problem), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
    ApiJson(p): ApiJson<ProblemPatch>,
) -> ApiResult<Json<Problem>> {
    Ok(Json(problems::update(&s.store, &a, id, &p).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LinkOrder {
    order_id: i64,
}

/// Link an order to an open problem.
#[utoipa::path(post, path = "/api/v1/problems/{id}/orders", tag = "problems", params(("id" = i64, Path)), request_body = LinkOrder,
    responses((status = 200, body = Problem), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn link(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
    ApiJson(b): ApiJson<LinkOrder>,
) -> ApiResult<Json<Problem>> {
    Ok(Json(problems::link(&s.store, &a, id, b.order_id).await?))
}

/// Unlink an order from a problem.
#[utoipa::path(delete, path = "/api/v1/problems/{id}/orders/{order_id}", tag = "problems",
    params(("id" = i64, Path), ("order_id" = i64, Path)),
    responses((status = 200, body = Problem), (status = 404, body = ErrorBody)))]
pub async fn unlink(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Ids(id, order_id): Ids,
) -> ApiResult<Json<Problem>> {
    Ok(Json(problems::unlink(&s.store, &a, id, order_id).await?))
}

/// Resolve every open linked order of a resolved problem with its fix.
#[utoipa::path(post, path = "/api/v1/problems/{id}/resolve-orders", tag = "problems", params(("id" = i64, Path)),
    responses((status = 200, body = ResolvedOrders), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn resolve_orders(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<ResolvedOrders>> {
    Ok(Json(problems::resolve_orders(&s.store, &a, id).await?))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct RaiseChange {
    /// The client whose systems change; by default the only client of the linked orders.
    #[serde(default)]
    client_org_id: Option<i64>,
}

/// Raise a technical change request for the problem's permanent fix and link it: the problem
/// is resolved once the change is implemented.
#[utoipa::path(post, path = "/api/v1/problems/{id}/change-request", tag = "problems", params(("id" = i64, Path)), request_body = RaiseChange,
    responses((status = 201, body = Problem), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn raise_change(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
    ApiJson(b): ApiJson<RaiseChange>,
) -> ApiResult<(StatusCode, Json<Problem>)> {
    Ok((
        StatusCode::CREATED,
        Json(problems::raise_change(&s.store, &a, id, b.client_org_id).await?),
    ))
}

/// Repeat faults of the last 30 days not linked to a problem: two or more orders on one asset,
/// or three or more of one client in one category.
#[utoipa::path(get, path = "/api/v1/problem-candidates", tag = "problems",
    responses((status = 200, body = Vec<Candidate>), (status = 403, body = ErrorBody)))]
pub async fn candidates(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> ApiResult<Json<Vec<Candidate>>> {
    Ok(Json(problems::candidates(&s.store, &a).await?))
}

/// The problems an order is linked to, with their workarounds.
#[utoipa::path(get, path = "/api/v1/orders/{id}/problems", tag = "problems", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<OrderProblem>), (status = 404, body = ErrorBody)))]
pub async fn of_order(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<Vec<OrderProblem>>> {
    Ok(Json(problems::for_order(&s.store, &a, id).await?))
}
