//! The clients' device registries (SPEC §6): assets with provider-unique tags, their history
//! (orders, visits, parts), the registry the client admin confirms with a signature (and the
//! difference since), imports with a row-by-row preview, exports, the warranty view, and the
//! asset types with their application-scale coefficients.

use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::Row;
use sqlx::any::AnyRow;
use weihu_domain::scale::{self, TypeCount};

use crate::orders::text;
use crate::page::Listing;
use crate::sql::{SqlBuf, like_pattern};
use crate::{Actor, ListParams, Page, Result, Store, StoreError, audit, ms_to_rfc3339, now_ms};

pub const STATUSES: [&str; 3] = ["in_use", "in_repair", "retired"];

// ---- asset types ------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct AssetType {
    pub code: String,
    pub name: String,
    pub name_en: String,
    /// Application-scale coefficient as a decimal string (PCs are "1").
    pub coefficient: String,
    /// Visit category for per-visit pricing: pc, network, peripheral, server.
    pub category: String,
    #[serde(default)]
    pub version: i64,
}

pub async fn types(store: &Store) -> Result<Vec<AssetType>> {
    let rows = sqlx::query(
        "SELECT code, name, name_en, coefficient, category, version FROM asset_types ORDER BY sort, code",
    )
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AssetType {
                code: r.try_get("code")?,
                name: r.try_get("name")?,
                name_en: r.try_get("name_en")?,
                coefficient: r.try_get("coefficient")?,
                category: r.try_get("category")?,
                version: r.try_get("version")?,
            })
        })
        .collect()
}

fn coefficient(field: &str, v: &str) -> Result<Decimal> {
    let d: Decimal = v
        .trim()
        .parse()
        .map_err(|_| StoreError::invalid(field, "must be a decimal number such as 0.5"))?;
    if d < Decimal::ZERO || d > Decimal::from(1000) {
        return Err(StoreError::invalid(field, "must be 0 to 1000"));
    }
    Ok(d.normalize())
}

/// Adds an asset type or changes one's names, coefficient or category (service level managers
/// and administrators).
pub async fn put_type(store: &Store, actor: &Actor, t: &AssetType) -> Result<AssetType> {
    if !actor.role.can_manage_asset_types() {
        return Err(StoreError::Forbidden(
            "only administrators and service level managers change asset types",
        ));
    }
    let code = text("code", &t.code, 32, true)?.to_lowercase();
    if !code
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(StoreError::invalid(
            "code",
            "may contain only a-z, 0-9, - and _",
        ));
    }
    let name = text("name", &t.name, 100, true)?;
    let name_en = text("name_en", &t.name_en, 100, false)?;
    let coef = coefficient("coefficient", &t.coefficient)?;
    if !["pc", "network", "peripheral", "server"].contains(&t.category.as_str()) {
        return Err(StoreError::invalid(
            "category",
            "must be one of: pc, network, peripheral, server",
        ));
    }
    let mut tx = store.pool.begin().await?;
    sqlx::query(
        "INSERT INTO asset_types (code, name, name_en, coefficient, category, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_en = excluded.name_en, \
         coefficient = excluded.coefficient, category = excluded.category, \
         version = asset_types.version + 1, updated_at = excluded.updated_at",
    )
    .bind(code.clone())
    .bind(name)
    .bind(name_en)
    .bind(coef.to_string())
    .bind(t.category.clone())
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        actor,
        None,
        "asset_type",
        code.clone(),
        "put",
        json!({"coefficient": coef.to_string(), "category": t.category}),
    )
    .await?;
    tx.commit().await?;
    types(store)
        .await?
        .into_iter()
        .find(|x| x.code == code)
        .ok_or(StoreError::NotFound)
}

// ---- assets -----------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Asset {
    pub id: i64,
    pub client_org_id: i64,
    pub client_name: String,
    pub asset_type: String,
    /// Unique across the provider's clients; printed on the label.
    pub tag: String,
    pub serial: String,
    pub model: String,
    pub location: String,
    /// Who uses it.
    pub owner: String,
    /// `YYYY-MM-DD`.
    pub warranty_end: Option<String>,
    pub under_contract: bool,
    /// in_use, in_repair, retired.
    pub status: String,
    pub notes: String,
    /// Free fields the provider or client keeps (text values).
    #[schema(value_type = Object)]
    pub custom_fields: Value,
    /// Service orders on this asset that were faults (not cancelled).
    pub fault_count: i64,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct AssetInput {
    /// Required on create for provider staff; a client admin's own organisation otherwise.
    pub client_org_id: Option<i64>,
    pub asset_type: Option<String>,
    /// Empty on create: Weihu generates one (`CLIENT-TYPE-0001`).
    pub tag: Option<String>,
    pub serial: Option<String>,
    pub model: Option<String>,
    pub location: Option<String>,
    pub owner: Option<String>,
    /// `YYYY-MM-DD`; empty clears it.
    pub warranty_end: Option<String>,
    pub under_contract: Option<bool>,
    pub status: Option<String>,
    pub notes: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<Value>,
}

#[derive(Debug, Clone, Default)]
pub struct AssetFilter {
    pub client_org_id: Option<i64>,
    pub asset_type: Option<String>,
    pub status: Option<String>,
    /// Warranty ends within this many days from today (and has not ended).
    pub warranty_within_days: Option<i64>,
}

