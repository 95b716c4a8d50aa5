//! Which database a request reads from when a read replica is configured
//! (`serve --database-read-url`): read-only requests may read lists, search, reports and exports
//! from the replica; a user who wrote within the replica's write window reads from the primary
//! (the extractors in `auth` look that up); a read that fails on the replica is answered again
//! from the primary, so a replica going away never shows as an error.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use weihu_store::replica::ReadRoute;

use crate::AppState;

/// The response header that says where a request's reads went (`replica` or `primary`).
pub const READ_HEADER: &str = "x-weihu-read";

/// Routes one request's reads; a no-op without a replica.
pub async fn route_reads(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(replica) = state.store.read_replica().cloned() else {
        return next.run(req).await;
    };
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        let route = ReadRoute::new(false);
        let (resp, route) = run(route, req, next).await;
        let status = resp.status();
        if let Some(user) = route.user()
            && (status.is_success() || status.is_redirection())
            && let Err(e) = state.store.note_write(user).await
        {
            tracing::warn!(error = %e, "could not record the user's write for read-your-writes");
        }
        return resp;
    }
    let (parts, _) = req.into_parts();
    let again = Request::from_parts(parts.clone(), Body::empty());
    let (resp, route) = run(
        ReadRoute::new(true),
        Request::from_parts(parts, Body::empty()),
        next.clone(),
    )
    .await;
    if route.used_replica() && resp.status().is_server_error() {
        replica.mark_down("a read on the replica failed");
        let (resp, _) = run(ReadRoute::new(false), again, next).await;
        return labelled(resp, "primary");
    }
    let from = if route.used_replica() {
        "replica"
    } else {
        "primary"
    };
    labelled(resp, from)
}

async fn run(route: Arc<ReadRoute>, mut req: Request, next: Next) -> (Response, Arc<ReadRoute>) {
    req.extensions_mut().insert(route.clone());
    let resp = route.clone().scope(next.run(req)).await;
    (resp, route)
}

fn labelled(mut resp: Response, from: &'static str) -> Response {
    resp.headers_mut()
        .insert(READ_HEADER, HeaderValue::from_static(from));
    resp
}

/// Tells the request's route who is signed in, and keeps their reads on the primary if they
/// wrote recently (read-your-writes). A no-op without a replica.
pub async fn signed_in(
    parts: &axum::http::request::Parts,
    state: &AppState,
    user_id: i64,
) -> Result<(), weihu_store::StoreError> {
    let Some(route) = parts.extensions.get::<Arc<ReadRoute>>() else {
        return Ok(());
    };
    route.set_user(user_id);
    if state.store.wrote_recently(user_id).await? {
        route.use_primary();
    }
    Ok(())
}
