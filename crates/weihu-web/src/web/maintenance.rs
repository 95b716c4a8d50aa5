//! Preventive maintenance pages (issue #15): the week's inspections and the plans (the desk), a
//! plan with its upcoming inspections, and the checklist walk on the engineer's phone: jump to
//! an asset by its tag (or from its QR label), answer each item with a note and a photo, raise an
//! issue as a follow-up order, download the report.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{OriginalUri, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use weihu_domain::maintenance::checklist::{Item, Per};
use weihu_domain::maintenance::walk::VISIT;
use weihu_store::StoreError;
use weihu_store::maintenance::inspections::{
    self, AnswerView, Inspection, InspectionFilter, InspectionRow, NewAnswer, NewFollowUp,
};
use weihu_store::maintenance::plans::{self, AssetSelector, NewPlan, Plan, PlanFilter, PlanPatch};
use weihu_store::maintenance::templates::{self, Checklist};

use super::{PageCtx, back, page_error, render};
use crate::AppState;
use crate::auth::WebSession;
use crate::extract::Id;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/maintenance", get(week_page))
        .route("/maintenance/plans", post(create_plan))
        .route("/maintenance/plans/{id}", get(plan_page).post(update_plan))
        .route("/maintenance/plans/{id}/generate", post(generate))
        .route(
            "/maintenance/checklists/{id}",
            get(checklist_page).post(revise_checklist),
        )
        .route("/inspections/{id}", get(walk_page))
        .route("/inspections/{id}/jump", get(jump))
        .route("/inspections/{id}/answer", post(answer))
        .route("/inspections/{id}/follow-up", post(follow_up))
        .route("/inspections/{id}/report.pdf", get(report_pdf))
        // A phone's photo rides on the answer form: the attachment limit, not axum's 2 MB.
        .layer(axum::extract::DefaultBodyLimit::max(
            weihu_store::orders::attachments::MAX_ATTACHMENT_BYTES + 64 * 1024,
        ))
}

use crate::web::all;

#[derive(Deserialize, Default)]
struct WeekQuery {
    from: Option<String>,
    state: Option<String>,
    ok: Option<String>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "maintenance.html")]
struct WeekPage {
    ctx: PageCtx,
    from: String,
    prev: String,
    next: String,
    state: String,
    rows: Vec<InspectionRow>,
    plans: Vec<Plan>,
    can_plan: bool,
    contracts: Vec<weihu_store::contracts::Contract>,
    templates: Vec<Checklist>,
    /// Every checklist template (staff), linked to its page.
    checklists: Vec<Checklist>,
    engineers: Vec<weihu_store::users::User>,
    error: Option<String>,
}

fn shift_days(d: &str, days: i64) -> String {
    d.parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| d.checked_add(jiff::Span::new().days(days)).ok())
        .map(|d| d.to_string())
        .unwrap_or_default()
}

async fn engineers(s: &AppState, a: &weihu_store::Actor) -> Vec<weihu_store::users::User> {
    weihu_store::users::list(
        &s.store,
        a,
        &weihu_store::users::UserFilter {
            role: Some(weihu_domain::role::Role::Engineer),
            active: Some(true),
            ..Default::default()
        },
        &all(),
    )
    .await
    .map(|p| p.items)
    .unwrap_or_default()
}

