//! Pages for organisations, users, teams, API tokens and the audit log.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{OriginalUri, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use weihu_domain::role::Role;
use weihu_store::audit::{self, AuditEntry};
use weihu_store::organizations::{
    self, NewOrganization, OrgFilter, Organization, OrganizationPatch,
};
use weihu_store::teams::{self, NewTeam, Team};
use weihu_store::tokens::{self, ApiToken};
use weihu_store::users::{self, NewUser, User, UserFilter, UserPatch};
use weihu_store::{ListParams, Page, StoreError};

use super::{PageCtx, back, page_error, render, role_key};
use crate::AppState;
use crate::auth::WebSession;
use crate::extract::Id;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/organizations", get(org_list).post(org_create))
        .route("/organizations/{id}", get(org_detail).post(org_update))
        .route("/users", get(user_list).post(user_create))
        .route("/users/{id}", get(user_detail).post(user_update))
        .route("/users/{id}/password", post(user_reset))
        .route("/teams", get(team_list).post(team_create))
        .route("/tokens", get(token_list).post(token_create))
        .route("/tokens/{id}/revoke", post(token_revoke))
        .route("/audit", get(audit_list))
}

#[derive(Deserialize, Default)]
struct ListForm {
    q: Option<String>,
    offset: Option<i64>,
    error: Option<String>,
    ok: Option<String>,
}

impl ListForm {
    fn params(&self) -> ListParams {
        ListParams {
            q: self.q.clone(),
            offset: self.offset,
            limit: Some(50),
            sort: None,
        }
    }
    fn flash(&self, ctx: &mut PageCtx) -> Option<String> {
        if self.ok.is_some() {
            ctx.flash = Some(ctx.t("flash.saved").to_owned());
        }
        self.error.clone()
    }
}

/// Numbers for a pager: (previous offset, next offset).
fn pager<T>(page: &Page<T>, offset: Option<i64>) -> (Option<i64>, Option<i64>) {
    let o = offset.unwrap_or(0);
    ((o > 0).then(|| (o - 50).max(0)), page.next)
}

#[derive(Deserialize)]
struct CsrfOnly {
    csrf: String,
}

// ---- organisations ----------------------------------------------------------------------

#[derive(Template)]
#[template(path = "organizations.html")]
struct OrgList {
    ctx: PageCtx,
    page: Page<Organization>,
    q: String,
    prev: Option<i64>,
    next: Option<i64>,
    error: Option<String>,
    can_create: bool,
}

async fn org_list(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    Query(f): Query<ListForm>,
) -> Response {
    let mut ctx = PageCtx::new(&headers, &session, uri.path());
    let error = f.flash(&mut ctx);
    match organizations::list(&s.store, &session.actor, &OrgFilter::default(), &f.params()).await {
        Ok(page) => {
            let (prev, next) = pager(&page, f.offset);
            render(&OrgList {
                can_create: session.actor.role.can_administer(),
                ctx,
                page,
                q: f.q.unwrap_or_default(),
                prev,
                next,
                error,
            })
        }
        Err(e) => page_error(ctx, e.into()),
    }
}

#[derive(Deserialize)]
struct OrgForm {
    csrf: String,
    #[serde(default)]
    code: String,
    name: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    contact_phone: String,
    #[serde(default)]
    contact_email: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    internal_note: String,
    #[serde(default)]
    version: i64,
    #[serde(default)]
    active: Option<String>,
}

async fn org_create(
    State(s): State<AppState>,
    session: WebSession,
    Form(f): Form<OrgForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let new = NewOrganization {
        code: f.code,
        name: f.name,
        name_en: f.name_en,
        contact_name: f.contact_name,
        contact_phone: f.contact_phone,
        contact_email: f.contact_email,
        address: f.address,
        internal_note: f.internal_note,
    };
    match organizations::create(&s.store, &session.actor, &new).await {
        Ok(o) => Redirect::to(&format!("/organizations/{}?ok=1", o.id)).into_response(),
        Err(e) => back("/organizations", Err(e)),
    }
}

#[derive(Template)]
#[template(path = "organization.html")]
struct OrgDetail {
    ctx: PageCtx,
    org: Organization,
    people: Vec<User>,
    scale: Option<weihu_store::assets::ClientScale>,
    last_month: String,
    can_edit: bool,
    error: Option<String>,
}

async fn org_detail(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    Id(id): Id,
    Query(f): Query<ListForm>,
) -> Response {
    let mut ctx = PageCtx::new(&headers, &session, uri.path());
    let error = f.flash(&mut ctx);
    let a = &session.actor;
    let org = match organizations::get(&s.store, a, id).await {
        Ok(o) => o,
        Err(e) => return page_error(ctx, e.into()),
    };
    let people = users::list(
        &s.store,
        a,
        &UserFilter {
            org_id: Some(id),
            ..Default::default()
        },
        &ListParams {
            limit: Some(200),
            ..Default::default()
        },
    )
    .await
    .map(|p| p.items)
    .unwrap_or_default();
    let scale = if org.kind == organizations::OrgKind::Client {
        weihu_store::assets::client_scale(&s.store, a, id)
            .await
            .ok()
    } else {
        None
    };
    render(&OrgDetail {
        can_edit: a.role.can_administer(),
        ctx,
        org,
        people,
        scale,
        last_month: weihu_store::statements::previous_month(),
        error,
    })
}