const SELECT: &str = "SELECT a.id, a.client_org_id, o.name AS client_name, a.asset_type, a.tag, a.serial, a.model, \
     a.location, a.owner, a.warranty_end, a.under_contract, a.status, a.notes, a.custom_fields, a.version, \
     a.created_at, a.updated_at, \
     (SELECT count(*) FROM orders x WHERE x.asset_id = a.id AND x.state <> 'cancelled') AS fault_count \
     FROM assets a JOIN organizations o ON o.id = a.client_org_id";

fn from_row(r: &AnyRow) -> Result<Asset> {
    let custom: String = r.try_get("custom_fields")?;
    Ok(Asset {
        id: r.try_get("id")?,
        client_org_id: r.try_get("client_org_id")?,
        client_name: r.try_get("client_name")?,
        asset_type: r.try_get("asset_type")?,
        tag: r.try_get("tag")?,
        serial: r.try_get("serial")?,
        model: r.try_get("model")?,
        location: r.try_get("location")?,
        owner: r.try_get("owner")?,
        warranty_end: r.try_get("warranty_end")?,
        under_contract: r.try_get::<i64, _>("under_contract")? != 0,
        status: r.try_get("status")?,
        notes: r.try_get("notes")?,
        custom_fields: serde_json::from_str(&custom).unwrap_or_else(|_| json!({})),
        fault_count: r.try_get("fault_count")?,
        version: r.try_get("version")?,
        created_at: ms_to_rfc3339(r.try_get("created_at")?),
        updated_at: ms_to_rfc3339(r.try_get("updated_at")?),
    })
}

fn may_read(actor: &Actor) -> Result<()> {
    if !actor.role.can_read_registry() {
        return Err(StoreError::Forbidden(
            "client users do not see the registry",
        ));
    }
    Ok(())
}

/// Provider staff who keep registries, and the client admin for their own.
fn may_write(actor: &Actor) -> Result<()> {
    if actor.role.can_write_registry() {
        Ok(())
    } else {
        Err(StoreError::Forbidden(
            "your role does not change the registry",
        ))
    }
}

fn today() -> Date {
    crate::contracts::today_in(crate::contracts::DEFAULT_ZONE)
}

fn scope(w: &mut SqlBuf, actor: &Actor) {
    if let Some(org) = actor.client_scope() {
        w.push(" AND a.client_org_id = ").bind(org);
    }
}

pub async fn list(
    store: &Store,
    actor: &Actor,
    filter: &AssetFilter,
    params: &ListParams,
) -> Result<Page<Asset>> {
    may_read(actor)?;
    let mut w = SqlBuf::new(" WHERE 1 = 1");
    scope(&mut w, actor);
    if let Some(c) = filter.client_org_id {
        w.push(" AND a.client_org_id = ").bind(c);
    }
    if let Some(t) = &filter.asset_type {
        w.push(" AND a.asset_type = ").bind(t.clone());
    }
    if let Some(s) = &filter.status {
        if !STATUSES.contains(&s.as_str()) {
            return Err(StoreError::invalid(
                "status",
                format!("must be one of: {}", STATUSES.join(", ")),
            ));
        }
        w.push(" AND a.status = ").bind(s.clone());
    }
    if let Some(days) = filter.warranty_within_days {
        if !(1..=3650).contains(&days) {
            return Err(StoreError::invalid(
                "warranty_within_days",
                "must be 1 to 3650",
            ));
        }
        let t = today();
        let until = t
            .checked_add(jiff::Span::new().days(days))
            .map_err(|e| StoreError::Format(e.to_string()))?;
        w.push(" AND a.warranty_end >= ")
            .bind(t.to_string())
            .push(" AND a.warranty_end <= ")
            .bind(until.to_string())
            .push(" AND a.status <> 'retired'");
    }
    if let Some(q) = params.q() {
        let p = like_pattern(q);
        w.push(" AND (lower(a.tag) LIKE ")
            .bind(p.clone())
            .push(" ESCAPE '\\' OR lower(a.serial) LIKE ")
            .bind(p.clone())
            .push(" ESCAPE '\\' OR lower(a.model) LIKE ")
            .bind(p.clone())
            .push(" ESCAPE '\\' OR lower(a.location) LIKE ")
            .bind(p.clone())
            .push(" ESCAPE '\\' OR lower(a.owner) LIKE ")
            .bind(p)
            .push(" ESCAPE '\\')");
    }
    Listing {
        select: SELECT,
        count: "SELECT count(*) FROM assets a",
        sorts: &[
            ("tag", "a.tag"),
            ("asset_type", "a.asset_type"),
            ("warranty_end", "a.warranty_end"),
            ("location", "a.location"),
            ("client", "o.name"),
        ],
        default_sort: if filter.warranty_within_days.is_some() {
            "a.warranty_end"
        } else {
            "o.name, a.tag"
        },
        id: "a.id",
    }
    .page(store, params, w, from_row)
    .await
}