async fn week_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    Query(q): Query<WeekQuery>,
) -> Response {
    let mut ctx = PageCtx::new(&headers, &session, uri.path());
    if q.ok.is_some() {
        ctx.flash = Some(ctx.t("flash.saved").to_owned());
    }
    let a = &session.actor;
    let from = q.from.clone().filter(|f| !f.is_empty()).unwrap_or_else(|| {
        jiff::Timestamp::now()
            .to_zoned_datetime(s.store.time_zone().clone())
            .date()
            .to_string()
    });
    let filter = InspectionFilter {
        from: Some(from.clone()),
        to: Some(shift_days(&from, 6)),
        state: q.state.clone().filter(|x| !x.is_empty()),
        ..Default::default()
    };
    let rows = match inspections::list(&s.store, a, &filter).await {
        Ok(r) => r,
        Err(e) => return page_error(ctx, e.into()),
    };
    let plans = plans::list(&s.store, a, &PlanFilter::default(), &all())
        .await
        .map(|p| p.items)
        .unwrap_or_default();
    let can_plan = a.role.can_plan_maintenance();
    let checklists = if a.is_client() {
        Vec::new()
    } else {
        templates::list(&s.store, a).await.unwrap_or_default()
    };
    let (contracts, templates, engineers) = if can_plan {
        (
            weihu_store::contracts::list(&s.store, a, &Default::default(), &all())
                .await
                .map(|p| {
                    p.items
                        .into_iter()
                        .filter(|c| matches!(c.status.as_str(), "active" | "terminating" | "draft"))
                        .collect()
                })
                .unwrap_or_default(),
            templates::list(&s.store, a)
                .await
                .unwrap_or_default()
                .into_iter()
                .filter(|t| t.active)
                .collect(),
            engineers(&s, a).await,
        )
    } else {
        (Vec::new(), Vec::new(), Vec::new())
    };
    render(&WeekPage {
        prev: shift_days(&from, -7),
        next: shift_days(&from, 7),
        from,
        state: q.state.unwrap_or_default(),
        ctx,
        rows,
        plans,
        can_plan,
        contracts,
        templates,
        checklists,
        engineers,
        error: q.error,
    })
}

#[derive(Deserialize)]
struct PlanForm {
    csrf: String,
    #[serde(default)]
    version: Option<i64>,
    #[serde(default)]
    contract_id: Option<String>,
    name: String,
    template_id: String,
    rule: String,
    #[serde(default)]
    shift: String,
    #[serde(default)]
    engineer_id: String,
    #[serde(default)]
    window_start: String,
    #[serde(default)]
    window_minutes: String,
    #[serde(default)]
    ahead_days: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
    #[serde(default)]
    types: String,
    #[serde(default)]
    site: String,
    /// Asset tags, separated by commas, spaces or lines.
    #[serde(default)]
    tags: String,
    #[serde(default)]
    active: Option<String>,
}

fn opt_num(field: &str, s: &str) -> Result<Option<i64>, StoreError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    s.parse()
        .map(Some)
        .map_err(|_| StoreError::invalid(field, "must be a number"))
}

fn opt_text(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// The selector a form describes: asset tags (resolved to the client's ids) win over types and
/// site.
async fn selector(
    s: &AppState,
    a: &weihu_store::Actor,
    client: i64,
    f: &PlanForm,
) -> Result<AssetSelector, StoreError> {
    let tags: Vec<&str> = f
        .tags
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .collect();
    if tags.len() > weihu_domain::maintenance::walk::MAX_ASSETS {
        return Err(StoreError::invalid(
            "assets.asset_ids",
            format!(
                "at most {} assets",
                weihu_domain::maintenance::walk::MAX_ASSETS
            ),
        ));
    }
    let mut asset_ids = Vec::new();
    for t in tags {
        let found = weihu_store::assets::by_tag(&s.store, a, t)
            .await
            .ok()
            .filter(|x| x.client_org_id == client)
            .ok_or_else(|| {
                StoreError::invalid("assets.asset_ids", format!("no asset {t} of this client"))
            })?;
        asset_ids.push(found.id);
    }
    Ok(AssetSelector {
        types: f
            .types
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
        site: f.site.trim().to_owned(),
        asset_ids,
    })
}

async fn create_plan(
    State(s): State<AppState>,
    session: WebSession,
    Form(f): Form<PlanForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let a = &session.actor;
    let r = async {
        let contract_id = opt_num("contract_id", f.contract_id.as_deref().unwrap_or(""))?
            .ok_or_else(|| StoreError::invalid("contract_id", "is required"))?;
        let contract = weihu_store::contracts::get(&s.store, a, contract_id).await?;
        let new = NewPlan {
            contract_id,
            name: f.name.clone(),
            template_id: opt_num("template_id", &f.template_id)?
                .ok_or_else(|| StoreError::invalid("template_id", "is required"))?,
            assets: selector(&s, a, contract.client_org_id, &f).await?,
            rule: f.rule.clone(),
            shift: opt_text(&f.shift),
            engineer_id: opt_num("engineer_id", &f.engineer_id)?,
            team_id: None,
            window_start: opt_text(&f.window_start),
            window_minutes: opt_num("window_minutes", &f.window_minutes)?,
            ahead_days: opt_num("ahead_days", &f.ahead_days)?,
            starts_on: opt_text(&f.starts_on),
            ends_on: opt_text(&f.ends_on),
        };
        let p = plans::create(&s.store, a, &new).await?;
        inspections::generate_now(&s.store, a, p.id).await?;
        Ok::<_, StoreError>(p.id)
    }
    .await;
    match r {
        Ok(id) => Redirect::to(&format!("/maintenance/plans/{id}?ok=1")).into_response(),
        Err(e) => back("/maintenance#new-plan", Err(e)),
    }
}

#[derive(Deserialize, Default)]
struct Flash {
    ok: Option<String>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "maintenance_plan.html")]
