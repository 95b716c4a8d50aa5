//! Users of every role. Client users belong to exactly one client organisation; provider staff
//! to the provider. Passwords are argon2id hashes.

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;
use weihu_domain::role::{Role, Scope};

use crate::credentials::{hash_password_pooled, verify_password_pooled};
use crate::organizations::{self, OrgKind};
use crate::page::Listing;
use crate::sql::{SqlBuf, like_pattern};
use crate::{Actor, ListParams, Page, Result, Store, StoreError, audit, instant, now_ms};

pub const LOCALES: [&str; 2] = ["zh-CN", "en"];

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct User {
    pub id: i64,
    pub org_id: i64,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub phone: String,
    #[schema(value_type = String, example = "engineer")]
    pub role: Role,
    pub team_id: Option<i64>,
    pub locale: Option<String>,
    /// The IANA zone this user reads times in; none: the installation's.
    pub time_zone: Option<String>,
    pub must_change_password: bool,
    pub active: bool,
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: jiff::Timestamp,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewUser {
    pub org_id: i64,
    pub username: String,
    pub display_name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    #[schema(value_type = String, example = "engineer")]
    pub role: Role,
    #[serde(default)]
    pub team_id: Option<i64>,
    #[serde(default)]
    pub locale: Option<String>,
    pub password: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct UserPatch {
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    #[schema(value_type = Option<String>)]
    pub role: Option<Role>,
    /// `Some(None)` clears the team.
    #[serde(default, with = "double_option")]
    pub team_id: Option<Option<i64>>,
    #[serde(default, with = "double_option")]
    pub locale: Option<Option<String>>,
    /// An IANA time zone (`Europe/Berlin`); `Some(None)` returns to the installation's.
    #[serde(default, with = "double_option")]
    pub time_zone: Option<Option<String>>,
    pub active: Option<bool>,
}

pub(crate) mod double_option {
    use serde::{Deserialize, Deserializer};
    pub fn deserialize<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
    where
        T: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        Option::<T>::deserialize(d).map(Some)
    }
}

#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub org_id: Option<i64>,
    pub role: Option<Role>,
    pub team_id: Option<i64>,
    pub active: Option<bool>,
}

const COLUMNS: &str = "id, org_id, username, display_name, email, phone, role, team_id, locale, \
                       time_zone, must_change_password, active, version, created_at, updated_at";

fn from_row(r: &AnyRow) -> Result<User> {
    let role: String = r.try_get("role")?;
    Ok(User {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        username: r.try_get("username")?,
        display_name: r.try_get("display_name")?,
        email: r.try_get("email")?,
        phone: r.try_get("phone")?,
        role: Role::parse(&role).ok_or_else(|| StoreError::Corrupt {
            what: "role",
            value: role.clone(),
        })?,
        team_id: r.try_get("team_id")?,
        locale: r.try_get("locale")?,
        time_zone: r.try_get("time_zone")?,
        must_change_password: r.try_get::<i64, _>("must_change_password")? != 0,
        active: r.try_get::<i64, _>("active")? != 0,
        version: r.try_get("version")?,
        created_at: instant(r.try_get("created_at")?),
        updated_at: instant(r.try_get("updated_at")?),
    })
}

/// The rows a given actor may see, as a WHERE fragment: provider staff see everyone; a client
/// admin sees their organisation; a client user sees only themselves.
fn visible(actor: &Actor, w: &mut SqlBuf) {
    match actor.role.scope() {
        Scope::Organisation => {
            w.push(" AND org_id = ").bind(actor.org_id);
        }
        Scope::Own => {
            w.push(" AND id = ").bind(actor.user_id);
        }
        Scope::All => {}
    }
}

