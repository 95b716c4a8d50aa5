//! Service-level report pages (issue #14): the list of drafted and published reports, one
//! client's month (headline figures, server-drawn charts, the tables the PDF and the workbook
//! also show), drafting, publishing, and the PDF and Excel downloads. A client's administrator
//! reads its own published reports.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{OriginalUri, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use weihu_pdf::{ReportFigure, ReportSection};
use weihu_store::reports::{self, ReportFilter, ReportItem, StoredReport};
use weihu_store::{ListParams, StoreError};

use super::{PageCtx, back, page_error, render};
use crate::AppState;
use crate::auth::WebSession;
use crate::error::ApiError;
use crate::extract::{Id, Ids};
use crate::service_report;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/reports", get(list_page).post(draft))
        .route("/reports/service-level", get(report_page))
        .route("/reports/service-level/pdf", get(report_pdf))
        .route("/reports/service-level/xlsx", get(report_xlsx))
        .route("/reports/draft-all", post(draft_all))
        .route("/reports/{id}", get(by_id))
        .route("/reports/{id}/publish", post(publish))
        .route("/reports/{id}/reissue", post(reissue))
        .route("/reviews", post(record_review))
        .route("/reviews/{id}/items/{item_id}", post(item_state))
}

fn last_month(ctx: &PageCtx) -> String {
    jiff::Timestamp::now()
        .to_zoned_datetime(ctx.zone.clone())
        .date()
        .first_of_month()
        .yesterday()
        .map(|d| d.strftime("%Y-%m").to_string())
        .unwrap_or_default()
}

#[derive(Deserialize, Default)]
struct ListQuery {
    client: Option<String>,
    month: Option<String>,
    state: Option<String>,
    ok: Option<String>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ListPage {
    ctx: PageCtx,
    items: Vec<ReportItem>,
    total: i64,
    clients: Vec<weihu_store::organizations::Organization>,
    client: Option<i64>,
    month: String,
    state: String,
    last_month: String,
    can_manage: bool,
    error: Option<String>,
}

async fn list_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    Query(q): Query<ListQuery>,
) -> Response {
    let mut ctx = PageCtx::new(&headers, &session, uri.path());
    if q.ok.is_some() {
        ctx.flash = Some(ctx.t("flash.saved").to_owned());
    }
    let a = &session.actor;
    let client = q.client.as_deref().and_then(|c| c.parse().ok());
    let filter = ReportFilter {
        client_org_id: client,
        month: q.month.clone().filter(|m| !m.is_empty()),
        state: q.state.clone().filter(|m| !m.is_empty()),
    };
    let page = match reports::list(
        &s.store,
        a,
        &filter,
        &ListParams {
            limit: Some(200),
            ..Default::default()
        },
    )
    .await
    {
        Ok(p) => p,
        Err(e) => return page_error(ctx, e.into()),
    };
    render(&ListPage {
        clients: super::active_clients(&s, a).await,
        last_month: last_month(&ctx),
        can_manage: a.role.can_manage_service_levels(),
        items: page.items,
        total: page.total,
        client,
        month: q.month.unwrap_or_default(),
        state: q.state.unwrap_or_default(),
        ctx,
        error: q.error,
    })
}

#[derive(Deserialize, Default)]
struct ReportQuery {
    client: Option<String>,
    month: Option<String>,
    ok: Option<String>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    ctx: PageCtx,
    report: StoredReport,
    state_line: String,
    headline: Vec<ReportFigure>,
    charts: Vec<(String, String)>,
    sections: Vec<ReportSection>,
    clients: Vec<weihu_store::organizations::Organization>,
    can_manage: bool,
    /// The month is over: a draft may be published.
    can_publish: bool,
    query: String,
    error: Option<String>,
}

impl ReportPage {
    fn flag(&self, f: &str) -> &'static str {
        match f {
            "met" => "met",
            "missed" => "breached",
            _ => "none",
        }
    }
}