struct PlanPage {
    ctx: PageCtx,
    plan: Plan,
    upcoming: Vec<InspectionRow>,
    can_plan: bool,
    templates: Vec<Checklist>,
    engineers: Vec<weihu_store::users::User>,
    tags: String,
    error: Option<String>,
}

impl PlanPage {
    fn shift_label(&self) -> String {
        self.ctx
            .tk("maintenance", &format!("shift_{}", self.plan.shift))
    }
}

async fn plan_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    Id(id): Id,
    Query(q): Query<Flash>,
) -> Response {
    let mut ctx = PageCtx::new(&headers, &session, uri.path());
    if q.ok.is_some() {
        ctx.flash = Some(ctx.t("flash.saved").to_owned());
    }
    let a = &session.actor;
    let plan = match plans::get(&s.store, a, id).await {
        Ok(p) => p,
        Err(e) => return page_error(ctx, e.into()),
    };
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(s.store.time_zone().clone())
        .date()
        .to_string();
    let upcoming = inspections::list(
        &s.store,
        a,
        &InspectionFilter {
            from: Some(today.clone()),
            to: Some(shift_days(&today, 90)),
            plan_id: Some(id),
            ..Default::default()
        },
    )
    .await
    .unwrap_or_default();
    // The page offers changes exactly when the store takes them (not on an ended contract).
    let can_plan = a.role.can_plan_maintenance() && plans::changeable(&plan.contract_status);
    let mut tags = Vec::new();
    for aid in &plan.assets.asset_ids {
        if let Ok(x) = weihu_store::assets::get(&s.store, a, *aid).await {
            tags.push(x.tag);
        }
    }
    let (templates, engineers) = if can_plan {
        (
            templates::list(&s.store, a)
                .await
                .unwrap_or_default()
                .into_iter()
                .filter(|t| {
                    t.active
                        && (t.client_org_id.is_none()
                            || t.client_org_id == Some(plan.client_org_id))
                })
                .collect(),
            engineers(&s, a).await,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    render(&PlanPage {
        ctx,
        plan,
        upcoming,
        can_plan,
        templates,
        engineers,
        tags: tags.join(" "),
        error: q.error,
    })
}

async fn update_plan(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Form(f): Form<PlanForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let a = &session.actor;
    let r = async {
        let current = plans::get(&s.store, a, id).await?;
        let patch = PlanPatch {
            version: f.version.unwrap_or(current.version),
            name: Some(f.name.clone()),
            template_id: opt_num("template_id", &f.template_id)?,
            assets: Some(selector(&s, a, current.client_org_id, &f).await?),
            rule: Some(f.rule.clone()),
            shift: opt_text(&f.shift),
            engineer_id: Some(opt_num("engineer_id", &f.engineer_id)?.unwrap_or(0)),
            team_id: None,
            window_start: opt_text(&f.window_start),
            window_minutes: opt_num("window_minutes", &f.window_minutes)?,
            ahead_days: opt_num("ahead_days", &f.ahead_days)?,
            starts_on: opt_text(&f.starts_on),
            ends_on: opt_text(&f.ends_on),
            active: Some(f.active.is_some()),
        };
        plans::update(&s.store, a, id, &patch).await?;
        // The untouched future inspections follow the change at once.
        inspections::generate_now(&s.store, a, id).await?;
        Ok::<_, StoreError>(())
    }
    .await;
    back(&format!("/maintenance/plans/{id}"), r)
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn generate(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let r = inspections::generate_now(&s.store, &session.actor, id)
        .await
        .map(|_| ());
    back(&format!("/maintenance/plans/{id}"), r)
}

// ---- checklist templates --------------------------------------------------------------------

#[derive(Template)]
#[template(path = "checklist.html")]
struct ChecklistPage {
    ctx: PageCtx,
    c: Checklist,
    template: Option<weihu_domain::maintenance::checklist::Template>,
    versions: Vec<templates::ChecklistVersion>,
    /// The definition, pretty-printed for the editor.
    definition: String,
    can_edit: bool,
    error: Option<String>,
}

impl ChecklistPage {
    fn text<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        if self.ctx.lang == "en" && !en.is_empty() {
            en
        } else {
            zh
        }
    }
    fn per_label(&self, it: &Item) -> &str {
        self.ctx.t(match it.per {
            Per::Asset => "maintenance.per_asset",
            Per::Visit => "maintenance.per_visit",
        })
    }
}

async fn checklist_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    Id(id): Id,
    Query(q): Query<Flash>,
) -> Response {
    let mut ctx = PageCtx::new(&headers, &session, uri.path());
    if q.ok.is_some() {
        ctx.flash = Some(ctx.t("flash.saved").to_owned());
    }
    let a = &session.actor;
    let c = match templates::get(&s.store, a, id).await {
        Ok(c) => c,
        Err(e) => return page_error(ctx, e.into()),
    };
    render(&ChecklistPage {
        template: templates::parse(&c.definition).ok(),
        versions: templates::versions(&s.store, a, id)
            .await
            .unwrap_or_default(),
        definition: serde_json::to_string_pretty(&c.definition).unwrap_or_default(),
        can_edit: a.role.can_plan_maintenance(),
        ctx,
        c,
        error: q.error,
    })
}

#[derive(Deserialize)]
struct RevisionForm {
    csrf: String,
    version: i64,
    definition: String,
    #[serde(default)]
    note: String,
}

async fn revise_checklist(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Form(f): Form<RevisionForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let r = async {
        if f.definition.len() > 200_000 {
            return Err(StoreError::invalid("definition", "is too long"));
        }
        let definition: serde_json::Value = serde_json::from_str(&f.definition)
            .map_err(|e| StoreError::invalid("definition", format!("is not JSON: {e}")))?;
        templates::revise(
            &s.store,
            &session.actor,
            id,
            &templates::ChecklistRevision {
                version: f.version,
                definition,
                note: f.note.clone(),
            },
        )
        .await
        .map(|_| ())
    }
    .await;
    back(&format!("/maintenance/checklists/{id}"), r)
}

// ---- the walk -------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "inspection.html")]
struct WalkPage {
    ctx: PageCtx,
    i: Inspection,
    /// Visit items, then one section per asset: (asset id or 0, title, anchor, items).
    sections: Vec<(i64, String, String, Vec<Item>)>,
    checked_in: bool,
    signed: bool,
    error: Option<String>,
}

impl WalkPage {
    fn can(&self, action: &str) -> bool {
        self.i.actions.iter().any(|a| a.as_str() == action)
    }
    fn answer(&self, asset: &i64, item: &str) -> Option<&AnswerView> {
        self.i
            .answers
            .iter()
            .find(|a| a.asset_id.unwrap_or(VISIT) == *asset && a.item == item)
    }
    fn answer_is(&self, asset: &i64, item: &str, value: &str) -> bool {
        self.answer(asset, item).is_some_and(|a| a.answer == value)
    }
    /// The answers the store accepts for an item: an issue raised as a follow-up stays an issue.
    fn choices(&self, asset: &i64, item: &str) -> Vec<&'static str> {
        if self
            .answer(asset, item)
            .is_some_and(|a| a.follow_up_order_id.is_some())
        {
            vec!["issue"]
        } else {
            vec!["ok", "issue", "not_applicable"]
        }
    }
    /// An issue not yet raised as a follow-up order.
    fn needs_follow_up(&self, asset: &i64, item: &str) -> bool {
        self.answer(asset, item)
            .is_some_and(|a| a.answer == "issue" && a.follow_up_order_id.is_none())
    }
    fn note(&self, asset: &i64, item: &str) -> String {
        self.answer(asset, item)
            .map(|a| a.note.clone())
            .unwrap_or_default()
    }
    fn item_text<'a>(&self, it: &'a Item) -> &'a str {
        if self.ctx.lang == "en" && !it.text_en.is_empty() {
            &it.text_en
        } else {
            &it.text
        }
    }
    fn item_hint<'a>(&self, it: &'a Item) -> &'a str {
        if self.ctx.lang == "en" && !it.hint_en.is_empty() {
            &it.hint_en
        } else {
            &it.hint
        }
    }
    fn done_count(&self) -> usize {
        self.i.answers.len()
    }
    fn total(&self) -> usize {
        self.i.answers.len() + self.i.unanswered as usize
    }
}

