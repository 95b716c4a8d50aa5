//! The knowledge base: articles with their revisions, search with highlights, suggestions for
//! an order or a fault being typed, and what client users did with the suggestions.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;
use weihu_store::Page;
use weihu_store::articles::{
    self, Article, ArticleFilter, ArticleHit, ArticlePatch, NewArticle, NewDeflection, Revision,
};
use weihu_store::orders::Order;

use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Id, Ids};
use weihu_store::articles::images::{self, ArticleImage};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/articles", get(list).post(create))
        .route("/api/v1/articles/{id}", get(get_one).patch(update))
        .route("/api/v1/articles/{id}/revisions", get(revisions))
        .route(
            "/api/v1/articles/{id}/images",
            get(list_images).post(add_image),
        )
        .route("/api/v1/articles/{id}/images/{image_id}", get(get_image))
        .route("/api/v1/article-suggestions", get(suggestions))
        .route("/api/v1/article-deflections", post(deflection))
        .route("/api/v1/orders/{id}/articles", get(of_order).post(attach))
        .route("/api/v1/orders/{id}/article-draft", post(draft))
        .route(
            "/api/v1/problems/{id}/article-draft",
            post(draft_from_problem),
        )
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ArticleQuery {
    /// Search text: every word must match (Chinese by its two-character pieces, so 打印 finds
    /// 打印机); best match first, title matches weigh more.
    q: Option<String>,
    /// draft, published, archived.
    state: Option<String>,
    /// internal, clients.
    audience: Option<String>,
    /// zh, en.
    lang: Option<String>,
    category: Option<String>,
    tag: Option<String>,
    asset_type: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

/// Articles, newest first or best match first with `q`, with highlighted titles and snippets
/// (a client user: published client-visible articles only).
#[utoipa::path(get, path = "/api/v1/articles", tag = "articles", params(ArticleQuery),
    responses((status = 200, body = Page<ArticleHit>), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(q): ApiQuery<ArticleQuery>,
) -> ApiResult<Json<Page<ArticleHit>>> {
    let f = ArticleFilter {
        q: q.q,
        state: q.state,
        audience: q.audience,
        lang: q.lang,
        category: q.category,
        tag: q.tag,
        asset_type: q.asset_type,
    };
    Ok(Json(
        articles::list(
            &s.store,
            &a,
            &f,
            q.limit.unwrap_or(20),
            q.offset.unwrap_or(0),
        )
        .await?,
    ))
}

/// Write a draft article.
#[utoipa::path(post, path = "/api/v1/articles", tag = "articles", request_body = NewArticle,
    responses((status = 201, body = Article), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(n): ApiJson<NewArticle>,
) -> ApiResult<(StatusCode, Json<Article>)> {
    Ok((
        StatusCode::CREATED,
        Json(articles::create(&s.store, &a, &n).await?),
    ))
}

/// One article with its body as Markdown and as safe HTML.
#[utoipa::path(get, path = "/api/v1/articles/{id}", tag = "articles", params(("id" = i64, Path)),
    responses((status = 200, body = Article), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<Article>> {
    Ok(Json(articles::get(&s.store, &a, id).await?))
}

/// Change an article (a new revision) or its state: publishing and archiving are a reviewer's
/// (the desk or a service-level manager), who is recorded; with the version last read.
#[utoipa::path(patch, path = "/api/v1/articles/{id}", tag = "articles", params(("id" = i64, Path)), request_body = ArticlePatch,
    responses((status = 200, body = Article), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
    ApiJson(p): ApiJson<ArticlePatch>,
) -> ApiResult<Json<Article>> {
    Ok(Json(articles::update(&s.store, &a, id, &p).await?))
}

/// Every saved version of an article, newest first.
#[utoipa::path(get, path = "/api/v1/articles/{id}/revisions", tag = "articles", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Revision>), (status = 404, body = ErrorBody)))]
pub async fn revisions(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<Vec<Revision>>> {
    Ok(Json(articles::revisions(&s.store, &a, id).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct SuggestQuery {
    /// The text being typed (a fault's subject and description); none suggests nothing.
    #[serde(default)]
    q: String,
    asset_type: Option<String>,
    category: Option<String>,
}

/// Published articles matching any word of a fault being typed, at most five (a client user:
/// client-visible ones).
#[utoipa::path(get, path = "/api/v1/article-suggestions", tag = "articles", params(SuggestQuery),
    responses((status = 200, body = Vec<ArticleHit>), (status = 422, body = ErrorBody)))]
pub async fn suggestions(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(q): ApiQuery<SuggestQuery>,
) -> ApiResult<Json<Vec<ArticleHit>>> {
    Ok(Json(
        articles::suggest(
            &s.store,
            &a,
            &q.q,
            q.asset_type.as_deref(),
            q.category.as_deref(),
        )
        .await?,
    ))
}

/// Record what a client user did after articles were suggested while reporting a fault:
/// `solved` (an article answered it, nothing reported) or `reported`.
#[utoipa::path(post, path = "/api/v1/article-deflections", tag = "articles", request_body = NewDeflection,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn deflection(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(d): ApiJson<NewDeflection>,
) -> ApiResult<StatusCode> {
    articles::record_deflection(&s.store, &a, &d).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Articles suggested for an order: matching its subject and description, those for its asset
/// type and category first.
#[utoipa::path(get, path = "/api/v1/orders/{id}/articles", tag = "articles", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<ArticleHit>), (status = 404, body = ErrorBody)))]
pub async fn of_order(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<Vec<ArticleHit>>> {
    Ok(Json(articles::for_order(&s.store, &a, id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AttachArticle {
    article_id: i64,
}

/// Put a published article on an order as a comment with its link (public when clients may
/// read it).
#[utoipa::path(post, path = "/api/v1/orders/{id}/articles", tag = "articles", params(("id" = i64, Path)), request_body = AttachArticle,
    responses((status = 200, body = Order), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn attach(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
    ApiJson(b): ApiJson<AttachArticle>,
) -> ApiResult<Json<Order>> {
    Ok(Json(
        articles::attach(&s.store, &a, id, b.article_id).await?,
    ))
}

/// A draft article from the order's resolution, in one action.
#[utoipa::path(post, path = "/api/v1/orders/{id}/article-draft", tag = "articles", params(("id" = i64, Path)),
    responses((status = 201, body = Article), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn draft(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
) -> ApiResult<(StatusCode, Json<Article>)> {
    Ok((
        StatusCode::CREATED,
        Json(articles::draft_from_order(&s.store, &a, id).await?),
    ))
}

/// A draft article from the problem's root cause, workaround and fix, in one action.
#[utoipa::path(post, path = "/api/v1/problems/{id}/article-draft", tag = "articles", params(("id" = i64, Path)),
    responses((status = 201, body = Article), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn draft_from_problem(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
) -> ApiResult<(StatusCode, Json<Article>)> {
    Ok((
        StatusCode::CREATED,
        Json(articles::draft_from_problem(&s.store, &a, id).await?),
    ))
}

/// The images of an article (for its Markdown: `![description](path)`).
#[utoipa::path(get, path = "/api/v1/articles/{id}/images", tag = "articles", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<ArticleImage>), (status = 404, body = ErrorBody)))]
pub async fn list_images(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<Vec<ArticleImage>>> {
    Ok(Json(images::list(&s.store, &a, id).await?))
}

/// Add an image to an article (multipart field `file`; PNG, JPEG, GIF or WebP up to 10 MB, at
/// most 30 per article); the answer's `path` goes into the Markdown.
#[utoipa::path(post, path = "/api/v1/articles/{id}/images", tag = "articles", params(("id" = i64, Path)),
    request_body(content_type = "multipart/form-data", content = String),
    responses((status = 201, body = ArticleImage), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_image(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
    m: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<(StatusCode, Json<ArticleImage>)> {
    // An article the caller may not read is a 404 before anything about the body is said.
    articles::get(&s.store, &a, id).await?;
    let m =
        m.map_err(|e| crate::error::ApiError::bad_request(Some("file".into()), e.body_text()))?;
    let (name, declared, bytes, _) = super::order_work::read_upload(m).await?;
    Ok((
        StatusCode::CREATED,
        Json(images::add(&s.store, &a, id, &name, &declared, &bytes).await?),
    ))
}

/// One image of an article, for whoever may read the article.
#[utoipa::path(get, path = "/api/v1/articles/{id}/images/{image_id}", tag = "articles",
    params(("id" = i64, Path), ("image_id" = i64, Path)),
    responses((status = 200, content_type = "image/png"), (status = 404, body = ErrorBody)))]
pub async fn get_image(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Ids(id, image_id): Ids,
) -> ApiResult<axum::response::Response> {
    let (meta, bytes) = images::download(&s.store, &a, id, image_id).await?;
    Ok(super::order_work::file_response(
        &meta.filename,
        &meta.content_type,
        bytes,
    ))
}
