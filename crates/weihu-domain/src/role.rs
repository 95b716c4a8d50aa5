//! Who may do what (SPEC §1). The store and web layers ask these questions; they never compare
//! role names themselves.

use serde::{Deserialize, Serialize};

/// A user's role. Provider roles work across clients; client roles are bound to one client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Dispatcher,
    Engineer,
    ServiceLevelManager,
    Finance,
    ClientAdmin,
    ClientUser,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Admin,
        Role::Dispatcher,
        Role::Engineer,
        Role::ServiceLevelManager,
        Role::Finance,
        Role::ClientAdmin,
        Role::ClientUser,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Dispatcher => "dispatcher",
            Role::Engineer => "engineer",
            Role::ServiceLevelManager => "service_level_manager",
            Role::Finance => "finance",
            Role::ClientAdmin => "client_admin",
            Role::ClientUser => "client_user",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Client-side roles see only their own organisation and never provider-internal fields.
    pub fn is_client_side(self) -> bool {
        matches!(self, Role::ClientAdmin | Role::ClientUser)
    }

    pub fn is_provider_side(self) -> bool {
        !self.is_client_side()
    }

    /// Manage organisations, users of any organisation, settings, calendars.
    pub fn can_administer(self) -> bool {
        self == Role::Admin
    }

    /// Read the audit log of the whole installation.
    pub fn can_read_audit(self) -> bool {
        self == Role::Admin
    }

    /// See every user of every organisation (to assign work, for instance).
    pub fn can_list_all_users(self) -> bool {
        self.is_provider_side()
    }

    /// Manage calendars, holiday sets and SLA policies.
    pub fn can_manage_service_levels(self) -> bool {
        matches!(self, Role::Admin | Role::ServiceLevelManager)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn only_client_roles_are_client_side() {
        let client: Vec<_> = Role::ALL
            .into_iter()
            .filter(|r| r.is_client_side())
            .collect();
        assert_eq!(client, vec![Role::ClientAdmin, Role::ClientUser]);
        assert!(!Role::ClientAdmin.can_administer());
        assert!(Role::Admin.can_read_audit() && !Role::Dispatcher.can_read_audit());
    }
}
