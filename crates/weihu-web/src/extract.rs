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
        let value: serde_json::Value = serde_path_to_error::deserialize(de).map_err(|e| {
            let field = path_field(&e);
            ApiError::bad_request(field, e.inner().to_string())
        })?;
        if let Some(field) = nul_in(&value, String::new()) {
            return Err(ApiError::bad_request(
                Some(field),
                "text must not contain NUL characters",
            ));
        }
        from_value(value).map(ApiJson)
    }
}

/// The path of the first string holding a NUL character: no database stores those alike.
fn nul_in(v: &serde_json::Value, path: String) -> Option<String> {
    match v {
        serde_json::Value::String(s) if s.contains('\0') => Some(path),
        serde_json::Value::Array(a) => a
            .iter()
            .enumerate()
            .find_map(|(i, x)| nul_in(x, format!("{path}[{i}]"))),
        serde_json::Value::Object(o) => o.iter().find_map(|(k, x)| {
            let p = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            if k.contains('\0') {
                Some(p)
            } else {
                nul_in(x, p)
            }
        }),
        _ => None,
    }
}

/// Deserialises a JSON value, naming the field that does not fit.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let field = path_field(&e);
        ApiError::bad_request(field, e.inner().to_string())
    })
}

/// An update body: the `version` the client last read, and the rest as the patch. Parsed in two
/// steps (not with `serde(flatten)`) so that errors in the patch still name their field.
pub fn versioned<T: DeserializeOwned>(mut value: serde_json::Value) -> Result<(i64, T), ApiError> {
    let obj = value
        .as_object_mut()
        .ok_or_else(|| ApiError::bad_request(None, "expected a JSON object"))?;
    let version = match obj.remove("version") {
        Some(v) => v
            .as_i64()
            .ok_or_else(|| ApiError::bad_request(Some("version".into()), "must be an integer"))?,
        None => {
            return Err(ApiError::bad_request(
                Some("version".into()),
                "missing field `version`",
            ));
        }
    };
    Ok((version, from_value(value)?))
}

/// A query string. Unparseable values → 400 naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        if let Some((k, _)) =
            form_urlencoded::parse(q.as_bytes()).find(|(k, v)| k.contains('\0') || v.contains('\0'))
        {
            return Err(ApiError::bad_request(
                Some(k.into_owned()),
                "text must not contain NUL characters",
            ));
        }
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

/// Refuses any query string or HTML form carrying an encoded NUL (`%00`) before a handler sees
/// it: PostgreSQL cannot store NUL in text, and no legitimate form sends one.
pub async fn reject_nul(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let has_nul = |s: &[u8]| s.windows(3).any(|w| w == b"%00");
    if req.uri().query().is_some_and(|q| has_nul(q.as_bytes())) {
        return ApiError::bad_request(None, "text must not contain NUL characters").into_response();
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_JSON_BYTES).await {
        Ok(b) => b,
        Err(_) => return ApiError::TooLarge.into_response(),
    };
    if has_nul(&bytes) {
        return ApiError::bad_request(None, "text must not contain NUL characters").into_response();
    }
    next.run(axum::extract::Request::from_parts(
        parts,
        axum::body::Body::from(bytes),
    ))
    .await
}

/// Two numeric ids in the path (`/orders/{id}/parts/{part_id}`); anything else is a 404.
pub struct Ids(pub i64, pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Ids {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let not_found = || ApiError::Store(weihu_store::StoreError::NotFound);
        let axum::extract::Path((a, b)) =
            axum::extract::Path::<(String, String)>::from_request_parts(parts, state)
                .await
                .map_err(|_| not_found())?;
        let parse = |s: &str| s.parse::<i64>().ok().filter(|i| *i > 0);
        match (parse(&a), parse(&b)) {
            (Some(a), Some(b)) => Ok(Ids(a, b)),
            _ => Err(not_found()),
        }
    }
}
