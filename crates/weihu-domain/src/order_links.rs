//! How two orders relate: one row, shown from both ends with the right words.

use serde::{Deserialize, Serialize};

/// `order` is a duplicate of / caused by / a follow-up of `other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    DuplicateOf,
    CausedBy,
    FollowUpOf,
}

impl LinkKind {
    pub const ALL: [LinkKind; 3] = [
        LinkKind::DuplicateOf,
        LinkKind::CausedBy,
        LinkKind::FollowUpOf,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::DuplicateOf => "duplicate_of",
            LinkKind::CausedBy => "caused_by",
            LinkKind::FollowUpOf => "follow_up_of",
        }
    }

    pub fn parse(s: &str) -> Option<LinkKind> {
        LinkKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The relation as read from the other end: `has_duplicate`, `caused`, `followed_up_by`.
    pub fn inverse_str(self) -> &'static str {
        match self {
            LinkKind::DuplicateOf => "has_duplicate",
            LinkKind::CausedBy => "caused",
            LinkKind::FollowUpOf => "followed_up_by",
        }
    }
}

/// Why a link between two orders is refused, if it is.
pub fn check_link(
    order_id: i64,
    other_id: i64,
    same_client: bool,
    already_linked: bool,
) -> Result<(), &'static str> {
    if order_id == other_id {
        return Err("an order cannot be linked to itself");
    }
    if !same_client {
        return Err("orders of different clients cannot be linked");
    }
    if already_linked {
        return Err("these orders are already linked");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_read_both_ways() {
        for k in LinkKind::ALL {
            assert_eq!(LinkKind::parse(k.as_str()), Some(k));
            assert_ne!(k.as_str(), k.inverse_str());
        }
        assert_eq!(LinkKind::parse("duplicate"), None);
        assert_eq!(LinkKind::parse(""), None);
    }

    #[test]
    fn links_refused_for_self_other_clients_and_twice() {
        assert!(check_link(1, 1, true, false).is_err());
        assert!(check_link(1, 2, false, false).is_err());
        assert!(check_link(1, 2, true, true).is_err());
        assert!(check_link(1, 2, true, false).is_ok());
    }
}