/// The login-name rule (2 to 64 of letters, digits and `. _ - @`); returns the stored form
/// (trimmed, lower-cased). Sign-in applies it too, before anything is looked up or stored.
pub fn check_username(u: &str) -> Result<String> {
    let u = u.trim();
    if u.len() < 2 || u.len() > 64 {
        return Err(StoreError::invalid(
            "username",
            "must have 2 to 64 characters",
        ));
    }
    if !u
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
    {
        return Err(StoreError::invalid(
            "username",
            "may contain only letters, digits and . _ - @",
        ));
    }
    Ok(u.to_lowercase())
}

fn check_text(field: &str, v: &str, max: usize, required: bool) -> Result<String> {
    let v = v.trim();
    if required && v.is_empty() {
        return Err(StoreError::invalid(field, "is required"));
    }
    if v.chars().count() > max {
        return Err(StoreError::invalid(
            field,
            format!("must have at most {max} characters"),
        ));
    }
    if v.chars().any(char::is_control) {
        return Err(StoreError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(v.to_owned())
}

/// A time zone the user chose: an IANA name jiff knows (empty: the installation's).
fn check_time_zone(z: Option<&str>) -> Result<Option<String>> {
    match z.map(str::trim).filter(|z| !z.is_empty()) {
        None => Ok(None),
        Some(z) if z.len() <= 64 && jiff::tz::TimeZone::get(z).is_ok() => Ok(Some(z.to_owned())),
        Some(_) => Err(StoreError::invalid(
            "time_zone",
            "must be an IANA time zone such as Asia/Shanghai or Europe/Berlin",
        )),
    }
}

fn check_locale(l: &Option<String>) -> Result<()> {
    match l {
        Some(l) if !LOCALES.contains(&l.as_str()) => Err(StoreError::invalid(
            "locale",
            format!("must be one of: {}", LOCALES.join(", ")),
        )),
        _ => Ok(()),
    }
}

/// Whether `actor` may create or change a user with `role` in organisation `org_id`.
fn may_manage(actor: &Actor, org_id: i64, role: Role) -> bool {
    actor.role.may_manage_user(org_id == actor.org_id, role)
}

pub async fn list(
    store: &Store,
    actor: &Actor,
    filter: &UserFilter,
    params: &ListParams,
) -> Result<Page<User>> {
    let mut w = SqlBuf::new(" WHERE 1 = 1");
    visible(actor, &mut w);
    if let Some(o) = filter.org_id {
        w.push(" AND org_id = ").bind(o);
    }
    if let Some(r) = filter.role {
        w.push(" AND role = ").bind(r.as_str());
    }
    if let Some(t) = filter.team_id {
        w.push(" AND team_id = ").bind(t);
    }
    if let Some(a) = filter.active {
        w.push(" AND active = ").bind(i64::from(a));
    }
    if let Some(q) = params.q() {
        let p = like_pattern(q);
        w.push(" AND (lower(username) LIKE ")
            .bind(p.clone())
            .push(" ESCAPE '\\' OR lower(display_name) LIKE ")
            .bind(p)
            .push(" ESCAPE '\\')");
    }
    Listing {
        select: &format!("SELECT {COLUMNS} FROM users"),
        count: "SELECT count(*) FROM users",
        sorts: &[
            ("username", "username"),
            ("display_name", "display_name"),
            ("role", "role"),
            ("created_at", "created_at"),
            ("id", "id"),
        ],
        default_sort: "org_id, username",
        id: "id",
    }
    .page(store, params, w, from_row)
    .await
}

pub async fn get(store: &Store, actor: &Actor, id: i64) -> Result<User> {
    let mut s = SqlBuf::new(&format!("SELECT {COLUMNS} FROM users WHERE id = "));
    s.bind(id);
    visible(actor, &mut s);
    let row = s
        .query()
        .fetch_optional(&store.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
    from_row(&row)
}

/// A user by login name, unscoped: for authentication and the CLI only.
pub async fn find_by_username(store: &Store, username: &str) -> Result<Option<(User, String)>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS}, password_hash FROM users WHERE username = $1"
    )))
    .bind(username.trim().to_lowercase())
    .fetch_optional(&store.pool)
    .await?;
    row.map(|r| Ok((from_row(&r)?, r.try_get("password_hash")?)))
        .transpose()
}

