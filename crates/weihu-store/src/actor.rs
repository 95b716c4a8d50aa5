//! The authenticated actor that every store call takes: the one place where tenancy lives.

use weihu_domain::role::Role;

/// Who is acting. Built by the web layer from a session or an API token, or by the CLI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// 0 for the system itself (CLI, background jobs).
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub org_id: i64,
    pub locale: Option<String>,
    /// The IANA zone the user reads times in; none: the installation's.
    pub time_zone: Option<String>,
}

impl Actor {
    /// The installation itself, acting from the command line or a background job.
    pub fn system(provider_org_id: i64) -> Actor {
        Actor {
            user_id: 0,
            username: "system".into(),
            display_name: "system".into(),
            role: Role::Admin,
            org_id: provider_org_id,
            locale: None,
            time_zone: None,
        }
    }

    /// `Some(org)` when the actor is bound to one client organisation; `None` for provider staff.
    pub fn client_scope(&self) -> Option<i64> {
        self.role.is_client_side().then_some(self.org_id)
    }

    pub fn is_client(&self) -> bool {
        self.role.is_client_side()
    }

    /// The actor's id as stored in audit rows: NULL for the system.
    pub(crate) fn audit_id(&self) -> Option<i64> {
        (self.user_id != 0).then_some(self.user_id)
    }
}
