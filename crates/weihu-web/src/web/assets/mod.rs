//! Asset pages: the registry with filters (warranty 30/60/90 days), one asset with its history
//! and label, CSV/Excel import with a row-by-row preview, export, label sheets, the client's
//! registry confirmation; the service catalog; quotes for prospective clients.

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Multipart, OriginalUri, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use weihu_store::assets::{
    self, Asset, AssetFilter, AssetInput, AssetType, HistoryEntry, ImportPlan, RegistryDiff,
};
use weihu_store::catalog::{self, CatalogInput, CatalogItem};
use weihu_store::organizations::{self, Organization};
use weihu_store::{ListParams, Page, StoreError};

use super::{PageCtx, back, page_error, render};
use crate::AppState;
use crate::app::quotes::{QuoteOut, QuoteRequest, make_quote};
use crate::app::registry::{export_response, read_sheet, run_import};
use crate::auth::WebSession;
use crate::error::ApiError;
use crate::extract::Id;

mod catalog_pages;
mod quote_pages;

use catalog_pages::*;
use quote_pages::*;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/assets", get(list).post(create))
        .route("/assets/export", get(export))
        .route("/assets/labels", post(labels))
        .route("/assets/import", post(import_upload))
        .route("/assets/import/apply", post(import_apply))
        .route("/assets/{id}", get(detail).post(update))
        .route(
            "/organizations/{id}/registry",
            get(registry).post(registry_confirm),
        )
        .route("/catalog", get(catalog_list).post(catalog_save))
        .route("/quotes", get(quote_form).post(quote_show))
        .route("/quotes/pdf", post(quote_pdf))
        .layer(axum::extract::DefaultBodyLimit::max(8 * 1024 * 1024))
}

#[derive(Deserialize, Default)]
struct AssetQuery {
    client: Option<String>,
    asset_type: Option<String>,
    status: Option<String>,
    warranty: Option<String>,
    q: Option<String>,
    offset: Option<i64>,
    error: Option<String>,
    ok: Option<String>,
}

impl AssetQuery {
    fn filter(&self) -> AssetFilter {
        AssetFilter {
            client_org_id: self.client.as_deref().and_then(|c| c.parse().ok()),
            asset_type: self.asset_type.clone().filter(|t| !t.is_empty()),
            status: self.status.clone().filter(|t| !t.is_empty()),
            warranty_within_days: self.warranty.as_deref().and_then(|w| w.parse().ok()),
        }
    }
}

fn flash(ctx: &mut PageCtx, ok: &Option<String>, error: &Option<String>) -> Option<String> {
    if ok.is_some() {
        ctx.flash = Some(ctx.t("flash.saved").to_owned());
    }
    error.clone()
}

#[derive(Template)]
#[template(path = "assets.html")]
struct AssetList {
    ctx: PageCtx,
    page: Page<Asset>,
    types: Vec<AssetType>,
    clients: Vec<Organization>,
    f: AssetQuery,
    query: String,
    prev: Option<i64>,
    can_edit: bool,
    error: Option<String>,
}

impl AssetList {
    fn sel(&self, v: &Option<String>, want: &str) -> bool {
        v.as_deref() == Some(want)
    }
    fn sel_id(&self, v: &Option<String>, id: &i64) -> bool {
        v.as_deref() == Some(id.to_string().as_str())
    }
    fn type_name(&self, code: &str) -> String {
        self.types
            .iter()
            .find(|t| t.code == code)
            .map(|t| {
                if self.ctx.lang == "en" {
                    t.name_en.clone()
                } else {
                    t.name.clone()
                }
            })
            .unwrap_or_else(|| code.to_owned())
    }
}

async fn list(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    Query(f): Query<AssetQuery>,
) -> Response {
    let mut ctx = PageCtx::new(&headers, &session, uri.path());
    let error = flash(&mut ctx, &f.ok, &f.error);
    let a = &session.actor;
    let params = ListParams {
        limit: Some(100),
        offset: f.offset,
        sort: None,
        q: f.q.clone().filter(|q| !q.is_empty()),
    };
    let page = match assets::list(&s.store, a, &f.filter(), &params).await {
        Ok(p) => p,
        Err(e) => return page_error(ctx, e.into()),
    };
    let query = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|kv| {
            !kv.starts_with("offset=") && !kv.starts_with("ok=") && !kv.starts_with("error=")
        })
        .collect::<Vec<_>>()
        .join("&");
    render(&AssetList {
        types: assets::types(&s.store).await.unwrap_or_default(),
        clients: super::active_clients(&s, a).await,
        can_edit: a.role.can_write_registry(),
        prev: f.offset.filter(|o| *o > 0).map(|o| (o - 100).max(0)),
        ctx,
        page,
        f,
        query,
        error,
    })
}

#[derive(Deserialize, Default)]
struct AssetForm {
    csrf: String,
    #[serde(default)]
    version: i64,
    client_org_id: Option<String>,
    #[serde(default)]
    asset_type: String,
    #[serde(default)]
    tag: String,
    #[serde(default)]
    serial: String,
    #[serde(default)]
    model: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    warranty_end: String,
    #[serde(default)]
    under_contract: Option<String>,
    #[serde(default)]
    status: String,
    #[serde(default)]
    notes: String,
}