pub async fn get(store: &Store, actor: &Actor, id: i64) -> Result<Asset> {
    if !actor.role.can_read_registry() {
        return Err(StoreError::NotFound);
    }
    let mut w = SqlBuf::new(SELECT);
    w.push(" WHERE a.id = ").bind(id);
    scope(&mut w, actor);
    let row = w
        .query()
        .fetch_optional(&store.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
    from_row(&row)
}

/// Validated fields of an asset, ready to write.
struct Fields {
    asset_type: String,
    serial: String,
    model: String,
    location: String,
    owner: String,
    warranty_end: Option<String>,
    under_contract: bool,
    status: String,
    notes: String,
    custom: String,
}

fn opt_date(field: &str, v: &str) -> Result<Option<String>> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    // Spreadsheets write dates as 2027/03/31 or 2027.3.31 as often as 2027-03-31.
    let normal: String = v.replace(['/', '.'], "-");
    let parts: Vec<&str> = normal.split('-').collect();
    let parsed = match parts.as_slice() {
        [y, m, d] => match (y.parse::<i16>(), m.parse::<i8>(), d.parse::<i8>()) {
            (Ok(y), Ok(m), Ok(d)) => Date::new(y, m, d).ok(),
            _ => None,
        },
        _ => None,
    };
    parsed
        .map(|d| Some(d.to_string()))
        .ok_or_else(|| StoreError::invalid(field, format!("`{v}` is not a date YYYY-MM-DD")))
}

