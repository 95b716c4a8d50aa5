//! Service-level pages (issue #14): a client's month per catalog service (availability against
//! its target as a bar, interruptions and restore times against their maximums), the month's
//! outages, recording and correcting one (staff), and opening one from an order.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{OriginalUri, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use weihu_store::StoreError;
use weihu_store::outages::{self, NewOutage, Outage, OutagePatch};
use weihu_store::service_levels::{self, MonthFigures};

use super::{PageCtx, back, page_error, render};
use crate::AppState;
use crate::auth::WebSession;
use crate::error::ApiError;
use crate::extract::Id;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/service-levels", get(month_page))
        .route("/outages", post(record))
        .route("/outages/{id}", get(outage_page).post(correct))
        .route("/orders/{id}/outage", post(from_order))
}

#[derive(Deserialize, Default)]
struct MonthQuery {
    client: Option<String>,
    month: Option<String>,
    ok: Option<String>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "service_levels.html")]
struct MonthPage {
    ctx: PageCtx,
    clients: Vec<weihu_store::organizations::Organization>,
    client: Option<i64>,
    month: String,
    prev: String,
    next: String,
    figures: Option<MonthFigures>,
    /// The running month's early warning for the client shown (empty for other months).
    warnings: Vec<weihu_store::service_levels::ClientWarning>,
    can_record: bool,
    /// The local `YYYY-MM-DDTHH:MM` a new outage's start field offers (now).
    now_local: String,
    error: Option<String>,
}

impl MonthPage {
    fn service_name<'a>(&self, name: &'a str, name_en: &'a str) -> &'a str {
        if self.ctx.lang == "en" && !name_en.is_empty() {
            name_en
        } else {
            name
        }
    }
    /// The bar's width: availability above 90 % spread over the bar, so 99.0 and 99.9 differ
    /// visibly (below 90 % the bar is empty).
    fn bar(&self, percent: &str) -> u32 {
        let p: f64 = percent.parse().unwrap_or(0.0);
        ((p - 90.0).clamp(0.0, 10.0) * 10.0).round() as u32
    }
    fn mark(&self, met: &Option<bool>) -> &'static str {
        match met {
            Some(true) => "met",
            Some(false) => "breached",
            None => "none",
        }
    }
}

/// `YYYY-MM` of the month before or after `month`.
fn shift(month: &str, by: i64) -> String {
    let Some((y, m)) = month.split_once('-') else {
        return month.to_owned();
    };
    let (Ok(y), Ok(m)) = (y.parse::<i64>(), m.parse::<i64>()) else {
        return month.to_owned();
    };
    let n = y * 12 + (m - 1) + by;
    format!("{:04}-{:02}", n.div_euclid(12), n.rem_euclid(12) + 1)
}

fn local_now(ctx: &PageCtx) -> jiff::civil::DateTime {
    jiff::Timestamp::now()
        .to_zoned_datetime(ctx.zone.clone())
        .datetime()
}

async fn month_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    Query(q): Query<MonthQuery>,
) -> Response {
    let mut ctx = PageCtx::new(&headers, &session, uri.path());
    if q.ok.is_some() {
        ctx.flash = Some(ctx.t("flash.saved").to_owned());
    }
    let a = &session.actor;
    let month = q
        .month
        .clone()
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| local_now(&ctx).strftime("%Y-%m").to_string());
    let clients = super::active_clients(&s, a).await;
    let client = a
        .client_scope()
        .or_else(|| q.client.as_deref().and_then(|c| c.parse().ok()))
        .or_else(|| clients.first().map(|c| c.id));
    let figures = match client {
        Some(c) => match service_levels::month(&s.store, a, c, &month).await {
            Ok(f) => Some(f),
            Err(e) => return page_error(ctx, e.into()),
        },
        None => None,
    };
    let warnings = match (&figures, client) {
        (Some(f), Some(c)) if f.running => {
            weihu_store::service_levels::warnings(&s.store, a, Some(c))
                .await
                .unwrap_or_default()
        }
        _ => Vec::new(),
    };
    render(&MonthPage {
        warnings,
        can_record: a.role.can_record_outages(),
        now_local: local_now(&ctx).strftime("%Y-%m-%dT%H:%M").to_string(),
        prev: shift(&month, -1),
        next: shift(&month, 1),
        ctx,
        clients,
        client,
        month,
        figures,
        error: q.error,
    })
}

/// A `datetime-local` value (`2026-03-04T10:00`) read in the user's zone, as RFC 3339; empty
/// stays empty. Anything else is passed on for the store to refuse, naming the field.
fn instant_of(ctx: &PageCtx, local: &str) -> Option<String> {
    let local = local.trim();
    if local.is_empty() {
        return None;
    }
    match local.parse::<jiff::civil::DateTime>() {
        Ok(dt) => dt
            .to_zoned_datetime(ctx.zone.clone())
            .map(|z| z.timestamp().to_string())
            .ok()
            .or_else(|| Some(local.to_owned())),
        Err(_) => Some(local.to_owned()),
    }
}

