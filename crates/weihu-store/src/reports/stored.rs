//! Stored monthly service-level reports: drafted (by the month-end job or on demand), reviewed and
//! published by a service-level manager, then read by the client's administrator. A published
//! report keeps the body it was published with; outages of its month edited afterwards are shown
//! as such, never silently folded in.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use weihu_domain::billing::YearMonth;
use weihu_domain::calendar::DayKind;
use weihu_domain::role::Role;

use super::build::build;
use super::model::ServiceLevelReport;
use crate::sql::SqlBuf;
use crate::{
    Actor, ListParams, Page, Result, Store, StoreError, audit, calendars, instant, now_ms,
};

/// draft or published.
pub const STATES: [&str; 2] = ["draft", "published"];

/// A report as stored, with its body.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StoredReport {
    /// None for a report that was never drafted (built on the fly for staff).
    pub id: Option<i64>,
    /// draft, published, or live (built now, not stored).
    pub state: String,
    pub revision: i64,
    /// The service-level manager's words for the client.
    pub summary: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub published_at: Option<Timestamp>,
    pub published_by: Option<String>,
    /// Outages of the month created or changed after publication (ids): the issued figures do
    /// not include them until the report is reissued.
    pub changed_since: Vec<i64>,
    /// Earlier revisions this one superseded, newest first.
    pub superseded: Vec<Superseded>,
    pub version: i64,
    #[serde(flatten)]
    pub report: ServiceLevelReport,
}

/// An issued revision that a reissue superseded; its body is kept as it was issued.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Superseded {
    pub revision: i64,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub published_at: Option<Timestamp>,
    #[schema(value_type = String, format = DateTime)]
    pub superseded_at: Timestamp,
    pub superseded_by: Option<String>,
    /// Why it was reissued.
    pub reason: String,
}

/// Reissuing a published report: its version as read, why, and (optionally) new words.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct Reissue {
    pub version: i64,
    /// Why the issued figures are replaced (required; the client reads it).
    pub reason: String,
    /// The words for the client; the issued ones are kept when absent.
    #[serde(default)]
    pub summary: Option<String>,
}

/// A report in a list, without its body.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportItem {
    pub id: i64,
    pub client_org_id: i64,
    pub client_name: String,
    pub month: String,
    pub state: String,
    pub revision: i64,
    #[schema(value_type = String, format = DateTime)]
    pub built_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub published_at: Option<Timestamp>,
    pub version: i64,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct ReportFilter {
    pub client_org_id: Option<i64>,
    /// YYYY-MM.
    pub month: Option<String>,
    /// draft or published.
    pub state: Option<String>,
}

/// Publishing a draft: its version as read, and the words for the client.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct Publish {
    pub version: i64,
    #[serde(default)]
    pub summary: String,
}

fn may_manage(actor: &Actor) -> Result<()> {
    if actor.role.can_manage_service_levels() {
        Ok(())
    } else {
        Err(StoreError::Forbidden(
            "administrators and service-level managers draft and publish service-level reports",
        ))
    }
}

fn may_read(actor: &Actor) -> Result<()> {
    if actor.role.is_provider_side() || actor.role == Role::ClientAdmin {
        Ok(())
    } else {
        Err(StoreError::Forbidden(
            "service-level reports are for the provider and the client's administrator",
        ))
    }
}

/// The month must have begun: a report of the future has nothing to say.
fn check_month(store: &Store, month: &str) -> Result<YearMonth> {
    let ym = crate::statements::parse_month("month", month)?;
    let today = Timestamp::now()
        .to_zoned_datetime(store.time_zone().clone())
        .date();
    if ym > YearMonth::of(today) {
        return Err(StoreError::invalid("month", "the month has not begun"));
    }
    Ok(ym)
}

const SELECT: &str = "SELECT r.id, r.client_org_id, g.name AS client_name, r.month, r.state, r.revision, r.body, r.summary, \
     r.built_at, r.published_at, u.display_name AS published_by, r.version \
     FROM service_level_reports r JOIN organizations g ON g.id = r.client_org_id \
     LEFT JOIN users u ON u.id = r.published_by";