fn fields(base: Option<&Asset>, i: &AssetInput, known_types: &[AssetType]) -> Result<Fields> {
    let pick = |v: &Option<String>, old: Option<&String>| -> String {
        v.clone().or_else(|| old.cloned()).unwrap_or_default()
    };
    let asset_type = pick(&i.asset_type, base.map(|b| &b.asset_type))
        .trim()
        .to_lowercase();
    if !known_types.iter().any(|t| t.code == asset_type) {
        return Err(StoreError::invalid(
            "asset_type",
            format!(
                "`{asset_type}` is not a known type ({})",
                known_types
                    .iter()
                    .map(|t| t.code.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let status = pick(&i.status, base.map(|b| &b.status));
    let status = if status.is_empty() {
        "in_use".to_owned()
    } else {
        status
    };
    if !STATUSES.contains(&status.as_str()) {
        return Err(StoreError::invalid(
            "status",
            format!("must be one of: {}", STATUSES.join(", ")),
        ));
    }
    let warranty_end = match &i.warranty_end {
        Some(v) => opt_date("warranty_end", v)?,
        None => base.and_then(|b| b.warranty_end.clone()),
    };
    let custom = match &i.custom_fields {
        Some(Value::Object(m)) => {
            if m.len() > 50 {
                return Err(StoreError::invalid("custom_fields", "at most 50 fields"));
            }
            for (k, v) in m {
                text("custom_fields", k, 100, true)?;
                if !(v.is_string() || v.is_number() || v.is_boolean() || v.is_null()) {
                    return Err(StoreError::invalid(
                        "custom_fields",
                        format!("`{k}` must be text, a number or true/false"),
                    ));
                }
                if let Some(s) = v.as_str() {
                    text("custom_fields", s, 1000, false)?;
                }
            }
            Value::Object(m.clone()).to_string()
        }
        Some(Value::Null) | None => {
            base.map_or_else(|| "{}".into(), |b| b.custom_fields.to_string())
        }
        Some(_) => return Err(StoreError::invalid("custom_fields", "must be an object")),
    };
    Ok(Fields {
        asset_type,
        serial: text(
            "serial",
            &pick(&i.serial, base.map(|b| &b.serial)),
            100,
            false,
        )?,
        model: text("model", &pick(&i.model, base.map(|b| &b.model)), 200, false)?,
        location: text(
            "location",
            &pick(&i.location, base.map(|b| &b.location)),
            200,
            false,
        )?,
        owner: text("owner", &pick(&i.owner, base.map(|b| &b.owner)), 100, false)?,
        warranty_end,
        under_contract: i
            .under_contract
            .or(base.map(|b| b.under_contract))
            .unwrap_or(true),
        status,
        notes: text(
            "notes",
            &pick(&i.notes, base.map(|b| &b.notes)),
            5000,
            false,
        )?,
        custom,
    })
}

fn check_tag(v: &str) -> Result<String> {
    let t = text("tag", v, 64, true)?.to_uppercase();
    if !t
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
    {
        return Err(StoreError::invalid(
            "tag",
            "may contain only letters, digits, -, _ and .",
        ));
    }
    Ok(t)
}

/// The one refusal a client-side user gets for a tag they may not give, whether it does not
/// start with their organisation's prefix or is held by another client: the same text either
/// way, so a client never learns which tags other clients hold.
fn tag_refused(code: &str, tag: &str) -> StoreError {
    StoreError::invalid(
        "tag",
        format!(
            "`{tag}` cannot be used: tags you give start with `{}-` (leave the tag empty for a generated one)",
            code.to_uppercase()
        ),
    )
}

/// Whether a client-side actor may give `tag` to an asset of `client` (whose code is `code`):
/// only under the client's own prefix, and only if no other client holds it. A tag the client
/// already holds is theirs to keep; provider staff may give any tag (tags stay unique across
/// the provider).
async fn check_client_tag(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    client: i64,
    code: &str,
    tag: &str,
) -> Result<()> {
    if actor.client_scope().is_none() {
        return Ok(());
    }
    let owner: Option<i64> = sqlx::query_scalar("SELECT client_org_id FROM assets WHERE tag = $1")
        .bind(tag.to_owned())
        .fetch_optional(&mut *conn)
        .await?;
    match owner {
        Some(o) if o == client => Err(StoreError::Duplicate {
            field: "tag".into(),
        }),
        Some(_) => Err(tag_refused(code, tag)),
        None if !fits_prefix(code, tag) => Err(tag_refused(code, tag)),
        None => Ok(()),
    }
}

fn fits_prefix(code: &str, tag: &str) -> bool {
    tag.strip_prefix(&code.to_uppercase())
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|rest| !rest.is_empty())
}

async fn client_code(conn: &mut sqlx::AnyConnection, org: i64) -> Result<String> {
    let row: Option<(String, String)> =
        sqlx::query("SELECT code, kind FROM organizations WHERE id = $1")
            .bind(org)
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| Ok::<_, StoreError>((r.try_get("code")?, r.try_get("kind")?)))
            .transpose()?;
    match row {
        Some((code, kind)) if kind == "client" => Ok(code),
        _ => Err(StoreError::invalid(
            "client_org_id",
            "is not a client organisation",
        )),
    }
}

/// The next generated tag for a client and type, e.g. `HDJM-DESKTOP-0007` (gap-free per prefix,
/// skipping tags someone typed by hand).
async fn next_tag(
    conn: &mut sqlx::AnyConnection,
    client: &str,
    asset_type: &str,
) -> Result<String> {
    let prefix = format!("{client}-{}", asset_type.to_uppercase());
    loop {
        let seq: i64 = sqlx::query_scalar(
            "INSERT INTO asset_tag_counters (prefix, last) VALUES ($1, 1) \
             ON CONFLICT (prefix) DO UPDATE SET last = asset_tag_counters.last + 1 RETURNING last",
        )
        .bind(prefix.clone())
        .fetch_one(&mut *conn)
        .await?;
        let tag = format!("{prefix}-{seq:04}");
        let taken: i64 = sqlx::query_scalar("SELECT count(*) FROM assets WHERE tag = $1")
            .bind(tag.clone())
            .fetch_one(&mut *conn)
            .await?;
        if taken == 0 {
            return Ok(tag);
        }
    }
}

fn target_client(actor: &Actor, given: Option<i64>) -> Result<i64> {
    match actor.client_scope() {
        Some(own) => Ok(own),
        None => given.ok_or_else(|| StoreError::invalid("client_org_id", "is required")),
    }
}

async fn insert(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    client: i64,
    tag: &str,
    f: &Fields,
    now: i64,
) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO assets (client_org_id, asset_type, tag, serial, model, location, owner, warranty_end, \
         under_contract, status, notes, custom_fields, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) RETURNING id",
    )
    .bind(client)
    .bind(f.asset_type.clone())
    .bind(tag.to_owned())
    .bind(f.serial.clone())
    .bind(f.model.clone())
    .bind(f.location.clone())
    .bind(f.owner.clone())
    .bind(f.warranty_end.clone())
    .bind(i64::from(f.under_contract))
    .bind(f.status.clone())
    .bind(f.notes.clone())
    .bind(f.custom.clone())
    .bind(actor.audit_id())
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    audit::record(
        conn,
        actor,
        Some(client),
        "asset",
        id,
        "create",
        json!({"tag": tag, "type": f.asset_type}),
    )
    .await?;
    Ok(id)
}

async fn write_update(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    current: &Asset,
    version: Option<i64>,
    f: &Fields,
    tag: &str,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE assets SET asset_type = $1, tag = $2, serial = $3, model = $4, location = $5, owner = $6, \
         warranty_end = $7, under_contract = $8, status = $9, notes = $10, custom_fields = $11, \
         version = version + 1, updated_at = $12 WHERE id = $13 AND version = $14",
    )
    .bind(f.asset_type.clone())
    .bind(tag.to_owned())
    .bind(f.serial.clone())
    .bind(f.model.clone())
    .bind(f.location.clone())
    .bind(f.owner.clone())
    .bind(f.warranty_end.clone())
    .bind(i64::from(f.under_contract))
    .bind(f.status.clone())
    .bind(f.notes.clone())
    .bind(f.custom.clone())
    .bind(now_ms())
    .bind(current.id)
    .bind(version.unwrap_or(current.version))
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict {
            current: current.version,
        });
    }
    let mut next = current.clone();
    next.asset_type = f.asset_type.clone();
    next.tag = tag.to_owned();
    next.serial = f.serial.clone();
    next.model = f.model.clone();
    next.location = f.location.clone();
    next.owner = f.owner.clone();
    next.warranty_end = f.warranty_end.clone();
    next.under_contract = f.under_contract;
    next.status = f.status.clone();
    next.notes = f.notes.clone();
    audit::record(
        conn,
        actor,
        Some(current.client_org_id),
        "asset",
        current.id,
        "update",
        crate::diff(current, &next),
    )
    .await
}

pub async fn create(store: &Store, actor: &Actor, i: &AssetInput) -> Result<Asset> {
    may_write(actor)?;
    let client = target_client(actor, i.client_org_id)?;
    let known = types(store).await?;
    let f = fields(None, i, &known)?;
    let given = i
        .tag
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(check_tag)
        .transpose()?;
    let mut tx = store.pool.begin().await?;
    let code = client_code(&mut tx, client).await?;
    let tag = match given {
        Some(t) => {
            check_client_tag(&mut tx, actor, client, &code, &t).await?;
            t
        }
        None => next_tag(&mut tx, &code, &f.asset_type).await?,
    };
    let id = insert(&mut tx, actor, client, &tag, &f, now_ms()).await?;
    tx.commit().await?;
    get(store, actor, id).await
}

