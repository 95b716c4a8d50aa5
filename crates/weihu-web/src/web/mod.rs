//! The server-rendered web UI: askama templates (escaped by default), one module per area.
//! Provider staff get the desk; client users get the portal.

mod account;
mod admin;
mod apidocs;
mod assets;
mod billing;
mod changes;
pub use billing::statement_file_name;
mod home;
mod kb;
mod login;
mod mail;
mod maintenance;
mod orders;
mod outages;
mod problems;
mod reports;
mod role_home;
mod service_levels;

use axum::Router;
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use weihu_domain::role::Role;
use weihu_store::Actor;

use crate::AppState;
use crate::auth::WebSession;
use crate::error::ApiError;
use crate::i18n::{Lang, Tr};

/// A pick list's rows (clients, engineers, plans…): the most a list answers at once.
pub(crate) fn all() -> weihu_store::ListParams {
    weihu_store::ListParams {
        limit: Some(500),
        ..Default::default()
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(login::router())
        .merge(home::router())
        .merge(admin::router())
        .merge(account::router())
        .merge(apidocs::router())
        .merge(service_levels::router())
        .merge(orders::router())
        .merge(billing::router())
        .merge(assets::router())
        .merge(outages::router())
        .merge(reports::router())
        .merge(changes::router())
        .merge(maintenance::router())
        .merge(mail::router())
        .merge(problems::router())
        .merge(kb::router())
}

pub struct NavItem {
    pub href: String,
    pub label: &'static str,
    pub active: bool,
}

/// What every page's layout needs: language, the user, the CSRF token for its forms, the nav.
pub struct PageCtx {
    pub lang: &'static str,
    pub tr: Tr,
    pub user: Option<Actor>,
    pub csrf: String,
    pub path: String,
    pub nav: Vec<NavItem>,
    pub flash: Option<String>,
    /// The zone this user reads times in (their own, or the installation's).
    pub zone: jiff::tz::TimeZone,
}

impl PageCtx {
    /// The reader is a client user (the portal's pages).
    pub fn is_client(&self) -> bool {
        self.user.as_ref().is_some_and(Actor::is_client)
    }

    /// A stored instant as this user reads it (`2026-03-04 10:00`).
    pub fn time(&self, t: impl crate::format::Shown) -> String {
        crate::format::time_in(t, &self.zone)
    }

    /// An optional stored instant as this user reads it; empty when there is none.
    pub fn short_time(&self, t: impl crate::format::Shown) -> String {
        self.time(t)
    }

    /// The name of the zone times are shown in.
    pub fn zone_name(&self) -> &str {
        self.zone.iana_name().unwrap_or("UTC")
    }

    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        self.tr.t(key)
    }

    /// A refusal (`field: message`, as forms carry it back) in this reader's language.
    pub fn refusal(&self, text: &str) -> String {
        self.tr.refusal(text)
    }

    pub fn anonymous(headers: &HeaderMap, path: &str) -> PageCtx {
        let lang = Lang::negotiate(headers, None);
        PageCtx {
            lang: lang.code(),
            tr: Tr(lang),
            user: None,
            csrf: String::new(),
            path: path.to_owned(),
            nav: Vec::new(),
            flash: None,
            zone: crate::format::display_zone(),
        }
    }

    pub fn new(headers: &HeaderMap, session: &WebSession, path: &str) -> PageCtx {
        let lang = Lang::negotiate(headers, session.actor.locale.as_deref());
        let tr = Tr(lang);
        let nav = nav_for(&session.actor, tr, path);
        PageCtx {
            lang: lang.code(),
            tr,
            user: Some(session.actor.clone()),
            csrf: session.csrf.clone(),
            path: path.to_owned(),
            nav,
            flash: None,
            zone: crate::format::zone_for(session.actor.time_zone.as_deref()),
        }
    }

    /// The language switcher's target for `lang`, returning to this page.
    pub fn lang_href(&self, lang: &str) -> String {
        let next: String = form_urlencoded::byte_serialize(self.path.as_bytes()).collect();
        format!("/language?set={lang}&next={next}")
    }

    pub fn role_name(&self, role: &Role) -> &'static str {
        self.tr.t(role_key(*role))
    }

    /// May record and correct outages (the desk, engineers, service-level management).
    pub fn records_outages(&self) -> bool {
        self.user
            .as_ref()
            .is_some_and(|u| u.role.can_record_outages())
    }

    /// Provider staff (as opposed to the client portal).
    pub fn is_staff(&self) -> bool {
        self.user
            .as_ref()
            .is_some_and(|u| u.role.is_provider_side())
    }

    /// The text for `prefix.key`, e.g. `tk("state", "new")`.
    pub fn tk(&self, prefix: &str, key: &str) -> String {
        let full = format!("{prefix}.{key}");
        self.tr.t(&full).to_owned()
    }

    /// An urgency or impact level in the page's language.
    pub fn level(&self, l: &weihu_domain::priority::Level) -> String {
        self.tk("level", l.as_str())
    }

    pub fn user_name(&self) -> &str {
        self.user
            .as_ref()
            .map(|u| u.display_name.as_str())
            .unwrap_or("")
    }
}

