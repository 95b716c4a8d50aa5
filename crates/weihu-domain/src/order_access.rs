//! What one user may do to one order: the single table the store enforces and every page and API
//! answer renders from. A button is shown exactly when [`actions`] lists its action, and the store
//! refuses exactly what [`check`] refuses, so a page never offers what the store would refuse.
//!
//! The answer depends on the acting role, how the actor relates to the order ([`Relation`]) and a
//! few facts about the order ([`OrderFacts`]); per-item conditions (this visit is already checked
//! out, this part was already decided) stay with the item.

use serde::{Deserialize, Serialize};

use crate::order::{Action, OrderKind, OrderState, Relation, TransitionError, may, next_state};
use crate::role::Role;

/// Everything a person can do to an order, as named in the API's `actions` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderAction {
    // Moves of the state machine (SPEC §5), named as `Action`.
    Assign,
    Start,
    WaitClient,
    WaitParts,
    Resume,
    Resolve,
    Close,
    Reopen,
    Cancel,
    Refuse,
    /// A comment the client sees.
    CommentPublic,
    /// A note only provider staff see.
    CommentInternal,
    /// Change the facts of an open order (subject, description, category, urgency and impact,
    /// site, asset, service): the desk and the order's engineers.
    Edit,
    /// Upload a photo, log or document.
    Attach,
    /// Decide whether (and how) someone goes on site.
    DecideVisit,
    /// Check in or out of a planned visit.
    CheckVisit,
    /// Propose a spare part for the client to approve.
    ProposePart,
    /// Approve or reject a proposed part (the client's administrator).
    DecidePart,
    /// Record an approved part as installed.
    InstallPart,
    /// Record a remote session.
    RemoteSession,
    /// Answer the backup question.
    BackupCheck,
    /// Book working time (provider-internal).
    LogTime,
    /// Take a device away for repair (the 48-hour promise).
    TakeAway,
    /// Bring a taken-away device back.
    ReturnTakeAway,
    /// The client's signature under the resolution.
    Sign,
    /// The client's satisfaction rating.
    Rate,
    /// Hand the order to another team or engineer with a reason (functional escalation).
    EscalateFunctional,
    /// Raise the order to the provider's management (hierarchical escalation).
    EscalateHierarchical,
    /// Link the order to another of the client's orders (duplicate, caused by, follow-up).
    Link,
    /// Merge this duplicate into another order: its comments and attachments move there and it
    /// is cancelled.
    Merge,
    /// Say why a breached clock was breached (a reason from the short list and a note).
    ExplainBreach,
    /// Walk an inspection's checklist: answer its items and raise follow-up orders from issues.
    Inspect,
}

impl OrderAction {
    pub const ALL: [OrderAction; 32] = [
        OrderAction::Assign,
        OrderAction::Start,
        OrderAction::WaitClient,
        OrderAction::WaitParts,
        OrderAction::Resume,
        OrderAction::Resolve,
        OrderAction::Close,
        OrderAction::Reopen,
        OrderAction::Cancel,
        OrderAction::Refuse,
        OrderAction::CommentPublic,
        OrderAction::CommentInternal,
        OrderAction::Edit,
        OrderAction::Attach,
        OrderAction::DecideVisit,
        OrderAction::CheckVisit,
        OrderAction::ProposePart,
        OrderAction::DecidePart,
        OrderAction::InstallPart,
        OrderAction::RemoteSession,
        OrderAction::BackupCheck,
        OrderAction::LogTime,
        OrderAction::TakeAway,
        OrderAction::ReturnTakeAway,
        OrderAction::Sign,
        OrderAction::Rate,
        OrderAction::EscalateFunctional,
        OrderAction::EscalateHierarchical,
        OrderAction::Link,
        OrderAction::Merge,
        OrderAction::ExplainBreach,
        OrderAction::Inspect,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderAction::Assign => "assign",
            OrderAction::Start => "start",
            OrderAction::WaitClient => "wait_client",
            OrderAction::WaitParts => "wait_parts",
            OrderAction::Resume => "resume",
            OrderAction::Resolve => "resolve",
            OrderAction::Close => "close",
            OrderAction::Reopen => "reopen",
            OrderAction::Cancel => "cancel",
            OrderAction::Refuse => "refuse",
            OrderAction::CommentPublic => "comment_public",
            OrderAction::CommentInternal => "comment_internal",
            OrderAction::Edit => "edit",
            OrderAction::Attach => "attach",
            OrderAction::DecideVisit => "decide_visit",
            OrderAction::CheckVisit => "check_visit",
            OrderAction::ProposePart => "propose_part",
            OrderAction::DecidePart => "decide_part",
            OrderAction::InstallPart => "install_part",
            OrderAction::RemoteSession => "remote_session",
            OrderAction::BackupCheck => "backup_check",
            OrderAction::LogTime => "log_time",
            OrderAction::TakeAway => "take_away",
            OrderAction::ReturnTakeAway => "return_take_away",
            OrderAction::Sign => "sign",
            OrderAction::Rate => "rate",
            OrderAction::EscalateFunctional => "escalate_functional",
            OrderAction::EscalateHierarchical => "escalate_hierarchical",
            OrderAction::Link => "link",
            OrderAction::Merge => "merge",
            OrderAction::ExplainBreach => "explain_breach",
            OrderAction::Inspect => "inspect",
        }
    }

    pub fn parse(s: &str) -> Option<OrderAction> {
        OrderAction::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The state-machine move this action is, if it is one.
    pub fn as_move(self) -> Option<Action> {
        Action::parse(self.as_str())
    }

    pub fn from_move(a: Action) -> OrderAction {
        match a {
            Action::Assign => OrderAction::Assign,
            Action::Start => OrderAction::Start,
            Action::WaitClient => OrderAction::WaitClient,
            Action::WaitParts => OrderAction::WaitParts,
            Action::Resume => OrderAction::Resume,
            Action::Resolve => OrderAction::Resolve,
            Action::Close => OrderAction::Close,
            Action::Reopen => OrderAction::Reopen,
            Action::Cancel => OrderAction::Cancel,
            Action::Refuse => OrderAction::Refuse,
        }
    }
}

