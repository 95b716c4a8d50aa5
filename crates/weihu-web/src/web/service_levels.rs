//! Pages for calendars (with a month view), SLA policies and their versions, and the SLA
//! calculator.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{OriginalUri, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use jiff::civil::Date;
use serde::Deserialize;
use serde_json::Value;
use weihu_domain::calendar::DayKind;
use weihu_domain::priority::Level;
use weihu_store::StoreError;
use weihu_store::calendars::{self, NewPolicy, PolicyVersion, StoredCalendar, StoredPolicy};
use weihu_store::change_requests;

use super::{PageCtx, back, page_error, render};
use crate::AppState;
use crate::app::calculator::{Calculation, calculate_for, import_into};
use crate::auth::WebSession;
use crate::error::ApiError;
use crate::extract::Id;

mod forms;
use forms::{CalendarView, PolicyView, Posted};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/calendars", get(cal_list).post(cal_create))
        .route("/calendars/{id}", get(cal_detail).post(cal_update))
        .route("/calendars/{id}/import", post(cal_import))
        .route("/sla-policies", get(pol_list).post(pol_create))
        .route("/sla-policies/{id}", get(pol_detail).post(pol_revise))
        .route("/sla/calculator", get(calculator))
        .route("/holiday-sets", get(holiday_sets))
}

const EXAMPLE_CALENDAR: &str = r#"{"name": "5x8 China", "time_zone": "Asia/Shanghai",
 "week": {"mon": [["09:00","17:00"]], "tue": [["09:00","17:00"]], "wed": [["09:00","17:00"]],
          "thu": [["09:00","17:00"]], "fri": [["09:00","17:00"]], "sat": [], "sun": []},
 "holidays": [], "workdays": [], "holiday_sets": ["cn-2026"]}"#;

fn parse_json(field: &str, text: &str) -> Result<Value, ApiError> {
    serde_json::from_str(text)
        .map_err(|e| ApiError::Store(StoreError::invalid(field, format!("not valid JSON: {e}"))))
}

#[derive(Deserialize, Default)]
struct Flash {
    error: Option<String>,
    ok: Option<String>,
    month: Option<String>,
}

fn flash(ctx: &mut PageCtx, f: &Flash) -> Option<String> {
    if f.ok.is_some() {
        ctx.flash = Some(ctx.t("flash.saved").to_owned());
    }
    f.error.clone()
}

use crate::web::all;

// ---- calendars --------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "calendars.html")]
struct CalList {
    ctx: PageCtx,
    calendars: Vec<StoredCalendar>,
    error: Option<String>,
    can_edit: bool,
    example: &'static str,
    /// The editor a new calendar starts from (5×8 with this year's holidays).
    form: CalendarView,
}

async fn cal_list(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    Query(f): Query<Flash>,
) -> Response {
    let mut ctx = PageCtx::new(&headers, &session, uri.path());
    let error = flash(&mut ctx, &f);
    match calendars::list(&s.store, &session.actor, &all()).await {
        Ok(p) => render(&CalList {
            can_edit: session.actor.role.can_manage_service_levels(),
            ctx,
            calendars: p.items,
            error,
            example: EXAMPLE_CALENDAR,
            form: CalendarView::new_five_by_eight(
                jiff::Timestamp::now()
                    .to_zoned_datetime(s.store.time_zone().clone())
                    .year(),
            ),
        }),
        Err(e) => page_error(ctx, e.into()),
    }
}

/// A calendar or policy as posted: the editor's fields, or `definition` as JSON (import).
fn posted_definition(
    pairs: &[(String, String)],
    from_form: impl FnOnce(&Posted) -> Result<Value, StoreError>,
) -> Result<Value, ApiError> {
    let f = Posted(pairs);
    match f.get("definition") {
        Some(json) => parse_json("definition", json),
        None => Ok(from_form(&f)?),
    }
}

fn csrf_of(session: &WebSession, pairs: &[(String, String)]) -> Result<(), ApiError> {
    session.check_csrf(Posted(pairs).get("csrf").unwrap_or(""))
}

