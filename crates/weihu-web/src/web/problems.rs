//! Problems pages: the list with the repeat-fault candidates (open a problem from one in a
//! click), one problem (root cause, workaround, fix, state, linked orders), and linking an order
//! from its page.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{OriginalUri, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use weihu_store::Page;
use weihu_store::problems::{self, Candidate, NewProblem, Problem, ProblemFilter, ProblemPatch};

use super::{PageCtx, back, page_error, render};
use crate::AppState;
use crate::auth::WebSession;
use crate::extract::{Id, Ids};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/problems", get(list).post(create))
        .route("/problems/{id}", get(detail).post(update))
        .route("/problems/{id}/orders", post(link))
        .route("/problems/{id}/orders/{order_id}/delete", post(unlink))
        .route("/problems/{id}/resolve-orders", post(resolve_orders))
        .route("/problems/{id}/article-draft", post(article_draft))
        .route("/problems/{id}/change-request", post(raise_change))
        .route("/orders/{id}/problems", post(link_from_order))
}

#[derive(Template)]
#[template(path = "problems.html")]
struct ListPage {
    ctx: PageCtx,
    error: Option<String>,
    page: Page<Problem>,
    candidates: Vec<Candidate>,
    can_manage: bool,
    state: String,
}

#[derive(Deserialize, Default)]
struct ListQuery {
    state: Option<String>,
    offset: Option<i64>,
    error: Option<String>,
    ok: Option<String>,
}

async fn list(
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
    let state = q.state.clone().unwrap_or_default();
    let f = ProblemFilter {
        state: Some(state.clone()),
        ..Default::default()
    };
    let can_manage = !a.is_client() && a.role.can_manage_problems();
    let r = async {
        let page = problems::list(&s.store, a, &f, 50, q.offset.unwrap_or(0)).await?;
        let candidates = if can_manage {
            problems::candidates(&s.store, a).await?
        } else {
            Vec::new()
        };
        Ok::<_, weihu_store::StoreError>((page, candidates))
    }
    .await;
    match r {
        Ok((page, candidates)) => render(&ListPage {
            ctx,
            error: q.error,
            page,
            candidates,
            can_manage,
            state,
        }),
        Err(e) => page_error(ctx, e.into()),
    }
}

#[derive(Deserialize)]
struct NewForm {
    csrf: String,
    title: String,
    #[serde(default)]
    description: String,
    /// The candidate's orders, comma-separated ids.
    #[serde(default)]
    order_ids: String,
}

async fn create(
    State(s): State<AppState>,
    session: WebSession,
    Form(f): Form<NewForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let order_ids: Vec<i64> = f
        .order_ids
        .split(',')
        .filter_map(|v| v.trim().parse().ok())
        .take(201)
        .collect();
    let new = NewProblem {
        title: f.title,
        description: f.description,
        owner_id: Some(session.actor.user_id),
        order_ids,
    };
    match problems::create(&s.store, &session.actor, &new).await {
        Ok(p) => Redirect::to(&format!("/problems/{}", p.id)).into_response(),
        Err(e) => back("/problems", Err::<(), _>(e)),
    }
}

#[derive(Template)]
#[template(path = "problem.html")]
struct DetailPage {
    ctx: PageCtx,
    error: Option<String>,
    p: Problem,
    can_manage: bool,
}

impl DetailPage {
    fn is_open(&self) -> bool {
        self.p.is_open()
    }

    /// The states this problem may be set to from its current one (the domain's moves).
    fn next_states(&self) -> Vec<&'static str> {
        use weihu_domain::problem::{ProblemState, Written, may_move};
        let Some(from) = ProblemState::parse(&self.p.state) else {
            return Vec::new();
        };
        let all = Written {
            root_cause: true,
            workaround: true,
            fix: true,
            change_pending: self.p.change_pending(),
        };
        ProblemState::ALL
            .into_iter()
            .filter(|to| *to == from || may_move(from, *to, all).is_ok())
            .map(ProblemState::as_str)
            .collect()
    }

    /// The clients of the linked orders, once each: the raise-a-change form asks which one's
    /// systems change when there are several.
    fn clients(&self) -> Vec<(i64, &str)> {
        let mut out: Vec<(i64, &str)> = Vec::new();
        for o in &self.p.orders {
            if !out.iter().any(|(id, _)| *id == o.client_org_id) {
                out.push((o.client_org_id, o.client_name.as_str()));
            }
        }
        out
    }

    /// A change for the fix may be raised: the problem is open, has linked orders, and no live
    /// change is linked (the store's rules).
    fn may_raise_change(&self) -> bool {
        self.can_manage
            && self.is_open()
            && !self.p.orders.is_empty()
            && self
                .p
                .change_request
                .as_ref()
                .is_none_or(weihu_store::problems::FixChange::dropped)
    }
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
    let a = &session.actor;
    match problems::get(&s.store, a, id).await {
        Ok(p) => render(&DetailPage {
            ctx,
            error: q.error,
            can_manage: !a.is_client() && a.role.can_manage_problems() && p.state != "closed",
            p,
        }),
        Err(e) => page_error(ctx, e.into()),
    }
}