pub async fn update(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: i64,
    i: &AssetInput,
) -> Result<Asset> {
    let current = get(store, actor, id).await?;
    may_write(actor)?;
    let known = types(store).await?;
    let f = fields(Some(&current), i, &known)?;
    let tag = match i.tag.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => check_tag(t)?,
        None => current.tag.clone(),
    };
    let mut tx = store.pool.begin().await?;
    if tag != current.tag {
        let code = client_code(&mut tx, current.client_org_id).await?;
        check_client_tag(&mut tx, actor, current.client_org_id, &code, &tag).await?;
    }
    write_update(&mut tx, actor, &current, Some(version), &f, &tag).await?;
    tx.commit().await?;
    get(store, actor, id).await
}

// ---- history ----------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    /// order, visit, part.
    pub kind: String,
    pub at: String,
    pub order_id: i64,
    pub order_number: String,
    pub text: String,
}

/// The asset's orders, visits and installed parts, newest first.
pub async fn history(store: &Store, actor: &Actor, id: i64) -> Result<Vec<HistoryEntry>> {
    get(store, actor, id).await?;
    let mut out = Vec::new();
    let rows = sqlx::query(
        "SELECT o.id, o.number, o.subject, o.state, o.created_at FROM orders o WHERE o.asset_id = $1 \
         ORDER BY o.created_at DESC LIMIT 200",
    )
    .bind(id)
    .fetch_all(&store.pool)
    .await?;
    for r in rows {
        out.push(HistoryEntry {
            kind: "order".into(),
            at: ms_to_rfc3339(r.try_get("created_at")?),
            order_id: r.try_get("id")?,
            order_number: r.try_get("number")?,
            text: format!(
                "{} ({})",
                r.try_get::<String, _>("subject")?,
                r.try_get::<String, _>("state")?
            ),
        });
    }
    let rows = sqlx::query(
        "SELECT o.id, o.number, v.kind, v.check_in_at, v.decided_at, u.display_name FROM order_visits v \
         JOIN orders o ON o.id = v.order_id LEFT JOIN users u ON u.id = v.engineer_id \
         WHERE o.asset_id = $1 ORDER BY v.decided_at DESC LIMIT 200",
    )
    .bind(id)
    .fetch_all(&store.pool)
    .await?;
    for r in rows {
        let at: Option<i64> = r.try_get("check_in_at")?;
        out.push(HistoryEntry {
            kind: "visit".into(),
            at: ms_to_rfc3339(at.unwrap_or(r.try_get("decided_at")?)),
            order_id: r.try_get("id")?,
            order_number: r.try_get("number")?,
            text: format!(
                "{} · {}",
                r.try_get::<String, _>("kind")?,
                r.try_get::<Option<String>, _>("display_name")?
                    .unwrap_or_default()
            ),
        });
    }
    let rows = sqlx::query(
        "SELECT o.id, o.number, p.name, p.model, p.quantity, p.installed_at FROM order_parts p \
         JOIN orders o ON o.id = p.order_id WHERE o.asset_id = $1 AND p.state = 'installed' \
         ORDER BY p.installed_at DESC LIMIT 200",
    )
    .bind(id)
    .fetch_all(&store.pool)
    .await?;
    for r in rows {
        out.push(HistoryEntry {
            kind: "part".into(),
            at: ms_to_rfc3339(r.try_get::<Option<i64>, _>("installed_at")?.unwrap_or(0)),
            order_id: r.try_get("id")?,
            order_number: r.try_get("number")?,
            text: format!(
                "{} {} × {}",
                r.try_get::<String, _>("name")?,
                r.try_get::<String, _>("model")?,
                r.try_get::<i64, _>("quantity")?
            ),
        });
    }
    out.sort_by(|a, b| b.at.cmp(&a.at));
    Ok(out)
}

// ---- application scale ------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClientScale {
    pub client_org_id: i64,
    /// PCs × 1 + Σ others × coefficient, over the assets in use or in repair.
    pub scale: String,
    /// per_visit, monthly_capped or monthly_unlimited (SPEC §6 thresholds).
    pub recommended_model: String,
    pub residents_needed: u32,
    pub by_type: Vec<TypeScale>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TypeScale {
    pub asset_type: String,
    pub count: u32,
    pub coefficient: String,
    pub weighted: String,
}

/// Counts and coefficients as the domain's inventory.
pub fn inventory(counts: &BTreeMap<String, u32>, known: &[AssetType]) -> Result<Vec<TypeCount>> {
    counts
        .iter()
        .map(|(code, n)| {
            let t = known.iter().find(|t| &t.code == code).ok_or_else(|| {
                StoreError::invalid("asset_type", format!("`{code}` is not a known type"))
            })?;
            Ok(TypeCount {
                asset_type: code.clone(),
                count: *n,
                coefficient: coefficient("coefficient", &t.coefficient)?,
                category: t.category.clone(),
            })
        })
        .collect()
}

pub fn scale_of(client_org_id: i64, inv: &[TypeCount]) -> ClientScale {
    let s = scale::application_scale(inv);
    ClientScale {
        client_org_id,
        scale: s.to_string(),
        recommended_model: scale::recommend(s).model().into(),
        residents_needed: scale::residents_needed(s),
        by_type: inv
            .iter()
            .map(|t| TypeScale {
                asset_type: t.asset_type.clone(),
                count: t.count,
                coefficient: t.coefficient.to_string(),
                weighted: t.weighted().normalize().to_string(),
            })
            .collect(),
    }
}