fn version_of(pairs: &[(String, String)]) -> i64 {
    Posted(pairs)
        .get("version")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

async fn cal_create(
    State(s): State<AppState>,
    session: WebSession,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(e) = csrf_of(&session, &pairs) {
        return e.into_response();
    }
    let r = async {
        let def = posted_definition(&pairs, forms::calendar_definition)?;
        Ok::<_, ApiError>(calendars::create(&s.store, &session.actor, &def).await?)
    }
    .await;
    match r {
        Ok(c) => Redirect::to(&format!("/calendars/{}?ok=1", c.id)).into_response(),
        Err(e) => back("/calendars", Err(e)),
    }
}

pub struct DayCell {
    pub day: i8,
    pub in_month: bool,
    pub class: &'static str,
    pub label: String,
    pub hours: String,
}

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalDetail {
    ctx: PageCtx,
    cal: StoredCalendar,
    json: String,
    month: String,
    prev: String,
    next: String,
    weeks: Vec<Vec<DayCell>>,
    error: Option<String>,
    can_edit: bool,
    /// Years of the month shown or of the next 60 days without holiday data.
    uncovered: Vec<i16>,
    covered: Vec<i16>,
    form: CalendarView,
}

async fn cal_detail(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    Id(id): Id,
    Query(f): Query<Flash>,
) -> Response {
    let mut ctx = PageCtx::new(&headers, &session, uri.path());
    let error = flash(&mut ctx, &f);
    let stored = match calendars::get(&s.store, &session.actor, id).await {
        Ok(c) => c,
        Err(e) => return page_error(ctx, e.into()),
    };
    let cal = match stored.calendar() {
        Ok(c) => c,
        Err(e) => return page_error(ctx, e.into()),
    };
    let today = cal.local_date(jiff::Timestamp::now());
    let first = f
        .month
        .as_deref()
        .and_then(|m| format!("{m}-01").parse::<Date>().ok())
        .unwrap_or_else(|| today.first_of_month());
    // The grid starts on the Monday on or before the 1st and covers six weeks.
    let offset = i64::from(first.weekday().to_monday_zero_offset());
    let start = first
        .checked_sub(jiff::Span::new().days(offset))
        .unwrap_or(first);
    let days = match cal.service_days(start, 42) {
        Ok(d) => d,
        Err(e) => {
            return page_error(
                ctx,
                ApiError::Store(StoreError::invalid("month", e.to_string())),
            );
        }
    };
    let tz = cal.time_zone();
    let mut weeks: Vec<Vec<DayCell>> = Vec::new();
    for chunk in days.chunks(7) {
        weeks.push(
            chunk
                .iter()
                .map(|d| {
                    let (class, label) = match &d.kind {
                        DayKind::Holiday { name } => (
                            "holiday",
                            name.clone()
                                .unwrap_or_else(|| ctx.t("calendar.holiday").to_owned()),
                        ),
                        DayKind::MakeUpWorkday { name, .. } => (
                            "workday",
                            name.clone()
                                .unwrap_or_else(|| ctx.t("calendar.makeup").to_owned()),
                        ),
                        DayKind::Regular => (
                            if d.windows.is_empty() {
                                "closed"
                            } else {
                                "open"
                            },
                            String::new(),
                        ),
                        DayKind::NoService => ("closed", String::new()),
                    };
                    let hours = d
                        .windows
                        .iter()
                        .map(|w| w.local_label(tz))
                        .collect::<Vec<_>>()
                        .join(" ");
                    DayCell {
                        day: d.date.day(),
                        in_month: d.date.month() == first.month(),
                        class,
                        label,
                        hours,
                    }
                })
                .collect(),
        );
    }
    let fmt = |d: Date| d.strftime("%Y-%m").to_string();
    let prev = first
        .checked_sub(jiff::Span::new().months(1))
        .map(fmt)
        .unwrap_or_default();
    let next = first
        .checked_add(jiff::Span::new().months(1))
        .map(fmt)
        .unwrap_or_default();
    let json = serde_json::to_string_pretty(&stored.definition).unwrap_or_default();
    // The month shown, and the next 60 days: a December page already says that next January
    // has no holiday data.
    let horizon = today
        .checked_add(jiff::Span::new().days(crate::app::calculator::WARNING_HORIZON_DAYS))
        .unwrap_or(today);
    let mut uncovered = cal.uncovered_years(today, horizon);
    for y in cal.uncovered_years(
        start,
        start
            .checked_add(jiff::Span::new().days(41))
            .unwrap_or(start),
    ) {
        if !uncovered.contains(&y) {
            uncovered.push(y);
        }
    }
    uncovered.sort_unstable();
    let covered = cal.covered_years().into_iter().collect();
    render(&CalDetail {
        form: CalendarView::of(&stored.definition),
        uncovered,
        covered,
        can_edit: session.actor.role.can_manage_service_levels(),
        ctx,
        json,
        month: fmt(first),
        prev,
        next,
        weeks,
        cal: stored,
        error,
    })
}

async fn cal_update(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(e) = csrf_of(&session, &pairs) {
        return e.into_response();
    }
    let r = async {
        let def = posted_definition(&pairs, forms::calendar_definition)?;
        calendars::update(&s.store, &session.actor, id, version_of(&pairs), &def).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    back(&format!("/calendars/{id}"), r)
}

#[derive(Deserialize)]
struct ImportForm {
    csrf: String,
    version: i64,
    format: String,
    text: String,
}

async fn cal_import(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Form(f): Form<ImportForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let r = import_into(&s.store, &session.actor, id, f.version, &f.format, &f.text)
        .await
        .map(|_| ());
    back(&format!("/calendars/{id}"), r)
}

// ---- SLA policies -----------------------------------------------------------------------

#[derive(Template)]
#[template(path = "sla_policies.html")]
struct PolList {
    ctx: PageCtx,
    policies: Vec<StoredPolicy>,
    error: Option<String>,
    can_edit: bool,
    example: String,
    form: PolicyView,
}

async fn pol_list(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    Query(f): Query<Flash>,
) -> Response {
    let mut ctx = PageCtx::new(&headers, &session, uri.path());
    let error = flash(&mut ctx, &f);
    let mut example = weihu_domain::sla::SlaPolicy::default_targets();
    example.name = "新 SLA / New SLA".into();
    let form = PolicyView::of(&serde_json::to_value(&example).unwrap_or_default());
    let example = serde_json::to_string_pretty(&example).unwrap_or_default();
    let calendars = calendar_names(&s, &session).await;
    match calendars::list_policies(&s.store, &session.actor, &all()).await {
        Ok(p) => render(&PolList {
            form: form.offering(&calendars),
            can_edit: session.actor.role.can_manage_service_levels(),
            ctx,
            policies: p.items,
            error,
            example,
        }),
        Err(e) => page_error(ctx, e.into()),
    }
}

async fn pol_create(
    State(s): State<AppState>,
    session: WebSession,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(e) = csrf_of(&session, &pairs) {
        return e.into_response();
    }
    let r = async {
        let base = serde_json::to_value(weihu_domain::sla::SlaPolicy::default_targets())
            .map_err(|e| ApiError::internal("policy", e))?;
        let definition = posted_definition(&pairs, |f| forms::policy_definition(f, &base))?;
        Ok::<_, ApiError>(
            calendars::create_policy(
                &s.store,
                &session.actor,
                &NewPolicy {
                    definition,
                    is_default: Posted(&pairs).get("is_default").is_some(),
                },
            )
            .await?,
        )
    }
    .await;
    match r {
        Ok(p) => Redirect::to(&format!("/sla-policies/{}?ok=1", p.id)).into_response(),
        Err(e) => back("/sla-policies", Err(e)),
    }
}

pub struct TargetRow {
    pub priority: &'static str,
    pub calendar: String,
    pub response: String,
    pub arrival: String,
    pub resolution: String,
}

#[derive(Template)]
#[template(path = "sla_policy.html")]
struct PolDetail {
    ctx: PageCtx,
    policy: StoredPolicy,
    rows: Vec<TargetRow>,
    versions: Vec<PolicyVersion>,
    json: String,
    error: Option<String>,
    can_edit: bool,
    form: PolicyView,
}

/// Calendars a policy may name: the presets and every stored calendar.
async fn calendar_names(s: &AppState, session: &WebSession) -> Vec<String> {
    let mut names = vec!["5x8".to_owned(), "7x24".to_owned()];
    if let Ok(p) = calendars::list(&s.store, &session.actor, &all()).await {
        names.extend(p.items.into_iter().map(|c| c.name));
    }
    names
}

fn describe(t: weihu_domain::sla::Target, tr: crate::i18n::Tr) -> String {
    use weihu_domain::sla::Target;
    let (m, kind) = match t {
        Target::Business { minutes } => (minutes, tr.t("sla.business")),
        Target::WallClock { minutes } => (minutes, tr.t("sla.wall_clock")),
    };
    if m % 60 == 0 {
        format!("{} h {kind}", m / 60)
    } else {
        format!("{m} min {kind}")
    }
}

async fn pol_detail(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    Id(id): Id,
    Query(f): Query<Flash>,
) -> Response {
    let mut ctx = PageCtx::new(&headers, &session, uri.path());
    let error = flash(&mut ctx, &f);
    let a = &session.actor;
    let (policy, versions) = match async {
        Ok::<_, StoreError>((
            calendars::get_policy(&s.store, a, id).await?,
            calendars::policy_versions(&s.store, a, id).await?,
        ))
    }
    .await
    {
        Ok(x) => x,
        Err(e) => return page_error(ctx, e.into()),
    };
    let rows = match calendars::domain_policy(&policy) {
        Ok(p) => weihu_domain::priority::Priority::ALL
            .into_iter()
            .map(|pr| {
                let t = p.targets_for(pr);
                TargetRow {
                    priority: pr.as_str(),
                    calendar: t.calendar.clone(),
                    response: describe(t.response, ctx.tr),
                    arrival: describe(t.arrival, ctx.tr),
                    resolution: describe(t.resolution, ctx.tr),
                }
            })
            .collect(),
        Err(e) => return page_error(ctx, e.into()),
    };
    let json = serde_json::to_string_pretty(&policy.definition).unwrap_or_default();
    let form = PolicyView::of(&policy.definition);
    let calendars = calendar_names(&s, &session).await;
    render(&PolDetail {
        form: form.offering(&calendars),
        can_edit: a.role.can_manage_service_levels(),
        ctx,
        policy,
        rows,
        versions,
        json,
        error,
    })
}

/// Saves a revision: a new version of a policy not in force yet, or, for a policy in force, a
/// proposed change request carrying the definition (the store refuses a direct revision of it).
async fn pol_revise(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(e) = csrf_of(&session, &pairs) {
        return e.into_response();
    }
    let r = async {
        let current = calendars::get_policy(&s.store, &session.actor, id).await?;
        let def = posted_definition(&pairs, |f| forms::policy_definition(f, &current.definition))?;
        let posted = Posted(&pairs);
        let note = posted.get("note").unwrap_or("").trim().to_owned();
        if current.in_force {
            let title = if note.is_empty() {
                format!("{} v{}", current.name, current.current_version + 1)
            } else {
                note.chars().take(200).collect()
            };
            let change = change_requests::create(
                &s.store,
                &session.actor,
                &change_requests::NewChange {
                    kind: "sla_policy".into(),
                    client_org_id: None,
                    policy_id: Some(id),
                    contract_id: None,
                    title,
                    description: note,
                    proposal: Some(def),
                    effective_from: posted.get("effective_from").map(str::to_owned),
                },
            )
            .await?;
            return Ok::<Option<i64>, ApiError>(Some(change.id));
        }
        calendars::revise_policy(
            &s.store,
            &session.actor,
            id,
            version_of(&pairs),
            &def,
            &note,
        )
        .await?;
        Ok(None)
    }
    .await;
    match r {
        Ok(Some(change)) => Redirect::to(&format!("/changes/{change}?ok=1")).into_response(),
        Ok(None) => back(&format!("/sla-policies/{id}"), Ok::<(), ApiError>(())),
        Err(e) => back(&format!("/sla-policies/{id}"), Err(e)),
    }
}

// ---- calculator -------------------------------------------------------------------------

#[derive(Deserialize, Default)]
struct CalcForm {
    policy: Option<i64>,
    urgency: Option<Level>,
    impact: Option<Level>,
    start: Option<String>,
}

#[derive(Template)]
#[template(path = "sla_calculator.html")]
struct Calculator {
    ctx: PageCtx,
    policies: Vec<StoredPolicy>,
    selected: i64,
    urgency: &'static str,
    impact: &'static str,
    start: String,
    result: Option<Calculation>,
    error: Option<String>,
}

async fn calculator(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    Query(f): Query<CalcForm>,
) -> Response {
    let ctx = PageCtx::new(&headers, &session, uri.path());
    let policies = match calendars::list_policies(&s.store, &session.actor, &all()).await {
        Ok(p) => p.items,
        Err(e) => return page_error(ctx, e.into()),
    };
    let selected = f
        .policy
        .or_else(|| policies.iter().find(|p| p.is_default).map(|p| p.id))
        .or_else(|| policies.first().map(|p| p.id))
        .unwrap_or(0);
    let urgency = f.urgency.unwrap_or(Level::Medium);
    let impact = f.impact.unwrap_or(Level::Medium);
    // The form's datetime-local is wall time in Shanghai; an RFC 3339 value is taken as is.
    let start_input = f.start.clone().unwrap_or_default();
    // An unreadable start is passed on as it is, so the calculation names the field.
    let start_rfc = if start_input.is_empty() {
        None
    } else if start_input.parse::<jiff::Timestamp>().is_ok() {
        Some(start_input.clone())
    } else {
        Some(
            crate::format::local_input(&start_input)
                .map(|t| t.to_string())
                .unwrap_or_else(|| start_input.clone()),
        )
    };
    let (result, error) = match policies.iter().find(|p| p.id == selected) {
        Some(p) if f.policy.is_some() => match calculate_for(
            &s.store,
            p,
            None,
            Some(urgency),
            Some(impact),
            start_rfc.as_deref(),
        )
        .await
        {
            Ok(r) => (Some(r), None),
            Err(e) => {
                let (_, _, m, field) = e.parts();
                (None, Some(field.map(|f| format!("{f}: {m}")).unwrap_or(m)))
            }
        },
        _ => (None, None),
    };
    render(&Calculator {
        ctx,
        policies,
        selected,
        urgency: urgency.as_str(),
        impact: impact.as_str(),
        start: start_input,
        result,
        error,
    })
}

// ---- holiday sets -----------------------------------------------------------------------

pub struct SetView {
    pub name: &'static str,
    pub years: Vec<i16>,
    pub description: &'static str,
    pub holidays: Vec<(String, &'static str)>,
    pub workdays: Vec<(String, &'static str)>,
}

#[derive(Template)]
#[template(path = "holiday_sets.html")]
struct HolidaySets {
    ctx: PageCtx,
    sets: Vec<SetView>,
}

async fn holiday_sets(
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
) -> Response {
    let ctx = PageCtx::new(&headers, &session, uri.path());
    if session.actor.is_client() {
        return page_error(
            ctx,
            ApiError::Store(StoreError::Forbidden(
                "service-level configuration is provider-internal",
            )),
        );
    }
    let fmt = |d: Date| d.strftime("%Y-%m-%d %a").to_string();
    let sets = weihu_domain::calendar::builtin_holiday_sets()
        .iter()
        .map(|h| SetView {
            name: h.name,
            years: h.years().to_vec(),
            description: h.description,
            holidays: h.holidays().into_iter().map(|(d, n)| (fmt(d), n)).collect(),
            workdays: h
                .workdays()
                .into_iter()
                .map(|(d, _, n)| (fmt(d), n))
                .collect(),
        })
        .collect();
    render(&HolidaySets { ctx, sets })
}
