//! Weihu's HTTP face: the JSON API under `/api/v1` (described by `/api/v1/openapi.json`) and the
//! server-rendered web UI, both over the same store and the same actor-scoped rules.

pub mod api;
pub mod app;
mod assets;
pub mod auth;
mod charts;
pub mod documents;
pub mod error;
pub mod extract;
pub mod format;
mod headers;
pub mod i18n;
pub mod mail;
mod metrics;
pub mod read_route;
mod service_report;
pub mod sheets;
pub mod web;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, Request};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;
use weihu_store::Store;

/// Settings of the HTTP layer, built by the binary from flags, environment and file.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Mark cookies `Secure` (set when Weihu is served over HTTPS).
    pub secure_cookies: bool,
    /// The installation carries demo data: the login page shows the demo logins.
    pub demo: bool,
    /// Commit each new order in its own transaction instead of in groups (for comparison).
    pub per_request_commit: bool,
    /// The public base URL (`https://desk.example.com`), used for links that leave the request
    /// (QR labels, mail). `None`: built from the request.
    pub public_url: Option<String>,
    /// Sign-in throttling.
    pub login: LoginLimits,
    /// How mail is set up (the administrator's outbox page says so).
    pub mail: mail::MailStatus,
    /// Bounds on an arriving message (also used when a reviewed one is accepted).
    pub mail_limits: weihu_mail::Limits,
}

/// How sign-in attempts are throttled, per client address and per username.
#[derive(Debug, Clone)]
pub struct LoginLimits {
    /// Failed attempts from one address within the window before that address is locked.
    pub address_failures: u32,
    /// Failed attempts for one username within the window before the name is slowed down for
    /// addresses that have not signed in successfully before.
    pub username_failures: u32,
    /// The window and the lock length, in minutes.
    pub lock_minutes: u32,
}

impl Default for LoginLimits {
    fn default() -> Self {
        LoginLimits {
            address_failures: 20,
            username_failures: 5,
            lock_minutes: 15,
        }
    }
}

/// What every handler can reach. Cheap to clone; holds no per-instance state beyond the pool,
/// so any number of app servers can share one PostgreSQL.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<WebConfig>,
    /// New orders go through one writer that commits them in groups (see `OrderWriter`).
    pub orders: weihu_store::orders::OrderWriter,
}

impl AppState {
    /// Opens an order: through the group-commit writer, or alone when so configured.
    pub async fn create_order(
        &self,
        actor: &weihu_store::Actor,
        new: &weihu_store::orders::NewOrder,
    ) -> Result<weihu_store::orders::Order, weihu_store::StoreError> {
        if self.config.per_request_commit {
            weihu_store::orders::create(&self.store, actor, new).await
        } else {
            self.orders.create(actor, new).await
        }
    }

    /// The state for `store`; starts the order writer, so call it inside the runtime.
    pub fn new(store: Store, config: WebConfig) -> AppState {
        let orders = weihu_store::orders::OrderWriter::spawn(store.clone());
        AppState {
            store,
            config: Arc::new(config),
            orders,
        }
    }
}

#[derive(Clone, Default)]
struct RequestIds {
    prefix: Arc<str>,
    counter: Arc<std::sync::atomic::AtomicU64>,
}

impl MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let n = self
            .counter
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("{}-{n}", self.prefix)
            .parse()
            .ok()
            .map(RequestId::new)
    }
}

/// The whole application as one router.
pub fn router(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let ids = RequestIds {
        prefix: weihu_store::credentials::random_token(6)
            .unwrap_or_else(|_| "req".into())
            .into(),
        counter: Default::default(),
    };
    let hsts = state.config.secure_cookies;
    Router::new()
        .merge(api::router())
        .merge(web::router())
        .merge(assets::router())
        .merge(metrics::router())
        .layer(axum::middleware::from_fn(extract::reject_nul))
        .layer(axum::middleware::from_fn(auth::origin_guard))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            read_route::route_reads,
        ))
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(CatchPanicLayer::custom(|_| {
            error::ApiError::internal("handler", "panic")
                .into_response_body()
        }))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                let id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %id)
            }),
        )
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, ids))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(60),
        ))
        // Outermost, so that timeouts and caught panics carry the security headers too.
        .layer(axum::middleware::map_response(move |r: axum::response::Response| async move {
            headers::apply(r, hsts)
        }))
        .with_state(state)
}

/// Serves until `shutdown` resolves, then finishes the requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The peer address reaches handlers as `ConnectInfo` (sign-in throttling per address).
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
