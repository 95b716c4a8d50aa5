//! Service order pages: the dispatcher's board (and the client's list of orders), the fault
//! report form, and one order with its clocks, timeline and actions.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{OriginalUri, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use weihu_domain::priority::Level;
use weihu_domain::role::Role;
use weihu_store::orders::{
    self, CATEGORIES, CHANNELS, Comment, Event, NewOrder, Order, OrderFilter, Rating, Transition,
};
use weihu_store::organizations::{self, OrgFilter, OrgKind, Organization};
use weihu_store::teams::{self, Team};
use weihu_store::users::{self, User, UserFilter};
use weihu_store::{ListParams, Page, StoreError};

use super::{PageCtx, back, page_error, render};
use crate::AppState;
use crate::auth::WebSession;
use crate::error::ApiError;
use crate::extract::Id;

mod board;
mod detail;
mod links;
mod report;

use board::*;
use detail::*;
use links::*;
use report::*;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orders", get(board).post(create))
        .route("/orders/new", get(new_form))
        .route("/orders/export", get(export))
        .route("/orders/bulk", post(bulk))
        .route("/orders/views", post(save_view))
        .route("/orders/views/{id}/delete", post(delete_view))
        .route("/orders/{id}", get(detail))
        .route("/orders/{id}/comment", post(comment))
        .route("/orders/{id}/transition", post(transition))
        .route("/orders/{id}/breach", post(detail::explain_breach))
        .route("/orders/{id}/edit", post(edit_form))
        .route("/orders/{id}/rating", post(rate))
        .route("/orders/{id}/escalate", post(escalate))
        .route("/orders/{id}/links", post(link))
        .route("/orders/{id}/links/{link_id}/delete", post(unlink))
        .route("/orders/{id}/merge", post(merge))
        .route("/orders/{id}/work/{what}", post(work_form))
        .route("/orders/{id}/signature.png", get(signature_png))
        .route("/orders/{id}/pdf", get(order_pdf))
        .route("/organizations/{id}/orders.pdf", get(month_bundle))
        .route("/orders/{id}/attachments", post(upload))
        .route("/orders/{id}/attachments/{attachment_id}", get(attachment))
        .layer(axum::extract::DefaultBodyLimit::max(
            weihu_store::orders::attachments::MAX_ATTACHMENT_BYTES + 64 * 1024,
        ))
}

/// A form that carries nothing but its CSRF token (a delete button, for instance).
#[derive(Deserialize)]
pub(super) struct CsrfOnly {
    csrf: String,
}

use crate::web::all;
