//! A small builder for dynamic SQL with `$n` placeholders, which both backends accept through
//! sqlx's `Any` driver (its own QueryBuilder emits `?`, which PostgreSQL rejects).

use sqlx::Any;
use sqlx::any::AnyArguments;
use sqlx::query::Query;

#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Int(Option<i64>),
    Text(Option<String>),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(Some(v))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::Int(v)
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(Some(v.to_owned()))
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(Some(v))
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Arg::Text(v)
    }
}

#[derive(Debug, Default, Clone)]
pub(crate) struct SqlBuf {
    pub sql: String,
    pub args: Vec<Arg>,
}

impl SqlBuf {
    pub fn new(sql: &str) -> Self {
        SqlBuf {
            sql: sql.to_owned(),
            args: Vec::new(),
        }
    }

    pub fn push(&mut self, s: &str) -> &mut Self {
        self.sql.push_str(s);
        self
    }

    /// Appends a placeholder for `arg`.
    pub fn bind(&mut self, arg: impl Into<Arg>) -> &mut Self {
        self.args.push(arg.into());
        self.sql.push('$');
        self.sql.push_str(&self.args.len().to_string());
        self
    }

    /// Appends `(…)` with a placeholder per value, for `IN`; the caller keeps `values` non-empty.
    pub fn bind_list<T: Clone + Into<Arg>>(&mut self, values: &[T]) -> &mut Self {
        self.sql.push('(');
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.sql.push_str(", ");
            }
            self.bind(v.clone());
        }
        self.sql.push(')');
        self
    }

    pub fn query(&self) -> Query<'static, Any, AnyArguments> {
        bind_all(
            sqlx::query(sqlx::AssertSqlSafe(self.sql.clone())),
            &self.args,
        )
    }
}

pub(crate) fn bind_all<'q>(
    mut q: Query<'q, Any, AnyArguments>,
    args: &[Arg],
) -> Query<'q, Any, AnyArguments> {
    for a in args {
        q = match a {
            Arg::Int(v) => q.bind(*v),
            Arg::Text(v) => q.bind(v.clone()),
        };
    }
    q
}

/// `prefix%` with LIKE's wildcards escaped (used with `ESCAPE '\'`): starts with `prefix`, as
/// typed (no case folding).
pub(crate) fn like_prefix(prefix: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Escapes `%`, `_` and `\` for a LIKE pattern used with `ESCAPE '\'`.
pub(crate) fn like_pattern(q: &str) -> String {
    let mut out = String::with_capacity(q.len() + 2);
    out.push('%');
    for c in q.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}
