//! The service order's life (SPEC §5): states, the moves between them, and who may make them.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::role::Role;

/// What an order is for: a fault the client reported, or a planned inspection (preventive
/// maintenance, SPEC §8) that a maintenance plan generated. Inspections run no SLA clocks and are
/// not faults in the service-level figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum OrderKind {
    #[default]
    Fault,
    Inspection,
}

impl OrderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderKind::Fault => "fault",
            OrderKind::Inspection => "inspection",
        }
    }

    pub fn parse(s: &str) -> Option<OrderKind> {
        match s {
            "fault" => Some(OrderKind::Fault),
            "inspection" => Some(OrderKind::Inspection),
            _ => None,
        }
    }
}

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    New,
    Assigned,
    InProgress,
    WaitingClient,
    WaitingParts,
    Resolved,
    Closed,
    Cancelled,
    Refused,
}

impl OrderState {
    pub const ALL: [OrderState; 9] = [
        OrderState::New,
        OrderState::Assigned,
        OrderState::InProgress,
        OrderState::WaitingClient,
        OrderState::WaitingParts,
        OrderState::Resolved,
        OrderState::Closed,
        OrderState::Cancelled,
        OrderState::Refused,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::New => "new",
            OrderState::Assigned => "assigned",
            OrderState::InProgress => "in_progress",
            OrderState::WaitingClient => "waiting_client",
            OrderState::WaitingParts => "waiting_parts",
            OrderState::Resolved => "resolved",
            OrderState::Closed => "closed",
            OrderState::Cancelled => "cancelled",
            OrderState::Refused => "refused",
        }
    }

    pub fn parse(s: &str) -> Option<OrderState> {
        OrderState::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Open orders are the ones someone still has to act on.
    pub fn is_open(self) -> bool {
        !matches!(
            self,
            OrderState::Resolved | OrderState::Closed | OrderState::Cancelled | OrderState::Refused
        )
    }

    /// Whether the resolution clock runs in this state (it pauses while waiting for the client).
    pub fn resolution_clock_runs(self) -> bool {
        self.is_open() && self != OrderState::WaitingClient
    }
}

/// Something a person does to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Give the order to an engineer or team (also reassignment).
    Assign,
    /// The assignee accepts and starts work.
    Start,
    /// Wait for the client: no answer, no access, awaiting approval. Pauses resolution.
    WaitClient,
    /// Wait for the provider's own parts. Does not pause.
    WaitParts,
    /// Work goes on after waiting.
    Resume,
    /// Work is done.
    Resolve,
    /// The client confirms the resolution.
    Close,
    /// The client reopens a resolved order (within the reopen window).
    Reopen,
    /// Withdrawn, with a reason.
    Cancel,
    /// The provider declines, with a reason and whether the request was in scope.
    Refuse,
}

