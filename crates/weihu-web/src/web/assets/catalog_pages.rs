//! The service catalog pages.

use super::*;

#[derive(Template)]
#[template(path = "catalog.html")]
pub(super) struct CatalogPage {
    ctx: PageCtx,
    items: Vec<CatalogItem>,
    clients: Vec<Organization>,
    can_edit: bool,
    error: Option<String>,
}

impl CatalogPage {
    fn uses(&self, item: &CatalogItem, org: &i64) -> bool {
        item.client_ids.contains(org)
    }
    fn client_names(&self, item: &CatalogItem) -> String {
        self.clients
            .iter()
            .filter(|c| item.client_ids.contains(&c.id))
            .map(|c| c.name.clone())
            .collect::<Vec<_>>()
            .join("、")
    }
    fn name_of<'a>(&self, item: &'a CatalogItem) -> &'a str {
        if self.ctx.lang == "en" && !item.name_en.is_empty() {
            &item.name_en
        } else {
            &item.name
        }
    }
    fn content_of<'a>(&self, item: &'a CatalogItem) -> &'a str {
        if self.ctx.lang == "en" && !item.content_en.is_empty() {
            &item.content_en
        } else {
            &item.content
        }
    }
}

pub(super) async fn catalog_list(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    Query(f): Query<Flash>,
) -> Response {
    let mut ctx = PageCtx::new(&headers, &session, uri.path());
    let error = flash(&mut ctx, &f.ok, &f.error);
    let a = &session.actor;
    match catalog::list(&s.store, a).await {
        Ok(items) => render(&CatalogPage {
            clients: crate::web::active_clients(&s, a).await,
            can_edit: a.role.can_manage_service_levels(),
            ctx,
            items,
            error,
        }),
        Err(e) => page_error(ctx, e.into()),
    }
}

/// Creates (no `id`) or updates a catalog item; the form posts `clients` once per checked client.
pub(super) async fn catalog_save(
    State(s): State<AppState>,
    session: WebSession,
    body: axum::body::Bytes,
) -> Response {
    let mut fields: BTreeMap<String, String> = BTreeMap::new();
    let mut clients = Vec::new();
    for (k, v) in form_urlencoded::parse(&body) {
        if k == "clients" {
            if let Ok(id) = v.parse::<i64>() {
                clients.push(id);
            }
        } else {
            fields.insert(k.into_owned(), v.into_owned());
        }
    }
    if let Err(e) = session.check_csrf(fields.get("csrf").map_or("", String::as_str)) {
        return e.into_response();
    }
    let get = |k: &str| fields.get(k).cloned();
    let num = |k: &str| -> Result<Option<i64>, StoreError> {
        match fields.get(k).map(|v| v.trim()).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| StoreError::invalid(k, "must be a whole number")),
        }
    };
    let r = async {
        let input = CatalogInput {
            code: get("code"),
            name: get("name"),
            name_en: get("name_en"),
            content: get("content"),
            content_en: get("content_en"),
            calendar_id: None,
            availability_target: get("availability_target"),
            max_interruptions: num("max_interruptions")?,
            max_restore_minutes: num("max_restore_minutes")?,
            owner_id: None,
            active: Some(fields.contains_key("active") || !fields.contains_key("id")),
            client_ids: Some(clients),
        };
        match num("id")? {
            Some(id) => catalog::update(
                &s.store,
                &session.actor,
                id,
                num("version")?.unwrap_or(0),
                &input,
            )
            .await
            .map(|_| ()),
            None => catalog::create(&s.store, &session.actor, &input)
                .await
                .map(|_| ()),
        }
    }
    .await;
    back("/catalog", r)
}
