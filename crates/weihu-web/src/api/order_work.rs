//! Work on an order: on-site visits (check-in from the phone stops the arrival clock), spare
//! parts with the client's approval, remote sessions, the backup question, time entries.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use weihu_store::orders::Order;
use weihu_store::orders::work::{
    self, BackupCheck, NewPart, NewRemoteSession, NewTakeAway, NewTimeEntry, NewVisit, Part,
    PartDecision, RemoteSession, Signature, TakeAway, TakeAwayReturn, TimeEntry, Visit,
};

use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, Id, Ids};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/orders/{id}/visits",
            get(list_visits).post(decide_visit),
        )
        .route(
            "/api/v1/orders/{id}/visits/{visit_id}/check-in",
            post(check_in),
        )
        .route(
            "/api/v1/orders/{id}/visits/{visit_id}/check-out",
            post(check_out),
        )
        .route(
            "/api/v1/orders/{id}/parts",
            get(list_parts).post(propose_part),
        )
        .route(
            "/api/v1/orders/{id}/parts/{part_id}/decision",
            post(decide_part),
        )
        .route(
            "/api/v1/orders/{id}/parts/{part_id}/install",
            post(install_part),
        )
        .route(
            "/api/v1/orders/{id}/remote-sessions",
            get(list_remote).post(add_remote),
        )
        .route("/api/v1/orders/{id}/backup-checks", post(backup_check))
        .route(
            "/api/v1/orders/{id}/take-away",
            get(list_take_away).post(take_away),
        )
        .route(
            "/api/v1/orders/{id}/take-away/{repair_id}/return",
            post(return_take_away),
        )
        .route(
            "/api/v1/orders/{id}/time-entries",
            get(list_time).post(log_time),
        )
        .route(
            "/api/v1/orders/{id}/signature",
            get(get_signature).post(sign),
        )
        .route("/api/v1/orders/{id}/signature/image", get(signature_image))
        .route(
            "/api/v1/orders/{id}/attachments",
            get(list_attachments).post(add_attachment),
        )
        .route(
            "/api/v1/orders/{id}/attachments/{attachment_id}",
            get(get_attachment),
        )
        // Uploads are larger than JSON bodies: 10 MB of file plus the multipart framing.
        .layer(axum::extract::DefaultBodyLimit::max(
            weihu_store::orders::attachments::MAX_ATTACHMENT_BYTES + 64 * 1024,
        ))
}