#[derive(Deserialize)]
struct EditForm {
    csrf: String,
    version: i64,
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    root_cause: String,
    #[serde(default)]
    workaround: String,
    #[serde(default)]
    fix: String,
    #[serde(default)]
    state: String,
    /// The change request's number; empty unlinks it; absent leaves it.
    #[serde(default)]
    change_request_id: Option<String>,
}

async fn update(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Form(f): Form<EditForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let change_request_id = match f.change_request_id.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(v) => match v.trim_start_matches('#').parse::<i64>() {
            Ok(n) => Some(Some(n)),
            Err(_) => {
                return back(
                    &format!("/problems/{id}"),
                    Err::<(), _>(weihu_store::StoreError::invalid(
                        "change_request_id",
                        "a change request's number",
                    )),
                );
            }
        },
    };
    let patch = ProblemPatch {
        version: f.version,
        title: Some(f.title),
        description: Some(f.description),
        root_cause: Some(f.root_cause),
        workaround: Some(f.workaround),
        fix: Some(f.fix),
        owner_id: None,
        state: Some(f.state).filter(|s| !s.is_empty()),
        change_request_id,
    };
    back(
        &format!("/problems/{id}"),
        problems::update(&s.store, &session.actor, id, &patch)
            .await
            .map(|_| ()),
    )
}

#[derive(Deserialize)]
struct LinkForm {
    csrf: String,
    /// The order's number (`SO-2026-000123`).
    #[serde(default)]
    number: String,
    /// Or several orders at once (a similar-text candidate's), comma-separated ids.
    #[serde(default)]
    order_ids: String,
}

async fn link(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Form(f): Form<LinkForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let r = async {
        if !f.order_ids.trim().is_empty() {
            for o in f
                .order_ids
                .split(',')
                .filter_map(|x| x.trim().parse::<i64>().ok())
                .take(200)
            {
                problems::link(&s.store, &session.actor, id, o).await?;
            }
            return Ok(());
        }
        let target = weihu_store::mail::inbox::target_by_number(&s.store, f.number.trim())
            .await?
            .ok_or_else(|| weihu_store::StoreError::invalid("number", "no such order"))?;
        problems::link(&s.store, &session.actor, id, target.id)
            .await
            .map(|_| ())
    }
    .await;
    back(&format!("/problems/{id}#orders"), r)
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn unlink(
    State(s): State<AppState>,
    session: WebSession,
    Ids(id, order_id): Ids,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    back(
        &format!("/problems/{id}#orders"),
        problems::unlink(&s.store, &session.actor, id, order_id)
            .await
            .map(|_| ()),
    )
}

async fn resolve_orders(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    back(
        &format!("/problems/{id}#orders"),
        problems::resolve_orders(&s.store, &session.actor, id)
            .await
            .and_then(|r| {
                // Orders the fix could not resolve (not yet in progress, say) are named, with why.
                if r.skipped.is_empty() {
                    Ok(())
                } else {
                    let why: Vec<String> =
                        r.skipped.iter().map(|(n, e)| format!("{n}: {e}")).collect();
                    Err(weihu_store::StoreError::invalid(
                        "orders",
                        format!(
                            "resolved {}; left open: {}",
                            r.resolved.len(),
                            why.join("; ")
                        ),
                    ))
                }
            }),
    )
}

/// An article drafted from the problem's root cause, workaround and fix.
async fn article_draft(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    match weihu_store::articles::draft_from_problem(&s.store, &session.actor, id).await {
        Ok(a) => Redirect::to(&format!("/kb/{}?ok=1#edit", a.id)).into_response(),
        Err(e) => back(&format!("/problems/{id}"), Err::<(), _>(e)),
    }
}

#[derive(Deserialize)]
struct RaiseForm {
    csrf: String,
    #[serde(default)]
    client_org_id: Option<i64>,
}

/// A change request raised for the fix and linked to the problem; the change's page is next.
async fn raise_change(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Form(f): Form<RaiseForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    match problems::raise_change(&s.store, &session.actor, id, f.client_org_id).await {
        Ok(p) => match p.change_request {
            Some(c) => Redirect::to(&format!("/changes/{}?ok=1", c.id)).into_response(),
            None => Redirect::to(&format!("/problems/{id}?ok=1")).into_response(),
        },
        Err(e) => back(&format!("/problems/{id}#change"), Err::<(), _>(e)),
    }
}

#[derive(Deserialize)]
struct FromOrderForm {
    csrf: String,
    problem_id: i64,
}

/// Linking from the order page: one action.
async fn link_from_order(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Form(f): Form<FromOrderForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    back(
        &format!("/orders/{id}#problems"),
        problems::link(&s.store, &session.actor, f.problem_id, id)
            .await
            .map(|_| ()),
    )
}