/// The client and month a report page is about: the client's own for its users.
fn target(
    ctx: &PageCtx,
    a: &weihu_store::Actor,
    client: Option<&str>,
    month: Option<&str>,
) -> Result<(i64, String), ApiError> {
    let client = match a.client_scope() {
        Some(own) => own,
        None => client
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| ApiError::Store(StoreError::invalid("client_org_id", "is required")))?,
    };
    let month = month
        .filter(|m| !m.trim().is_empty())
        .map(str::to_owned)
        .unwrap_or_else(|| last_month(ctx));
    Ok((client, month))
}

async fn report_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    Query(q): Query<ReportQuery>,
) -> Response {
    let mut ctx = PageCtx::new(&headers, &session, uri.path());
    if q.ok.is_some() {
        ctx.flash = Some(ctx.t("flash.saved").to_owned());
    }
    let a = &session.actor;
    let (client, month) = match target(&ctx, a, q.client.as_deref(), q.month.as_deref()) {
        Ok(t) => t,
        Err(e) => return page_error(ctx, e),
    };
    let report = match reports::current(&s.store, a, client, &month).await {
        Ok(r) => r,
        Err(e) => return page_error(ctx, e.into()),
    };
    let tr = ctx.tr;
    let charts = service_report::charts(&report.report, tr)
        .all()
        .into_iter()
        .map(|(k, svg)| (tr.t(k).to_owned(), svg.clone()))
        .collect();
    render(&ReportPage {
        state_line: service_report::state_line(&report, tr),
        headline: service_report::headline(&report.report, tr),
        sections: service_report::sections(&report.report, tr),
        charts,
        clients: super::active_clients(&s, a).await,
        can_manage: a.role.can_manage_service_levels(),
        can_publish: !report.report.running,
        query: format!("client={client}&month={}", report.report.month),
        report,
        ctx,
        error: q.error,
    })
}

async fn report_pdf(
    State(s): State<AppState>,
    headers: HeaderMap,
    session: WebSession,
    Query(q): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    let ctx = PageCtx::new(&headers, &session, "/reports");
    let (client, month) = target(
        &ctx,
        &session.actor,
        q.client.as_deref(),
        q.month.as_deref(),
    )?;
    let r = reports::current(&s.store, &session.actor, client, &month).await?;
    let (bytes, name) = crate::documents::service_report_pdf(&s.store, &r, ctx.tr).await?;
    Ok(crate::documents::pdf_response(bytes, &name, false))
}

async fn report_xlsx(
    State(s): State<AppState>,
    headers: HeaderMap,
    session: WebSession,
    Query(q): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    let ctx = PageCtx::new(&headers, &session, "/reports");
    let (client, month) = target(
        &ctx,
        &session.actor,
        q.client.as_deref(),
        q.month.as_deref(),
    )?;
    let r = reports::current(&s.store, &session.actor, client, &month).await?;
    crate::sheets::service_report_xlsx(&r, ctx.tr).await
}

async fn by_id(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
) -> Result<Response, ApiError> {
    let r = reports::get(&s.store, &session.actor, id).await?;
    Ok(Redirect::to(&format!(
        "/reports/service-level?client={}&month={}",
        r.report.client_org_id, r.report.month
    ))
    .into_response())
}

#[derive(Deserialize)]
struct DraftForm {
    csrf: String,
    #[serde(default)]
    client_org_id: String,
    #[serde(default)]
    month: String,
}

async fn draft(
    State(s): State<AppState>,
    session: WebSession,
    Form(f): Form<DraftForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let Ok(client) = f.client_org_id.parse::<i64>() else {
        return back(
            "/reports",
            Err(StoreError::invalid("client_org_id", "is required")),
        );
    };
    match reports::draft(&s.store, &session.actor, client, &f.month).await {
        Ok((r, _)) => Redirect::to(&format!(
            "/reports/service-level?client={client}&month={}&ok=1",
            r.report.month
        ))
        .into_response(),
        Err(e) => back(
            &format!("/reports/service-level?client={client}&month={}", f.month),
            Err(e),
        ),
    }
}

