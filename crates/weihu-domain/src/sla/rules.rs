//! Which clocks an order's moves touch, and what a change does to one clock (SPEC §4): the rules
//! the store applies without knowing them. Response stops at acceptance; resolution pauses only
//! while waiting for the client, stops at resolution and restarts on reopen; arrival stops at the
//! engineer's check-in; everything stops when the order ends without its event.

use serde::{Deserialize, Serialize};

use super::ClockKind;
use crate::order::Action;

impl ClockKind {
    pub const ALL: [ClockKind; 3] = [
        ClockKind::Response,
        ClockKind::Arrival,
        ClockKind::Resolution,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ClockKind::Response => "response",
            ClockKind::Arrival => "arrival",
            ClockKind::Resolution => "resolution",
        }
    }

    pub fn parse(s: &str) -> Option<ClockKind> {
        ClockKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What happens to a clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockChange {
    /// Stops counting (waiting for the client).
    Pause,
    /// Counts again.
    Resume,
    /// Met its end (first response, arrival, resolution): judged met or breached.
    Stop,
    /// The order ended without the clock's event (cancelled, refused).
    Abandon,
    /// Reopened: the clock runs again; the resolved period does not count.
    Restart,
}

/// The clock changes a move of the order makes, in order.
pub fn changes_for(action: Action) -> &'static [(ClockKind, ClockChange)] {
    use ClockChange as C;
    use ClockKind as K;
    match action {
        Action::Start => &[(K::Response, C::Stop)],
        Action::WaitClient => &[(K::Resolution, C::Pause)],
        Action::WaitParts | Action::Resume => &[(K::Resolution, C::Resume)],
        Action::Resolve => &[(K::Response, C::Stop), (K::Resolution, C::Stop)],
        Action::Reopen => &[(K::Resolution, C::Restart)],
        Action::Cancel | Action::Refuse => &[
            (K::Response, C::Abandon),
            (K::Resolution, C::Abandon),
            (K::Arrival, C::Abandon),
        ],
        Action::Assign | Action::Close => &[],
    }
}

/// Whether the timeline event of a move is shown to the client: waiting for the provider's own
/// parts and (re)assignment are internal, everything else the client may see.
pub fn move_is_public(action: Action) -> bool {
    !matches!(action, Action::WaitParts | Action::Assign)
}

/// Where a clock stands, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockNow {
    /// Not stopped (neither met nor abandoned).
    pub running: bool,
    /// A pause is open.
    pub paused: bool,
}

/// The stored state a clock ends in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockEnd {
    /// Keep the stored state and stop time.
    Unchanged,
    /// Stopped now at its event: `done`.
    Done,
    /// Stopped now without its event: `stopped`.
    Stopped,
    /// Running again, no stop time.
    Running,
}

impl ClockEnd {
    /// The stored name of the new state, if it changes.
    pub fn state(self) -> Option<&'static str> {
        match self {
            ClockEnd::Unchanged => None,
            ClockEnd::Done => Some("done"),
            ClockEnd::Stopped => Some("stopped"),
            ClockEnd::Running => Some("running"),
        }
    }
}

/// What the store writes for one change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockEffect {
    /// Open a pause now.
    pub open_pause: bool,
    /// End the open pause now.
    pub end_pause: bool,
    /// Record the time between the clock's stop and now as a pause (a reopened clock does not
    /// count the resolved period).
    pub pause_since_stop: bool,
    pub end: ClockEnd,
}