fn stored_from(r: &sqlx::any::AnyRow) -> Result<StoredReport> {
    let body: String = r.try_get("body")?;
    let report: ServiceLevelReport =
        serde_json::from_str(&body).map_err(|e| StoreError::Corrupt {
            what: "service-level report",
            value: e.to_string(),
        })?;
    Ok(StoredReport {
        id: Some(r.try_get("id")?),
        state: r.try_get("state")?,
        revision: r.try_get("revision")?,
        summary: r.try_get("summary")?,
        published_at: r.try_get::<Option<i64>, _>("published_at")?.map(instant),
        published_by: r.try_get("published_by")?,
        changed_since: Vec::new(),
        superseded: Vec::new(),
        version: r.try_get("version")?,
        report,
    })
}

async fn superseded(store: &Store, report: i64) -> Result<Vec<Superseded>> {
    let rows = sqlx::query(
        "SELECT v.revision, v.published_at, v.superseded_at, u.display_name AS superseded_by, v.reason \
         FROM service_level_report_revisions v LEFT JOIN users u ON u.id = v.superseded_by \
         WHERE v.report_id = $1 ORDER BY v.revision DESC",
    )
    .bind(report)
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Superseded {
                revision: r.try_get("revision")?,
                published_at: r.try_get::<Option<i64>, _>("published_at")?.map(instant),
                superseded_at: instant(r.try_get("superseded_at")?),
                superseded_by: r.try_get("superseded_by")?,
                reason: r.try_get("reason")?,
            })
        })
        .collect()
}

/// Outages of the report's month that are not in it as they are now (new, or changed since).
async fn changed_since(store: &Store, s: &StoredReport) -> Result<Vec<i64>> {
    let from = s.report.from.as_millisecond();
    let to = s.report.to.as_millisecond();
    // Outages of no service (the client's IT as a whole) are not in any service's figures.
    let now: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT id, version FROM outages WHERE client_org_id = $1 AND catalog_item_id IS NOT NULL \
         AND (ended_at IS NULL OR ended_at > $2) AND started_at < $3 ORDER BY id",
    )
    .bind(s.report.client_org_id)
    .bind(from)
    .bind(to)
    .fetch_all(&store.pool)
    .await?;
    let issued: std::collections::HashMap<i64, i64> = s
        .report
        .availability
        .iter()
        .flat_map(|f| f.outages.iter().map(|o| (o.id, o.version)))
        .collect();
    Ok(now
        .into_iter()
        .filter(|(id, v)| issued.get(id) != Some(v))
        .map(|(id, _)| id)
        .collect())
}

async fn find(store: &Store, client: i64, month: &str) -> Result<Option<StoredReport>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE r.client_org_id = $1 AND r.month = $2"
    )))
    .bind(client)
    .bind(month.to_owned())
    .fetch_optional(&store.pool)
    .await?;
    row.as_ref().map(stored_from).transpose()
}

/// The report of `client` for `month`: the published one as issued; for provider staff, the
/// draft or, without one, the report built now (`live`). A client's administrator reads only
/// its own published reports.
pub async fn current(
    store: &Store,
    actor: &Actor,
    client: i64,
    month: &str,
) -> Result<StoredReport> {
    if actor.client_scope().is_some_and(|own| own != client) {
        return Err(StoreError::NotFound);
    }
    may_read(actor)?;
    let ym = check_month(store, month)?;
    let month = ym.to_string();
    let stored = find(store, client, &month).await?;
    match stored {
        Some(mut s) if s.state == "published" => {
            s.changed_since = changed_since(store, &s).await?;
            if let Some(id) = s.id {
                s.superseded = superseded(store, id).await?;
            }
            Ok(s)
        }
        _ if actor.role.is_client_side() => Err(StoreError::NotFound),
        Some(s) => {
            // A draft is shown as it would be published now.
            let report = build(store, actor, client, &month).await?;
            Ok(StoredReport { report, ..s })
        }
        None => Ok(StoredReport {
            id: None,
            state: "live".to_owned(),
            revision: 0,
            summary: String::new(),
            published_at: None,
            published_by: None,
            changed_since: Vec::new(),
            superseded: Vec::new(),
            version: 0,
            report: build(store, actor, client, &month).await?,
        }),
    }
}

/// One stored report by id (a client's administrator: its own published ones).
pub async fn get(store: &Store, actor: &Actor, id: i64) -> Result<StoredReport> {
    let s = stored(store, actor, id).await?;
    if s.state == "published" {
        let changed = changed_since(store, &s).await?;
        Ok(StoredReport {
            changed_since: changed,
            superseded: superseded(store, id).await?,
            ..s
        })
    } else {
        let report = build(store, actor, s.report.client_org_id, &s.report.month).await?;
        Ok(StoredReport { report, ..s })
    }
}