impl AssetForm {
    fn input(&self) -> AssetInput {
        AssetInput {
            client_org_id: self.client_org_id.as_deref().and_then(|c| c.parse().ok()),
            asset_type: Some(self.asset_type.clone()),
            tag: Some(self.tag.clone()),
            serial: Some(self.serial.clone()),
            model: Some(self.model.clone()),
            location: Some(self.location.clone()),
            owner: Some(self.owner.clone()),
            warranty_end: Some(self.warranty_end.clone()),
            under_contract: Some(self.under_contract.is_some()),
            status: Some(self.status.clone()).filter(|s| !s.is_empty()),
            notes: Some(self.notes.clone()),
            custom_fields: None,
        }
    }
}

async fn create(
    State(s): State<AppState>,
    session: WebSession,
    Form(f): Form<AssetForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    match assets::create(&s.store, &session.actor, &f.input()).await {
        Ok(a) => Redirect::to(&format!("/assets/{}?ok=1", a.id)).into_response(),
        Err(e) => back("/assets", Err::<(), _>(e)),
    }
}

#[derive(Template)]
#[template(path = "asset.html")]
struct AssetDetail {
    ctx: PageCtx,
    a: Asset,
    types: Vec<AssetType>,
    history: Vec<HistoryEntry>,
    /// Open inspections covering the asset: its QR label leads here, and here to the checklist.
    inspections: Vec<weihu_store::maintenance::inspections::InspectionRow>,
    can_edit: bool,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
struct Flash {
    error: Option<String>,
    ok: Option<String>,
}

async fn detail(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    Id(id): Id,
    Query(f): Query<Flash>,
) -> Response {
    let mut ctx = PageCtx::new(&headers, &session, uri.path());
    let error = flash(&mut ctx, &f.ok, &f.error);
    let a = &session.actor;
    match assets::get(&s.store, a, id).await {
        Ok(asset) => render(&AssetDetail {
            history: assets::history(&s.store, a, id).await.unwrap_or_default(),
            inspections: weihu_store::maintenance::inspections::open_for_asset(&s.store, a, id)
                .await
                .unwrap_or_default(),
            types: assets::types(&s.store).await.unwrap_or_default(),
            can_edit: a.role.can_write_registry(),
            ctx,
            a: asset,
            error,
        }),
        Err(e) => page_error(ctx, e.into()),
    }
}

async fn update(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Form(f): Form<AssetForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let mut input = f.input();
    input.client_org_id = None;
    back(
        &format!("/assets/{id}"),
        assets::update(&s.store, &session.actor, id, f.version, &input)
            .await
            .map(|_| ()),
    )
}

#[derive(Deserialize)]
struct ExportQuery {
    format: Option<String>,
    client: Option<String>,
    asset_type: Option<String>,
    status: Option<String>,
    warranty: Option<String>,
}

async fn export(
    State(s): State<AppState>,
    headers: HeaderMap,
    session: WebSession,
    Query(q): Query<ExportQuery>,
) -> Response {
    let filter = AssetFilter {
        client_org_id: q.client.as_deref().and_then(|c| c.parse().ok()),
        asset_type: q.asset_type.filter(|t| !t.is_empty()),
        status: q.status.filter(|t| !t.is_empty()),
        warranty_within_days: q.warranty.as_deref().and_then(|w| w.parse().ok()),
    };
    match export_response(&s.store, &session.actor, &filter, q.format.as_deref()).await {
        Ok(r) => r,
        Err(e) => page_error(PageCtx::new(&headers, &session, "/assets"), e),
    }
}

/// The label form posts the chosen ids (`ids=1&ids=2…`) with the CSRF token.
async fn labels(
    State(s): State<AppState>,
    headers: HeaderMap,
    session: WebSession,
    body: axum::body::Bytes,
) -> Response {
    let mut csrf = String::new();
    let mut ids = Vec::new();
    for (k, v) in form_urlencoded::parse(&body) {
        match k.as_ref() {
            "csrf" => csrf = v.into_owned(),
            "ids" => {
                if let Ok(id) = v.parse::<i64>() {
                    ids.push(id);
                }
            }
            _ => {}
        }
    }
    if let Err(e) = session.check_csrf(&csrf) {
        return e.into_response();
    }
    let base = crate::api::documents_base_url(&s.config, &headers);
    match crate::documents::labels(&s.store, &session.actor, &ids, &base).await {
        Ok(bytes) => crate::documents::pdf_response(bytes, "labels.pdf", false),
        Err(e) => back("/assets", Err::<(), ApiError>(e)),
    }
}

#[derive(Template)]
#[template(path = "asset_import.html")]
struct ImportPreview {
    ctx: PageCtx,
    plan: ImportPlan,
    client_name: String,
    /// The parsed file, carried to the apply step as JSON (escaped in the page).
    table_json: String,
    filename: String,
}

/// Step 1: the uploaded file is parsed and every row's fate shown; nothing is written.
async fn import_upload(
    State(s): State<AppState>,
    headers: HeaderMap,
    session: WebSession,
    m: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let Ok(mut m) = m else {
        return back(
            "/assets",
            Err::<(), _>(StoreError::invalid("file", "upload a CSV or Excel file")),
        );
    };
    let (mut csrf, mut client, mut name, mut bytes) =
        (String::new(), None, String::new(), Vec::new());
    loop {
        let field = match m.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                return back(
                    "/assets",
                    Err::<(), _>(StoreError::invalid(
                        "file",
                        "the upload was cut off or is too large",
                    )),
                );
            }
        };
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("client_org_id") => {
                client = field.text().await.ok().and_then(|t| t.parse::<i64>().ok());
            }
            Some("file") => {
                name = field.file_name().unwrap_or("upload.csv").to_owned();
                bytes = field.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
            }
            _ => {}
        }
    }
    if let Err(e) = session.check_csrf(&csrf) {
        return e.into_response();
    }
    let a = &session.actor;
    let r = async {
        // Who may import, and into which client, before the file is parsed.
        let client = assets::import_target(&s.store, a, client).await?;
        let table = read_sheet(std::mem::take(&mut bytes), name.clone()).await?;
        let plan = run_import(&s.store, a, Some(client), &table, Some("preview")).await?;
        let org = organizations::get(&s.store, a, plan.client_org_id).await?;
        let json = serde_json::json!({"headers": table.headers, "rows": table.rows}).to_string();
        Ok::<_, ApiError>((plan, org.name, json))
    }
    .await;
    match r {
        Ok((plan, client_name, table_json)) => render(&ImportPreview {
            ctx: PageCtx::new(&headers, &session, "/assets"),
            plan,
            client_name,
            table_json,
            filename: name,
        }),
        Err(e) => back("/assets", Err::<(), _>(e)),
    }
}

