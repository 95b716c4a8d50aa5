//! Priority from urgency × impact (SPEC §4), with the default matrix and a configurable one.

use serde::{Deserialize, Serialize};

/// Urgency or impact level (紧急度 / 影响度).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// High.
    High,
    /// Medium.
    Medium,
    /// Low.
    Low,
}

/// How urgent an order is.
pub type Urgency = Level;
/// How much of the client's business an order affects.
pub type Impact = Level;

impl Level {
    /// All levels, highest first.
    pub const ALL: [Level; 3] = [Level::High, Level::Medium, Level::Low];

    /// Stable key (`high`, `medium`, `low`).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::High => "high",
            Level::Medium => "medium",
            Level::Low => "low",
        }
    }

    /// Parses a stable key.
    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

/// Priority P1 (most urgent) to P4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Priority {
    /// Critical.
    P1,
    /// High.
    P2,
    /// Medium.
    P3,
    /// Low.
    P4,
}

impl Priority {
    /// All priorities, most urgent first.
    pub const ALL: [Priority; 4] = [Priority::P1, Priority::P2, Priority::P3, Priority::P4];

    /// Stable key (`P1`…`P4`).
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::P1 => "P1",
            Priority::P2 => "P2",
            Priority::P3 => "P3",
            Priority::P4 => "P4",
        }
    }

    /// Parses `P1`…`P4` (case-insensitive).
    pub fn parse(s: &str) -> Option<Priority> {
        Priority::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// 1 for P1 … 4 for P4.
    pub fn rank(self) -> u8 {
        self as u8 + 1
    }
}

/// One urgency's row of the matrix: the priority for each impact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatrixRow {
    /// Priority when impact is high.
    pub high: Priority,
    /// Priority when impact is medium.
    pub medium: Priority,
    /// Priority when impact is low.
    pub low: Priority,
}

impl MatrixRow {
    fn get(&self, impact: Impact) -> Priority {
        match impact {
            Level::High => self.high,
            Level::Medium => self.medium,
            Level::Low => self.low,
        }
    }
}

/// Urgency (outer key) × impact (inner key) → priority; JSON
/// `{"high": {"high": "P1", "medium": "P2", "low": "P3"}, "medium": {…}, "low": {…}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriorityMatrix {
    /// Row for high urgency.
    pub high: MatrixRow,
    /// Row for medium urgency.
    pub medium: MatrixRow,
    /// Row for low urgency.
    pub low: MatrixRow,
}

impl Default for PriorityMatrix {
    /// SPEC §4: H×H=P1; H×M, M×H=P2; H×L, M×M, L×H=P3; M×L, L×M, L×L=P4.
    fn default() -> PriorityMatrix {
        use Priority::*;
        PriorityMatrix {
            high: MatrixRow {
                high: P1,
                medium: P2,
                low: P3,
            },
            medium: MatrixRow {
                high: P2,
                medium: P3,
                low: P4,
            },
            low: MatrixRow {
                high: P3,
                medium: P4,
                low: P4,
            },
        }
    }
}

impl PriorityMatrix {
    /// The priority for an urgency and an impact.
    pub fn priority(&self, urgency: Urgency, impact: Impact) -> Priority {
        match urgency {
            Level::High => self.high.get(impact),
            Level::Medium => self.medium.get(impact),
            Level::Low => self.low.get(impact),
        }
    }
}

/// The priority for an urgency and an impact under the default matrix.
pub fn priority(urgency: Urgency, impact: Impact) -> Priority {
    PriorityMatrix::default().priority(urgency, impact)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Level::*;
    use Priority::*;

    #[test]
    fn default_matrix_matches_spec() {
        let expected = [
            (High, High, P1),
            (High, Medium, P2),
            (Medium, High, P2),
            (High, Low, P3),
            (Medium, Medium, P3),
            (Low, High, P3),
            (Medium, Low, P4),
            (Low, Medium, P4),
            (Low, Low, P4),
        ];
        for (u, i, p) in expected {
            assert_eq!(priority(u, i), p, "{u:?}×{i:?}");
        }
    }

    #[test]
    fn configurable_matrix_serde() {
        let json = r#"{"high":{"high":"P1","medium":"P1","low":"P2"},
                       "medium":{"high":"P2","medium":"P3","low":"P3"},
                       "low":{"high":"P3","medium":"P4","low":"P4"}}"#;
        let m: PriorityMatrix = serde_json::from_str(json).expect("valid");
        assert_eq!(m.priority(High, Medium), P1);
        let back: PriorityMatrix =
            serde_json::from_str(&serde_json::to_string(&m).expect("ser")).expect("de");
        assert_eq!(back, m);
        assert!(serde_json::from_str::<PriorityMatrix>(r#"{"high":{"high":"P5"}}"#).is_err());
        assert_eq!(Priority::parse("p2"), Some(P2));
        assert_eq!(Level::parse("medium"), Some(Medium));
        assert_eq!(P4.rank(), 4);
    }
}
