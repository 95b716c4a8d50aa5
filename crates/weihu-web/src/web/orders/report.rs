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
    error: Option<String>,
}

impl NewPage {
    fn is_asset_client(&self, org: &i64) -> bool {
        self.asset.as_ref().is_some_and(|a| a.client_org_id == *org)
    }
}

#[derive(Deserialize, Default)]
pub(super) struct Flash {
    pub(super) error: Option<String>,
    pub(super) ok: Option<String>,
    pub(super) asset: Option<i64>,
}

pub(super) async fn new_form(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    Query(f): Query<Flash>,
) -> Response {
    let ctx = PageCtx::new(&headers, &session, uri.path());
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
    let asset = match f.asset {
        Some(id) => weihu_store::assets::get(&s.store, a, id).await.ok(),
        None => None,
    };
    render(&NewPage {
        ctx,
        clients,
        categories: &CATEGORIES,
        channels: &CHANNELS,
        services,
        asset,
        error: f.error,
    })
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
    session: WebSession,
    Form(f): Form<NewForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
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
        Ok(o) => Redirect::to(&format!("/orders/{}?ok=1", o.id)).into_response(),
        Err(e) => back("/orders/new", Err(e)),
    }
}