#[derive(Deserialize)]
struct ApplyForm {
    csrf: String,
    client_org_id: i64,
    table: String,
    mode: String,
}

/// Step 2: the previewed rows are written (all or nothing, or the valid rows only).
async fn import_apply(
    State(s): State<AppState>,
    session: WebSession,
    Form(f): Form<ApplyForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let r = async {
        let client = assets::import_target(&s.store, &session.actor, Some(f.client_org_id)).await?;
        let v: serde_json::Value = serde_json::from_str(&f.table).map_err(|_| {
            StoreError::invalid("table", "the preview was damaged; upload the file again")
        })?;
        let cells = |x: &serde_json::Value| -> Vec<String> {
            x.as_array()
                .map(|a| {
                    a.iter()
                        .map(|c| c.as_str().unwrap_or("").to_owned())
                        .collect()
                })
                .unwrap_or_default()
        };
        let table = weihu_sheets::Table {
            headers: cells(&v["headers"]),
            rows: v["rows"]
                .as_array()
                .map(|rows| rows.iter().map(cells).collect())
                .unwrap_or_default(),
        };
        // The same limits as an upload: the form carries the table back from the browser.
        table
            .check_limits()
            .map_err(|e| StoreError::invalid("table", e.to_string()))?;
        run_import(
            &s.store,
            &session.actor,
            Some(client),
            &table,
            Some(f.mode.as_str()),
        )
        .await
    }
    .await;
    match r {
        Ok(plan) => Redirect::to(&format!(
            "/assets?client={}&ok=1&imported={}",
            plan.client_org_id,
            plan.creates + plan.updates
        ))
        .into_response(),
        Err(e) => back("/assets", Err::<(), _>(e)),
    }
}

#[derive(Template)]
#[template(path = "registry.html")]
struct Registry {
    ctx: PageCtx,
    org: Organization,
    diff: RegistryDiff,
    can_confirm: bool,
    error: Option<String>,
}

async fn registry(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    Id(id): Id,
    Query(f): Query<Flash>,
) -> Response {
    let mut ctx = PageCtx::new(&headers, &session, uri.path());
    let error = flash(&mut ctx, &f.ok, &f.error);
    let a = &session.actor;
    let r = async {
        let org = organizations::get(&s.store, a, id).await?;
        let diff = assets::diff(&s.store, a, id).await?;
        Ok::<_, StoreError>((org, diff))
    }
    .await;
    match r {
        Ok((org, diff)) => render(&Registry {
            can_confirm: a.role.can_confirm_registry(),
            ctx,
            org,
            diff,
            error,
        }),
        Err(e) => page_error(ctx, e.into()),
    }
}

#[derive(Deserialize)]
struct ConfirmForm {
    csrf: String,
    signer_name: String,
    image: String,
}

async fn registry_confirm(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Form(f): Form<ConfirmForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let r = async {
        let png = crate::api::order_work::decode_png(&f.image).map_err(|_| {
            ApiError::Store(StoreError::invalid("image", "draw the signature first"))
        })?;
        assets::confirm(&s.store, &session.actor, id, &f.signer_name, &png).await?;
        Ok::<_, ApiError>(())
    }
    .await;
    back(&format!("/organizations/{id}/registry"), r)
}
