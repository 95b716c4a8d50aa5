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

/// The first thing a role's home page shows (see [`Role::home`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Home {
    EngineerToday,
    DispatchQueue,
    Finance,
    ServiceLevels,
    Client,
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

    /// Plan preventive maintenance: checklist templates and maintenance plans.
    pub fn can_plan_maintenance(self) -> bool {
        matches!(
            self,
            Role::Admin | Role::Dispatcher | Role::ServiceLevelManager
        )
    }

    /// Open, work and resolve problems, and link orders to them: the desk, the engineers who
    /// find root causes, and those who answer for the service level.
    pub fn can_manage_problems(self) -> bool {
        matches!(
            self,
            Role::Admin | Role::Dispatcher | Role::Engineer | Role::ServiceLevelManager
        )
    }

    /// Write knowledge-base articles (drafts): everyone on the provider side who fixes things.
    pub fn can_write_articles(self) -> bool {
        self.can_manage_problems()
    }

    /// Publish and archive articles (the reviewer of record): the desk and service-level managers.
    pub fn can_review_articles(self) -> bool {
        matches!(
            self,
            Role::Admin | Role::Dispatcher | Role::ServiceLevelManager
        )
    }

    /// See the mail outbox and its failures, and send a failed mail again.
    pub fn can_manage_mail(self) -> bool {
        self == Role::Admin
    }

    /// Decide what a message from an unknown sender becomes (the review queue).
    pub fn can_review_mail(self) -> bool {
        matches!(self, Role::Admin | Role::Dispatcher)
    }

    /// Manage calendars, holiday sets and SLA policies.
    pub fn can_manage_service_levels(self) -> bool {
        matches!(self, Role::Admin | Role::ServiceLevelManager)
    }

    /// Record and correct outages: the desk and the engineers who see them first, and those
    /// who answer for the figures. Clients read their own.
    pub fn can_record_outages(self) -> bool {
        matches!(
            self,
            Role::Admin | Role::ServiceLevelManager | Role::Dispatcher | Role::Engineer
        )
    }

    /// How much of the installation the role sees: every client, its organisation, or only
    /// what it reported itself.
    pub fn scope(self) -> Scope {
        match self {
            Role::ClientAdmin => Scope::Organisation,
            Role::ClientUser => Scope::Own,
            _ => Scope::All,
        }
    }

    // ---- people -------------------------------------------------------------------------

    /// Create and change teams.
    pub fn can_manage_teams(self) -> bool {
        matches!(self, Role::Admin | Role::Dispatcher)
    }

    /// Create and change users at all (which ones: [`Role::may_manage_user`]).
    pub fn can_manage_users(self) -> bool {
        matches!(self, Role::Admin | Role::ClientAdmin)
    }

    /// Whether this role may create or change a user with role `target`, in the actor's own
    /// organisation (`same_org`) or another one. A client admin manages its own client's people.
    pub fn may_manage_user(self, same_org: bool, target: Role) -> bool {
        match self {
            Role::Admin => true,
            Role::ClientAdmin => same_org && target.is_client_side(),
            _ => false,
        }
    }

    /// The roles this role may give a user it manages.
    pub fn assignable_roles(self) -> Vec<Role> {
        Role::ALL
            .into_iter()
            .filter(|r| self.may_manage_user(true, *r))
            .collect()
    }

    /// Works the orders assigned to its team as if assigned personally (the only role whose
    /// rights on an order depend on its team).
    pub fn works_through_team(self) -> bool {
        self == Role::Engineer
    }

    /// Provider staff who can be sent on site or booked for resident days.
    pub fn is_field_staff(self) -> bool {
        matches!(self, Role::Engineer | Role::Dispatcher)
    }

    // ---- orders -------------------------------------------------------------------------

    /// What the role's home page puts first: the engineer's day, the dispatcher's queue,
    /// finance's statements, the service-level manager's clocks, the client's waiting items.
    pub fn home(self) -> Home {
        match self {
            Role::Engineer => Home::EngineerToday,
            Role::Admin | Role::Dispatcher => Home::DispatchQueue,
            Role::Finance => Home::Finance,
            Role::ServiceLevelManager => Home::ServiceLevels,
            Role::ClientAdmin | Role::ClientUser => Home::Client,
        }
    }

    /// The client's administrator approves spare parts and pays statements.
    pub fn approves_parts(self) -> bool {
        self == Role::ClientAdmin
    }

    /// Whether the menu offers API tokens: integrations are set up by staff and client
    /// administrators; a client user reports and follows orders on the pages.
    pub fn offers_api_tokens(self) -> bool {
        self != Role::ClientUser
    }

    /// The provider's management, told when an order is escalated hierarchically.
    pub fn receives_escalations(self) -> bool {
        matches!(self, Role::Admin | Role::ServiceLevelManager)
    }

    /// Report a new order (finance and service-level managers do not open orders).
    pub fn can_report_orders(self) -> bool {
        !matches!(self, Role::ServiceLevelManager | Role::Finance)
    }

    /// The requester of an order this role reports is always the reporter.
    pub fn reports_as_self(self) -> bool {
        self == Role::ClientUser
    }

    // ---- assets -------------------------------------------------------------------------

    /// Add and change asset types and their coefficients.
    pub fn can_manage_asset_types(self) -> bool {
        matches!(self, Role::Admin | Role::ServiceLevelManager)
    }

    /// See a client's device registry.
    pub fn can_read_registry(self) -> bool {
        self != Role::ClientUser
    }

    /// Add, change and import devices (provider staff who keep registries, the client admin for
    /// its own).
    pub fn can_write_registry(self) -> bool {
        matches!(
            self,
            Role::Admin | Role::Dispatcher | Role::Engineer | Role::ClientAdmin
        )
    }

    /// Confirm a client's registry with a signature.
    pub fn can_confirm_registry(self) -> bool {
        matches!(self, Role::Admin | Role::ClientAdmin)
    }

    // ---- contracts and money ------------------------------------------------------------

    /// Read contracts (a client admin reads its own client's, once they are not drafts).
    pub fn can_read_contracts(self) -> bool {
        self != Role::ClientUser
    }

    /// Create, change and end contracts.
    pub fn can_manage_contracts(self) -> bool {
        matches!(self, Role::Admin | Role::Finance)
    }

    /// Record a resident engineer's days on a contract.
    pub fn can_record_resident_days(self) -> bool {
        matches!(self, Role::Admin | Role::Finance | Role::Dispatcher)
    }

    /// Read statements (a client admin its own client's).
    pub fn can_read_statements(self) -> bool {
        matches!(
            self,
            Role::Admin | Role::Finance | Role::ServiceLevelManager | Role::ClientAdmin
        )
    }

    /// Draft, review, issue and record payment of statements.
    pub fn can_manage_statements(self) -> bool {
        matches!(self, Role::Admin | Role::Finance)
    }

    /// Change the service catalog's price list.
    pub fn can_manage_price_list(self) -> bool {
        matches!(self, Role::Admin | Role::Finance)
    }
}