/// The effect of `change` on a clock that stands at `now`. Changes that do not apply (pausing a
/// paused clock, stopping a stopped one) change nothing, so every move may be replayed safely.
pub fn apply_change(change: ClockChange, now: ClockNow) -> ClockEffect {
    use ClockChange as C;
    let open_pause = change == C::Pause && now.running && !now.paused;
    let end_pause = matches!(change, C::Resume | C::Stop | C::Abandon) && now.paused;
    let pause_since_stop = change == C::Restart && !now.running;
    let end = match change {
        C::Stop if now.running => ClockEnd::Done,
        C::Abandon if now.running => ClockEnd::Stopped,
        C::Restart => ClockEnd::Running,
        _ => ClockEnd::Unchanged,
    };
    ClockEffect {
        open_pause,
        end_pause,
        pause_since_stop,
        end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn kinds_round_trip() {
        for k in ClockKind::ALL {
            assert_eq!(ClockKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(ClockKind::parse("lunch"), None);
    }

    #[test]
    fn the_moves_of_spec_4() {
        use ClockChange as C;
        use ClockKind as K;
        assert_eq!(changes_for(Action::Start), &[(K::Response, C::Stop)]);
        assert_eq!(
            changes_for(Action::WaitClient),
            &[(K::Resolution, C::Pause)]
        );
        // Waiting for the provider's own parts does not pause anything.
        assert_eq!(
            changes_for(Action::WaitParts),
            &[(K::Resolution, C::Resume)]
        );
        assert!(changes_for(Action::Resolve).contains(&(K::Resolution, C::Stop)));
        assert_eq!(changes_for(Action::Reopen), &[(K::Resolution, C::Restart)]);
        for a in [Action::Cancel, Action::Refuse] {
            for k in ClockKind::ALL {
                assert!(changes_for(a).contains(&(k, C::Abandon)), "{a:?} {k:?}");
            }
        }
        assert!(changes_for(Action::Assign).is_empty() && changes_for(Action::Close).is_empty());
        // Only waiting for the client pauses; nothing but a move to an end stops resolution.
        for a in Action::ALL {
            for (k, c) in changes_for(a) {
                if *c == C::Pause {
                    assert_eq!((a, *k), (Action::WaitClient, K::Resolution));
                }
            }
        }
        assert!(!move_is_public(Action::WaitParts) && !move_is_public(Action::Assign));
        assert!(move_is_public(Action::Resolve) && move_is_public(Action::WaitClient));
    }

    #[test]
    fn a_paused_clock_stops_with_its_pause_ended() {
        let e = apply_change(
            ClockChange::Stop,
            ClockNow {
                running: true,
                paused: true,
            },
        );
        assert!(e.end_pause && !e.open_pause && e.end == ClockEnd::Done);
        let e = apply_change(
            ClockChange::Abandon,
            ClockNow {
                running: true,
                paused: false,
            },
        );
        assert_eq!(e.end, ClockEnd::Stopped);
        let e = apply_change(
            ClockChange::Restart,
            ClockNow {
                running: false,
                paused: false,
            },
        );
        assert!(e.pause_since_stop && e.end == ClockEnd::Running);
    }

    fn change() -> impl Strategy<Value = ClockChange> {
        prop_oneof![
            Just(ClockChange::Pause),
            Just(ClockChange::Resume),
            Just(ClockChange::Stop),
            Just(ClockChange::Abandon),
            Just(ClockChange::Restart),
        ]
    }

    /// Runs changes from a fresh running clock, as the store would store them.
    fn run(changes: &[ClockChange]) -> (ClockNow, usize) {
        let mut now = ClockNow {
            running: true,
            paused: false,
        };
        let mut pauses_opened = 0;
        for c in changes {
            let e = apply_change(*c, now);
            // Never two open pauses, never a pause on a stopped clock.
            assert!(!(e.open_pause && now.paused), "{changes:?}");
            assert!(!e.open_pause || now.running, "{changes:?}");
            assert!(!e.end_pause || now.paused, "{changes:?}");
            if e.open_pause {
                pauses_opened += 1;
                now.paused = true;
            }
            if e.end_pause {
                now.paused = false;
            }
            match e.end {
                ClockEnd::Done | ClockEnd::Stopped => now.running = false,
                ClockEnd::Running => now.running = true,
                ClockEnd::Unchanged => {}
            }
        }
        (now, pauses_opened)
    }

    proptest! {
        /// A stopped clock has no open pause, and applying the same change twice is the same
        /// as applying it once (a retried move does not double-count).
        #[test]
        fn any_sequence_keeps_the_clock_consistent(changes in prop::collection::vec(change(), 0..40)) {
            let (now, _) = run(&changes);
            prop_assert!(now.running || !now.paused, "{changes:?}");
            let doubled: Vec<ClockChange> = changes.iter().flat_map(|c| [*c, *c]).collect();
            prop_assert_eq!(run(&doubled).0, now);
        }
    }
}