impl Action {
    pub const ALL: [Action; 10] = [
        Action::Assign,
        Action::Start,
        Action::WaitClient,
        Action::WaitParts,
        Action::Resume,
        Action::Resolve,
        Action::Close,
        Action::Reopen,
        Action::Cancel,
        Action::Refuse,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Assign => "assign",
            Action::Start => "start",
            Action::WaitClient => "wait_client",
            Action::WaitParts => "wait_parts",
            Action::Resume => "resume",
            Action::Resolve => "resolve",
            Action::Close => "close",
            Action::Reopen => "reopen",
            Action::Cancel => "cancel",
            Action::Refuse => "refuse",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// A move the rules do not allow.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransitionError {
    #[error("an order that is {from} cannot be {action}")]
    NotFrom {
        from: &'static str,
        action: &'static str,
    },
    #[error("{0}")]
    NotAllowed(&'static str),
}

/// The state after `action` from `from`, by the rules of SPEC §5.
pub fn next_state(from: OrderState, action: Action) -> Result<OrderState, TransitionError> {
    use Action as A;
    use OrderState as S;
    let to = match (action, from) {
        (A::Assign, S::New | S::Assigned) => S::Assigned,
        // Reassigning work in progress keeps it in progress.
        (A::Assign, s @ (S::InProgress | S::WaitingClient | S::WaitingParts)) => s,
        (A::Start, S::New | S::Assigned) => S::InProgress,
        (A::WaitClient, S::InProgress | S::WaitingParts) => S::WaitingClient,
        (A::WaitParts, S::InProgress | S::WaitingClient) => S::WaitingParts,
        (A::Resume, S::WaitingClient | S::WaitingParts) => S::InProgress,
        (A::Resolve, S::InProgress | S::WaitingClient | S::WaitingParts) => S::Resolved,
        (A::Close, S::Resolved) => S::Closed,
        (A::Reopen, S::Resolved) => S::InProgress,
        (A::Cancel, s) if s.is_open() => S::Cancelled,
        (A::Refuse, S::New | S::Assigned) => S::Refused,
        _ => {
            return Err(TransitionError::NotFrom {
                from: from.as_str(),
                action: action.as_str(),
            });
        }
    };
    Ok(to)
}

/// How the actor relates to the order, for the role rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Relation {
    /// The actor reported the order (client side).
    pub is_requester: bool,
    /// The actor is the assignee, or in the assigned team.
    pub is_assignee: bool,
}

/// The reopen window after resolution (SPEC §5: the client may reopen within 7 days).
pub const REOPEN_WINDOW_MS: i64 = 7 * 24 * 3600 * 1000;

/// Whether `role` may take `action` on an order it relates to as `rel` (SPEC §1).
pub fn may(role: Role, rel: Relation, action: Action) -> Result<(), TransitionError> {
    use Action as A;
    let ok = match role {
        Role::Admin | Role::Dispatcher => !matches!(action, A::Close | A::Reopen),
        Role::Engineer => match action {
            A::Start | A::WaitClient | A::WaitParts | A::Resume | A::Resolve => rel.is_assignee,
            _ => false,
        },
        Role::ServiceLevelManager | Role::Finance => false,
        Role::ClientAdmin => matches!(action, A::Close | A::Reopen | A::Cancel),
        Role::ClientUser => rel.is_requester && matches!(action, A::Close | A::Reopen | A::Cancel),
    };
    if ok {
        Ok(())
    } else {
        Err(TransitionError::NotAllowed(match role {
            Role::Engineer => "engineers work only the orders assigned to them or their team",
            r if r.is_client_side() => "clients may confirm, reopen or withdraw their own orders",
            _ => "your role may not do this to an order",
        }))
    }
}

/// Whether a comment by `role`, relating to the order as `rel`, meets the response clock.
///
/// The response clock measures how long the client waits for the side responsible for the order,
/// so only that side's public reply stops it: the desk (administrators and dispatchers), and the
/// assigned engineer or a member of the assigned team. Everyone else may still comment:
/// - finance and service-level managers may post internal notes, or public comments (a billing or
///   SLA question to the client), but those never stop a clock;
/// - an engineer who is not on the order may comment the same way, without clock effect;
/// - client users' comments are always public and never stop a clock (they are the client);
/// - an internal note never stops a clock: the client does not see it.
pub fn comment_meets_response(role: Role, rel: Relation, public: bool) -> bool {
    public
        && match role {
            Role::Admin | Role::Dispatcher => true,
            Role::Engineer => rel.is_assignee,
            Role::ServiceLevelManager | Role::Finance | Role::ClientAdmin | Role::ClientUser => {
                false
            }
        }
}

/// Who is told in the app when a move happens (besides the timeline everyone may read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Told {
    /// The engineer the order is (now) assigned to.
    Assignee,
    /// The client user who reported the order.
    Requester,
}

/// The notifications a move sends: to whom, and of which kind. Nobody is told of their own move.
pub fn told_of(action: Action) -> &'static [(Told, &'static str)] {
    match action {
        Action::Assign => &[(Told::Assignee, "assigned")],
        // The client has something to do: answer, give access, approve.
        Action::WaitClient => &[(Told::Requester, "waiting_you")],
        // The client confirms (or reopens) and signs.
        Action::Resolve => &[(Told::Requester, "resolved")],
        _ => &[],
    }
}