/// What the rules need to know about the order besides its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderFacts {
    pub state: OrderState,
    /// How the actor relates to the order.
    pub rel: Relation,
    /// A resolved order is still within the 7-day reopen window.
    pub within_reopen_window: bool,
    /// The client has already rated the order (a rating is given once).
    pub rated: bool,
    pub kind: OrderKind,
    /// For an inspection: checklist items not answered yet (it is resolved once none is left).
    pub unanswered: u32,
}

/// Why an action is refused: the role (answered 403) or the order's state (answered 422 on
/// `field`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Role(&'static str),
    State {
        field: &'static str,
        message: String,
    },
}

impl Refusal {
    fn state(field: &'static str, message: impl Into<String>) -> Refusal {
        Refusal::State {
            field,
            message: message.into(),
        }
    }
}

/// Provider staff who work the order: the desk (administrators, dispatchers) and the engineers
/// it is assigned to, personally or through their team.
fn works_on(role: Role, rel: Relation) -> bool {
    match role {
        Role::Admin | Role::Dispatcher => true,
        Role::Engineer => rel.is_assignee,
        _ => false,
    }
}

const NOT_ON_ORDER: Refusal = Refusal::Role("only the engineers of this order record work on it");
fn not_open() -> Refusal {
    Refusal::state("order", "the order is no longer open")
}

fn open(state: OrderState) -> Result<(), Refusal> {
    if state.is_open() {
        Ok(())
    } else {
        Err(not_open())
    }
}

fn done(state: OrderState) -> bool {
    matches!(state, OrderState::Resolved | OrderState::Closed)
}

