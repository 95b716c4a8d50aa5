//! The registry itself: assets with provider-unique tags, read, written and listed by client.

use super::*;

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
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: jiff::Timestamp,
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

pub(super) const SELECT: &str = "SELECT a.id, a.client_org_id, o.name AS client_name, a.asset_type, a.tag, a.serial, a.model, \
     a.location, a.owner, a.warranty_end, a.under_contract, a.status, a.notes, a.custom_fields, a.version, \
     a.created_at, a.updated_at, \
     (SELECT count(*) FROM orders x WHERE x.asset_id = a.id AND x.state <> 'cancelled') AS fault_count \
     FROM assets a JOIN organizations o ON o.id = a.client_org_id";

pub(super) fn from_row(r: &AnyRow) -> Result<Asset> {
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
        created_at: instant(r.try_get("created_at")?),
        updated_at: instant(r.try_get("updated_at")?),
    })
}

pub(super) fn may_read(actor: &Actor) -> Result<()> {
    if !actor.role.can_read_registry() {
        return Err(StoreError::Forbidden(
            "client users do not see the registry",
        ));
    }
    Ok(())
}

/// Provider staff who keep registries, and the client admin for their own.
pub(super) fn may_write(actor: &Actor) -> Result<()> {
    if actor.role.can_write_registry() {
        Ok(())
    } else {
        Err(StoreError::Forbidden(
            "your role does not change the registry",
        ))
    }
}

pub(super) fn today() -> Date {
    crate::contracts::today_in(crate::contracts::DEFAULT_ZONE)
}

pub(super) fn scope(w: &mut SqlBuf, actor: &Actor) {
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

/// One asset by its tag (case-insensitive: tags are stored upper-case), as `actor` may see it.
pub async fn by_tag(store: &Store, actor: &Actor, tag: &str) -> Result<Asset> {
    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM assets WHERE tag = $1")
        .bind(tag.trim().to_uppercase())
        .fetch_optional(&store.pool)
        .await?;
    get(store, actor, id.ok_or(StoreError::NotFound)?).await
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
pub(super) struct Fields {
    pub(super) asset_type: String,
    pub(super) serial: String,
    pub(super) model: String,
    pub(super) location: String,
    pub(super) owner: String,
    pub(super) warranty_end: Option<String>,
    pub(super) under_contract: bool,
    pub(super) status: String,
    pub(super) notes: String,
    pub(super) custom: String,
}

pub(super) fn opt_date(field: &str, v: &str) -> Result<Option<String>> {
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

pub(super) fn fields(
    base: Option<&Asset>,
    i: &AssetInput,
    known_types: &[AssetType],
) -> Result<Fields> {
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

pub(super) fn check_tag(v: &str) -> Result<String> {
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
pub(super) fn tag_refused(code: &str, tag: &str) -> StoreError {
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
pub(super) async fn check_client_tag(
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

pub(super) fn fits_prefix(code: &str, tag: &str) -> bool {
    tag.strip_prefix(&code.to_uppercase())
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|rest| !rest.is_empty())
}

pub(super) async fn client_code(conn: &mut sqlx::AnyConnection, org: i64) -> Result<String> {
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
pub(super) async fn next_tag(
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

pub(super) fn target_client(actor: &Actor, given: Option<i64>) -> Result<i64> {
    match actor.client_scope() {
        Some(own) => Ok(own),
        None => given.ok_or_else(|| StoreError::invalid("client_org_id", "is required")),
    }
}

pub(super) async fn insert(
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

pub(super) async fn write_update(
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