async fn walk_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    Id(id): Id,
    Query(q): Query<Flash>,
) -> Response {
    let mut ctx = PageCtx::new(&headers, &session, uri.path());
    if q.ok.is_some() {
        ctx.flash = Some(ctx.t("flash.saved").to_owned());
    }
    let a = &session.actor;
    let i = match inspections::get(&s.store, a, id).await {
        Ok(i) => i,
        Err(e) => return page_error(ctx, e.into()),
    };
    let visits = weihu_store::orders::work::visits(&s.store, a, id)
        .await
        .unwrap_or_default();
    let signed = weihu_store::orders::work::signature(&s.store, a, id)
        .await
        .ok()
        .flatten()
        .is_some();
    let visit_items: Vec<Item> = i
        .checklist
        .items()
        .filter(|x| x.per == Per::Visit)
        .cloned()
        .collect();
    let asset_items: Vec<Item> = i
        .checklist
        .items()
        .filter(|x| x.per == Per::Asset)
        .cloned()
        .collect();
    let mut sections = Vec::new();
    if !visit_items.is_empty() {
        sections.push((
            VISIT,
            ctx.t("maintenance.visit_items").to_owned(),
            "visit".to_owned(),
            visit_items,
        ));
    }
    for asset in &i.assets {
        let title = [
            asset.tag.as_str(),
            asset.model.as_str(),
            asset.location.as_str(),
        ]
        .iter()
        .filter(|x| !x.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" · ");
        sections.push((
            asset.id,
            title,
            format!("asset-{}", asset.id),
            asset_items.clone(),
        ));
    }
    render(&WalkPage {
        checked_in: visits.iter().any(|v| v.check_in_at.is_some()),
        signed,
        ctx,
        i,
        sections,
        error: q.error,
    })
}