/// The actor a user acts as, unscoped: for authentication only.
pub async fn actor_for(store: &Store, user_id: i64) -> Result<Option<Actor>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM users WHERE id = $1 AND active = 1"
    )))
    .bind(user_id)
    .fetch_optional(&store.pool)
    .await?;
    row.map(|r| from_row(&r).map(|u| actor_of(&u))).transpose()
}

/// The user columns an actor is read from, qualified by `alias`, for a query that finds the
/// user through a credential (token, session) in the same statement.
pub(crate) fn actor_columns(alias: &str) -> String {
    COLUMNS
        .split(',')
        .map(|c| format!("{alias}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The actor of a row selected with [`actor_columns`].
pub(crate) fn actor_from_row(r: &AnyRow) -> Result<Actor> {
    from_row(r).map(|u| actor_of(&u))
}

pub fn actor_of(u: &User) -> Actor {
    Actor {
        user_id: u.id,
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        role: u.role,
        org_id: u.org_id,
        locale: u.locale.clone(),
        time_zone: u.time_zone.clone(),
    }
}

pub async fn count(store: &Store) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&store.pool)
        .await?)
}

async fn check_org_role(store: &Store, org_id: i64, role: Role) -> Result<()> {
    let system = Actor::system(org_id);
    let org = organizations::get(store, &system, org_id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => StoreError::invalid("org_id", "no such organisation"),
            e => e,
        })?;
    match (org.kind, role.is_client_side()) {
        (OrgKind::Client, false) => Err(StoreError::invalid(
            "role",
            "a client organisation's users have a client role",
        )),
        (OrgKind::Provider, true) => Err(StoreError::invalid(
            "role",
            "provider staff cannot have a client role",
        )),
        _ => Ok(()),
    }
}

/// Teams are the provider's: only administrators put a user in one, and only provider staff
/// belong to one.
async fn check_team(store: &Store, actor: &Actor, role: Role, team_id: Option<i64>) -> Result<()> {
    let Some(team_id) = team_id else {
        return Ok(());
    };
    if !actor.role.can_administer() {
        return Err(StoreError::Forbidden("only administrators assign teams"));
    }
    if role.is_client_side() {
        return Err(StoreError::invalid(
            "team_id",
            "client users cannot belong to a provider team",
        ));
    }
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM teams WHERE id = $1")
        .bind(team_id)
        .fetch_optional(&store.pool)
        .await?;
    if exists.is_none() {
        return Err(StoreError::invalid("team_id", "no such team"));
    }
    Ok(())
}

pub async fn create(store: &Store, actor: &Actor, new: &NewUser) -> Result<User> {
    if !may_manage(actor, new.org_id, new.role) {
        return Err(StoreError::Forbidden("you may not create this user"));
    }
    check_team(store, actor, new.role, new.team_id).await?;
    let username = check_username(&new.username)?;
    let display_name = check_text("display_name", &new.display_name, 100, true)?;
    let email = check_text("email", &new.email, 200, false)?;
    if !email.is_empty() && !email.contains('@') {
        return Err(StoreError::invalid("email", "is not an e-mail address"));
    }
    let phone = check_text("phone", &new.phone, 50, false)?;
    check_locale(&new.locale)?;
    check_org_role(store, new.org_id, new.role).await?;
    let hash = hash_password_pooled(&new.password).await?;
    insert(
        store,
        actor,
        new,
        &username,
        &display_name,
        &email,
        &phone,
        &hash,
        false,
    )
    .await
}