/// A client's application scale from its registry.
pub async fn client_scale(store: &Store, actor: &Actor, client_org_id: i64) -> Result<ClientScale> {
    crate::organizations::get(store, actor, client_org_id).await?;
    may_read(actor)?;
    let rows = sqlx::query(
        "SELECT asset_type, count(*) AS n FROM assets WHERE client_org_id = $1 AND status <> 'retired' \
         GROUP BY asset_type",
    )
    .bind(client_org_id)
    .fetch_all(&store.pool)
    .await?;
    let mut counts = BTreeMap::new();
    for r in rows {
        counts.insert(
            r.try_get::<String, _>("asset_type")?,
            u32::try_from(r.try_get::<i64, _>("n")?).unwrap_or(u32::MAX),
        );
    }
    let known = types(store).await?;
    Ok(scale_of(client_org_id, &inventory(&counts, &known)?))
}

// ---- confirmation -----------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct SnapshotRow {
    pub tag: String,
    pub asset_type: String,
    pub serial: String,
    pub model: String,
    pub location: String,
    pub status: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Confirmation {
    pub id: i64,
    pub client_org_id: i64,
    pub as_of: String,
    pub signer_name: String,
    pub confirmed_at: String,
    pub count: usize,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegistryDiff {
    /// The confirmation compared with; none when the registry was never confirmed.
    pub confirmation: Option<Confirmation>,
    pub added: Vec<SnapshotRow>,
    pub removed: Vec<SnapshotRow>,
    /// (as confirmed, now).
    pub changed: Vec<(SnapshotRow, SnapshotRow)>,
}

async fn snapshot(store: &Store, client: i64) -> Result<Vec<SnapshotRow>> {
    let rows = sqlx::query(
        "SELECT tag, asset_type, serial, model, location, status FROM assets WHERE client_org_id = $1 \
         AND status <> 'retired' ORDER BY tag",
    )
    .bind(client)
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(SnapshotRow {
                tag: r.try_get("tag")?,
                asset_type: r.try_get("asset_type")?,
                serial: r.try_get("serial")?,
                model: r.try_get("model")?,
                location: r.try_get("location")?,
                status: r.try_get("status")?,
            })
        })
        .collect()
}

/// The client admin confirms the registry as it is today, signing on screen.
pub async fn confirm(
    store: &Store,
    actor: &Actor,
    client_org_id: i64,
    signer_name: &str,
    png: &[u8],
) -> Result<Confirmation> {
    crate::organizations::get(store, actor, client_org_id).await?;
    if !actor.role.can_confirm_registry() {
        return Err(StoreError::Forbidden(
            "the client's administrator confirms the registry",
        ));
    }
    let signer = text("signer_name", signer_name, 100, true)?;
    if png.len() > 512 * 1024 {
        return Err(StoreError::invalid(
            "image",
            "must be a PNG of at most 512 KB",
        ));
    }
    crate::images::check_signature_png("image", png)?;
    use base64::Engine;
    let rows = snapshot(store, client_org_id).await?;
    let count = rows.len();
    let as_of = today().to_string();
    let now = now_ms();
    let mut tx = store.pool.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO asset_confirmations (client_org_id, as_of, snapshot, signer_name, image_png, confirmed_by, confirmed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(client_org_id)
    .bind(as_of.clone())
    .bind(serde_json::to_string(&rows).map_err(|e| StoreError::Format(e.to_string()))?)
    .bind(signer.clone())
    .bind(base64::engine::general_purpose::STANDARD.encode(png))
    .bind(actor.audit_id())
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        actor,
        Some(client_org_id),
        "asset_registry",
        id,
        "confirm",
        json!({"as_of": as_of, "assets": count, "signer": signer}),
    )
    .await?;
    tx.commit().await?;
    Ok(Confirmation {
        id,
        client_org_id,
        as_of,
        signer_name: signer,
        confirmed_at: ms_to_rfc3339(now),
        count,
    })
}

/// The registry now against the last confirmation.
pub async fn diff(store: &Store, actor: &Actor, client_org_id: i64) -> Result<RegistryDiff> {
    crate::organizations::get(store, actor, client_org_id).await?;
    may_read(actor)?;
    let last = sqlx::query(
        "SELECT id, as_of, snapshot, signer_name, confirmed_at FROM asset_confirmations \
         WHERE client_org_id = $1 ORDER BY confirmed_at DESC, id DESC LIMIT 1",
    )
    .bind(client_org_id)
    .fetch_optional(&store.pool)
    .await?;
    let now = snapshot(store, client_org_id).await?;
    let Some(r) = last else {
        return Ok(RegistryDiff {
            confirmation: None,
            added: now,
            removed: Vec::new(),
            changed: Vec::new(),
        });
    };
    let then: Vec<SnapshotRow> = serde_json::from_str(&r.try_get::<String, _>("snapshot")?)
        .map_err(|e| StoreError::Format(e.to_string()))?;
    let old: HashMap<&str, &SnapshotRow> = then.iter().map(|s| (s.tag.as_str(), s)).collect();
    let new: HashMap<&str, &SnapshotRow> = now.iter().map(|s| (s.tag.as_str(), s)).collect();
    let added = now
        .iter()
        .filter(|s| !old.contains_key(s.tag.as_str()))
        .cloned()
        .collect();
    let removed = then
        .iter()
        .filter(|s| !new.contains_key(s.tag.as_str()))
        .cloned()
        .collect();
    let changed = now
        .iter()
        .filter_map(|s| {
            old.get(s.tag.as_str())
                .filter(|o| **o != s)
                .map(|o| ((*o).clone(), s.clone()))
        })
        .collect();
    Ok(RegistryDiff {
        confirmation: Some(Confirmation {
            id: r.try_get("id")?,
            client_org_id,
            as_of: r.try_get("as_of")?,
            signer_name: r.try_get("signer_name")?,
            confirmed_at: ms_to_rfc3339(r.try_get("confirmed_at")?),
            count: then.len(),
        }),
        added,
        removed,
        changed,
    })
}