/// Whether `role` may take `action` on an order with `facts`, and if not, why.
pub fn check(role: Role, facts: &OrderFacts, action: OrderAction) -> Result<(), Refusal> {
    use OrderAction as A;
    let rel = facts.rel;
    let work = |needs_open: bool| {
        if !works_on(role, rel) {
            return Err(NOT_ON_ORDER);
        }
        if needs_open {
            open(facts.state)
        } else {
            Ok(())
        }
    };
    match action {
        A::Assign
        | A::Start
        | A::WaitClient
        | A::WaitParts
        | A::Resume
        | A::Resolve
        | A::Close
        | A::Reopen
        | A::Cancel
        | A::Refuse => {
            let m = action.as_move().unwrap_or(Action::Cancel);
            may(role, rel, m).map_err(|e| match e {
                TransitionError::NotAllowed(m) => Refusal::Role(m),
                e => Refusal::state("action", e.to_string()),
            })?;
            next_state(facts.state, m).map_err(|e| Refusal::state("action", e.to_string()))?;
            if m == Action::Resolve && facts.kind == OrderKind::Inspection && facts.unanswered > 0 {
                return Err(Refusal::state(
                    "checklist",
                    format!(
                        "{} checklist item(s) are not answered yet: answer every item (n.a. where it does not apply) before the inspection is resolved",
                        facts.unanswered
                    ),
                ));
            }
            if m == Action::Reopen && !facts.within_reopen_window {
                return Err(Refusal::state(
                    "action",
                    "an order can be reopened within 7 days of its resolution",
                ));
            }
            Ok(())
        }
        // Whoever sees the order may write to it; a client's comment is always public.
        A::CommentPublic => Ok(()),
        A::CommentInternal => {
            if role.is_client_side() {
                Err(Refusal::Role("clients' comments are public"))
            } else {
                Ok(())
            }
        }
        A::Attach => match role {
            Role::Finance | Role::ServiceLevelManager => {
                Err(Refusal::Role("your role does not attach files to orders"))
            }
            _ => Ok(()),
        },
        A::Edit
        | A::DecideVisit
        | A::CheckVisit
        | A::ProposePart
        | A::InstallPart
        | A::TakeAway => work(true),
        // Records of work already done may still be added after the resolution.
        A::RemoteSession | A::BackupCheck | A::LogTime | A::ReturnTakeAway => work(false),
        A::DecidePart => {
            if !role.approves_parts() {
                return Err(Refusal::Role("the client's administrator approves parts"));
            }
            open(facts.state)
        }
        A::Sign => {
            if !role.is_client_side() && !works_on(role, rel) {
                return Err(NOT_ON_ORDER);
            }
            if done(facts.state) {
                Ok(())
            } else {
                Err(Refusal::state(
                    "state",
                    "the client signs once the order is resolved",
                ))
            }
        }
        A::EscalateFunctional => work(true),
        A::Inspect => {
            if facts.kind != OrderKind::Inspection {
                return Err(Refusal::state("order", "this order is not an inspection"));
            }
            work(true)
        }
        // The client's administrator may ask for management's attention too.
        A::EscalateHierarchical => {
            if works_on(role, rel) || matches!(role, Role::ServiceLevelManager | Role::ClientAdmin)
            {
                open(facts.state)
            } else {
                Err(Refusal::Role(
                    "the order's engineers, the desk, service-level managers and the client's administrator escalate",
                ))
            }
        }
        // A breach is explained whenever it is known, also after the order is done.
        A::ExplainBreach => {
            if works_on(role, rel) || role == Role::ServiceLevelManager {
                Ok(())
            } else {
                Err(Refusal::Role(
                    "the order's engineers, the desk and service-level managers explain breaches",
                ))
            }
        }
        // A closed order may still get a follow-up.
        A::Link => {
            if works_on(role, rel) || role == Role::ServiceLevelManager {
                Ok(())
            } else {
                Err(Refusal::Role("provider staff on the order link orders"))
            }
        }
        A::Merge => {
            if !matches!(role, Role::Admin | Role::Dispatcher) {
                return Err(Refusal::Role("the desk merges duplicate orders"));
            }
            open(facts.state)
        }
        A::Rate => {
            let client = match role {
                Role::ClientAdmin => true,
                Role::ClientUser => rel.is_requester,
                _ => false,
            };
            if !client {
                return Err(Refusal::Role("the client rates the service"));
            }
            if facts.rated {
                return Err(Refusal::state("score", "the order is already rated"));
            }
            if done(facts.state) {
                Ok(())
            } else {
                Err(Refusal::state(
                    "score",
                    "an order can be rated once it is resolved",
                ))
            }
        }
    }
}

