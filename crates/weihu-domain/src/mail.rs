//! Mail's rules: which kinds of mail there are and which a user may turn off, and where a
//! message that arrives goes (a new order, a comment, the review queue, or nowhere).

use crate::order::{OrderState, REOPEN_WINDOW_MS};

/// Every kind of mail the desk sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailKind {
    /// To the requester: the order is taken, with its number.
    OrderReceived,
    /// To the engineer.
    Assigned,
    /// A public comment, to the other side.
    Comment,
    /// A part awaits the client's approval (client admins).
    PartApproval,
    /// The desk waits for the client (requester).
    WaitingYou,
    /// Resolved: please confirm and rate (requester).
    Resolved,
    /// An SLA clock at risk / breached (dispatchers, service-level managers, assignee).
    ClockAtRisk,
    ClockBreached,
    /// A statement issued, PDF attached (client admins).
    StatementIssued,
    /// The monthly service-level report published or reissued, PDF attached (client admins).
    ReportPublished,
    /// A reply by mail reached a resolved order: it may be reopened (the sender).
    ReopenOffer,
}

impl MailKind {
    pub const ALL: [MailKind; 11] = [
        MailKind::OrderReceived,
        MailKind::Assigned,
        MailKind::Comment,
        MailKind::PartApproval,
        MailKind::WaitingYou,
        MailKind::Resolved,
        MailKind::ClockAtRisk,
        MailKind::ClockBreached,
        MailKind::StatementIssued,
        MailKind::ReportPublished,
        MailKind::ReopenOffer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::OrderReceived => "order_received",
            MailKind::Assigned => "assigned",
            MailKind::Comment => "comment",
            MailKind::PartApproval => "part_approval",
            MailKind::WaitingYou => "waiting_you",
            MailKind::Resolved => "resolved",
            MailKind::ClockAtRisk => "clock_at_risk",
            MailKind::ClockBreached => "clock_breached",
            MailKind::StatementIssued => "statement_issued",
            MailKind::ReportPublished => "report_published",
            MailKind::ReopenOffer => "reopen_offer",
        }
    }

    pub fn parse(s: &str) -> Option<MailKind> {
        MailKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The in-app notification kind a mail goes with, when there is one (`report_reissued` is
    /// the same mail as a first publication).
    pub fn of_notification(kind: &str) -> Option<MailKind> {
        match kind {
            "report_reissued" => Some(MailKind::ReportPublished),
            "statement" => Some(MailKind::StatementIssued),
            k => MailKind::parse(k),
        }
    }

    /// Mails that ask the recipient to act on money or on the order's end cannot be turned
    /// off: an approval nobody hears of stalls the order, a statement nobody receives is not
    /// paid, and an unanswered resolution closes the order on its own.
    pub fn mandatory(self) -> bool {
        matches!(
            self,
            MailKind::PartApproval
                | MailKind::Resolved
                | MailKind::StatementIssued
                | MailKind::ReopenOffer
        )
    }

    /// The kinds a user may turn off.
    pub fn optional() -> impl Iterator<Item = MailKind> {
        MailKind::ALL.into_iter().filter(|k| !k.mandatory())
    }
}

/// The retry schedule of a mail the relay did not take: 1, 5, 15 and 60 minutes, then every
/// 3 hours, up to [`MAX_ATTEMPTS`] tries (about a day); `None` once they are used up.
pub fn retry_delay_ms(attempts_so_far: i64) -> Option<i64> {
    const MIN: i64 = 60_000;
    match attempts_so_far {
        a if a >= MAX_ATTEMPTS => None,
        ..=1 => Some(MIN),
        2 => Some(5 * MIN),
        3 => Some(15 * MIN),
        4 => Some(60 * MIN),
        _ => Some(180 * MIN),
    }
}

/// Tries before a mail is given up as failed.
pub const MAX_ATTEMPTS: i64 = 12;

/// A mail queued longer than this when it could finally be sent (mail was off, the relay was
/// down for days) is not sent: news that old misleads.
pub const STALE_AFTER_MS: i64 = 3 * 24 * 3600 * 1000;

/// Who wrote a message that arrived, as the desk knows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    /// No active user has this address.
    Unknown,
    /// Provider staff.
    Staff,
    /// A user of this client.
    Client(i64),
}

/// The order a reply names (by number in the subject or by our `Message-ID`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub id: i64,
    pub client_org_id: i64,
    pub state: OrderState,
    pub resolved_at_ms: Option<i64>,
}

