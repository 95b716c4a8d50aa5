//! Change requests (SPEC §9): a change to an SLA policy, to a contract, or a risky technical
//! change on a client's systems is proposed, assessed (risk, impact, rollback), approved or
//! rejected by the roles SPEC §1 gives, and implemented. An SLA or contract change of a client
//! needs the client administrator's consent after the provider's approval. Who may do what, and
//! where each step leads, is decided here and nowhere else.

use crate::role::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    SlaPolicy,
    Contract,
    Technical,
}

impl ChangeKind {
    pub const ALL: [ChangeKind; 3] = [
        ChangeKind::SlaPolicy,
        ChangeKind::Contract,
        ChangeKind::Technical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::SlaPolicy => "sla_policy",
            ChangeKind::Contract => "contract",
            ChangeKind::Technical => "technical",
        }
    }

    pub fn parse(s: &str) -> Option<ChangeKind> {
        ChangeKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeState {
    Proposed,
    Assessed,
    /// Approved by the provider, waiting for the client administrator's consent.
    AwaitingConsent,
    Approved,
    Rejected,
    Implemented,
    Cancelled,
}

impl ChangeState {
    pub const ALL: [ChangeState; 7] = [
        ChangeState::Proposed,
        ChangeState::Assessed,
        ChangeState::AwaitingConsent,
        ChangeState::Approved,
        ChangeState::Rejected,
        ChangeState::Implemented,
        ChangeState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeState::Proposed => "proposed",
            ChangeState::Assessed => "assessed",
            ChangeState::AwaitingConsent => "awaiting_consent",
            ChangeState::Approved => "approved",
            ChangeState::Rejected => "rejected",
            ChangeState::Implemented => "implemented",
            ChangeState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<ChangeState> {
        ChangeState::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Still to be decided or done.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            ChangeState::Proposed
                | ChangeState::Assessed
                | ChangeState::AwaitingConsent
                | ChangeState::Approved
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeStep {
    Assess,
    Approve,
    Consent,
    Reject,
    Implement,
    Cancel,
}

impl ChangeStep {
    pub const ALL: [ChangeStep; 6] = [
        ChangeStep::Assess,
        ChangeStep::Approve,
        ChangeStep::Consent,
        ChangeStep::Reject,
        ChangeStep::Implement,
        ChangeStep::Cancel,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeStep::Assess => "assess",
            ChangeStep::Approve => "approve",
            ChangeStep::Consent => "consent",
            ChangeStep::Reject => "reject",
            ChangeStep::Implement => "implement",
            ChangeStep::Cancel => "cancel",
        }
    }

    pub fn parse(s: &str) -> Option<ChangeStep> {
        ChangeStep::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Whether the change needs the client administrator's consent: an SLA or contract change of
/// one client (the provider's default policy has no one client to ask).
pub fn needs_consent(kind: ChangeKind, has_client: bool) -> bool {
    has_client && matches!(kind, ChangeKind::SlaPolicy | ChangeKind::Contract)
}

/// The provider roles that propose, assess, approve and implement a kind of change: SLA changes
/// the service-level manager; contract changes the desk, which manages contracts; technical
/// changes the desk and the service-level manager; the administrator all.
pub fn provider_may(role: Role, kind: ChangeKind) -> bool {
    match kind {
        ChangeKind::SlaPolicy => matches!(role, Role::Admin | Role::ServiceLevelManager),
        ChangeKind::Contract => matches!(role, Role::Admin | Role::Dispatcher),
        ChangeKind::Technical => {
            matches!(
                role,
                Role::Admin | Role::Dispatcher | Role::ServiceLevelManager
            )
        }
    }
}

/// Who may propose a change of this kind (engineers raise technical changes they need too).
pub fn may_propose(role: Role, kind: ChangeKind) -> bool {
    provider_may(role, kind) || (kind == ChangeKind::Technical && role == Role::Engineer)
}

/// Why a step is refused: the role (403) or the state (422 on `action`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeRefusal {
    Role(&'static str),
    State(String),
}

/// Where `step` by `role` leads a change of `kind` (with or without one client) in `state`.
pub fn next(
    role: Role,
    kind: ChangeKind,
    has_client: bool,
    state: ChangeState,
    step: ChangeStep,
) -> Result<ChangeState, ChangeRefusal> {
    use ChangeState as S;
    use ChangeStep as A;
    let provider = provider_may(role, kind);
    let client = role == Role::ClientAdmin;
    let wrong = || {
        ChangeRefusal::State(format!(
            "a change that is {} cannot be {}",
            state.as_str(),
            match step {
                A::Assess => "assessed",
                A::Approve => "approved",
                A::Consent => "consented to",
                A::Reject => "rejected",
                A::Implement => "implemented",
                A::Cancel => "cancelled",
            }
        ))
    };
    match step {
        A::Assess | A::Approve | A::Implement | A::Cancel if !provider => Err(ChangeRefusal::Role(
            "only the provider roles in charge of this kind of change take this step",
        )),
        A::Consent if !client => Err(ChangeRefusal::Role(
            "the client's administrator consents to a change",
        )),
        A::Reject if !provider && !client => Err(ChangeRefusal::Role(
            "the provider roles in charge, or the client's administrator, reject a change",
        )),
        A::Assess => match state {
            S::Proposed | S::Assessed => Ok(S::Assessed),
            _ => Err(wrong()),
        },
        A::Approve => match state {
            S::Assessed if needs_consent(kind, has_client) => Ok(S::AwaitingConsent),
            S::Assessed => Ok(S::Approved),
            S::Proposed => Err(ChangeRefusal::State(
                "assess the change (risk, impact, rollback) before approving it".into(),
            )),
            _ => Err(wrong()),
        },
        A::Consent => match state {
            S::AwaitingConsent => Ok(S::Approved),
            _ => Err(wrong()),
        },
        A::Reject => match state {
            S::AwaitingConsent => Ok(S::Rejected),
            S::Proposed | S::Assessed if provider => Ok(S::Rejected),
            _ => Err(wrong()),
        },
        A::Implement => match state {
            S::Approved => Ok(S::Implemented),
            _ => Err(wrong()),
        },
        A::Cancel => match state {
            S::Proposed | S::Assessed | S::AwaitingConsent | S::Approved => Ok(S::Cancelled),
            _ => Err(wrong()),
        },
    }
}

/// The steps `role` may take now (what a page offers).
pub fn steps(
    role: Role,
    kind: ChangeKind,
    has_client: bool,
    state: ChangeState,
) -> Vec<ChangeStep> {
    ChangeStep::ALL
        .into_iter()
        .filter(|s| next(role, kind, has_client, state, *s).is_ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ChangeKind as K;
    use ChangeState as S;
    use ChangeStep as A;

    #[test]
    fn an_sla_change_of_a_client_needs_its_consent_after_approval() {
        let slm = Role::ServiceLevelManager;
        assert_eq!(
            next(slm, K::SlaPolicy, true, S::Proposed, A::Assess),
            Ok(S::Assessed)
        );
        assert_eq!(
            next(slm, K::SlaPolicy, true, S::Assessed, A::Approve),
            Ok(S::AwaitingConsent)
        );
        assert_eq!(
            next(
                Role::ClientAdmin,
                K::SlaPolicy,
                true,
                S::AwaitingConsent,
                A::Consent
            ),
            Ok(S::Approved)
        );
        assert_eq!(
            next(slm, K::SlaPolicy, true, S::Approved, A::Implement),
            Ok(S::Implemented)
        );
        // The provider default policy has no client to ask.
        assert_eq!(
            next(slm, K::SlaPolicy, false, S::Assessed, A::Approve),
            Ok(S::Approved)
        );
        // The client may refuse its consent.
        assert_eq!(
            next(
                Role::ClientAdmin,
                K::Contract,
                true,
                S::AwaitingConsent,
                A::Reject
            ),
            Ok(S::Rejected)
        );
    }

    #[test]
    fn roles_follow_spec_section_one() {
        assert!(matches!(
            next(Role::Dispatcher, K::SlaPolicy, true, S::Proposed, A::Assess),
            Err(ChangeRefusal::Role(_))
        ));
        assert!(matches!(
            next(
                Role::ServiceLevelManager,
                K::Contract,
                true,
                S::Assessed,
                A::Approve
            ),
            Err(ChangeRefusal::Role(_))
        ));
        assert_eq!(
            next(Role::Dispatcher, K::Contract, true, S::Assessed, A::Approve),
            Ok(S::AwaitingConsent)
        );
        assert_eq!(
            next(
                Role::Dispatcher,
                K::Technical,
                true,
                S::Assessed,
                A::Approve
            ),
            Ok(S::Approved),
            "technical changes need no consent"
        );
        assert!(matches!(
            next(Role::Engineer, K::Technical, true, S::Assessed, A::Approve),
            Err(ChangeRefusal::Role(_))
        ));
        assert!(may_propose(Role::Engineer, K::Technical));
        assert!(!may_propose(Role::Engineer, K::SlaPolicy));
        assert!(!may_propose(Role::Finance, K::Contract));
        assert!(!may_propose(Role::ClientAdmin, K::SlaPolicy));
        // Clients neither approve nor implement; the provider does not consent for them.
        assert!(matches!(
            next(
                Role::ClientAdmin,
                K::SlaPolicy,
                true,
                S::Assessed,
                A::Approve
            ),
            Err(ChangeRefusal::Role(_))
        ));
        assert!(matches!(
            next(
                Role::Admin,
                K::SlaPolicy,
                true,
                S::AwaitingConsent,
                A::Consent
            ),
            Err(ChangeRefusal::Role(_))
        ));
        assert!(matches!(
            next(
                Role::ClientUser,
                K::SlaPolicy,
                true,
                S::AwaitingConsent,
                A::Reject
            ),
            Err(ChangeRefusal::Role(_))
        ));
    }

    #[test]
    fn steps_only_where_they_lead_somewhere() {
        assert!(matches!(
            next(Role::Admin, K::SlaPolicy, true, S::Proposed, A::Approve),
            Err(ChangeRefusal::State(_))
        ));
        assert!(matches!(
            next(Role::Admin, K::SlaPolicy, true, S::Implemented, A::Cancel),
            Err(ChangeRefusal::State(_))
        ));
        assert!(matches!(
            next(
                Role::ClientAdmin,
                K::SlaPolicy,
                true,
                S::Assessed,
                A::Reject
            ),
            Err(ChangeRefusal::State(_))
        ));
        assert_eq!(
            steps(Role::ClientAdmin, K::SlaPolicy, true, S::AwaitingConsent),
            vec![A::Consent, A::Reject]
        );
        assert_eq!(
            steps(Role::ServiceLevelManager, K::SlaPolicy, true, S::Proposed),
            vec![A::Assess, A::Reject, A::Cancel]
        );
        assert!(steps(Role::Admin, K::Technical, false, S::Rejected).is_empty());
        for k in ChangeKind::ALL {
            assert_eq!(ChangeKind::parse(k.as_str()), Some(k));
        }
        for s in ChangeState::ALL {
            assert_eq!(ChangeState::parse(s.as_str()), Some(s));
        }
        assert_eq!(ChangeStep::parse("approve"), Some(A::Approve));
        assert_eq!(ChangeStep::parse("bless"), None);
    }
}
