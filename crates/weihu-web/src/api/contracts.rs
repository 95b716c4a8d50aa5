//! Contracts: terms, fixed engineers, devices, resident days, other billable items, termination,
//! renewal, and the invoicing schedule from the payment terms.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;
use weihu_store::Page;
use weihu_store::contracts::{
    self, BillableItem, Contract, ContractDevice, ContractEngineer, ContractFilter, ContractPatch,
    NewBillableItem, NewContract, NewContractEngineer, NewResidentDay, ResidentDay,
    TerminationQuote, TerminationRequest,
};

use super::ListQuery;
use crate::AppState;
pub use crate::app::invoicing::{InvoiceOut, schedule};
use crate::auth::ApiActor;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Id, versioned};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/contracts", get(list).post(create))
        .route("/api/v1/contracts/{id}", get(get_one).patch(update))
        .route("/api/v1/contracts/{id}/activate", post(activate))
        .route(
            "/api/v1/contracts/{id}/termination",
            get(termination_quote).post(terminate),
        )
        .route("/api/v1/contracts/{id}/renewal", post(renew))
        .route(
            "/api/v1/contracts/{id}/engineers",
            get(list_engineers).post(add_engineer),
        )
        .route(
            "/api/v1/contracts/{id}/devices",
            get(list_devices).post(put_device),
        )
        .route(
            "/api/v1/contracts/{id}/resident-days",
            post(add_resident_day),
        )
        .route("/api/v1/contracts/{id}/items", post(add_item))
        .route("/api/v1/contracts/{id}/invoices", get(invoices))
}

#[derive(Debug, Deserialize)]
pub struct ContractQuery {
    limit: Option<i64>,
    offset: Option<i64>,
    sort: Option<String>,
    q: Option<String>,
    client_org_id: Option<i64>,
    status: Option<String>,
}

/// Contracts. Client admins see their organisation's (not drafts); client users none.
#[utoipa::path(get, path = "/api/v1/contracts", tag = "contracts",
    params(ListQuery, ("client_org_id" = Option<i64>, Query), ("status" = Option<String>, Query, description = "draft, active, terminating, ended")),
    responses((status = 200, body = Page<Contract>), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<ContractQuery>,
) -> ApiResult<Json<Page<Contract>>> {
    let filter = ContractFilter {
        client_org_id: q.client_org_id,
        status: q.status,
    };
    Ok(Json(
        contracts::list(
            &s.store,
            &actor,
            &filter,
            &super::list_params(q.limit, q.offset, &q.sort, &q.q),
        )
        .await?,
    ))
}

/// Create a contract as a draft (administrators, finance). `terms.pricing.model` is one of
/// per_visit, monthly_capped, monthly_unlimited, resident, per_device.
#[utoipa::path(post, path = "/api/v1/contracts", tag = "contracts", request_body = NewContract,
    responses((status = 201, body = Contract), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(new): ApiJson<NewContract>,
) -> ApiResult<(StatusCode, Json<Contract>)> {
    Ok((
        StatusCode::CREATED,
        Json(contracts::create(&s.store, &actor, &new).await?),
    ))
}