// ---- import and export ------------------------------------------------------------------

/// Column names understood by the importer (Chinese or English headers).
const COLUMNS: &[(&str, &[&str])] = &[
    ("tag", &["tag", "asset tag", "资产标签", "标签", "资产编号"]),
    ("asset_type", &["type", "asset_type", "类型", "设备类型"]),
    ("serial", &["serial", "serial number", "序列号", "sn"]),
    ("model", &["model", "型号", "品牌型号"]),
    ("location", &["location", "位置", "安装位置"]),
    ("owner", &["owner", "user", "使用人", "责任人"]),
    (
        "warranty_end",
        &["warranty_end", "warranty", "保修到期", "保修截止"],
    ),
    (
        "under_contract",
        &["under_contract", "in contract", "在保", "纳入合同"],
    ),
    ("status", &["status", "状态"]),
    ("notes", &["notes", "备注"]),
];

/// What the import will do with one row.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RowPlan {
    /// The row's line in the file (the header is line 1).
    pub line: usize,
    /// create, update or reject.
    pub action: String,
    pub tag: String,
    /// Why a row is rejected (field: message).
    pub reason: Option<String>,
    #[serde(skip)]
    input: AssetInput,
    #[serde(skip)]
    existing: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportPlan {
    pub client_org_id: i64,
    pub rows: Vec<RowPlan>,
    pub creates: usize,
    pub updates: usize,
    pub rejects: usize,
    /// Set once written.
    pub applied: bool,
}

fn bool_cell(v: &str) -> Option<bool> {
    match v.trim().to_lowercase().as_str() {
        "" => None,
        "1" | "true" | "yes" | "y" | "是" | "在保" => Some(true),
        _ => Some(false),
    }
}

/// Who may import, and into which client: checked before an uploaded file is parsed, so a
/// user who may not import never makes the server read a byte of it. The client organisation
/// it returns is the one [`plan_import`] plans for.
pub async fn import_target(
    store: &Store,
    actor: &Actor,
    client_org_id: Option<i64>,
) -> Result<i64> {
    may_write(actor)?;
    let client = target_client(actor, client_org_id)?;
    crate::organizations::get(store, actor, client).await?;
    Ok(client)
}

/// Reads the table into a plan: each row created, updated (same tag, same client) or rejected
/// with the reason. Nothing is written.
pub async fn plan_import(
    store: &Store,
    actor: &Actor,
    client_org_id: Option<i64>,
    table: &weihu_sheets::Table,
) -> Result<ImportPlan> {
    let client = import_target(store, actor, client_org_id).await?;
    table
        .check_limits()
        .map_err(|e| StoreError::invalid("file", e.to_string()))?;
    let col: HashMap<&str, usize> = COLUMNS
        .iter()
        .filter_map(|(name, aliases)| table.column(aliases).map(|i| (*name, i)))
        .collect();
    if !col.contains_key("asset_type") {
        return Err(StoreError::invalid(
            "file",
            "the header row needs a type column (type / 类型)",
        ));
    }
    let known = types(store).await?;
    let existing: HashMap<String, (i64, i64)> =
        sqlx::query("SELECT tag, id, client_org_id FROM assets")
            .fetch_all(&store.pool)
            .await?
            .iter()
            .map(|r| {
                Ok((
                    r.try_get("tag")?,
                    (r.try_get("id")?, r.try_get("client_org_id")?),
                ))
            })
            .collect::<Result<_>>()?;
    // A client-side importer gives tags under its own prefix only (see `check_client_tag`).
    let own_code = match actor.client_scope() {
        Some(_) => {
            let mut conn = store.pool.acquire().await?;
            Some(client_code(&mut conn, client).await?)
        }
        None => None,
    };
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut rows = Vec::new();
    for (i, r) in table.rows.iter().enumerate() {
        let line = i + 2;
        let cell = |name: &str| {
            col.get(name)
                .and_then(|c| r.get(*c))
                .map(|s| s.trim().to_owned())
        };
        let input = AssetInput {
            client_org_id: Some(client),
            asset_type: cell("asset_type").map(|t| t.to_lowercase()),
            tag: cell("tag").filter(|t| !t.is_empty()),
            serial: cell("serial"),
            model: cell("model"),
            location: cell("location"),
            owner: cell("owner"),
            warranty_end: cell("warranty_end"),
            under_contract: cell("under_contract").as_deref().and_then(bool_cell),
            status: cell("status").filter(|s| !s.is_empty()),
            notes: cell("notes"),
            custom_fields: None,
        };
        let mut plan = RowPlan {
            line,
            action: "create".into(),
            tag: input.tag.clone().unwrap_or_default().to_uppercase(),
            reason: None,
            input: input.clone(),
            existing: None,
        };
        let verdict = (|| -> Result<()> {
            fields(None, &input, &known)?;
            if let Some(t) = &input.tag {
                let tag = check_tag(t)?;
                if let Some(first) = seen.insert(tag.clone(), line) {
                    return Err(StoreError::invalid(
                        "tag",
                        format!("`{tag}` appears twice in the file (line {first})"),
                    ));
                }
                match (existing.get(&tag), &own_code) {
                    (Some((id, owner)), _) if *owner == client => {
                        plan.action = "update".into();
                        plan.existing = Some(*id);
                    }
                    // The same answer for another client's tag and a tag that does not fit.
                    (Some(_), Some(code)) => return Err(tag_refused(code, &tag)),
                    (None, Some(code)) if !fits_prefix(code, &tag) => {
                        return Err(tag_refused(code, &tag));
                    }
                    (Some(_), None) => {
                        return Err(StoreError::invalid(
                            "tag",
                            format!("`{tag}` is already used by another client"),
                        ));
                    }
                    (None, _) => {}
                }
            }
            Ok(())
        })();
        if let Err(e) = verdict {
            plan.action = "reject".into();
            plan.reason = Some(match e {
                StoreError::Invalid { field, message } => format!("{field}: {message}"),
                other => other.to_string(),
            });
        }
        rows.push(plan);
    }
    let count = |a: &str| rows.iter().filter(|r| r.action == a).count();
    Ok(ImportPlan {
        client_org_id: client,
        creates: count("create"),
        updates: count("update"),
        rejects: count("reject"),
        rows,
        applied: false,
    })
}