/// The translation key of a role's name.
pub fn role_key(role: Role) -> &'static str {
    match role {
        Role::Admin => "role.admin",
        Role::Dispatcher => "role.dispatcher",
        Role::Engineer => "role.engineer",
        Role::ServiceLevelManager => "role.service_level_manager",
        Role::Finance => "role.finance",
        Role::ClientAdmin => "role.client_admin",
        Role::ClientUser => "role.client_user",
    }
}

fn nav_for(actor: &Actor, tr: Tr, path: &str) -> Vec<NavItem> {
    let mut items: Vec<(String, &'static str)> = Vec::new();
    if actor.is_client() {
        items.push(("/portal".into(), "nav.portal"));
        items.push(("/orders/new".into(), "nav.report"));
        items.push(("/orders".into(), "nav.orders"));
        items.push(("/kb".into(), "nav.kb"));
        items.push((
            format!("/organizations/{}", actor.org_id),
            "nav.my_organization",
        ));
        let r = actor.role;
        if r.can_manage_users() {
            items.push(("/users".into(), "nav.users"));
        }
        if r.can_read_registry() {
            items.push(("/assets".into(), "nav.assets"));
        }
        if r.can_read_contracts() {
            items.push(("/contracts".into(), "nav.contracts"));
        }
        if r.can_read_statements() {
            items.push(("/statements".into(), "nav.statements"));
        }
        if r.can_read_contracts() {
            items.push(("/service-levels".into(), "nav.service_levels"));
        }
        if r == weihu_domain::role::Role::ClientAdmin {
            items.push(("/maintenance".into(), "nav.maintenance"));
            items.push(("/reports".into(), "nav.reports"));
            items.push(("/changes".into(), "nav.changes"));
        }
        items.push(("/catalog".into(), "nav.catalog"));
    } else {
        items.push(("/dashboard".into(), "nav.dashboard"));
        items.push(("/orders".into(), "nav.orders"));
        items.push(("/organizations".into(), "nav.organizations"));
        items.push(("/users".into(), "nav.users"));
        items.push(("/teams".into(), "nav.teams"));
        items.push(("/assets".into(), "nav.assets"));
        items.push(("/catalog".into(), "nav.catalog"));
        items.push(("/quotes".into(), "nav.quotes"));
        items.push(("/contracts".into(), "nav.contracts"));
        items.push(("/maintenance".into(), "nav.maintenance"));
        if actor.role.can_read_statements() {
            items.push(("/statements".into(), "nav.statements"));
        }
        items.push(("/calendars".into(), "nav.calendars"));
        items.push(("/sla-policies".into(), "nav.sla"));
        // The calculator is one click from every SLA policy; the month's figures are not.
        items.push(("/service-levels".into(), "nav.service_levels"));
        if actor.role.can_manage_problems() {
            items.push(("/problems".into(), "nav.problems"));
        }
        if actor.role.can_write_articles() {
            items.push(("/kb".into(), "nav.kb"));
        }
        if actor.role.can_review_mail() {
            items.push(("/mail".into(), "nav.mail"));
        }
        if actor.role.can_read_audit() {
            items.push(("/audit".into(), "nav.audit"));
        }
    }
    // API tokens, the API's documentation and the account live in the user menu, so the main
    // menu fits one line on a laptop.
    items
        .into_iter()
        .map(|(href, key)| NavItem {
            active: path == href
                || (href.len() > 1
                    && path.starts_with(&format!("{href}/"))
                    && path != "/orders/new")
                // Staff reach the reports from the service-level page's tabs.
                || (href == "/service-levels"
                    && !actor.is_client()
                    && ["/reports", "/changes"]
                        .iter()
                        .any(|p| path == *p || path.starts_with(&format!("{p}/")))),
            label: tr.t(key),
            href,
        })
        .collect()
}

#[derive(askama::Template)]
#[template(path = "error.html")]
struct ErrorPage {
    ctx: PageCtx,
    status: u16,
    title: &'static str,
    message: String,
}

/// An error as an HTML page with the right status (404 for what the user may not see).
pub fn page_error(ctx: PageCtx, e: ApiError) -> Response {
    let (status, code, message, field) = e.parts();
    let title = ctx.tr.t(match code {
        "not_found" => "error.not_found",
        "forbidden" | "csrf" => "error.forbidden",
        "conflict" => "error.conflict",
        "invalid" | "duplicate" | "bad_request" | "too_large" => "error.invalid",
        "busy" => "error.busy",
        _ => "error.internal",
    });
    let message = ctx.tr.refusal(&match field {
        Some(f) => format!("{f}: {message}"),
        None => message,
    });
    let mut resp = render(&ErrorPage {
        ctx,
        status: status.as_u16(),
        title,
        message,
    });
    *resp.status_mut() = status;
    resp
}

/// After a form: back to `to`, with "saved" or the error (naming its field) shown at the top of
/// the page (post/redirect/get, so a reload never posts twice).
///
/// `to` may end in `#section`: after a success the page opens at the part that was acted on (on
/// a phone the order page is several screens long).
pub fn back<E: Into<ApiError>>(to: &str, result: Result<(), E>) -> Response {
    let (to, section) = match to.split_once('#') {
        Some((path, frag)) => (path, format!("#{frag}")),
        None => (to, String::new()),
    };
    // A page with its own query (a report's client and month) keeps it.
    let sep = if to.contains('?') { '&' } else { '?' };
    match result {
        Ok(()) => axum::response::Redirect::to(&format!("{to}{sep}ok=1{section}")).into_response(),
        Err(e) => {
            let (_, _, message, field) = e.into().parts();
            let text = match field {
                Some(f) => format!("{f}: {message}"),
                None => message,
            };
            let enc: String = form_urlencoded::byte_serialize(text.as_bytes()).collect();
            // The error shows at the top of the page, so the page opens there.
            axum::response::Redirect::to(&format!("{to}{sep}error={enc}")).into_response()
        }
    }
}

/// The active client organisations a staff page offers in its pickers (none for clients, who
/// only ever see their own).
pub(crate) async fn active_clients(
    s: &AppState,
    a: &Actor,
) -> Vec<weihu_store::organizations::Organization> {
    use weihu_store::organizations::{self, OrgFilter, OrgKind};
    if a.is_client() {
        return Vec::new();
    }
    organizations::list(
        &s.store,
        a,
        &OrgFilter {
            kind: Some(OrgKind::Client),
            active: Some(true),
        },
        &weihu_store::ListParams {
            limit: Some(500),
            ..Default::default()
        },
    )
    .await
    .map(|p| p.items)
    .unwrap_or_default()
}

/// Renders a template, or a plain error page if rendering fails.
pub fn render<T: askama::Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            ApiError::internal("template", e).into_response()
        }
    }
}