/// Inserts a checked user. `must_change` marks generated one-time passwords.
#[allow(clippy::too_many_arguments)]
async fn insert(
    store: &Store,
    actor: &Actor,
    new: &NewUser,
    username: &str,
    display_name: &str,
    email: &str,
    phone: &str,
    hash: &str,
    must_change: bool,
) -> Result<User> {
    let now = now_ms();
    let mut tx = store.pool.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (org_id, username, display_name, email, phone, role, team_id, locale, \
         password_hash, must_change_password, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
    )
    .bind(new.org_id)
    .bind(username.to_owned())
    .bind(display_name.to_owned())
    .bind(email.to_owned())
    .bind(phone.to_owned())
    .bind(new.role.as_str())
    .bind(new.team_id)
    .bind(new.locale.clone())
    .bind(hash.to_owned())
    .bind(i64::from(must_change))
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| match StoreError::from(e) {
        StoreError::Db(sqlx::Error::Database(d)) if d.is_foreign_key_violation() => {
            StoreError::invalid("team_id", "no such team")
        }
        e => e,
    })?;
    audit::record(
        &mut tx,
        actor,
        Some(new.org_id),
        "user",
        id,
        "create",
        json!({"username": username, "role": new.role, "org_id": new.org_id}),
    )
    .await?;
    tx.commit().await?;
    get(store, &Actor::system(new.org_id), id).await
}

/// Creates a user with an already-hashed password (bootstrap, demo data, CLI).
pub async fn create_hashed(
    store: &Store,
    actor: &Actor,
    new: &NewUser,
    hash: &str,
    must_change: bool,
) -> Result<User> {
    let username = check_username(&new.username)?;
    check_org_role(store, new.org_id, new.role).await?;
    insert(
        store,
        actor,
        new,
        &username,
        &new.display_name,
        &new.email,
        &new.phone,
        hash,
        must_change,
    )
    .await
}

