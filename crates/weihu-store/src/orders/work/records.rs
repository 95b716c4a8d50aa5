//! Records of work done: remote sessions, the backup question before a major change, time.

use super::*;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RemoteSession {
    pub id: i64,
    pub engineer_id: Option<i64>,
    pub tool: String,
    #[schema(value_type = String, format = DateTime)]
    pub started_at: jiff::Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ended_at: Option<jiff::Timestamp>,
    pub note: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewRemoteSession {
    /// e.g. 向日葵, ToDesk, TeamViewer, RDP, SSH.
    pub tool: String,
    /// RFC 3339; default now.
    pub started_at: Option<String>,
    /// RFC 3339; empty while the session runs.
    pub ended_at: Option<String>,
    #[serde(default)]
    pub note: String,
}

pub(super) fn input_instant(field: &str, v: Option<&str>) -> Result<Option<i64>> {
    v.filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<jiff::Timestamp>()
                .map(|t| t.as_millisecond())
                .map_err(|e| StoreError::invalid(field, format!("not an RFC 3339 instant: {e}")))
        })
        .transpose()
}

pub async fn remote_sessions(
    store: &Store,
    actor: &Actor,
    order_id: i64,
) -> Result<Vec<RemoteSession>> {
    get(store, actor, order_id).await?;
    let rows = sqlx::query("SELECT id, engineer_id, tool, started_at, ended_at, note FROM order_remote_sessions WHERE order_id = $1 ORDER BY id")
        .bind(order_id)
        .fetch_all(&store.pool)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(RemoteSession {
                id: r.try_get("id")?,
                engineer_id: r.try_get("engineer_id")?,
                tool: r.try_get("tool")?,
                started_at: instant(r.try_get("started_at")?),
                ended_at: opt_time(r, "ended_at")?,
                note: r.try_get("note")?,
            })
        })
        .collect()
}