async fn draft_all(
    State(s): State<AppState>,
    session: WebSession,
    Form(f): Form<DraftForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    back(
        "/reports",
        reports::draft_all(&s.store, &session.actor, &f.month)
            .await
            .map(|_| ()),
    )
}

#[derive(Deserialize)]
struct PublishForm {
    csrf: String,
    version: i64,
    #[serde(default)]
    summary: String,
}

async fn publish(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Form(f): Form<PublishForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let p = reports::Publish {
        version: f.version,
        summary: f.summary,
    };
    match reports::publish(&s.store, &session.actor, id, &p).await {
        Ok(r) => Redirect::to(&format!(
            "/reports/service-level?client={}&month={}&ok=1",
            r.report.client_org_id, r.report.month
        ))
        .into_response(),
        Err(e) => back(&format!("/reports/{id}"), Err(e)),
    }
}

#[derive(Deserialize)]
struct ReissueForm {
    csrf: String,
    version: i64,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    summary: String,
}

async fn reissue(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Form(f): Form<ReissueForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let r = reports::Reissue {
        version: f.version,
        reason: f.reason,
        summary: Some(f.summary),
    };
    match reports::reissue(&s.store, &session.actor, id, &r).await {
        Ok(r) => Redirect::to(&format!(
            "/reports/service-level?client={}&month={}&ok=1",
            r.report.client_org_id, r.report.month
        ))
        .into_response(),
        Err(e) => back(&format!("/reports/{id}"), Err(e)),
    }
}

#[derive(Deserialize)]
struct ReviewForm {
    csrf: String,
    client_org_id: i64,
    period: String,
    #[serde(default)]
    held_on: String,
    #[serde(default)]
    attendees: String,
    #[serde(default)]
    findings: String,
    /// One item per line: `action | owner | YYYY-MM-DD` (owner and date optional).
    #[serde(default)]
    items: String,
}

/// The plan's lines as items; at most one more than the store takes, so it names the limit.
fn plan_items(text: &str) -> Vec<weihu_store::reviews::NewItem> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(weihu_store::reviews::MAX_ITEMS + 1)
        .map(|l| {
            let mut parts = l.splitn(3, '|').map(str::trim);
            weihu_store::reviews::NewItem {
                action: parts.next().unwrap_or_default().to_owned(),
                owner: parts.next().unwrap_or_default().to_owned(),
                due_on: parts.next().filter(|d| !d.is_empty()).map(str::to_owned),
            }
        })
        .collect()
}

async fn record_review(
    State(s): State<AppState>,
    session: WebSession,
    Form(f): Form<ReviewForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let page = format!(
        "/reports/service-level?client={}&month={}",
        f.client_org_id, f.period
    );
    let new = weihu_store::reviews::NewReview {
        client_org_id: f.client_org_id,
        period: f.period.clone(),
        held_on: Some(f.held_on).filter(|d| !d.trim().is_empty()),
        attendees: f.attendees,
        findings: f.findings,
        items: plan_items(&f.items),
    };
    back(
        &page,
        weihu_store::reviews::create(&s.store, &session.actor, &new)
            .await
            .map(|_| ()),
    )
}

#[derive(Deserialize)]
struct ItemForm {
    csrf: String,
    version: i64,
    state: String,
    #[serde(default)]
    back: String,
}

async fn item_state(
    State(s): State<AppState>,
    session: WebSession,
    Ids(id, item): Ids,
    Form(f): Form<ItemForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    // Back to the report the form was on (only a path of this site).
    let to = if f.back.starts_with("/reports/") && !f.back.starts_with("//") {
        f.back.clone()
    } else {
        "/reports".to_owned()
    };
    let u = weihu_store::reviews::ItemUpdate {
        version: f.version,
        state: f.state,
    };
    back(
        &to,
        weihu_store::reviews::update_item(&s.store, &session.actor, id, item, &u)
            .await
            .map(|_| ()),
    )
}