/// Writes the plan in one transaction. With rejected rows nothing is written unless
/// `valid_rows_only` is set, which writes the valid rows and skips the rejected ones.
pub async fn apply_import(
    store: &Store,
    actor: &Actor,
    client_org_id: Option<i64>,
    table: &weihu_sheets::Table,
    valid_rows_only: bool,
) -> Result<ImportPlan> {
    let mut plan = plan_import(store, actor, client_org_id, table).await?;
    if plan.rejects > 0 && !valid_rows_only {
        let first = plan
            .rows
            .iter()
            .find(|r| r.action == "reject")
            .and_then(|r| r.reason.clone().map(|m| format!("line {}: {m}", r.line)))
            .unwrap_or_default();
        return Err(StoreError::invalid(
            "file",
            format!(
                "{} rows are invalid, nothing was imported ({first}); fix them or import the valid rows only",
                plan.rejects
            ),
        ));
    }
    let known = types(store).await?;
    // Read everything before the transaction opens: it must never wait for a second connection.
    let mut currents: HashMap<i64, Asset> = HashMap::new();
    for id in plan.rows.iter().filter_map(|r| r.existing) {
        currents.insert(id, get(store, actor, id).await?);
    }
    let now = now_ms();
    let mut tx = store.pool.begin().await?;
    let code = client_code(&mut tx, plan.client_org_id).await?;
    for r in plan.rows.iter_mut().filter(|r| r.action != "reject") {
        match r.existing.and_then(|id| currents.get(&id)) {
            Some(current) => {
                let f = fields(Some(current), &r.input, &known)?;
                write_update(&mut tx, actor, current, None, &f, &current.tag).await?;
            }
            None => {
                let f = fields(None, &r.input, &known)?;
                let tag = match &r.input.tag {
                    Some(t) => check_tag(t)?,
                    None => next_tag(&mut tx, &code, &f.asset_type).await?,
                };
                r.tag = tag.clone();
                insert(&mut tx, actor, plan.client_org_id, &tag, &f, now).await?;
            }
        }
    }
    audit::record(
        &mut tx,
        actor,
        Some(plan.client_org_id),
        "asset_registry",
        plan.client_org_id,
        "import",
        json!({"created": plan.creates, "updated": plan.updates, "skipped": plan.rejects}),
    )
    .await?;
    tx.commit().await?;
    plan.applied = true;
    Ok(plan)
}

/// The registry (as filtered) as a table for CSV or Excel, with the importer's headers.
pub async fn export_table(
    store: &Store,
    actor: &Actor,
    filter: &AssetFilter,
) -> Result<weihu_sheets::Table> {
    let mut rows = Vec::new();
    let mut offset = 0;
    loop {
        let page = list(
            store,
            actor,
            filter,
            &ListParams {
                limit: Some(crate::page::MAX_LIMIT),
                offset: Some(offset),
                sort: Some("tag".into()),
                q: None,
            },
        )
        .await?;
        for a in &page.items {
            rows.push(vec![
                a.client_name.clone(),
                a.tag.clone(),
                a.asset_type.clone(),
                a.serial.clone(),
                a.model.clone(),
                a.location.clone(),
                a.owner.clone(),
                a.warranty_end.clone().unwrap_or_default(),
                if a.under_contract { "yes" } else { "no" }.to_owned(),
                a.status.clone(),
                a.notes.clone(),
            ]);
        }
        offset += crate::page::MAX_LIMIT;
        if offset >= page.total {
            break;
        }
    }
    Ok(weihu_sheets::Table {
        headers: [
            "client",
            "tag",
            "type",
            "serial",
            "model",
            "location",
            "owner",
            "warranty_end",
            "under_contract",
            "status",
            "notes",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect(),
        rows,
    })
}
