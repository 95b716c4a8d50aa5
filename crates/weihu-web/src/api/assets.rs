//! Assets, asset types, a client's application scale and registry confirmation, imports and
//! exports; the service catalog; quotes and the provider's price list.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use weihu_store::Page;
use weihu_store::StoreError;
use weihu_store::assets::{
    self, Asset, AssetFilter, AssetInput, AssetType, ClientScale, Confirmation, HistoryEntry,
    ImportPlan, RegistryDiff,
};
use weihu_store::catalog::{self, CatalogInput, CatalogItem};

use super::ListQuery;
use crate::AppState;
pub use crate::app::quotes::{QuoteOut, QuoteRequest, make_quote};
pub use crate::app::registry::{export_response, read_sheet, run_import};
use crate::auth::ApiActor;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Id, versioned};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/assets", get(list).post(create))
        .route("/api/v1/assets/import", post(import))
        .route("/api/v1/assets/export", get(export))
        .route("/api/v1/assets/{id}", get(get_one).patch(update))
        .route("/api/v1/assets/{id}/history", get(history))
        .route("/api/v1/asset-types", get(list_types).post(put_type))
        .route("/api/v1/organizations/{id}/scale", get(scale))
        .route(
            "/api/v1/organizations/{id}/registry",
            get(registry).post(confirm),
        )
        .route(
            "/api/v1/catalog-items",
            get(list_catalog).post(create_catalog),
        )
        .route(
            "/api/v1/catalog-items/{id}",
            get(get_catalog).patch(update_catalog),
        )
        .route("/api/v1/quotes", post(quote))
        .route(
            "/api/v1/settings/price-list",
            get(get_price_list).put(put_price_list),
        )
}

#[derive(Debug, Deserialize)]
pub struct AssetQuery {
    limit: Option<i64>,
    offset: Option<i64>,
    sort: Option<String>,
    q: Option<String>,
    client_org_id: Option<i64>,
    asset_type: Option<String>,
    status: Option<String>,
    warranty_within_days: Option<i64>,
}

impl AssetQuery {
    fn filter(&self) -> AssetFilter {
        AssetFilter {
            client_org_id: self.client_org_id,
            asset_type: self.asset_type.clone().filter(|t| !t.is_empty()),
            status: self.status.clone().filter(|t| !t.is_empty()),
            warranty_within_days: self.warranty_within_days,
        }
    }
}