/// One stored report as saved, scoped like [`get`] but without rebuilding a draft's figures
/// (publishing builds them once itself).
async fn stored(store: &Store, actor: &Actor, id: i64) -> Result<StoredReport> {
    // Another tenant's report, or a draft, does not exist for a client (404 before any 403).
    if actor.role.is_client_side() && actor.role != Role::ClientAdmin {
        return Err(StoreError::NotFound);
    }
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE r.id = $1")))
        .bind(id)
        .fetch_optional(&store.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
    let client: i64 = row.try_get("client_org_id")?;
    let state: String = row.try_get("state")?;
    if actor.role.is_client_side() && (actor.client_scope() != Some(client) || state != "published")
    {
        return Err(StoreError::NotFound);
    }
    stored_from(&row)
}

/// Stored reports by client, month and state, newest month first; a client's administrator sees
/// its own published ones.
pub async fn list(
    store: &Store,
    actor: &Actor,
    f: &ReportFilter,
    params: &ListParams,
) -> Result<Page<ReportItem>> {
    if actor.role.is_client_side() && actor.role != Role::ClientAdmin {
        return Ok(Page::new(Vec::new(), 0, 0));
    }
    let mut w = SqlBuf::new(" WHERE 1 = 1");
    match actor.client_scope() {
        Some(own) => {
            w.push(" AND r.client_org_id = ").bind(own);
            w.push(" AND r.state = 'published'");
        }
        None => {
            if let Some(c) = f.client_org_id {
                w.push(" AND r.client_org_id = ").bind(c);
            }
        }
    }
    if let Some(m) = f.month.as_deref().filter(|m| !m.trim().is_empty()) {
        let ym = crate::statements::parse_month("month", m)?;
        w.push(" AND r.month = ").bind(ym.to_string());
    }
    if let Some(s) = f.state.as_deref().filter(|s| !s.is_empty()) {
        if !STATES.contains(&s) {
            return Err(StoreError::invalid("state", "must be draft or published"));
        }
        w.push(" AND r.state = ").bind(s.to_owned());
    }
    crate::page::Listing {
        select: "SELECT r.id, r.client_org_id, g.name AS client_name, r.month, r.state, r.revision, r.built_at, \
                 r.published_at, r.version FROM service_level_reports r JOIN organizations g ON g.id = r.client_org_id",
        count: "SELECT count(*) FROM service_level_reports r",
        sorts: &[("month", "r.month"), ("client", "g.name"), ("state", "r.state")],
        default_sort: "r.month DESC, g.name",
        id: "r.id",
    }
    .page(store, params, w, |r| {
        Ok(ReportItem {
            id: r.try_get("id")?,
            client_org_id: r.try_get("client_org_id")?,
            client_name: r.try_get("client_name")?,
            month: r.try_get("month")?,
            state: r.try_get("state")?,
            revision: r.try_get("revision")?,
            built_at: instant(r.try_get("built_at")?),
            published_at: r.try_get::<Option<i64>, _>("published_at")?.map(instant),
            version: r.try_get("version")?,
        })
    })
    .await
}

/// Drafts (or refreshes the draft of) `client`'s report for `month`. A published report is not
/// redrafted. Returns the stored report and whether it was created.
pub async fn draft(
    store: &Store,
    actor: &Actor,
    client: i64,
    month: &str,
) -> Result<(StoredReport, bool)> {
    may_manage(actor)?;
    let ym = check_month(store, month)?;
    let month = ym.to_string();
    let report = build(store, actor, client, &month).await?;
    let body = serde_json::to_string(&report).map_err(|e| StoreError::Format(e.to_string()))?;
    let now = now_ms();
    let mut tx = store.pool.begin().await?;
    let existing: Option<(i64, String)> = sqlx::query_as(
        "SELECT id, state FROM service_level_reports WHERE client_org_id = $1 AND month = $2",
    )
    .bind(client)
    .bind(month.clone())
    .fetch_optional(&mut *tx)
    .await?;
    let (id, created) = match existing {
        Some((_, state)) if state == "published" => {
            return Err(StoreError::invalid(
                "month",
                "this month's report is published; it is not drafted again",
            ));
        }
        Some((id, _)) => {
            sqlx::query(
                "UPDATE service_level_reports SET body = $1, built_at = $2, version = version + 1, updated_at = $2 \
                 WHERE id = $3 AND state = 'draft'",
            )
            .bind(body)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            (id, false)
        }
        None => {
            // Two instances drafting at once: the unique (client, month) lets one insert.
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO service_level_reports (client_org_id, month, state, body, built_at, created_at, updated_at) \
                 VALUES ($1, $2, 'draft', $3, $4, $4, $4) ON CONFLICT DO NOTHING RETURNING id",
            )
            .bind(client)
            .bind(month.clone())
            .bind(body)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            match id {
                Some(id) => (id, true),
                None => {
                    tx.rollback().await?;
                    let s = find(store, client, &month)
                        .await?
                        .ok_or(StoreError::NotFound)?;
                    return Ok((s, false));
                }
            }
        }
    };
    audit::record(
        &mut tx,
        actor,
        Some(client),
        "service_level_report",
        id,
        if created { "draft" } else { "redraft" },
        json!({"month": month}),
    )
    .await?;
    tx.commit().await?;
    let s = find(store, client, &month)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok((s, created))
}