#[derive(Deserialize)]
struct OutageForm {
    csrf: String,
    #[serde(default)]
    client_org_id: String,
    #[serde(default)]
    catalog_item_id: String,
    #[serde(default)]
    started_at: String,
    #[serde(default)]
    ended_at: String,
    #[serde(default)]
    cause: String,
    #[serde(default)]
    force_majeure: Option<String>,
    #[serde(default)]
    third_party: Option<String>,
    #[serde(default)]
    vendor: String,
    #[serde(default)]
    underpinning_contract: String,
    #[serde(default)]
    version: i64,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    month: String,
}

async fn record(
    State(s): State<AppState>,
    headers: HeaderMap,
    session: WebSession,
    Form(f): Form<OutageForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let ctx = PageCtx::new(&headers, &session, "/outages");
    let Ok(client) = f.client_org_id.parse::<i64>() else {
        return back(
            "/service-levels",
            Err(StoreError::invalid("client_org_id", "is required")),
        );
    };
    let new = NewOutage {
        client_org_id: client,
        catalog_item_id: f.catalog_item_id.parse().ok(),
        started_at: instant_of(&ctx, &f.started_at),
        ended_at: instant_of(&ctx, &f.ended_at),
        cause: f.cause,
        force_majeure: f.force_majeure.is_some(),
        third_party: f.third_party.is_some(),
        vendor: f.vendor,
        underpinning_contract: f.underpinning_contract,
        order_ids: Vec::new(),
    };
    let to = format!("/service-levels?client={client}&month={}", f.month);
    match outages::create(&s.store, &session.actor, &new).await {
        Ok(o) => Redirect::to(&format!("/outages/{}?ok=1", o.id)).into_response(),
        Err(e) => back(&to, Err(e)),
    }
}

#[derive(Deserialize, Default)]
struct Flash {
    ok: Option<String>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "outage.html")]
struct OutagePage {
    ctx: PageCtx,
    o: Outage,
    /// The linked orders' numbers and subjects, as the reader may see them.
    orders: Vec<(i64, String, String)>,
    services: Vec<weihu_store::catalog::CatalogItem>,
    can_record: bool,
    started_local: String,
    ended_local: String,
    error: Option<String>,
}

fn local_of(ctx: &PageCtx, t: jiff::Timestamp) -> String {
    t.to_zoned_datetime(ctx.zone.clone())
        .strftime("%Y-%m-%dT%H:%M")
        .to_string()
}

async fn outage_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    Id(id): Id,
    Query(f): Query<Flash>,
) -> Response {
    let mut ctx = PageCtx::new(&headers, &session, uri.path());
    if f.ok.is_some() {
        ctx.flash = Some(ctx.t("flash.saved").to_owned());
    }
    let a = &session.actor;
    let o = match outages::get(&s.store, a, id).await {
        Ok(o) => o,
        Err(e) => return page_error(ctx, e.into()),
    };
    let mut orders = Vec::new();
    for oid in &o.order_ids {
        if let Ok(order) = weihu_store::orders::get(&s.store, a, *oid).await {
            orders.push((order.id, order.number, order.subject));
        }
    }
    let services = weihu_store::catalog::list(&s.store, a)
        .await
        .map(|items| {
            items
                .into_iter()
                .filter(|i| i.client_ids.contains(&o.client_org_id))
                .collect()
        })
        .unwrap_or_default();
    render(&OutagePage {
        can_record: a.role.can_record_outages(),
        started_local: local_of(&ctx, o.started_at),
        ended_local: o.ended_at.map(|t| local_of(&ctx, t)).unwrap_or_default(),
        ctx,
        o,
        orders,
        services,
        error: f.error,
    })
}

async fn correct(
    State(s): State<AppState>,
    headers: HeaderMap,
    session: WebSession,
    Id(id): Id,
    Form(f): Form<OutageForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let ctx = PageCtx::new(&headers, &session, "/outages");
    let patch = OutagePatch {
        version: f.version,
        reason: f.reason,
        catalog_item_id: f.catalog_item_id.parse().ok(),
        started_at: instant_of(&ctx, &f.started_at),
        // An emptied end reopens the outage.
        ended_at: Some(instant_of(&ctx, &f.ended_at).unwrap_or_default()),
        cause: Some(f.cause),
        force_majeure: Some(f.force_majeure.is_some()),
        third_party: Some(f.third_party.is_some()),
        vendor: Some(f.vendor),
        underpinning_contract: Some(f.underpinning_contract),
        order_ids: None,
    };
    let r = outages::update(&s.store, &session.actor, id, &patch)
        .await
        .map(|_| ());
    back(&format!("/outages/{id}"), r)
}

#[derive(Deserialize)]
struct FromOrderForm {
    csrf: String,
    #[serde(default)]
    cause: String,
}

/// "The service is down": an outage from the order, in one action.
async fn from_order(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Form(f): Form<FromOrderForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    match outages::open_from_order(&s.store, &session.actor, id, None, f.cause).await {
        Ok(o) => Redirect::to(&format!("/outages/{}?ok=1", o.id)).into_response(),
        Err(e) => back(&format!("/orders/{id}"), Err::<(), ApiError>(e.into())),
    }
}
