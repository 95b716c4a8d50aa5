//! Quotes for prospective clients.

use super::*;

#[derive(Template)]
#[template(path = "quote.html")]
pub(super) struct QuotePage {
    ctx: PageCtx,
    types: Vec<AssetType>,
    prospect: String,
    counts: BTreeMap<String, u32>,
    quote: Option<QuoteOut>,
    error: Option<String>,
}

impl QuotePage {
    fn count(&self, code: &str) -> String {
        self.counts
            .get(code)
            .filter(|n| **n > 0)
            .map(|n| n.to_string())
            .unwrap_or_default()
    }
}

pub(super) async fn quote_form(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
) -> Response {
    let ctx = PageCtx::new(&headers, &session, uri.path());
    if session.actor.is_client() {
        return page_error(ctx, ApiError::Store(StoreError::NotFound));
    }
    render(&QuotePage {
        types: assets::types(&s.store).await.unwrap_or_default(),
        ctx,
        prospect: String::new(),
        counts: BTreeMap::new(),
        quote: None,
        error: None,
    })
}

pub(super) fn quote_request(body: &[u8]) -> (String, QuoteRequest) {
    let mut csrf = String::new();
    let mut prospect = String::new();
    let mut inventory = BTreeMap::new();
    for (k, v) in form_urlencoded::parse(body) {
        if k == "csrf" {
            csrf = v.into_owned();
        } else if k == "prospect_name" {
            prospect = v.into_owned();
        } else if let Some(code) = k.strip_prefix("n_")
            && let Ok(n) = v.trim().parse::<u32>()
        {
            inventory.insert(code.to_owned(), n);
        }
    }
    (
        csrf,
        QuoteRequest {
            prospect_name: prospect,
            inventory,
        },
    )
}

pub(super) async fn quote_show(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    body: axum::body::Bytes,
) -> Response {
    let (csrf, req) = quote_request(&body);
    if let Err(e) = session.check_csrf(&csrf) {
        return e.into_response();
    }
    let ctx = PageCtx::new(&headers, &session, uri.path());
    let (quote, error) = match make_quote(&s.store, &session.actor, &req).await {
        Ok(q) => (Some(q), None),
        Err(e) => {
            let (_, _, m, f) = e.parts();
            (None, Some(f.map_or(m.clone(), |f| format!("{f}: {m}"))))
        }
    };
    render(&QuotePage {
        types: assets::types(&s.store).await.unwrap_or_default(),
        ctx,
        prospect: req.prospect_name.clone(),
        counts: req.inventory.clone(),
        quote,
        error,
    })
}

pub(super) async fn quote_pdf(
    State(s): State<AppState>,
    headers: HeaderMap,
    session: WebSession,
    body: axum::body::Bytes,
) -> Response {
    let (csrf, req) = quote_request(&body);
    if let Err(e) = session.check_csrf(&csrf) {
        return e.into_response();
    }
    let r = async {
        let q = make_quote(&s.store, &session.actor, &req).await?;
        crate::documents::quote_pdf(&s.store, &q).await
    }
    .await;
    match r {
        Ok(bytes) => crate::documents::pdf_response(bytes, "quote.pdf", false),
        Err(e) => page_error(PageCtx::new(&headers, &session, "/quotes"), e),
    }
}
