//! Organisations: the one provider and its client companies.

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::page::Listing;
use crate::sql::{SqlBuf, like_pattern};
use crate::{Actor, ListParams, Page, Result, Store, StoreError, audit, instant, now_ms};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    Provider,
    Client,
}

impl OrgKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Provider => "provider",
            OrgKind::Client => "client",
        }
    }
    fn parse(s: &str) -> OrgKind {
        if s == "provider" {
            OrgKind::Provider
        } else {
            OrgKind::Client
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Organization {
    pub id: i64,
    pub kind: OrgKind,
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub address: String,
    /// Provider-internal; `None` whenever a client-side actor reads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub internal_note: Option<String>,
    pub active: bool,
    /// Orders the provider refused although they were within the contract's scope.
    pub in_scope_refusals: i64,
    /// Two or more in-scope refusals: the client may terminate the contract.
    pub refusal_flag: bool,
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: jiff::Timestamp,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct NewOrganization {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub contact_name: String,
    #[serde(default)]
    pub contact_phone: String,
    #[serde(default)]
    pub contact_email: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub internal_note: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct OrganizationPatch {
    pub name: Option<String>,
    pub name_en: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub address: Option<String>,
    pub internal_note: Option<String>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone, Default)]
pub struct OrgFilter {
    pub kind: Option<OrgKind>,
    pub active: Option<bool>,
}

const COLUMNS: &str = "id, kind, code, name, name_en, contact_name, contact_phone, contact_email, \
                       address, internal_note, active, version, created_at, updated_at, \
                       (SELECT count(*) FROM orders x WHERE x.client_org_id = organizations.id \
                        AND x.state = 'refused' AND x.refused_in_scope = 1) AS in_scope_refusals";

/// Two refusals of in-scope requests entitle the client to terminate (SPEC §5).
pub const REFUSALS_FLAG: i64 = 2;

fn from_row(r: &AnyRow, actor: &Actor) -> Result<Organization> {
    Ok(Organization {
        id: r.try_get("id")?,
        kind: OrgKind::parse(&r.try_get::<String, _>("kind")?),
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        name_en: r.try_get("name_en")?,
        contact_name: r.try_get("contact_name")?,
        contact_phone: r.try_get("contact_phone")?,
        contact_email: r.try_get("contact_email")?,
        address: r.try_get("address")?,
        internal_note: if actor.is_client() {
            None
        } else {
            Some(r.try_get("internal_note")?)
        },
        active: r.try_get::<i64, _>("active")? != 0,
        in_scope_refusals: r.try_get("in_scope_refusals")?,
        refusal_flag: r.try_get::<i64, _>("in_scope_refusals")? >= REFUSALS_FLAG,
        version: r.try_get("version")?,
        created_at: instant(r.try_get("created_at")?),
        updated_at: instant(r.try_get("updated_at")?),
    })
}

fn required(field: &str, v: &str, max: usize) -> Result<String> {
    let v = v.trim();
    if v.is_empty() {
        return Err(StoreError::invalid(field, "is required"));
    }
    optional(field, v, max)
}

fn optional(field: &str, v: &str, max: usize) -> Result<String> {
    let v = v.trim();
    if v.chars().count() > max {
        return Err(StoreError::invalid(
            field,
            format!("must have at most {max} characters"),
        ));
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(StoreError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(v.to_owned())
}

fn check_code(code: &str) -> Result<String> {
    let code = required("code", code, 32)?;
    if !code
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(StoreError::invalid(
            "code",
            "may contain only letters, digits, - and _",
        ));
    }
    Ok(code.to_uppercase())
}

/// The provider organisation (there is exactly one once the installation is bootstrapped).
pub async fn provider(store: &Store) -> Result<Option<(i64, String)>> {
    let row = sqlx::query("SELECT id, name FROM organizations WHERE kind = 'provider'")
        .fetch_optional(&store.pool)
        .await?;
    row.map(|r| Ok((r.try_get("id")?, r.try_get("name")?)))
        .transpose()
}

/// Creates the provider organisation on first start; returns its id.
pub async fn ensure_provider(store: &Store, name: &str) -> Result<i64> {
    if let Some((id, _)) = provider(store).await? {
        return Ok(id);
    }
    let now = now_ms();
    let mut tx = store.pool.begin().await?;
    // Several instances may start on an empty database at once: one insert wins, the others
    // find its row.
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO organizations (kind, code, name, created_at, updated_at) \
         VALUES ('provider', 'PROVIDER', $1, $2, $2) ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(name.to_owned())
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(id) = id else {
        tx.rollback().await?;
        return provider(store)
            .await?
            .map(|(id, _)| id)
            .ok_or(StoreError::NotFound);
    };
    let system = Actor::system(id);
    audit::record(
        &mut tx,
        &system,
        None,
        "organization",
        id,
        "create",
        json!({"name": name, "kind": "provider"}),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn list(
    store: &Store,
    actor: &Actor,
    filter: &OrgFilter,
    params: &ListParams,
) -> Result<Page<Organization>> {
    let mut w = SqlBuf::new(" WHERE 1 = 1");
    if let Some(org) = actor.client_scope() {
        w.push(" AND id = ").bind(org);
    }
    if let Some(k) = filter.kind {
        w.push(" AND kind = ").bind(k.as_str());
    }
    if let Some(a) = filter.active {
        w.push(" AND active = ").bind(i64::from(a));
    }
    if let Some(q) = params.q() {
        let p = like_pattern(q);
        w.push(" AND (lower(name) LIKE ")
            .bind(p.clone())
            .push(" ESCAPE '\\' OR lower(name_en) LIKE ")
            .bind(p.clone())
            .push(" ESCAPE '\\' OR lower(code) LIKE ")
            .bind(p)
            .push(" ESCAPE '\\')");
    }
    Listing {
        select: &format!("SELECT {COLUMNS} FROM organizations"),
        count: "SELECT count(*) FROM organizations",
        sorts: &[
            ("name", "name"),
            ("code", "code"),
            ("created_at", "created_at"),
            ("id", "id"),
        ],
        default_sort: "kind DESC, name",
        id: "id",
    }
    .page(store, params, w, |r| from_row(r, actor))
    .await
}

pub async fn get(store: &Store, actor: &Actor, id: i64) -> Result<Organization> {
    if let Some(org) = actor.client_scope()
        && org != id
    {
        return Err(StoreError::NotFound);
    }
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM organizations WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&store.pool)
    .await?
    .ok_or(StoreError::NotFound)?;
    from_row(&row, actor)
}

pub async fn create(store: &Store, actor: &Actor, new: &NewOrganization) -> Result<Organization> {
    if !actor.role.can_administer() {
        return Err(StoreError::Forbidden(
            "only administrators create organisations",
        ));
    }
    let code = check_code(&new.code)?;
    let name = required("name", &new.name, 200)?;
    let name_en = optional("name_en", &new.name_en, 200)?;
    let contact_name = optional("contact_name", &new.contact_name, 100)?;
    let contact_phone = optional("contact_phone", &new.contact_phone, 50)?;
    let contact_email = optional("contact_email", &new.contact_email, 200)?;
    let address = optional("address", &new.address, 500)?;
    let internal_note = optional("internal_note", &new.internal_note, 5000)?;
    let now = now_ms();
    let mut tx = store.pool.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO organizations (kind, code, name, name_en, contact_name, contact_phone, \
         contact_email, address, internal_note, created_at, updated_at) \
         VALUES ('client', $1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
    )
    .bind(code.clone())
    .bind(name.clone())
    .bind(name_en)
    .bind(contact_name)
    .bind(contact_phone)
    .bind(contact_email)
    .bind(address)
    .bind(internal_note)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        actor,
        Some(id),
        "organization",
        id,
        "create",
        json!({"code": code, "name": name}),
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

pub async fn update(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: i64,
    patch: &OrganizationPatch,
) -> Result<Organization> {
    let current = get(store, actor, id).await?;
    if !actor.role.can_administer() {
        return Err(StoreError::Forbidden(
            "only administrators change organisations",
        ));
    }
    let mut next = current.clone();
    if let Some(v) = &patch.name {
        next.name = required("name", v, 200)?;
    }
    if let Some(v) = &patch.name_en {
        next.name_en = optional("name_en", v, 200)?;
    }
    if let Some(v) = &patch.contact_name {
        next.contact_name = optional("contact_name", v, 100)?;
    }
    if let Some(v) = &patch.contact_phone {
        next.contact_phone = optional("contact_phone", v, 50)?;
    }
    if let Some(v) = &patch.contact_email {
        next.contact_email = optional("contact_email", v, 200)?;
    }
    if let Some(v) = &patch.address {
        next.address = optional("address", v, 500)?;
    }
    if let Some(v) = &patch.internal_note {
        next.internal_note = Some(optional("internal_note", v, 5000)?);
    }
    if let Some(a) = patch.active {
        if current.kind == OrgKind::Provider && !a {
            return Err(StoreError::invalid(
                "active",
                "the provider cannot be deactivated",
            ));
        }
        next.active = a;
    }
    let mut tx = store.pool.begin().await?;
    let done = sqlx::query(
        "UPDATE organizations SET name = $1, name_en = $2, contact_name = $3, contact_phone = $4, \
         contact_email = $5, address = $6, internal_note = $7, active = $8, \
         version = version + 1, updated_at = $9 WHERE id = $10 AND version = $11",
    )
    .bind(next.name.clone())
    .bind(next.name_en.clone())
    .bind(next.contact_name.clone())
    .bind(next.contact_phone.clone())
    .bind(next.contact_email.clone())
    .bind(next.address.clone())
    .bind(next.internal_note.clone().unwrap_or_default())
    .bind(i64::from(next.active))
    .bind(now_ms())
    .bind(id)
    .bind(version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict {
            current: current.version,
        });
    }
    audit::record(
        &mut tx,
        actor,
        Some(id),
        "organization",
        id,
        "update",
        crate::diff(&current, &next),
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}
