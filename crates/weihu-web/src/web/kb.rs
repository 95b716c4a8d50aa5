//! Knowledge-base pages: search with highlights, one article (rendered, with its history and,
//! for staff, its editor), writing one, the suggestions a client sees while reporting a fault,
//! and the order page's actions (put an article on the order, draft one from its resolution).

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{OriginalUri, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use weihu_domain::article::{ArticleState, may_move};
use weihu_store::Page;
use weihu_store::articles::{
    self, Article, ArticleFilter, ArticleHit, ArticlePatch, NewArticle, NewDeflection, Revision,
};

use super::{PageCtx, back, page_error, render};
use crate::AppState;
use crate::auth::WebSession;
use crate::extract::{Id, Ids};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/kb", get(list).post(create))
        .route("/kb/new", get(new_form))
        .route("/kb/suggest", get(suggest))
        .route("/kb/{id}", get(detail).post(update))
        .route("/kb/{id}/solved", post(solved))
        .route("/kb/{id}/images", post(add_image))
        .route("/kb/{id}/images/{image_id}", get(image))
        .route("/orders/{id}/articles", post(attach))
        .route("/orders/{id}/article-draft", post(draft))
}

#[derive(Template)]
#[template(path = "kb.html")]
struct ListPage {
    ctx: PageCtx,
    error: Option<String>,
    page: Page<ArticleHit>,
    q: String,
    state: String,
    audience: String,
    can_write: bool,
}

#[derive(Deserialize, Default)]
struct ListQuery {
    q: Option<String>,
    state: Option<String>,
    audience: Option<String>,
    offset: Option<i64>,
    error: Option<String>,
    ok: Option<String>,
    /// Reached from the fault report's suggestions (client users: "this solved it").
    from: Option<String>,
}

async fn list(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    Query(q): Query<ListQuery>,
) -> Response {
    let ctx = PageCtx::new(&headers, &session, uri.path());
    let a = &session.actor;
    let f = ArticleFilter {
        q: q.q.clone(),
        state: q.state.clone(),
        audience: q.audience.clone(),
        ..Default::default()
    };
    match articles::list(&s.store, a, &f, 20, q.offset.unwrap_or(0)).await {
        Ok(page) => render(&ListPage {
            ctx,
            error: q.error,
            page,
            q: q.q.unwrap_or_default(),
            state: q.state.unwrap_or_default(),
            audience: q.audience.unwrap_or_default(),
            can_write: !a.is_client() && a.role.can_write_articles(),
        }),
        Err(e) => page_error(ctx, e.into()),
    }
}

/// What the article form shows: an article's fields, or a new one's defaults.
#[derive(Default)]
struct FormValues {
    /// None: a new article.
    id: Option<i64>,
    version: i64,
    title: String,
    body: String,
    category: String,
    tags: String,
    categories: String,
    lang: String,
    audience: String,
    asset_types: Vec<String>,
    /// The states the article may be set to (the current one first).
    states: Vec<&'static str>,
}

impl FormValues {
    fn of(a: &Article, states: Vec<&'static str>) -> FormValues {
        FormValues {
            id: Some(a.id),
            version: a.version,
            title: a.title.clone(),
            body: a.body.clone(),
            category: a.category.clone(),
            tags: a.tags.join(", "),
            categories: a.categories.join(", "),
            lang: a.lang.clone(),
            audience: a.audience.clone(),
            asset_types: a.asset_types.clone(),
            states,
        }
    }
}

#[derive(Template)]
#[template(path = "kb_edit.html")]
struct EditPage {
    ctx: PageCtx,
    error: Option<String>,
    form: FormValues,
    asset_types: Vec<weihu_store::assets::AssetType>,
}

async fn new_form(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    Query(q): Query<ListQuery>,
) -> Response {
    let ctx = PageCtx::new(&headers, &session, uri.path());
    let a = &session.actor;
    if a.is_client() || !a.role.can_write_articles() {
        return page_error(
            ctx,
            weihu_store::StoreError::Forbidden("articles are written by the provider's staff")
                .into(),
        );
    }
    let lang = if ctx.lang == "en" { "en" } else { "zh" };
    render(&EditPage {
        ctx,
        error: q.error,
        form: FormValues {
            lang: lang.into(),
            audience: "internal".into(),
            states: vec!["draft"],
            ..FormValues::default()
        },
        asset_types: asset_types(&s).await,
    })
}

async fn asset_types(s: &AppState) -> Vec<weihu_store::assets::AssetType> {
    weihu_store::assets::types(&s.store)
        .await
        .unwrap_or_default()
}

