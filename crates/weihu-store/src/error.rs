use thiserror::Error;

/// What can go wrong in the store. The web layer maps each variant to one HTTP status.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The record does not exist, or exists in a tenant the actor may not see (never confirm which).
    #[error("not found")]
    NotFound,
    /// The actor's role may not do this at all.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// Optimistic concurrency: the caller's version is stale.
    #[error("the record was changed by someone else (current version {current})")]
    Conflict { current: i64 },
    /// Input that breaks a rule; `field` names the offending field.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// A unique value that is already taken.
    #[error("{field}: already taken")]
    Duplicate { field: String },
    /// Too many failed logins: retry after this instant (ms).
    #[error("too many failed attempts")]
    Throttled { until_ms: i64 },
    /// The database holds a schema from a newer Weihu than this binary.
    #[error(
        "the database schema is version {found}, newer than this Weihu knows ({known}): upgrade Weihu, or restore a backup taken with this version"
    )]
    SchemaTooNew { found: i64, known: i64 },
    #[error("database error: {0}")]
    Db(sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Format(String),
    /// A stored value this Weihu does not know: a damaged row or a newer writer.
    #[error("stored {what} {value:?} is not one this Weihu knows")]
    Corrupt { what: &'static str, value: String },
    /// An operator asked for something that needs an empty database (import, restore).
    #[error("the target database already holds data; {0} needs an empty database")]
    NotEmpty(&'static str),
    /// An operator's file (an export to import) is not what it should be.
    #[error("line {line}: {message}")]
    BadFile { line: usize, message: String },
    /// An operation this backend does not offer (a file snapshot of PostgreSQL).
    #[error("{0}")]
    Unsupported(&'static str),
    /// The order writer task is gone (the server is shutting down).
    #[error("the order writer has stopped")]
    WriterStopped,
    /// Password hashing could not run.
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

impl StoreError {
    /// A mistake by whoever ran the command (a file, a non-empty target): said plainly, with
    /// exit code 2, never reported as an internal error.
    pub fn is_operator_mistake(&self) -> bool {
        matches!(
            self,
            StoreError::Invalid { .. }
                | StoreError::Duplicate { .. }
                | StoreError::NotFound
                | StoreError::NotEmpty(_)
                | StoreError::BadFile { .. }
                | StoreError::Unsupported(_)
                | StoreError::SchemaTooNew { .. }
        )
    }
}

impl StoreError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        StoreError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e
            && db.is_unique_violation()
        {
            return StoreError::Duplicate {
                field: unique_field(db.constraint(), db.message()),
            };
        }
        if matches!(e, sqlx::Error::RowNotFound) {
            return StoreError::NotFound;
        }
        StoreError::Db(e)
    }
}

/// The field behind a unique violation: PostgreSQL names the index (`users_username`), SQLite
/// names the columns (`UNIQUE constraint failed: users.username`). Both end in the column name.
fn unique_field(constraint: Option<&str>, message: &str) -> String {
    let raw = constraint
        .map(str::to_owned)
        .or_else(|| message.rsplit(": ").next().map(str::to_owned))
        .unwrap_or_default();
    let last = raw.rsplit(['.', ',', ' ']).next().unwrap_or(&raw).trim();
    if constraint.is_none() {
        return last.to_owned();
    }
    // Index names are `<table>_<column>`; table names may hold `_` themselves.
    crate::portable::table_names()
        .into_iter()
        .filter_map(|t| last.strip_prefix(t).and_then(|rest| rest.strip_prefix('_')))
        .min_by_key(|column| column.len())
        .unwrap_or(last)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::unique_field;

    #[test]
    fn unique_field_names_the_column_on_both_backends() {
        assert_eq!(unique_field(Some("users_username"), ""), "username");
        assert_eq!(unique_field(Some("organizations_code"), ""), "code");
        assert_eq!(unique_field(Some("sla_policies_name"), ""), "name");
        assert_eq!(unique_field(Some("api_tokens_hash"), ""), "hash");
        assert_eq!(
            unique_field(None, "UNIQUE constraint failed: users.username"),
            "username"
        );
    }
}