/// Assets. Provider staff see every client's; a client admin their own; client users none.
#[utoipa::path(get, path = "/api/v1/assets", tag = "assets",
    params(ListQuery, ("client_org_id" = Option<i64>, Query), ("asset_type" = Option<String>, Query),
        ("status" = Option<String>, Query, description = "in_use, in_repair, retired"),
        ("warranty_within_days" = Option<i64>, Query, description = "warranty ends within N days (30/60/90)")),
    responses((status = 200, body = Page<Asset>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<AssetQuery>,
) -> ApiResult<Json<Page<Asset>>> {
    Ok(Json(
        assets::list(
            &s.store,
            &actor,
            &q.filter(),
            &super::list_params(q.limit, q.offset, &q.sort, &q.q),
        )
        .await?,
    ))
}

/// Register a device; without a tag Weihu generates one (`CLIENT-TYPE-0001`).
#[utoipa::path(post, path = "/api/v1/assets", tag = "assets", request_body = AssetInput,
    responses((status = 201, body = Asset), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(i): ApiJson<AssetInput>,
) -> ApiResult<(StatusCode, Json<Asset>)> {
    Ok((
        StatusCode::CREATED,
        Json(assets::create(&s.store, &actor, &i).await?),
    ))
}

/// One asset.
#[utoipa::path(get, path = "/api/v1/assets/{id}", tag = "assets", operation_id = "get_asset",
    params(("id" = i64, Path)), responses((status = 200, body = Asset), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<Asset>> {
    Ok(Json(assets::get(&s.store, &actor, id).await?))
}

/// The documented shape of an update; parsed by [`versioned`].
#[allow(dead_code)]
#[derive(Deserialize, utoipa::ToSchema)]
pub struct AssetUpdate {
    version: i64,
    #[serde(flatten)]
    patch: AssetInput,
}

/// Change an asset; send the `version` you read.
#[utoipa::path(patch, path = "/api/v1/assets/{id}", tag = "assets", params(("id" = i64, Path)), request_body = AssetUpdate,
    responses((status = 200, body = Asset), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Id(id): Id,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> ApiResult<Json<Asset>> {
    assets::get(&s.store, &actor, id).await?;
    let (version, patch) = versioned::<AssetInput>(body)?;
    Ok(Json(
        assets::update(&s.store, &actor, id, version, &patch).await?,
    ))
}

/// The asset's orders, visits and installed parts, newest first.
#[utoipa::path(get, path = "/api/v1/assets/{id}/history", tag = "assets", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<HistoryEntry>), (status = 404, body = ErrorBody)))]
pub async fn history(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<Vec<HistoryEntry>>> {
    Ok(Json(assets::history(&s.store, &actor, id).await?))
}

#[derive(Debug, Deserialize)]
pub struct ImportQuery {
    client_org_id: Option<i64>,
    /// preview (default), apply, apply_valid.
    mode: Option<String>,
    filename: Option<String>,
}

/// Reads an uploaded CSV or Excel file into assets of one client. `mode=preview` (default)
/// shows per row what would be created, updated or rejected and why; `apply` writes everything
/// or nothing (refused while any row is invalid); `apply_valid` writes the valid rows only.
#[utoipa::path(post, path = "/api/v1/assets/import", tag = "assets",
    params(("client_org_id" = Option<i64>, Query), ("mode" = Option<String>, Query, description = "preview, apply, apply_valid"),
        ("filename" = Option<String>, Query)),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the CSV or .xlsx file"),
    responses((status = 200, body = ImportPlan), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: Bytes,
) -> ApiResult<Json<ImportPlan>> {
    // Who may import, and into which client, before a byte of the file is parsed.
    let client = assets::import_target(&s.store, &actor, q.client_org_id).await?;
    let name = q.filename.unwrap_or_else(|| "upload.csv".into());
    let table = read_sheet(body.to_vec(), name).await?;
    run_import(&s.store, &actor, Some(client), &table, q.mode.as_deref())
        .await
        .map(Json)
}

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    /// csv (default) or xlsx.
    format: Option<String>,
    client_org_id: Option<i64>,
    asset_type: Option<String>,
    status: Option<String>,
    warranty_within_days: Option<i64>,
}

/// The registry as CSV or Excel (formula-looking cells stay text).
#[utoipa::path(get, path = "/api/v1/assets/export", tag = "assets",
    params(("format" = Option<String>, Query, description = "csv or xlsx"), ("client_org_id" = Option<i64>, Query),
        ("asset_type" = Option<String>, Query), ("status" = Option<String>, Query), ("warranty_within_days" = Option<i64>, Query)),
    responses((status = 200, content_type = "text/csv"), (status = 403, body = ErrorBody)))]
pub async fn export(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> ApiResult<Response> {
    let filter = AssetFilter {
        client_org_id: q.client_org_id,
        asset_type: q.asset_type.filter(|t| !t.is_empty()),
        status: q.status.filter(|t| !t.is_empty()),
        warranty_within_days: q.warranty_within_days,
    };
    export_response(&s.store, &actor, &filter, q.format.as_deref()).await
}

/// Asset types with their application-scale coefficients.
#[utoipa::path(get, path = "/api/v1/asset-types", tag = "assets",
    responses((status = 200, body = Vec<AssetType>)))]
pub async fn list_types(
    State(s): State<AppState>,
    ApiActor(_actor): ApiActor,
) -> ApiResult<Json<Vec<AssetType>>> {
    Ok(Json(assets::types(&s.store).await?))
}

/// Add an asset type or change one (by `code`): names, coefficient, visit category.
#[utoipa::path(post, path = "/api/v1/asset-types", tag = "assets", request_body = AssetType,
    responses((status = 200, body = AssetType), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_type(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(t): ApiJson<AssetType>,
) -> ApiResult<Json<AssetType>> {
    Ok(Json(assets::put_type(&s.store, &actor, &t).await?))
}

/// A client's application scale from its registry, and the model it recommends.
#[utoipa::path(get, path = "/api/v1/organizations/{id}/scale", tag = "assets", params(("id" = i64, Path)),
    responses((status = 200, body = ClientScale), (status = 404, body = ErrorBody)))]
pub async fn scale(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<ClientScale>> {
    Ok(Json(assets::client_scale(&s.store, &actor, id).await?))
}

/// The registry now against its last confirmation (added, removed, changed).
#[utoipa::path(get, path = "/api/v1/organizations/{id}/registry", tag = "assets", params(("id" = i64, Path)),
    responses((status = 200, body = RegistryDiff), (status = 404, body = ErrorBody)))]
