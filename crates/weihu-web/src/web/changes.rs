//! Change-request pages (issue #14): the list by state, one request with the steps the reader may
//! take (exactly those the store would accept), and proposing a technical or contract change.
//! SLA changes carry a policy definition and are proposed through the API or the policy's page.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{OriginalUri, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use weihu_store::ListParams;
use weihu_store::change_requests::{
    self, ChangeFilter, ChangeRequest, ChangeStepRequest, NewChange,
};

use super::{PageCtx, back, page_error, render};
use crate::AppState;
use crate::auth::WebSession;
use crate::extract::Id;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/changes", get(list_page).post(propose))
        .route("/changes/{id}", get(detail))
        .route("/changes/{id}/steps", post(take_step))
}

#[derive(Deserialize, Default)]
struct ListQuery {
    state: Option<String>,
    ok: Option<String>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "changes.html")]
struct ListPage {
    ctx: PageCtx,
    items: Vec<ChangeRequest>,
    state: String,
    clients: Vec<weihu_store::organizations::Organization>,
    contracts: Vec<weihu_store::contracts::Contract>,
    policies: Vec<weihu_store::calendars::StoredPolicy>,
    can_propose: bool,
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
    let f = ChangeFilter {
        state: q.state.clone().filter(|s| !s.is_empty()),
        ..Default::default()
    };
    let page = match change_requests::list(
        &s.store,
        a,
        &f,
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
    use weihu_domain::change::{ChangeKind, may_propose};
    let can_propose = may_propose(a.role, ChangeKind::Technical);
    let (clients, contracts) = if can_propose {
        let clients = super::active_clients(&s, a).await;
        let contracts = if may_propose(a.role, ChangeKind::Contract) {
            weihu_store::contracts::list(
                &s.store,
                a,
                &Default::default(),
                &ListParams {
                    limit: Some(500),
                    ..Default::default()
                },
            )
            .await
            .map(|p| p.items)
            .unwrap_or_default()
        } else {
            Vec::new()
        };
        (clients, contracts)
    } else {
        (Vec::new(), Vec::new())
    };
    let policies = if contracts.is_empty() {
        Vec::new()
    } else {
        weihu_store::calendars::list_policies(&s.store, a, &ListParams::default())
            .await
            .map(|p| p.items)
            .unwrap_or_default()
    };
    render(&ListPage {
        items: page.items,
        state: q.state.unwrap_or_default(),
        clients,
        contracts,
        policies,
        can_propose,
        ctx,
        error: q.error,
    })
}

#[derive(Deserialize)]
struct ProposeForm {
    csrf: String,
    kind: String,
    #[serde(default)]
    client_org_id: String,
    #[serde(default)]
    contract_id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    effective_from: String,
    /// A contract change: the SLA policy it moves the contract to.
    #[serde(default)]
    new_policy_id: String,
    /// A contract change: the scope of service it agrees.
    #[serde(default)]
    new_scope: String,
}

async fn propose(
    State(s): State<AppState>,
    session: WebSession,
    Form(f): Form<ProposeForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let mut proposal = serde_json::Map::new();
    if f.kind == "contract" {
        if let Ok(p) = f.new_policy_id.trim().parse::<i64>() {
            proposal.insert("policy_id".into(), p.into());
        }
        if !f.new_scope.trim().is_empty() {
            proposal.insert("scope".into(), f.new_scope.trim().into());
        }
    }
    let new = NewChange {
        kind: f.kind,
        client_org_id: f.client_org_id.parse().ok(),
        policy_id: None,
        contract_id: f.contract_id.parse().ok(),
        title: f.title,
        description: f.description,
        proposal: (!proposal.is_empty()).then(|| proposal.into()),
        effective_from: Some(f.effective_from).filter(|d| !d.trim().is_empty()),
    };
    match change_requests::create(&s.store, &session.actor, &new).await {
        Ok(c) => Redirect::to(&format!("/changes/{}?ok=1", c.id)).into_response(),
        Err(e) => back("/changes", Err(e)),
    }
}

#[derive(Template)]
#[template(path = "change.html")]
struct DetailPage {
    ctx: PageCtx,
    c: ChangeRequest,
    error: Option<String>,
    /// The problems whose permanent fix this change is.
    fixes: Vec<(i64, String)>,
}

impl DetailPage {
    fn can(&self, step: &str) -> bool {
        self.c.steps.iter().any(|s| s == step)
    }

    /// What the change would write, as the API takes it.
    fn proposal(&self) -> Option<String> {
        self.c
            .proposal
            .as_ref()
            .and_then(|p| serde_json::to_string_pretty(p).ok())
    }
}

#[derive(Deserialize, Default)]
struct DetailQuery {
    ok: Option<String>,
    error: Option<String>,
}

async fn detail(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    Id(id): Id,
    Query(q): Query<DetailQuery>,
) -> Response {
    let mut ctx = PageCtx::new(&headers, &session, uri.path());
    if q.ok.is_some() {
        ctx.flash = Some(ctx.t("flash.saved").to_owned());
    }
    let r = async {
        let c = change_requests::get(&s.store, &session.actor, id).await?;
        let fixes = weihu_store::problems::fixed_by_change(&s.store, &session.actor, id).await?;
        Ok::<_, weihu_store::StoreError>((c, fixes))
    }
    .await;
    match r {
        Ok((c, fixes)) => render(&DetailPage {
            ctx,
            c,
            error: q.error,
            fixes,
        }),
        Err(e) => page_error(ctx, e.into()),
    }
}

#[derive(Deserialize)]
struct StepForm {
    csrf: String,
    version: i64,
    action: String,
    #[serde(default)]
    risk: Option<String>,
    #[serde(default)]
    impact: String,
    #[serde(default)]
    rollback: String,
    #[serde(default)]
    note: String,
}

async fn take_step(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Form(f): Form<StepForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let step = ChangeStepRequest {
        version: f.version,
        action: f.action,
        risk: f.risk,
        impact: f.impact,
        rollback: f.rollback,
        note: f.note,
    };
    back(
        &format!("/changes/{id}"),
        change_requests::step(&s.store, &session.actor, id, &step)
            .await
            .map(|_| ()),
    )
}