async fn org_update(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Form(f): Form<OrgForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let patch = OrganizationPatch {
        name: Some(f.name),
        name_en: Some(f.name_en),
        contact_name: Some(f.contact_name),
        contact_phone: Some(f.contact_phone),
        contact_email: Some(f.contact_email),
        address: Some(f.address),
        internal_note: Some(f.internal_note),
        active: Some(f.active.is_some()),
    };
    let r = organizations::update(&s.store, &session.actor, id, f.version, &patch)
        .await
        .map(|_| ());
    back(&format!("/organizations/{id}"), r)
}

// ---- users ------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "users.html")]
struct UserList {
    ctx: PageCtx,
    page: Page<User>,
    orgs: Vec<Organization>,
    q: String,
    prev: Option<i64>,
    next: Option<i64>,
    error: Option<String>,
    can_create: bool,
    roles: Vec<(&'static str, &'static str)>,
}

impl UserList {
    fn org_name(&self, id: &i64) -> &str {
        self.orgs
            .iter()
            .find(|o| o.id == *id)
            .map(|o| o.name.as_str())
            .unwrap_or("")
    }
}

fn roles_for(ctx: &PageCtx, actor_role: Role) -> Vec<(&'static str, &'static str)> {
    Role::ALL
        .into_iter()
        .filter(|r| actor_role.can_administer() || r.is_client_side())
        .map(|r| (r.as_str(), ctx.tr.t(role_key(r))))
        .collect()
}

async fn user_list(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    Query(f): Query<ListForm>,
) -> Response {
    let mut ctx = PageCtx::new(&headers, &session, uri.path());
    let error = f.flash(&mut ctx);
    let a = &session.actor;
    let page = match users::list(&s.store, a, &UserFilter::default(), &f.params()).await {
        Ok(p) => p,
        Err(e) => return page_error(ctx, e.into()),
    };
    let orgs = organizations::list(
        &s.store,
        a,
        &OrgFilter::default(),
        &ListParams {
            limit: Some(500),
            ..Default::default()
        },
    )
    .await
    .map(|p| p.items)
    .unwrap_or_default();
    let (prev, next) = pager(&page, f.offset);
    let roles = roles_for(&ctx, a.role);
    render(&UserList {
        can_create: a.role.can_manage_users(),
        ctx,
        page,
        orgs,
        q: f.q.unwrap_or_default(),
        prev,
        next,
        error,
        roles,
    })
}

#[derive(Deserialize)]
struct UserForm {
    csrf: String,
    #[serde(default)]
    org_id: Option<i64>,
    #[serde(default)]
    username: String,
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    version: i64,
    #[serde(default)]
    active: Option<String>,
    #[serde(default)]
    team_id: Option<String>,
}

fn parse_role(r: &str) -> Result<Role, StoreError> {
    Role::parse(r).ok_or_else(|| StoreError::invalid("role", "choose a role"))
}

async fn user_create(
    State(s): State<AppState>,
    session: WebSession,
    Form(f): Form<UserForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let a = &session.actor;
    let role = match parse_role(&f.role) {
        Ok(r) => r,
        Err(e) => return back("/users", Err(e)),
    };
    let new = NewUser {
        org_id: if a.is_client() {
            a.org_id
        } else {
            f.org_id.unwrap_or(a.org_id)
        },
        username: f.username,
        display_name: f.display_name,
        email: f.email,
        phone: f.phone,
        role,
        team_id: None,
        locale: None,
        password: f.password,
    };
    match users::create(&s.store, a, &new).await {
        Ok(u) => Redirect::to(&format!("/users/{}?ok=1", u.id)).into_response(),
        Err(e) => back("/users", Err(e)),
    }
}

#[derive(Template)]
#[template(path = "user.html")]
struct UserDetail {
    ctx: PageCtx,
    user: User,
    org: Option<Organization>,
    teams: Vec<Team>,
    can_manage: bool,
    error: Option<String>,
    roles: Vec<(&'static str, &'static str)>,
}

impl UserDetail {
    fn in_team(&self, id: &i64) -> bool {
        self.user.team_id == Some(*id)
    }
}

async fn user_detail(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    Id(id): Id,
    Query(f): Query<ListForm>,
) -> Response {
    let mut ctx = PageCtx::new(&headers, &session, uri.path());
    let error = f.flash(&mut ctx);
    let a = &session.actor;
    let user = match users::get(&s.store, a, id).await {
        Ok(u) => u,
        Err(e) => return page_error(ctx, e.into()),
    };
    let org = organizations::get(&s.store, a, user.org_id).await.ok();
    let teams = teams::list(
        &s.store,
        a,
        &ListParams {
            limit: Some(500),
            ..Default::default()
        },
    )
    .await
    .map(|p| p.items)
    .unwrap_or_default();
    let can_manage = a.role.may_manage_user(user.org_id == a.org_id, user.role);
    let roles = roles_for(&ctx, a.role);
    render(&UserDetail {
        ctx,
        user,
        org,
        teams,
        can_manage,
        error,
        roles,
    })
}