pub async fn add_remote_session(
    store: &Store,
    actor: &Actor,
    order_id: i64,
    s: &NewRemoteSession,
) -> Result<RemoteSession> {
    let order = get(store, actor, order_id).await?;
    access::require(store, actor, &order, OrderAction::RemoteSession).await?;
    let tool = text("tool", &s.tool, 100, true)?;
    let note = text("note", &s.note, 2000, false)?;
    let now = now_ms();
    let started = input_instant("started_at", s.started_at.as_deref())?.unwrap_or(now);
    let ended = input_instant("ended_at", s.ended_at.as_deref())?;
    if ended.is_some_and(|e| e < started) {
        return Err(StoreError::invalid(
            "ended_at",
            "must not be before started_at",
        ));
    }
    let id = commit_work(store, actor, &order, now, async |tx| {
        let id: i64 = sqlx::query("INSERT INTO order_remote_sessions (order_id, engineer_id, tool, started_at, ended_at, note) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
            .bind(order_id)
            .bind(actor.audit_id())
            .bind(tool.clone())
            .bind(started)
            .bind(ended)
            .bind(note.clone())
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        Ok((id,
            Event {
                kind: "remote_session",
                public: true,
                body: &note,
                data: json!({"session": id, "tool": tool}),
                audit_action: "remote_session",
                audit: json!({"session": id}),
            }))
    })
    .await?;
    remote_sessions(store, actor, order_id)
        .await?
        .into_iter()
        .find(|x| x.id == id)
        .ok_or(StoreError::NotFound)
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct BackupCheck {
    /// The major change, e.g. 重装操作系统 / replace the disk.
    pub change: String,
    /// What the client answered about backups.
    pub answer: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecordedBackupCheck {
    pub change: String,
    pub answer: String,
    #[schema(value_type = String, format = DateTime)]
    pub asked_at: jiff::Timestamp,
}

/// The backup questions asked on an order, with the client's answers.
pub async fn backup_checks(
    store: &Store,
    actor: &Actor,
    order_id: i64,
) -> Result<Vec<RecordedBackupCheck>> {
    get(store, actor, order_id).await?;
    let rows = sqlx::query(
        "SELECT change, answer, asked_at FROM order_backup_checks WHERE order_id = $1 ORDER BY id",
    )
    .bind(order_id)
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(RecordedBackupCheck {
                change: r.try_get("change")?,
                answer: r.try_get("answer")?,
                asked_at: instant(r.try_get("asked_at")?),
            })
        })
        .collect()
}

/// Records that the client was asked about backups before a major change, and the answer.
pub async fn record_backup_check(
    store: &Store,
    actor: &Actor,
    order_id: i64,
    b: &BackupCheck,
) -> Result<Order> {
    let order = get(store, actor, order_id).await?;
    access::require(store, actor, &order, OrderAction::BackupCheck).await?;
    let change = text("change", &b.change, 500, true)?;
    let answer = text("answer", &b.answer, 2000, true)?;
    let now = now_ms();
    let body = format!("{change}: {answer}");
    commit_work(store, actor, &order, now, async |tx| {
        sqlx::query("INSERT INTO order_backup_checks (order_id, change, asked_by, asked_at, answer) VALUES ($1, $2, $3, $4, $5)")
            .bind(order_id)
            .bind(change.clone())
            .bind(actor.audit_id())
            .bind(now)
            .bind(answer.clone())
            .execute(&mut *tx)
            .await?;
        Ok(((),
            Event {
                kind: "backup_check",
                public: true,
                body: &body,
                data: json!({"change": change, "answer": answer}),
                audit_action: "backup_check",
                audit: json!({}),
            }))
    })
    .await?;
    get(store, actor, order_id).await
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewTimeEntry {
    /// YYYY-MM-DD; default today.
    pub work_date: Option<String>,
    pub minutes: i64,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TimeEntry {
    pub id: i64,
    pub user_id: i64,
    pub user_name: String,
    pub work_date: String,
    pub minutes: i64,
    pub note: String,
}

/// Time entries are provider-internal.
pub async fn time_entries(store: &Store, actor: &Actor, order_id: i64) -> Result<Vec<TimeEntry>> {
    get(store, actor, order_id).await?;
    if actor.is_client() {
        return Err(StoreError::Forbidden("time entries are provider-internal"));
    }
    let rows = sqlx::query("SELECT w.id, w.user_id, u.display_name AS user_name, w.work_date, w.minutes, w.note FROM order_work_log w JOIN users u ON u.id = w.user_id WHERE w.order_id = $1 ORDER BY w.id")
        .bind(order_id)
        .fetch_all(&store.pool)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(TimeEntry {
                id: r.try_get("id")?,
                user_id: r.try_get("user_id")?,
                user_name: r.try_get("user_name")?,
                work_date: r.try_get("work_date")?,
                minutes: r.try_get("minutes")?,
                note: r.try_get("note")?,
            })
        })
        .collect()
}

pub async fn log_time(
    store: &Store,
    actor: &Actor,
    order_id: i64,
    t: &NewTimeEntry,
) -> Result<TimeEntry> {
    let order = get(store, actor, order_id).await?;
    access::require(store, actor, &order, OrderAction::LogTime).await?;
    if !(1..=24 * 60).contains(&t.minutes) {
        return Err(StoreError::invalid("minutes", "must be 1 to 1440"));
    }
    let date = match t.work_date.as_deref().filter(|d| !d.is_empty()) {
        Some(d) => d
            .parse::<jiff::civil::Date>()
            .map_err(|e| StoreError::invalid("work_date", format!("not a date: {e}")))?,
        // Today where the provider works.
        None => jiff::Timestamp::now()
            .to_zoned_datetime(store.time_zone().clone())
            .date(),
    };
    if !(2000..=2100).contains(&date.year()) {
        return Err(StoreError::invalid(
            "work_date",
            "must be a date between 2000 and 2100",
        ));
    }
    let note = text("note", &t.note, 2000, false)?;
    let now = now_ms();
    let id = commit_work(store, actor, &order, now, async |tx| {
        let id: i64 = sqlx::query("INSERT INTO order_work_log (order_id, user_id, work_date, minutes, note, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
            .bind(order_id)
            .bind(actor.user_id)
            .bind(date.to_string())
            .bind(t.minutes)
            .bind(note)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        Ok((id,
            Event {
                kind: "time_entry",
                public: false,
                body: "",
                data: json!({"minutes": t.minutes}),
                audit_action: "time_entry",
                audit: json!({"entry": id}),
            }))
    })
    .await?;
    time_entries(store, actor, order_id)
        .await?
        .into_iter()
        .find(|x| x.id == id)
        .ok_or(StoreError::NotFound)
}