/// On-site visits of an order.
#[utoipa::path(get, path = "/api/v1/orders/{id}/visits", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Visit>), (status = 404, body = ErrorBody)))]
pub async fn list_visits(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<Vec<Visit>>> {
    Ok(Json(work::visits(&s.store, &a, id).await?))
}

/// Decide an on-site visit (starts the arrival clock; a second visit defaults to `repeat`).
#[utoipa::path(post, path = "/api/v1/orders/{id}/visits", tag = "orders", params(("id" = i64, Path)), request_body = NewVisit,
    responses((status = 201, body = Visit), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide_visit(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
    ApiJson(v): ApiJson<NewVisit>,
) -> ApiResult<(StatusCode, Json<Visit>)> {
    Ok((
        StatusCode::CREATED,
        Json(work::decide_visit(&s.store, &a, id, &v).await?),
    ))
}

/// The engineer arrives on site (stops the arrival clock).
#[utoipa::path(post, path = "/api/v1/orders/{id}/visits/{visit_id}/check-in", tag = "orders", params(("id" = i64, Path), ("visit_id" = i64, Path)),
    responses((status = 200, body = Visit), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn check_in(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Ids(id, vid): Ids,
) -> ApiResult<Json<Visit>> {
    Ok(Json(work::visit_check(&s.store, &a, id, vid, true).await?))
}

/// The engineer leaves the site.
#[utoipa::path(post, path = "/api/v1/orders/{id}/visits/{visit_id}/check-out", tag = "orders", params(("id" = i64, Path), ("visit_id" = i64, Path)),
    responses((status = 200, body = Visit), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn check_out(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Ids(id, vid): Ids,
) -> ApiResult<Json<Visit>> {
    Ok(Json(work::visit_check(&s.store, &a, id, vid, false).await?))
}

/// Spare parts of an order.
#[utoipa::path(get, path = "/api/v1/orders/{id}/parts", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Part>), (status = 404, body = ErrorBody)))]
pub async fn list_parts(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<Vec<Part>>> {
    Ok(Json(work::parts(&s.store, &a, id).await?))
}

/// Propose a part (price ≤ the authorized service-centre price); the order waits for the client's approval.
#[utoipa::path(post, path = "/api/v1/orders/{id}/parts", tag = "orders", params(("id" = i64, Path)), request_body = NewPart,
    responses((status = 201, body = Part), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn propose_part(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
    ApiJson(p): ApiJson<NewPart>,
) -> ApiResult<(StatusCode, Json<Part>)> {
    Ok((
        StatusCode::CREATED,
        Json(work::propose_part(&s.store, &a, id, &p).await?),
    ))
}

/// The client admin approves or rejects a proposed part.
#[utoipa::path(post, path = "/api/v1/orders/{id}/parts/{part_id}/decision", tag = "orders", params(("id" = i64, Path), ("part_id" = i64, Path)), request_body = PartDecision,
    responses((status = 200, body = Part), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide_part(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Ids(id, pid): Ids,
    ApiJson(d): ApiJson<PartDecision>,
) -> ApiResult<Json<Part>> {
    Ok(Json(work::decide_part(&s.store, &a, id, pid, &d).await?))
}

/// Record that an approved part was installed.
#[utoipa::path(post, path = "/api/v1/orders/{id}/parts/{part_id}/install", tag = "orders", params(("id" = i64, Path), ("part_id" = i64, Path)),
    responses((status = 200, body = Part), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn install_part(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Ids(id, pid): Ids,
) -> ApiResult<Json<Part>> {
    Ok(Json(work::install_part(&s.store, &a, id, pid).await?))
}

/// Remote support sessions of an order.
#[utoipa::path(get, path = "/api/v1/orders/{id}/remote-sessions", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<RemoteSession>), (status = 404, body = ErrorBody)))]
pub async fn list_remote(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<Vec<RemoteSession>>> {
    Ok(Json(work::remote_sessions(&s.store, &a, id).await?))
}

/// Record a remote session (tool, start, end).
#[utoipa::path(post, path = "/api/v1/orders/{id}/remote-sessions", tag = "orders", params(("id" = i64, Path)), request_body = NewRemoteSession,
    responses((status = 201, body = RemoteSession), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_remote(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
    ApiJson(r): ApiJson<NewRemoteSession>,
) -> ApiResult<(StatusCode, Json<RemoteSession>)> {
    Ok((
        StatusCode::CREATED,
        Json(work::add_remote_session(&s.store, &a, id, &r).await?),
    ))
}

/// Record the backup question asked before a major change and the client's answer.
#[utoipa::path(post, path = "/api/v1/orders/{id}/backup-checks", tag = "orders", params(("id" = i64, Path)), request_body = BackupCheck,
    responses((status = 201, body = Order), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn backup_check(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
    ApiJson(b): ApiJson<BackupCheck>,
) -> ApiResult<(StatusCode, Json<Order>)> {
    Ok((
        StatusCode::CREATED,
        Json(work::record_backup_check(&s.store, &a, id, &b).await?),
    ))
}

/// Engineers' time entries on an order (provider staff only).
#[utoipa::path(get, path = "/api/v1/orders/{id}/time-entries", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<TimeEntry>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_time(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<Vec<TimeEntry>>> {
    Ok(Json(work::time_entries(&s.store, &a, id).await?))
}

/// Log time worked on an order.
#[utoipa::path(post, path = "/api/v1/orders/{id}/time-entries", tag = "orders", params(("id" = i64, Path)), request_body = NewTimeEntry,
    responses((status = 201, body = TimeEntry), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn log_time(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
    ApiJson(t): ApiJson<NewTimeEntry>,
) -> ApiResult<(StatusCode, Json<TimeEntry>)> {
    Ok((
        StatusCode::CREATED,
        Json(work::log_time(&s.store, &a, id, &t).await?),
    ))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct NewSignature {
    pub signer_name: String,
    /// The drawn signature as a PNG, base64 (a `data:image/png;base64,` prefix is accepted).
    pub image_png_base64: String,
}

/// Decodes a base64 PNG, with or without a data-URL prefix.
pub fn decode_png(data: &str) -> Result<Vec<u8>, crate::error::ApiError> {
    use base64::Engine;
    let raw = data
        .split_once("base64,")
        .map(|(_, b)| b)
        .unwrap_or(data)
        .trim();
    base64::engine::general_purpose::STANDARD
        .decode(raw)
        .map_err(|e| {
            weihu_store::StoreError::invalid("image_png_base64", format!("not base64: {e}")).into()
        })
}

/// The client signs the resolved order on screen (drawn signature, name, time).
#[utoipa::path(post, path = "/api/v1/orders/{id}/signature", tag = "orders", params(("id" = i64, Path)), request_body = NewSignature,
    responses((status = 201, body = Signature), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn sign(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
    ApiJson(b): ApiJson<NewSignature>,
) -> ApiResult<(StatusCode, Json<Signature>)> {
    // Another tenant's order is a 404 before anything about the body is said.
    weihu_store::orders::get(&s.store, &a, id).await?;
    let png = decode_png(&b.image_png_base64)?;
    Ok((
        StatusCode::CREATED,
        Json(work::sign(&s.store, &a, id, &b.signer_name, &png).await?),
    ))
}

/// Who signed the order and when (404 when unsigned).
#[utoipa::path(get, path = "/api/v1/orders/{id}/signature", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = Signature), (status = 404, body = ErrorBody)))]
pub async fn get_signature(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<Signature>> {
    let (sig, _) = work::signature(&s.store, &a, id)
        .await?
        .ok_or(weihu_store::StoreError::NotFound)?;
    Ok(Json(sig))
}

/// The signature image (PNG).
#[utoipa::path(get, path = "/api/v1/orders/{id}/signature/image", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, content_type = "image/png"), (status = 404, body = ErrorBody)))]
pub async fn signature_image(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let (_, png) = work::signature(&s.store, &a, id)
        .await?
        .ok_or(weihu_store::StoreError::NotFound)?;
    Ok(([(axum::http::header::CONTENT_TYPE, "image/png")], png).into_response())
}

/// Attachments of an order (internal ones for provider staff only).
#[utoipa::path(get, path = "/api/v1/orders/{id}/attachments", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<weihu_store::orders::attachments::Attachment>), (status = 404, body = ErrorBody)))]
pub async fn list_attachments(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<Vec<weihu_store::orders::attachments::Attachment>>> {
    Ok(Json(
        weihu_store::orders::attachments::list(&s.store, &a, id).await?,
    ))
}

/// Reads a multipart upload: the `file` part (name, declared type, bytes) and the `public` flag.
pub async fn read_upload(
    mut m: axum::extract::Multipart,
) -> Result<(String, String, Vec<u8>, bool), crate::error::ApiError> {
    use crate::error::ApiError;
    let limit = weihu_store::orders::attachments::MAX_ATTACHMENT_BYTES;
    let mut file = None;
    let mut public = true;
    while let Some(field) = m
        .next_field()
        .await
        .map_err(|e| ApiError::bad_request(Some("file".into()), e.to_string()))?
    {
        match field.name() {
            Some("file") => {
                let name = field.file_name().unwrap_or("attachment").to_owned();
                let declared = field.content_type().unwrap_or("").to_owned();
                let bytes = field.bytes().await.map_err(|_| ApiError::TooLarge)?;
                if bytes.len() > limit {
                    return Err(ApiError::TooLarge);
                }
                file = Some((name, declared, bytes.to_vec()));
            }
            Some("public") => {
                let v = field.text().await.unwrap_or_default();
                public = !matches!(v.as_str(), "0" | "false" | "no");
            }
            _ => {}
        }
    }
    let (name, declared, bytes) = file.ok_or_else(|| {
        ApiError::bad_request(
            Some("file".into()),
            "send the file as the multipart field `file`",
        )
    })?;
    Ok((name, declared, bytes, public))
}

/// Attach a file (multipart field `file`; optional `public=0` for an internal attachment). Images,
/// PDF, ZIP and text up to 10 MB; the type is checked against the content.
#[utoipa::path(post, path = "/api/v1/orders/{id}/attachments", tag = "orders", params(("id" = i64, Path)),
    request_body(content_type = "multipart/form-data", content = String),
    responses((status = 201, body = weihu_store::orders::attachments::Attachment), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_attachment(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
    m: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<(
    StatusCode,
    Json<weihu_store::orders::attachments::Attachment>,
)> {
    // Another tenant's order is a 404 before anything about the body is said.
    weihu_store::orders::get(&s.store, &a, id).await?;
    let m =
        m.map_err(|e| crate::error::ApiError::bad_request(Some("file".into()), e.body_text()))?;
    let (name, declared, bytes, public) = read_upload(m).await?;
    Ok((
        StatusCode::CREATED,
        Json(
            weihu_store::orders::attachments::add(
                &s.store, &a, id, &name, &declared, &bytes, public,
            )
            .await?,
        ),
    ))
}

/// Download an attachment. Images are shown inline; everything else downloads.
#[utoipa::path(get, path = "/api/v1/orders/{id}/attachments/{attachment_id}", tag = "orders", params(("id" = i64, Path), ("attachment_id" = i64, Path)),
    responses((status = 200, content_type = "application/octet-stream"), (status = 404, body = ErrorBody)))]
pub async fn get_attachment(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Ids(id, aid): Ids,
) -> ApiResult<axum::response::Response> {
    let (meta, bytes) = weihu_store::orders::attachments::download(&s.store, &a, id, aid).await?;
    Ok(attachment_response(&meta, bytes))
}

/// The response for an attachment: sniffed type, no sniffing by the browser, inline only for images.
pub fn attachment_response(
    meta: &weihu_store::orders::attachments::Attachment,
    bytes: Vec<u8>,
) -> axum::response::Response {
    file_response(&meta.filename, &meta.content_type, bytes)
}

/// A stored file (an attachment, an article's image) as a response: its sniffed type, no
/// sniffing by the browser, inline only for images.
pub fn file_response(
    filename: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let inline = content_type.starts_with("image/");
    let encoded: String = form_urlencoded::byte_serialize(filename.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    let disposition = format!(
        "{}; filename*=UTF-8''{encoded}",
        if inline { "inline" } else { "attachment" }
    );
    (
        [
            (axum::http::header::CONTENT_TYPE, content_type.to_owned()),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
            (
                axum::http::header::X_CONTENT_TYPE_OPTIONS,
                "nosniff".to_owned(),
            ),
            (
                axum::http::header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'".to_owned(),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// Take-away repairs of an order, with the 48-hour return promise.
#[utoipa::path(get, path = "/api/v1/orders/{id}/take-away", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<TakeAway>), (status = 404, body = ErrorBody)))]
pub async fn list_take_away(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<Vec<TakeAway>>> {
    Ok(Json(work::take_aways(&s.store, &a, id).await?))
}

/// The engineer takes a device away for repair; it is promised back within 48 hours.
#[utoipa::path(post, path = "/api/v1/orders/{id}/take-away", tag = "orders", params(("id" = i64, Path)), request_body = NewTakeAway,
    responses((status = 201, body = TakeAway), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn take_away(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
    ApiJson(t): ApiJson<NewTakeAway>,
) -> ApiResult<(StatusCode, Json<TakeAway>)> {
    Ok((
        StatusCode::CREATED,
        Json(work::take_away(&s.store, &a, id, &t).await?),
    ))
}

/// The device is back; its repair cost is billed at cost on the month's statement.
#[utoipa::path(post, path = "/api/v1/orders/{id}/take-away/{repair_id}/return", tag = "orders",
    params(("id" = i64, Path), ("repair_id" = i64, Path)), request_body = TakeAwayReturn,
    responses((status = 200, body = TakeAway), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn return_take_away(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Ids(id, rid): Ids,
    ApiJson(r): ApiJson<TakeAwayReturn>,
) -> ApiResult<Json<TakeAway>> {
    Ok(Json(
        work::return_take_away(&s.store, &a, id, rid, &r).await?,
    ))
}
