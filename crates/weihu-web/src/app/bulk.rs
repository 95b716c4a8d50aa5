//! Bulk actions on orders picked on the board: assign, a move of the state machine, or a comment.
//! Each order is changed on its own, with its own permission check, version and transaction, as
//! if it were done on its page; the answer says which were done and why the others were not.

use serde::{Deserialize, Serialize};
use weihu_store::orders::{self, Comment, Transition};
use weihu_store::{Actor, Store, StoreError};

use crate::error::ApiError;

/// Orders one bulk action takes at most (two board pages).
pub const MAX_IDS: usize = 100;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct BulkRequest {
    /// The orders, 1 to 100.
    pub ids: Vec<i64>,
    /// `comment`, or a move: `assign`, `start`, `wait_client`, `resume`, `close`, `cancel`, ….
    pub action: String,
    /// For `assign`.
    #[serde(default)]
    pub assignee_id: Option<i64>,
    #[serde(default)]
    pub team_id: Option<i64>,
    /// For `comment`: the text.
    #[serde(default)]
    pub body: String,
    /// For `comment`: an internal note (provider staff only).
    #[serde(default)]
    pub internal: bool,
    /// For moves that need one (cancel, refuse, reopen).
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BulkFailure {
    pub id: i64,
    /// The field the refusal names, if any.
    pub field: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct BulkResult {
    pub done: Vec<i64>,
    pub failed: Vec<BulkFailure>,
}

pub async fn run(store: &Store, actor: &Actor, req: &BulkRequest) -> Result<BulkResult, ApiError> {
    let mut ids = req.ids.clone();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() || ids.len() > MAX_IDS {
        return Err(StoreError::invalid("ids", format!("pick 1 to {MAX_IDS} orders")).into());
    }
    let comment = req.action == "comment";
    if !comment && weihu_domain::order::Action::parse(&req.action).is_none() {
        return Err(StoreError::invalid(
            "action",
            "must be comment or a move: assign, start, wait_client, wait_parts, resume, resolve, close, reopen, cancel, refuse",
        )
        .into());
    }
    if comment && req.body.trim().is_empty() {
        return Err(StoreError::invalid("body", "is required").into());
    }
    let mut out = BulkResult::default();
    for id in ids {
        let result = if comment {
            let c = Comment {
                body: req.body.clone(),
                public: !req.internal,
            };
            orders::comment(store, actor, id, &c).await.map(|_| ())
        } else {
            match orders::get(store, actor, id).await {
                Ok(order) => {
                    let t = Transition {
                        action: req.action.clone(),
                        version: order.version,
                        assignee_id: req.assignee_id,
                        team_id: req.team_id,
                        reason: req.reason.clone(),
                        resolution: String::new(),
                        in_scope: None,
                        cause: String::new(),
                        breach_reason: String::new(),
                        breach_note: String::new(),
                    };
                    orders::transition(store, actor, id, &t).await.map(|_| ())
                }
                Err(e) => Err(e),
            }
        };
        match result {
            Ok(()) => out.done.push(id),
            Err(e) => {
                let (_, _, message, field) = ApiError::from(e).parts();
                out.failed.push(BulkFailure { id, field, message });
            }
        }
    }
    Ok(out)
}