/// What part of the installation a role sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every client (provider staff).
    All,
    /// The actor's own organisation (a client admin).
    Organisation,
    /// Only what the actor reported or is (a client user).
    Own,
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

    #[test]
    fn scopes_follow_the_side() {
        for r in Role::ALL {
            assert_eq!(r.scope() == Scope::All, r.is_provider_side(), "{r:?}");
        }
        assert_eq!(Role::ClientAdmin.scope(), Scope::Organisation);
        assert_eq!(Role::ClientUser.scope(), Scope::Own);
    }

    #[test]
    fn who_manages_whom() {
        assert_eq!(Role::Admin.assignable_roles(), Role::ALL.to_vec());
        assert_eq!(
            Role::ClientAdmin.assignable_roles(),
            vec![Role::ClientAdmin, Role::ClientUser]
        );
        assert!(!Role::ClientAdmin.may_manage_user(false, Role::ClientUser));
        for r in [
            Role::Dispatcher,
            Role::Engineer,
            Role::Finance,
            Role::ServiceLevelManager,
            Role::ClientUser,
        ] {
            assert!(r.assignable_roles().is_empty(), "{r:?}");
            assert!(!r.can_manage_users(), "{r:?}");
        }
    }

    #[test]
    fn money_and_registries() {
        for r in Role::ALL {
            // Whoever manages statements or contracts reads them.
            assert!(
                !r.can_manage_statements() || r.can_read_statements(),
                "{r:?}"
            );
            assert!(!r.can_manage_contracts() || r.can_read_contracts(), "{r:?}");
            assert!(!r.can_write_registry() || r.can_read_registry(), "{r:?}");
        }
        assert!(!Role::ClientUser.can_read_statements());
        assert!(
            Role::ClientAdmin.can_read_statements() && !Role::ClientAdmin.can_manage_statements()
        );
        assert!(
            Role::Dispatcher.can_record_resident_days() && !Role::Dispatcher.can_manage_contracts()
        );
        assert!(Role::ClientAdmin.can_confirm_registry() && !Role::Engineer.can_confirm_registry());
        assert!(!Role::Finance.can_report_orders() && Role::ClientUser.can_report_orders());
    }
}