/// Orders are numbered `SO-YYYY-NNNNNN`, gap-free per year.
pub fn order_number(year: i16, seq: i64) -> String {
    format!("SO-{year:04}-{seq:06}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONE: Relation = Relation {
        is_requester: false,
        is_assignee: false,
    };

    #[test]
    fn the_happy_path_of_spec_5() {
        let mut s = OrderState::New;
        for (a, want) in [
            (Action::Assign, OrderState::Assigned),
            (Action::Start, OrderState::InProgress),
            (Action::WaitClient, OrderState::WaitingClient),
            (Action::Resume, OrderState::InProgress),
            (Action::WaitParts, OrderState::WaitingParts),
            (Action::Resolve, OrderState::Resolved),
            (Action::Reopen, OrderState::InProgress),
            (Action::Resolve, OrderState::Resolved),
            (Action::Close, OrderState::Closed),
        ] {
            s = next_state(s, a).expect("allowed");
            assert_eq!(s, want, "{a:?}");
        }
    }

    #[test]
    fn closed_and_ended_orders_do_not_move() {
        for s in [
            OrderState::Closed,
            OrderState::Cancelled,
            OrderState::Refused,
        ] {
            for a in Action::ALL {
                assert!(next_state(s, a).is_err(), "{s:?} {a:?}");
            }
        }
        assert!(next_state(OrderState::InProgress, Action::Refuse).is_err());
        assert!(next_state(OrderState::Resolved, Action::Cancel).is_err());
    }

    #[test]
    fn only_waiting_for_the_client_pauses_resolution() {
        let paused: Vec<_> = OrderState::ALL
            .into_iter()
            .filter(|s| s.is_open() && !s.resolution_clock_runs())
            .collect();
        assert_eq!(paused, vec![OrderState::WaitingClient]);
    }

    #[test]
    fn who_is_told_of_a_move() {
        assert_eq!(told_of(Action::Assign), &[(Told::Assignee, "assigned")]);
        assert_eq!(told_of(Action::Resolve), &[(Told::Requester, "resolved")]);
        assert_eq!(
            told_of(Action::WaitClient),
            &[(Told::Requester, "waiting_you")]
        );
        // Waiting for the provider's own parts is not the client's business.
        assert!(told_of(Action::WaitParts).is_empty());
        assert!(told_of(Action::Close).is_empty());
    }

    #[test]
    fn role_rules() {
        let assignee = Relation {
            is_requester: false,
            is_assignee: true,
        };
        let requester = Relation {
            is_requester: true,
            is_assignee: false,
        };
        assert!(may(Role::Engineer, assignee, Action::Resolve).is_ok());
        assert!(may(Role::Engineer, NONE, Action::Resolve).is_err());
        assert!(may(Role::Engineer, assignee, Action::Assign).is_err());
        assert!(may(Role::Dispatcher, NONE, Action::Assign).is_ok());
        assert!(
            may(Role::Dispatcher, NONE, Action::Close).is_err(),
            "only the client confirms"
        );
        assert!(may(Role::ClientUser, requester, Action::Close).is_ok());
        assert!(may(Role::ClientUser, NONE, Action::Close).is_err());
        assert!(may(Role::ClientUser, requester, Action::Resolve).is_err());
        assert!(may(Role::ClientAdmin, NONE, Action::Reopen).is_ok());
        assert!(may(Role::Finance, NONE, Action::Cancel).is_err());
    }

    #[test]
    fn only_the_responsible_side_meets_the_response_clock() {
        let assignee = Relation {
            is_requester: false,
            is_assignee: true,
        };
        let requester = Relation {
            is_requester: true,
            is_assignee: false,
        };
        // The desk and the order's own engineers answer for the provider.
        assert!(comment_meets_response(Role::Admin, NONE, true));
        assert!(comment_meets_response(Role::Dispatcher, NONE, true));
        assert!(comment_meets_response(Role::Engineer, assignee, true));
        // Nobody else does, whatever they write.
        assert!(!comment_meets_response(Role::Engineer, NONE, true));
        assert!(!comment_meets_response(Role::Finance, NONE, true));
        assert!(!comment_meets_response(Role::Finance, assignee, true));
        assert!(!comment_meets_response(
            Role::ServiceLevelManager,
            NONE,
            true
        ));
        assert!(!comment_meets_response(Role::ClientUser, requester, true));
        assert!(!comment_meets_response(Role::ClientAdmin, NONE, true));
        // An internal note is never a response to the client.
        for role in Role::ALL {
            for rel in [NONE, assignee, requester] {
                assert!(!comment_meets_response(role, rel, false), "{role:?}");
            }
        }
    }

    #[test]
    fn numbers_are_zero_padded() {
        assert_eq!(order_number(2026, 42), "SO-2026-000042");
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
        }
        for s in OrderState::ALL {
            assert_eq!(OrderState::parse(s.as_str()), Some(s));
        }
    }
}