pub async fn update(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: i64,
    patch: &UserPatch,
) -> Result<User> {
    let current = get(store, actor, id).await?;
    let is_self = current.id == actor.user_id;
    let manager = may_manage(actor, current.org_id, current.role);
    if !manager && !is_self {
        return Err(StoreError::Forbidden("you may not change this user"));
    }
    let mut next = current.clone();
    if let Some(v) = &patch.display_name {
        next.display_name = check_text("display_name", v, 100, true)?;
    }
    if let Some(v) = &patch.email {
        next.email = check_text("email", v, 200, false)?;
        if !next.email.is_empty() && !next.email.contains('@') {
            return Err(StoreError::invalid("email", "is not an e-mail address"));
        }
    }
    if let Some(v) = &patch.phone {
        next.phone = check_text("phone", v, 50, false)?;
    }
    if let Some(l) = &patch.locale {
        check_locale(l)?;
        next.locale = l.clone();
    }
    if let Some(z) = &patch.time_zone {
        next.time_zone = check_time_zone(z.as_deref())?;
    }
    if let Some(r) = patch.role
        && r != current.role
    {
        if !manager || !may_manage(actor, current.org_id, r) {
            return Err(StoreError::Forbidden("you may not change this role"));
        }
        if is_self {
            return Err(StoreError::invalid(
                "role",
                "you cannot change your own role",
            ));
        }
        check_org_role(store, current.org_id, r).await?;
        next.role = r;
    }
    if let Some(t) = patch.team_id {
        if !actor.role.can_administer() {
            return Err(StoreError::Forbidden("only administrators assign teams"));
        }
        next.team_id = t;
    }
    if next.team_id != current.team_id {
        // The same rules as at creation: an administrator, a provider role, a real team.
        check_team(store, actor, next.role, next.team_id).await?;
    } else if next.team_id.is_some() && next.role.is_client_side() {
        return Err(StoreError::invalid(
            "team_id",
            "client users cannot belong to a provider team",
        ));
    }
    if let Some(a) = patch.active
        && a != current.active
    {
        if !manager || is_self {
            return Err(StoreError::invalid(
                "active",
                "you cannot deactivate yourself",
            ));
        }
        next.active = a;
    }
    let mut tx = store.pool.begin().await?;
    let done = sqlx::query(
        "UPDATE users SET display_name = $1, email = $2, phone = $3, role = $4, team_id = $5, \
         locale = $6, active = $7, version = version + 1, updated_at = $8, time_zone = $11 \
         WHERE id = $9 AND version = $10",
    )
    .bind(next.display_name.clone())
    .bind(next.email.clone())
    .bind(next.phone.clone())
    .bind(next.role.as_str())
    .bind(next.team_id)
    .bind(next.locale.clone())
    .bind(i64::from(next.active))
    .bind(now_ms())
    .bind(id)
    .bind(version)
    .bind(next.time_zone.clone())
    .execute(&mut *tx)
    .await
    .map_err(|e| match StoreError::from(e) {
        StoreError::Db(sqlx::Error::Database(d)) if d.is_foreign_key_violation() => {
            StoreError::invalid("team_id", "no such team")
        }
        e => e,
    })?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict {
            current: current.version,
        });
    }
    if !next.active {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    audit::record(
        &mut tx,
        actor,
        Some(current.org_id),
        "user",
        id,
        "update",
        crate::diff(&current, &next),
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

/// Changes the actor's own password, proving the old one.
pub async fn change_own_password(store: &Store, actor: &Actor, old: &str, new: &str) -> Result<()> {
    let (_, hash) = find_by_username(store, &actor.username)
        .await?
        .ok_or(StoreError::NotFound)?;
    if !verify_password_pooled(old, Some(&hash)).await? {
        return Err(StoreError::invalid("current_password", "is not correct"));
    }
    if old == new {
        return Err(StoreError::invalid(
            "new_password",
            "must differ from the current one",
        ));
    }
    let hash = hash_password_pooled(new).await.map_err(|e| match e {
        StoreError::Invalid { message, .. } => StoreError::invalid("new_password", message),
        e => e,
    })?;
    write_password(store, actor, actor.user_id, actor.org_id, &hash, false).await
}

/// Sets another user's password (an administrator's reset); the user must change it at next login.
pub async fn reset_password(store: &Store, actor: &Actor, id: i64, new: &str) -> Result<()> {
    let user = get(store, actor, id).await?;
    if !may_manage(actor, user.org_id, user.role) {
        return Err(StoreError::Forbidden("you may not reset this password"));
    }
    let hash = hash_password_pooled(new).await?;
    write_password(
        store,
        actor,
        id,
        user.org_id,
        &hash,
        user.id != actor.user_id,
    )
    .await
}

async fn write_password(
    store: &Store,
    actor: &Actor,
    id: i64,
    org_id: i64,
    hash: &str,
    must_change: bool,
) -> Result<()> {
    let mut tx = store.pool.begin().await?;
    sqlx::query(
        "UPDATE users SET password_hash = $1, must_change_password = $2, version = version + 1, \
         updated_at = $3 WHERE id = $4",
    )
    .bind(hash.to_owned())
    .bind(i64::from(must_change))
    .bind(now_ms())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    // A password change ends every session of that user and revokes their API tokens: whoever
    // knew the old password may have made one.
    let sessions = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    let tokens = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
    )
    .bind(now_ms())
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    audit::record(
        &mut tx,
        actor,
        Some(org_id),
        "user",
        id,
        "password",
        json!({"sessions_ended": sessions, "tokens_revoked": tokens}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod time_zone_tests {
    use super::check_time_zone;

    #[test]
    fn only_real_zone_names_are_taken() {
        assert_eq!(check_time_zone(None).expect("none"), None);
        assert_eq!(check_time_zone(Some("  ")).expect("blank"), None);
        assert_eq!(
            check_time_zone(Some("Europe/Berlin"))
                .expect("a zone")
                .as_deref(),
            Some("Europe/Berlin")
        );
        let long = "Asia/".repeat(100);
        for hostile in [
            "../../../../etc/passwd",
            "/etc/localtime",
            "Asia/Shanghai\0",
            "Mars/Olympus_Mons",
            long.as_str(),
            "Asia/../Asia/Shanghai",
        ] {
            assert!(check_time_zone(Some(hostile)).is_err(), "{hostile:?}");
        }
    }
}
