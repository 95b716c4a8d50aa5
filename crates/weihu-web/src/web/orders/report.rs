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

#[derive(Deserialize)]
pub(super) struct NewForm {
    csrf: String,
    #[serde(default)]
    client_org_id: Option<String>,
    #[serde(default)]
    requester_name: String,
    #[serde(default)]
    requester_phone: String,
    #[serde(default)]
    site: String,
    #[serde(default)]
    channel: Option<String>,
    category: String,
    urgency: Level,
    impact: Level,
    subject: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    asset_id: Option<String>,
    #[serde(default)]
    catalog_item_id: Option<String>,
}

pub(super) async fn create(
    State(s): State<AppState>,
    headers: HeaderMap,
    session: WebSession,
    Form(f): Form<NewForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let typed = Typed {
        client_org_id: f.client_org_id.clone().unwrap_or_default(),
        requester_name: f.requester_name.clone(),
        requester_phone: f.requester_phone.clone(),
        channel: f.channel.clone().unwrap_or_default(),
        subject: f.subject.clone(),
        description: f.description.clone(),
        category: f.category.clone(),
        urgency: f.urgency.as_str().to_owned(),
        impact: f.impact.as_str().to_owned(),
        site: f.site.clone(),
        catalog_item_id: f.catalog_item_id.clone().unwrap_or_default(),
    };
    let new = NewOrder {
        client_org_id: num(&f.client_org_id),
        requester_id: None,
        requester_name: Some(f.requester_name).filter(|n| !n.trim().is_empty()),
        requester_phone: f.requester_phone,
        site: f.site,
        channel: f.channel,
        category: f.category,
        urgency: f.urgency,
        impact: f.impact,
        subject: f.subject,
        description: f.description,
        service_mode: None,
        asset_id: num(&f.asset_id),
        catalog_item_id: num(&f.catalog_item_id),
    };
    match s.create_order(&session.actor, &new).await {
        Ok(o) => Redirect::to(&format!("/orders/{}?created=1", o.id)).into_response(),
        // A refusal keeps everything that was typed and says what is wrong next to the field.
        Err(e) => {
            let (status, _, message, field) = ApiError::from(e).parts();
            let ctx = PageCtx::new(&headers, &session, "/orders/new");
            let (error, field_error) = match field {
                Some(f) => (None, Some((f, message))),
                None => (Some(message), None),
            };
            let page = form_page(
                &s,
                ctx,
                &session,
                num(&f.asset_id),
                error,
                typed,
                field_error,
            )
            .await;
            let mut resp = render(&page);
            if resp.status().is_success() {
                *resp.status_mut() = status;
            }
            resp
        }
    }
}
