//! Reporting a new order: the client's form and the desk's.

use super::*;

#[derive(Template)]
#[template(path = "order_new.html")]
pub(super) struct NewPage {
    ctx: PageCtx,
    clients: Vec<Organization>,
    categories: &'static [&'static str],
    channels: &'static [&'static str],
    /// Catalog services to pick from (for a client: the ones it uses).
    services: Vec<weihu_store::catalog::CatalogItem>,
    /// The device the report is about, when opened from its page.
    asset: Option<weihu_store::assets::Asset>,
    /// A client's own registry to pick the device from (empty for the desk, which opens a
    /// device's report from its page).
    devices: Vec<weihu_store::assets::Asset>,
    error: Option<String>,
    /// What the user typed, shown again after a refusal.
    values: Typed,
    /// The field a refusal names, and why: shown next to that field.
    field_error: Option<(String, String)>,
}

/// A report form's values as typed (empty on a fresh form).
#[derive(Default)]
pub(super) struct Typed {
    client_org_id: String,
    requester_name: String,
    requester_phone: String,
    channel: String,
    subject: String,
    description: String,
    category: String,
    urgency: String,
    impact: String,
    site: String,
    catalog_item_id: String,
    asset_id: String,
}

impl NewPage {
    /// The refusal's message when it names `field`.
    fn error_for(&self, field: &str) -> Option<&str> {
        self.field_error
            .as_ref()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
    fn level_or_medium<'a>(&self, typed: &'a str) -> &'a str {
        if typed.is_empty() { "medium" } else { typed }
    }
    fn is_asset_client(&self, org: &i64) -> bool {
        self.asset.as_ref().is_some_and(|a| a.client_org_id == *org)
    }
}

#[derive(Deserialize, Default)]
pub(super) struct Flash {
    pub(super) error: Option<String>,
    pub(super) ok: Option<String>,
    pub(super) asset: Option<i64>,
    /// Just reported: the confirmation names the order's number.
    pub(super) created: Option<String>,
}

pub(super) async fn new_form(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    Query(f): Query<Flash>,
) -> Response {
    let ctx = PageCtx::new(&headers, &session, uri.path());
    render(&form_page(&s, ctx, &session, f.asset, f.error, Typed::default(), None).await)
}

/// The report form, fresh or with what was typed and the refusal.
async fn form_page(
    s: &AppState,
    ctx: PageCtx,
    session: &WebSession,
    asset: Option<i64>,
    error: Option<String>,
    values: Typed,
    field_error: Option<(String, String)>,
) -> NewPage {
    let a = &session.actor;
    let clients = if a.is_client() {
        Vec::new()
    } else {
        organizations::list(
            &s.store,
            a,
            &OrgFilter {
                kind: Some(OrgKind::Client),
                active: Some(true),
            },
            &all(),
        )
        .await
        .map(|p| p.items)
        .unwrap_or_default()
    };
    let services = weihu_store::catalog::list(&s.store, a)
        .await
        .map(|items| items.into_iter().filter(|i| i.active).collect())
        .unwrap_or_default();
    let asset = match asset {
        Some(id) => weihu_store::assets::get(&s.store, a, id).await.ok(),
        None => None,
    };
    let devices = if a.is_client() && asset.is_none() {
        weihu_store::assets::list(
            &s.store,
            a,
            &Default::default(),
            &ListParams {
                limit: Some(500),
                sort: Some("tag".into()),
                ..Default::default()
            },
        )
        .await
        .map(|p| p.items)
        .unwrap_or_default()
    } else {
        Vec::new()
    };
    NewPage {
        ctx,
        clients,
        categories: &CATEGORIES,
        channels: &CHANNELS,
        services,
        asset,
        devices,
        error,
        values,
        field_error,
    }
}

/// Files a report may carry (photos of the fault, a log): each as an upload on the order page.
pub const MAX_REPORT_FILES: usize = 5;

/// A report as posted: its fields and the files to attach (checked before anything is written).
#[derive(Default)]
struct Posted {
    fields: std::collections::HashMap<String, String>,
    files: Vec<(String, String, Vec<u8>)>,
    /// Why the files could not be taken, shown next to the file input.
    file_error: Option<String>,
}

impl Posted {
    fn get(&self, name: &str) -> String {
        self.fields.get(name).cloned().unwrap_or_default()
    }
    fn opt(&self, name: &str) -> Option<String> {
        self.fields.get(name).cloned()
    }
}