/// Where an arriving message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Recorded only: a program wrote it (auto-reply, bounce) or it is our own mail come back.
    Ignore(&'static str),
    /// The dispatcher decides.
    Review(&'static str),
    NewOrder {
        client_org_id: i64,
    },
    Comment {
        order_id: i64,
    },
    /// A comment on a resolved order still inside the reopen window; the sender is offered
    /// reopening.
    CommentOfferReopen {
        order_id: i64,
    },
    /// The order is over: a new order of the same client, linked as its follow-up.
    FollowUp {
        previous: i64,
        client_org_id: i64,
    },
}

pub fn route(
    automatic: bool,
    ours: bool,
    sender: Sender,
    target: Option<Target>,
    now_ms: i64,
) -> Route {
    if ours {
        return Route::Ignore("our own mail");
    }
    if automatic {
        return Route::Ignore("sent by a program");
    }
    match (sender, target) {
        (Sender::Unknown, _) => Route::Review("unknown sender"),
        (Sender::Staff, None) => Route::Review("staff mail that names no order"),
        (Sender::Staff, Some(t)) if t.state.is_open() => Route::Comment { order_id: t.id },
        (Sender::Staff, Some(_)) => Route::Review("staff reply to a finished order"),
        (Sender::Client(c), None) => Route::NewOrder { client_org_id: c },
        (Sender::Client(c), Some(t)) if t.client_org_id != c => {
            Route::Review("sender of another client")
        }
        (Sender::Client(_), Some(t)) if t.state.is_open() => Route::Comment { order_id: t.id },
        (Sender::Client(c), Some(t)) => {
            let in_window = t.state == OrderState::Resolved
                && t.resolved_at_ms
                    .is_some_and(|r| now_ms - r <= REOPEN_WINDOW_MS);
            if in_window {
                Route::CommentOfferReopen { order_id: t.id }
            } else {
                Route::FollowUp {
                    previous: t.id,
                    client_org_id: c,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    fn t(state: OrderState, resolved_ago: Option<i64>) -> Option<Target> {
        Some(Target {
            id: 5,
            client_org_id: 2,
            state,
            resolved_at_ms: resolved_ago.map(|a| NOW - a),
        })
    }

    #[test]
    fn kinds_round_trip_and_only_optional_ones_can_be_turned_off() {
        for k in MailKind::ALL {
            assert_eq!(MailKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(MailKind::parse("nope"), None);
        assert!(MailKind::optional().all(|k| !k.mandatory()));
        assert!(MailKind::StatementIssued.mandatory());
        assert!(!MailKind::Comment.mandatory());
        assert_eq!(
            MailKind::of_notification("report_reissued"),
            Some(MailKind::ReportPublished)
        );
        assert_eq!(MailKind::of_notification("escalated"), None);
    }

    #[test]
    fn retries_back_off_and_end() {
        let mut total = 0;
        let mut a = 0;
        while let Some(d) = retry_delay_ms(a) {
            assert!(d >= 60_000);
            total += d;
            a += 1;
        }
        assert_eq!(a, MAX_ATTEMPTS);
        assert!(
            total > 12 * 3600 * 1000 && total < 48 * 3600 * 1000,
            "{total}"
        );
    }

    #[test]
    fn messages_go_where_the_desk_expects() {
        use OrderState::*;
        let day = 24 * 3600 * 1000;
        assert_eq!(
            route(true, false, Sender::Client(2), None, NOW),
            Route::Ignore("sent by a program")
        );
        assert_eq!(
            route(false, true, Sender::Client(2), None, NOW),
            Route::Ignore("our own mail")
        );
        assert_eq!(
            route(false, false, Sender::Unknown, t(New, None), NOW),
            Route::Review("unknown sender")
        );
        assert_eq!(
            route(false, false, Sender::Client(2), None, NOW),
            Route::NewOrder { client_org_id: 2 }
        );
        assert_eq!(
            route(false, false, Sender::Client(3), t(New, None), NOW),
            Route::Review("sender of another client")
        );
        assert_eq!(
            route(false, false, Sender::Client(2), t(InProgress, None), NOW),
            Route::Comment { order_id: 5 }
        );
        assert_eq!(
            route(false, false, Sender::Client(2), t(Resolved, Some(day)), NOW),
            Route::CommentOfferReopen { order_id: 5 }
        );
        assert_eq!(
            route(
                false,
                false,
                Sender::Client(2),
                t(Resolved, Some(8 * day)),
                NOW
            ),
            Route::FollowUp {
                previous: 5,
                client_org_id: 2
            }
        );
        assert_eq!(
            route(false, false, Sender::Client(2), t(Closed, Some(day)), NOW),
            Route::FollowUp {
                previous: 5,
                client_org_id: 2
            }
        );
        assert_eq!(
            route(false, false, Sender::Staff, t(Assigned, None), NOW),
            Route::Comment { order_id: 5 }
        );
        assert_eq!(
            route(false, false, Sender::Staff, None, NOW),
            Route::Review("staff mail that names no order")
        );
    }
}