async fn user_update(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Form(f): Form<UserForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let a = &session.actor;
    let role = if f.role.is_empty() {
        None
    } else {
        match parse_role(&f.role) {
            Ok(r) => Some(r),
            Err(e) => return back(&format!("/users/{id}"), Err(e)),
        }
    };
    let team_id = if a.role.can_administer() {
        Some(f.team_id.as_deref().and_then(|t| t.parse::<i64>().ok()))
    } else {
        None
    };
    let patch = UserPatch {
        display_name: Some(f.display_name),
        email: Some(f.email),
        phone: Some(f.phone),
        role,
        team_id,
        locale: None,
        time_zone: None,
        active: Some(f.active.is_some()),
    };
    let r = users::update(&s.store, a, id, f.version, &patch)
        .await
        .map(|_| ());
    back(&format!("/users/{id}"), r)
}

#[derive(Deserialize)]
struct ResetForm {
    csrf: String,
    password: String,
}

async fn user_reset(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Form(f): Form<ResetForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let r = users::reset_password(&s.store, &session.actor, id, &f.password).await;
    back(&format!("/users/{id}"), r)
}

// ---- teams ------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "teams.html")]
struct TeamList {
    ctx: PageCtx,
    teams: Vec<Team>,
    error: Option<String>,
    can_create: bool,
}

async fn team_list(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    Query(f): Query<ListForm>,
) -> Response {
    let mut ctx = PageCtx::new(&headers, &session, uri.path());
    let error = f.flash(&mut ctx);
    match teams::list(
        &s.store,
        &session.actor,
        &ListParams {
            limit: Some(500),
            ..Default::default()
        },
    )
    .await
    {
        Ok(p) => render(&TeamList {
            can_create: session.actor.role.can_manage_teams(),
            ctx,
            teams: p.items,
            error,
        }),
        Err(e) => page_error(ctx, e.into()),
    }
}

#[derive(Deserialize)]
struct TeamForm {
    csrf: String,
    name: String,
    #[serde(default)]
    description: String,
}

async fn team_create(
    State(s): State<AppState>,
    session: WebSession,
    Form(f): Form<TeamForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let r = teams::create(
        &s.store,
        &session.actor,
        &NewTeam {
            name: f.name,
            description: f.description,
        },
    )
    .await
    .map(|_| ());
    back("/teams", r)
}

// ---- tokens -----------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokenList {
    ctx: PageCtx,
    tokens: Vec<ApiToken>,
    secret: Option<String>,
    error: Option<String>,
}

async fn token_list(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    Query(f): Query<ListForm>,
) -> Response {
    let mut ctx = PageCtx::new(&headers, &session, uri.path());
    let error = f.flash(&mut ctx);
    match tokens::list(
        &s.store,
        &session.actor,
        &ListParams {
            limit: Some(500),
            ..Default::default()
        },
    )
    .await
    {
        Ok(p) => render(&TokenList {
            ctx,
            tokens: p.items,
            secret: None,
            error,
        }),
        Err(e) => page_error(ctx, e.into()),
    }
}

#[derive(Deserialize)]
struct TokenForm {
    csrf: String,
    name: String,
}

/// Creates a token and shows its secret on this one response (never in a URL or a redirect).
async fn token_create(
    State(s): State<AppState>,
    headers: HeaderMap,
    session: WebSession,
    Form(f): Form<TokenForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let a = &session.actor;
    match tokens::create(&s.store, a, a.user_id, &f.name, None).await {
        Ok((_, secret)) => {
            let ctx = PageCtx::new(&headers, &session, "/tokens");
            let list = tokens::list(
                &s.store,
                a,
                &ListParams {
                    limit: Some(500),
                    ..Default::default()
                },
            )
            .await
            .map(|p| p.items)
            .unwrap_or_default();
            render(&TokenList {
                ctx,
                tokens: list,
                secret: Some(secret),
                error: None,
            })
        }
        Err(e) => back("/tokens", Err(e)),
    }
}

async fn token_revoke(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Form(f): Form<CsrfOnly>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    back(
        "/tokens",
        tokens::revoke(&s.store, &session.actor, id)
            .await
            .map(|_| ()),
    )
}

// ---- audit ------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditList {
    ctx: PageCtx,
    page: Page<AuditEntry>,
    q: String,
    prev: Option<i64>,
    next: Option<i64>,
}

async fn audit_list(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    Query(f): Query<ListForm>,
) -> Response {
    let ctx = PageCtx::new(&headers, &session, uri.path());
    match audit::list(&s.store, &session.actor, &Default::default(), &f.params()).await {
        Ok(page) => {
            let (prev, next) = pager(&page, f.offset);
            render(&AuditList {
                ctx,
                page,
                q: f.q.unwrap_or_default(),
                prev,
                next,
            })
        }
        Err(e) => page_error(ctx, e.into()),
    }
}
