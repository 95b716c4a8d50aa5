//! A readable API reference, rendered on the server from the OpenAPI document (no CDN, no JS).

use askama::Template;
use axum::Router;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use serde_json::Value;

use super::{PageCtx, render};
use crate::AppState;
use crate::auth::WebSession;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/docs", get(docs))
}

pub struct Op {
    pub method: String,
    pub path: String,
    pub summary: String,
    pub params: Vec<String>,
    pub body: String,
    pub responses: Vec<String>,
}

pub struct Group {
    pub tag: String,
    pub description: String,
    pub ops: Vec<Op>,
}

#[derive(Template)]
#[template(path = "apidocs.html")]
struct Docs {
    ctx: PageCtx,
    description: String,
    groups: Vec<Group>,
}

fn schema_name(v: &Value) -> String {
    v.pointer("/content/application~1json/schema/$ref")
        .and_then(Value::as_str)
        .map(|r| r.rsplit('/').next().unwrap_or(r).to_owned())
        .or_else(|| {
            v.pointer("/content/application~1json/schema/title")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_default()
}

async fn docs(headers: HeaderMap, session: Result<WebSession, Response>) -> Response {
    let ctx = match &session {
        Ok(s) => PageCtx::new(&headers, s, "/api/docs"),
        Err(_) => PageCtx::anonymous(&headers, "/api/docs"),
    };
    let doc = crate::api::openapi_json();
    let mut groups: Vec<Group> = doc["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| Group {
            tag: t["name"].as_str().unwrap_or("").to_owned(),
            description: t["description"].as_str().unwrap_or("").to_owned(),
            ops: Vec::new(),
        })
        .collect();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            let Some(methods) = item.as_object() else {
                continue;
            };
            for (method, op) in methods {
                let tag = op["tags"][0].as_str().unwrap_or("").to_owned();
                let o = Op {
                    method: method.to_uppercase(),
                    path: path.clone(),
                    summary: op["summary"]
                        .as_str()
                        .or(op["description"].as_str())
                        .unwrap_or("")
                        .to_owned(),
                    params: op["parameters"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|p| {
                            format!(
                                "{} ({})",
                                p["name"].as_str().unwrap_or(""),
                                p["in"].as_str().unwrap_or("")
                            )
                        })
                        .collect(),
                    body: schema_name(&op["requestBody"]),
                    responses: op["responses"]
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(code, r)| {
                            let s = schema_name(r);
                            if s.is_empty() {
                                code.clone()
                            } else {
                                format!("{code} {s}")
                            }
                        })
                        .collect(),
                };
                match groups.iter_mut().find(|g| g.tag == tag) {
                    Some(g) => g.ops.push(o),
                    None => groups.push(Group {
                        tag,
                        description: String::new(),
                        ops: vec![o],
                    }),
                }
            }
        }
    }
    let description = doc["info"]["description"].as_str().unwrap_or("").to_owned();
    render(&Docs {
        ctx,
        description,
        groups,
    })
}
