//! Problems (SPEC §9): the cause shared by repeated incidents. A problem is investigated, becomes
//! a known error once its root cause and workaround are written down, is resolved by a permanent
//! fix, and closed. Which orders look like a problem is suggested here, never decided silently.

/// A problem's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProblemState {
    Investigating,
    KnownError,
    Resolved,
    Closed,
}

impl ProblemState {
    pub const ALL: [ProblemState; 4] = [
        ProblemState::Investigating,
        ProblemState::KnownError,
        ProblemState::Resolved,
        ProblemState::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProblemState::Investigating => "investigating",
            ProblemState::KnownError => "known_error",
            ProblemState::Resolved => "resolved",
            ProblemState::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<ProblemState> {
        ProblemState::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// Still being worked: orders may be linked and are suggested.
    pub fn is_open(self) -> bool {
        matches!(self, ProblemState::Investigating | ProblemState::KnownError)
    }
}

/// What a problem holds when it moves (the fields a state needs).
#[derive(Debug, Clone, Copy, Default)]
pub struct Written {
    pub root_cause: bool,
    pub workaround: bool,
    pub fix: bool,
    /// The fix waits on a change request not implemented yet.
    pub change_pending: bool,
}

/// Why a move is refused, naming the field that is missing or the state that forbids it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub field: &'static str,
    pub message: &'static str,
}

/// Whether `from` may become `to` with what is written. A known error has its root cause and
/// workaround; a resolved problem its permanent fix, and when the fix needs a change request,
/// that change implemented; a resolved problem whose fix did not hold is investigated again; a
/// closed one is over.
pub fn may_move(from: ProblemState, to: ProblemState, w: Written) -> Result<(), Refusal> {
    use ProblemState::*;
    let allowed = matches!(
        (from, to),
        (Investigating, KnownError)
            | (KnownError, Investigating)
            | (Investigating, Resolved)
            | (KnownError, Resolved)
            | (Resolved, Closed)
            | (Resolved, Investigating)
    );
    if from == to {
        return Ok(());
    }
    if !allowed {
        return Err(Refusal {
            field: "state",
            message: "not a move a problem can make (investigating → known_error → resolved → closed)",
        });
    }
    match to {
        KnownError if !w.root_cause => Err(Refusal {
            field: "root_cause",
            message: "a known error has its root cause written down",
        }),
        KnownError if !w.workaround => Err(Refusal {
            field: "workaround",
            message: "a known error has its workaround written down",
        }),
        Resolved if !w.fix => Err(Refusal {
            field: "fix",
            message: "a resolved problem names its permanent fix",
        }),
        Resolved if w.change_pending => Err(Refusal {
            field: "change_request_id",
            message: "the fix's change request is implemented first (or unlinked from the problem)",
        }),
        _ => Ok(()),
    }
}

/// Repeat faults are looked for in this many days.
pub const REPEAT_WINDOW_DAYS: i64 = 30;
/// Orders on one asset within the window that make a candidate.
pub const REPEAT_SAME_ASSET: i64 = 2;
/// Orders of one client in one category within the window that make a candidate.
pub const REPEAT_SAME_CATEGORY: i64 = 3;

#[cfg(test)]
mod tests {
    use super::ProblemState::*;
    use super::*;

    const ALL_WRITTEN: Written = Written {
        root_cause: true,
        workaround: true,
        fix: true,
        change_pending: false,
    };

    #[test]
    fn states_round_trip() {
        for s in ProblemState::ALL {
            assert_eq!(ProblemState::parse(s.as_str()), Some(s));
        }
        assert_eq!(ProblemState::parse("open"), None);
        assert!(Investigating.is_open() && KnownError.is_open());
        assert!(!Resolved.is_open() && !Closed.is_open());
    }

    #[test]
    fn moves_need_what_the_state_means() {
        assert!(may_move(Investigating, KnownError, ALL_WRITTEN).is_ok());
        let no_cause = Written {
            root_cause: false,
            ..ALL_WRITTEN
        };
        assert_eq!(
            may_move(Investigating, KnownError, no_cause).map_err(|r| r.field),
            Err("root_cause")
        );
        let no_workaround = Written {
            workaround: false,
            ..ALL_WRITTEN
        };
        assert_eq!(
            may_move(Investigating, KnownError, no_workaround).map_err(|r| r.field),
            Err("workaround")
        );
        let no_fix = Written {
            fix: false,
            ..ALL_WRITTEN
        };
        assert_eq!(
            may_move(KnownError, Resolved, no_fix).map_err(|r| r.field),
            Err("fix")
        );
        let change_pending = Written {
            change_pending: true,
            ..ALL_WRITTEN
        };
        assert_eq!(
            may_move(KnownError, Resolved, change_pending).map_err(|r| r.field),
            Err("change_request_id")
        );
        // A pending change holds back only the resolution.
        assert!(may_move(Investigating, KnownError, change_pending).is_ok());
        assert!(may_move(Resolved, Closed, change_pending).is_ok());
        assert!(
            may_move(Resolved, Investigating, Written::default()).is_ok(),
            "a fix that did not hold"
        );
        assert!(may_move(Resolved, Closed, Written::default()).is_ok());
        for to in [Investigating, KnownError, Resolved] {
            assert_eq!(
                may_move(Closed, to, ALL_WRITTEN).map_err(|r| r.field),
                Err("state"),
                "{to:?}"
            );
        }
        assert_eq!(
            may_move(Investigating, Closed, ALL_WRITTEN).map_err(|r| r.field),
            Err("state")
        );
        assert!(
            may_move(KnownError, KnownError, Written::default()).is_ok(),
            "no move"
        );
    }
}