#[derive(Template)]
#[template(path = "kb_article.html")]
struct DetailPage {
    ctx: PageCtx,
    error: Option<String>,
    a: Article,
    revisions: Vec<Revision>,
    /// The editor, for staff who may change the article as it stands.
    form: Option<FormValues>,
    asset_types: Vec<weihu_store::assets::AssetType>,
    /// A client user who came from the fault report's suggestions.
    from_report: bool,
    staff: bool,
    /// The article's images with their Markdown paths (for its editors).
    images: Vec<weihu_store::articles::images::ArticleImage>,
}

async fn detail(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    Id(id): Id,
    Query(q): Query<ListQuery>,
) -> Response {
    let mut ctx = PageCtx::new(&headers, &session, uri.path());
    if q.ok.is_some() {
        ctx.flash = Some(ctx.t("flash.saved").to_owned());
    }
    let actor = &session.actor;
    let a = match articles::get(&s.store, actor, id).await {
        Ok(a) => a,
        Err(e) => return page_error(ctx, e.into()),
    };
    let staff = !actor.is_client() && actor.role.can_write_articles();
    let revisions = if staff {
        articles::revisions(&s.store, actor, id)
            .await
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let from = ArticleState::parse(&a.state).unwrap_or(ArticleState::Draft);
    let may_review = actor.role.can_review_articles();
    // A published article's text is changed by a reviewer; others may only read it.
    let form = (staff && (from != ArticleState::Published || may_review)).then(|| {
        // An archived article is saved only as a draft again (the store refuses changing it as
        // archived), so the form does not offer keeping it archived.
        let mut states = if from == ArticleState::Archived {
            Vec::new()
        } else {
            vec![from.as_str()]
        };
        states.extend(
            ArticleState::ALL
                .into_iter()
                .filter(|to| *to != from && may_move(from, *to, may_review, true).is_ok())
                .map(ArticleState::as_str),
        );
        FormValues::of(&a, states)
    });
    let asset_types = if form.is_some() {
        asset_types(&s).await
    } else {
        Vec::new()
    };
    let images = if form.is_some() {
        weihu_store::articles::images::list(&s.store, actor, id)
            .await
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    render(&DetailPage {
        images,
        from_report: actor.is_client() && q.from.as_deref() == Some("report"),
        ctx,
        error: q.error,
        a,
        revisions,
        form,
        asset_types,
        staff,
    })
}

#[derive(Deserialize)]
struct ArticleForm {
    csrf: String,
    #[serde(default)]
    version: i64,
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    category: String,
    /// Comma- or space-separated.
    #[serde(default)]
    tags: String,
    #[serde(default)]
    categories: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    audience: String,
    #[serde(default)]
    state: String,
}

/// The form's comma- or space-separated list.
fn list_of(s: &str) -> Vec<String> {
    s.split([',', '，', ' '])
        .filter(|t| !t.trim().is_empty())
        .take(100)
        .map(|t| t.trim().to_owned())
        .collect()
}

/// The checked asset types (a form posts one `asset_type` per box).
fn asset_types_of(raw: &str) -> Vec<String> {
    form_urlencoded::parse(raw.as_bytes())
        .filter(|(k, _)| k == "asset_type")
        .take(100)
        .map(|(_, v)| v.into_owned())
        .collect()
}

async fn create(State(s): State<AppState>, session: WebSession, body: String) -> Response {
    let Ok(f) = serde_urlencoded::from_str::<ArticleForm>(&body) else {
        return back::<weihu_store::StoreError>(
            "/kb/new",
            Err(weihu_store::StoreError::invalid(
                "title",
                "the form could not be read",
            )),
        );
    };
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let new = NewArticle {
        title: f.title,
        body: f.body,
        category: f.category,
        tags: list_of(&f.tags),
        categories: list_of(&f.categories),
        asset_types: asset_types_of(&body),
        lang: Some(f.lang).filter(|s| !s.is_empty()),
        audience: Some(f.audience).filter(|s| !s.is_empty()),
        ..NewArticle::default()
    };
    match articles::create(&s.store, &session.actor, &new).await {
        Ok(a) => Redirect::to(&format!("/kb/{}?ok=1", a.id)).into_response(),
        Err(e) => back("/kb/new", Err::<(), _>(e)),
    }
}

async fn update(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    body: String,
) -> Response {
    let Ok(f) = serde_urlencoded::from_str::<ArticleForm>(&body) else {
        return back::<weihu_store::StoreError>(
            &format!("/kb/{id}"),
            Err(weihu_store::StoreError::invalid(
                "title",
                "the form could not be read",
            )),
        );
    };
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let patch = ArticlePatch {
        version: f.version,
        title: Some(f.title),
        body: Some(f.body),
        category: Some(f.category),
        tags: Some(list_of(&f.tags)),
        categories: Some(list_of(&f.categories)),
        asset_types: Some(asset_types_of(&body)),
        lang: Some(f.lang).filter(|s| !s.is_empty()),
        audience: Some(f.audience).filter(|s| !s.is_empty()),
        state: Some(f.state).filter(|s| !s.is_empty()),
    };
    back(
        &format!("/kb/{id}"),
        articles::update(&s.store, &session.actor, id, &patch)
            .await
            .map(|_| ()),
    )
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

/// A client user says the article answered their fault: counted, and no order is reported.
async fn solved(
    State(s): State<AppState>,
    headers: HeaderMap,
    session: WebSession,
    Id(id): Id,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let d = NewDeflection {
        article_id: Some(id),
        outcome: "solved".into(),
    };
    match articles::record_deflection(&s.store, &session.actor, &d).await {
        Ok(()) => Redirect::to("/portal?solved=1").into_response(),
        Err(e) => page_error(PageCtx::new(&headers, &session, "/kb"), e.into()),
    }
}

#[derive(Template)]
#[template(path = "kb_suggest.html")]
struct SuggestFragment {
    ctx: PageCtx,
    hits: Vec<ArticleHit>,
}

#[derive(Deserialize)]
struct SuggestQuery {
    #[serde(default)]
    q: String,
}

/// The suggestions under the fault report's text, as an HTML fragment the report page's script
/// puts in place (escaped here like every page).
async fn suggest(
    State(s): State<AppState>,
    headers: HeaderMap,
    session: WebSession,
    Query(q): Query<SuggestQuery>,
) -> Response {
    let text: String = q.q.chars().take(2_000).collect();
    let hits = articles::suggest(&s.store, &session.actor, &text, None, None)
        .await
        .unwrap_or_default();
    render(&SuggestFragment {
        ctx: PageCtx::new(&headers, &session, "/kb"),
        hits,
    })
}

#[derive(Deserialize)]
struct AttachForm {
    csrf: String,
    article_id: i64,
}

async fn attach(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Form(f): Form<AttachForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    back(
        &format!("/orders/{id}#timeline"),
        articles::attach(&s.store, &session.actor, id, f.article_id)
            .await
            .map(|_| ()),
    )
}

async fn draft(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    match articles::draft_from_order(&s.store, &session.actor, id).await {
        Ok(a) => Redirect::to(&format!("/kb/{}?ok=1#edit", a.id)).into_response(),
        Err(e) => back(&format!("/orders/{id}#articles"), Err::<(), _>(e)),
    }
}

/// An image of an article, for whoever may read the article.
async fn image(
    State(s): State<AppState>,
    headers: HeaderMap,
    session: WebSession,
    Ids(id, image_id): Ids,
) -> Response {
    match weihu_store::articles::images::download(&s.store, &session.actor, id, image_id).await {
        Ok((meta, bytes)) => {
            crate::api::order_work::file_response(&meta.filename, &meta.content_type, bytes)
        }
        Err(e) => page_error(PageCtx::new(&headers, &session, "/kb"), e.into()),
    }
}

/// The article page's upload: one image, then back to the editor with its path listed.
async fn add_image(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    m: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let to = format!("/kb/{id}#images");
    let Ok(mut m) = m else {
        return back(
            &to,
            Err::<(), _>(weihu_store::StoreError::invalid("file", "send one image")),
        );
    };
    let mut csrf = String::new();
    let mut file = None;
    while let Ok(Some(field)) = m.next_field().await {
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("file") => {
                let name = field.file_name().unwrap_or("image").to_owned();
                let declared = field.content_type().unwrap_or("").to_owned();
                match field.bytes().await {
                    Ok(b) => file = Some((name, declared, b.to_vec())),
                    Err(_) => {
                        return back(
                            &to,
                            Err::<(), _>(weihu_store::StoreError::invalid(
                                "file",
                                "must be at most 10 MB",
                            )),
                        );
                    }
                }
            }
            _ => {}
        }
    }
    if let Err(e) = session.check_csrf(&csrf) {
        return e.into_response();
    }
    let Some((name, declared, bytes)) = file else {
        return back(
            &to,
            Err::<(), _>(weihu_store::StoreError::invalid("file", "choose an image")),
        );
    };
    back(
        &to,
        weihu_store::articles::images::add(&s.store, &session.actor, id, &name, &declared, &bytes)
            .await
            .map(|_| ()),
    )
}