/// Reads the report form: multipart when it carries files (the page's own form), urlencoded
/// otherwise (scripts, and browsers that post without the file input).
async fn read_posted(req: axum::extract::Request) -> Result<Posted, ApiError> {
    use axum::extract::FromRequest;
    let multipart = req
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        let Form(fields) =
            Form::<std::collections::HashMap<String, String>>::from_request(req, &())
                .await
                .map_err(|e| ApiError::bad_request(None, e.body_text()))?;
        return Ok(Posted {
            fields,
            ..Default::default()
        });
    }
    let mut m = axum::extract::Multipart::from_request(req, &())
        .await
        .map_err(|e| ApiError::bad_request(Some("file".into()), e.body_text()))?;
    let mut posted = Posted::default();
    let mut total = 0usize;
    loop {
        let field = match m.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            // Past the body limit or a broken upload: keep what was read, say why at the files.
            Err(_) => {
                posted.file_error = Some(format!(
                    "must be at most {} MB",
                    weihu_store::orders::attachments::MAX_ATTACHMENT_BYTES / 1024 / 1024
                ));
                break;
            }
        };
        let name = field.name().unwrap_or("").to_owned();
        if name == "file" {
            let filename = field.file_name().unwrap_or("").to_owned();
            let declared = field.content_type().unwrap_or("").to_owned();
            let Ok(bytes) = field.bytes().await else {
                posted.file_error = Some("the upload could not be read".into());
                break;
            };
            // A file input left empty posts one nameless, empty part.
            if filename.is_empty() && bytes.is_empty() {
                continue;
            }
            total += bytes.len();
            if posted.files.len() == MAX_REPORT_FILES {
                posted.file_error = Some(format!("at most {MAX_REPORT_FILES} files"));
                continue;
            }
            posted.files.push((filename, declared, bytes.to_vec()));
        } else if posted.fields.len() < 64 {
            let text = field.text().await.unwrap_or_default();
            posted.fields.insert(name, text);
        }
    }
    tracing::debug!(
        files = posted.files.len(),
        bytes = total,
        "report form read"
    );
    Ok(posted)
}

pub(super) async fn create(
    State(s): State<AppState>,
    headers: HeaderMap,
    session: WebSession,
    req: axum::extract::Request,
) -> Response {
    let p = match read_posted(req).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    if let Err(e) = session.check_csrf(&p.get("csrf")) {
        return e.into_response();
    }
    let typed = Typed {
        client_org_id: p.get("client_org_id"),
        requester_name: p.get("requester_name"),
        requester_phone: p.get("requester_phone"),
        channel: p.get("channel"),
        subject: p.get("subject"),
        description: p.get("description"),
        category: p.get("category"),
        urgency: p.get("urgency"),
        impact: p.get("impact"),
        site: p.get("site"),
        catalog_item_id: p.get("catalog_item_id"),
        asset_id: p.get("asset_id"),
    };
    let asset_id = num(&p.opt("asset_id"));
    // Every file is checked before the order is written: a refused photo keeps the report
    // unsent, with everything typed, rather than an order without its pictures.
    let checked = match &p.file_error {
        Some(m) => Err(StoreError::invalid("file", m.clone())),
        None => p.files.iter().try_for_each(|(_, declared, bytes)| {
            weihu_store::orders::attachments::check(declared, bytes).map(|_| ())
        }),
    };
    let level = |field: &str| -> Result<Level, StoreError> {
        match p.opt(field).filter(|v| !v.is_empty()) {
            None => Ok(Level::Medium),
            Some(v) => Level::parse(&v)
                .ok_or_else(|| StoreError::invalid(field, "must be one of: high, medium, low")),
        }
    };
    let created = match (checked, level("urgency"), level("impact")) {
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => Err(e),
        (Ok(()), Ok(urgency), Ok(impact)) => {
            let requester_name = p.get("requester_name");
            let new = NewOrder {
                client_org_id: num(&p.opt("client_org_id")),
                requester_id: None,
                requester_name: Some(requester_name).filter(|n| !n.trim().is_empty()),
                requester_phone: p.get("requester_phone"),
                site: p.get("site"),
                channel: p.opt("channel").filter(|c| !c.is_empty()),
                category: p.get("category"),
                urgency,
                impact,
                subject: p.get("subject"),
                description: p.get("description"),
                service_mode: None,
                asset_id,
                catalog_item_id: num(&p.opt("catalog_item_id")),
            };
            s.create_order(&session.actor, &new).await
        }
    };
    match created {
        Ok(o) => {
            for (name, declared, bytes) in &p.files {
                // Checked above; what can still fail is the database, and the order stands.
                if let Err(e) = weihu_store::orders::attachments::add(
                    &s.store,
                    &session.actor,
                    o.id,
                    name,
                    declared,
                    bytes,
                    true,
                )
                .await
                {
                    tracing::warn!(order = o.id, error = %e, "a reported file was not attached");
                    return back(&format!("/orders/{}", o.id), Err(e));
                }
            }
            // Reported although the page had shown articles: counted against self-service.
            if session.actor.is_client() && p.get("kb_shown") == "1" {
                let d = weihu_store::articles::NewDeflection {
                    article_id: None,
                    outcome: "reported".into(),
                };
                if let Err(e) =
                    weihu_store::articles::record_deflection(&s.store, &session.actor, &d).await
                {
                    tracing::warn!(order = o.id, error = %e, "self-service outcome not recorded");
                }
            }
            Redirect::to(&format!("/orders/{}?created=1", o.id)).into_response()
        }
        // A refusal keeps everything that was typed and says what is wrong next to the field.
        Err(e) => {
            let (status, _, message, field) = ApiError::from(e).parts();
            let ctx = PageCtx::new(&headers, &session, "/orders/new");
            let (error, field_error) = match field {
                Some(f) => (None, Some((f, ctx.tr.message(&message)))),
                None => (Some(message), None),
            };
            let page = form_page(&s, ctx, &session, asset_id, error, typed, field_error).await;
            let mut resp = render(&page);
            if resp.status().is_success() {
                *resp.status_mut() = status;
            }
            resp
        }
    }
}
