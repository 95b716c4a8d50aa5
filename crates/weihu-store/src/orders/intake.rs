//! What a new order needs to know before it is written, in one read: the client (must be an
//! active client), the contract in force today with its number, the SLA policy that contract names
//! (or the provider default) at its current version, and which stored calendar carries each name.
//! The policy version and the calendars are then taken parsed from the process's cache
//! ([`crate::rule_cache`]), so a create reads the database once here instead of five times.

use std::collections::HashMap;
use std::sync::Arc;

use sqlx::Row;
use weihu_domain::sla::SlaPolicy;

use super::clocks;
use crate::contracts::{DEFAULT_ZONE, today_in};
use crate::{Backend, Result, Store, StoreError};

pub(super) struct Intake {
    pub client_name: String,
    /// The contract in force: id and number.
    pub contract: Option<(i64, String)>,
    /// The policy and its current version (parsed by [`Intake::policy`]).
    pub policy: Option<(i64, i64)>,
    /// Stored calendars by name: (id, version), for the names the policy may use.
    pub calendars: HashMap<String, (i64, i64)>,
}

impl Intake {
    /// The policy parsed (from the process's cache): after the order's own fields are checked,
    /// so a bad field is reported as such even if the stored policy could not be read.
    pub async fn policy(&self, store: &Store) -> Result<Option<(i64, i64, Arc<SlaPolicy>)>> {
        match self.policy {
            Some((id, version)) => Ok(Some((
                id,
                version,
                clocks::policy_version(store, id, version).await?,
            ))),
            None => Ok(None),
        }
    }
}

pub(super) async fn read(store: &Store, client_org_id: i64) -> Result<Intake> {
    // The stored calendars whose names occur in the policy version's definition: a superset of
    // those it names (a name the JSON had to escape is missed and read by name later), never
    // every calendar of the provider.
    let calendar_keys = match store.backend() {
        Backend::Sqlite => {
            "(SELECT json_group_array(json_array(cal.name, cal.id, cal.version)) FROM calendars cal \
             WHERE instr(pv.definition, cal.name) > 0)"
        }
        Backend::Postgres => {
            "(SELECT COALESCE(json_agg(json_build_array(cal.name, cal.id, cal.version)), '[]'::json)::text \
             FROM calendars cal WHERE strpos(pv.definition, cal.name) > 0)"
        }
    };
    // The contract in force is the newest one started and not ended today, as `in_force` says;
    // its policy, or else the default one.
    let sql = format!(
        "SELECT org.name, org.kind, org.active, ct.id AS contract_id, ct.number AS contract_number, \
         p.id AS policy_id, p.current_version AS policy_version, {calendar_keys} AS calendars \
         FROM organizations org \
         LEFT JOIN contracts ct ON ct.id = (SELECT c.id FROM contracts c WHERE c.client_org_id = org.id \
             AND c.status IN ('active', 'terminating') AND c.start_date <= $2 AND c.end_date >= $2 \
             ORDER BY c.start_date DESC, c.id DESC LIMIT 1) \
         LEFT JOIN sla_policies p ON p.id = COALESCE(ct.policy_id, \
             (SELECT d.id FROM sla_policies d WHERE d.is_default = 1 ORDER BY d.id LIMIT 1)) \
         LEFT JOIN sla_policy_versions pv ON pv.policy_id = p.id AND pv.number = p.current_version \
         WHERE org.id = $1"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(client_org_id)
        .bind(today_in(DEFAULT_ZONE).to_string())
        .fetch_optional(&store.pool)
        .await?
        .ok_or_else(|| StoreError::invalid("client_org_id", "no such client"))?;
    if row.try_get::<String, _>("kind")? != "client" || row.try_get::<i64, _>("active")? == 0 {
        return Err(StoreError::invalid(
            "client_org_id",
            "is not an active client",
        ));
    }
    let contract = match row.try_get::<Option<i64>, _>("contract_id")? {
        Some(id) => Some((id, row.try_get::<String, _>("contract_number")?)),
        None => None,
    };
    let policy = match (
        row.try_get::<Option<i64>, _>("policy_id")?,
        row.try_get::<Option<i64>, _>("policy_version")?,
    ) {
        (Some(id), Some(version)) => Some((id, version)),
        _ => None,
    };
    let keys: Vec<(String, i64, i64)> =
        serde_json::from_str(&row.try_get::<String, _>("calendars")?)
            .map_err(|e| StoreError::Format(format!("calendar keys: {e}")))?;
    Ok(Intake {
        client_name: row.try_get("name")?,
        contract,
        policy,
        calendars: keys
            .into_iter()
            .map(|(name, id, version)| (name, (id, version)))
            .collect(),
    })
}