/// Every action `role` may take on an order with `facts`, in a stable order.
pub fn actions(role: Role, facts: &OrderFacts) -> Vec<OrderAction> {
    let mut out: Vec<OrderAction> = OrderAction::ALL
        .into_iter()
        .filter(|a| check(role, facts, *a).is_ok())
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONE: Relation = Relation {
        is_requester: false,
        is_assignee: false,
    };
    const ASSIGNEE: Relation = Relation {
        is_requester: false,
        is_assignee: true,
    };
    const REQUESTER: Relation = Relation {
        is_requester: true,
        is_assignee: false,
    };

    fn facts(state: OrderState, rel: Relation) -> OrderFacts {
        OrderFacts {
            state,
            rel,
            within_reopen_window: true,
            rated: false,
            kind: OrderKind::Fault,
            unanswered: 0,
        }
    }

    #[test]
    fn names_round_trip_and_cover_every_move() {
        for a in OrderAction::ALL {
            assert_eq!(OrderAction::parse(a.as_str()), Some(a));
        }
        for m in Action::ALL {
            let a = OrderAction::from_move(m);
            assert_eq!(a.as_move(), Some(m));
            assert_eq!(a.as_str(), m.as_str());
        }
        assert_eq!(OrderAction::Sign.as_move(), None);
        assert_eq!(OrderAction::parse("delete"), None);
    }

    #[test]
    fn moves_follow_the_state_machine_and_the_role_rules() {
        for role in Role::ALL {
            for rel in [NONE, ASSIGNEE, REQUESTER] {
                for state in OrderState::ALL {
                    for m in Action::ALL {
                        let want = may(role, rel, m).is_ok() && next_state(state, m).is_ok();
                        let got = check(role, &facts(state, rel), OrderAction::from_move(m));
                        assert_eq!(got.is_ok(), want, "{role:?} {rel:?} {state:?} {m:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn reopening_closes_with_the_window() {
        let mut f = facts(OrderState::Resolved, REQUESTER);
        assert!(check(Role::ClientUser, &f, OrderAction::Reopen).is_ok());
        f.within_reopen_window = false;
        assert!(matches!(
            check(Role::ClientUser, &f, OrderAction::Reopen),
            Err(Refusal::State {
                field: "action",
                ..
            })
        ));
        assert!(!actions(Role::ClientUser, &f).contains(&OrderAction::Reopen));
    }

    #[test]
    fn work_is_for_the_orders_own_people_and_open_orders() {
        let open = facts(OrderState::InProgress, ASSIGNEE);
        for a in [
            OrderAction::Edit,
            OrderAction::CheckVisit,
            OrderAction::ProposePart,
            OrderAction::InstallPart,
            OrderAction::LogTime,
        ] {
            assert!(check(Role::Engineer, &open, a).is_ok(), "{a:?}");
            assert_eq!(
                check(Role::Engineer, &facts(OrderState::InProgress, NONE), a),
                Err(NOT_ON_ORDER),
                "{a:?}"
            );
            for role in [
                Role::Finance,
                Role::ServiceLevelManager,
                Role::ClientAdmin,
                Role::ClientUser,
            ] {
                assert!(check(role, &open, a).is_err(), "{role:?} {a:?}");
            }
        }
        let resolved = facts(OrderState::Resolved, ASSIGNEE);
        assert_eq!(
            check(Role::Engineer, &resolved, OrderAction::CheckVisit),
            Err(not_open())
        );
        // Time and remote sessions are records of work done: still bookable after resolving.
        assert!(check(Role::Engineer, &resolved, OrderAction::LogTime).is_ok());
        assert!(check(Role::Engineer, &resolved, OrderAction::ReturnTakeAway).is_ok());
    }

    #[test]
    fn the_client_decides_parts_signs_and_rates() {
        let open = facts(OrderState::WaitingClient, NONE);
        assert!(check(Role::ClientAdmin, &open, OrderAction::DecidePart).is_ok());
        assert!(check(Role::ClientUser, &open, OrderAction::DecidePart).is_err());
        assert!(check(Role::Admin, &open, OrderAction::DecidePart).is_err());
        for state in OrderState::ALL {
            let signable = matches!(state, OrderState::Resolved | OrderState::Closed);
            let f = facts(state, REQUESTER);
            assert_eq!(
                check(Role::ClientUser, &f, OrderAction::Sign).is_ok(),
                signable
            );
            assert_eq!(
                check(Role::ClientUser, &f, OrderAction::Rate).is_ok(),
                signable
            );
            // A client user rates only their own orders; the client admin all of the client's.
            let other = facts(state, NONE);
            assert!(check(Role::ClientUser, &other, OrderAction::Rate).is_err());
            assert_eq!(
                check(Role::ClientAdmin, &other, OrderAction::Rate).is_ok(),
                signable
            );
            assert!(check(Role::Dispatcher, &other, OrderAction::Rate).is_err());
        }
        // A rating is given once.
        let rated = OrderFacts {
            rated: true,
            ..facts(OrderState::Closed, REQUESTER)
        };
        assert!(check(Role::ClientUser, &rated, OrderAction::Rate).is_err());
        // The engineer collects the signature on the phone; finance does not.
        let resolved = facts(OrderState::Resolved, ASSIGNEE);
        assert!(check(Role::Engineer, &resolved, OrderAction::Sign).is_ok());
        assert!(check(Role::Finance, &resolved, OrderAction::Sign).is_err());
    }

    #[test]
    fn inspections_are_walked_by_their_engineers_and_resolved_when_every_item_is_answered() {
        let open = OrderFacts {
            kind: OrderKind::Inspection,
            unanswered: 3,
            ..facts(OrderState::InProgress, ASSIGNEE)
        };
        assert!(check(Role::Engineer, &open, OrderAction::Inspect).is_ok());
        assert!(check(Role::Dispatcher, &open, OrderAction::Inspect).is_ok());
        assert!(check(Role::ClientAdmin, &open, OrderAction::Inspect).is_err());
        let other = OrderFacts { rel: NONE, ..open };
        assert!(check(Role::Engineer, &other, OrderAction::Inspect).is_err());
        // A fault has no checklist.
        let fault = facts(OrderState::InProgress, ASSIGNEE);
        assert!(check(Role::Engineer, &fault, OrderAction::Inspect).is_err());
        // Unanswered items hold the resolution back, naming the checklist.
        match check(Role::Engineer, &open, OrderAction::Resolve) {
            Err(Refusal::State { field, message }) => {
                assert_eq!(field, "checklist");
                assert!(message.starts_with("3 checklist item(s)"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        let answered = OrderFacts {
            unanswered: 0,
            ..open
        };
        assert!(check(Role::Engineer, &answered, OrderAction::Resolve).is_ok());
        // Once done, nothing more is walked.
        let done = OrderFacts {
            state: OrderState::Resolved,
            ..answered
        };
        assert!(check(Role::Engineer, &done, OrderAction::Inspect).is_err());
    }

    #[test]
    fn escalation_links_and_merges() {
        use OrderAction as A;
        for state in OrderState::ALL {
            let f = facts(state, NONE);
            let mine = facts(state, ASSIGNEE);
            let open = state.is_open();
            // Functional: whoever works the order hands it on, while it is open.
            assert_eq!(
                check(Role::Dispatcher, &f, A::EscalateFunctional).is_ok(),
                open
            );
            assert_eq!(
                check(Role::Engineer, &mine, A::EscalateFunctional).is_ok(),
                open
            );
            assert!(check(Role::Engineer, &f, A::EscalateFunctional).is_err());
            assert!(check(Role::ClientAdmin, &f, A::EscalateFunctional).is_err());
            // Hierarchical: also the service-level manager and the client's administrator.
            for role in [Role::Admin, Role::ServiceLevelManager, Role::ClientAdmin] {
                assert_eq!(
                    check(role, &f, A::EscalateHierarchical).is_ok(),
                    open,
                    "{role:?}"
                );
            }
            assert!(
                check(
                    Role::ClientUser,
                    &facts(state, REQUESTER),
                    A::EscalateHierarchical
                )
                .is_err()
            );
            assert!(check(Role::Finance, &f, A::EscalateHierarchical).is_err());
            // Links outlive the order; merging needs an open duplicate and the desk.
            assert!(check(Role::Dispatcher, &f, A::Link).is_ok());
            assert!(check(Role::ClientAdmin, &f, A::Link).is_err());
            assert_eq!(check(Role::Dispatcher, &f, A::Merge).is_ok(), open);
            assert!(check(Role::Engineer, &mine, A::Merge).is_err());
        }
    }

    #[test]
    fn comments_and_attachments() {
        let f = facts(OrderState::Closed, NONE);
        for role in Role::ALL {
            assert!(check(role, &f, OrderAction::CommentPublic).is_ok());
            assert_eq!(
                check(role, &f, OrderAction::CommentInternal).is_ok(),
                role.is_provider_side(),
                "{role:?}"
            );
            assert_eq!(
                check(role, &f, OrderAction::Attach).is_ok(),
                !matches!(role, Role::Finance | Role::ServiceLevelManager),
                "{role:?}"
            );
        }
    }

    #[test]
    fn actions_is_exactly_what_check_allows() {
        for role in Role::ALL {
            for rel in [NONE, ASSIGNEE, REQUESTER] {
                for state in OrderState::ALL {
                    for window in [true, false] {
                        let f = OrderFacts {
                            state,
                            rel,
                            within_reopen_window: window,
                            rated: window,
                            kind: if window {
                                OrderKind::Inspection
                            } else {
                                OrderKind::Fault
                            },
                            unanswered: u32::from(!window),
                        };
                        let listed = actions(role, &f);
                        for a in OrderAction::ALL {
                            assert_eq!(listed.contains(&a), check(role, &f, a).is_ok());
                        }
                    }
                }
            }
        }
    }
}
