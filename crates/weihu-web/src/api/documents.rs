//! PDF downloads: a service order, a client's signed orders of a month, a statement, asset
//! label sheets and quotes.

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use crate::AppState;
use crate::auth::ApiActor;
use crate::documents;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Id};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/orders/{id}/pdf", get(order_pdf))
        .route("/api/v1/organizations/{id}/orders-pdf", get(month_bundle))
        .route("/api/v1/statements/{id}/pdf", get(statement_pdf))
        .route("/api/v1/assets/labels", post(labels))
        .route("/api/v1/quotes/pdf", post(quote_pdf))
}

/// The service order as a one-page A4 PDF (Chinese and English labels, the signature).
#[utoipa::path(get, path = "/api/v1/orders/{id}/pdf", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, content_type = "application/pdf"), (status = 404, body = ErrorBody)))]
pub async fn order_pdf(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Id(id): Id,
) -> ApiResult<Response> {
    let (bytes, name) = documents::order_pdf(&s.store, &actor, id).await?;
    Ok(documents::pdf_response(bytes, &name, false))
}

#[derive(Debug, Deserialize)]
pub struct MonthQuery {
    month: Option<String>,
}

/// A client's orders signed in a month (default last month) as one PDF: a cover page listing
/// them, then one page per order.
#[utoipa::path(get, path = "/api/v1/organizations/{id}/orders-pdf", tag = "orders",
    params(("id" = i64, Path), ("month" = Option<String>, Query, description = "YYYY-MM, default last month")),
    responses((status = 200, content_type = "application/pdf"), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn month_bundle(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Id(id): Id,
    ApiQuery(q): ApiQuery<MonthQuery>,
) -> ApiResult<Response> {
    weihu_store::organizations::get(&s.store, &actor, id).await?;
    let month = q
        .month
        .unwrap_or_else(weihu_store::statements::previous_month);
    let (bytes, name) = documents::month_bundle(&s.store, &actor, id, &month).await?;
    Ok(documents::pdf_response(bytes, &name, false))
}

/// A statement as PDF.
#[utoipa::path(get, path = "/api/v1/statements/{id}/pdf", tag = "statements", params(("id" = i64, Path)),
    responses((status = 200, content_type = "application/pdf"), (status = 404, body = ErrorBody)))]
pub async fn statement_pdf(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Id(id): Id,
) -> ApiResult<Response> {
    let st = weihu_store::statements::get(&s.store, &actor, id).await?;
    let (bytes, name) = documents::statement_pdf(&s.store, &st).await?;
    Ok(documents::pdf_response(bytes, &name, false))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct LabelRequest {
    /// The assets to label (1 to 2400 different ones; duplicates are printed once); 24 labels
    /// per A4 page.
    pub ids: Vec<i64>,
}

/// Longest `Host` header used to build a label URL (a DNS name is at most 253 bytes, plus port).
const MAX_HOST: usize = 260;

/// The address the QR codes on labels open: the configured public URL (`--public-url`), or,
/// when none is set, this server as the request reached it, from a `Host` header that is short
/// and holds only host-name characters (anything else: `localhost`).
pub fn base_url(config: &crate::WebConfig, headers: &HeaderMap) -> String {
    if let Some(url) = config.public_url.as_deref().map(str::trim)
        && !url.is_empty()
    {
        return url.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= MAX_HOST
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|p| *p == "https")
        .unwrap_or("http");
    format!("{scheme}://{host}")
}

/// A label sheet (PDF) with a QR code per asset tag that opens the asset's page.
#[utoipa::path(post, path = "/api/v1/assets/labels", tag = "assets", request_body = LabelRequest,
    responses((status = 200, content_type = "application/pdf"), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn labels(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    headers: HeaderMap,
    ApiJson(r): ApiJson<LabelRequest>,
) -> ApiResult<Response> {
    let bytes = documents::labels(&s.store, &actor, &r.ids, &base_url(&s.config, &headers)).await?;
    Ok(documents::pdf_response(bytes, "labels.pdf", false))
}

/// The quote as PDF.
#[utoipa::path(post, path = "/api/v1/quotes/pdf", tag = "catalog", request_body = crate::api::assets::QuoteRequest,
    responses((status = 200, content_type = "application/pdf"), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn quote_pdf(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(r): ApiJson<crate::api::assets::QuoteRequest>,
) -> ApiResult<Response> {
    let q = crate::api::assets::make_quote(&s.store, &actor, &r).await?;
    let bytes = documents::quote_pdf(&s.store, &q).await?;
    Ok(documents::pdf_response(bytes, "quote.pdf", false))
}
