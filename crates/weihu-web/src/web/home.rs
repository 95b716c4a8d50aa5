//! The provider's dashboard and the client portal's home.

use askama::Template;
use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use weihu_store::organizations::{self, OrgFilter, OrgKind, Organization};
use weihu_store::users::{self, User, UserFilter};
use weihu_store::{ListParams, audit, teams};

use super::{PageCtx, page_error, render};
use crate::AppState;
use crate::auth::WebSession;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/dashboard", get(dashboard))
        .route("/portal", get(portal))
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    ctx: PageCtx,
    clients: i64,
    users: i64,
    teams: i64,
    recent_clients: Vec<Organization>,
    recent_audit: Vec<(String, String, String, String)>,
    open_total: i64,
    open_orders: Vec<weihu_store::orders::Order>,
    at_risk: i64,
    mine: i64,
    escalated_total: i64,
    /// What this role's home puts first.
    home: super::role_home::RoleHome,
    /// Open orders raised to management, most urgent first.
    escalated: Vec<weihu_store::orders::Order>,
    notes: Vec<weihu_store::notifications::Notification>,
    /// Calendars used soon beyond the years their holiday data covers.
    holiday_warnings: Vec<crate::app::calculator::HolidayWarning>,
}

async fn dashboard(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
) -> Response {
    if session.actor.is_client() {
        return Redirect::to("/portal").into_response();
    }
    let ctx = PageCtx::new(&headers, &session, uri.path());
    let a = &session.actor;
    let result = async {
        let clients = organizations::list(
            &s.store,
            a,
            &OrgFilter {
                kind: Some(OrgKind::Client),
                active: None,
            },
            &ListParams {
                limit: Some(8),
                sort: Some("-created_at".into()),
                ..Default::default()
            },
        )
        .await?;
        let users = users::list(
            &s.store,
            a,
            &UserFilter::default(),
            &ListParams {
                limit: Some(1),
                ..Default::default()
            },
        )
        .await?;
        let teams = teams::list(
            &s.store,
            a,
            &ListParams {
                limit: Some(1),
                ..Default::default()
            },
        )
        .await?;
        let recent_audit = if a.role.can_read_audit() {
            audit::list(
                &s.store,
                a,
                &Default::default(),
                &ListParams {
                    limit: Some(8),
                    ..Default::default()
                },
            )
            .await?
            .items
            .into_iter()
            .map(|e| {
                (
                    ctx.time(e.at),
                    e.actor_name,
                    format!("{} #{}", e.entity, e.entity_id),
                    e.action,
                )
            })
            .collect()
        } else {
            Vec::new()
        };
        let open = weihu_store::orders::list(
            &s.store,
            a,
            &weihu_store::orders::OrderFilter {
                open: Some(true),
                ..Default::default()
            },
            &ListParams {
                limit: Some(8),
                sort: Some("priority".into()),
                ..Default::default()
            },
        )
        .await?;
        let open_filter = |f: weihu_store::orders::OrderFilter| weihu_store::orders::OrderFilter {
            open: Some(true),
            ..f
        };
        let at_risk = weihu_store::orders::count(
            &s.store,
            a,
            &open_filter(weihu_store::orders::OrderFilter {
                at_risk: Some(true),
                ..Default::default()
            }),
        )
        .await?;
        let mine = weihu_store::orders::count(
            &s.store,
            a,
            &open_filter(weihu_store::orders::OrderFilter {
                assignee_id: Some(a.user_id),
                ..Default::default()
            }),
        )
        .await?;
        // Raised to management: flagged here until the order is done.
        let escalated = weihu_store::orders::list(
            &s.store,
            a,
            &open_filter(weihu_store::orders::OrderFilter {
                escalated: Some(true),
                ..Default::default()
            }),
            &ListParams {
                limit: Some(8),
                sort: Some("priority".into()),
                ..Default::default()
            },
        )
        .await?;
        let notes = weihu_store::notifications::list(&s.store, a, 8).await?;
        let home = super::role_home::load(&s.store, a).await?;
        // Only for those who can import the holidays; an engineer cannot act on it.
        let holiday_warnings = if a.role.can_manage_service_levels() {
            crate::app::calculator::upcoming_holiday_warnings(&s.store, a).await?
        } else {
            Vec::new()
        };
        Ok::<_, weihu_store::StoreError>((
            holiday_warnings,
            clients,
            users.total,
            teams.total,
            recent_audit,
            open,
            (at_risk, mine, escalated),
            (notes, home),
        ))
    }
    .await;
    match result {
        Ok((
            holiday_warnings,
            clients,
            users,
            teams,
            recent_audit,
            open,
            (at_risk, mine, escalated),
            (notes, home),
        )) => render(&Dashboard {
            ctx,
            holiday_warnings,
            clients: clients.total,
            users,
            teams,
            recent_clients: clients.items,
            recent_audit,
            open_total: open.total,
            open_orders: open.items,
            at_risk,
            mine,
            escalated_total: escalated.total,
            escalated: escalated.items,
            home,
            notes,
        }),
        Err(e) => page_error(ctx, e.into()),
    }
}

#[derive(Template)]
#[template(path = "portal.html")]
struct Portal {
    ctx: PageCtx,
    org: Organization,
    people: Vec<User>,
    orders: Vec<weihu_store::orders::Order>,
    /// Waiting for the client: orders, confirmations, parts, statements.
    home: super::role_home::RoleHome,
    /// The latest published service-level reports (the client's administrator).
    reports: Vec<weihu_store::reports::ReportItem>,
}

#[derive(serde::Deserialize, Default)]
struct PortalQuery {
    /// Back from an article that answered the fault (nothing was reported).
    solved: Option<String>,
}

async fn portal(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    axum::extract::Query(q): axum::extract::Query<PortalQuery>,
) -> Response {
    if !session.actor.is_client() {
        return Redirect::to("/dashboard").into_response();
    }
    let mut ctx = PageCtx::new(&headers, &session, uri.path());
    if q.solved.is_some() {
        ctx.flash = Some(ctx.t("kb.glad").to_owned());
    }
    let a = &session.actor;
    let org = match organizations::get(&s.store, a, a.org_id).await {
        Ok(o) => o,
        Err(e) => return page_error(ctx, e.into()),
    };
    let people = match users::list(
        &s.store,
        a,
        &UserFilter::default(),
        &ListParams {
            limit: Some(100),
            ..Default::default()
        },
    )
    .await
    {
        Ok(p) => p.items,
        Err(e) => return page_error(ctx, e.into()),
    };
    let orders = weihu_store::orders::list(
        &s.store,
        a,
        &Default::default(),
        &ListParams {
            limit: Some(10),
            ..Default::default()
        },
    )
    .await
    .map(|p| p.items)
    .unwrap_or_default();
    let home = match super::role_home::load(&s.store, a).await {
        Ok(h) => h,
        Err(e) => return page_error(ctx, e.into()),
    };
    let reports = weihu_store::reports::list(
        &s.store,
        a,
        &Default::default(),
        &ListParams {
            limit: Some(3),
            ..Default::default()
        },
    )
    .await
    .map(|p| p.items)
    .unwrap_or_default();
    render(&Portal {
        ctx,
        org,
        people,
        orders,
        home,
        reports,
    })
}
