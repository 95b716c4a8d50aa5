//! Request extractors that turn unreadable input into 4xx errors naming the field, instead of
//! axum's plain-text rejections.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// The largest JSON body the API reads.
pub const MAX_JSON_BYTES: usize = 1024 * 1024;

/// Pulls the field name out of serde's "missing field `x`" / "unknown field `x`" messages.
fn field_in_message(msg: &str) -> Option<String> {
    let start = msg.find('`')? + 1;
    let end = start + msg[start..].find('`')?;
    Some(msg[start..end].to_owned())
}

fn path_field<E: std::fmt::Display>(e: &serde_path_to_error::Error<E>) -> Option<String> {
    let path = e.path().to_string();
    let inner = e.inner().to_string();
    let named = if inner.starts_with("missing field") || inner.starts_with("unknown field") {
        field_in_message(&inner)
    } else {
        None
    };
    match (path.as_str(), named) {
        ("." | "", n) => n,
        (p, Some(n)) => Some(format!("{p}.{n}")),
        (p, None) => Some(p.to_owned()),
    }
}

/// A JSON body. Wrong content type → 415; too large → 413; bad JSON → 400 naming the field.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                let ct = ct.to_ascii_lowercase();
                ct.starts_with("application/json")
                    || (ct.starts_with("application/") && ct.contains("+json"))
            });
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| ApiError::TooLarge)?;
        if bytes.len() > MAX_JSON_BYTES {
            return Err(ApiError::TooLarge);
        }
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(de)
            .map(ApiJson)
            .map_err(|e| {
                let field = path_field(&e);
                ApiError::bad_request(field, e.inner().to_string())
            })
    }
}

/// A query string. Unparseable values → 400 naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(q.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let field = path_field(&e);
                ApiError::bad_request(field, e.inner().to_string())
            })
    }
}

/// A numeric id in the path. Anything that is not a positive integer cannot exist: 404.
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| ApiError::Store(weihu_store::StoreError::NotFound))?;
        raw.parse::<i64>()
            .ok()
            .filter(|i| *i > 0)
            .map(Id)
            .ok_or(ApiError::Store(weihu_store::StoreError::NotFound))
    }
}