/// Publishes a draft: the report is built once more and kept as issued; the client's
/// administrators are notified.
pub async fn publish(store: &Store, actor: &Actor, id: i64, p: &Publish) -> Result<StoredReport> {
    let s = stored(store, actor, id).await?;
    may_manage(actor)?;
    let summary = crate::orders::text("summary", &p.summary, 5000, false)?;
    if s.state == "published" {
        return Err(StoreError::invalid(
            "state",
            "the report is already published",
        ));
    }
    if s.version != p.version {
        return Err(StoreError::Conflict { current: s.version });
    }
    let client = s.report.client_org_id;
    let month = s.report.month.clone();
    let report = build(store, actor, client, &month).await?;
    if report.running {
        return Err(StoreError::invalid(
            "month",
            "a month is published once it is over",
        ));
    }
    let body = serde_json::to_string(&report).map_err(|e| StoreError::Format(e.to_string()))?;
    let now = now_ms();
    let mut tx = store.pool.begin().await?;
    let done = sqlx::query(
        "UPDATE service_level_reports SET state = 'published', body = $1, summary = $2, built_at = $3, \
         published_at = $3, published_by = $4, version = version + 1, updated_at = $3 \
         WHERE id = $5 AND version = $6 AND state = 'draft'",
    )
    .bind(body)
    .bind(summary.clone())
    .bind(now)
    .bind((actor.user_id > 0).then_some(actor.user_id))
    .bind(id)
    .bind(p.version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict { current: s.version });
    }
    crate::notifications::notify_client_admins(
        &mut tx,
        client,
        "report_published",
        &format!("{month} {}", s.report.client_name),
        Some(id),
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        Some(client),
        "service_level_report",
        id,
        "publish",
        json!({"month": month, "summary": summary}),
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

/// Reissues a published report: its figures rebuilt as the month stands now (outages corrected
/// since, late ratings), the issued revision kept with the reason, the client's administrators
/// told. Nothing changes an issued report silently; this is the one way it changes.
pub async fn reissue(store: &Store, actor: &Actor, id: i64, r: &Reissue) -> Result<StoredReport> {
    let s = stored(store, actor, id).await?;
    may_manage(actor)?;
    let reason = crate::orders::text("reason", &r.reason, 2000, true)?;
    let summary = match &r.summary {
        Some(v) => crate::orders::text("summary", v, 5000, false)?,
        None => s.summary.clone(),
    };
    if s.state != "published" {
        return Err(StoreError::invalid(
            "state",
            "only a published report is reissued; a draft is published",
        ));
    }
    if s.version != r.version {
        return Err(StoreError::Conflict { current: s.version });
    }
    let changed = changed_since(store, &s).await?;
    let client = s.report.client_org_id;
    let month = s.report.month.clone();
    let report = build(store, actor, client, &month).await?;
    let body = serde_json::to_string(&report).map_err(|e| StoreError::Format(e.to_string()))?;
    let now = now_ms();
    let me = (actor.user_id > 0).then_some(actor.user_id);
    let mut tx = store.pool.begin().await?;
    sqlx::query(
        "INSERT INTO service_level_report_revisions (report_id, revision, body, summary, published_at, published_by, \
         superseded_at, superseded_by, reason) \
         SELECT id, revision, body, summary, published_at, published_by, $1, $2, $3 FROM service_level_reports \
         WHERE id = $4 AND version = $5",
    )
    .bind(now)
    .bind(me)
    .bind(reason.clone())
    .bind(id)
    .bind(r.version)
    .execute(&mut *tx)
    .await?;
    let done = sqlx::query(
        "UPDATE service_level_reports SET body = $1, summary = $2, built_at = $3, published_at = $3, \
         published_by = $4, revision = revision + 1, version = version + 1, updated_at = $3 \
         WHERE id = $5 AND version = $6 AND state = 'published'",
    )
    .bind(body)
    .bind(summary)
    .bind(now)
    .bind(me)
    .bind(id)
    .bind(r.version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict { current: s.version });
    }
    crate::notifications::notify_client_admins(
        &mut tx,
        client,
        "report_reissued",
        &format!("{month} {}", s.report.client_name),
        Some(id),
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        Some(client),
        "service_level_report",
        id,
        "reissue",
        json!({"month": month, "revision": s.revision + 1, "reason": reason, "outages_changed": changed}),
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

/// The first working day of the month holding `today`, by the installation's default calendar.
fn first_working_day(today: jiff::civil::Date) -> Result<jiff::civil::Date> {
    let cal = calendars::builtin_calendar()?;
    let mut d = today.first_of_month();
    for _ in 0..31 {
        if matches!(
            cal.day_kind(d),
            DayKind::Regular | DayKind::MakeUpWorkday { .. }
        ) {
            return Ok(d);
        }
        d = d
            .tomorrow()
            .map_err(|e| StoreError::Format(e.to_string()))?;
    }
    Ok(today.first_of_month())
}

/// What the month-end job did.
#[derive(Debug, Clone, Default)]
pub struct DraftSummary {
    pub month: String,
    pub created: u64,
    pub failed: Vec<(i64, String)>,
}

/// Drafts every active client's report for `month` that has none yet; one client's failure is
/// reported and does not stop the others.
pub async fn draft_all(store: &Store, actor: &Actor, month: &str) -> Result<DraftSummary> {
    draft_all_with(store, actor, month, |_, _| {}).await
}

/// [`draft_all`], telling `progress` (clients done, clients in all) after each client.
pub async fn draft_all_with(
    store: &Store,
    actor: &Actor,
    month: &str,
    mut progress: impl FnMut(usize, usize),
) -> Result<DraftSummary> {
    may_manage(actor)?;
    // A bad month is the request's fault, not every client's.
    let month = &check_month(store, month)?.to_string();
    let clients: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM organizations WHERE kind = 'client' AND active = 1 ORDER BY id",
    )
    .fetch_all(&store.pool)
    .await?;
    let mut sum = DraftSummary {
        month: month.to_owned(),
        ..DraftSummary::default()
    };
    let all = clients.len();
    for (i, c) in clients.into_iter().enumerate() {
        progress(i, all);
        match draft(store, actor, c, month).await {
            Ok((_, true)) => sum.created += 1,
            Ok((_, false)) => {}
            // Already published: nothing to draft.
            Err(StoreError::Invalid { .. }) => {}
            Err(e) => sum.failed.push((c, e.to_string())),
        }
    }
    progress(all, all);
    Ok(sum)
}

/// The background job: on or after the first working day of a month, drafts every client's
/// report of the month before, once (the first instance to claim the month does it).
pub async fn run_month_reports(store: &Store) -> Result<Option<DraftSummary>> {
    let today = Timestamp::now()
        .to_zoned_datetime(store.time_zone().clone())
        .date();
    if today < first_working_day(today)? {
        return Ok(None);
    }
    let last = YearMonth::of(
        today
            .first_of_month()
            .yesterday()
            .map_err(|e| StoreError::Format(e.to_string()))?,
    )
    .to_string();
    let claimed = sqlx::query(
        "INSERT INTO job_runs (job, period, claimed_at) VALUES ('service_level_reports', $1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(last.clone())
    .bind(now_ms())
    .execute(&store.pool)
    .await?;
    if claimed.rows_affected() == 0 {
        return Ok(None);
    }
    draft_all(store, &Actor::system(0), &last).await.map(Some)
}
