//! The JSON API under `/api/v1`: one module per resource, one function per endpoint, each
//! described for the OpenAPI document served at `/api/v1/openapi.json`.

pub mod assets;
mod audit;
mod change_requests;
pub mod contracts;
mod documents;
pub use documents::base_url as documents_base_url;
mod articles;
mod checklists;
mod mail;
mod maintenance;
mod me;
pub mod order_work;
mod orders;
mod organizations;
mod outages;
mod problems;
mod reports;
mod reviews;
pub mod service_levels;
mod statements;
mod teams;
mod tokens;
mod users;

use axum::Json;
use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;

use crate::AppState;
use crate::error::ErrorBody;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Weihu API",
        description = "Weihu (维护): service desk for IT maintenance providers and their clients. \
            Authenticate with `Authorization: Bearer wh_…` (create a token with `weihu admin token create --user NAME` \
            or on the Tokens page). Errors have the shape `{\"error\": {\"code\", \"message\", \"field\"?}}`. \
            Lists take `limit` (1–500), `offset`, `sort` (a field, `-` for descending) and `q`, and return \
            `{\"items\", \"total\", \"next\"}`. Updates carry the record's `version`; a stale one gets 409.",
        version = "1"
    ),
    paths(
        health,
        me::get_me, me::patch_me, me::change_password, me::list_views, me::create_view, me::delete_view,
        mail::my_mail, mail::put_my_mail, mail::outbox_list, mail::outbox_retry, mail::inbox_list, mail::inbox_get,
        mail::inbox_accept, mail::inbox_reject,
        problems::list, problems::create, problems::get_one, problems::update, problems::link, problems::unlink,
        problems::resolve_orders, problems::raise_change, problems::candidates, problems::of_order,
        articles::list, articles::create, articles::get_one, articles::update, articles::revisions,
        articles::suggestions, articles::deflection, articles::of_order, articles::attach, articles::draft, articles::draft_from_problem,
        articles::list_images, articles::add_image, articles::get_image,
        organizations::list, organizations::create, organizations::get_one, organizations::update,
        users::list, users::create, users::get_one, users::update, users::reset_password,
        teams::list, teams::create, teams::get_one,
        tokens::list, tokens::create, tokens::get_one, tokens::revoke,
        audit::list,
        service_levels::list_calendars, service_levels::create_calendar, service_levels::get_calendar,
        service_levels::update_calendar, service_levels::calendar_days, service_levels::import_holidays,
        service_levels::holiday_sets, service_levels::list_policies, service_levels::create_policy,
        service_levels::get_policy, service_levels::revise_policy, service_levels::policy_versions,
        service_levels::calculate,
        outages::list, outages::create, outages::get_one, outages::update, outages::open_from_order,
        outages::availability,
        reports::service_level, reports::service_level_pdf, reports::service_level_xlsx, reports::list,
        reports::draft, reports::draft_all, reports::get_one, reports::publish, reports::reissue, reports::list_causes,
        reports::put_cause, reports::explain_breach, reports::warnings,
        reviews::list, reviews::create, reviews::get_one, reviews::update_item,
        checklists::list, checklists::create, checklists::get_one, checklists::revise, checklists::versions,
        maintenance::list_plans, maintenance::create_plan, maintenance::get_plan, maintenance::update_plan,
        maintenance::generate, maintenance::list_inspections, maintenance::get_inspection, maintenance::answer,
        maintenance::follow_up, maintenance::report_pdf, maintenance::month,
        change_requests::list, change_requests::create, change_requests::get_one, change_requests::step,
        orders::list, orders::create, orders::get_one, orders::update, orders::events, orders::comment, orders::transition, orders::rate,
        orders::export, orders::bulk, orders::escalate, orders::link, orders::unlink, orders::merge,
        orders::list_notifications, orders::read_notification,
        order_work::list_visits, order_work::decide_visit, order_work::check_in, order_work::check_out,
        order_work::list_parts, order_work::propose_part, order_work::decide_part, order_work::install_part,
        order_work::list_remote, order_work::add_remote, order_work::backup_check, order_work::list_time, order_work::log_time,
        order_work::sign, order_work::get_signature, order_work::signature_image,
        order_work::list_attachments, order_work::add_attachment, order_work::get_attachment,
        order_work::list_take_away, order_work::take_away, order_work::return_take_away,
        contracts::list, contracts::create, contracts::get_one, contracts::update, contracts::activate,
        contracts::termination_quote, contracts::terminate, contracts::renew, contracts::list_engineers,
        contracts::add_engineer, contracts::list_devices, contracts::put_device, contracts::add_resident_day,
        contracts::add_item, contracts::invoices,
        statements::list, statements::generate, statements::get_one, statements::review, statements::issue,
        statements::pay, statements::adjust, statements::preview,
        assets::list, assets::create, assets::get_one, assets::update, assets::history, assets::import,
        assets::export, assets::list_types, assets::put_type, assets::scale, assets::registry, assets::confirm,
        assets::list_catalog, assets::create_catalog, assets::get_catalog, assets::update_catalog,
        assets::quote, assets::get_price_list, assets::put_price_list,
        documents::order_pdf, documents::month_bundle, documents::statement_pdf, documents::labels, documents::quote_pdf,
    ),
    components(schemas(ErrorBody)),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "me", description = "The signed-in user"),
        (name = "orders", description = "Service orders (维护服务单): board, portal, moves, comments, timeline, notifications"),
        (name = "organizations", description = "The provider and its client companies"),
        (name = "users", description = "People of every role"),
        (name = "teams", description = "Engineer teams"),
        (name = "tokens", description = "API tokens"),
        (name = "articles", description = "Knowledge base: articles, revisions, search with highlights, suggestions, self-service outcomes"),
        (name = "problems", description = "Problems: the cause shared by repeated incidents, linked orders, repeat-fault candidates"),
        (name = "mail", description = "Mail: the outbox and its failures, received mail and the review queue"),
        (name = "audit", description = "Who changed what"),
        (name = "assets", description = "Client device registries: assets, types and scale coefficients, import/export, confirmation"),
        (name = "catalog", description = "The service catalog, quotes and the price list"),
        (name = "contracts", description = "Contracts: pricing models, fees, fixed engineers, devices, termination, invoicing schedule"),
        (name = "statements", description = "Monthly statements: preview, generate, review, issue, pay, adjust"),
        (name = "maintenance", description = "Preventive maintenance: checklist templates, maintenance plans, generated inspections, the checklist walk, follow-up orders, inspection reports, a client's month"),
        (name = "service-levels", description = "Business calendars, holiday sets, SLA policies, the SLA calculator, outages, availability, monthly service-level reports, failure causes"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The OpenAPI document as JSON.
pub fn openapi_json() -> serde_json::Value {
    serde_json::to_value(ApiDoc::openapi()).unwrap_or_default()
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(health))
        .route(
            "/api/v1/openapi.json",
            get(|| async { Json(openapi_json()) }),
        )
        .merge(me::router())
        .merge(mail::router())
        .merge(problems::router())
        .merge(articles::router())
        .merge(organizations::router())
        .merge(users::router())
        .merge(teams::router())
        .merge(tokens::router())
        .merge(audit::router())
        .merge(service_levels::router())
        .merge(outages::router())
        .merge(reports::router())
        .merge(reviews::router())
        .merge(checklists::router())
        .merge(maintenance::router())
        .merge(change_requests::router())
        .merge(orders::router())
        .merge(order_work::router())
        .merge(assets::router())
        .merge(documents::router())
        .merge(contracts::router())
        .merge(statements::router())
        .fallback(not_found)
}

