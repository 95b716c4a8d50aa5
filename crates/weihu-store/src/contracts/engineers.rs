//! Fixed engineers of a contract and their replacement with the 15-day notice.

use super::*;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ContractEngineer {
    pub id: i64,
    pub user_id: i64,
    pub display_name: String,
    pub from_date: String,
    pub until_date: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub announced_at: jiff::Timestamp,
    pub note: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewContractEngineer {
    pub user_id: i64,
    /// First day; on a contract in force at least 15 days after today.
    pub from_date: String,
    /// The engineer this one replaces (their assignment ends the day before).
    pub replaces_user_id: Option<i64>,
    #[serde(default)]
    pub note: String,
}

pub async fn engineers(store: &Store, actor: &Actor, id: i64) -> Result<Vec<ContractEngineer>> {
    get(store, actor, id).await?;
    let rows = sqlx::query(
        "SELECT e.id, e.user_id, u.display_name, e.from_date, e.until_date, e.announced_at, e.note \
         FROM contract_engineers e JOIN users u ON u.id = e.user_id WHERE e.contract_id = $1 \
         ORDER BY e.from_date, e.id",
    )
    .bind(id)
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ContractEngineer {
                id: r.try_get("id")?,
                user_id: r.try_get("user_id")?,
                display_name: r.try_get("display_name")?,
                from_date: r.try_get("from_date")?,
                until_date: r.try_get("until_date")?,
                announced_at: instant(r.try_get("announced_at")?),
                note: r.try_get("note")?,
            })
        })
        .collect()
}

pub(super) async fn provider_engineer(store: &Store, user_id: i64, field: &str) -> Result<()> {
    let role: Option<String> = sqlx::query_scalar(
        "SELECT u.role FROM users u JOIN organizations o ON o.id = u.org_id \
         WHERE u.id = $1 AND o.kind = 'provider' AND u.active = 1",
    )
    .bind(user_id)
    .fetch_optional(&store.pool)
    .await?;
    match role.as_deref() {
        Some("engineer" | "dispatcher" | "admin") => Ok(()),
        _ => Err(StoreError::invalid(
            field,
            "is not an active provider engineer",
        )),
    }
}

/// Names a fixed engineer. On a contract in force, a change must be announced 15 days ahead.
pub async fn add_engineer(
    store: &Store,
    actor: &Actor,
    id: i64,
    new: &NewContractEngineer,
) -> Result<Vec<ContractEngineer>> {
    let contract = get(store, actor, id).await?;
    may_write(actor)?;
    provider_engineer(store, new.user_id, "user_id").await?;
    let from = parse_date("from_date", &new.from_date)?;
    let note = text("note", &new.note, 1000, false)?;
    if contract.status != "draft" {
        let earliest = today_in(DEFAULT_ZONE)
            .checked_add(jiff::Span::new().days(ENGINEER_NOTICE_DAYS))
            .map_err(|e| StoreError::Format(e.to_string()))?;
        if from < earliest {
            return Err(StoreError::invalid(
                "from_date",
                format!(
                    "a change of fixed engineer is announced {ENGINEER_NOTICE_DAYS} days ahead: the earliest is {earliest}"
                ),
            ));
        }
    }
    let mut tx = store.pool.begin().await?;
    if let Some(old) = new.replaces_user_id {
        let until = from
            .yesterday()
            .map_err(|e| StoreError::Format(e.to_string()))?;
        let done = sqlx::query(
            "UPDATE contract_engineers SET until_date = $1 WHERE contract_id = $2 AND user_id = $3 \
             AND until_date IS NULL",
        )
        .bind(until.to_string())
        .bind(id)
        .bind(old)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::invalid(
                "replaces_user_id",
                "is not a current fixed engineer of this contract",
            ));
        }
    }
    sqlx::query(
        "INSERT INTO contract_engineers (contract_id, user_id, from_date, announced_at, note) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(new.user_id)
    .bind(from.to_string())
    .bind(now_ms())
    .bind(note)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        actor,
        Some(contract.client_org_id),
        "contract",
        id,
        "engineer",
        json!({"user_id": new.user_id, "from_date": from.to_string(), "replaces": new.replaces_user_id}),
    )
    .await?;
    tx.commit().await?;
    engineers(store, actor, id).await
}