#[derive(Deserialize)]
struct JumpQuery {
    tag: String,
}

/// The asset field of the walk (a typed tag or a scanner's input): straight to its section.
async fn jump(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Query(q): Query<JumpQuery>,
) -> Response {
    let r = inspections::get(&s.store, &session.actor, id).await;
    let tag = q.tag.trim().trim_end_matches('/');
    // A QR label holds the asset's URL: its last segment is the id.
    let by_url = tag.rsplit('/').next().and_then(|x| x.parse::<i64>().ok());
    match r {
        Ok(i) => match i
            .assets
            .iter()
            .find(|a| a.tag.eq_ignore_ascii_case(tag) || Some(a.id) == by_url)
        {
            Some(a) => Redirect::to(&format!("/inspections/{id}#asset-{}", a.id)).into_response(),
            None => back(
                &format!("/inspections/{id}"),
                Err(StoreError::invalid(
                    "tag",
                    "is not an asset of this inspection",
                )),
            ),
        },
        Err(e) => back(&format!("/inspections/{id}"), Err(e)),
    }
}

/// One answer from the walk: a multipart form (a photo may come with it).
async fn answer(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    m: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let here = format!("/inspections/{id}");
    let Ok(mut m) = m else {
        return back(
            &here,
            Err(StoreError::invalid("photo", "the form could not be read")),
        );
    };
    let limit = weihu_store::orders::attachments::MAX_ATTACHMENT_BYTES;
    let (mut csrf, mut asset, mut item, mut value, mut note) = (
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
    );
    let mut photo: Option<(String, String, Vec<u8>)> = None;
    loop {
        let field = match m.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                return back(
                    &here,
                    Err(StoreError::invalid("photo", "the form could not be read")),
                );
            }
        };
        let name = field.name().unwrap_or("").to_owned();
        if name == "photo" {
            let file = field.file_name().unwrap_or("photo").to_owned();
            let declared = field.content_type().unwrap_or("").to_owned();
            match field.bytes().await {
                Ok(b) if b.len() <= limit => {
                    if !b.is_empty() {
                        photo = Some((file, declared, b.to_vec()));
                    }
                }
                _ => {
                    return back(
                        &here,
                        Err(StoreError::invalid("photo", "must be at most 10 MB")),
                    );
                }
            }
            continue;
        }
        // Text fields are short; anything longer is cut by the store's checks.
        let text = field.text().await.unwrap_or_default();
        match name.as_str() {
            "csrf" => csrf = text,
            "asset_id" => asset = text,
            "item" => item = text,
            "answer" => value = text,
            "note" => note = text,
            _ => {}
        }
    }
    if let Err(e) = session.check_csrf(&csrf) {
        return e.into_response();
    }
    let a = &session.actor;
    let asset_id = asset.trim().parse::<i64>().ok().filter(|x| *x != VISIT);
    let anchor = format!("{here}#i-{}-{}", asset_id.unwrap_or(VISIT), item.trim());
    let r = async {
        // What the store would refuse in any case is refused before the photo is stored.
        let kind =
            weihu_domain::maintenance::checklist::Answer::parse(&value).ok_or_else(|| {
                StoreError::invalid("answer", "must be one of: ok, issue, not_applicable")
            })?;
        if kind == weihu_domain::maintenance::checklist::Answer::Issue && note.trim().is_empty() {
            return Err(StoreError::invalid("note", "say what the issue is"));
        }
        let current = inspections::get(&s.store, a, id).await?;
        if !current.actions.iter().any(|x| x.as_str() == "inspect") {
            return Err(StoreError::Forbidden(
                "only the engineers of this order record work on it",
            ));
        }
        let mut photos = current
            .answers
            .iter()
            .find(|x| x.asset_id == asset_id && x.item == item.trim())
            .map(|x| x.photos.clone())
            .unwrap_or_default();
        if let Some((file, declared, bytes)) = &photo {
            let att =
                weihu_store::orders::attachments::add(&s.store, a, id, file, declared, bytes, true)
                    .await?;
            photos.push(att.id);
        }
        inspections::answer(
            &s.store,
            a,
            id,
            &NewAnswer {
                asset_id,
                item: item.clone(),
                answer: value.clone(),
                note: note.clone(),
                photos,
            },
        )
        .await
        .map(|_| ())
    }
    .await;
    back(&anchor, r)
}

#[derive(Deserialize)]
struct FollowUpForm {
    csrf: String,
    #[serde(default)]
    asset_id: String,
    item: String,
    #[serde(default)]
    urgency: String,
}

async fn follow_up(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Form(f): Form<FollowUpForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let asset_id = f
        .asset_id
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|x| *x != VISIT);
    let new = NewFollowUp {
        asset_id,
        item: f.item.clone(),
        subject: None,
        urgency: weihu_domain::priority::Level::parse(&f.urgency),
        impact: None,
    };
    let anchor = format!(
        "/inspections/{id}#i-{}-{}",
        asset_id.unwrap_or(VISIT),
        f.item.trim()
    );
    back(
        &anchor,
        inspections::follow_up(&s.store, &session.actor, id, &new)
            .await
            .map(|_| ()),
    )
}

async fn report_pdf(
    State(s): State<AppState>,
    headers: HeaderMap,
    session: WebSession,
    Id(id): Id,
) -> Response {
    match crate::documents::inspection_pdf(&s.store, &session.actor, id).await {
        Ok((bytes, name)) => crate::documents::pdf_response(bytes, &name, false),
        Err(e) => page_error(PageCtx::new(&headers, &session, "/"), e),
    }
}