pub async fn registry(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<RegistryDiff>> {
    Ok(Json(assets::diff(&s.store, &actor, id).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RegistryConfirmation {
    pub signer_name: String,
    /// The drawn signature, PNG as base64 (a data URL is accepted).
    pub image_png_base64: String,
}

/// The client admin confirms the registry as of today, signing on screen.
#[utoipa::path(post, path = "/api/v1/organizations/{id}/registry", tag = "assets", params(("id" = i64, Path)),
    request_body = RegistryConfirmation,
    responses((status = 201, body = Confirmation), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn confirm(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Id(id): Id,
    ApiJson(c): ApiJson<RegistryConfirmation>,
) -> ApiResult<(StatusCode, Json<Confirmation>)> {
    weihu_store::organizations::get(&s.store, &actor, id).await?;
    let png = super::order_work::decode_png(&c.image_png_base64)?;
    Ok((
        StatusCode::CREATED,
        Json(assets::confirm(&s.store, &actor, id, &c.signer_name, &png).await?),
    ))
}

/// The service catalog: all items for provider staff, the items a client uses for clients.
#[utoipa::path(get, path = "/api/v1/catalog-items", tag = "catalog",
    responses((status = 200, body = Vec<CatalogItem>)))]
pub async fn list_catalog(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Vec<CatalogItem>>> {
    Ok(Json(catalog::list(&s.store, &actor).await?))
}

/// Add a catalog item (service level managers).
#[utoipa::path(post, path = "/api/v1/catalog-items", tag = "catalog", request_body = CatalogInput,
    responses((status = 201, body = CatalogItem), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_catalog(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(i): ApiJson<CatalogInput>,
) -> ApiResult<(StatusCode, Json<CatalogItem>)> {
    Ok((
        StatusCode::CREATED,
        Json(catalog::create(&s.store, &actor, &i).await?),
    ))
}

/// One catalog item.
#[utoipa::path(get, path = "/api/v1/catalog-items/{id}", tag = "catalog", operation_id = "get_catalog_item",
    params(("id" = i64, Path)), responses((status = 200, body = CatalogItem), (status = 404, body = ErrorBody)))]
pub async fn get_catalog(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<CatalogItem>> {
    Ok(Json(catalog::get(&s.store, &actor, id).await?))
}

/// The documented shape of an update; parsed by [`versioned`].
#[allow(dead_code)]
#[derive(Deserialize, utoipa::ToSchema)]
pub struct CatalogUpdate {
    version: i64,
    #[serde(flatten)]
    patch: CatalogInput,
}

/// Change a catalog item; send the `version` you read.
#[utoipa::path(patch, path = "/api/v1/catalog-items/{id}", tag = "catalog", params(("id" = i64, Path)), request_body = CatalogUpdate,
    responses((status = 200, body = CatalogItem), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_catalog(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Id(id): Id,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> ApiResult<Json<CatalogItem>> {
    catalog::get(&s.store, &actor, id).await?;
    let (version, patch) = versioned::<CatalogInput>(body)?;
    Ok(Json(
        catalog::update(&s.store, &actor, id, version, &patch).await?,
    ))
}

/// Quote for a prospective client from its inventory: the scale, the recommended model, and the
/// monthly price under each model from the provider's price list (staff only).
#[utoipa::path(post, path = "/api/v1/quotes", tag = "catalog", request_body = QuoteRequest,
    responses((status = 200, body = QuoteOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn quote(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(r): ApiJson<QuoteRequest>,
) -> ApiResult<Json<QuoteOut>> {
    Ok(Json(make_quote(&s.store, &actor, &r).await?))
}

/// The provider's price list for quotes.
#[utoipa::path(get, path = "/api/v1/settings/price-list", tag = "catalog",
    responses((status = 200, body = Object), (status = 403, body = ErrorBody)))]
pub async fn get_price_list(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<weihu_domain::scale::PriceList>> {
    if actor.is_client() {
        return Err(ApiError::Store(StoreError::Forbidden(
            "the price list is the provider's",
        )));
    }
    Ok(Json(catalog::price_list(&s.store).await?))
}

/// Replace the price list (administrators, finance).
#[utoipa::path(put, path = "/api/v1/settings/price-list", tag = "catalog", request_body = Object,
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_price_list(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(v): ApiJson<serde_json::Value>,
) -> ApiResult<Json<weihu_domain::scale::PriceList>> {
    Ok(Json(catalog::set_price_list(&s.store, &actor, &v).await?))
}
