//! The board: filters, search, sort and pages.

use super::*;

#[derive(Deserialize, Default)]
pub(super) struct BoardQuery {
    q: Option<String>,
    client: Option<String>,
    state: Option<String>,
    priority: Option<String>,
    assignee: Option<String>,
    at_risk: Option<String>,
    scope: Option<String>,
    offset: Option<i64>,
}

pub(super) fn num(s: &Option<String>) -> Option<i64> {
    s.as_deref().and_then(|v| v.parse().ok())
}

pub(super) fn nonempty(s: &Option<String>) -> Option<String> {
    s.clone().filter(|v| !v.is_empty())
}

#[derive(Template)]
#[template(path = "orders.html")]
pub(super) struct Board {
    ctx: PageCtx,
    page: Page<Order>,
    clients: Vec<Organization>,
    engineers: Vec<User>,
    f: BoardQuery,
    query: String,
    prev: Option<i64>,
    next: Option<i64>,
}

impl Board {
    fn sel(&self, v: &Option<String>, want: &str) -> bool {
        v.as_deref() == Some(want)
    }
    /// `text` cut into plain and matched pieces for the search's terms.
    fn hl(&self, text: &str) -> Vec<(String, bool)> {
        let terms = weihu_domain::search::highlight_terms(self.f.q.as_deref().unwrap_or(""));
        weihu_domain::search::highlight(text, &terms)
    }
    fn sel_id(&self, v: &Option<String>, id: &i64) -> bool {
        num(v) == Some(*id)
    }
}

pub(super) async fn board(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    Query(f): Query<BoardQuery>,
) -> Response {
    let ctx = PageCtx::new(&headers, &session, uri.path());
    let a = &session.actor;
    let scope = f
        .scope
        .as_deref()
        .unwrap_or(if a.is_client() { "all" } else { "open" });
    let filter = OrderFilter {
        client_org_id: num(&f.client),
        state: nonempty(&f.state),
        open: match scope {
            "open" => Some(true),
            "done" => Some(false),
            _ => None,
        },
        priority: nonempty(&f.priority),
        assignee_id: if scope == "mine" {
            Some(a.user_id)
        } else {
            num(&f.assignee)
        },
        at_risk: f.at_risk.as_ref().map(|v| v == "1"),
        ..Default::default()
    };
    // The dispatcher's board: most urgent first, then the earliest due.
    let sort = if a.is_client() {
        "-created_at"
    } else {
        "priority"
    };
    let params = ListParams {
        q: nonempty(&f.q),
        offset: f.offset,
        limit: Some(50),
        sort: Some(sort.into()),
    };
    let page = match orders::list(&s.store, a, &filter, &params).await {
        Ok(p) => p,
        Err(e) => return page_error(ctx, e.into()),
    };
    let (clients, engineers) = if a.is_client() {
        (Vec::new(), Vec::new())
    } else {
        let clients = organizations::list(
            &s.store,
            a,
            &OrgFilter {
                kind: Some(OrgKind::Client),
                active: None,
            },
            &all(),
        )
        .await
        .map(|p| p.items)
        .unwrap_or_default();
        let engineers = users::list(
            &s.store,
            a,
            &UserFilter {
                role: Some(Role::Engineer),
                active: Some(true),
                ..Default::default()
            },
            &all(),
        )
        .await
        .map(|p| p.items)
        .unwrap_or_default();
        (clients, engineers)
    };
    let o = f.offset.unwrap_or(0);
    let prev = (o > 0).then(|| (o - 50).max(0));
    let next = page.next;
    let query = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|kv| !kv.starts_with("offset="))
        .collect::<Vec<_>>()
        .join("&");
    render(&Board {
        ctx,
        page,
        clients,
        engineers,
        f: BoardQuery {
            scope: Some(scope.to_owned()),
            ..f
        },
        query,
        prev,
        next,
    })
}