/// One contract.
#[utoipa::path(get, path = "/api/v1/contracts/{id}", tag = "contracts", operation_id = "get_contract",
    params(("id" = i64, Path)),
    responses((status = 200, body = Contract), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<Contract>> {
    Ok(Json(contracts::get(&s.store, &actor, id).await?))
}

/// The documented shape of an update; parsed by [`versioned`] so errors name their field.
#[allow(dead_code)]
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ContractUpdate {
    version: i64,
    #[serde(flatten)]
    patch: ContractPatch,
}

/// Change a contract; dates and terms only while it is a draft. Send the `version` you read.
#[utoipa::path(patch, path = "/api/v1/contracts/{id}", tag = "contracts",
    params(("id" = i64, Path)), request_body = ContractUpdate,
    responses((status = 200, body = Contract), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Id(id): Id,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> ApiResult<Json<Contract>> {
    contracts::get(&s.store, &actor, id).await?;
    let (version, patch) = versioned::<ContractPatch>(body)?;
    Ok(Json(
        contracts::update(&s.store, &actor, id, version, &patch).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct VersionBody {
    pub version: i64,
}

/// Put a draft into force (its period must not overlap another contract in force).
#[utoipa::path(post, path = "/api/v1/contracts/{id}/activate", tag = "contracts",
    params(("id" = i64, Path)), request_body = VersionBody,
    responses((status = 200, body = Contract), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn activate(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Id(id): Id,
    ApiJson(b): ApiJson<VersionBody>,
) -> ApiResult<Json<Contract>> {
    Ok(Json(
        contracts::activate(&s.store, &actor, id, b.version).await?,
    ))
}

#[derive(Debug, Deserialize)]
pub struct QuoteQuery {
    notice_date: Option<String>,
    paid_through: Option<String>,
}

/// The early-termination penalty for a notice date (default today); nothing changes.
#[utoipa::path(get, path = "/api/v1/contracts/{id}/termination", tag = "contracts",
    params(("id" = i64, Path), ("notice_date" = Option<String>, Query, description = "YYYY-MM-DD, default today"),
        ("paid_through" = Option<String>, Query, description = "last prepaid day, for the trial refund")),
    responses((status = 200, body = TerminationQuote), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn termination_quote(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Id(id): Id,
    ApiQuery(q): ApiQuery<QuoteQuery>,
) -> ApiResult<Json<TerminationQuote>> {
    let today = contracts::today_in(contracts::DEFAULT_ZONE).to_string();
    Ok(Json(
        contracts::termination_quote(
            &s.store,
            &actor,
            id,
            q.notice_date.as_deref().unwrap_or(&today),
            q.paid_through.as_deref(),
        )
        .await?,
    ))
}

/// The documented shape of a termination; parsed by [`versioned`].
#[allow(dead_code)]
#[derive(Deserialize, utoipa::ToSchema)]
pub struct TerminationBody {
    version: i64,
    #[serde(flatten)]
    request: TerminationRequest,
}

/// Give notice: records the penalty quote and moves the contract to `terminating`.
#[utoipa::path(post, path = "/api/v1/contracts/{id}/termination", tag = "contracts",
    params(("id" = i64, Path)), request_body = TerminationBody,
    responses((status = 200, body = Contract), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn terminate(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Id(id): Id,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> ApiResult<Json<Contract>> {
    contracts::get(&s.store, &actor, id).await?;
    let (version, req) = versioned::<TerminationRequest>(body)?;
    Ok(Json(
        contracts::terminate(&s.store, &actor, id, version, &req).await?,
    ))
}

/// Draft the next period's contract with the same terms.
#[utoipa::path(post, path = "/api/v1/contracts/{id}/renewal", tag = "contracts",
    params(("id" = i64, Path)),
    responses((status = 201, body = Contract), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn renew(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Id(id): Id,
) -> ApiResult<(StatusCode, Json<Contract>)> {
    Ok((
        StatusCode::CREATED,
        Json(contracts::renew(&s.store, &actor, id).await?),
    ))
}

/// Fixed engineers, with the days they serve.
#[utoipa::path(get, path = "/api/v1/contracts/{id}/engineers", tag = "contracts",
    params(("id" = i64, Path)),
    responses((status = 200, body = Vec<ContractEngineer>), (status = 404, body = ErrorBody)))]
pub async fn list_engineers(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<Vec<ContractEngineer>>> {
    Ok(Json(contracts::engineers(&s.store, &actor, id).await?))
}

/// Name a fixed engineer; on a contract in force the change is announced 15 days ahead.
#[utoipa::path(post, path = "/api/v1/contracts/{id}/engineers", tag = "contracts",
    params(("id" = i64, Path)), request_body = NewContractEngineer,
    responses((status = 201, body = Vec<ContractEngineer>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_engineer(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Id(id): Id,
    ApiJson(e): ApiJson<NewContractEngineer>,
) -> ApiResult<(StatusCode, Json<Vec<ContractEngineer>>)> {
    Ok((
        StatusCode::CREATED,
        Json(contracts::add_engineer(&s.store, &actor, id, &e).await?),
    ))
}

/// Devices under a per-device contract.
#[utoipa::path(get, path = "/api/v1/contracts/{id}/devices", tag = "contracts",
    params(("id" = i64, Path)),
    responses((status = 200, body = Vec<ContractDevice>), (status = 404, body = ErrorBody)))]
pub async fn list_devices(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<Vec<ContractDevice>>> {
    Ok(Json(contracts::devices(&s.store, &actor, id).await?))
}

/// Put a device under the contract, or take it off (same tag with `until_date`).
#[utoipa::path(post, path = "/api/v1/contracts/{id}/devices", tag = "contracts",
    params(("id" = i64, Path)), request_body = ContractDevice,
    responses((status = 200, body = Vec<ContractDevice>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_device(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Id(id): Id,
    ApiJson(d): ApiJson<ContractDevice>,
) -> ApiResult<Json<Vec<ContractDevice>>> {
    Ok(Json(contracts::put_device(&s.store, &actor, id, &d).await?))
}

/// Record a day a resident engineer worked on site (resident contracts).
#[utoipa::path(post, path = "/api/v1/contracts/{id}/resident-days", tag = "contracts",
    params(("id" = i64, Path)), request_body = NewResidentDay,
    responses((status = 201, body = ResidentDay), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_resident_day(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Id(id): Id,
    ApiJson(d): ApiJson<NewResidentDay>,
) -> ApiResult<(StatusCode, Json<ResidentDay>)> {
    Ok((
        StatusCode::CREATED,
        Json(contracts::add_resident_day(&s.store, &actor, id, &d).await?),
    ))
}

/// Record another billable item (data recovery, cabling…), billed on its month.
#[utoipa::path(post, path = "/api/v1/contracts/{id}/items", tag = "contracts",
    params(("id" = i64, Path)), request_body = NewBillableItem,
    responses((status = 201, body = BillableItem), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_item(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Id(id): Id,
    ApiJson(i): ApiJson<NewBillableItem>,
) -> ApiResult<(StatusCode, Json<BillableItem>)> {
    Ok((
        StatusCode::CREATED,
        Json(contracts::add_item(&s.store, &actor, id, &i).await?),
    ))
}

/// The invoicing schedule from the payment terms (e.g. the first 3 months, then quarterly in
/// advance), with due dates in working days.
#[utoipa::path(get, path = "/api/v1/contracts/{id}/invoices", tag = "contracts",
    params(("id" = i64, Path)),
    responses((status = 200, body = Vec<InvoiceOut>), (status = 404, body = ErrorBody)))]
pub async fn invoices(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<Vec<InvoiceOut>>> {
    Ok(Json(schedule(&s, &actor, id).await?))
}