async fn not_found() -> impl IntoResponse {
    crate::error::ApiError::Store(weihu_store::StoreError::NotFound)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    status: &'static str,
    database: &'static str,
    version: &'static str,
    /// The read replica (`serve --database-read-url`): null without one.
    read_replica: Option<weihu_store::replica::ReplicaHealth>,
}

/// Liveness and database reachability.
#[utoipa::path(get, path = "/healthz", tag = "me", security(()),
    responses((status = 200, body = Health), (status = 503, body = Health)))]
async fn health(axum::extract::State(state): axum::extract::State<AppState>) -> impl IntoResponse {
    let ok = state.store.ping().await.is_ok();
    let body = Health {
        status: if ok { "ok" } else { "unavailable" },
        database: state.store.backend().name(),
        version: env!("CARGO_PKG_VERSION"),
        read_replica: state.store.read_replica().map(|r| r.health()),
    };
    let code = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(body))
}

/// The list parameters every collection takes.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Page size, 1–500 (default 50).
    pub limit: Option<i64>,
    /// Rows to skip.
    pub offset: Option<i64>,
    /// A sortable field; prefix `-` for descending.
    pub sort: Option<String>,
    /// Free text.
    pub q: Option<String>,
}

impl ListQuery {
    pub fn params(&self) -> weihu_store::ListParams {
        weihu_store::ListParams {
            limit: self.limit,
            offset: self.offset,
            sort: self.sort.clone(),
            q: self.q.clone(),
        }
    }
}

/// List parameters from the common query fields of a resource-specific query.
pub fn list_params(
    limit: Option<i64>,
    offset: Option<i64>,
    sort: &Option<String>,
    q: &Option<String>,
) -> weihu_store::ListParams {
    weihu_store::ListParams {
        limit,
        offset,
        sort: sort.clone(),
        q: q.clone(),
    }
}
